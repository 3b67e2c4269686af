#!/usr/bin/env bash
# Dovecot on 127.0.0.1 for pop3-fetch and imap-fetch (and SASL for Postfix): IMAP, IMAPS, POP3, POP3S with
# the test CA's certificate, a passwd-file of users (password `ferry-secret`) each with a Maildir. Tests make
# their own users by writing `NAME:{PLAIN}PASSWORD::::HOME::` to FERRY_DOVECOT_USERS_DIR/NAME, seed HOME/Maildir
# and chown it to FERRY_DOVECOT_UID:FERRY_DOVECOT_GID (mail is accessed as the system user `ferry`).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../lib.sh
. "$here/../lib.sh"
base_port=${FERRY_DOVECOT_PORT:-22140}
need dovecot-imapd:/usr/lib/dovecot/imap dovecot-pop3d:/usr/lib/dovecot/pop3 passwd:useradd
id ferry >/dev/null 2>&1 || useradd -M -d "$root/home" -s /bin/bash ferry
make_ca
"$here/stop.sh" || true
stop_server dovecot
d=$root/dovecot
rm -rf "$d/run"
mkdir -p "$d"/{run,state} "$root/mail"
imap=$base_port imaps=$((base_port + 1)) pop3=$((base_port + 2)) pop3s=$((base_port + 3))
sed -e "s#@ROOT@#$root#g" -e "s#@IMAP_PORT@#$imap#" -e "s#@IMAPS_PORT@#$imaps#" \
  -e "s#@POP3_PORT@#$pop3#" -e "s#@POP3S_PORT@#$pop3s#" "$here/dovecot.conf" > "$d/dovecot.conf"
# One standing user; tests add their own so that parallel tests never share a mailbox.
rm -rf "$d/users.d"; mkdir -p "$d/users.d"
printf 'ferry:{PLAIN}ferry-secret::::%s::\n' "$root/mail/ferry" > "$d/users.d/ferry"
mkdir -p "$root/mail/ferry/Maildir"/{cur,new,tmp}
chown -R ferry: "$root/mail"
run_bg dovecot /usr/sbin/dovecot -F -c "$d/dovecot.conf"
wait_port dovecot "$imap" "$imaps" "$pop3" "$pop3s"

cat > "$root/env.d/dovecot" <<ENV
FERRY_IMAP=127.0.0.1:$imap
FERRY_IMAPS=127.0.0.1:$imaps
FERRY_POP3=127.0.0.1:$pop3
FERRY_POP3S=127.0.0.1:$pop3s
FERRY_DOVECOT_USERS_DIR=$d/users.d
FERRY_DOVECOT_MAIL=$root/mail
FERRY_DOVECOT_UID=$(id -u ferry)
FERRY_DOVECOT_GID=$(id -g ferry)
FERRY_DOVECOT_AUTH_SOCKET=$d/auth-postfix
FERRY_CA=$root/tls/ca.pem
ENV
echo "dovecot up on 127.0.0.1:$imap-$pop3s"
