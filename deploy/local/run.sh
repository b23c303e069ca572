#!/usr/bin/env bash
# Runs Inkline locally: the sandbox (every role, fake WhatsApp and Stripe, a demo artist) on
# http://127.0.0.1:8090. Ctrl-C stops it.
set -euo pipefail
cd "$(dirname "$0")/../.."

./deploy/local/ensure-services.sh
./deploy/local/check-rust.sh
cargo build --release --bins
exec ./target/release/inkline-dev sandbox "$@"
