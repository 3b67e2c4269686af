#!/usr/bin/env bash
# vsftpd on 127.0.0.1 for the FTP tools: three instances (plain, explicit FTPS with require_ssl_reuse=YES,
# implicit FTPS) sharing common.conf, an anonymous read-only tree and a writable local user `ferry`.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../lib.sh
. "$here/../lib.sh"
base_port=${FERRY_INTEROP_PORT:-22100}
need vsftpd:vsftpd passwd:useradd
make_ca
stop_server vsftpd
mkdir -p "$root"/{anon/pub,empty,conf}
chmod 755 "$root/anon" "$root/empty"

# The local user, and the anonymous tree (owned by root, not writable: vsftpd insists).
if ! id ferry >/dev/null 2>&1; then
  useradd -M -d "$root/home" -s /bin/bash ferry
fi
echo 'ferry:ferry-secret' | chpasswd
mkdir -p "$root/home"
chown ferry: "$root/home"

anon=$root/anon/pub
printf 'hello from vsftpd\n' > "$anon/small.txt"
printf 'spaces in the name\n' > "$anon/space name.txt"
printf 'utf-8 name\n' > "$anon/ünïcødé.txt"
printf 'line one\r\nline two\r\n' > "$anon/crlf.txt"
mkdir -p "$anon/ten" "$anon/tree/a/b/c"
for i in 0 1 2 3 4 5 6 7 8 9; do head -c $((1000 * i + 17)) /dev/urandom > "$anon/ten/file$i.bin"; done
echo deep > "$anon/tree/a/b/c/deep.txt"; echo top > "$anon/tree/top.txt"
if [ "$(stat -c %s "$anon/big.bin" 2>/dev/null || echo 0)" != 104857600 ]; then
  head -c 104857600 /dev/urandom > "$anon/big.bin"
fi
sha256sum "$anon/big.bin" | cut -d' ' -f1 > "$root/big.sha256"
chown -R root:root "$root/anon"; chmod -R a+rX,go-w "$root/anon"

start() { # name port extra-conf pasv_min
  local name=$1 port=$2 extra=$3 pmin=$4
  local conf=$root/conf/vsftpd-$name.conf
  sed -e "s#@ROOT@#$root#g" -e "s#@NAME@#vsftpd-$name#g" -e "s#@PASV_MIN@#$pmin#g" -e "s#@PASV_MAX@#$((pmin + 49))#g" \
    "$here/common.conf" > "$conf"
  echo "listen_port=$port" >> "$conf"
  if [ -n "$extra" ]; then sed -e "s#@ROOT@#$root#g" "$here/$extra" >> "$conf"; fi
  chmod 600 "$conf"
  run_bg vsftpd /usr/sbin/vsftpd "$conf"
}
start plain "$base_port" "" $((base_port + 100))
start explicit $((base_port + 1)) explicit.conf $((base_port + 200))
start implicit $((base_port + 2)) implicit.conf $((base_port + 300))
wait_port vsftpd "$base_port" $((base_port + 1)) $((base_port + 2))

cat > "$root/env.d/vsftpd" <<ENV
FERRY_FTP_PLAIN=127.0.0.1:$base_port
FERRY_FTP_EXPLICIT=127.0.0.1:$((base_port + 1))
FERRY_FTP_IMPLICIT=127.0.0.1:$((base_port + 2))
FERRY_FTP_USER=ferry
FERRY_FTP_PASSWORD=ferry-secret
FERRY_FTP_HOME=$root/home
FERRY_FTP_ANON=$root/anon
FERRY_CA=$root/tls/ca.pem
FERRY_OTHER_CA=$root/tls/other.pem
FERRY_BIG_SHA256=$(cat "$root/big.sha256")
ENV
echo "vsftpd up on 127.0.0.1:$base_port-$((base_port + 2))"
