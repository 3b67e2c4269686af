#!/usr/bin/env bash
# ProFTPD on 127.0.0.1 (plain FTP): the server with MLSD, MFMT, SITE UTIME and HASH that vsftpd lacks,
# for the mirror's change detection (issue 14). One local user `ferry` (password ferry-secret, from a
# password file, home $root/proftpd-home).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../lib.sh
. "$here/../lib.sh"
port=$((${FERRY_INTEROP_PORT:-22100} + 10))
pasv_min=$((${FERRY_INTEROP_PORT:-22100} + 400))
need openssl:openssl passwd:useradd
# proftpd-core conflicts with vsftpd (both provide ftp-server), so it is unpacked under $root, not installed;
# only the libraries it links are installed.
pkg=$root/proftpd-pkg
if [ ! -x "$pkg/usr/sbin/proftpd" ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  tmp=$(mktemp -d)
  (cd "$tmp" && apt-get download -qq proftpd-core >/dev/null 2>&1)
  deb=$(echo "$tmp"/proftpd-core_*.deb)
  # shellcheck disable=SC2046
  apt-get install -y -qq $(dpkg-deb -f "$deb" Depends | tr ',' '\n' | sed -e 's/(.*)//' -e 's/|.*//' -e 's/ //g' |
    grep -E '^(lib|zlib)') >/dev/null
  rm -rf "$pkg"
  dpkg -x "$deb" "$pkg"
  rm -rf "$tmp"
fi
stop_server proftpd
mkdir -p "$root"/{conf,run/proftpd,proftpd-home}
if ! id ferry >/dev/null 2>&1; then
  useradd -M -d "$root/home" -s /bin/bash ferry
fi
uid=$(id -u ferry) gid=$(id -g ferry)
home=$root/proftpd-home
chown ferry: "$home"
printf 'ferry:%s:%s:%s::%s:/bin/bash\n' "$(openssl passwd -6 ferry-secret)" "$uid" "$gid" "$home" \
  > "$root/conf/proftpd.passwd"
printf 'ferry:x:%s:\n' "$gid" > "$root/conf/proftpd.group"
chmod 600 "$root/conf/proftpd.passwd" "$root/conf/proftpd.group"
conf=$root/conf/proftpd.conf
sed -e "s#@ROOT@#$root#g" -e "s#@PKG@#$pkg#g" -e "s#@PORT@#$port#g" -e "s#@PASV_MIN@#$pasv_min#g" \
  -e "s#@PASV_MAX@#$((pasv_min + 49))#g" -e "s#@PORT2@#$((port + 1))#g" \
  -e "s#@PASV_MIN2@#$((pasv_min + 50))#g" -e "s#@PASV_MAX2@#$((pasv_min + 99))#g" \
  "$here/proftpd.conf" > "$conf"
chmod 600 "$conf"
run_bg proftpd "$pkg/usr/sbin/proftpd" --nodaemon --config "$conf"
wait_port proftpd "$port" "$((port + 1))"

cat > "$root/env.d/proftpd" <<ENV
FERRY_PROFTPD=127.0.0.1:$port
FERRY_PROFTPD_LINKS_AS_TARGETS=127.0.0.1:$((port + 1))
FERRY_PROFTPD_HOME=$home
ENV
echo "proftpd up on 127.0.0.1:$port"
