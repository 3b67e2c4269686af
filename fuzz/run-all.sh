#!/bin/sh
# Runs every fuzz target for N seconds (default 60), one after the other, and prints one line per
# target: its name, the seconds it ran, libFuzzer's execution count and whether it found a crash.
# Crashing inputs stay in fuzz/artifacts/<target>/; copy them to fuzz/regressions/<target>/ so that
# `cargo test` replays them. New corpus entries go to fuzz/corpus/<target>/ (ignored by git); the
# hand-written starting inputs are in fuzz/seeds/<target>/. Usage: fuzz/run-all.sh [N] [target...]
set -u
cd "$(dirname "$0")"
n=${1:-60}
[ $# -gt 0 ] && shift
targets=${*:-$(cargo fuzz list)}
export RUSTC_BOOTSTRAP=1 # cargo-fuzz needs -Z flags; the toolchain here is stable
cargo fuzz build -O >/dev/null 2>&1 || { echo "cargo fuzz build failed" >&2; exit 2; }
printf '%-16s %6s %12s %s\n' target seconds execs result
status=0
for t in $targets; do
    mkdir -p "corpus/$t"
    log=$(mktemp)
    start=$(date +%s)
    cargo fuzz run -O "$t" "corpus/$t" "seeds/$t" -- -max_total_time="$n" -rss_limit_mb=2048 \
        -timeout=10 -print_final_stats=1 >"$log" 2>&1
    rc=$?
    secs=$(( $(date +%s) - start ))
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    [ -n "$execs" ] || execs=$(grep -o '^#[0-9]*' "$log" | tail -1 | tr -d '#')
    if [ $rc -eq 0 ]; then
        result="no crash"
    else
        result="CRASH: $(grep -m1 -o 'artifacts/[^ ]*' "$log" || echo "exit $rc, see $log")"
        status=1
    fi
    printf '%-16s %6s %12s %s\n' "$t" "$secs" "${execs:-?}" "$result"
    [ $rc -eq 0 ] && rm -f "$log"
done
exit $status
