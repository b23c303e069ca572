//! The load generator behind `inkline loadgen` (see `docs/loadgen.md`).
