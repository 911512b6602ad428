#!/usr/bin/env bash
# Issue 18's numbers, from one run:
#  1. an idle agent serving ACCOUNTS Active IQ accounts (1000), KEPT of them (50) with a
#     kept file, the vault unlocked, nothing due for an hour: its wake-ups per minute (the
#     context switches of all its threads, from /proc) and its CPU (user + system time)
#     over IDLE_SECS (300);
#  2. from a refresh's answer to every kept file of that account rewritten: KEPT files on
#     one account, RUNS refreshes against the loopback oidc-provider server
#     (tests/oidc/server.mjs), timed by the wallet itself (its debug line "rewrote the kept
#     files", in microseconds).
# Prints each figure next to its goal. Linux only (/proc). Every request goes to 127.0.0.1.
# Needs: node + `npm ci --prefix tests/oidc`, python3.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d tests/oidc/node_modules/oidc-provider ] || npm ci --prefix tests/oidc --no-audit --no-fund >/dev/null
cargo build --release --quiet --bin tokenwallet
BIN=$PWD/target/release/tokenwallet
ACCOUNTS=${ACCOUNTS:-1000} KEPT=${KEPT:-50} IDLE_SECS=${IDLE_SECS:-300} RUNS=${RUNS:-20}
work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  exec 3>&- 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
export TOKENWALLET_SECRET_STORE=file TOKENWALLET_PASSPHRASE=bench
export TOKENWALLET_VAULT_WORK_FACTOR=10 # one scrypt per process: setup speed only
export XDG_RUNTIME_DIR=$work/run && mkdir -m 700 "$XDG_RUNTIME_DIR"

# 1. The idle agent (IDLE_SECS=0 skips it).
if [ "$IDLE_SECS" -gt 0 ]; then
idle=$work/idle && mkdir -p "$idle/files"
expires=$(date -u -d '+2 hours' +%Y-%m-%dT%H:%M:%SZ)
for i in $(seq "$ACCOUNTS"); do
  printf 'Access Token: aiq-access-%s\nRefresh Token: aiq-refresh-%s\n' "$i" "$i" \
    | TOKENWALLET_HOME=$idle "$BIN" import "acct$i" --provider active-iq --file - \
      --expires-at "$expires" >/dev/null 2>&1
done
for i in $(seq "$KEPT"); do
  TOKENWALLET_HOME=$idle "$BIN" export "acct$i" --out "$idle/files/acct$i.txt" --keep-fresh 2>/dev/null
done
TOKENWALLET_HOME=$idle "$BIN" agent 2>"$work/idle-agent.log" &
agent=$!
pids+=("$agent")
for _ in $(seq 100); do grep -q serves "$work/idle-agent.log" && break; sleep 0.05; done
TOKENWALLET_HOME=$idle "$BIN" unlock --for 2h 2>/dev/null
sleep 15 # the first round reads every account once
sample() { # -> "context-switches cpu-ticks"
  local switches=0
  for status in /proc/"$agent"/task/*/status; do
    switches=$(( switches + $(awk '/ctxt_switches/ { n += $2 } END { print n }' "$status") ))
  done
  echo "$switches $(awk '{ print $14 + $15 }' /proc/"$agent"/stat)"
}
read -r s0 t0 < <(sample)
sleep "$IDLE_SECS"
read -r s1 t1 < <(sample)
python3 - "$s0" "$s1" "$t0" "$t1" "$IDLE_SECS" "$(getconf CLK_TCK)" "$ACCOUNTS" "$KEPT" <<'PY'
import sys
s0, s1, t0, t1, secs, hz, accounts, kept = map(int, sys.argv[1:])
per_min = (s1 - s0) / (secs / 60)
cpu = (t1 - t0) / hz / secs * 100
print(f"idle agent, {accounts} accounts, {kept} kept files, {secs} s: "
      f"{s1 - s0} context switches = {per_min:.2f} wake-ups/min (goal <= 2); "
      f"{t1 - t0} CPU ticks = {cpu:.3f} % of a core (goal <= 0.1 %)")
PY
kill "$agent"
fi

# 2. Kept files rewritten after a refresh, against the loopback OAuth server.
mkfifo "$work/server.in"
BENCH_PASSWORD_GRANT=1 node tests/oidc/server.mjs <"$work/server.in" >"$work/handshake.json" 2>"$work/server.log" &
pids+=($!)
exec 3>"$work/server.in"
for _ in $(seq 300); do [ -s "$work/handshake.json" ] && break; sleep 0.1; done
eval "$(python3 - "$work/handshake.json" <<'PY'
import json, shlex, sys
h = json.load(open(sys.argv[1])); b = h["bench"]
for k, v in {"token_endpoint": h["token_endpoint"], "client_id": b["client_id"],
             "client_secret": b["client_secret"], "op_user": b["username"],
             "op_password": b["password"]}.items():
    print(f"{k}={shlex.quote(v)}")
PY
)"
busy=$work/busy && mkdir -p "$busy/files"
TOKENWALLET_HOME=$busy TOKENWALLET_CLIENT_SECRET=$client_secret TOKENWALLET_PASSWORD=$op_password \
  "$BIN" add bench --provider oauth2 --url "$token_endpoint" --grant password \
  --client-id "$client_id" --username "$op_user" --scope "openid offline_access" >/dev/null 2>&1
TOKENWALLET_HOME=$busy "$BIN" generate bench 2>/dev/null
formats=(text json env header postman)
for i in $(seq "$KEPT"); do
  TOKENWALLET_HOME=$busy "$BIN" export bench --format "${formats[i % 5]}" \
    --out "$busy/files/kept$i" --keep-fresh 2>/dev/null
done
for _ in $(seq "$RUNS"); do
  TOKENWALLET_HOME=$busy TOKENWALLET_NO_AGENT=1 TOKENWALLET_LOG=debug "$BIN" refresh bench 2>&1 \
    | sed -E 's/\x1b\[[0-9;]*m//g' | grep 'rewrote the kept files' | sed -E 's/.*micros=([0-9]+).*/\1/'
done >"$work/rewrites"
python3 - "$work/rewrites" "$KEPT" "$RUNS" <<'PY'
import statistics, sys
micros = sorted(int(line) for line in open(sys.argv[1]) if line.strip())
assert len(micros) == int(sys.argv[3]), micros
print(f"refresh answer to {sys.argv[2]} kept files rewritten, {len(micros)} refreshes: "
      f"median {statistics.median(micros) / 1000:.2f} ms, max {micros[-1] / 1000:.2f} ms (goal <= 50 ms)")
PY
