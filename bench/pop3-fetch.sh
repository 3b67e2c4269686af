#!/usr/bin/env bash
# pop3-fetch vs fetchmail and getmail_fetch: 1000 messages fetched (and kept) from the loopback Dovecot
# (tests/interop/start.sh dovecot) over plain POP3, in the same run. Each tool delivers the way it is
# normally used: ferry and getmail into a Maildir (fsync per message), fetchmail through an MDA (it has no
# Maildir writer). A second comparison gives ferry and fetchmail the same MDA. Prints the ratios
# (peer time / ferry time; >1 means ferry is faster). Not a test: run by hand, `bench/pop3-fetch.sh [N]`.
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-1000}
root=${FERRY_INTEROP_DIR:-/tmp/ferry-interop}
for p in hyperfine fetchmail getmail_fetch; do
  command -v $p >/dev/null || { apt-get update -qq && apt-get install -y -qq hyperfine fetchmail getmail6 >/dev/null; }
done
[ -f "$root/env.d/dovecot" ] || tests/interop/dovecot/start.sh
set -a
# shellcheck disable=SC1091
. "$root/env.d/dovecot"
set +a
cargo build --release -q --bin pop3-fetch
ferry=${CARGO_TARGET_DIR:-$PWD/target}/release/pop3-fetch

# A user of its own with N seeded messages (2-8 KiB each, some with dot lines).
user=pop-bench
pass=pop-bench-secret
home=$FERRY_DOVECOT_MAIL/$user
echo "$user:{PLAIN}$pass::::$home::" > "$FERRY_DOVECOT_USERS_DIR/$user"
if [ "$(ls "$home/Maildir/cur" "$home/Maildir/new" 2>/dev/null | grep -c seed || true)" != "$n" ]; then
  rm -rf "$home"
  mkdir -p "$home/Maildir/new" "$home/Maildir/cur" "$home/Maildir/tmp"
  python3 - "$home/Maildir/new" "$n" <<'PY'
import sys, random
d, n = sys.argv[1], int(sys.argv[2])
r = random.Random(1)
for i in range(n):
    body = "".join(("." if r.random() < 0.05 else "") + "x" * r.randint(20, 76) + "\n" for _ in range(r.randint(30, 100)))
    msg = f"From: s{i}@example.org\nTo: {i}@example.org\nSubject: bench {i}\nMessage-ID: <{i}@bench>\n\n{body}"
    open(f"{d}/{1000000 + i}.seed{i}.bench", "w").write(msg)
PY
  chown -R "$FERRY_DOVECOT_UID:$FERRY_DOVECOT_GID" "$home"
fi
host=${FERRY_POP3%:*}
port=${FERRY_POP3##*:}

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
chmod 755 "$out"
mkdir -p "$out/g"
cat > "$out/fetchmailrc" <<RC
set no syslog
poll $host port $port proto pop3 user "$user" password "$pass" keep fetchall sslproto ''
RC
chmod 600 "$out/fetchmailrc"
# The shared MDA: one file per message, like a Maildir delivery without fsync.
mda=$out/mda.sh
printf '#!/bin/sh\nexec cat > "$(mktemp %s/mda/XXXXXXXX)"\n' "$out" > "$mda"
chmod 755 "$mda"
export FERRY_PASSWORD=$pass FETCHMAILHOME=$out
# getmail 6 has a SIGCHLD race (a child reaped before it waits) that stalls a delivery until its timeout
# and fails the run (exit 12): it gets -t 10, its failures are ignored and medians are compared.
# getmail refuses to deliver as root: it runs as Dovecot's mail user, into a directory that user owns.
getmail="getmail_fetch"
if [ "$(id -u)" = 0 ]; then getmail="setpriv --reuid=$FERRY_DOVECOT_UID --regid=$FERRY_DOVECOT_GID --clear-groups getmail_fetch"; fi
mkg="mkdir -p $out/g/new $out/g/cur $out/g/tmp && chown -R $FERRY_DOVECOT_UID:$FERRY_DOVECOT_GID $out/g"

hyperfine --warmup 1 --runs 5 --export-json "$out/native.json" \
  --prepare "rm -rf $out/f $out/g $out/mda; mkdir -p $out/mda; $mkg" \
  -n ferry "$ferry -q pop3://$user@$host:$port --maildir $out/f" \
  -n fetchmail "fetchmail -s -f $out/fetchmailrc --mda $mda" \
  -n getmail_fetch "$getmail -q -t 10 -p $port $host $user $pass $out/g/ || true" >/dev/null
hyperfine --warmup 1 --runs 5 --export-json "$out/mda.json" \
  --prepare "rm -rf $out/mda; mkdir -p $out/mda" \
  -n ferry "$ferry -q pop3://$user@$host:$port --mda $mda" \
  -n fetchmail "fetchmail -s -f $out/fetchmailrc --mda $mda" >/dev/null

# Sanity: every tool got every message.
rm -rf "$out/f" "$out/g" "$out/mda"; sh -c "$mkg"
"$ferry" -q "pop3://$user@$host:$port" --maildir "$out/f"
[ "$(ls "$out/f/new" | wc -l)" = "$n" ] || { echo "ferry stored $(ls "$out/f/new" | wc -l) of $n"; exit 1; }

python3 - "$out" "$n" <<'PY'
import json, sys
out, n = sys.argv[1], sys.argv[2]
def means(f):
    return {r["command"]: r["median"] for r in json.load(open(f"{out}/{f}"))["results"]}
a = means("native.json")
print(f"{n} messages kept, POP3 on 127.0.0.1 (median of 5; ratio = peer time / ferry time)")
print(f"  native delivery: ferry --maildir {a['ferry']:.3f} s, fetchmail --mda {a['fetchmail']:.3f} s, "
      f"getmail_fetch Maildir {a['getmail_fetch']:.3f} s")
print(f"    ferry vs fetchmail {a['fetchmail']/a['ferry']:.2f}x, vs getmail_fetch {a['getmail_fetch']/a['ferry']:.2f}x")
b = means("mda.json")
print(f"  same MDA: ferry {b['ferry']:.3f} s, fetchmail {b['fetchmail']:.3f} s: {b['fetchmail']/b['ferry']:.2f}x")
PY
