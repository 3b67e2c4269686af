#!/usr/bin/env bash
# smtp-send vs msmtp vs curl against the loopback Postfix (tests/interop/start.sh postfix), in the same run:
#   1. 200 small messages, one process each (hyperfine --runs 200, mean per message);
#   2. one 50 MiB message (--runs 10).
# Each scenario over the submission port with STARTTLS and SASL PLAIN (the realistic setup) and over the
# plain port. Prints mean times and ratios (peer time / ferry time: >1 means ferry is faster) and peak RSS.
# Not a test: run it by hand, `bench/smtp-send.sh [SMALL_RUNS] [BIG_MIB]`. Delivered copies are removed.
set -euo pipefail
cd "$(dirname "$0")/.."
small_runs=${1:-200}
big_mib=${2:-50}
root=${FERRY_INTEROP_DIR:-/tmp/ferry-interop}
for p in hyperfine:hyperfine msmtp:msmtp curl:curl time:/usr/bin/time; do
  command -v "${p#*:}" >/dev/null || { apt-get update -qq && apt-get install -y -qq "${p%%:*}" >/dev/null; }
done
[ -f "$root/env.d/postfix" ] || tests/interop/start.sh dovecot postfix
# shellcheck disable=SC1091
. "$root/env.d/postfix"
cargo build --release -q --bin smtp-send
target_dir=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys;print(json.load(sys.stdin)["target_directory"])')
ferry=$target_dir/release/smtp-send

out=$(mktemp -d)
token="ferry-bench-$$-$(date +%s)"
trap 'rm -rf "$out"; grep -l -r --null "$token" "$FERRY_POSTFIX_MAILDIR/new" 2>/dev/null | xargs -0 -r rm -f' EXIT

small=$out/small.eml
printf 'From: ann@example.com\r\nTo: bob@example.org\r\nSubject: bench %s\r\nDate: Thu, 01 Jan 2026 00:00:00 +0000\r\nMessage-ID: <small.%s@bench>\r\n\r\n' "$token" "$token" > "$small"
for i in $(seq 1 20); do printf 'line %02d of a small message body, with some text to make it look real.\r\n' "$i"; done >> "$small"
big=$out/big.eml
printf 'From: ann@example.com\r\nTo: bob@example.org\r\nSubject: bench %s\r\nDate: Thu, 01 Jan 2026 00:00:00 +0000\r\nMessage-ID: <big.%s@bench>\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\n' "$token" "$token" > "$big"
head -c $((big_mib * 1048576 * 3 / 4)) /dev/urandom | base64 -w 76 | sed 's/$/\r/' >> "$big"

host=${FERRY_SMTP_SUBMISSION%:*} sub_port=${FERRY_SMTP_SUBMISSION#*:} plain_port=${FERRY_SMTP_PLAIN#*:}
cat > "$out/msmtprc" <<RC
defaults
auth on
user $FERRY_SMTP_USER
password $FERRY_SMTP_PASSWORD
tls_trust_file $FERRY_CA
account tls
host $host
port $sub_port
tls on
tls_starttls on
account plain
host $host
port $plain_port
auth off
tls off
RC
chmod 600 "$out/msmtprc"
export FERRY_PASSWORD=$FERRY_SMTP_PASSWORD

# commands for: mode (tls|plain), message file
f_cmd() {
  case $1 in
    tls) echo "$ferry -q smtp://$FERRY_SMTP_USER@$FERRY_SMTP_SUBMISSION --starttls --cacert $FERRY_CA --message $2 --to bob@example.org" ;;
    plain) echo "$ferry -q smtp://$FERRY_SMTP_PLAIN --message $2 --to bob@example.org" ;;
  esac
}
m_cmd() { echo "msmtp -C $out/msmtprc -a $1 -f ann@example.com bob@example.org < $2"; }
c_cmd() {
  case $1 in
    tls) echo "curl -s --url smtp://$FERRY_SMTP_SUBMISSION --ssl-reqd --cacert $FERRY_CA --user $FERRY_SMTP_USER:$FERRY_SMTP_PASSWORD --mail-from ann@example.com --mail-rcpt bob@example.org -T $2" ;;
    plain) echo "curl -s --url smtp://$FERRY_SMTP_PLAIN --mail-from ann@example.com --mail-rcpt bob@example.org -T $2" ;;
  esac
}

bench() { # label mode file runs
  local label=$1 mode=$2 file=$3 runs=$4
  hyperfine --warmup 2 --runs "$runs" --export-json "$out/$label.json" \
    -n ferry "$(f_cmd "$mode" "$file")" \
    -n msmtp "$(m_cmd "$mode" "$file")" \
    -n curl "$(c_cmd "$mode" "$file")" >/dev/null
  local rss=()
  for c in "$(f_cmd "$mode" "$file")" "$(m_cmd "$mode" "$file")" "$(c_cmd "$mode" "$file")"; do
    rss+=("$( { /usr/bin/time -f %M bash -c "$c" >/dev/null; } 2>&1 | tail -1)")
  done
  python3 - "$label" "$out/$label.json" "${rss[@]}" <<'PY'
import json, sys
label, path = sys.argv[1], sys.argv[2]
rss = [int(x) / 1024 for x in sys.argv[3:6]]
r = {x["command"]: x for x in json.load(open(path))["results"]}
f, m, c = (r[n]["mean"] for n in ("ferry", "msmtp", "curl"))
print(f"{label:12} ferry {f*1000:8.2f} ms  msmtp {m*1000:8.2f} ms  curl {c*1000:8.2f} ms  "
      f"ratio vs msmtp {m/f:5.2f}x  vs curl {c/f:5.2f}x  "
      f"peak RSS MiB ferry {rss[0]:.1f} msmtp {rss[1]:.1f} curl {rss[2]:.1f}")
PY
}
echo "smtp-send vs msmtp vs curl on 127.0.0.1 Postfix (ratio = peer mean time / ferry mean time; >1: ferry faster)"
bench "small-tls" tls "$small" "$small_runs"
bench "small-plain" plain "$small" "$small_runs"
bench "${big_mib}MiB-tls" tls "$big" 10
bench "${big_mib}MiB-plain" plain "$big" 10
