//! Developer tools built from the production pieces plus the fakes: the sandbox (the one-command
//! local demo), the load generator and the benchmark helpers. Production images do not carry
//! them (only `inkline`, `inkline-ingress` and `inkline-worker` are shipped).

pub mod commands;
pub mod loadgen;
pub mod sandbox;
