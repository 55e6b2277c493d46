#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]

mod codec;
mod error;
#[macro_use]
mod store;

#[cfg(feature = "postgres")]
mod postgres;
#[cfg(feature = "sqlite")]
mod sqlite;

#[cfg(feature = "postgres")]
pub use postgres::PostgresStore;
#[cfg(feature = "sqlite")]
pub use sqlite::SqliteStore;

pub use error::map_error;
