#!/usr/bin/env bash
# A few big files with `--parallel 4` against a server that caps each session's rate, as many hosting
# servers do (vsftpd's local_max_rate): ferry's `ftp-get -R --parallel 4` / `ftp-put -R --parallel 4`
# vs lftp's `mirror --parallel=4` / `mirror -R --parallel=4`, first runs (the target emptied before each).
# With a per-session cap, the run's time is how soon each file gets a session of its own: four files,
# four sessions from the start, finish in one file's time.
# Prints the times and the ratios lftp time / ferry time (>1: ferry is faster), all from this run.
# Not a test: `bench/ftp-parallel-big.sh [FILES] [MB] [RATE_PER_SESSION] [RUNS]` (default 4 files of
# 8 MB, 8 MB/s per session, 3 runs). Needs the interop vsftpd's settings (tests/interop/start.sh
# vsftpd; started here when missing); its own vsftpd listens on 127.0.0.1:22160.
set -euo pipefail
cd "$(dirname "$0")/.."

files=${1:-4}
mb=${2:-8}
rate=${3:-8000000}
runs=${4:-3}
# shellcheck source=bench/lib/vsftpd.sh
. bench/lib/vsftpd.sh
bench_prepare
# shellcheck disable=SC1091
. "$root/env.d/vsftpd"
base=$FERRY_FTP_HOME/bench-big
work=$(mktemp -d)
trap 'bench_vsftpd_stop; rm -rf "$work" "$base"' EXIT
bench_vsftpd vsftpd-big 22160 22560 22599 "local_max_rate=$rate"
cargo build --release -q --bins
bin=${CARGO_TARGET_DIR:-$PWD/target}/release

rm -rf "$base"
mkdir -p "$base/src" "$base/put" "$work/src"
for i in $(seq 1 "$files"); do head -c $((mb * 1000000)) /dev/urandom > "$work/src/f$i"; done
cp "$work/src"/* "$base/src/"
chown -R ferry: "$base"
url="ftp://ferry:$FERRY_FTP_PASSWORD@127.0.0.1:22160"
lftp_c() { echo "lftp -c 'set ftp:ssl-allow no; set net:max-retries 1; open -u ferry,$FERRY_FTP_PASSWORD ftp://127.0.0.1:22160; mirror $*'"; }
bench() { # name prepare command
  hyperfine --runs "$runs" --prepare "$2" --export-json "$work/$1.json" -n "$1" "$3" >/dev/null
}
bench get-ferry "rm -rf $work/get-ferry" "$bin/ftp-get -q -R --parallel 4 -O $work/get-ferry $url/bench-big/src/"
bench get-lftp "rm -rf $work/get-lftp" "$(lftp_c --parallel=4 bench-big/src "$work/get-lftp/src")"
bench put-ferry "rm -rf $base/put/ferry" "$bin/ftp-put -q -R --mkdirs --parallel 4 $work/src $url/bench-big/put/ferry/"
bench put-lftp "rm -rf $base/put/lftp" "$(lftp_c -R --parallel=4 "$work/src" bench-big/put/lftp/src)"
diff -r "$work/src" "$work/get-ferry/src" && diff -r "$work/src" "$work/get-lftp/src"
diff -r "$work/src" "$base/put/ferry/src" && diff -r "$work/src" "$base/put/lftp/src"

python3 - "$work" "$files" "$mb" "$rate" "$runs" <<'PY'
import json, sys
work, files, mb, rate, runs = sys.argv[1:]
def med(name):
    return json.load(open(f"{work}/{name}.json"))["results"][0]["median"]
print(f"{files} files of {mb} MB, vsftpd on 127.0.0.1 capped at {int(rate) / 1e6:g} MB/s per session, "
      f"--parallel 4, median of {runs} runs (ratio = lftp time / ferry time; >1: ferry is faster)")
for d, what in (("get", "download: ftp-get -R vs lftp mirror"), ("put", "upload: ftp-put -R vs lftp mirror -R")):
    f, l = med(f"{d}-ferry"), med(f"{d}-lftp")
    print(f"  {what:40} ferry {f:6.2f} s lftp {l:6.2f} s ratio {l / f:5.2f}x")
PY
