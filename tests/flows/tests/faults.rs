//! The adapters on real servers, under races and faults: separate connections and separate
//! store instances (as separate app servers) on one record, a hundred outbox workers, connections
//! killed mid-operation, a Redis restarted under a live store, and a flow on a server that is
//! down. PostgreSQL cases need `ACCTSEC_TEST_POSTGRES_URL`, Redis cases `ACCTSEC_TEST_REDIS_URL`
//! (the restart case starts a Redis server of its own, from the `redis-server` on the path).

#![allow(clippy::unwrap_used, clippy::panic, missing_docs)]

use std::collections::HashSet;
use std::process::{Child, Command, ExitCode, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use acctsec::core::{
    BindingDigest, ClientInfo, Detail, Email, IdempotencyKey, MemberDigest, MessageKind, Outbox,
    OutboxMessage, PasswordHistory, Purpose, SealedContent, StoredPasswordHash, ThrottleKey,
    ThrottleStore, Timestamp, TokenDigest, TokenRecord, TokenStore, UserId,
};
use acctsec::token::{BindingKey, KeyRing, SigningKey, Tokens};
use acctsec::{Config, Error, Flows, MailSeal};
use acctsec_redis::RedisStore;
use acctsec_sqlx::PostgresStore;
use acctsec_testkit::harness::{Backend, Case, Conformance, Setup};
use sqlx::postgres::PgPoolOptions;

const POSTGRES: &str = "ACCTSEC_TEST_POSTGRES_URL";
const REDIS: &str = "ACCTSEC_TEST_REDIS_URL";

fn fresh_name(prefix: &str) -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    format!(
        "{prefix}_{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

fn t(secs: i64) -> Timestamp {
    Timestamp::from_unix_secs(secs)
}

/// A PostgreSQL database and a fresh schema in it; each store the case opens shares the schema.
struct PgPlace {
    url: String,
    schema: String,
}

impl PgPlace {
    async fn store(&self) -> PostgresStore {
        PostgresStore::connect_in_schema(&self.url, &self.schema)
            .await
            .unwrap()
    }
}

struct Postgres;

impl Backend for Postgres {
    type Store = PgPlace;

    fn name(&self) -> &'static str {
        "postgres"
    }

    async fn setup(&self) -> Setup<PgPlace> {
        let Ok(url) = std::env::var(POSTGRES) else {
            return Setup::Skipped(format!("{POSTGRES} is not set"));
        };
        let place = PgPlace {
            url,
            schema: fresh_name("acctsec_faults"),
        };
        match PostgresStore::connect_in_schema(&place.url, &place.schema).await {
            Ok(_) => Setup::Ready(place),
            Err(e) => Setup::Skipped(format!("PostgreSQL at {POSTGRES} did not answer: {e}")),
        }
    }

    async fn teardown(&self, place: &PgPlace) {
        let pool = PgPoolOptions::new().connect(&place.url).await.unwrap();
        let drop = format!("DROP SCHEMA IF EXISTS {} CASCADE", place.schema);
        sqlx::query(sqlx::AssertSqlSafe(drop))
            .execute(&pool)
            .await
            .unwrap();
    }
}

/// How many of the racing tasks won.
async fn winners(tasks: Vec<tokio::task::JoinHandle<bool>>) -> usize {
    let mut won = 0;
    for task in tasks {
        won += usize::from(task.await.unwrap());
    }
    won
}

fn record(n: u8) -> TokenRecord {
    TokenRecord::new(
        TokenDigest::from_bytes([n; 32]),
        UserId::from(u64::from(n)),
        Purpose::PASSWORD_RESET,
        BindingDigest::from_bytes([7; 32]),
        t(1_000),
        t(2_000),
    )
}

/// 64 tasks, each on a connection of its own, race to take one token: one wins.
async fn sixty_four_connections_race_for_one_token(place: Arc<PgPlace>) {
    let pool = PgPoolOptions::new()
        .max_connections(64)
        .min_connections(64)
        .connect(&place.url)
        .await
        .unwrap();
    let search = format!("SET search_path TO {}", place.schema);
    let mut connections = Vec::new();
    for _ in 0..64 {
        let mut conn = pool.acquire().await.unwrap();
        sqlx::query(sqlx::AssertSqlSafe(search.clone()))
            .execute(&mut *conn)
            .await
            .unwrap();
        connections.push(conn);
    }
    let store = place.store().await;
    store.insert(&record(1), t(1_000)).await.unwrap();
    let barrier = Arc::new(tokio::sync::Barrier::new(64));
    let mut tasks = Vec::new();
    for mut conn in connections {
        let barrier = Arc::clone(&barrier);
        tasks.push(tokio::spawn(async move {
            barrier.wait().await;
            // The adapter's take, statement for statement, each on its own connection.
            let row: Option<(Vec<u8>,)> =
                sqlx::query_as("DELETE FROM acctsec_tokens WHERE digest = $1 RETURNING digest")
                    .bind([1_u8; 32].as_slice())
                    .fetch_optional(&mut *conn)
                    .await
                    .unwrap();
            row.is_some()
        }));
    }
    assert_eq!(winners(tasks).await, 1);
    // And through the store itself, from 64 tasks at once: one winner again.
    store.insert(&record(2), t(1_000)).await.unwrap();
    let store = Arc::new(store);
    let mut tasks = Vec::new();
    for _ in 0..64 {
        let store = Arc::clone(&store);
        tasks.push(tokio::spawn(async move {
            store
                .take(&TokenDigest::from_bytes([2; 32]), t(1_500))
                .await
                .unwrap()
                .is_some()
        }));
    }
    assert_eq!(winners(tasks).await, 1);
}

/// Two store instances — two pools, as two app servers — hit one throttle key 100 times each
/// at once, and add 50 distinct members each: the counts are exact.
async fn two_pools_count_one_throttle_key_exactly(place: Arc<PgPlace>) {
    let (a, b) = (Arc::new(place.store().await), Arc::new(place.store().await));
    let key = ThrottleKey::new("reset:src:192.0.2.1").unwrap();
    let mut tasks = Vec::new();
    for i in 0..200_u32 {
        let store = Arc::clone(if i % 2 == 0 { &a } else { &b });
        let key = key.clone();
        tasks.push(tokio::spawn(async move {
            store
                .hit(&key, Duration::from_secs(60), t(1_000))
                .await
                .unwrap();
            let mut member = [0_u8; 32];
            member[..4].copy_from_slice(&(i / 2).to_be_bytes());
            store
                .hit_distinct(
                    &key,
                    &MemberDigest::from_bytes(member),
                    Duration::from_secs(60),
                    t(1_000),
                )
                .await
                .unwrap();
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    let counted = ThrottleStore::get(&*a, &key, t(1_001)).await.unwrap();
    assert_eq!(counted.unwrap().count, 200);
    assert_eq!(
        b.distinct(&key, t(1_001)).await.unwrap().unwrap().distinct,
        100
    );
}

fn outbox_message(n: u32) -> OutboxMessage {
    OutboxMessage::new(
        IdempotencyKey::new(format!("fault-{n}")).unwrap(),
        MessageKind::SecurityNotice,
        Email::parse(&format!("user{n}@example.com")).unwrap(),
        SealedContent::new(vec![1, 2, 3]).unwrap(),
    )
}

/// A hundred workers on ten store instances (as ten app servers) claim from one outbox at once:
/// no message is held by two of them, and every message is sent exactly once.
async fn a_hundred_workers_never_hold_one_message_at_once(place: Arc<PgPlace>) {
    let store = place.store().await;
    for n in 0..300 {
        store.enqueue(&outbox_message(n), t(1_000)).await.unwrap();
    }
    let held: Arc<Mutex<HashSet<u64>>> = Arc::default();
    let sent: Arc<Mutex<Vec<u64>>> = Arc::default();
    let mut workers = Vec::new();
    // Ten app servers (a pool of two connections each), ten workers on each.
    let mut servers = Vec::new();
    for _ in 0..10 {
        let pool = PgPoolOptions::new()
            .max_connections(2)
            .after_connect({
                let search = format!("SET search_path TO {}", place.schema);
                move |conn, _| {
                    let search = search.clone();
                    Box::pin(async move {
                        sqlx::Executor::execute(conn, sqlx::AssertSqlSafe(search)).await?;
                        Ok(())
                    })
                }
            })
            .connect(&place.url)
            .await
            .unwrap();
        servers.push(PostgresStore::from_pool(pool).await.unwrap());
    }
    for i in 0..100 {
        let store = servers[i % 10].clone();
        let (held, sent) = (Arc::clone(&held), Arc::clone(&sent));
        workers.push(tokio::spawn(async move {
            loop {
                let claimed = store
                    .claim(t(1_000), Duration::from_secs(600), 3)
                    .await
                    .unwrap();
                if claimed.is_empty() {
                    break;
                }
                for c in &claimed {
                    assert!(
                        held.lock().unwrap().insert(c.lease.id.0),
                        "held twice: {:?}",
                        c.lease.id
                    );
                }
                tokio::task::yield_now().await;
                for c in claimed {
                    held.lock().unwrap().remove(&c.lease.id.0);
                    store
                        .mark_sent(&c.lease, &Detail::new("250 ok"), t(1_001))
                        .await
                        .unwrap();
                    sent.lock().unwrap().push(c.lease.id.0);
                }
            }
        }));
    }
    for worker in workers {
        worker.await.unwrap();
    }
    let mut sent = sent.lock().unwrap().clone();
    sent.sort_unstable();
    let before = sent.len();
    sent.dedup();
    assert_eq!((before, sent.len()), (300, 300), "each message sent once");
}

/// Connections killed by the server while operations run: each failed operation answers
/// `Unavailable` (transient) and leaves nothing half-done — a history never holds more than it
/// keeps, and a distinct set never more members than were counted.
async fn killed_connections_leave_no_partial_state(place: Arc<PgPlace>) {
    // The victim's connections carry a name of their own, so the killer spares other cases'.
    let victim = fresh_name("acctsec-victim");
    let separator = if place.url.contains('?') { '&' } else { '?' };
    let url = format!("{}{separator}application_name={victim}", place.url);
    let store = Arc::new(
        PostgresStore::connect_in_schema(&url, &place.schema)
            .await
            .unwrap(),
    );
    let admin = PgPoolOptions::new().connect(&place.url).await.unwrap();
    let user = UserId::from(9_u64);
    let key = ThrottleKey::new("k").unwrap();
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let killer = {
        let (admin, stop) = (admin.clone(), Arc::clone(&stop));
        tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                let _ = sqlx::query(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
                     WHERE application_name = $1 AND state <> 'idle'",
                )
                .bind(&victim)
                .execute(&admin)
                .await;
                tokio::time::sleep(Duration::from_millis(3)).await;
            }
        })
    };
    let (mut failures, mut successes) = (0, 0);
    for i in 0..300_u32 {
        let hash = StoredPasswordHash::new(format!("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA${i:08}"))
            .unwrap();
        let pushed = store.push(&user, &hash, 3, t(1_000)).await;
        let mut member = [0_u8; 32];
        member[..4].copy_from_slice(&i.to_be_bytes());
        let hit = store
            .hit_distinct(
                &key,
                &MemberDigest::from_bytes(member),
                Duration::from_secs(600),
                t(1_000),
            )
            .await;
        for outcome in [pushed.map(|_| ()), hit.map(|_| ())] {
            match outcome {
                Ok(()) => successes += 1,
                Err(e) => {
                    assert!(
                        e.is_transient(),
                        "a killed connection must be Unavailable: {e}"
                    );
                    failures += 1;
                }
            }
        }
    }
    stop.store(true, Ordering::Relaxed);
    killer.await.unwrap();
    assert!(
        failures > 0,
        "the killer never hit an operation ({successes} succeeded)"
    );
    let fresh = place.store().await;
    assert!(
        fresh.recent(&user, 24).await.unwrap().len() <= 3,
        "history over its bound"
    );
    let (members,): (i64,) = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT COUNT(*) FROM {}.acctsec_throttle_members",
        place.schema
    )))
    .fetch_one(&admin)
    .await
    .unwrap();
    let (orphans,): (i64,) = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT COUNT(*) FROM {0}.acctsec_throttle_members m WHERE NOT EXISTS \
         (SELECT 1 FROM {0}.acctsec_throttle_sets s WHERE s.key = m.key AND s.epoch = m.epoch)",
        place.schema
    )))
    .fetch_one(&admin)
    .await
    .unwrap();
    assert_eq!(orphans, 0);
    let counted = fresh
        .distinct(&key, t(1_001))
        .await
        .unwrap()
        .map_or(0, |c| c.distinct);
    assert_eq!(u64::try_from(members).unwrap(), counted);
}

/// A flow whose database is down answers with a clear, transient error, and sends nothing.
async fn a_flow_on_a_server_that_is_down_answers_unavailable(_place: Arc<PgPlace>) {
    let down = PostgresStore::connect_lazy("postgres://acctsec@127.0.0.1:9/none").unwrap();
    let tokens = Tokens::builder(
        KeyRing::new(SigningKey::from_bytes(&[0x5e; 32]).unwrap()),
        BindingKey::from_bytes(&[0x3c; 32]).unwrap(),
    )
    .with_max_lifetime(acctsec::DEFAULT_EMAIL_UNDO_TTL)
    .build()
    .unwrap();
    let config = Config::builder("https://example.com/account")
        .build()
        .unwrap();
    let flows = Flows::builder(
        down.clone(),
        down,
        tokens,
        MailSeal::from_bytes(&[7; 32]).unwrap(),
        config,
    )
    .build()
    .unwrap();
    let answer = flows
        .request_password_reset(
            &Email::parse("ana@example.com").unwrap(),
            &ClientInfo::new(),
        )
        .await;
    match answer {
        Err(Error::Store(e)) => {
            assert!(e.is_transient(), "{e}");
            assert_eq!(e.to_string(), "store unavailable: throttle hit");
        }
        other => panic!("a flow on a server that is down answered {other:?}"),
    }
}

/// Two Redis stores — two app servers — on one throttle key and one token.
struct Redis;

impl Backend for Redis {
    type Store = (RedisStore, RedisStore);

    fn name(&self) -> &'static str {
        "redis"
    }

    async fn setup(&self) -> Setup<Self::Store> {
        let Ok(url) = std::env::var(REDIS) else {
            return Setup::Skipped(format!("{REDIS} is not set"));
        };
        let prefix = fresh_name("acctsec-faults");
        match (
            RedisStore::connect(&url, &prefix).await,
            RedisStore::connect(&url, &prefix).await,
        ) {
            (Ok(a), Ok(b)) => Setup::Ready((a, b)),
            (Err(e), _) | (_, Err(e)) => {
                Setup::Skipped(format!("Redis at {REDIS} did not answer: {e}"))
            }
        }
    }
}

async fn two_redis_stores_count_exactly_and_take_once(stores: Arc<(RedisStore, RedisStore)>) {
    let key = ThrottleKey::new("reset:global").unwrap();
    let mut tasks = Vec::new();
    for i in 0..200_u32 {
        let stores = Arc::clone(&stores);
        let key = key.clone();
        tasks.push(tokio::spawn(async move {
            let store = if i % 2 == 0 { &stores.0 } else { &stores.1 };
            store
                .hit(&key, Duration::from_secs(60), t(1_000))
                .await
                .unwrap();
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    assert_eq!(
        stores.1.get(&key, t(1_001)).await.unwrap().unwrap().count,
        200
    );
    stores.0.insert(&record(3), t(1_000)).await.unwrap();
    let mut tasks = Vec::new();
    for i in 0..64 {
        let stores = Arc::clone(&stores);
        tasks.push(tokio::spawn(async move {
            let store = if i % 2 == 0 { &stores.0 } else { &stores.1 };
            store
                .take(&TokenDigest::from_bytes([3; 32]), t(1_500))
                .await
                .unwrap()
                .is_some()
        }));
    }
    assert_eq!(winners(tasks).await, 1);
}

/// A Redis server of the case's own, on a free port, which the case can stop and start again.
struct OwnRedis {
    port: u16,
    server: Mutex<Option<Child>>,
}

impl OwnRedis {
    fn start(port: u16) -> std::io::Result<Child> {
        Command::new("redis-server")
            .args([
                "--port",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
    }

    fn stop(&self) {
        if let Some(mut child) = self.server.lock().unwrap().take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

struct RestartableRedis;

impl Backend for RestartableRedis {
    type Store = OwnRedis;

    fn name(&self) -> &'static str {
        "redis_restart"
    }

    async fn setup(&self) -> Setup<OwnRedis> {
        // The same service the other Redis cases need: without it, this case is skipped too.
        if std::env::var(REDIS).is_err() {
            return Setup::Skipped(format!("{REDIS} is not set"));
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port());
        let port = match port {
            Ok(port) => port,
            Err(e) => return Setup::Skipped(format!("no free port: {e}")),
        };
        match OwnRedis::start(port) {
            Ok(child) => Setup::Ready(OwnRedis {
                port,
                server: Mutex::new(Some(child)),
            }),
            Err(e) => Setup::Skipped(format!("redis-server could not be started: {e}")),
        }
    }

    async fn teardown(&self, own: &OwnRedis) {
        own.stop();
    }
}

async fn answers(store: &RedisStore, key: &ThrottleKey) -> bool {
    store
        .hit(key, Duration::from_secs(60), t(1_000))
        .await
        .is_ok()
}

/// A store keeps working across a Redis restart: while the server is down it answers
/// `Unavailable`, and once it is back the store reconnects by itself.
async fn a_restarted_redis_is_reconnected_to(own: Arc<OwnRedis>) {
    let url = format!("redis://127.0.0.1:{}/", own.port);
    let mut store = None;
    for _ in 0..100 {
        if let Ok(s) = RedisStore::connect(&url, "restart").await {
            store = Some(s);
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let store = store.expect("the case's Redis server came up");
    let key = ThrottleKey::new("k").unwrap();
    assert!(answers(&store, &key).await);
    own.stop();
    let down = store.hit(&key, Duration::from_secs(60), t(1_000)).await;
    let e = down.expect_err("a stopped server cannot answer");
    assert!(e.is_transient(), "{e}");
    *own.server.lock().unwrap() = Some(OwnRedis::start(own.port).unwrap());
    let mut back = false;
    for _ in 0..100 {
        if answers(&store, &key).await {
            back = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(back, "the store did not reconnect to the restarted server");
}

macro_rules! cases {
    ($($name:ident),+ $(,)?) => {
        vec![$(Case::new(stringify!($name), |s| Box::pin($name(s)))),+]
    };
}

fn main() -> ExitCode {
    Conformance::from_args()
        .suite(
            Postgres,
            "faults",
            cases![
                sixty_four_connections_race_for_one_token,
                two_pools_count_one_throttle_key_exactly,
                a_hundred_workers_never_hold_one_message_at_once,
                killed_connections_leave_no_partial_state,
                a_flow_on_a_server_that_is_down_answers_unavailable,
            ],
        )
        .suite(
            Redis,
            "faults",
            cases![two_redis_stores_count_exactly_and_take_once],
        )
        .suite(
            RestartableRedis,
            "faults",
            cases![a_restarted_redis_is_reconnected_to],
        )
        .run()
}
