#!/usr/bin/env bash
# The agent's benchmarks, side by side in one run against one loopback OAuth server
# (tests/oidc/server.mjs: oidc-provider with a password grant and rotating refresh tokens):
#  1. `tokenwallet token NAME` with a valid cached token, through the agent and without one,
#     with the encrypted vault and with the OS keyring (gnome-keyring on a private D-Bus
#     session), next to oidc-agent's `oidc-token NAME` on the same server;
#  2. `tokenwallet refresh --all` over ACCOUNTS accounts with rotating refresh tokens, next
#     to the server's own time for as many token requests at the same concurrency (ab).
# Prints the ratios with their goals. Builds the release binary first.
#
# Needs: node + `npm ci --prefix tests/oidc`, oidc-agent-cli, hyperfine, apache2-utils (ab),
# gnome-keyring + dbus (for the keyring rows), python3 (installed when missing, on Debian).
# Every request goes to 127.0.0.1 only. Knobs (env): RUNS (30), WARMUP (3), ACCOUNTS (500).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

# The keyring rows need a Secret Service: run the whole bench inside a private D-Bus session.
if [ -z "${TW_BENCH_IN_DBUS:-}" ] && command -v dbus-run-session >/dev/null \
  && command -v gnome-keyring-daemon >/dev/null; then
  export TW_BENCH_IN_DBUS=1
  exec dbus-run-session -- bash "$0" "$@"
fi

missing=()
for tool in node python3 oidc-agent oidc-gen oidc-token hyperfine ab; do
  command -v "$tool" >/dev/null || missing+=("$tool")
done
if [ ${#missing[@]} -gt 0 ]; then
  apt-get update >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y oidc-agent-cli hyperfine apache2-utils >/dev/null
fi
[ -d tests/oidc/node_modules/oidc-provider ] || npm ci --prefix tests/oidc --no-audit --no-fund >/dev/null
cargo build --release --quiet
BIN=$root/target/release/tokenwallet
RUNS=${RUNS:-30}
WARMUP=${WARMUP:-3}
ACCOUNTS=${ACCOUNTS:-500}
JOBS=8
PER_HOST=4 # tokenwallet's limit per provider host: ab runs at the same concurrency

# Everything private lives here: oidc-agent's socket and config (HOME, TMPDIR,
# OIDC_CONFIG_DIR: the real ~/.config/oidc-agent is never touched), the keyring's files,
# the tokenwallet homes and the server's handshake.
work=$(mktemp -d)
server_pid='' agent_pid='' tw_agents=()
cleanup() {
  local rc=$?
  for pid in "${tw_agents[@]}"; do kill "$pid" 2>/dev/null || true; done
  if [ -n "$agent_pid" ]; then kill "$agent_pid" 2>/dev/null || true; fi
  exec 3>&- # closes the server's stdin: it exits by itself
  if [ -n "$server_pid" ]; then
    for _ in $(seq 50); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
    kill "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
export CARGO_HOME="${CARGO_HOME:-$HOME/.cargo}" RUSTUP_HOME="${RUSTUP_HOME:-$HOME/.rustup}"
export HOME=$work/home TMPDIR=$work OIDC_CONFIG_DIR=$work/home/.config/oidc-agent
export XDG_DATA_HOME=$work/home/.local/share XDG_RUNTIME_DIR=$work/run
mkdir -p "$OIDC_CONFIG_DIR" "$XDG_RUNTIME_DIR" && chmod 700 "$XDG_RUNTIME_DIR"
unset OIDC_SOCK OIDCD_PID
keyring=no
if [ -n "${TW_BENCH_IN_DBUS:-}" ]; then
  printf 'throwaway' | gnome-keyring-daemon --unlock --components=secrets >/dev/null
  keyring=yes
fi


# ---------------------------------------------------------------------------
# The server: stdin held open through a fifo on fd 3, one JSON handshake line on stdout.
# ---------------------------------------------------------------------------
mkfifo "$work/server.in"
BENCH_PASSWORD_GRANT=1 BENCH_STORE_SIZE=${BENCH_STORE_SIZE:-20000} \
  ACCESS_TTL_SECS=${ACCESS_TTL_SECS:-3600} MAX_LIFETIME_MS=${MAX_LIFETIME_MS:-1800000} \
  node tests/oidc/server.mjs <"$work/server.in" >"$work/handshake.json" 2>"$work/server.log" &
server_pid=$!
exec 3>"$work/server.in"
for _ in $(seq 300); do
  [ -s "$work/handshake.json" ] && break
  kill -0 "$server_pid" 2>/dev/null || { cat "$work/server.log" >&2; echo "server died" >&2; exit 1; }
  sleep 0.1
done
[ -s "$work/handshake.json" ] || { cat "$work/server.log" >&2; echo "no handshake in 30 s" >&2; exit 1; }
eval "$(python3 - "$work/handshake.json" <<'PY'
import json, shlex, sys
h = json.load(open(sys.argv[1]))
b = h["bench"]
for k, v in {"issuer": h["issuer"], "token_endpoint": h["token_endpoint"],
             "client_id": b["client_id"], "client_secret": b["client_secret"],
             "redirect_uri": b["redirect_uri"], "op_user": b["username"],
             "op_password": b["password"]}.items():
    print(f"{k}={shlex.quote(v)}")
PY
)"
echo "server: $issuer (client $client_id, user $op_user)"

# ---------------------------------------------------------------------------
# oidc-agent + oidc-gen (password flow, non-interactive) + oidc-token
# ---------------------------------------------------------------------------
eval "$(oidc-agent --quiet)" >/dev/null
agent_pid=$OIDCD_PID
export OIDC_ENCRYPTION_PW=bench-encryption-password
oidc-gen bench --iss="$issuer" --client-id="$client_id" --client-secret="$client_secret" \
  --flow=password --op-username="$op_user" --op-password="$op_password" \
  --scope="openid offline_access" --redirect-uri="$redirect_uri" \
  --pw-env=OIDC_ENCRYPTION_PW --no-url-call --prompt=none --confirm-default \
  </dev/null >"$work/oidc-gen.log" 2>&1 || { cat "$work/oidc-gen.log" >&2; exit 1; }
oidc-token bench >/dev/null


# ---------------------------------------------------------------------------
# tokenwallet: the same client, user and server as oidc-gen above, one home per store.
# ---------------------------------------------------------------------------
tw_home() { # store -> a home with the account `bench` and a generated token; echoes it
  local home=$work/tw-$1
  mkdir -p "$home"
  TOKENWALLET_HOME=$home TOKENWALLET_SECRET_STORE=$1 TOKENWALLET_PASSPHRASE=bench \
    TOKENWALLET_CLIENT_SECRET=$client_secret TOKENWALLET_PASSWORD=$op_password \
    "$BIN" add bench --provider oauth2 --url "$token_endpoint" --grant password \
    --client-id "$client_id" --username "$op_user" --scope "openid offline_access" >/dev/null 2>&1
  TOKENWALLET_HOME=$home TOKENWALLET_PASSPHRASE=bench "$BIN" generate bench >/dev/null 2>&1
  echo "$home"
}
start_tw_agent() { # home
  TOKENWALLET_HOME=$1 "$BIN" agent 2>"$1.agent.log" &
  tw_agents+=($!)
  for _ in $(seq 100); do grep -q 'serves' "$1.agent.log" && return; sleep 0.05; done
  cat "$1.agent.log" >&2; exit 1
}
vault=$(tw_home file)
commands=("oidc-token bench")
names=("oidc-token")
commands+=("env TOKENWALLET_HOME=$vault TOKENWALLET_NO_AGENT=1 TOKENWALLET_PASSPHRASE=bench $BIN token bench")
names+=("vault, no agent")
start_tw_agent "$vault"
TOKENWALLET_HOME=$vault TOKENWALLET_PASSPHRASE=bench "$BIN" unlock --for 1h 2>/dev/null
commands+=("$BIN --home $vault token bench")
names+=("vault, agent")
if [ "$keyring" = yes ]; then
  kr=$(tw_home keyring)
  commands+=("env TOKENWALLET_HOME=$kr TOKENWALLET_NO_AGENT=1 $BIN token bench")
  names+=("keyring, no agent")
  start_tw_agent "$kr"
  commands+=("$BIN --home $kr token bench")
  names+=("keyring, agent")
fi
# The rows through the agent name the home with --home, not through `env`: oidc-token runs
# with no wrapper, and an exec of env costs about a third of a millisecond.
for c in "${commands[@]}"; do $c >/dev/null; done # each answers before it is timed
hyperfine -N --style none --warmup "$WARMUP" --runs "$RUNS" --export-json "$work/token.json" \
  "${commands[@]}" >/dev/null
python3 - "$work/token.json" "${names[@]}" <<'PY'
import json, sys
results = json.load(open(sys.argv[1]))["results"]
names = sys.argv[2:]
med = {n: r["median"] * 1000 for n, r in zip(names, results)}
print("token NAME, valid cached token (median of the whole process, one hyperfine run):")
for n in names:
    print(f"  {n:18} {med[n]:7.2f} ms")
base = med["oidc-token"]
for n in names[1:]:
    goal = {"vault, agent": "goal <= 1.5x", "keyring, agent": "goal <= 1.5x",
            "keyring, no agent": "goal <= 10 ms"}.get(n, "no goal (scrypt is deliberate)")
    print(f"  {n:18} = {med[n] / base:5.2f}x oidc-token   ({goal})")
PY

# ---------------------------------------------------------------------------
# refresh --all over ACCOUNTS accounts with rotating refresh tokens (the vault), against
# the server's own time for as many token requests at tokenwallet's concurrency per host.
# ---------------------------------------------------------------------------
many=$work/tw-many
mkdir -p "$many"
export TOKENWALLET_VAULT_WORK_FACTOR=10 # the one scrypt per process: setup speed only
for i in $(seq "$ACCOUNTS"); do
  TOKENWALLET_HOME=$many TOKENWALLET_SECRET_STORE=file TOKENWALLET_PASSPHRASE=bench \
    TOKENWALLET_CLIENT_SECRET=$client_secret TOKENWALLET_PASSWORD=$op_password \
    "$BIN" add "acct$i" --provider oauth2 --url "$token_endpoint" --grant password \
    --client-id "$client_id" --username "$op_user" --scope "openid offline_access" >/dev/null 2>&1
done
# The first pass signs every account in (password grant); the timed ones rotate.
TOKENWALLET_HOME=$many TOKENWALLET_PASSPHRASE=bench "$BIN" refresh --all 2>/dev/null
hyperfine -N --style none --runs 3 --export-json "$work/all.json" \
  "env TOKENWALLET_HOME=$many TOKENWALLET_PASSPHRASE=bench $BIN refresh --all --jobs $JOBS" >/dev/null
# ---------------------------------------------------------------------------
# The server alone: AB_REQUESTS token requests at concurrency AB_CONCURRENCY, HTTP Basic
# client auth, form body (no keep-alive: a new connection per request, as a CLI makes).
# ---------------------------------------------------------------------------
ab_run() { # label, form body
  printf '%s' "$2" >"$work/ab.body"
  ab -q -n "$AB_REQUESTS" -c "$AB_CONCURRENCY" -A "$client_id:$client_secret" \
    -T application/x-www-form-urlencoded -p "$work/ab.body" "$token_endpoint" >"$work/ab.out" 2>&1 \
    || { cat "$work/ab.out" >&2; exit 1; }
  if grep -q '^Non-2xx responses' "$work/ab.out" || ! grep -q "^Complete requests: *$AB_REQUESTS\$" "$work/ab.out"; then
    cat "$work/ab.out" >&2; echo "ab: not every request succeeded" >&2; exit 1
  fi
  awk -v label="$1" -v n="$AB_REQUESTS" -v c="$AB_CONCURRENCY" '
    /^Time taken for tests:/ { secs = $5 }
    /^Requests per second:/ { rps = $4 }
    /^Failed requests:/ { failed = $3 }
    END { printf "  %s: %d requests, concurrency %d: %.3f s (%.0f req/s, %d failed)\n", label, n, c, secs, rps, failed }
  ' "$work/ab.out"
}
AB_REQUESTS=$ACCOUNTS AB_CONCURRENCY=$PER_HOST
ab_run password "grant_type=password&username=$op_user&password=$op_password&scope=openid%20offline_access"
python3 - "$work/all.json" "$work/ab.out" "$ACCOUNTS" "$PER_HOST" <<'PY'
import json, re, sys
ours = json.load(open(sys.argv[1]))["results"][0]["median"]
server = float(re.search(r"Time taken for tests:\s+([\d.]+)", open(sys.argv[2]).read()).group(1))
print(f"refresh --all, {sys.argv[3]} accounts: {ours:.2f} s; the server alone, {sys.argv[3]} "
      f"token requests at concurrency {sys.argv[4]} (ab): {server:.2f} s; "
      f"ratio {ours / server:.2f}x (goal <= 3x)")
PY

# ---------------------------------------------------------------------------
# refresh --all over KEYRING_ACCOUNTS accounts on the OS keyring (gnome-keyring on this
# private D-Bus session), against the keyring's own floor: as many item writes by
# `secret-tool store` (one per account, a token-sized secret, JOBS at once), same session.
# ---------------------------------------------------------------------------
if [ "$keyring" = yes ]; then
  command -v secret-tool >/dev/null || {
    apt-get update >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y libsecret-tools >/dev/null
  }
  KEYRING_ACCOUNTS=${KEYRING_ACCOUNTS:-$ACCOUNTS}
  ring=$work/tw-ring
  mkdir -p "$ring"
  for i in $(seq "$KEYRING_ACCOUNTS"); do
    TOKENWALLET_HOME=$ring TOKENWALLET_SECRET_STORE=keyring \
      TOKENWALLET_CLIENT_SECRET=$client_secret TOKENWALLET_PASSWORD=$op_password \
      "$BIN" add "acct$i" --provider oauth2 --url "$token_endpoint" --grant password \
      --client-id "$client_id" --username "$op_user" --scope "openid offline_access" >/dev/null 2>&1
  done
  TOKENWALLET_HOME=$ring "$BIN" refresh --all 2>/dev/null
  # A token-sized secret (an access token and a refresh token, as the wallet stores them).
  secret=$(head -c 1200 /dev/urandom | base64 -w0)
  printf '%s\n' "$secret" >"$work/secret"
  seq "$KEYRING_ACCOUNTS" >"$work/ids"
  cat >"$work/floor.sh" <<FLOOR
xargs -P $JOBS -I{} sh -c 'secret-tool store --label=floor service tw-floor account acct{} <"$work/secret"' <"$work/ids"
FLOOR
  hyperfine -N --style none --runs 3 --export-json "$work/ring.json" \
    "env TOKENWALLET_HOME=$ring $BIN refresh --all --jobs $JOBS" \
    "bash $work/floor.sh" >/dev/null
  python3 - "$work/ring.json" "$KEYRING_ACCOUNTS" <<'PY'
import json, sys
ours, floor = (r["median"] for r in json.load(open(sys.argv[1]))["results"])
print(f"refresh --all on the OS keyring, {sys.argv[2]} accounts: {ours:.2f} s; the keyring's "
      f"floor, {sys.argv[2]} secret-tool writes: {floor:.2f} s; ratio {ours / floor:.2f}x "
      f"(goal <= 1.5x)")
PY
fi
