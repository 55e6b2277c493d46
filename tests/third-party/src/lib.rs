//! Nothing here: this crate exists for its `tests/conformance.rs`, which runs every conformance
//! suite through `acctsec-testkit`'s harness exactly as an adapter published by someone else
//! would — from its own crate, with no access to the testkit's internals.
#![forbid(unsafe_code)]
