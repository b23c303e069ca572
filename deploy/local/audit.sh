#!/usr/bin/env bash
# The dependency audit (deny.toml): licences, banned crates, sources and RustSec advisories, with
# cargo-deny (installed from crates.io when missing; idempotent). The advisory database lives on
# GitHub. Without access to it the check runs offline against, in order: a clone named by
# INKLINE_ADVISORY_DB, or cargo-deny's own cached copy; with neither, advisories are skipped with
# a warning (licences, bans and sources still fail the build). See docs/decisions.md.
set -euo pipefail
cd "$(dirname "$0")/../.."

DENY_VERSION="0.20"
if ! cargo deny --version 2>/dev/null | grep -q "cargo-deny $DENY_VERSION"; then
  echo "[inkline] installing cargo-deny $DENY_VERSION (once, a few minutes)" >&2
  cargo install --locked cargo-deny --version "~$DENY_VERSION" >&2
fi

cargo deny --all-features check bans licenses sources

# cargo-deny keeps the default database in <db-path>/advisory-db-<hash of its URL>.
DB_NAME="advisory-db-3157b0e258782691"
CACHED="${CARGO_HOME:-$HOME/.cargo}/advisory-dbs/$DB_NAME"
if timeout 20 git ls-remote https://github.com/rustsec/advisory-db HEAD >/dev/null 2>&1; then
  cargo deny check advisories
elif [ -n "${INKLINE_ADVISORY_DB:-}" ]; then
  scratch="$(mktemp -d)"
  trap 'rm -rf "$scratch"' EXIT
  git clone --quiet "$INKLINE_ADVISORY_DB" "$scratch/$DB_NAME"
  sed "s|^\[advisories\]|[advisories]\ndb-path = \"$scratch\"|" deny.toml > "$scratch/deny.toml"
  echo "[inkline] advisories: offline, against $INKLINE_ADVISORY_DB ($(git -C "$scratch/$DB_NAME" log -1 --format=%cs))" >&2
  cargo deny --offline --config "$scratch/deny.toml" check advisories
elif [ -d "$CACHED/crates" ]; then
  echo "[inkline] advisories: offline, against the cached database ($(git -C "$CACHED" log -1 --format=%cs 2>/dev/null || echo "date unknown"))" >&2
  cargo deny --offline check advisories
else
  echo "[inkline] WARNING: RustSec advisories NOT checked: github.com is unreachable, INKLINE_ADVISORY_DB is unset and there is no cached database" >&2
fi
