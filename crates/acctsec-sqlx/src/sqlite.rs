//! [`SqliteStore`]: acctsec's state and an accounts table in one SQLite file (or in memory).

use std::str::FromStr;
use std::time::Duration;

use acctsec_core::StoreError;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions};

use crate::error::db;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("migrations/sqlite");

/// Every acctsec store on SQLite, the embedded default: one file (or memory), one connection —
/// SQLite's writers take turns anyway, so every operation is atomic by construction and none
/// waits on a lock another holds. The schema is created and migrated on connect.
///
/// ```
/// use acctsec_core::{Purpose, Timestamp, TokenDigest, TokenStore, UserId, BindingDigest, TokenRecord};
/// use acctsec_sqlx::SqliteStore;
///
/// # tokio::runtime::Builder::new_current_thread().enable_all().build()?.block_on(async {
/// let store = SqliteStore::in_memory().await?;
/// let now = Timestamp::from_unix_secs(1_800_000_000);
/// let record = TokenRecord::new(
///     TokenDigest::from_bytes([1; 32]), UserId::from(7_u64), Purpose::PASSWORD_RESET,
///     BindingDigest::from_bytes([2; 32]), now, Timestamp::from_unix_secs(1_800_000_900),
/// );
/// store.insert(&record, now).await?;
/// assert_eq!(store.take(&record.digest, now).await?, Some(record.clone()));
/// assert_eq!(store.take(&record.digest, now).await?, None);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
}

impl SqliteStore {
    /// Opens (creating it if missing) the database at `url` — `sqlite://path/to/file.db` — in
    /// write-ahead-log mode, and migrates it.
    ///
    /// # Errors
    ///
    /// A [`StoreError`] if the URL is malformed, the file cannot be opened, or a migration
    /// fails.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let options = SqliteConnectOptions::from_str(url)
            .map_err(db("parse the SQLite URL"))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal);
        Self::open(options).await
    }

    /// A fresh database in memory, migrated: for tests, examples and hosts that keep nothing.
    ///
    /// # Errors
    ///
    /// A [`StoreError`] if SQLite could not be started.
    pub async fn in_memory() -> Result<Self, StoreError> {
        let options =
            SqliteConnectOptions::from_str("sqlite::memory:").map_err(db("open SQLite"))?;
        Self::open(options).await
    }

    async fn open(options: SqliteConnectOptions) -> Result<Self, StoreError> {
        let options = options
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(5));
        // One connection, kept for the pool's life (an in-memory database lives in it).
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .idle_timeout(None)
            .max_lifetime(None)
            .connect_with(options)
            .await
            .map_err(db("open SQLite"))?;
        MIGRATOR
            .run(&pool)
            .await
            .map_err(|e| StoreError::other("migrate the SQLite schema", e))?;
        Ok(Self { pool })
    }

    /// The connection pool, for the host's own queries on the same database.
    #[must_use]
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }
}

sql_store!(SqliteStore, sqlx::Sqlite, "", None);
