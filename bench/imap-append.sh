#!/usr/bin/env bash
# imap-message append vs mbsync pushing a Maildir vs a curl loop (`curl -T FILE imap://…/MBOX`, one process
# per message): upload the same N messages (default 1000) into a fresh mailbox of the loopback Dovecot
# (tests/interop/start.sh dovecot), all three in the same hyperfine run. Each command's --prepare deletes
# and recreates its mailbox (and gives mbsync a fresh copy of the Maildir, since it renames what it
# pushed). Prints the median times and the ratios (other tool's time / ferry's time; > 1 means ferry is
# faster). Not a test: run it by hand, `bench/imap-append.sh [MESSAGES]`. The machine is shared: timings
# are noisy. FERRY_BASE_BIN=DIR adds DIR/imap-message (an earlier build) to the same run, as "before".
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-1000}
runs=${RUNS:-3}
root=${FERRY_INTEROP_DIR:-/tmp/ferry-interop}
for p in hyperfine curl mbsync; do
  command -v $p >/dev/null || { apt-get update -qq && apt-get install -y -qq hyperfine curl isync >/dev/null; }
done
[ -f "$root/env.d/dovecot" ] || tests/interop/start.sh dovecot
# shellcheck disable=SC1091
. "$root/env.d/dovecot"
cargo build --release -q --bin imap-message --bin imap-mailbox --bin imap-fetch
bin=${CARGO_TARGET_DIR:-$PWD/target}/release

user=imap-bench-append pass=imap-bench-append-pw home=$FERRY_DOVECOT_MAIL/imap-bench-append
mkdir -p "$home/Maildir/new" "$home/Maildir/cur" "$home/Maildir/tmp"
chown -R "$FERRY_DOVECOT_UID:$FERRY_DOVECOT_GID" "$home"
echo "$user:{PLAIN}$pass::::$home::" > "$FERRY_DOVECOT_USERS_DIR/$user"
base="imap://$user:$pass@$FERRY_IMAP"
"$bin/imap-mailbox" -q "$base" list >/dev/null || { echo "Dovecot refuses $user" >&2; exit 1; }

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
mkdir -p "$out/seed/cur" "$out/seed/new" "$out/seed/tmp"
python3 - "$out/seed/cur" "$n" <<'PY'
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
    with open(f"{d}/{i:05}.bench.host:2,S", "w") as f:
        f.write(f"From: bench@example.org\nTo: you@example.org\nSubject: message {i}\n"
                f"Message-ID: <{i}@bench>\nMIME-Version: 1.0\nContent-Type: {ctype}\n\n{body}\n")
PY
size=$(du -sh "$out/seed" | awk '{print $1}')
host=${FERRY_IMAP%:*} port=${FERRY_IMAP##*:}
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
Path $out/mb/
Inbox $out/mb/INBOX

Channel bench
Far :remote:Bench-mbsync
Near :local:INBOX
Sync Push
Create Far
SyncState *
EOF
mbsync -v --version 2>/dev/null | grep -q ' 1\.[0-4]' && sed -i 's/^TLSType/SSLType/' "$out/mbsyncrc"
cat > "$out/curl-loop.sh" <<EOF
#!/bin/sh
for f in $out/seed/cur/*; do
  curl -s -T "\$f" "$base/Bench-curl" || exit 1
done
EOF
base_bin=${FERRY_BASE_BIN:-}
tools="ferry mbsync curl${base_bin:+ base}"
for t in $tools; do
  printf '#!/bin/sh\n%s -q %s delete Bench-%s 2>/dev/null; %s -q %s create Bench-%s\n' \
    "$bin/imap-mailbox" "$base" "$t" "$bin/imap-mailbox" "$base" "$t" > "$out/prepare-$t.sh"
done
echo "rm -rf $out/mb && mkdir -p $out/mb && cp -a $out/seed $out/mb/INBOX" >> "$out/prepare-mbsync.sh"
chmod +x "$out"/*.sh
before=()
[ -n "$base_bin" ] && before=(--prepare "$out/prepare-base.sh" -n before "$base_bin/imap-message -q $base/Bench-base append $out/seed")

echo "imap-message append vs mbsync (push) vs a curl -T loop: $n messages ($size) into Dovecot on $FERRY_IMAP"
hyperfine -N --warmup 0 --runs "$runs" --export-json "$out/r.json" \
  --prepare "$out/prepare-ferry.sh" -n imap-message "$bin/imap-message -q $base/Bench-ferry append $out/seed" \
  --prepare "$out/prepare-mbsync.sh" -n mbsync "mbsync -q -c $out/mbsyncrc bench" \
  --prepare "$out/prepare-curl.sh" -n curl-loop "$out/curl-loop.sh" "${before[@]}"
for t in $tools; do
  got=$("$bin/imap-mailbox" -q "$base" status "Bench-$t" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["messages"])')
  test "$got" = "$n" || { echo "Bench-$t holds $got messages, not $n" >&2; exit 1; }
done
python3 - "$out/r.json" <<'PY'
import json, sys
r = {x["command"]: x["median"] for x in json.load(open(sys.argv[1]))["results"]}
f, m, c = r["imap-message"], r["mbsync"], r["curl-loop"]
print(f"imap-message {f:.3f} s   mbsync {m:.3f} s   curl loop {c:.3f} s")
print(f"ratio vs mbsync    {m / f:.2f}x")
print(f"ratio vs curl loop {c / f:.2f}x")
if "before" in r:
    print(f"before (FERRY_BASE_BIN) {r['before']:.3f} s   speed-up {r['before'] / f:.2f}x")
PY
