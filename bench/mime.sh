#!/usr/bin/env bash
# Benchmarks for mime-encode / mime-decode against coreutils base64, qprint and munpack, in one run.
# Usage: bench/mime.sh            (builds release binaries, installs hyperfine/qprint/mpack via apt if missing)
# Env:   CARGO_TARGET_DIR (default: target), MIME_BENCH_MB (codec input size, default 256), RUNS (default 5)
# Prints each hyperfine table, then the ratios the issue asks for. Not run in CI.
set -euo pipefail
cd "$(dirname "$0")/.."

target=${CARGO_TARGET_DIR:-target}
mb=${MIME_BENCH_MB:-256}
runs=${RUNS:-5}

need=()
command -v hyperfine >/dev/null || need+=(hyperfine)
command -v qprint >/dev/null || need+=(qprint)
command -v munpack >/dev/null || need+=(mpack)
[ -x /usr/bin/time ] || need+=(time)
if [ ${#need[@]} -gt 0 ]; then
    apt-get install -y "${need[@]}" >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y "${need[@]}" >/dev/null; }
fi

cargo build --release --bins --quiet
enc="$target/release/mime-encode"
dec="$target/release/mime-decode"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "inputs in $tmp (${mb} MiB codec inputs)"

head -c "$((mb << 20))" /dev/urandom >"$tmp/bin"
base64 "$tmp/bin" >"$tmp/bin.b64"
# Mostly-ASCII text with some UTF-8, trailing spaces and long lines: what quoted-printable is for.
python3 - "$tmp/text" "$mb" <<'PY'
import random, sys
random.seed(1)
words = ["the", "quick", "brown", "fox", "Grüße", "naïve", "café", "jumps", "over", "lazy", "dog", "=", "résumé", "x" * 90]
out = open(sys.argv[1], "w", encoding="utf-8")
target = int(sys.argv[2]) << 20
lines = []
for _ in range(20000):
    n = random.randint(0, 30)
    line = " ".join(random.choice(words) for _ in range(n))
    if random.random() < 0.1:
        line += "  "
    lines.append(line)
block = "\n".join(lines) + "\n"
size = 0
while size < target:
    out.write(block)
    size += len(block.encode())
PY
qprint -e "$tmp/text" "$tmp/text.qp"
# Let the kernel write the new files back before timing, so writeback does not compete with the runs.
sync

json() { hyperfine --warmup 1 --runs "$runs" -N --export-json "$tmp/$1.json" "${@:2}"; }
mean() { python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['results'][int(sys.argv[2])]['mean'])" "$tmp/$1.json" "$2"; }
# CPU time (user + system): ferry codes large files on two threads, so this is reported beside wall time.
cpu() { python3 -c "import json,sys; r = json.load(open(sys.argv[1]))['results'][int(sys.argv[2])]; print(r['user'] + r['system'])" "$tmp/$1.json" "$2"; }

json b64enc "base64 $tmp/bin --wrap=76" "$enc --lf $tmp/bin" --output=null
json b64dec "base64 -d $tmp/bin.b64" "$dec $tmp/bin.b64" --output=null
json qpenc "qprint -e $tmp/text" "$enc -e qp --lf $tmp/text" --output=null
json qpdec "qprint -d $tmp/text.qp" "$dec -e qp $tmp/text.qp" --output=null

# A 100 MiB base64 attachment in a ~142 MB message.
head -c $((100 << 20)) /dev/urandom >"$tmp/attachment.bin"
"$enc" --message --from a@example.org --to b@example.org --subject big --text "see attachment" \
    --attach "$tmp/attachment.bin" >"$tmp/big.eml"
echo "message: $(stat -c %s "$tmp/big.eml") bytes"
sync
# Not -N here: --prepare needs a shell.
hyperfine --warmup 1 --runs "$runs" --export-json "$tmp/extract.json" --prepare "rm -rf $tmp/x && mkdir $tmp/x" \
    "munpack -q -C $tmp/x $tmp/big.eml" \
    "$dec --extract $tmp/x $tmp/big.eml" --output=null
rm -rf "$tmp/x" && mkdir "$tmp/x"
/usr/bin/time -v "$dec" --extract "$tmp/x" "$tmp/big.eml" >/dev/null 2>"$tmp/time.txt"
cmp "$tmp/x/attachment.bin" "$tmp/attachment.bin" && echo "extracted attachment identical"
rss_kib=$(awk -F: '/Maximum resident set size/ {gsub(/ /, "", $2); print $2}' "$tmp/time.txt")
rm -rf "$tmp/x" && mkdir "$tmp/x"
/usr/bin/time -v munpack -q -C "$tmp/x" "$tmp/big.eml" >/dev/null 2>"$tmp/time2.txt" || true
rss_munpack=$(awk -F: '/Maximum resident set size/ {gsub(/ /, "", $2); print $2}' "$tmp/time2.txt")

ratio() { python3 -c "import sys; a, b = float(sys.argv[1]), float(sys.argv[2]); print(f'{a / b:.2f}')" "$1" "$2"; }
echo
echo "== ratios (same run; >1 means ferry is faster) =="
echo "base64 encode: $(ratio "$(mean b64enc 0)" "$(mean b64enc 1)")x coreutils base64   (want >= 3); CPU time $(ratio "$(cpu b64enc 0)" "$(cpu b64enc 1)")x"
echo "base64 decode: $(ratio "$(mean b64dec 0)" "$(mean b64dec 1)")x coreutils base64 -d (want >= 5); CPU time $(ratio "$(cpu b64dec 0)" "$(cpu b64dec 1)")x"
echo "QP encode:     $(ratio "$(mean qpenc 0)" "$(mean qpenc 1)")x qprint -e            (want >= 8); CPU time $(ratio "$(cpu qpenc 0)" "$(cpu qpenc 1)")x"
echo "QP decode:     $(ratio "$(mean qpdec 0)" "$(mean qpdec 1)")x qprint -d            (want >= 8); CPU time $(ratio "$(cpu qpdec 0)" "$(cpu qpdec 1)")x"
echo "extract 100 MiB attachment: ferry takes $(ratio "$(mean extract 1)" "$(mean extract 0)")x munpack's time (want <= 0.4)"
echo "peak RSS: mime-decode --extract $((rss_kib / 1024)) MiB (want <= 16), munpack $((rss_munpack / 1024)) MiB"
