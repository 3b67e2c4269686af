#!/usr/bin/env bash
# imap-fetch vs mbsync, both into a Maildir: fetch the N messages (default 1000) of a seeded INBOX from the
# loopback Dovecot (tests/interop/start.sh dovecot), in the same hyperfine run, once with the Maildir on
# tmpfs (/dev/shm) and once on disk (under $TMPDIR, else /var/tmp). Prints the median times, the ratio
# ferry time / mbsync time (<= 1.0 means ferry is faster) and the peak RSS of one separate run of each.
# CURL=1 adds a curl loop (one `imap://…/INBOX;UID=n` per message; slow, so off by default).
# FERRY_BASE_BIN=DIR adds DIR/imap-fetch (an earlier build) to the same runs, as "before".
# Not a test: run it by hand, `bench/imap-fetch.sh [MESSAGES]`. The machine is shared: timings are noisy.
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-1000}
root=${FERRY_INTEROP_DIR:-/tmp/ferry-interop}
for p in hyperfine curl mbsync; do
  command -v $p >/dev/null || { apt-get update -qq && apt-get install -y -qq hyperfine curl isync >/dev/null; }
done
[ -f "$root/env.d/dovecot" ] || tests/interop/start.sh dovecot
# shellcheck disable=SC1091
. "$root/env.d/dovecot"
cargo build --release -q --bin imap-fetch
ferry=${CARGO_TARGET_DIR:-$PWD/target}/release/imap-fetch

user=imap-bench pass=imap-bench-pw home=$FERRY_DOVECOT_MAIL/imap-bench
if [ "$(ls "$home/Maildir/new" "$home/Maildir/cur" 2>/dev/null | grep -c seed || true)" != "$n" ]; then
  rm -rf "$home"
  mkdir -p "$home/Maildir/new" "$home/Maildir/cur" "$home/Maildir/tmp"
  python3 - "$home/Maildir/new" "$n" <<'PY'
import sys, base64, random
d, n = sys.argv[1], int(sys.argv[2])
rnd = random.Random(7)
for i in range(n):
    body = "\n".join(rnd.choice(["Lorem ipsum dolor sit amet,", "consectetur adipiscing elit", "Grüße"]) * 2
                     for _ in range(rnd.randint(5, 80)))
    if i % 4 == 3:
        att = base64.encodebytes(bytes(rnd.getrandbits(8) for _ in range(rnd.randint(2000, 40000)))).decode()
        body = (f"--b\nContent-Type: text/plain\n\n{body}\n--b\nContent-Type: application/octet-stream\n"
                f"Content-Transfer-Encoding: base64\n\n{att}--b--\n")
        ctype = 'multipart/mixed; boundary="b"'
    else:
        ctype = "text/plain; charset=utf-8"
    with open(f"{d}/{i:05}.seed", "w") as f:
        f.write(f"From: bench@example.org\nTo: you@example.org\nSubject: message {i}\n"
                f"Message-ID: <{i}@bench>\nMIME-Version: 1.0\nContent-Type: {ctype}\n\n{body}\n")
PY
  chown -R "$FERRY_DOVECOT_UID:$FERRY_DOVECOT_GID" "$home"
fi
echo "$user:{PLAIN}$pass::::$home::" > "$FERRY_DOVECOT_USERS_DIR/$user"
url="imap://$user:$pass@$FERRY_IMAP/INBOX"
"$ferry" -q "$url" --search 'UID 1' >/dev/null 2>&1 || { echo "Dovecot refuses $user" >&2; exit 1; }
size=$(du -sh "$home/Maildir/new" "$home/Maildir/cur" 2>/dev/null | awk '{print $1}' | paste -sd+)

work=$(mktemp -d)
shm=/dev/shm/ferry-imap-bench.$$
disk=$(mktemp -d "${TMPDIR:-/var/tmp}/ferry-imap-bench.XXXXXX")
trap 'rm -rf "$work" "$shm" "$disk"' EXIT
mkdir -p "$shm"
host=${FERRY_IMAP%:*} port=${FERRY_IMAP##*:}
echo "imap-fetch vs mbsync: $n messages ($size) from Dovecot on $FERRY_IMAP, into a Maildir"
for place in tmpfs disk; do
  if [ $place = tmpfs ]; then out=$shm; else out=$disk; fi
  cat > "$out/mbsyncrc" <<EOF
IMAPAccount bench
Host $host
Port $port
User $user
Pass $pass
TLSType None
AuthMechs LOGIN PLAIN

IMAPStore remote
Account bench

MaildirStore local
Path $out/m/
Inbox $out/m/INBOX

Channel bench
Far :remote:INBOX
Near :local:INBOX
Sync Pull
Create Near
SyncState *
EOF
  # mbsync 1.4 spells TLSType as SSLType.
  mbsync -v --version 2>/dev/null | grep -q ' 1\.[0-4]' && sed -i 's/^TLSType/SSLType/' "$out/mbsyncrc"
  prep=$work/prepare-$place.sh
  printf '#!/bin/sh\nrm -rf "%s/f" "%s/b" "%s/m" "%s/c" && mkdir -p "%s/m"\n' "$out" "$out" "$out" "$out" "$out" \
    > "$prep"
  chmod +x "$prep"
  extra=()
  if [ -n "${FERRY_BASE_BIN:-}" ]; then
    extra+=(-n imap-fetch-before "$FERRY_BASE_BIN/imap-fetch -q $url --maildir $out/b")
  fi
  if [ -n "${CURL:-}" ]; then
    cat > "$work/curl-loop.sh" <<EOF
#!/bin/sh
mkdir -p "\$1/c"
i=1
while [ \$i -le $n ]; do
  curl -s -o "\$1/c/\$i" "imap://$user:$pass@$FERRY_IMAP/INBOX;UID=\$i" || exit 1
  i=\$((i + 1))
done
EOF
    chmod +x "$work/curl-loop.sh"
    extra+=(-n curl-loop "$work/curl-loop.sh $out")
  fi
  echo "== $place ($out)"
  hyperfine -N --warmup 1 --runs "${RUNS:-5}" --export-json "$work/$place.json" --prepare "$prep" \
    -n imap-fetch "$ferry -q $url --maildir $out/f" \
    -n mbsync "mbsync -q -c $out/mbsyncrc bench" "${extra[@]}"
  # Peak RSS (KiB): one separate run of each, since hyperfine does not measure it.
  "$prep"
  rss_f=$(/usr/bin/time -f %M "$ferry" -q "$url" --maildir "$out/f" 2>&1 >/dev/null | tail -1)
  rss_m=$(/usr/bin/time -f %M mbsync -q -c "$out/mbsyncrc" bench 2>&1 >/dev/null | tail -1)
  got=$(find "$out/f/new" -type f | wc -l)
  test "$got" = "$n" || { echo "imap-fetch stored $got messages, not $n" >&2; exit 1; }
  got=$(find "$out/m/INBOX/new" "$out/m/INBOX/cur" -type f | wc -l)
  test "$got" -ge "$n" || { echo "mbsync stored $got messages, not $n" >&2; exit 1; }
  echo "$rss_f $rss_m" > "$work/$place.rss"
done
python3 - "$work" <<'PY'
import json, sys
w = sys.argv[1]
print()
print("| place | imap-fetch | mbsync | ferry / mbsync | before (/ mbsync) | RSS ferry | RSS mbsync |")
print("|---|---|---|---|---|---|---|")
for place in ["tmpfs", "disk"]:
    r = {x["command"]: x["median"] for x in json.load(open(f"{w}/{place}.json"))["results"]}
    rf, rm = open(f"{w}/{place}.rss").read().split()
    f, m = r["imap-fetch"], r["mbsync"]
    b = r.get("imap-fetch-before")
    before = f"{b:.3f} s ({b / m:.2f}x)" if b else "-"
    curl = f" curl loop {r['curl-loop']:.3f} s" if "curl-loop" in r else ""
    print(f"| {place} | {f:.3f} s | {m:.3f} s | {f / m:.2f}x | {before} | {int(rf) / 1024:.1f} MiB "
          f"| {int(rm) / 1024:.1f} MiB |{curl}")
PY
