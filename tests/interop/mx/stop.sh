#!/usr/bin/env bash
# Stops the exchangers' Postfix instance (master and its children) through its own config directory.
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../lib.sh
. "$here/../lib.sh"
conf=$root/postfix-mx/conf
if [ -f "$conf/main.cf" ]; then
  /usr/sbin/postfix -c "$conf" stop >/dev/null 2>&1 || true
  for _ in $(seq 1 50); do
    [ -f "$root/postfix-mx/queue/pid/master.pid" ] || break
    kill -0 "$(cat "$root/postfix-mx/queue/pid/master.pid" 2>/dev/null)" 2>/dev/null || break
    sleep 0.1
  done
fi
