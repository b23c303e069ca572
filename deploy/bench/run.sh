#!/usr/bin/env bash
# Benchmarks with their ceilings, in one run; writes the markdown table for docs/benchmarks.md
# (target/bench-results/benchmarks.md, or BENCH_DOC=docs/benchmarks.md to overwrite it).
#
#   deploy/bench/run.sh            # everything (about 12 minutes on 2 cores)
#   QUICK=1 deploy/bench/run.sh    # shorter runs (about 5 minutes), same table
#
# Needs the machine's own PostgreSQL and RabbitMQ on loopback (and rabbitmqctl, pgbench).
# Everything it creates is a throwaway database + vhost, removed at the end. Release builds go to
# CARGO_TARGET_DIR (default target/bench) so the shared debug build is not disturbed.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target/bench}
BIN=$CARGO_TARGET_DIR/release
OUT=${BENCH_OUT:-$ROOT/target/bench-results}
# The generated table; docs/benchmarks.md carries it together with the analysis of each run.
DOC=${BENCH_DOC:-$OUT/benchmarks.md}
PG_ADMIN=${PG_ADMIN:-postgres://postgres@127.0.0.1:5432/postgres}
QUICK=${QUICK:-0}
if [ "$QUICK" = 1 ]; then SECS=10; SUSTAIN=30; else SECS=20; SUSTAIN=60; fi
mkdir -p "$OUT"
log() { echo "[bench] $*" >&2; }

log "release build into $CARGO_TARGET_DIR"
cargo build --release --workspace --bins >&2
git rev-parse --short HEAD > "$OUT/commit.txt" 2>/dev/null || echo unknown > "$OUT/commit.txt"
{ uptime; nproc; } > "$OUT/machine.txt"
LOADGEN=("$BIN/inkline-dev" loadgen --bin-dir "$BIN" --progress never --json)

# 1. Ingress vs the raw publish-with-confirms ceiling (same broker, queue, message size, 64 in flight).
log "1/5 confirm ceiling (${SECS}s)"
"$BIN/inkline-bench" confirm-ceiling --concurrency 64 --seconds "$SECS" > "$OUT/ceiling.json"
log "1/5 ingress alone, signed webhooks, 64 in flight (${SECS}s)"
"${LOADGEN[@]}" --spawn-fleet --worker-process none --no-replies --concurrency 64 \
  --clients 200000 --messages-per-client 14 --duration "${SECS}s" --summary-file "$OUT/ingress.json" > /dev/null

# 2. Conversation worker vs pgbench running the worker's own per-message transaction.
log "2/5 conversation worker drain"
"$BIN/inkline-bench" worker-drain --clients 3000 --messages 3 --bin-dir "$BIN" --keep 1 > "$OUT/worker.json"
DB=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["database"])' "$OUT/worker.json")
log "2/5 pgbench on $DB (10 clients = DATABASE_MAX_CONNECTIONS, ${SECS}s)"
pgbench -h 127.0.0.1 -U postgres -n -M simple -c 10 -j 2 -T "$SECS" -f deploy/bench/worker_tx.sql "$DB" > "$OUT/pgbench.txt" 2>&1 || true
"$BIN/inkline-bench" teardown "$DB" > /dev/null

# 3. End to end at fixed rates, then the highest rate sustained with p99 < 250 ms.
# Clients are spread over ARTISTS artists: each artist's number is paced by the sender at its
# configured rate (80 msg/s by default, as Meta's default per-number throughput), so one artist
# alone caps replies at ~72/s whatever the fleet could do.
ARTISTS=${ARTISTS:-10}
run_rate() { # rate seconds file
  local clients=$(( $1 * $2 / 3 + 100 ))
  "${LOADGEN[@]}" --spawn-fleet --artists "$ARTISTS" --rate "$1" --duration "${2}s" --clients "$clients" --messages-per-client 3 \
    --drain 30s --allow-unclean --summary-file "$3" > /dev/null || true
}
for r in 200 500; do
  log "3/5 e2e at $r msg/s (${SECS}s)"
  run_rate "$r" "$SECS" "$OUT/e2e_$r.json"
done
sustains() { python3 - "$1" "$2" <<'PY'
import json, sys
s = json.load(open(sys.argv[1])); rate = float(sys.argv[2])
ok = s["missing"] == 0 and s["latency"]["p99_ms"] < 250 and s["throughput_per_s"] >= 0.95 * rate and s["stalled_ticks"] == 0
sys.exit(0 if ok else 1)
PY
}
best=0
for r in ${SUSTAIN_RATES:-150 250 350 500 700}; do
  log "4/5 sustained ${SUSTAIN}s at $r msg/s"
  run_rate "$r" "$SUSTAIN" "$OUT/sustain_$r.json"
  if sustains "$OUT/sustain_$r.json" "$r"; then best=$r; cp "$OUT/sustain_$r.json" "$OUT/sustain_best.json"; else break; fi
done
echo "$best" > "$OUT/sustain_best.txt"

# 5. The pure conversation core (criterion).
log "5/5 criterion: conversation engine"
cargo bench -p inkline-core --bench engine -- --noplot > "$OUT/criterion.txt" 2>&1 || true

python3 deploy/bench/render.py "$OUT" > "$DOC"
log "wrote $DOC"
