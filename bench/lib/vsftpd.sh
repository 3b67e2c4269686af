# Sourced by the bench scripts: a vsftpd of the bench's own, from the interop configuration
# (tests/interop/vsftpd/common.conf: local user `ferry`, home $FERRY_FTP_HOME) but logging as Debian's
# vsftpd.conf does (the transfer log only; the interop instance also logs every command and reply, two
# locked writes per command that make a command about twice as slow).
#
# `bench_vsftpd NAME PORT PASV_MIN PASV_MAX [CONF_LINE...]` starts it on 127.0.0.1:PORT (passive ports
# PASV_MIN-PASV_MAX, the extra lines appended to its configuration) and waits until it accepts; it sets
# `bench_vsftpd_pid` and `bench_vsftpd_conf`, which `bench_vsftpd_stop` (for the caller's EXIT trap)
# kills and removes. Needs `bench_prepare` first.
# `bench_prepare`: the peers (hyperfine, lftp; installed when missing), the interop vsftpd's settings
# (tests/interop/start.sh vsftpd, run when missing) and `root`, the interop directory. The caller then
# sources "$root/env.d/vsftpd" (FERRY_FTP_HOME, FERRY_FTP_PASSWORD, ...).
bench_prepare() {
  root=${FERRY_INTEROP_DIR:-/tmp/ferry-interop}
  local p
  for p in hyperfine lftp; do
    command -v $p >/dev/null || { apt-get update -qq && apt-get install -y -qq hyperfine lftp >/dev/null; }
  done
  [ -f "$root/env.d/vsftpd" ] || tests/interop/start.sh vsftpd
}

# `bench_login_hash`: hashes the local user's password (`ferry`, checked by vsftpd's PAM at every login)
# with $LOGIN_HASH: YESCRYPT (unset: Debian's default, as tests/interop/start.sh leaves it) or another
# `chpasswd -c` method (SHA512: Debian's default before bookworm). PAM computes the hash twice per
# login: yescrypt's costs ~35 ms of the server's CPU, SHA-512's (5000 rounds) ~1 ms, so the first
# measures a server whose login dominates a short run, the second what the clients themselves do.
# `bench_login_hash_restore` (for the EXIT trap) puts Debian's default back.
bench_login_hash() {
  login_hash=${LOGIN_HASH:-YESCRYPT}
  echo "ferry:$FERRY_FTP_PASSWORD" | chpasswd -c "$login_hash"
}

bench_login_hash_restore() {
  [ "${login_hash:-YESCRYPT}" = YESCRYPT ] || echo "ferry:$FERRY_FTP_PASSWORD" | chpasswd -c YESCRYPT
}

bench_vsftpd() {
  local name=$1 port=$2 pasv_min=$3 pasv_max=$4 line
  shift 4
  bench_vsftpd_conf=$(mktemp)
  sed -e "s#@ROOT@#$root#g" -e "s#@NAME@#$name#g" -e "s#@PASV_MIN@#$pasv_min#g" -e "s#@PASV_MAX@#$pasv_max#g" \
    -e '/^log_ftp_protocol=/d' -e '/^dual_log_enable=/d' tests/interop/vsftpd/common.conf > "$bench_vsftpd_conf"
  echo "listen_port=$port" >> "$bench_vsftpd_conf"
  for line in "$@"; do echo "$line" >> "$bench_vsftpd_conf"; done
  /usr/sbin/vsftpd "$bench_vsftpd_conf" > /dev/null 2>&1 &
  bench_vsftpd_pid=$!
  for _ in $(seq 50); do (exec 3<>/dev/tcp/127.0.0.1/"$port") 2>/dev/null && return 0; sleep 0.1; done
  echo "bench: vsftpd did not start on port $port" >&2
  return 1
}

bench_vsftpd_stop() {
  [ -z "${bench_vsftpd_pid:-}" ] || kill "$bench_vsftpd_pid" 2>/dev/null || true
  rm -f "${bench_vsftpd_conf:-}"
}
