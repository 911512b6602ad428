#!/usr/bin/env bash
# Builds the .deb and checks it as CI does: every file in place, the run-time dependencies
# declared, the binary runs from a scratch root, the metadata validates, and the package
# installs on this machine. Needs: dpkg-dev desktop-file-utils appstream (apt).
set -euo pipefail
cd "$(dirname "$0")/.."
deb=$(bash scripts/package-deb.sh | tail -n 1)
echo "package: $deb"

contents=$(dpkg-deb -c "$deb")
id=io.github.tokenwallet
for path in \
  ./usr/bin/tokenwallet \
  ./usr/bin/tokenwallet-window \
  ./usr/share/applications/$id.desktop \
  ./usr/share/metainfo/$id.metainfo.xml \
  ./usr/share/icons/hicolor/32x32/apps/$id.png \
  ./usr/share/icons/hicolor/48x48/apps/$id.png \
  ./usr/share/icons/hicolor/64x64/apps/$id.png \
  ./usr/share/icons/hicolor/128x128/apps/$id.png \
  ./usr/share/icons/hicolor/256x256/apps/$id.png \
  ./usr/share/icons/hicolor/512x512/apps/$id.png \
  ./usr/share/icons/hicolor/scalable/apps/$id.svg \
  ./usr/share/man/man1/tokenwallet.1.gz \
  ./usr/share/bash-completion/completions/tokenwallet \
  ./usr/share/zsh/vendor-completions/_tokenwallet \
  ./usr/share/fish/vendor_completions.d/tokenwallet.fish \
  ./usr/lib/systemd/user/tokenwallet-agent.service; do
  grep -q " $path\$" <<<"$contents" || { echo "missing from the package: $path"; exit 1; }
done
echo "contents: every file in place"

info=$(dpkg-deb -I "$deb")
for dep in libx11-6 libxkbcommon-x11-0 libwayland-client0 libegl1 libgl1; do
  grep -q "Depends:.*$dep" <<<"$info" || { echo "Depends lacks $dep"; echo "$info"; exit 1; }
done
grep -q "Recommends:.*gnome-keyring" <<<"$info" || { echo "Recommends lacks a Secret Service"; exit 1; }
grep -E "^ (Depends|Recommends):" <<<"$info"

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
dpkg-deb -x "$deb" "$root"
"$root/usr/bin/tokenwallet" --version
"$root/usr/bin/tokenwallet-window" --version
# The desktop entry starts the window's own program.
grep -qx 'Exec=tokenwallet-window' "$root/usr/share/applications/$id.desktop"
desktop-file-validate "$root/usr/share/applications/$id.desktop"
appstreamcli validate --no-net "$root/usr/share/metainfo/$id.metainfo.xml"
# The agent's user unit starts the packaged binary.
grep -qx 'ExecStart=/usr/bin/tokenwallet agent' "$root/usr/lib/systemd/user/tokenwallet-agent.service"

# A fresh machine may lack the window's libraries: let apt bring what Depends names.
if ! dpkg -i "$deb" >/dev/null 2>&1; then
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -f -y
  dpkg -i "$deb" >/dev/null
fi
tokenwallet --help >/dev/null
man -w tokenwallet >/dev/null 2>&1 || echo "note: man-db is not installed here; the page is in the package"
echo "installed: $(command -v tokenwallet) ($(tokenwallet --version))"
