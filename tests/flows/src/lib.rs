//! Nothing here: this crate exists for its `tests/flows.rs`, the flows' end-to-end tests on
//! every back end (memory, SQLite, PostgreSQL, and PostgreSQL with Redis).
#![forbid(unsafe_code)]
