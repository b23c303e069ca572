#!/usr/bin/env bash
# Runs every fuzz target for RUNS executions (default 1 000 000) with libFuzzer through cargo fuzz.
# Needs a nightly toolchain (`cargo +nightly`; or RUSTC_BOOTSTRAP=1 on stable) and `cargo install
# cargo-fuzz`. New inputs go to target/corpus/<target>; the committed seeds in corpus/ are read only.
set -euo pipefail
cd "$(dirname "$0")"
RUNS=${RUNS:-1000000}
TOOLCHAIN=${TOOLCHAIN:-+nightly}
mkdir -p target
for t in ${TARGETS:-whatsapp_decode stripe_decode signature_headers text_parsers}; do
  mkdir -p "target/corpus/$t"
  echo "== $t: $RUNS runs" >&2
  # -s none: the code under test is safe Rust (unsafe_code = forbid); what we look for is panics,
  # aborts, stack overflows, timeouts and out-of-memory, which libFuzzer catches without ASan.
  cargo $TOOLCHAIN fuzz run -s none "$t" "target/corpus/$t" "corpus/$t" -- \
    -runs="$RUNS" -max_total_time=1200 -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    > "target/$t.log" 2>&1 || { echo "$t FAILED (see fuzz/target/$t.log)" >&2; tail -30 "target/$t.log" >&2; exit 1; }
  grep -E '^Done|stat::number_of_executed_units|stat::peak_rss_mb' "target/$t.log" >&2
done
