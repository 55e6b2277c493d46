// The hashing pool bounds memory and answers "busy" rather than queueing without end.

use std::time::Duration;

use acctsec_core::Password;
use acctsec_core::rng::SystemRng;
use acctsec_hash::{Argon2Params, Error, HashPool, Hasher, Verified};

const M_KIB: u32 = 1024;

fn hasher(max_idle: usize) -> Hasher {
    Hasher::builder()
        .with_params(Argon2Params::new(M_KIB, 1, 1).unwrap())
        .insecure_allow_weak_params()
        .with_max_idle_buffers(max_idle)
        .build()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn peak_memory_stays_within_permits_while_500_verifications_queue() {
    const PERMITS: usize = 2;
    let pool = HashPool::builder(hasher(PERMITS))
        .with_permits(PERMITS)
        .with_queue(500)
        .with_timeout(Duration::from_secs(120))
        .build()
        .unwrap();
    let stored = pool
        .hash(Password::new("hunter42"), SystemRng)
        .await
        .unwrap();
    let mut tasks = Vec::new();
    for i in 0..500 {
        let (pool, stored) = (pool.clone(), stored.clone());
        let guess = if i % 2 == 0 { "hunter42" } else { "hunter43" };
        tasks.push(tokio::spawn(async move {
            pool.verify(Password::new(guess), stored).await
        }));
    }
    let mut valid = 0;
    for task in tasks {
        if task.await.unwrap().unwrap().is_valid() {
            valid += 1;
        }
    }
    assert_eq!(valid, 250);
    let memory = pool.hasher().memory();
    let per_hash = M_KIB as usize * 1024;
    assert!(memory.peak_bytes > 0);
    assert!(
        memory.peak_bytes <= PERMITS * per_hash,
        "peak {} bytes over {PERMITS} x {per_hash}",
        memory.peak_bytes
    );
    assert!(memory.held_bytes <= PERMITS * per_hash);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_queue_answers_busy_at_once() {
    let pool = HashPool::builder(hasher(1))
        .with_permits(1)
        .with_queue(4)
        .with_timeout(Duration::from_secs(120))
        .build()
        .unwrap();
    let stored = pool.hash(Password::new("x"), SystemRng).await.unwrap();
    let mut tasks = Vec::new();
    for _ in 0..64 {
        let (pool, stored) = (pool.clone(), stored.clone());
        tasks.push(tokio::spawn(async move {
            pool.verify(Password::new("x"), stored).await
        }));
    }
    let (mut ok, mut busy) = (0, 0);
    for task in tasks {
        match task.await.unwrap() {
            Ok(Verified::Valid) => ok += 1,
            Err(Error::Busy) => busy += 1,
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(ok + busy, 64);
    assert!(busy > 0, "64 callers on a queue of 4 must be turned away");
    assert!(ok >= 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn waiting_too_long_answers_busy() {
    // One permit and a 1 ms wait: of four callers released together onto a hash that takes far
    // longer than that (64 MiB, 3 passes), one runs and the others give up.
    let slow = Hasher::builder()
        .with_params(Argon2Params::new(64 * 1024, 3, 1).unwrap())
        .build()
        .unwrap();
    let pool = HashPool::builder(slow)
        .with_permits(1)
        .with_queue(8)
        .with_timeout(Duration::from_millis(1))
        .build()
        .unwrap();
    let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(4));
    let mut tasks = Vec::new();
    for _ in 0..4 {
        let (pool, barrier) = (pool.clone(), barrier.clone());
        tasks.push(tokio::spawn(async move {
            barrier.wait().await;
            pool.verify_unknown(Password::new("guess")).await
        }));
    }
    let mut outcomes = Vec::new();
    for task in tasks {
        outcomes.push(task.await.unwrap());
    }
    let ran = outcomes
        .iter()
        .filter(|o| **o == Ok(Verified::Invalid))
        .count();
    let busy = outcomes.iter().filter(|o| **o == Err(Error::Busy)).count();
    assert_eq!(ran + busy, 4, "{outcomes:?}");
    assert!(ran >= 1 && busy >= 1, "{outcomes:?}");
    assert!(matches!(
        HashPool::builder(hasher(1)).with_permits(0).build(),
        Err(Error::InvalidPool)
    ));
}
