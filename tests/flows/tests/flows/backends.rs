//! The back ends the flows run on, each giving a fresh store per test.

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};

use acctsec::core::{Account, AccountStore, SecurityState};
use acctsec_redis::{RedisStore, RedisWith};
use acctsec_sqlx::{PostgresStore, SqliteStore};
use acctsec_testkit::MemoryStore;
use acctsec_testkit::harness::{Backend, Conformance, Setup};

/// What a back end gives the flows: all of acctsec's state and the accounts, which the tests can
/// create.
pub(crate) trait Store:
    SecurityState + AccountStore + Clone + std::fmt::Debug + Send + Sync + 'static
{
    /// Creates `account`.
    fn create(&self, account: Account) -> impl Future<Output = ()> + Send;
}

impl Store for MemoryStore {
    async fn create(&self, account: Account) {
        self.insert_account(account).expect("a new account");
    }
}

impl Store for SqliteStore {
    async fn create(&self, account: Account) {
        self.create_account(&account).await.expect("a new account");
    }
}

impl Store for PostgresStore {
    async fn create(&self, account: Account) {
        self.create_account(&account).await.expect("a new account");
    }
}

impl Store for RedisWith<PostgresStore> {
    async fn create(&self, account: Account) {
        self.rest
            .create_account(&account)
            .await
            .expect("a new account");
    }
}

const POSTGRES: &str = "ACCTSEC_TEST_POSTGRES_URL";
const REDIS: &str = "ACCTSEC_TEST_REDIS_URL";

/// A name no other test in this run uses.
fn fresh_name(prefix: &str) -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    format!(
        "{prefix}_{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

struct Memory;

impl Backend for Memory {
    type Store = MemoryStore;

    fn name(&self) -> &'static str {
        "memory"
    }

    async fn setup(&self) -> Setup<MemoryStore> {
        Setup::Ready(MemoryStore::new())
    }
}

struct Sqlite;

impl Backend for Sqlite {
    type Store = SqliteStore;

    fn name(&self) -> &'static str {
        "sqlite"
    }

    async fn setup(&self) -> Setup<SqliteStore> {
        match SqliteStore::in_memory().await {
            Ok(store) => Setup::Ready(store),
            Err(e) => Setup::Skipped(format!("SQLite did not start: {e}")),
        }
    }
}

async fn postgres() -> Setup<PostgresStore> {
    let Ok(url) = std::env::var(POSTGRES) else {
        return Setup::Skipped(format!("{POSTGRES} is not set"));
    };
    match PostgresStore::connect_in_schema(&url, &fresh_name("acctsec_flows")).await {
        Ok(store) => Setup::Ready(store),
        Err(e) => Setup::Skipped(format!("PostgreSQL at {POSTGRES} did not answer: {e}")),
    }
}

async fn drop_schema(store: &PostgresStore) {
    use sqlx::Executor;
    if let Ok((schema,)) = sqlx::query_as::<_, (String,)>("SELECT current_schema()")
        .fetch_one(store.pool())
        .await
    {
        let drop = format!("DROP SCHEMA IF EXISTS {schema} CASCADE");
        let _ = store.pool().execute(sqlx::AssertSqlSafe(drop)).await;
    }
    store.pool().close().await;
}

struct Postgres;

impl Backend for Postgres {
    type Store = PostgresStore;

    fn name(&self) -> &'static str {
        "postgres"
    }

    async fn setup(&self) -> Setup<PostgresStore> {
        postgres().await
    }

    async fn teardown(&self, store: &PostgresStore) {
        drop_schema(store).await;
    }
}

/// PostgreSQL, with tokens, throttles and profiles in Redis: how a fleet runs.
struct PostgresRedis;

impl Backend for PostgresRedis {
    type Store = RedisWith<PostgresStore>;

    fn name(&self) -> &'static str {
        "postgres_redis"
    }

    async fn setup(&self) -> Setup<Self::Store> {
        let Ok(url) = std::env::var(REDIS) else {
            return Setup::Skipped(format!("{REDIS} is not set"));
        };
        let rest = match postgres().await {
            Setup::Ready(store) => store,
            Setup::Skipped(why) => return Setup::Skipped(why),
        };
        match RedisStore::connect(&url, &fresh_name("acctsec-flows")).await {
            Ok(redis) => Setup::Ready(RedisWith { redis, rest }),
            Err(e) => Setup::Skipped(format!("Redis at {REDIS} did not answer: {e}")),
        }
    }

    async fn teardown(&self, store: &Self::Store) {
        drop_schema(&store.rest).await;
        let Ok(url) = std::env::var(REDIS) else {
            return;
        };
        let Ok(client) = redis::Client::open(url) else {
            return;
        };
        let Ok(mut conn) = client.get_multiplexed_async_connection().await else {
            return;
        };
        let keys: Vec<String> = redis::cmd("KEYS")
            .arg(format!("{}:*", store.redis.prefix()))
            .query_async(&mut conn)
            .await
            .unwrap_or_default();
        if !keys.is_empty() {
            let _: Result<u64, _> = redis::cmd("DEL").arg(keys).query_async(&mut conn).await;
        }
    }
}

/// The flow tests on every back end.
pub(crate) fn register(run: Conformance) -> Conformance {
    run.suite(Memory, "flows", super::cases())
        .suite(Sqlite, "flows", super::cases())
        .suite(Postgres, "flows", super::cases())
        .suite(PostgresRedis, "flows", super::cases())
}
