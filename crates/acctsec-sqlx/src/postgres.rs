//! [`PostgresStore`]: acctsec's state and an accounts table on PostgreSQL.

use std::time::Duration;

use acctsec_core::StoreError;
use sqlx::Executor;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};

use crate::error::db;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("migrations/postgres");

/// Every acctsec store on PostgreSQL, for fleets of app servers sharing one database: claims
/// lock the rows they lease and skip those another worker holds, history pushes lock the user,
/// multi-statement changes are transactions. The schema is created and migrated on connect.
#[derive(Debug, Clone)]
pub struct PostgresStore {
    pool: PgPool,
}

/// How long a connection may take to come from the pool before the operation is `Unavailable`.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(5);

impl PostgresStore {
    /// Connects to `url` (`postgres://user@host/database`) and migrates the schema.
    ///
    /// # Errors
    ///
    /// A [`StoreError`]: `Unavailable` when the server cannot be reached.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let pool = PgPoolOptions::new()
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect(url)
            .await
            .map_err(db("connect to PostgreSQL"))?;
        Self::from_pool(pool).await
    }

    /// Keeps acctsec's tables in `schema` (created if missing) of the database at `url`: every
    /// connection's search path starts there. For hosts that share a database, and for tests
    /// (a schema each).
    ///
    /// # Errors
    ///
    /// A [`StoreError`] if the schema name is not a plain identifier (`[a-z_][a-z0-9_]*`, at
    /// most 63 bytes), or as [`connect`](Self::connect).
    pub async fn connect_in_schema(url: &str, schema: &str) -> Result<Self, StoreError> {
        let plain = (1..=63).contains(&schema.len())
            && schema.starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
            && schema
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if !plain {
            return Err(StoreError::other(
                "use a schema",
                crate::codec::Unreadable("schema name"),
            ));
        }
        let options: PgConnectOptions = url.parse().map_err(db("parse the PostgreSQL URL"))?;
        let create = format!("CREATE SCHEMA IF NOT EXISTS {schema}");
        let search = format!("SET search_path TO {schema}");
        let pool = PgPoolOptions::new()
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .after_connect(move |conn, _| {
                let (create, search) = (create.clone(), search.clone());
                Box::pin(async move {
                    conn.execute(sqlx::AssertSqlSafe(create)).await?;
                    conn.execute(sqlx::AssertSqlSafe(search)).await?;
                    Ok(())
                })
            })
            .connect_with(options)
            .await
            .map_err(db("connect to PostgreSQL"))?;
        Self::from_pool(pool).await
    }

    /// Uses an existing pool, migrating the schema.
    ///
    /// # Errors
    ///
    /// A [`StoreError`] if a migration fails.
    pub async fn from_pool(pool: PgPool) -> Result<Self, StoreError> {
        MIGRATOR
            .run(&pool)
            .await
            .map_err(|e| StoreError::other("migrate the PostgreSQL schema", e))?;
        Ok(Self { pool })
    }

    /// A store on `url` that connects only when used, without migrating: what a server that is
    /// down looks like to the operations (they answer `Unavailable`).
    ///
    /// # Errors
    ///
    /// A [`StoreError`] if the URL is malformed.
    pub fn connect_lazy(url: &str) -> Result<Self, StoreError> {
        let options: PgConnectOptions = url.parse().map_err(db("parse the PostgreSQL URL"))?;
        let pool = PgPoolOptions::new()
            .acquire_timeout(Duration::from_secs(1))
            .connect_lazy_with(options);
        Ok(Self { pool })
    }

    /// The connection pool, for the host's own queries on the same database.
    #[must_use]
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }
}

sql_store!(
    PostgresStore,
    sqlx::Postgres,
    " FOR UPDATE SKIP LOCKED",
    Some("SELECT pg_advisory_xact_lock(hashtext($1))")
);
