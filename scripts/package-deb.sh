#!/usr/bin/env bash
# Builds the Debian package: target/debian/tokenwallet_<version>-1_<arch>.deb, with the
# binary, the desktop entry, the icons, the AppStream metainfo, the man page and the bash,
# zsh and fish completions and the agent's systemd user unit (all under packaging/).
# Installs cargo-deb first if it is missing, and needs dpkg-dev (dpkg-shlibdeps) for the
# automatic dependencies.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! cargo deb --version >/dev/null 2>&1; then
  cargo install cargo-deb --locked --quiet
fi
# Reuses the release build when there is one (`cargo build --release`).
cargo deb --quiet "$@"
ls target/debian/tokenwallet_*.deb
