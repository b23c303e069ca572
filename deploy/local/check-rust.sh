#!/usr/bin/env bash
# Checks for a Rust toolchain new enough for this workspace (edition 2024: Rust 1.85+).
set -euo pipefail
if ! command -v cargo >/dev/null 2>&1; then
  echo "[inkline] Rust is not installed. Install it with rustup (https://rustup.rs), then rerun." >&2
  exit 1
fi
version=$(rustc --version | awk '{print $2}')
major=${version%%.*}; rest=${version#*.}; minor=${rest%%.*}
if [ "$major" -lt 1 ] || { [ "$major" -eq 1 ] && [ "$minor" -lt 85 ]; }; then
  echo "[inkline] Rust $version is too old: this workspace needs 1.85 or newer (rustup update)." >&2
  exit 1
fi
# The test command checks formatting and lints: make sure rustfmt and clippy are there.
for tool in rustfmt clippy; do
  if ! cargo "${tool/rustfmt/fmt}" --version >/dev/null 2>&1; then
    if command -v rustup >/dev/null 2>&1; then
      rustup component add "$tool" >&2
    else
      echo "[inkline] cargo $tool is missing: install the $tool component of your Rust toolchain." >&2
      exit 1
    fi
  fi
done
