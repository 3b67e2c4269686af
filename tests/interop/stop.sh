#!/usr/bin/env bash
# Stops the servers start.sh started.
root=${FERRY_INTEROP_DIR:-/tmp/ferry-interop}
for f in "$root"/run/*.pid; do
  [ -e "$f" ] || continue
  kill "$(cat "$f")" 2>/dev/null || true
  rm -f "$f"
done
rm -f "$root/env"
