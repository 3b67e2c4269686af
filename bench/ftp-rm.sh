#!/usr/bin/env bash
# ftp-rm -r vs lftp's `rm -r` on a tree of FILES small files in 20 directories served by the loopback
# vsftpd (tests/interop/start.sh vsftpd, local user `ferry`), in the same hyperfine run: the tree is made
# again before every run (hyperfine --prepare), so each one removes all of it. Prints medians, ratios
# (ferry time / peer time: <= 1, ferry as fast or faster) and peak RSS.
# Not a test: `bench/ftp-rm.sh [FILES]` (RUNS=5).
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/race.sh
files=${1:-1000}
root=${FERRY_INTEROP_DIR:-/tmp/ferry-interop}
for p in hyperfine lftp; do command -v $p >/dev/null || apt-get install -y -qq hyperfine lftp >/dev/null; done
[ -x /usr/bin/time ] || apt-get install -y -qq time >/dev/null
[ -f "$root/env.d/vsftpd" ] || tests/interop/start.sh vsftpd
# shellcheck disable=SC1091
. "$root/env.d/vsftpd"
cargo build --release -q --bin ftp-rm
ferry=${CARGO_TARGET_DIR:-$PWD/target}/release/ftp-rm
src=$(mktemp -d)
tree=$FERRY_FTP_HOME/bench-rm
trap 'rm -rf "$src" "$tree"' EXIT
for i in $(seq 0 $((files - 1))); do
  mkdir -p "$src/d$((i % 20))"
  head -c $((i % 4096 + 1)) /dev/urandom > "$src/d$((i % 20))/f$i.bin"
done
prepare="rm -rf $tree && cp -r $src $tree && chown -R ferry: $tree"
sh -c "$prepare"
"$ferry" -r "ftp://ferry:$FERRY_FTP_PASSWORD@$FERRY_FTP_PLAIN/bench-rm/"
[ ! -e "$tree" ] || { echo "ftp-rm left $tree"; exit 1; }
echo "rm -r of $files files in 20 directories on vsftpd $FERRY_FTP_PLAIN (ratio = ferry time / peer time)"
race "rm -r" "$prepare" \
  ferry "$ferry -r ftp://ferry:$FERRY_FTP_PASSWORD@$FERRY_FTP_PLAIN/bench-rm/" \
  lftp "lftp -c 'set ftp:ssl-allow no; open -u ferry,$FERRY_FTP_PASSWORD ftp://$FERRY_FTP_PLAIN; rm -r bench-rm'"
