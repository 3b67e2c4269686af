#!/usr/bin/env bash
# Issue 19 row "FTP STOR 1 GiB, plain": ftp-put vs ncftpput, curl -T and lftp put uploading one file to the
# loopback vsftpd (tests/interop/start.sh vsftpd, local user `ferry`), in the same hyperfine run, the
# source on tmpfs (/dev/shm) and on disk (/var/tmp). ferry uploads to a temporary name, checks the size and
# renames (the peers write the final name directly). `sync` before every run flushes the previous
# upload's pages so it does not slow the next. Prints medians, ratios (ferry time / peer time) and peak RSS.
# Not a test: `bench/ftp-stor.sh [SIZE_MIB]` (RUNS=5 by default).
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/race.sh
size_mib=${1:-1024}
root=${FERRY_INTEROP_DIR:-/tmp/ferry-interop}
for p in hyperfine lftp curl ncftpput; do
  command -v $p >/dev/null || apt-get install -y -qq hyperfine lftp curl ncftp >/dev/null
done
[ -x /usr/bin/time ] || apt-get install -y -qq time >/dev/null
[ -f "$root/env.d/vsftpd" ] || tests/interop/start.sh vsftpd
# shellcheck disable=SC1091
. "$root/env.d/vsftpd"
# FERRY_BIN_DIR: run the binaries there instead of building; FERRY_BEFORE_DIR: also race an older build
# of the same tool (named ferry-before) for a before/after table from one run.
if [ -n "${FERRY_BIN_DIR:-}" ]; then ferry=$FERRY_BIN_DIR/ftp-put; else
  cargo build --release -q --bin ftp-put
  ferry=${CARGO_TARGET_DIR:-$PWD/target}/release/ftp-put
fi
before=${FERRY_BEFORE_DIR:+$FERRY_BEFORE_DIR/ftp-put}
remote=$FERRY_FTP_HOME/bench-stor
mkdir -p "$remote" && chown ferry: "$remote"
trap 'rm -rf "$remote" /dev/shm/ferry-bench-stor /var/tmp/ferry-bench-stor' EXIT
host=${FERRY_FTP_PLAIN%:*} port=${FERRY_FTP_PLAIN##*:} pw=$FERRY_FTP_PASSWORD
url="ftp://ferry:$pw@$FERRY_FTP_PLAIN/bench-stor"

echo "FTP STOR $size_mib MiB to vsftpd on $FERRY_FTP_PLAIN (ratio = ferry time / peer time; <=1: ferry as fast or faster)"
for where in tmpfs disk; do
  dir=/dev/shm/ferry-bench-stor; [ $where = disk ] && dir=/var/tmp/ferry-bench-stor
  mkdir -p "$dir"
  src=$dir/up.bin
  head -c $((size_mib * 1048576)) /dev/urandom > "$src"
  sync
  extra=()
  [ -z "$before" ] || extra=(ferry-before "$before -q $src $url/b.bin")
  race "source on $where ($dir)" "rm -f $remote/*; sync" \
    ferry "$ferry -q $src $url/f.bin" "${extra[@]}" \
    ncftpput "ncftpput -u ferry -p $pw -P $port $host bench-stor $src" \
    curl "curl -s -T $src $url/c.bin" \
    lftp "lftp -c 'set ftp:ssl-allow no; open -u ferry,$pw ftp://$FERRY_FTP_PLAIN; put $src -o bench-stor/l.bin'"
  "$ferry" -q "$src" "$url/f.bin" && cmp -s "$remote/f.bin" "$src" || { echo "ferry's upload differs!"; exit 1; }
  rm -rf "$dir"
done
