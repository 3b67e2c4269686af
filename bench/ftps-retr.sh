#!/usr/bin/env bash
# Issue 19 row "FTPS RETR 1 GiB": ftp-get --starttls vs wget, lftp and curl --ssl-reqd downloading one
# file from the loopback vsftpd over explicit FTPS (PROT P, TLS session reuse on the data connection), in
# the same hyperfine run, to /dev/null, to tmpfs and to disk. Prints medians, ratios (ferry time / peer time)
# and peak RSS. Not a test: `bench/ftps-retr.sh [SIZE_MIB]` (RUNS=5 by default; PIN=1: server and clients
# on separate cores, see race.sh; WHERE="tmpfs disk" picks the rows: null tmpfs disk durable).
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/race.sh
size_mib=${1:-1024}
root=${FERRY_INTEROP_DIR:-/tmp/ferry-interop}
for p in hyperfine lftp curl wget; do
  command -v $p >/dev/null || apt-get install -y -qq hyperfine lftp curl wget >/dev/null
done
[ -x /usr/bin/time ] || apt-get install -y -qq time >/dev/null
[ -f "$root/env.d/vsftpd" ] || tests/interop/start.sh vsftpd
# shellcheck disable=SC1091
. "$root/env.d/vsftpd"
# FERRY_BIN_DIR: run the binaries there instead of building; FERRY_BEFORE_DIR: also race an older build
# of the same tool (named ferry-before) for a before/after table from one run.
if [ -n "${FERRY_BIN_DIR:-}" ]; then ferry=$FERRY_BIN_DIR/ftp-get; else
  cargo build --release -q --bin ftp-get
  ferry=${CARGO_TARGET_DIR:-$PWD/target}/release/ftp-get
fi
before=${FERRY_BEFORE_DIR:+$FERRY_BEFORE_DIR/ftp-get}
file=bench-$size_mib.bin
if [ "$(stat -c %s "$root/anon/pub/$file" 2>/dev/null || echo 0)" != $((size_mib * 1048576)) ]; then
  head -c $((size_mib * 1048576)) /dev/urandom > "$root/anon/pub/$file"
fi
url=ftp://$FERRY_FTP_EXPLICIT/pub/$file
lftp_get() {
  echo "lftp -c 'set xfer:clobber on; set ssl:ca-file $FERRY_CA; set ftp:ssl-force yes; set ftp:ssl-allow-anonymous yes; set ftp:ssl-protect-data yes; open ftp://$FERRY_FTP_EXPLICIT; get /pub/$file -o $1'"
}
trap 'unpin_server; rm -rf /dev/shm/ferry-bench-ftps /var/tmp/ferry-bench-ftps' EXIT
pin_server vsftpd-explicit.conf
echo "FTPS RETR $size_mib MiB from vsftpd on $FERRY_FTP_EXPLICIT${PIN:+, server on CPU 0 and clients on CPU 1} (ratio = ferry time / peer time; <=1: ferry as fast or faster)"
# durable: the disk row again at the same guarantee, each peer followed by `sync FILE` (an fsync of the
# file it wrote), since ferry's file is on the disk when it exits and the peers' is only in the page cache.
for where in ${WHERE:-null tmpfs disk durable}; do
  then=
  case $where in
    null) out=/dev/null prep=true ;;
    tmpfs) mkdir -p /dev/shm/ferry-bench-ftps; out=/dev/shm/ferry-bench-ftps/$file prep="rm -f /dev/shm/ferry-bench-ftps/*; sync" ;;
    disk | durable)
      mkdir -p /var/tmp/ferry-bench-ftps; out=/var/tmp/ferry-bench-ftps/$file prep="rm -f /var/tmp/ferry-bench-ftps/*; sync"
      [ $where = disk ] || then=" && sync $out" ;;
  esac
  extra=()
  [ -z "$before" ] || extra=(ferry-before "$before -q --starttls --cacert $FERRY_CA $url -o $out")
  race "to $out${then:+ (peers then sync FILE)}" "$prep" \
    ferry "$ferry -q --starttls --cacert $FERRY_CA $url -o $out" "${extra[@]}" \
    wget${then:++sync} "wget -q --ca-certificate=$FERRY_CA ftps://$FERRY_FTP_EXPLICIT/pub/$file -O $out$then" \
    lftp${then:++sync} "$(lftp_get "$out")$then" \
    curl${then:++sync} "curl -s --ssl-reqd --cacert $FERRY_CA $url -o $out$then"
done
