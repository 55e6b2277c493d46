//! Criterion benches of acctsec, side by side with the peers a user would pick instead. The
//! benches live in `benches/`; `BENCHMARKS.md` at the workspace root records their figures and
//! the command that reproduces them.
#![forbid(unsafe_code)]
