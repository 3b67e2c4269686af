#!/usr/bin/env bash
# ferry's mirror vs lftp's, both ways, against the loopback vsftpd (tests/interop/start.sh vsftpd, local
# user `ferry`, writable home; started here when it is not running): a tree of FILES small files in 20
# directories, downloaded (`ftp-get -R` vs `lftp -e 'mirror --only-newer'`) and uploaded
# (`ftp-put -R --mkdirs` vs `lftp mirror -R --only-newer`), each with one session and with four
# (`--parallel 4` / `--parallel=4`), in three situations:
#   (a) first run: the target is empty;
#   (b) second run, nothing changed since the last run;
#   (c) second run with 10 source files changed (new content, new size, newer mtime) before each run.
# Prints the times and the ratios lftp time / ferry time (>1: ferry is faster), all from this run.
# Not a test: run it by hand, `bench/ftp-mirror.sh [FILES] [RUNS]`. The local trees live under $TMPDIR
# (mktemp): `TMPDIR=/dev/shm bench/ftp-mirror.sh` runs the local side on tmpfs instead of the disk.
#
# What it relies on (issue 14): `ftp-get -R` and `ftp-put -R` skip files whose size and mtime are
# unchanged by default (mirror mode; no flag is passed for it). Before that landed, (b) and (c) measure
# ferry transferring every file again. vsftpd offers neither MFMT nor SITE UTIME, so an upload's remote
# mtime is the upload time: every change made in (c) changes the size too, which a size fallback sees,
# and gets a local mtime in the future, which lftp's --only-newer (local newer than remote) sees.
#
# The login: vsftpd checks the password with PAM, whose hash method decides what a login costs
# (bench_login_hash in bench/lib/vsftpd.sh): `LOGIN_HASH=SHA512 bench/ftp-mirror.sh` for ~5 ms instead of
# Debian's default yescrypt (~37 ms, most of an unchanged tree's run).
#
# The server: by default a vsftpd of its own (port 22150), from the interop configuration but logging as
# Debian's vsftpd.conf does (the transfer log only); the interop instance also logs every command and reply
# (log_ftp_protocol, for debugging tests), two locked writes per command that make vsftpd's MDTM about twice
# as slow. `VSFTPD_LOG=protocol bench/ftp-mirror.sh` measures against the interop instance instead.
#
# Each tool and session count has its own target (so each one's "second run" follows its own first
# run); every target is compared with the source (diff -r) at the end.
set -euo pipefail
cd "$(dirname "$0")/.."

# `ftp-mirror.sh --change DIR COUNTER_FILE EPOCH`: rewrite 10 files of DIR with a new size and the
# mtime EPOCH + counter days (whole days: vsftpd's LIST shows older dates to the day only). Used as
# hyperfine's --prepare for (c).
if [ "${1:-}" = --change ]; then
  dir=$2 counter_file=$3 epoch=$4
  n=$(($(cat "$counter_file" 2>/dev/null || echo 0) + 1))
  echo "$n" > "$counter_file"
  for i in 0 1 2 3 4 5 6 7 8 9; do
    f=$dir/d$i/f$((21 * i)).bin # file k lives in d$((k % 20))
    head -c $((5000 + n)) /dev/urandom > "$f"
    touch -d "@$((epoch + n * 86400))" "$f"
  done
  exit 0
fi

files=${1:-1000}
runs=${2:-5}
# (b) and (c) take tens of milliseconds, where a run's noise is a few: four times the runs, at least 20.
short_runs=$((runs * 4 > 20 ? runs * 4 : 20))
# shellcheck source=bench/lib/vsftpd.sh
. bench/lib/vsftpd.sh
bench_prepare
# shellcheck disable=SC1091
. "$root/env.d/vsftpd"
if [ "${VSFTPD_LOG:-debian}" != protocol ]; then
  trap bench_vsftpd_stop EXIT
  bench_vsftpd vsftpd-bench 22150 22500 22549
  FERRY_FTP_PLAIN=127.0.0.1:22150
fi
cargo build --release -q --bins
bin=${CARGO_TARGET_DIR:-$PWD/target}/release
self=$PWD/bench/ftp-mirror.sh

base=$FERRY_FTP_HOME/bench-mirror
work=$(mktemp -d)
trap 'rm -rf "$work" "$base"; bench_vsftpd_stop; bench_login_hash_restore' EXIT
bench_login_hash
rm -rf "$base"
old=1577836800 # 2020-01-01: every source file starts with this mtime
make_tree() { # dir
  local i d
  for i in $(seq 0 $((files - 1))); do
    d=$1/d$((i % 20))
    mkdir -p "$d"
    head -c $((i % 4096 + 1)) /dev/urandom > "$d/f$i.bin"
  done
  find "$1" -exec touch -d "@$old" {} +
}
make_tree "$base/tree"     # the download source, on the server
make_tree "$work/up/tree"  # the upload source, local
# Each upload command gets a copy of its own: (c) gives changed files mtimes in the future, which a
# server that cannot set times never catches up with, so a shared source made every later command's
# "(b) nothing changed" upload those files again each run.
for t in ferry-1 ferry-4 lftp-1 lftp-4; do cp -a "$work/up" "$work/up-$t"; done
mkdir -p "$base/put"
chown -R ferry: "$base"
url="ftp://ferry:$FERRY_FTP_PASSWORD@$FERRY_FTP_PLAIN"
lftp_c() { # mirror arguments
  echo "lftp -c 'set ftp:ssl-allow no; set net:max-retries 1; open -u ferry,$FERRY_FTP_PASSWORD ftp://$FERRY_FTP_PLAIN; mirror $*'"
}
# The commands: name -> command line; name -> the directory that receives the copy.
declare -A cmd target
for p in 1 4; do
  par=""; [ $p = 4 ] && par="--parallel 4"
  target[get-ferry-$p]=$work/get-ferry-$p/tree
  cmd[get-ferry-$p]="$bin/ftp-get -q -R $par -O $work/get-ferry-$p $url/bench-mirror/tree/"
  target[get-lftp-$p]=$work/get-lftp-$p/tree
  cmd[get-lftp-$p]=$(lftp_c --only-newer --parallel=$p bench-mirror/tree "$work/get-lftp-$p/tree")
  target[put-ferry-$p]=$base/put/ferry-$p/tree
  cmd[put-ferry-$p]="$bin/ftp-put -q -R --mkdirs $par $work/up-ferry-$p/tree $url/bench-mirror/put/ferry-$p/"
  target[put-lftp-$p]=$base/put/lftp-$p/tree
  cmd[put-lftp-$p]=$(lftp_c -R --only-newer --parallel=$p "$work/up-lftp-$p/tree" bench-mirror/put/lftp-$p/tree)
done

# Each run starts with the disk idle (`sync` after the preparation): the writeback of the run before
# (a first run writes 1000 files) is not measured in the next. No shell between hyperfine and the
# command (-N): its start-up, subtracted otherwise, is noise of the size of the differences measured.
# (Without a shell, the preparation is a script of its own.)
bench() { # name situation prepare
  local n=$runs
  [ "$2" = a ] || n=$short_runs
  printf '%s\nsync\n' "$3" > "$work/prepare-$1-$2.sh"
  hyperfine -N --warmup 1 --runs "$n" --prepare "bash $work/prepare-$1-$2.sh" \
    --export-json "$work/$1-$2.json" -n "$1-$2" "${cmd[$1]}" >/dev/null
}
for dir in get put; do
  src=$base/tree
  # The download source changes on the server (dates in the past, newer than the originals); the
  # upload source locally (dates in the future, newer than any upload time).
  epoch=$((old + 86400)); [ $dir = put ] && epoch=$(($(date +%s) + 86400))
  for tool in ferry lftp; do
    for p in 1 4; do
      name=$dir-$tool-$p t=${target[$dir-$tool-$p]}
      [ $dir = get ] || src=$work/up-$tool-$p/tree
      bench "$name" a "rm -rf $t; mkdir -p $(dirname "$t"); chown ferry: $(dirname "$t")"
      bench "$name" b "true"
      bench "$name" c "$self --change $src $work/counter $epoch; chown -R ferry: $base"
      diff -r "$src" "$t" >/dev/null || { echo "$name: the copy differs from the source!"; exit 1; }
    done
  done
done

python3 - "$work" "$files" "$runs" "${VSFTPD_LOG:-debian}" "$login_hash" "$short_runs" <<'PY'
import json, sys
work, files, runs, short_runs = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[6]
log = "interop instance, protocol log" if sys.argv[4] == "protocol" else "Debian's logging: transfers only"
def mean(name, sit):
    return json.load(open(f"{work}/{name}-{sit}.json"))["results"][0]["median"]
print(f"mirror of {files} small files, vsftpd on 127.0.0.1 ({log}; password hash {sys.argv[5]}), median of {runs} runs ((a)), {short_runs} ((b), (c)) "
      f"(ratio = lftp time / ferry time; >1: ferry is faster)")
labels = {"a": "(a) first run", "b": "(b) nothing changed", "c": "(c) 10 files changed"}
for d, what in (("get", "download: ftp-get -R vs lftp mirror --only-newer"),
                ("put", "upload: ftp-put -R vs lftp mirror -R --only-newer")):
    print(what)
    for s, label in labels.items():
        f1, l1 = mean(f"{d}-ferry-1", s), mean(f"{d}-lftp-1", s)
        f4, l4 = mean(f"{d}-ferry-4", s), mean(f"{d}-lftp-4", s)
        print(f"  {label:22} one session: ferry {f1:6.3f} s lftp {l1:6.3f} s ratio {l1/f1:5.2f}x"
              f" | parallel 4: ferry {f4:6.3f} s lftp {l4:6.3f} s ratio {l4/f4:5.2f}x"
              f" (vs lftp one session {l1/f4:5.2f}x)")
PY
