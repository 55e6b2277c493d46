//! The conformance cases: one `async fn` per contract clause, generic over the store. The
//! `*_suite!` macros turn each into a named `#[test]`; call them directly to compose your own.
//!
//! Every case takes a fresh, empty store and uses timestamps near 1970, far from the wall clock, so
//! a store that reads its own clock instead of the `now` it is given fails.

pub mod account;
pub mod activity;
pub mod outbox;
pub mod profile;
pub mod throttle;
pub mod token;

use std::future::Future;
use std::sync::Arc;

use acctsec_core::{Email, Message, MessageKind, Timestamp, UserId};

/// How many tasks race in the concurrency cases.
pub const RACERS: usize = 64;

/// `n` seconds after the epoch.
pub(crate) fn t(secs: i64) -> Timestamp {
    Timestamp::from_unix_secs(secs)
}

/// A user id for fixtures.
pub(crate) fn user(n: u64) -> UserId {
    UserId::from(n)
}

/// A rendered message whose bodies carry `marker`.
pub(crate) fn message(n: u32, marker: &str) -> Message {
    let to = Email::parse(&format!("user{n}@example.com")).expect("fixture email parses");
    Message::new(
        MessageKind::PasswordReset,
        to,
        format!("Message {n}"),
        format!("text {n} {marker}"),
    )
    .and_then(|m| m.with_html(format!("<p>{n} {marker}</p>")))
    .expect("fixture message is valid")
}

/// Runs `RACERS` copies of `op` at once on a shared store and returns their results in spawn order.
pub(crate) async fn race<S, F, Fut, T>(store: &Arc<S>, op: F) -> Vec<T>
where
    S: Send + Sync + 'static,
    F: Fn(Arc<S>, usize) -> Fut,
    Fut: Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    let barrier = Arc::new(tokio::sync::Barrier::new(RACERS));
    let mut handles = Vec::with_capacity(RACERS);
    for i in 0..RACERS {
        let fut = op(Arc::clone(store), i);
        let barrier = Arc::clone(&barrier);
        handles.push(tokio::spawn(async move {
            barrier.wait().await;
            fut.await
        }));
    }
    let mut results = Vec::with_capacity(RACERS);
    for handle in handles {
        results.push(handle.await.expect("racing task did not panic"));
    }
    results
}
