#!/usr/bin/env bash
# Postfix on 127.0.0.1 for smtp-send: a private instance (own main.cf/master.cf/queue under
# $FERRY_INTEROP_DIR/postfix, chroot off), never the system /etc/postfix one. Ports: submission with
# STARTTLS required and SASL (22125), SMTPS (22465), plain without auth (22025) and a plain one that
# advertises SIZE 10000 (22026). SASL goes through Dovecot's auth socket (start dovecot first: the servers
# start in alphabetical order), so its passwd-file users log in here too. Everything is delivered by
# virtual(8) to the one catch-all Maildir FERRY_POSTFIX_MAILDIR, each copy with Delivered-To: RECIPIENT.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../lib.sh
. "$here/../lib.sh"
submission=${FERRY_POSTFIX_SUBMISSION_PORT:-22125}
smtps=${FERRY_POSTFIX_SMTPS_PORT:-22465}
plain=${FERRY_POSTFIX_PLAIN_PORT:-22025}
small=$((plain + 1))
need postfix:postfix
make_ca
sock=$(sed -n 's/^FERRY_DOVECOT_AUTH_SOCKET=//p' "$root/env.d/dovecot" 2>/dev/null || true)
if [ -z "$sock" ] || [ ! -S "$sock" ]; then
  echo "interop: postfix needs Dovecot's auth socket: run tests/interop/start.sh dovecot first" >&2
  exit 1
fi
id ferry >/dev/null 2>&1 || useradd -M -d "$root/home" -s /bin/bash ferry
uid=$(id -u ferry) gid=$(id -g ferry)

"$here/stop.sh" || true
stop_server postfix
p=$root/postfix
rm -rf "$p/conf" "$p/queue/pid" "$p/mail"
mkdir -p "$p"/{conf,queue,data,mail/catchall}
subst() {
  sed -e "s#@ROOT@#$root#g" -e "s#@UID@#$uid#g" -e "s#@GID@#$gid#g" -e "s#@SASL_SOCKET@#$sock#g" \
    -e "s#@SUBMISSION_PORT@#$submission#g" -e "s#@SMTPS_PORT@#$smtps#g" -e "s#@PLAIN_PORT@#$plain#g" \
    -e "s#@SMALL_PORT@#$small#g" "$1"
}
subst "$here/main.cf" > "$p/conf/main.cf"
subst "$here/master.cf" > "$p/conf/master.cf"
cp "$here/domains" "$here/mailboxes" "$here/recipient_access" "$p/conf/"
chown root:root "$p" "$p/conf" "$p/queue"
chown postfix: "$p/data"
mkdir -p "$p/mail/catchall"/{cur,new,tmp}
chown -R "$uid:$gid" "$p/mail"
chmod 755 "$p/mail" "$p/mail/catchall" "$p/mail/catchall"/*
touch "$root/log/postfix.log"
/usr/sbin/postfix -c "$p/conf" set-permissions >/dev/null 2>&1 || true
/usr/sbin/postfix -c "$p/conf" check >"$root/log/postfix-check.out" 2>&1 || {
  cat "$root/log/postfix-check.out" >&2; exit 1; }
/usr/sbin/postfix -c "$p/conf" start >"$root/log/postfix-start.out" 2>&1 || {
  cat "$root/log/postfix-start.out" "$root/log/postfix.log" >&2; exit 1; }
mkdir -p "$root/run/postfix"
wait_port postfix "$submission" "$smtps" "$plain" "$small"

cat > "$root/env.d/postfix" <<ENV
FERRY_SMTP_SUBMISSION=127.0.0.1:$submission
FERRY_SMTPS=127.0.0.1:$smtps
FERRY_SMTP_PLAIN=127.0.0.1:$plain
FERRY_SMTP_SMALL=127.0.0.1:$small
FERRY_SMTP_SMALL_LIMIT=10000
FERRY_SMTP_USER=ferry
FERRY_SMTP_PASSWORD=ferry-secret
FERRY_POSTFIX_MAILDIR=$p/mail/catchall
FERRY_CA=$root/tls/ca.pem
ENV
echo "postfix up on 127.0.0.1:$submission (submission), $smtps (smtps), $plain (plain), $small (SIZE $((10000)))"
