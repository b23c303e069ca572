#!/usr/bin/env bash
# Runs every test: makes sure the services run, checks formatting and lints, builds the binaries
# the process-level tests spawn, then runs the whole suite with cargo-nextest (cargo test when nextest is missing).
set -euo pipefail
cd "$(dirname "$0")/../.."

./deploy/local/ensure-services.sh
# Checked queries compile from the committed cache (.sqlx/), never against a live database.
export SQLX_OFFLINE=true
./deploy/local/check-rust.sh
# The browser test needs Debian's Chromium and chromedriver (it fails without them).
./deploy/local/install-chromium.sh

# As strict as the team: formatting, lints (clippy.toml forbids holding entered spans) and the
# dependency audit (deny.toml).
cargo fmt --all -- --check
cargo clippy --workspace --all-targets -- -D warnings
./deploy/local/audit.sh
cargo build --workspace --bins
if cargo nextest --version >/dev/null 2>&1; then
  cargo nextest run --workspace --no-fail-fast "$@"
else
  echo "[inkline] cargo-nextest not found (cargo install cargo-nextest --locked); using cargo test" >&2
  cargo test --workspace --no-fail-fast "$@"
fi
