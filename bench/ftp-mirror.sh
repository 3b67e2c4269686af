#!/usr/bin/env bash
# ftp-get -R vs lftp mirror: a tree of 1000 small files from the loopback vsftpd (tests/interop/start.sh
# vsftpd, local user `ferry`), one session each, then ferry --parallel 4 against lftp's single session
# and lftp mirror --parallel=4. Prints time ratios (lftp time / ferry time; >1 means ferry is faster).
# Not a test: run it by hand, `bench/ftp-mirror.sh [FILES] [RUNS]`.
set -euo pipefail
cd "$(dirname "$0")/.."
files=${1:-1000}
runs=${2:-10}
root=${FERRY_INTEROP_DIR:-/tmp/ferry-interop}
for p in hyperfine lftp; do command -v $p >/dev/null || { apt-get update -qq && apt-get install -y -qq hyperfine lftp >/dev/null; }; done
[ -f "$root/env.d/vsftpd" ] || tests/interop/start.sh vsftpd
# shellcheck disable=SC1091
. "$root/env.d/vsftpd"
cargo build --release -q --bins
ferry=${CARGO_TARGET_DIR:-$PWD/target}/release/ftp-get

remote=$FERRY_FTP_HOME/bench-mirror
out=$(mktemp -d)
trap 'rm -rf "$out" "$remote"' EXIT
rm -rf "$remote"
for i in $(seq 0 $((files - 1))); do
  d=$remote/tree/d$((i % 20))
  mkdir -p "$d"
  head -c $((i % 4096 + 1)) /dev/urandom > "$d/f$i.bin"
done
chown -R ferry: "$remote"
url="ftp://ferry:$FERRY_FTP_PASSWORD@$FERRY_FTP_PLAIN/bench-mirror/tree/"
lftp_cmd() { # parallel
  echo "lftp -c 'set ftp:ssl-allow no; set net:max-retries 1; open -u ferry,$FERRY_FTP_PASSWORD ftp://$FERRY_FTP_PLAIN; mirror --parallel=$1 bench-mirror/tree $out/l/tree'"
}
hyperfine --warmup 1 --runs "$runs" --export-json "$out/m.json" \
  --prepare "rm -rf $out/f $out/l; mkdir -p $out/l" \
  -n "ferry -R" "$ferry -q -R -O $out/f $url" \
  -n "ferry -R --parallel 4" "$ferry -q -R --parallel 4 -O $out/f $url" \
  -n "lftp mirror" "$(lftp_cmd 1)" \
  -n "lftp mirror --parallel=4" "$(lftp_cmd 4)" >/dev/null
# Both copies must be complete.
rm -rf "$out/f" "$out/l"; mkdir -p "$out/l"
"$ferry" -q -R --parallel 4 -O "$out/f" "$url"
eval "$(lftp_cmd 1)"
diff -r "$remote/tree" "$out/f/tree" >/dev/null || { echo "ferry's mirror differs!"; exit 1; }
diff -r "$remote/tree" "$out/l/tree" >/dev/null || { echo "lftp's mirror differs!"; exit 1; }
python3 - "$out/m.json" "$files" <<'PY'
import json, sys
r = {x["command"]: x["mean"] for x in json.load(open(sys.argv[1]))["results"]}
n = sys.argv[2]
f1, f4, l1, l4 = r["ferry -R"], r["ferry -R --parallel 4"], r["lftp mirror"], r["lftp mirror --parallel=4"]
print(f"mirror of {n} small files from vsftpd on 127.0.0.1 (ratio = lftp time / ferry time)")
print(f"one session:       ferry {f1:6.3f} s  lftp {l1:6.3f} s  ratio {l1/f1:5.2f}x")
print(f"ferry --parallel 4 {f4:6.3f} s  vs lftp one session: ratio {l1/f4:5.2f}x  vs lftp --parallel=4 {l4:6.3f} s: ratio {l4/f4:5.2f}x")
PY
