#!/usr/bin/env bash
# Runs the real release window under Xvfb with the demo account (which comes with its API's
# OpenAPI spec), opens Try it, picks GET /echo/{id}, fills it, sends it, and takes a
# screenshot of the answer (assets/api-pane.png). The clicks are at the layout's positions
# in a 1280x900 window: if the layout changes, look at the screenshots it leaves in /tmp.
# Needs: apt-get install xvfb xauth xdotool imagemagick libgl1-mesa-dri
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet --bin tokenwallet-window
home=$(mktemp -d)
export TOKENWALLET_HOME="$home" TOKENWALLET_SECRET_STORE=file TOKENWALLET_PASSPHRASE=evidence
export DISPLAY=:97
Xvfb :97 -screen 0 1280x900x24 -nolisten tcp >/dev/null 2>&1 &
xvfb=$!
trap 'kill $app $xvfb 2>/dev/null; rm -rf "$home"' EXIT
sleep 1
TOKENWALLET_DEMO=1 target/release/tokenwallet-window 2>/dev/null &
app=$!
sleep 6
window=$(xdotool search --name tokenwallet | head -1)
xdotool windowsize "$window" 1280 900
xdotool windowfocus "$window"
sleep 1
click() { xdotool mousemove "$1" "$2" click 1; sleep 0.5; }
click 487 538   # fold the decoded claims
click 487 561   # open Try it
sleep 1
click 700 730   # GET /echo/{id}
click 673 830; xdotool type --delay 40 "42"
click 673 854; xdotool type --delay 40 "alpha, beta"
for _ in 1 2 3 4 5 6 7 8; do xdotool mousemove 900 600 click 5; sleep 0.1; done
sleep 0.5
import -window root /tmp/api-pane-form.png
click 673 803; xdotool type --delay 40 "trace-7"
click 541 850   # Send request
sleep 1.5
for _ in 1 2 3 4 5 6 7 8 9 10 11 12; do xdotool mousemove 1000 600 click 5; sleep 0.1; done
sleep 1
import -window root assets/api-pane.png
echo "screenshot: assets/api-pane.png"
