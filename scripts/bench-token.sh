#!/usr/bin/env bash
# Median wall time of `tokenwallet token NAME` with a valid cached token: the whole process,
# reading the secret from the encrypted vault (default work factor) — the store used where
# no OS keyring exists. Needs hyperfine (apt-get install hyperfine).
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$PWD/target/release/tokenwallet
cargo build --release --quiet
home=$(mktemp -d)
trap 'rm -rf "$home"' EXIT
export TOKENWALLET_HOME="$home" TOKENWALLET_SECRET_STORE=file TOKENWALLET_PASSPHRASE=bench
printf '{"access_token":"bench-access-token-0123456789","expires_in":86400}' | "$bin" import bench --provider oauth2 --url https://as.example/token --file -
"$bin" token bench >/dev/null
hyperfine --warmup 3 --runs 30 -N "$bin token bench" "$bin list" --export-json "$home/h.json" | tee /dev/stderr >/dev/null
python3 - "$home/h.json" <<'PY'
import json, sys
for r in json.load(open(sys.argv[1]))["results"]:
    print(f'{r["command"].split("/")[-1]}: median {r["median"]*1000:.1f} ms (mean {r["mean"]*1000:.1f} ms, n={len(r["times"])})')
PY
