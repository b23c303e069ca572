#!/usr/bin/env bash
# Every benchmark figure with its ceiling or target, in one run; prints the ratios and writes the
# markdown table of docs/benchmarks.md (target/bench-results/benchmarks.md, or BENCH_DOC=FILE).
#
#   deploy/bench/run.sh            # everything (about 30 minutes on 2 quiet cores)
#   QUICK=1 deploy/bench/run.sh    # shorter runs, fewer search steps (about 17 minutes), same rows
#
# Knobs (environment): QUICK, ARTISTS (10), SEED_LEADS (1000000), SEED_ARTISTS (100),
# SEED_MESSAGES (3 per lead), SEARCH_STEPS, SECS/SUSTAIN/FLOOD (run lengths), SKIP_BUILD=1,
# CARGO_TARGET_DIR (target/bench), BENCH_OUT.
#
# Needs the machine's own PostgreSQL and RabbitMQ on loopback (and rabbitmqctl, pgbench, jq). Everything
# it creates is a throwaway database + vhost, removed at the end (also when a step fails). Release
# builds go to CARGO_TARGET_DIR so the shared debug build is not disturbed. The load generator
# builds and signs every webhook before its clock starts (it competes for the same cores).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target/bench}
BIN=$CARGO_TARGET_DIR/release
OUT=${BENCH_OUT:-$ROOT/target/bench-results}
DOC=${BENCH_DOC:-$OUT/benchmarks.md}
PG_ADMIN=${PG_ADMIN:-postgres://postgres@127.0.0.1:5432/postgres}
QUICK=${QUICK:-0}
if [ "$QUICK" = 1 ]; then
  SECS=${SECS:-10}; SUSTAIN=${SUSTAIN:-30}; FLOOD=${FLOOD:-20}; STEPS=${SEARCH_STEPS:-3}
else
  SECS=${SECS:-20}; SUSTAIN=${SUSTAIN:-60}; FLOOD=${FLOOD:-30}; STEPS=${SEARCH_STEPS:-5}
fi
ARTISTS=${ARTISTS:-10}
SEED_LEADS=${SEED_LEADS:-1000000}
SEED_ARTISTS=${SEED_ARTISTS:-100}
SEED_MESSAGES=${SEED_MESSAGES:-3}
STARTED=$(date +%s)
mkdir -p "$OUT"
rm -f "$OUT"/*.json "$OUT"/*.txt
log() { echo "[bench $(( $(date +%s) - STARTED ))s] $*" >&2; }
field() { jq -r "$2" "$1"; } # file jq-path

# The worker-drain database is the only thing this script holds between steps; loadgen and
# inkline-bench remove their own when they finish, fail or are interrupted.
WORKER_DB=
cleanup() { if [ -n "$WORKER_DB" ]; then "$BIN/inkline-bench" teardown "$WORKER_DB" > /dev/null 2>&1 || true; fi; }
trap cleanup EXIT
# A child that handles Ctrl-C itself (loadgen tears its fleet down first) exits normally: stop here.
trap 'exit 130' INT TERM

if [ "${SKIP_BUILD:-0}" != 1 ]; then
  log "release build into $CARGO_TARGET_DIR"
  cargo build --release --workspace --bins >&2
fi
BUILD_SECS=$(( $(date +%s) - STARTED ))
STARTED=$(date +%s)
git rev-parse --short HEAD > "$OUT/commit.txt" 2>/dev/null || echo unknown > "$OUT/commit.txt"
{ uptime; nproc; } > "$OUT/machine.txt"
printf '%s' "QUICK=$QUICK SECS=$SECS SUSTAIN=$SUSTAIN FLOOD=$FLOOD SEARCH_STEPS=$STEPS ARTISTS=$ARTISTS SEED_LEADS=$SEED_LEADS deploy/bench/run.sh" > "$OUT/command.txt"
LOADGEN=("$BIN/inkline-dev" loadgen --bin-dir "$BIN" --progress never --json --allow-unclean)

# Open loop at RATE for SECONDS over N artists (extra flags after). Enough clients that a new one
# is always at hand (no stalled ticks because the client pool ran dry).
e2e() { # file rate seconds artists drain [loadgen flags...]
  local file=$1 rate=$2 secs=$3 artists=$4 drain=$5; shift 5
  "${LOADGEN[@]}" --spawn-fleet --artists "$artists" --rate "$rate" --duration "${secs}s" \
    --clients $(( rate * secs + 100 )) --messages-per-client 3 --drain "$drain" \
    --summary-file "$OUT/$file" "$@" > /dev/null || log "loadgen failed for $file"
}

# 1. Ingress vs the raw publish-with-confirms ceiling (same broker, queue, message size, 64 in flight).
# Nobody consumes here, so both get a queue long enough for the whole run (the production default,
# 100 000, fills in a few seconds and then nacks: that would measure the limit, not the path).
QMAX=2000000
log "1/7 confirm ceiling (${SECS}s)"
"$BIN/inkline-bench" confirm-ceiling --concurrency 64 --seconds "$SECS" --queue-max-length "$QMAX" > "$OUT/ceiling.json"
# Enough presigned webhooks for 1.5× the ceiling's rate; one message a client (no replies awaited).
CLIENTS=$(jq -r --argjson s "$SECS" '[(.rate_per_s * $s * 1.5 | floor) + 1000, 1000000] | min' "$OUT/ceiling.json")
log "1/7 ingress alone, signed webhooks, 64 in flight (${SECS}s, $CLIENTS presigned)"
QUEUE_MAX_LENGTH=$QMAX "${LOADGEN[@]}" --spawn-fleet --worker-process none --no-replies --concurrency 64 \
  --clients "$CLIENTS" --messages-per-client 1 --duration "${SECS}s" --summary-file "$OUT/ingress.json" > /dev/null \
  || log "loadgen failed for ingress.json"

# 2. Conversation worker vs pgbench running the worker's own per-message transaction.
log "2/7 conversation worker drain"
"$BIN/inkline-bench" worker-drain --clients 3000 --messages 3 --bin-dir "$BIN" --keep 1 > "$OUT/worker.json"
WORKER_DB=$(field "$OUT/worker.json" .database)
DRAIN=$(field "$OUT/worker.json" '.rate_per_s | floor')
log "2/7 pgbench on $WORKER_DB (10 clients = DATABASE_MAX_CONNECTIONS, ${SECS}s)"
pgbench -h 127.0.0.1 -U postgres -n -M simple -c 10 -j 2 -T "$SECS" -f deploy/bench/worker_tx.sql "$WORKER_DB" > "$OUT/pgbench.txt" 2>&1 || true
"$BIN/inkline-bench" teardown "$WORKER_DB" > /dev/null
WORKER_DB=

# 3. End to end at fixed rates. Clients are spread over ARTISTS artists: each artist's number is
# paced by the sender at its configured rate (80 msg/s, Meta's default), so one artist alone caps
# replies at ~72/s whatever the fleet could do (row 5 measures exactly that).
for r in 200 400; do
  log "3/7 e2e at $r msg/s, $ARTISTS artists (${SECS}s)"
  e2e "e2e_$r.json" "$r" "$SECS" "$ARTISTS" 30s
done

# 4. The highest rate sustained (>= 95 % achieved, p99 < 250 ms, 0 missing, no stalls), searched
# by bisection in STEPS runs between 0 and 1.1x the worker's drain rate, starting at the 60 %
# target itself so the first run already answers "met or not".
sustains() { # file rate
  jq -e --argjson r "$2" '.missing == 0 and .duplicates == 0 and .latency.p99_ms < 250
    and .throughput_per_s >= 0.95 * $r and .stalled_ticks == 0' "$1" > /dev/null
}
lo=0; hi=$(( DRAIN * 11 / 10 )); [ "$hi" -ge 50 ] || hi=50
rate=$(( DRAIN * 6 / 10 / 5 * 5 )); [ "$rate" -ge 5 ] || rate=5
: > "$OUT/search.txt"
for _ in $(seq "$STEPS"); do
  log "4/7 sustained ${SUSTAIN}s at $rate msg/s (search between $lo and $hi)"
  e2e "sustain_$rate.json" "$rate" "$SUSTAIN" "$ARTISTS" 10s
  if [ -f "$OUT/sustain_$rate.json" ] && sustains "$OUT/sustain_$rate.json" "$rate"; then
    lo=$rate; echo "$rate ok" >> "$OUT/search.txt"
  else
    hi=$rate; echo "$rate no" >> "$OUT/search.txt"
  fi
  next=$(( (lo + hi) / 2 / 5 * 5 ))
  if [ "$next" -le "$lo" ] || [ "$next" -ge "$hi" ]; then break; fi
  rate=$next
done
echo "$lo" > "$OUT/sustain_best.txt"

# 5. One artist: its number flooded above its configured 80 msg/s (the sender paces it at 72), and
# the latency at a rate one number carries.
log "5/7 one artist flooded at 100 msg/s (${FLOOD}s)"
e2e one_artist_flood.json 100 "$FLOOD" 1 90s
log "5/7 one artist at 30 msg/s (${SECS}s)"
e2e one_artist_30.json 30 "$SECS" 1 30s

# 6. Cost growth: the 200 msg/s run again, against a database already holding SEED_LEADS leads
# over SEED_ARTISTS artists (ARTISTS of them active) with SEED_MESSAGES messages each.
log "6/7 e2e at 200 msg/s with $SEED_LEADS leads seeded over $SEED_ARTISTS artists (${SECS}s + seeding)"
e2e e2e_200_seeded.json 200 "$SECS" "$ARTISTS" 30s \
  --seed-leads "$SEED_LEADS" --seed-artists "$SEED_ARTISTS" --seed-messages-per-lead "$SEED_MESSAGES"

# 7. The pure conversation core (criterion).
log "7/7 criterion: conversation engine"
cargo bench -p inkline-core --bench engine -- --noplot > "$OUT/criterion.txt" 2>&1 || true

{ uptime; } >> "$OUT/machine.txt"
echo "$(( $(date +%s) - STARTED )) $BUILD_SECS" > "$OUT/duration.txt"
python3 deploy/bench/render.py "$OUT" > "$DOC"
python3 deploy/bench/render.py --ratios "$OUT" >&2
log "wrote $DOC"
