#!/usr/bin/env bash
# Renders the app icon (assets/icon.svg) to the hicolor PNG sizes under packaging/icons/,
# and the window icon (assets/icon.png). The PNGs are committed; run this after changing
# the SVG. Needs: apt-get install librsvg2-bin
set -euo pipefail
cd "$(dirname "$0")/.."
id=io.github.tokenwallet
for size in 32 48 64 128 256 512; do
  dir=packaging/icons/hicolor/${size}x${size}/apps
  mkdir -p "$dir"
  rsvg-convert --width "$size" --height "$size" assets/icon.svg --output "$dir/$id.png"
done
mkdir -p packaging/icons/hicolor/scalable/apps
cp assets/icon.svg "packaging/icons/hicolor/scalable/apps/$id.svg"
rsvg-convert --width 64 --height 64 assets/icon.svg --output assets/icon.png
# The Windows icon (Start menu shortcut, MSI): one .ico with the sizes Windows asks for.
# Needs ImageMagick's convert.
ico_dir=$(mktemp -d)
for size in 16 24 32 48 64 128 256; do
  rsvg-convert --width "$size" --height "$size" assets/icon.svg --output "$ico_dir/$size.png"
done
convert "$ico_dir"/16.png "$ico_dir"/24.png "$ico_dir"/32.png "$ico_dir"/48.png \
  "$ico_dir"/64.png "$ico_dir"/128.png "$ico_dir"/256.png packaging/windows/tokenwallet.ico
rm -rf "$ico_dir"
