#!/usr/bin/env bash
# Stops the interop Dovecot cleanly (its children too).
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../lib.sh
. "$here/../lib.sh"
conf=$root/dovecot/dovecot.conf
if [ -f "$conf" ] && [ -d "$root/dovecot/run" ]; then
  /usr/sbin/dovecot -c "$conf" stop 2>/dev/null || true
fi
