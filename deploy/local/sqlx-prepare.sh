#!/usr/bin/env bash
# Refreshes `.sqlx/`, the offline cache of the checked queries (`sqlx::query!`, `query_as!`,
# `query_scalar!`), after adding or changing one or after a migration: builds the schema from
# `migrations/` in a scratch database, expands every query macro against it (which writes one
# `.sqlx/query-<hash>.json` per query), drops the scratch database, then checks that the
# workspace builds from the cache alone. Commit the `.sqlx/` changes with the code.
set -euo pipefail
cd "$(dirname "$0")/../.."

PG="${SQLX_PREPARE_PG:-postgres://postgres@127.0.0.1:5432}"
DB="inkline_sqlx_prepare_$$"
psql "$PG/postgres" -qtAc "CREATE DATABASE $DB" >/dev/null
trap 'psql "$PG/postgres" -qtAc "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null' EXIT
# The schema only (no `_sqlx_migrations` bookkeeping is needed to describe queries); plain psql, so
# a query the cache does not know yet cannot stop the migration from running.
for f in migrations/*.sql; do
  psql "$PG/$DB" -q -v ON_ERROR_STOP=1 --single-transaction -f "$f" >/dev/null
done

# Files with a query macro are touched so cargo expands them again.
touch_queries() { grep -rlE --include=*.rs 'sqlx::query(_as|_scalar)?!' shared console workers ingress tests | xargs -r touch; }

rm -f .sqlx/query-*.json
mkdir -p .sqlx
touch_queries
SQLX_OFFLINE=false DATABASE_URL="$PG/$DB" SQLX_OFFLINE_DIR="$PWD/.sqlx" cargo check --workspace --all-targets
touch_queries
SQLX_OFFLINE=true cargo check --workspace --all-targets
echo "[inkline] .sqlx/ holds $(ls .sqlx | wc -l) queries; commit it with the code" >&2
