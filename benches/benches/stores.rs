//! The storage adapters' hot operations — take a token, hit a throttle, append an event, claim
//! from the outbox — on SQLite, PostgreSQL and Redis, each beside the same operation as one bare
//! statement or command from the same client (the floor an adapter can approach).
//!
//! `ACCTSEC_TEST_POSTGRES_URL=… ACCTSEC_TEST_REDIS_URL=… cargo bench -p acctsec-benches --bench stores`

#![allow(missing_docs, clippy::unwrap_used)]

use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use acctsec_core::{
    ActivityLog, BindingDigest, ClientInfo, Email, IdempotencyKey, MessageKind, Outbox,
    OutboxMessage, Purpose, SealedContent, SecurityEvent, SecurityEventKind, ThrottleKey,
    ThrottleStore, Timestamp, TokenDigest, TokenRecord, TokenStore, UserId,
};
use acctsec_redis::RedisStore;
use acctsec_sqlx::{PostgresStore, SqliteStore};
use criterion::measurement::WallTime;
use criterion::{BatchSize, BenchmarkGroup, Criterion, criterion_group, criterion_main};

static NEXT: AtomicU64 = AtomicU64::new(1);

fn now() -> Timestamp {
    Timestamp::from_unix_secs(1_800_000_000)
}

/// A token record with a digest no other iteration used.
fn fresh_record() -> TokenRecord {
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let mut digest = [0_u8; 32];
    digest[..8].copy_from_slice(&n.to_be_bytes());
    TokenRecord::new(
        TokenDigest::from_bytes(digest),
        UserId::from(n % 1000),
        Purpose::PASSWORD_RESET,
        BindingDigest::from_bytes([7; 32]),
        now(),
        Timestamp::from_unix_secs(1_800_000_900),
    )
}

fn event() -> SecurityEvent {
    SecurityEvent::new(
        UserId::from(NEXT.fetch_add(1, Ordering::Relaxed) % 1000),
        SecurityEventKind::SignInFailed,
        now(),
        ClientInfo::new().with_ip("203.0.113.9".parse().unwrap()),
    )
}

fn message() -> OutboxMessage {
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    OutboxMessage::new(
        IdempotencyKey::new(format!("bench-{n}")).unwrap(),
        MessageKind::SecurityNotice,
        Email::parse("ana@example.com").unwrap(),
        SealedContent::new(vec![0x5a; 600]).unwrap(),
    )
}

/// The four operations on one SQL store, and their bare statements.
macro_rules! sql_benches {
    ($group:expr, $rt:expr, $store:expr, $name:literal) => {{
        let (group, rt, store): (&mut BenchmarkGroup<'_, WallTime>, &tokio::runtime::Runtime, _) =
            ($group, $rt, $store);
        group.bench_function(concat!($name, ": take (adapter)"), |b| {
            b.iter_batched(
                || {
                    let r = fresh_record();
                    rt.block_on(store.insert(&r, now())).unwrap();
                    r.digest
                },
                |d| rt.block_on(store.take(&d, now())).unwrap(),
                BatchSize::SmallInput,
            );
        });
        group.bench_function(concat!($name, ": take (bare DELETE … RETURNING)"), |b| {
            b.iter_batched(
                || {
                    let r = fresh_record();
                    rt.block_on(store.insert(&r, now())).unwrap();
                    r.digest
                },
                |d| {
                    rt.block_on(
                        sqlx::query_as::<_, (Vec<u8>, String)>(
                            "DELETE FROM acctsec_tokens WHERE digest = $1 RETURNING digest, user_id",
                        )
                        .bind(d.as_bytes().as_slice())
                        .fetch_optional(store.pool()),
                    )
                    .unwrap()
                },
                BatchSize::SmallInput,
            );
        });
        let key = ThrottleKey::new("bench:hit").unwrap();
        group.bench_function(concat!($name, ": throttle hit (adapter)"), |b| {
            b.iter(|| rt.block_on(store.hit(black_box(&key), Duration::from_secs(3600), now())).unwrap());
        });
        group.bench_function(concat!($name, ": throttle hit (bare upsert)"), |b| {
            b.iter(|| {
                rt.block_on(
                    sqlx::query_as::<_, (i64,)>(
                        "INSERT INTO acctsec_throttles (key, count, resets_at, last_hit) \
                         VALUES ($1, 1, 0, 0) ON CONFLICT (key) DO UPDATE SET \
                         count = acctsec_throttles.count + 1 RETURNING count",
                    )
                    .bind("bench:bare")
                    .fetch_one(store.pool()),
                )
                .unwrap()
            });
        });
        group.bench_function(concat!($name, ": activity append (adapter)"), |b| {
            b.iter_batched(event, |e| rt.block_on(store.append(&e)).unwrap(), BatchSize::SmallInput);
        });
        group.bench_function(concat!($name, ": activity append (bare INSERT)"), |b| {
            b.iter(|| {
                rt.block_on(
                    sqlx::query(
                        "INSERT INTO acctsec_activity (user_id, kind, at, actor, ip) \
                         VALUES ($1, 'sign_in_failed', 0, 'owner', '203.0.113.9')",
                    )
                    .bind("7")
                    .execute(store.pool()),
                )
                .unwrap()
            });
        });
        group.bench_function(concat!($name, ": outbox claim of one (adapter)"), |b| {
            b.iter_batched(
                || rt.block_on(store.enqueue(&message(), now())).unwrap(),
                |_| rt.block_on(store.claim(now(), Duration::from_secs(60), 1)).unwrap(),
                BatchSize::SmallInput,
            );
        });
    }};
}

fn stores(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let mut group = c.benchmark_group("stores");
    group
        .sample_size(30)
        .measurement_time(Duration::from_secs(3));

    let path = std::env::temp_dir().join(format!("acctsec-bench-{}.db", std::process::id()));
    let sqlite = rt
        .block_on(SqliteStore::connect(&format!(
            "sqlite://{}",
            path.display()
        )))
        .unwrap();
    sql_benches!(&mut group, &rt, &sqlite, "SQLite file (WAL)");

    if let Ok(url) = std::env::var("ACCTSEC_TEST_POSTGRES_URL") {
        let schema = format!("acctsec_bench_{}", std::process::id());
        let pg = rt
            .block_on(PostgresStore::connect_in_schema(&url, &schema))
            .unwrap();
        sql_benches!(&mut group, &rt, &pg, "PostgreSQL");
        rt.block_on(
            sqlx::query(sqlx::AssertSqlSafe(format!("DROP SCHEMA {schema} CASCADE")))
                .execute(pg.pool()),
        )
        .unwrap();
    } else {
        println!("ACCTSEC_TEST_POSTGRES_URL is not set: PostgreSQL not measured");
    }

    if let Ok(url) = std::env::var("ACCTSEC_TEST_REDIS_URL") {
        let prefix = format!("acctsec-bench-{}", std::process::id());
        let store = rt.block_on(RedisStore::connect(&url, &prefix)).unwrap();
        let client = redis::Client::open(url).unwrap();
        let mut conn = rt
            .block_on(client.get_multiplexed_async_connection())
            .unwrap();
        group.bench_function("Redis: take (adapter)", |b| {
            b.iter_batched(
                || {
                    let r = fresh_record();
                    rt.block_on(store.insert(&r, now())).unwrap();
                    r.digest
                },
                |d| rt.block_on(store.take(&d, now())).unwrap(),
                BatchSize::SmallInput,
            );
        });
        group.bench_function("Redis: take (bare GETDEL)", |b| {
            b.iter_batched(
                || {
                    let n = NEXT.fetch_add(1, Ordering::Relaxed);
                    let key = format!("{{{prefix}}}:bare:{n}");
                    rt.block_on(
                        redis::cmd("SET")
                            .arg(&key)
                            .arg("x")
                            .query_async::<()>(&mut conn.clone()),
                    )
                    .unwrap();
                    key
                },
                |key| {
                    rt.block_on(
                        redis::cmd("GETDEL")
                            .arg(key)
                            .query_async::<Option<String>>(&mut conn.clone()),
                    )
                    .unwrap()
                },
                BatchSize::SmallInput,
            );
        });
        let key = ThrottleKey::new("bench:hit").unwrap();
        group.bench_function("Redis: throttle hit (adapter, Lua)", |b| {
            b.iter(|| {
                rt.block_on(store.hit(black_box(&key), Duration::from_secs(3600), now()))
                    .unwrap()
            });
        });
        group.bench_function("Redis: throttle hit (bare INCR)", |b| {
            b.iter(|| {
                rt.block_on(
                    redis::cmd("INCR")
                        .arg(format!("{{{prefix}}}:bare-incr"))
                        .query_async::<i64>(&mut conn),
                )
                .unwrap()
            });
        });
        let keys: Vec<String> = rt
            .block_on(
                redis::cmd("KEYS")
                    .arg(format!("{{{prefix}}}:*"))
                    .query_async(&mut conn),
            )
            .unwrap();
        if !keys.is_empty() {
            rt.block_on(redis::cmd("DEL").arg(keys).query_async::<u64>(&mut conn))
                .unwrap();
        }
    } else {
        println!("ACCTSEC_TEST_REDIS_URL is not set: Redis not measured");
    }
    group.finish();
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
}

criterion_group!(benches, stores);
criterion_main!(benches);
