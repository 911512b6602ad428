#!/usr/bin/env bash
# `tokenwallet token NAME` without an agent, OS keyring (gnome-keyring on a private D-Bus
# session, in a throwaway HOME): an account held in one keyring entry, and a real-size JWT
# pair (Active IQ shape, 1.7 KB tokens: an index entry plus parts). With BEFORE=path/to/an
# older tokenwallet binary, the same two rows for it, side by side in the same hyperfine run.
#
# Needs: gnome-keyring, dbus, hyperfine, python3 (installed when missing, on Debian).
# Nothing goes to the network: the accounts' URLs are never called (their tokens are valid).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${TW_BENCH_IN_DBUS:-}" ]; then
  for tool in dbus-run-session gnome-keyring-daemon hyperfine python3; do
    command -v "$tool" >/dev/null || {
      apt-get update >/dev/null
      DEBIAN_FRONTEND=noninteractive apt-get install -y dbus gnome-keyring hyperfine python3 >/dev/null
      break
    }
  done
  cargo build --release --quiet
  export TW_BENCH_IN_DBUS=1
  exec dbus-run-session -- bash "$0" "$@"
fi
NEW=$PWD/target/release/tokenwallet
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export CARGO_HOME="${CARGO_HOME:-$HOME/.cargo}" RUSTUP_HOME="${RUSTUP_HOME:-$HOME/.rustup}"
export HOME=$work/home XDG_RUNTIME_DIR=$work/run
mkdir -p "$HOME" "$XDG_RUNTIME_DIR" && chmod 700 "$XDG_RUNTIME_DIR"
printf 'throwaway' | gnome-keyring-daemon --unlock --components=secrets >/dev/null
export TOKENWALLET_HOME=$HOME/tw TOKENWALLET_SECRET_STORE=keyring TOKENWALLET_NO_AGENT=1
echo "tok-$(head -c 600 /dev/urandom | base64 -w0)" | "$NEW" import one --provider apinizer \
  --file - --url http://127.0.0.1:9/ --expires-at 2030-01-01 --username bench >/dev/null 2>&1
python3 - >"$work/pair.json" <<'PY'
import base64, json, os, time
b = lambda d: base64.urlsafe_b64encode(d).rstrip(b"=").decode()
def jwt(kind):
    now = int(time.time())
    payload = {"iat": now, "exp": now + 30 * 86400, "sub": "bench", "typ": kind, "pad": b(os.urandom(700))}
    return b(json.dumps({"alg": "RS512", "typ": "JWT"}).encode()) + "." + b(json.dumps(payload).encode()) + "." + b(os.urandom(512))
print(json.dumps({"access_token": jwt("access"), "refresh_token": jwt("refresh")}))
PY
"$NEW" import pair --provider active-iq --url http://127.0.0.1:9/ --file "$work/pair.json" >/dev/null 2>&1
unset TOKENWALLET_SECRET_STORE
args=()
for bin in ${BEFORE:+"$BEFORE"} "$NEW"; do
  label=$([ "$bin" = "$NEW" ] && echo this || echo before)
  for account in one pair; do
    [ "$("$bin" token "$account" | wc -c)" -gt 500 ] || { echo "$bin token $account failed" >&2; exit 1; }
    args+=(-n "$label, $account" "$bin token $account")
  done
done
hyperfine -N --style basic --warmup 3 --runs "${RUNS:-40}" "${args[@]}" 2>&1 | grep -E '^Benchmark|Time \(mean'
