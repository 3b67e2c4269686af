#!/usr/bin/env bash
# Starts the real-server interop environment on 127.0.0.1: three vsftpd instances (plain, explicit FTPS with
# require_ssl_reuse=YES, implicit FTPS), a test CA and server certificate, anonymous and local-user trees.
# Installs the Debian packages it needs when they are missing. Writes $FERRY_INTEROP_DIR/env, which the
# interop tests read; `stop.sh` ends the servers. Idempotent: a second run restarts the servers.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=${FERRY_INTEROP_DIR:-/tmp/ferry-interop}
base_port=${FERRY_INTEROP_PORT:-22100}

need=()
command -v vsftpd >/dev/null || [ -x /usr/sbin/vsftpd ] || need+=(vsftpd)
command -v openssl >/dev/null || need+=(openssl)
command -v useradd >/dev/null || need+=(passwd)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then echo "start.sh: need root to install ${need[*]}" >&2; exit 1; fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq "${need[@]}" >/dev/null
fi
[ "$(id -u)" = 0 ] || { echo "start.sh: vsftpd must be started as root" >&2; exit 1; }

"$here/stop.sh" >/dev/null 2>&1 || true
mkdir -p "$root"/{anon/pub,empty,log,tls,run,conf}
chmod 755 "$root" "$root/anon" "$root/empty"

# A test CA and a server certificate for 127.0.0.1 / localhost.
if [ ! -s "$root/tls/server.pem" ]; then
  (
    cd "$root/tls"
    openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=ferry test CA" \
      -keyout ca.key -out ca.pem -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
    openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" -keyout server.key -out server.csr 2>/dev/null
    printf 'basicConstraints=CA:FALSE\nsubjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n' > ext.cnf
    openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 3650 -extfile ext.cnf -out server.pem 2>/dev/null
    # A second, unrelated CA: trusting only it must make verification fail.
    openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=other CA" -keyout other.key -out other.pem 2>/dev/null
  )
fi

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
  local conf=$root/conf/$name.conf
  sed -e "s#@ROOT@#$root#g" -e "s#@NAME@#$name#g" -e "s#@PASV_MIN@#$pmin#g" -e "s#@PASV_MAX@#$((pmin + 49))#g" \
    "$here/vsftpd/common.conf" > "$conf"
  echo "listen_port=$port" >> "$conf"
  if [ -n "$extra" ]; then sed -e "s#@ROOT@#$root#g" "$here/vsftpd/$extra" >> "$conf"; fi
  chmod 600 "$conf"
  /usr/sbin/vsftpd "$conf" > "$root/log/$name.out" 2>&1 &
  echo $! > "$root/run/$name.pid"
}
start plain "$base_port" "" $((base_port + 100))
start explicit $((base_port + 1)) explicit.conf $((base_port + 200))
start implicit $((base_port + 2)) implicit.conf $((base_port + 300))

# Wait until each answers.
for p in "$base_port" $((base_port + 1)) $((base_port + 2)); do
  for _ in $(seq 1 50); do
    if (exec 3<>/dev/tcp/127.0.0.1/$p) 2>/dev/null; then break; fi
    sleep 0.1
  done
  (exec 3<>/dev/tcp/127.0.0.1/$p) 2>/dev/null || { echo "start.sh: vsftpd on port $p did not start" >&2; cat "$root"/log/*.out >&2; exit 1; }
done

cat > "$root/env" <<ENV
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
echo "interop servers up; settings in $root/env"
