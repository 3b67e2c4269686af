#!/usr/bin/env bash
# A second, private Postfix instance as the mail exchangers of smtp-send --mx (the DNS is
# tests/interop/dns): port 25 of 127.0.0.2 (mx1.mx.test), 127.0.0.3 (mx2.mx.test) and 127.0.0.1 (localhost,
# the name in the test certificate, for --tls verify). STARTTLS offered everywhere (smtpd_tls_security_level
# = may) with the interop test certificate. mx1 answers 450 for every recipient of fallback.test, so mx2
# takes those. Each listener stamps the message with X-Ferry-Exchanger: mx1|mx2|local (a PREPEND access
# action); everything is delivered by virtual(8) into the one catch-all Maildir FERRY_MX_MAILDIR.
# Separate from tests/interop/postfix so that restarting one never disturbs the other's tests.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../lib.sh
. "$here/../lib.sh"
port=${FERRY_MX_PORT:-25}
need postfix:postfix
make_ca
id ferry >/dev/null 2>&1 || useradd -M -d "$root/home" -s /bin/bash ferry
uid=$(id -u ferry) gid=$(id -g ferry)

"$here/stop.sh" || true
stop_server mx
p=$root/postfix-mx
rm -rf "$p/conf" "$p/queue/pid" "$p/mail"
mkdir -p "$p"/{conf,queue,data,mail/catchall}
subst() {
  sed -e "s#@ROOT@#$root#g" -e "s#@UID@#$uid#g" -e "s#@GID@#$gid#g" -e "s#@PORT@#$port#g" "$1"
}
for f in main.cf master.cf mx1_access mx2_access local_access; do subst "$here/$f" > "$p/conf/$f"; done
cp "$here/../postfix/domains" "$here/../postfix/mailboxes" "$p/conf/"
chown root:root "$p" "$p/conf" "$p/queue"
chown postfix: "$p/data"
mkdir -p "$p/mail/catchall"/{cur,new,tmp}
chown -R "$uid:$gid" "$p/mail"
chmod 755 "$p/mail" "$p/mail/catchall" "$p/mail/catchall"/*
touch "$root/log/postfix-mx.log"
/usr/sbin/postfix -c "$p/conf" set-permissions >/dev/null 2>&1 || true
/usr/sbin/postfix -c "$p/conf" check >"$root/log/postfix-mx-check.out" 2>&1 || {
  cat "$root/log/postfix-mx-check.out" >&2; exit 1; }
/usr/sbin/postfix -c "$p/conf" start >"$root/log/postfix-mx-start.out" 2>&1 || {
  cat "$root/log/postfix-mx-start.out" "$root/log/postfix-mx.log" >&2; exit 1; }
mkdir -p "$root/run/mx"
for a in 127.0.0.2 127.0.0.3 127.0.0.1; do
  for _ in $(seq 1 100); do
    if (exec 3<>/dev/tcp/$a/"$port") 2>/dev/null; then break; fi
    sleep 0.1
  done
  (exec 3<>/dev/tcp/$a/"$port") 2>/dev/null || {
    echo "interop: postfix-mx on $a:$port did not start" >&2; cat "$root/log/postfix-mx.log" >&2; exit 1; }
done

cat > "$root/env.d/mx" <<ENV
FERRY_MX_PORT=$port
FERRY_MX_MAILDIR=$p/mail/catchall
ENV
echo "postfix-mx up on 127.0.0.2:$port (mx1), 127.0.0.3:$port (mx2), 127.0.0.1:$port (localhost)"
