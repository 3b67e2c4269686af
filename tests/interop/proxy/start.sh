#!/usr/bin/env bash
# Real proxies on 127.0.0.1 for the network-option tests (issue 18): Dante (SOCKS5, no authentication;
# it resolves host names itself, so socks5h:// is tested against a real resolver), microsocks (SOCKS5 with
# a user and password, RFC 1929) and tinyproxy (HTTP CONNECT, with and without Basic authentication).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../lib.sh
. "$here/../lib.sh"
base_port=${FERRY_INTEROP_PROXY_PORT:-22180}
need dante-server:danted microsocks:microsocks tinyproxy:tinyproxy
stop_server proxy
dir=$root/proxy
mkdir -p "$dir"

danted_port=$base_port
microsocks_port=$((base_port + 1))
tinyproxy_port=$((base_port + 2))
tinyproxy_auth_port=$((base_port + 3))

cat > "$dir/danted.conf" <<CONF
logoutput: $root/log/proxy-danted.log
internal: 127.0.0.1 port = $danted_port
external: 127.0.0.1
socksmethod: none
clientmethod: none
user.privileged: root
user.unprivileged: nobody
client pass { from: 127.0.0.0/8 to: 0.0.0.0/0 }
socks pass { from: 127.0.0.0/8 to: 0.0.0.0/0 command: connect }
CONF
run_bg proxy /usr/sbin/danted -f "$dir/danted.conf" -p "$dir/danted.pid"

run_bg proxy /usr/bin/microsocks -i 127.0.0.1 -p "$microsocks_port" -u proxyuser -P proxy-secret

tinyproxy_conf() { # port [auth]
  cat <<CONF
Port $1
Listen 127.0.0.1
Timeout 60
MaxClients 50
LogLevel Info
Allow 127.0.0.0/8
DisableViaHeader Yes
CONF
  [ -z "${2:-}" ] || echo "BasicAuth proxyuser proxy-secret"
}
tinyproxy_conf "$tinyproxy_port" > "$dir/tinyproxy.conf"
tinyproxy_conf "$tinyproxy_auth_port" auth > "$dir/tinyproxy-auth.conf"
# -d: stay in the foreground, so run_bg's pid is the proxy's.
run_bg proxy /usr/bin/tinyproxy -d -c "$dir/tinyproxy.conf"
run_bg proxy /usr/bin/tinyproxy -d -c "$dir/tinyproxy-auth.conf"
wait_port proxy "$danted_port" "$microsocks_port" "$tinyproxy_port" "$tinyproxy_auth_port"

cat > "$root/env.d/proxy" <<ENV
FERRY_SOCKS5=127.0.0.1:$danted_port
FERRY_SOCKS5_AUTH=127.0.0.1:$microsocks_port
FERRY_SOCKS5_USER=proxyuser
FERRY_SOCKS5_PASSWORD=proxy-secret
FERRY_HTTP_PROXY=127.0.0.1:$tinyproxy_port
FERRY_HTTP_PROXY_AUTH=127.0.0.1:$tinyproxy_auth_port
ENV
echo "proxies up on 127.0.0.1:$danted_port (dante), $microsocks_port (microsocks), $tinyproxy_port-$tinyproxy_auth_port (tinyproxy)"
