#!/usr/bin/env bash
# pyftpdlib on 127.0.0.1 (plain FTP): a third FTP implementation beside vsftpd and ProFTPD, with MLSD and
# MFMT and its own habits (MLST facts that must be asked for with OPTS MLST, modes written as 0o644).
# One user `ferry` (password ferry-secret, home $root/pyftpdlib-home); runs Debian's python3.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../lib.sh
. "$here/../lib.sh"
port=$((${FERRY_INTEROP_PORT:-22100} + 30))
pasv_min=$((${FERRY_INTEROP_PORT:-22100} + 600))
if ! /usr/bin/python3 -c 'import pyftpdlib' 2>/dev/null; then
  [ "$(id -u)" = 0 ] || { echo "interop: need root to install python3-pyftpdlib" >&2; exit 1; }
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq python3-pyftpdlib >/dev/null
fi
stop_server pyftpdlib
home=$root/pyftpdlib-home
mkdir -p "$home"
run_bg pyftpdlib /usr/bin/python3 "$here/server.py" "$port" "$pasv_min" "$home"
wait_port pyftpdlib "$port"

cat > "$root/env.d/pyftpdlib" <<ENV
FERRY_PYFTPDLIB=127.0.0.1:$port
FERRY_PYFTPDLIB_HOME=$home
ENV
echo "pyftpdlib up on 127.0.0.1:$port"
