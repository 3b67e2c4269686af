#!/usr/bin/env bash
# Shared by the throughput benches (issue 19): `race LABEL PREPARE NAME CMD [NAME CMD]...` runs every
# command in ONE hyperfine run (so the machine's load is the same for all), the first one being ferry,
# (through a shell, so redirections work; hyperfine subtracts its start-up), then once more each under
# /usr/bin/time for the peak RSS, and prints one line per command: median time, the ratio ferry time /
# this command's time (<= 1: ferry is as fast or faster) and peak RSS, then ferry / the fastest peer and
# one markdown table row. Sourced, not run.
# RUNS (default 5) sets the runs per command; the machine is shared, so only same-run ratios count.
# PIN=1 gives each side its own core, as when the server is another machine: the calling script pins the
# server with `pin_server PATTERN` (to CPU 0, undone by `unpin_server`) and race runs every client on
# CPU 1. Unpinned, client and server share the 2 cores as the scheduler places them.
pinned_pids=()
pin_server() {
  [ -n "${PIN:-}" ] || return 0
  local pid
  for pid in $(pgrep -f "$1"); do
    taskset -p 1 "$pid" >/dev/null && pinned_pids+=("$pid")
  done
}
unpin_server() {
  local pid all
  all=$(printf '%x' $(( (1 << $(nproc --all)) - 1 )))
  for pid in "${pinned_pids[@]}"; do taskset -p "$all" "$pid" >/dev/null 2>&1 || true; done
  pinned_pids=()
}
race() {
  local label=$1 prepare=$2
  shift 2
  local args=() names=() cmds=()
  local pin=
  [ -z "${PIN:-}" ] || pin="taskset -c 1 "
  while [ $# -gt 0 ]; do
    names+=("$1") cmds+=("$pin$2")
    args+=(-n "$1" "$pin$2")
    shift 2
  done
  local json
  json=$(mktemp)
  hyperfine --warmup 1 --runs "${RUNS:-5}" --prepare "$prepare" --export-json "$json" "${args[@]}" >/dev/null
  local rss=() i
  for i in "${!cmds[@]}"; do
    sh -c "$prepare" >/dev/null 2>&1
    # Through sh like hyperfine (quoted arguments, redirections); exec so the peak is the tool's own.
    /usr/bin/time -f %M -o "$json.rss" sh -c "exec ${cmds[$i]}" >/dev/null 2>&1 || true
    rss+=("$(tail -1 "$json.rss")")
  done
  python3 - "$json" "$label" "${rss[@]}" <<'PY'
import json, sys
res = json.load(open(sys.argv[1]))["results"]
label, rss = sys.argv[2], sys.argv[3:]
ferry = res[0]["median"]
print(f"{label}")
for r, m in zip(res, rss):
    kib = int(m) if m.isdigit() else 0
    print(f"  {r['command']:12} median {r['median']:8.3f} s  (min {r['min']:.3f})  ferry/this {ferry / r['median']:5.2f}x"
          f"  peak RSS {kib / 1024:6.1f} MiB")
# Other ferry builds (ferry-before) are not peers.
peers_res = [(r, m) for r, m in zip(res[1:], rss[1:]) if not r["command"].startswith("ferry")]
best = min((r for r, _ in peers_res), key=lambda r: r["median"]) if peers_res else None
if best:
    print(f"  => ferry / fastest peer ({best['command']}) time: {ferry / best['median']:.2f}x (<= 1.00 is the goal)")
    peers = ", ".join(f"{r['command']} {r['median']:.3f} s ({int(m) / 1024 if m.isdigit() else 0:.1f} MiB)"
                      for r, m in peers_res)
    for r in res[1:]:
        if r["command"].startswith("ferry"):
            print(f"  => {r['command']} / fastest peer time: {r['median'] / best['median']:.2f}x")
    fr = int(rss[0]) / 1024 if rss[0].isdigit() else 0
    print(f"  | {label} | {ferry:.3f} s ({fr:.1f} MiB) | {peers} | {ferry / best['median']:.2f}x |")
PY
  rm -f "$json" "$json.rss"
}
