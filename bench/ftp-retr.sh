#!/usr/bin/env bash
# Issue 19 row "FTP RETR 1 GiB, plain": ftp-get vs lftp, curl, wget and ncftpget downloading one file
# from the loopback vsftpd (tests/interop/start.sh vsftpd), in the same hyperfine run, to /dev/null, to a
# file on tmpfs (/dev/shm) and to a file on disk (/var/tmp). ferry's file is durable (fsync + rename) and
# size-checked; the peers' are not. Prints medians, ratios (ferry time / peer time) and peak RSS.
# Not a test: `bench/ftp-retr.sh [SIZE_MIB]` (RUNS=5 by default; PIN=1: server and clients on separate
# cores, see race.sh; WHERE="null tmpfs disk durable" picks the rows).
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/race.sh
size_mib=${1:-1024}
root=${FERRY_INTEROP_DIR:-/tmp/ferry-interop}
for p in hyperfine lftp curl wget ncftpget; do
  command -v $p >/dev/null || apt-get install -y -qq hyperfine lftp curl wget ncftp >/dev/null
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
url=ftp://$FERRY_FTP_PLAIN/pub/$file
host=${FERRY_FTP_PLAIN%:*} port=${FERRY_FTP_PLAIN##*:}
lftp_get() { echo "lftp -c 'set ftp:ssl-allow no; set xfer:clobber on; open ftp://$FERRY_FTP_PLAIN; get /pub/$file -o $1'"; }

echo "FTP RETR $size_mib MiB from vsftpd on $FERRY_FTP_PLAIN${PIN:+, server on CPU 0 and clients on CPU 1} (ratio = ferry time / peer time; <=1: ferry as fast or faster)"
was() { [ -z "$before" ] || printf '%s\0%s\0' ferry-before "$before $1"; }
trap 'unpin_server; rm -rf /dev/shm/ferry-bench-retr /var/tmp/ferry-bench-retr' EXIT
pin_server vsftpd-plain.conf
wanted() { case " ${WHERE:-null tmpfs disk durable} " in *" $1 "*) return 0 ;; esac; return 1; }
if wanted null; then
  mapfile -d '' extra < <(was "-q $url -o /dev/null")
  race "to /dev/null" true \
    ferry "$ferry -q $url -o /dev/null" "${extra[@]}" \
    lftp "$(lftp_get /dev/null)" \
    curl "curl -s $url -o /dev/null" \
    wget "wget -q $url -O /dev/null" \
    ncftpget "ncftpget -P $port -c $host /pub/$file >/dev/null"
fi
# durable: the disk row again at the same guarantee, each peer followed by `sync FILE` (an fsync of the
# file it wrote), since ferry's file is on the disk when it exits and the peers' is only in the page cache.
for where in tmpfs disk durable; do
  wanted $where || continue
  dir=/dev/shm/ferry-bench-retr; [ $where = tmpfs ] || dir=/var/tmp/ferry-bench-retr
  then=; [ $where = durable ] && then=" && sync $dir/$file"
  mkdir -p "$dir"
  out=$dir/$file
  mapfile -d '' extra < <(was "-q $url -o $out")
  race "to a file on $where ($dir)${then:+, peers then sync FILE}" "rm -f $dir/* $dir/.*.ferry-tmp; sync" \
    ferry "$ferry -q $url -o $out" "${extra[@]}" \
    lftp${then:++sync} "$(lftp_get "$out")$then" \
    curl${then:++sync} "curl -s $url -o $out$then" \
    wget${then:++sync} "wget -q $url -O $out$then" \
    ncftpget${then:++sync} "ncftpget -P $port $host $dir /pub/$file$then"
  cmp -s "$out" "$root/anon/pub/$file" || { echo "the last copy differs!"; exit 1; }
  "$ferry" -q "$url" -o "$out" && cmp -s "$out" "$root/anon/pub/$file" || { echo "ferry's copy differs!"; exit 1; }
  rm -rf "$dir"
done
