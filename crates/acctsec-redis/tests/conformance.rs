//! The token, throttle and profile suites on Redis when `ACCTSEC_TEST_REDIS_URL` is set, each case
//! under a key prefix of its own, whose keys are deleted after it.

use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};

use acctsec_redis::RedisStore;
use acctsec_testkit::harness::{Backend, Conformance, Setup};

const URL_VAR: &str = "ACCTSEC_TEST_REDIS_URL";

struct Redis;

impl Backend for Redis {
    type Store = RedisStore;

    fn name(&self) -> &'static str {
        "redis"
    }

    async fn setup(&self) -> Setup<RedisStore> {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let Ok(url) = std::env::var(URL_VAR) else {
            return Setup::Skipped(format!("{URL_VAR} is not set"));
        };
        let prefix = format!(
            "acctsec-test-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        match RedisStore::connect(&url, &prefix).await {
            Ok(store) => Setup::Ready(store),
            Err(e) => Setup::Skipped(format!("Redis at {URL_VAR} did not answer: {e}")),
        }
    }

    async fn teardown(&self, store: &RedisStore) {
        let Ok(url) = std::env::var(URL_VAR) else {
            return;
        };
        let Ok(client) = redis::Client::open(url) else {
            return;
        };
        let Ok(mut conn) = client.get_multiplexed_async_connection().await else {
            return;
        };
        let pattern = format!("{}:*", store.prefix());
        let keys: Vec<String> = redis::cmd("KEYS")
            .arg(pattern)
            .query_async(&mut conn)
            .await
            .unwrap_or_default();
        if !keys.is_empty() {
            let _: Result<u64, _> = redis::cmd("DEL").arg(keys).query_async(&mut conn).await;
        }
    }

    async fn unreachable(&self) -> Option<RedisStore> {
        // Port 9 (discard) on loopback: nothing listens there.
        RedisStore::connect_lazy("redis://127.0.0.1:9/", "acctsec-unreachable").ok()
    }
}

fn main() -> ExitCode {
    Conformance::from_args()
        .tokens(Redis)
        .throttles(Redis)
        .profiles(Redis)
        .run()
}
