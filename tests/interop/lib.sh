# Sourced by tests/interop/start.sh and every tests/interop/SERVER/start.sh: the shared pieces of the
# real-server environment (paths, package installs, the test CA, waiting for a port, the settings files).
# Each server writes its settings to $root/env.d/SERVER; the tests read all of them (tests/interop/mod.rs).
root=${FERRY_INTEROP_DIR:-/tmp/ferry-interop}
mkdir -p "$root"/{log,tls,run,env.d}
chmod 755 "$root"

# need PACKAGE:COMMAND... — apt-get installs each package whose command is missing (root only).
need() {
  local want=() pc
  for pc in "$@"; do
    command -v "${pc#*:}" >/dev/null 2>&1 || [ -x "/usr/sbin/${pc#*:}" ] || want+=("${pc%%:*}")
  done
  [ ${#want[@]} -eq 0 ] && return 0
  if [ "$(id -u)" != 0 ]; then echo "interop: need root to install ${want[*]}" >&2; exit 1; fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq "${want[@]}" >/dev/null
}

# A test CA and a server certificate for 127.0.0.1 / localhost, made once; plus an unrelated CA that
# must make verification fail.
make_ca() {
  need openssl:openssl
  [ -s "$root/tls/server.pem" ] && return 0
  (
    cd "$root/tls"
    openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=ferry test CA" \
      -keyout ca.key -out ca.pem -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
    openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" -keyout server.key -out server.csr 2>/dev/null
    printf 'basicConstraints=CA:FALSE\nsubjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n' > ext.cnf
    openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 3650 -extfile ext.cnf -out server.pem 2>/dev/null
    openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=other CA" -keyout other.key -out other.pem 2>/dev/null
    chmod 644 ca.pem other.pem server.pem; chmod 640 server.key
  )
}

# wait_port NAME PORT... — until each port on 127.0.0.1 accepts, or fail showing NAME's logs.
wait_port() {
  local name=$1 p; shift
  for p in "$@"; do
    for _ in $(seq 1 100); do
      if (exec 3<>/dev/tcp/127.0.0.1/"$p") 2>/dev/null; then break; fi
      sleep 0.1
    done
    (exec 3<>/dev/tcp/127.0.0.1/"$p") 2>/dev/null || {
      echo "interop: $name on port $p did not start" >&2; cat "$root"/log/"$name"* >&2 2>/dev/null; exit 1; }
  done
}

# run_bg NAME CMD... — starts CMD in the background, records its pid for stop.sh NAME.
run_bg() {
  local name=$1; shift
  mkdir -p "$root/run/$name"
  "$@" > "$root/log/$name-$(basename "$1").out" 2>&1 &
  echo $! > "$root/run/$name/$!.pid"
}

# stop_server NAME — kills what run_bg started for NAME, waits (up to 5 s) for it to exit so its ports
# are free for a restart, and removes its settings.
stop_server() {
  local f pid pids=()
  for f in "$root/run/$1"/*.pid; do
    [ -e "$f" ] || continue
    pid=$(cat "$f")
    kill "$pid" 2>/dev/null && pids+=("$pid")
    rm -f "$f"
  done
  for pid in "${pids[@]}"; do
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
  done
  rm -f "$root/env.d/$1"
}
