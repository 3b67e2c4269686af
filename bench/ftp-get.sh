#!/usr/bin/env bash
# ftp-get vs curl: a 1 GiB download from the loopback vsftpd (tests/interop/start.sh), plain and explicit
# FTPS with session reuse, in the same run. Prints throughput ratios (ferry / curl; >1 means ferry is
# faster) and peak RSS. Not a test: run it by hand, `bench/ftp-get.sh [SIZE_MIB]`.
set -euo pipefail
cd "$(dirname "$0")/.."
size_mib=${1:-1024}
root=${FERRY_INTEROP_DIR:-/tmp/ferry-interop}
for p in hyperfine curl; do command -v $p >/dev/null || { apt-get update -qq && apt-get install -y -qq hyperfine curl time >/dev/null; }; done
[ -x /usr/bin/time ] || apt-get install -y -qq time >/dev/null
[ -f "$root/env.d/vsftpd" ] || tests/interop/start.sh vsftpd
# shellcheck disable=SC1091
. "$root/env.d/vsftpd"
cargo build --release -q --bins
ferry=${CARGO_TARGET_DIR:-$PWD/target}/release/ftp-get

file=bench-$size_mib.bin
if [ "$(stat -c %s "$root/anon/pub/$file" 2>/dev/null || echo 0)" != $((size_mib * 1048576)) ]; then
  head -c $((size_mib * 1048576)) /dev/urandom > "$root/anon/pub/$file"
fi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

bench() { # label ferry-args curl-args
  local label=$1 fargs=$2 cargs=$3
  hyperfine -N --warmup 1 --runs 5 --export-json "$out/$label.json" \
    -n ferry "$ferry -q $fargs -o $out/f.bin" \
    -n curl "curl -s $cargs -o $out/c.bin" >/dev/null
  local f c
  f=$(python3 -c "import json;d=json.load(open('$out/$label.json'));print(d['results'][0]['mean'])")
  c=$(python3 -c "import json;d=json.load(open('$out/$label.json'));print(d['results'][1]['mean'])")
  cmp -s "$out/f.bin" "$root/anon/pub/$file" || { echo "ferry's copy differs!"; exit 1; }
  local rss_f rss_c
  rss_f=$(/usr/bin/time -f %M "$ferry" -q $fargs -o "$out/f.bin" 2>&1 >/dev/null | tail -1)
  rss_c=$(/usr/bin/time -f %M curl -s $cargs -o "$out/c.bin" 2>&1 >/dev/null | tail -1)
  python3 - "$label" "$f" "$c" "$rss_f" "$rss_c" "$size_mib" <<'PY'
import sys
label, f, c, rf, rc, mib = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
print(f"{label:6} ferry {mib/f:8.0f} MiB/s  curl {mib/c:8.0f} MiB/s  ratio {c/f:5.2f}x  "
      f"peak RSS ferry {rf/1024:5.1f} MiB  curl {rc/1024:5.1f} MiB")
PY
}
echo "ftp-get vs curl, $size_mib MiB from vsftpd on 127.0.0.1 (ratio = ferry throughput / curl throughput)"
bench plain "ftp://$FERRY_FTP_PLAIN/pub/$file" "ftp://$FERRY_FTP_PLAIN/pub/$file"
bench ftps "--starttls --cacert $FERRY_CA ftp://$FERRY_FTP_EXPLICIT/pub/$file" \
  "--ssl-reqd --cacert $FERRY_CA ftp://$FERRY_FTP_EXPLICIT/pub/$file"
