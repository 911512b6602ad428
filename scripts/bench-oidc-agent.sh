#!/usr/bin/env bash
# Groundwork for comparing `tokenwallet token NAME` with oidc-agent's `oidc-token NAME`
# against the same loopback OAuth server (tests/oidc/server.mjs, password grant + rotating
# refresh tokens), plus that server's own throughput for token requests (ApacheBench).
#
# Needs: node + `npm ci --prefix tests/oidc`, oidc-agent-cli, hyperfine, apache2-utils (ab),
# python3. Builds nothing: the tokenwallet part runs only when $BIN is an executable
# (default target/release/tokenwallet). Every request goes to 127.0.0.1 only.
#
# Knobs (env): BIN, RUNS (30), WARMUP (3), AB_REQUESTS (500), AB_CONCURRENCY (8),
# BENCH_STORE_SIZE (20000), ACCESS_TTL_SECS (3600: the cached-token runs never refresh),
# TW_CLIENT_AUTH (basic|post).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

BIN=${BIN:-$root/target/release/tokenwallet}
RUNS=${RUNS:-30}
WARMUP=${WARMUP:-3}
AB_REQUESTS=${AB_REQUESTS:-500}
AB_CONCURRENCY=${AB_CONCURRENCY:-8}
TW_CLIENT_AUTH=${TW_CLIENT_AUTH:-basic}

missing=()
for tool in node python3 oidc-agent oidc-gen oidc-token hyperfine ab; do
  command -v "$tool" >/dev/null || missing+=("$tool")
done
[ -d tests/oidc/node_modules/oidc-provider ] || missing+=("tests/oidc/node_modules (npm ci --prefix tests/oidc)")
if [ ${#missing[@]} -gt 0 ]; then
  echo "missing: ${missing[*]}" >&2
  echo "install: apt-get install -y oidc-agent-cli hyperfine apache2-utils; npm ci --prefix tests/oidc" >&2
  exit 1
fi

# Everything private lives here: the agent's socket (TMPDIR), its config (OIDC_CONFIG_DIR
# and HOME, so ~/.config/oidc-agent of the real user is never read or written), the
# tokenwallet home and the server's handshake.
work=$(mktemp -d)
server_pid='' agent_pid=''
cleanup() {
  local rc=$?
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
export HOME=$work/home TMPDIR=$work OIDC_CONFIG_DIR=$work/home/.config/oidc-agent
mkdir -p "$OIDC_CONFIG_DIR"
unset OIDC_SOCK OIDCD_PID

median_ms() { # hyperfine JSON -> one line per command
  python3 - "$1" <<'PY'
import json, sys
for r in json.load(open(sys.argv[1]))["results"]:
    print(f'  {r["command"]}: median {r["median"]*1000:.1f} ms'
          f' (mean {r["mean"]*1000:.1f} ± {r["stddev"]*1000:.1f} ms, n={len(r["times"])})')
PY
}

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

echo "oidc-token (cached access token; -f: a refresh-token round trip every run):"
hyperfine -N --style none --warmup "$WARMUP" --runs "$RUNS" \
  --export-json "$work/oidc-token.json" "oidc-token bench" "oidc-token -f bench" >/dev/null
median_ms "$work/oidc-token.json"

# ---------------------------------------------------------------------------
# tokenwallet: PLACEHOLDER, runs only when $BIN exists (this script builds nothing).
# Same client, user and server as oidc-gen above; the encrypted-file store, default work
# factor, as in scripts/bench-token.sh.
# ---------------------------------------------------------------------------
bench_tokenwallet() {
  export TOKENWALLET_HOME=$work/tokenwallet TOKENWALLET_SECRET_STORE=file TOKENWALLET_PASSPHRASE=bench
  mkdir -p "$TOKENWALLET_HOME"
  TOKENWALLET_CLIENT_SECRET=$client_secret TOKENWALLET_PASSWORD=$op_password \
    "$BIN" add bench --provider oauth2 --url "$token_endpoint" --grant password \
    --client-id "$client_id" --username "$op_user" --scope "openid offline_access" \
    --client-auth "$TW_CLIENT_AUTH" >/dev/null
  "$BIN" generate bench >/dev/null
  "$BIN" token bench >/dev/null

  echo "tokenwallet (cached access token):"
  hyperfine -N --style none --warmup "$WARMUP" --runs "$RUNS" \
    --export-json "$work/tw.json" "$BIN token bench" >/dev/null
  median_ms "$work/tw.json"
  # A refresh every run, like `oidc-token -f`: more validity asked for than a token has.
  echo "tokenwallet (TOKENWALLET_MIN_VALID_SECS=999999: a refresh-token round trip every run):"
  TOKENWALLET_MIN_VALID_SECS=999999 hyperfine -N --style none --warmup "$WARMUP" --runs "$RUNS" \
    --export-json "$work/tw-refresh.json" "$BIN token bench" >/dev/null
  median_ms "$work/tw-refresh.json"
}
if [ -x "$BIN" ]; then
  bench_tokenwallet
else
  echo "tokenwallet: skipped ($BIN not built)"
fi

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
echo "server throughput (ab):"
ab_run client_credentials 'grant_type=client_credentials&scope=api%3Aread'
ab_run password "grant_type=password&username=$op_user&password=$op_password&scope=openid%20offline_access"
