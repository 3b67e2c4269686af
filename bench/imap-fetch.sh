#!/usr/bin/env bash
# imap-fetch vs mbsync (to a Maildir) and a curl loop (one `imap://…/INBOX;UID=n` per message): fetch the
# 1000 messages of a seeded INBOX from the loopback Dovecot (tests/interop/start.sh dovecot), in the same
# run. Prints the mean times and the ratios (other tool's time / ferry's time; > 1 means ferry is faster).
# Not a test: run it by hand, `bench/imap-fetch.sh [MESSAGES]`.
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
cargo build --release -q --bins
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

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
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
cat > "$out/curl-loop.sh" <<EOF
#!/bin/sh
mkdir -p $out/c
i=1
while [ \$i -le $n ]; do
  curl -s -o $out/c/\$i "imap://$user:$pass@$FERRY_IMAP/INBOX;UID=\$i" || exit 1
  i=\$((i + 1))
done
EOF
chmod +x "$out/curl-loop.sh"
printf '#!/bin/sh\nrm -rf %s/f %s/m && mkdir -p %s/m\n' "$out" "$out" "$out" > "$out/prepare.sh"
chmod +x "$out/prepare.sh"

echo "imap-fetch vs mbsync vs a curl loop: $n messages ($size) from Dovecot on $FERRY_IMAP, into a Maildir"
hyperfine -N --warmup 1 --runs 5 --export-json "$out/fast.json" \
  --prepare "$out/prepare.sh" \
  -n imap-fetch "$ferry -q $url --maildir $out/f" \
  -n mbsync "mbsync -q -c $out/mbsyncrc bench"
hyperfine --warmup 0 --runs 2 --export-json "$out/curl.json" \
  --prepare "rm -rf $out/c" \
  -n curl-loop "$out/curl-loop.sh"
"$ferry" -q "$url" --maildir "$out/check"
test "$(ls "$out/check/new" | wc -l)" = "$n" || { echo "imap-fetch stored $(ls "$out/check/new" | wc -l) messages, not $n"; exit 1; }
rm -rf "$out/m" && mkdir -p "$out/m" && mbsync -q -c "$out/mbsyncrc" bench
test "$(ls "$out/m/INBOX/new" "$out/m/INBOX/cur" | grep -vc ':$' )" -ge "$n" || { echo "mbsync stored too few"; exit 1; }
python3 - "$out/fast.json" "$out/curl.json" <<'PY'
import json, sys
fast = {r["command"]: r["mean"] for r in json.load(open(sys.argv[1]))["results"]}
curl = json.load(open(sys.argv[2]))["results"][0]["mean"]
f, m = fast["imap-fetch"], fast["mbsync"]
print(f"imap-fetch {f:.3f} s   mbsync {m:.3f} s   curl loop {curl:.3f} s")
print(f"ratio vs mbsync    {m / f:.2f}x (target >= 1.0)")
print(f"ratio vs curl loop {curl / f:.2f}x (target >= 20)")
PY
