#!/usr/bin/env bash
# Builds the Windows installer and a portable .zip from Linux:
#   target/windows/tokenwallet-VERSION-x86_64.msi   (wixl, from packaging/windows/tokenwallet.wxs)
#   target/windows/tokenwallet-VERSION-x86_64.zip   (the two programs and the README)
# Cross-compiles the release programs with MinGW first (scripts/windows-tests.sh installs
# the toolchain; this script installs what it needs itself too).
set -euo pipefail
cd "$(dirname "$0")/.."
target=x86_64-pc-windows-gnu
if ! command -v wixl >/dev/null 2>&1 || ! command -v x86_64-w64-mingw32-gcc >/dev/null 2>&1 \
  || ! command -v zip >/dev/null 2>&1; then
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends wixl gcc-mingw-w64-x86-64 zip
fi
rustup target add "$target" >/dev/null
cargo build --release --target "$target" --bins
version=$(cargo metadata --no-deps --format-version 1 \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["packages"][0]["version"])')
# Relative: wixl refuses absolute source paths.
bin="$(realpath --relative-to=. "${CARGO_TARGET_DIR:-target}")/$target/release"
out="${CARGO_TARGET_DIR:-target}/windows"
mkdir -p "$out"
msi="$out/tokenwallet-$version-x86_64.msi"
wixl --arch x64 -D Version="$version" -D Bin="$bin" -o "$msi" packaging/windows/tokenwallet.wxs
zip_dir=$(mktemp -d)
mkdir "$zip_dir/tokenwallet-$version"
cp "$bin/tokenwallet.exe" "$bin/tokenwallet-window.exe" README.md "$zip_dir/tokenwallet-$version/"
rm -f "$out/tokenwallet-$version-x86_64.zip"
(cd "$zip_dir" && zip -qr - "tokenwallet-$version") > "$out/tokenwallet-$version-x86_64.zip"
rm -rf "$zip_dir"
echo "$msi"
echo "$out/tokenwallet-$version-x86_64.zip"
