#!/usr/bin/env bash
# CI (issue 18): build the Debian package with cargo-deb, check that it holds every tool, man page and
# completion found in the tree (dpkg -c), that lintian finds nothing (errors and warnings fail), and
# that it unpacks into a working tree (dpkg -x). Built from the dev profile so it stays fast; the release
# package (`make deb`) differs only in optimisation.
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive

# cargo-deb 3.8.0 builds with Rust 1.85 and later (the project's MSRV is 1.95).
cargo deb --version >/dev/null 2>&1 || cargo install cargo-deb --version 3.8.0 --locked --quiet
command -v lintian >/dev/null || apt-get install -y -qq lintian >/dev/null

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
# cargo-deb warns that it prefers release builds; the pinned 3.8.0 accepts dev, which reuses the test build.
cargo deb --locked --fast --profile dev --output "$out" >/dev/null 2>&1 || cargo deb --locked --fast --profile dev --output "$out"
deb=$(ls "$out"/*.deb)
dpkg -c "$deb" | awk '{print $NF}' >"$out/contents"

missing=0
want() { grep -qxF "./$1" "$out/contents" || { echo "missing from the package: /$1"; missing=1; }; }
for f in src/bin/*.rs; do t=$(basename "$f" .rs); want "usr/bin/$t"; done
for f in man/*.1; do [ -e "$f" ] && want "usr/share/man/man1/$(basename "$f").gz"; done
for f in man/*.5; do [ -e "$f" ] && want "usr/share/man/man5/$(basename "$f").gz"; done
for f in completions/*.bash; do want "usr/share/bash-completion/completions/$(basename "$f")"; done
for f in completions/_*; do want "usr/share/zsh/vendor-completions/$(basename "$f")"; done
for f in completions/*.fish; do want "usr/share/fish/vendor_completions.d/$(basename "$f")"; done
[ "$missing" = 0 ]

# The sendmail alternative is registered by the package's postinst, never shipped as a file.
dpkg-deb -e "$deb" "$out/control"
grep -q 'update-alternatives --install /usr/sbin/sendmail sendmail /usr/bin/smtp-send' "$out/control/postinst"
! grep -q 'usr/sbin/sendmail$' "$out/contents"

lintian --fail-on error,warning "$deb"

dpkg -x "$deb" "$out/root"
for f in "$out"/root/usr/bin/*; do "$f" --version >/dev/null; done
for f in "$out"/root/usr/share/bash-completion/completions/*; do bash -c "source '$f'"; done
echo "package ok: $(basename "$deb"), $(grep -c . "$out/contents") entries, lintian clean"
