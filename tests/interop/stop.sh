#!/usr/bin/env bash
# Stops the servers start.sh started (all, or only the ones named).
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"
servers=("$@")
if [ ${#servers[@]} -eq 0 ]; then
  for d in "$root"/run/*/; do [ -d "$d" ] && servers+=("$(basename "$d")"); done
fi
for s in "${servers[@]}"; do
  if [ -x "$here/$s/stop.sh" ]; then "$here/$s/stop.sh"; fi
  stop_server "$s"
done
