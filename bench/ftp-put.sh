#!/usr/bin/env bash
# ftp-put vs curl -T: a 1 GiB upload to the loopback vsftpd (tests/interop/start.sh vsftpd, local user
# `ferry`), plain and explicit FTPS with session reuse, in the same run. Prints throughput ratios
# (ferry / curl; >1 means ferry is faster) and peak RSS. Not a test: run it by hand,
# `bench/ftp-put.sh [SIZE_MIB] [RUNS]`.
set -euo pipefail
cd "$(dirname "$0")/.."
size_mib=${1:-1024}
runs=${2:-5}
root=${FERRY_INTEROP_DIR:-/tmp/ferry-interop}
for p in hyperfine curl; do command -v $p >/dev/null || { apt-get update -qq && apt-get install -y -qq hyperfine curl >/dev/null; }; done
[ -x /usr/bin/time ] || apt-get install -y -qq time >/dev/null
[ -f "$root/env.d/vsftpd" ] || tests/interop/start.sh vsftpd
# shellcheck disable=SC1091
. "$root/env.d/vsftpd"
cargo build --release -q --bins
ferry=${CARGO_TARGET_DIR:-$PWD/target}/release/ftp-put

src=$(mktemp -d)
remote=$FERRY_FTP_HOME/bench-put
trap 'rm -rf "$src" "$remote"' EXIT
mkdir -p "$remote" && chown ferry: "$remote"
head -c $((size_mib * 1048576)) /dev/urandom > "$src/up.bin"
auth="ferry:$FERRY_FTP_PASSWORD"

bench() { # label ferry-args curl-args host
  local label=$1 fargs=$2 cargs=$3 host=$4
  local fu="ftp://$auth@$host/bench-put/f.bin" cu="ftp://$auth@$host/bench-put/c.bin"
  # sync: the previous upload's dirty pages are flushed before each run, not during the next one. Both
  # orders are measured and averaged: on a busy loopback whichever tool runs first is measurably slower.
  local order
  for order in fc cf; do
    local a=(-n ferry "$ferry -q $fargs $src/up.bin $fu") b=(-n curl "curl -s $cargs -T $src/up.bin $cu")
    if [ $order = cf ]; then local t=("${a[@]}"); a=("${b[@]}"); b=("${t[@]}"); fi
    hyperfine -N --warmup 1 --runs "$runs" --prepare sync --export-json "$src/$label-$order.json" \
      "${a[@]}" "${b[@]}" >/dev/null
  done
  cmp -s "$remote/f.bin" "$src/up.bin" || { echo "ferry's upload differs!"; exit 1; }
  cmp -s "$remote/c.bin" "$src/up.bin" || { echo "curl's upload differs!"; exit 1; }
  local rss_f rss_c
  # shellcheck disable=SC2086
  rss_f=$(/usr/bin/time -f %M "$ferry" -q $fargs "$src/up.bin" "$fu" 2>&1 >/dev/null | tail -1)
  # shellcheck disable=SC2086
  rss_c=$(/usr/bin/time -f %M curl -s $cargs -T "$src/up.bin" "$cu" 2>&1 >/dev/null | tail -1)
  python3 - "$label" "$src/$label" "$rss_f" "$rss_c" "$size_mib" <<'PY'
import json, sys
label, base, rf, rc, mib = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
means = {}
for order in ("fc", "cf"):
    for r in json.load(open(f"{base}-{order}.json"))["results"]:
        means.setdefault(r["command"], []).append(r["mean"])
f, c = (sum(means[k]) / len(means[k]) for k in ("ferry", "curl"))
print(f"{label:6} ferry {mib/f:8.0f} MiB/s  curl {mib/c:8.0f} MiB/s  ratio {c/f:5.2f}x  "
      f"peak RSS ferry {rf/1024:5.1f} MiB  curl {rc/1024:5.1f} MiB")
PY
}
echo "ftp-put vs curl -T, $size_mib MiB to vsftpd on 127.0.0.1, $runs runs (ratio = ferry throughput / curl throughput)"
bench plain "" "" "$FERRY_FTP_PLAIN"
bench ftps "--starttls --cacert $FERRY_CA" "--ssl-reqd --cacert $FERRY_CA" "$FERRY_FTP_EXPLICIT"
