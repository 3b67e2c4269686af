#!/usr/bin/env bash
# dnsmasq on 127.0.0.1:FERRY_DNS_PORT (5353 by default) for smtp-send --mx: authoritative-style answers for
# the *.test domains of the interop suite, nothing forwarded (--no-resolv), /etc/hosts ignored.
#   mx.test        MX 10 mx1.mx.test (127.0.0.2), MX 20 mx2.mx.test (127.0.0.3)
#   fallback.test  the same two exchangers; mx1 answers 450 for it (tests/interop/mx), so mx2 takes it
#   verify.test    MX 10 localhost (127.0.0.2): the name the test certificate carries, for --tls verify
#   aonly.test     no MX, A 127.0.0.3 (the implicit MX)
#   null.test      the null MX "0 ." (RFC 7505)
#   servfail.test  forwarded to a port where nothing answers: SERVFAIL
#   anything else under .test: NXDOMAIN
# dnsmasq-base only: the binary, without the Debian service that would take port 53.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../lib.sh
. "$here/../lib.sh"
port=${FERRY_DNS_PORT:-5353}
need dnsmasq-base:dnsmasq
stop_server dns
run_bg dns /usr/sbin/dnsmasq --keep-in-foreground --log-facility=- --no-resolv --no-hosts --no-poll \
  --bind-interfaces --listen-address=127.0.0.1 --port="$port" --user=nobody --pid-file= \
  --local=/test/ \
  --host-record=mx1.mx.test,127.0.0.2 --host-record=mx2.mx.test,127.0.0.3 \
  --mx-host=mx.test,mx1.mx.test,10 --mx-host=mx.test,mx2.mx.test,20 \
  --mx-host=fallback.test,mx1.mx.test,10 --mx-host=fallback.test,mx2.mx.test,20 \
  --host-record=localhost,127.0.0.2 --mx-host=verify.test,localhost,10 \
  --host-record=aonly.test,127.0.0.3 \
  --dns-rr=null.test,15,000000 \
  --server=/servfail.test/127.0.0.1#9
for _ in $(seq 1 50); do
  if (exec 3<>/dev/tcp/127.0.0.1/"$port") 2>/dev/null; then break; fi
  sleep 0.1
done
(exec 3<>/dev/tcp/127.0.0.1/"$port") 2>/dev/null || {
  echo "interop: dnsmasq on port $port did not start" >&2; cat "$root"/log/dns-* >&2; exit 1; }
echo "FERRY_DNS_SERVER=127.0.0.1:$port" > "$root/env.d/dns"
echo "dnsmasq up on 127.0.0.1:$port"
