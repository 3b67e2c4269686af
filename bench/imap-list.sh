#!/usr/bin/env bash
# imap-fetch --list vs curl's raw FETCH (`curl imap://…/INBOX -X 'UID FETCH 1:* ENVELOPE'`): list the
# envelopes of the N messages (default 1000) of a seeded INBOX of the loopback Dovecot
# (tests/interop/start.sh dovecot), in the same hyperfine run; ferry's text listing (FLAGS, INTERNALDATE,
# RFC822.SIZE, ENVELOPE, decoded and escaped) and its --json (also BODYSTRUCTURE). curl prints the raw
# responses undecoded. Prints the median times and the ratios (curl's time / ferry's; > 1 means ferry is
# faster; curl exits 56 on Dovecot's large untagged output, so failures are ignored (-i)). Not a test: run it by hand, `bench/imap-list.sh [MESSAGES]`. The machine is shared: timings
# are noisy.
# FERRY_BASE_BIN=DIR adds DIR/imap-fetch (an earlier build) to the same run, as "before".
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-1000}
root=${FERRY_INTEROP_DIR:-/tmp/ferry-interop}
for p in hyperfine curl; do
  command -v $p >/dev/null || { apt-get update -qq && apt-get install -y -qq hyperfine curl >/dev/null; }
done
[ -f "$root/env.d/dovecot" ] || tests/interop/start.sh dovecot
# shellcheck disable=SC1091
. "$root/env.d/dovecot"
cargo build --release -q --bin imap-message --bin imap-mailbox --bin imap-fetch
bin=${CARGO_TARGET_DIR:-$PWD/target}/release

user=imap-bench-list pass=imap-bench-list-pw home=$FERRY_DOVECOT_MAIL/imap-bench-list
if [ "$(ls "$home/Maildir/new" "$home/Maildir/cur" 2>/dev/null | grep -c seed || true)" != "$n" ]; then
  rm -rf "$home"
  mkdir -p "$home/Maildir/new" "$home/Maildir/cur" "$home/Maildir/tmp"
  python3 - "$home/Maildir/new" "$n" <<'PY'
import sys, random
d, n = sys.argv[1], int(sys.argv[2])
rnd = random.Random(7)
for i in range(n):
    body = "\n".join(rnd.choice(["Lorem ipsum dolor sit amet,", "Grüße"]) for _ in range(rnd.randint(5, 40)))
    subj = "=?UTF-8?Q?Gr=C3=BC=C3=9Fe?= %d" % i if i % 2 else "message %d" % i
    with open(f"{d}/{i:05}.seed", "w") as f:
        f.write(f"From: Bench {i} <bench{i}@example.org>\nTo: you@example.org\nCc: a@b.example, c@d.example\n"
                f"Subject: {subj}\nDate: Mon, 1 Jan 2024 10:00:00 +0000\nMessage-ID: <{i}@bench>\n"
                f"MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=b\n\n--b\n"
                f"Content-Type: text/plain; charset=utf-8\n\n{body}\n--b\nContent-Type: application/pdf; name=a{i}.pdf\n"
                f"Content-Transfer-Encoding: base64\n\nAAAA\n--b--\n")
PY
  chown -R "$FERRY_DOVECOT_UID:$FERRY_DOVECOT_GID" "$home"
fi
echo "$user:{PLAIN}$pass::::$home::" > "$FERRY_DOVECOT_USERS_DIR/$user"
url="imap://$user:$pass@$FERRY_IMAP/INBOX"
lines=$("$bin/imap-fetch" -q "$url" --list | wc -l)
test "$lines" = "$n" || { echo "imap-fetch --list printed $lines lines, not $n" >&2; exit 1; }

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
before=()
if [ -n "${FERRY_BASE_BIN:-}" ]; then
  before=(-n list-before "$FERRY_BASE_BIN/imap-fetch -q $url --list"
          -n list-json-before "$FERRY_BASE_BIN/imap-fetch -q $url --list --json")
fi
echo "imap-fetch --list vs curl UID FETCH ENVELOPE: $n messages in Dovecot on $FERRY_IMAP"
hyperfine -N -i --warmup 1 --runs "${RUNS:-10}" --export-json "$out/r.json" \
  -n list "$bin/imap-fetch -q $url --list" \
  -n list-json "$bin/imap-fetch -q $url --list --json" \
  -n curl "curl -s $url -X 'UID FETCH 1:* ENVELOPE'" "${before[@]}"
python3 - "$out/r.json" <<'PY'
import json, sys
r = {x["command"]: x["median"] for x in json.load(open(sys.argv[1]))["results"]}
l, j, c = r["list"], r["list-json"], r["curl"]
print(f"imap-fetch --list {l*1000:.1f} ms   --list --json {j*1000:.1f} ms   curl {c*1000:.1f} ms")
print(f"ratio curl / --list        {c / l:.2f}x")
print(f"ratio curl / --list --json {c / j:.2f}x")
if "list-before" in r:
    print(f"before: --list {r['list-before']*1000:.1f} ms   --list --json {r['list-json-before']*1000:.1f} ms")
PY
