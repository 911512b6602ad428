#!/usr/bin/env bash
# Runs the real release window under Xvfb with the demo account and a few imported
# accounts, takes a screenshot (assets/screenshot.png), and measures idle CPU and repaints
# per second over a quiet minute. Needs: apt-get install xvfb xauth libgl1-mesa-dri imagemagick
set -euo pipefail
cd "$(dirname "$0")/.."
bin=target/release/tokenwallet
cargo build --release --quiet
home=$(mktemp -d)
export TOKENWALLET_HOME="$home" TOKENWALLET_SECRET_STORE=file TOKENWALLET_PASSPHRASE=evidence
tmp=$(mktemp -d)
now_ms=$(($(date +%s) * 1000))
# An Aruba Central download from 100 minutes ago, an Active IQ pair, an Apinizer personal token.
printf '{"access_token":"aruba-access-%s","appname":"netops","authenticated_userid":"ops@example.com","created_at":%s,"credential_id":"c1","expires_in":7200,"id":"t1","refresh_token":"aruba-refresh-%s","scope":"all","token_type":"bearer"}' \
  "$RANDOM$RANDOM" "$((now_ms - 6000000))" "$RANDOM$RANDOM" > "$tmp/aruba.json"
printf 'Access Token: aiq-access-%s\nRefresh Token: aiq-refresh-%s\n' "$RANDOM$RANDOM" "$RANDOM$RANDOM" > "$tmp/aiq.txt"
printf 'apinizer-personal-token-%s\n' "$RANDOM$RANDOM" > "$tmp/pat.txt"
"$bin" import eu-central --provider aruba-central --url https://eu-apigw.central.arubanetworks.com --client-id netops-app --file "$tmp/aruba.json"
"$bin" import aiq-prod --provider active-iq --file "$tmp/aiq.txt"
"$bin" import apinizer-ci --provider apinizer --url https://apinizer.example.com --file "$tmp/pat.txt" --expires-at "$(date -d '+20 days' +%F)"
"$bin" import aiq-lab --provider active-iq --file "$tmp/aiq.txt"
"$bin" revoke aiq-lab
export DISPLAY=:99
Xvfb :99 -screen 0 1100x680x24 -nolisten tcp >/dev/null 2>&1 &
xvfb=$!
trap 'kill $xvfb 2>/dev/null; rm -rf "$home" "$tmp"' EXIT
sleep 1
TOKENWALLET_DEMO=1 TOKENWALLET_FRAME_STATS=1 "$bin" 2> "$tmp/window.log" &
app=$!
sleep 6
import -window root assets/screenshot.png
echo "screenshot: assets/screenshot.png"
# Idle: nobody touches the window for 60 s.
ticks=$(getconf CLK_TCK)
cpu() { awk '{print $14 + $15}' "/proc/$app/stat"; }
start=$(cpu); t0=$(date +%s.%N)
sleep 60
end=$(cpu); t1=$(date +%s.%N)
rss_kb=$(awk '/^VmRSS/ {print $2}' "/proc/$app/status")
kill "$app"; wait "$app" 2>/dev/null || true
echo "resident memory after the idle minute: $((rss_kb / 1024)) MiB"
awk -v a="$start" -v b="$end" -v t0="$t0" -v t1="$t1" -v hz="$ticks" \
  'BEGIN { printf "idle CPU: %.2f %% of one core over %.0f s\n", 100 * (b - a) / hz / (t1 - t0), t1 - t0 }'
grep "frames in" "$tmp/window.log" | tail -5
