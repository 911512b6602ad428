#!/usr/bin/env bash
# The Windows build, from Linux: cross-compiles with MinGW, lints the Windows target, runs
# every test under wine (Windows' APIs, including a real Credential Manager behind
# keyring's windows-native backend, and the Windows clipboard), then builds the MSI
# (scripts/package-msi.sh), installs it under wine and runs the installed program; a
# newer MSI must replace it.
#
# Installs what it needs (Debian's wine and MinGW, Rust's Windows target). The wine prefix
# lives in target/wine-prefix (or $CARGO_TARGET_DIR's); Debian 12's wine 8.0 lacks bcryptprimitives.dll, which
# Rust's standard library imports, so a stand-in built from
# packaging/windows/bcryptprimitives-shim.c goes into the prefix (never into the MSI).
set -euo pipefail
cd "$(dirname "$0")/.."
target=x86_64-pc-windows-gnu

if ! command -v wine >/dev/null 2>&1 || ! command -v x86_64-w64-mingw32-gcc >/dev/null 2>&1 \
  || ! command -v curl >/dev/null 2>&1; then
  apt-get update
  # curl: the stand-in browser behind winebrowser follows the sign-in address with it.
  DEBIAN_FRONTEND=noninteractive apt-get install -y wine wine64 gcc-mingw-w64-x86-64 curl
fi
rustup target add "$target" >/dev/null

target_dir=$(realpath -m "${CARGO_TARGET_DIR:-target}")
export WINEPREFIX="${WINEPREFIX:-$target_dir/wine-prefix}" WINEDEBUG=-all
# No Mono or Gecko install prompts: nothing here needs .NET or a browser engine.
export WINEDLLOVERRIDES="mscoree,mshtml="
if [ ! -f "$WINEPREFIX/system.reg" ]; then
  mkdir -p "$WINEPREFIX"
  wineboot -i >/dev/null 2>&1
fi
shim="$WINEPREFIX/drive_c/windows/system32/bcryptprimitives.dll"
if [ ! -f "$shim" ] || [ packaging/windows/bcryptprimitives-shim.c -nt "$shim" ]; then
  x86_64-w64-mingw32-gcc -shared -O2 -Wl,--kill-at -o "$shim" \
    packaging/windows/bcryptprimitives-shim.c -ladvapi32
fi
# One wine server for all the test processes, stopped at the end.
wineserver -p || true  # already running is fine
trap 'wineserver -k || true' EXIT

export CARGO_TARGET_X86_64_PC_WINDOWS_GNU_RUNNER=wine
cargo clippy --target "$target" --all-targets -- -D warnings
# The browser under wine: rundll32 hands an address to winebrowser, which starts the Unix
# xdg-open; this stand-in logs it and follows it with curl, as a browser would
# (tests/security.rs reads the log).
browser_dir="$target_dir/windows/browser"
mkdir -p "$browser_dir"
printf '#!/bin/sh\nprintf "%%s\\n" "$1" > "%s/opened.log"\ncurl --silent --location --output /dev/null "$1" &\n' \
  "$browser_dir" > "$browser_dir/xdg-open"
chmod +x "$browser_dir/xdg-open"
PATH="$browser_dir:$PATH" TOKENWALLET_TEST_BROWSER_LOG="$(winepath -w "$browser_dir/opened.log" 2>/dev/null)" \
  cargo test --target "$target"
# The keyring tests against wine's Credential Manager, and the clipboard test against the
# Windows clipboard (both ignored by plain `cargo test`).
cargo test --target "$target" --test keyring -- --ignored
cargo test --target "$target" --test clipboard -- --ignored

# The installer: installs, puts a Start-menu shortcut to the window in place, and the
# installed console program runs.
msi=$(bash scripts/package-msi.sh | grep '\.msi$')
wine msiexec /i "$msi" /qn
wineserver -w
installed=$(wine 'C:\Program Files\tokenwallet\tokenwallet.exe' --version | tr -d '\r')
version=${msi##*/tokenwallet-}; version=${version%-x86_64.msi}
[ "$installed" = "tokenwallet $version" ] || { echo "installed program says '$installed'" >&2; exit 1; }
shortcut=$(find "$WINEPREFIX/drive_c" -iname tokenwallet.lnk -ipath '*Start Menu*' | head -1)
[ -n "$shortcut" ] && grep -aq 'tokenwallet-window.exe' "$shortcut" \
  || { echo "no Start-menu shortcut to tokenwallet-window.exe" >&2; exit 1; }
# The agent at log-on: a Startup shortcut to the window program's headless agent, which
# serves (a `lock` reaches it) with no console.
startup=$(find "$WINEPREFIX/drive_c" -iname 'tokenwallet agent.lnk' -ipath '*Startup*' | head -1)
# (A shortcut keeps its arguments in UTF-16: the NULs go before looking.)
[ -n "$startup" ] && grep -aq 'tokenwallet-window.exe' "$startup" && tr -d '\0' <"$startup" | grep -q 'agent' \
  || { echo "no Startup shortcut starting the agent" >&2; exit 1; }
agent_home='C:\users\Public\tokenwallet-logon-check'
TOKENWALLET_SECRET_STORE=memory wine 'C:\Program Files\tokenwallet\tokenwallet-window.exe' --home "$agent_home" agent &
logon_agent=$!
served=''
for _ in $(seq 100); do
  if said=$(wine 'C:\Program Files\tokenwallet\tokenwallet.exe' --home "$agent_home" lock 2>&1) \
    && grep -q 'held no vault key' <<<"$said"; then served=1; break; fi
  sleep 0.3
done
kill "$logon_agent" 2>/dev/null || true
wait "$logon_agent" 2>/dev/null || true
wine taskkill /F /IM tokenwallet-window.exe >/dev/null 2>&1 || true
# Nothing of it may outlive the check: the waits below are for wine to go idle.
wineserver -k || true
[ -n "$served" ] || { echo "the log-on agent did not serve: $said" >&2; exit 1; }
# A newer MSI (same programs, next version) replaces the installed one: same UpgradeCode.
newer="${version%.*}.$(( ${version##*.} + 1 ))"
# wixl wants source paths relative to the folder it runs in.
wixl --arch x64 -D Version="$newer" -D Bin="$(realpath --relative-to=. "$target_dir")/$target/release" \
  -o "$target_dir/windows/upgrade-check.msi" packaging/windows/tokenwallet.wxs 2>/dev/null
wine msiexec /i "$target_dir/windows/upgrade-check.msi" /qn
wineserver -w
if grep -A12 '"DisplayName"="tokenwallet"' "$WINEPREFIX/system.reg" | grep -q "\"DisplayVersion\"=\"$version\""; then
  echo "the newer MSI did not replace $version" >&2; exit 1
fi
grep -A12 '"DisplayName"="tokenwallet"' "$WINEPREFIX/system.reg" | grep -q "\"DisplayVersion\"=\"$newer\""
wine msiexec /x "$target_dir/windows/upgrade-check.msi" /qn
wineserver -w
echo "windows: lint, tests under wine, MSI install, shortcut and upgrade: ok"
