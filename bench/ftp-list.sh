#!/usr/bin/env bash
# Issue 19 row "FTP LIST of 10 000 entries, names only": ftp-ls vs curl -l (NLST), ncftpls and lftp nlist
# on one directory of ENTRIES files served by the loopback vsftpd, in the same hyperfine run. Prints
# medians, ratios (ferry time / peer time) and peak RSS. Not a test: `bench/ftp-list.sh [ENTRIES]` (RUNS=10).
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/race.sh
n=${1:-10000}
RUNS=${RUNS:-10}
root=${FERRY_INTEROP_DIR:-/tmp/ferry-interop}
for p in hyperfine lftp curl ncftpls; do
  command -v $p >/dev/null || apt-get install -y -qq hyperfine lftp curl ncftp >/dev/null
done
[ -x /usr/bin/time ] || apt-get install -y -qq time >/dev/null
[ -f "$root/env.d/vsftpd" ] || tests/interop/start.sh vsftpd
# shellcheck disable=SC1091
. "$root/env.d/vsftpd"
# FERRY_BIN_DIR: run the binaries there instead of building; FERRY_BEFORE_DIR: also race an older build
# of the same tool (named ferry-before) for a before/after table from one run.
if [ -n "${FERRY_BIN_DIR:-}" ]; then ferry=$FERRY_BIN_DIR/ftp-ls; else
  cargo build --release -q --bin ftp-ls
  ferry=${CARGO_TARGET_DIR:-$PWD/target}/release/ftp-ls
fi
before=${FERRY_BEFORE_DIR:+$FERRY_BEFORE_DIR/ftp-ls}
dir=$root/anon/pub/bench-list-$n
if [ "$(find "$dir" -type f 2>/dev/null | wc -l)" != "$n" ]; then
  rm -rf "$dir" && mkdir -p "$dir"
  (cd "$dir" && seq -f "file-%06g.dat" 1 "$n" | xargs touch)
fi
url=ftp://$FERRY_FTP_PLAIN/pub/bench-list-$n/
test "$("$ferry" -q "$url" | wc -l)" = "$n" || { echo "ftp-ls lists $("$ferry" -q "$url" | wc -l), not $n"; exit 1; }
echo "names of $n entries from vsftpd on $FERRY_FTP_PLAIN (ratio = ferry time / peer time; <=1: ferry as fast or faster)"
extra=()
[ -z "$before" ] || extra=(ferry-before "$before -q $url")
race "names only" true \
  ferry "$ferry -q $url" "${extra[@]}" \
  curl "curl -s -l $url" \
  ncftpls "ncftpls $url" \
  lftp "lftp -c 'set ftp:ssl-allow no; open ftp://$FERRY_FTP_PLAIN; nlist /pub/bench-list-$n/'"
