#!/usr/bin/env bash
# Starts the real-server interop environment on 127.0.0.1: every server that has a tests/interop/SERVER/start.sh
# (or only the ones named: `start.sh vsftpd`). Each installs the Debian packages it needs, (re)starts its
# server with the configs in its directory, and writes $FERRY_INTEROP_DIR/env.d/SERVER for the tests.
# Idempotent: a second run restarts. `stop.sh` ends them.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"
[ "$(id -u)" = 0 ] || { echo "start.sh: the servers must be started as root" >&2; exit 1; }
make_ca
servers=("$@")
if [ ${#servers[@]} -eq 0 ]; then
  for s in "$here"/*/start.sh; do servers+=("$(basename "$(dirname "$s")")"); done
fi
for s in "${servers[@]}"; do
  "$here/$s/start.sh"
done
echo "interop servers up (${servers[*]}); settings in $root/env.d/"
