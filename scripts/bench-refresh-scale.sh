#!/usr/bin/env bash
# CPU time (user + system) of one `tokenwallet refresh NAME`, the whole process, with 10
# accounts stored and with 10 000, side by side in one hyperfine run, against the loopback
# demo OAuth server (examples/demo_server.rs). The goal: storing a refresh costs the same
# whatever the number of accounts (ratio <= 2x). The encrypted vault, no agent.
# The 9 990 extra accounts are copies of a real account's two records (metadata and sealed
# secrets) under new names, as `add` would have written them, to keep the setup short.
# Needs hyperfine and python3 (hyperfine is installed when missing, on Debian).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v hyperfine >/dev/null || { apt-get update >/dev/null; apt-get install -y hyperfine >/dev/null; }
cargo build --release --quiet --bins --example demo_server
BIN=$PWD/target/release/tokenwallet
RUNS=${RUNS:-30}
work=$(mktemp -d)
server=''
trap '[ -n "$server" ] && kill "$server" 2>/dev/null; rm -rf "$work"' EXIT
target/release/examples/demo_server >"$work/demo.log" 2>&1 &
server=$!
for _ in $(seq 100); do grep -q 'server on' "$work/demo.log" && break; sleep 0.05; done
issuer=$(sed -n 's/^Demo OAuth 2.0 server on \(http[^ ]*\) .*/\1/p' "$work/demo.log")
[ -n "$issuer" ] || { cat "$work/demo.log" >&2; exit 1; }
export TOKENWALLET_SECRET_STORE=file TOKENWALLET_PASSPHRASE=bench TOKENWALLET_VAULT_WORK_FACTOR=10
export TOKENWALLET_NO_AGENT=1 TOKENWALLET_CLIENT_SECRET=demo-secret TOKENWALLET_PASSWORD=demo-password
for n in 10 10000; do
  home=$work/h$n
  mkdir -p "$home"
  for i in $(seq 0 9); do
    TOKENWALLET_HOME=$home "$BIN" add "a$i" --provider oauth2 --grant password --issuer "$issuer" \
      --client-id demo-client --username demo --scope api:read 2>/dev/null
    TOKENWALLET_HOME=$home "$BIN" generate "a$i" 2>/dev/null
  done
  python3 - "$home" "$n" <<'PY'
import json, os, shutil, sys
home, n = sys.argv[1], int(sys.argv[2])
hexname = lambda name: name.encode().hex()
record = json.load(open(f"{home}/accounts/{hexname('a0')}.json"))
for i in range(10, n):
    name = f"a{i}"
    record.update(name=name, order=record.get("order", 0) + i)
    with open(f"{home}/accounts/{hexname(name)}.json", "w") as f:
        json.dump(record, f)
    shutil.copyfile(f"{home}/vault/{hexname('a0')}.age", f"{home}/vault/{hexname(name)}.age")
print(f"{home}: {len(os.listdir(home + '/accounts')) - 1} accounts")
PY
done
hyperfine -N --style none --warmup 3 --runs "$RUNS" --export-json "$work/scale.json" \
  "env TOKENWALLET_HOME=$work/h10 $BIN refresh a5" \
  "env TOKENWALLET_HOME=$work/h10000 $BIN refresh a5" >/dev/null
python3 - "$work/scale.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"]
cpu = [(x["user"] + x["system"]) * 1000 for x in r]
wall = [x["median"] * 1000 for x in r]
print(f"refresh NAME with 10 accounts:     CPU {cpu[0]:.2f} ms (wall median {wall[0]:.2f} ms)")
print(f"refresh NAME with 10 000 accounts: CPU {cpu[1]:.2f} ms (wall median {wall[1]:.2f} ms)")
print(f"ratio 10 000 / 10: CPU {cpu[1] / cpu[0]:.2f}x (goal <= 2x), wall {wall[1] / wall[0]:.2f}x")
PY
