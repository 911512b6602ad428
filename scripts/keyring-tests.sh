#!/usr/bin/env bash
# Runs the OS keyring tests (tests/keyring.rs) against a real Secret Service: gnome-keyring
# on a private D-Bus session, unlocked with a throwaway password, in a throwaway HOME so the
# user's own keyring is never touched. Needs: apt-get install gnome-keyring dbus
set -euo pipefail
cd "$(dirname "$0")/.."
# Build first, outside the private session, so the session only lives for the tests.
cargo test --test keyring --no-run --quiet
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
export CARGO_HOME="${CARGO_HOME:-$HOME/.cargo}" RUSTUP_HOME="${RUSTUP_HOME:-$HOME/.rustup}"
export HOME="$scratch" XDG_DATA_HOME="$scratch/data" XDG_RUNTIME_DIR="$scratch/run"
mkdir -p "$XDG_RUNTIME_DIR" && chmod 700 "$XDG_RUNTIME_DIR"
exec dbus-run-session -- bash -c '
  printf "throwaway" | gnome-keyring-daemon --unlock --components=secrets >/dev/null
  cargo test --test keyring -- --ignored
'
