//! The conformance cases: one `async fn` per contract clause, generic over the store. Each suite
//! module's `cases()` lists them, and [`harness::Conformance`](crate::harness::Conformance) turns
//! every case into a named test for a back end; the functions can also be called directly.
//!
//! Every case takes a fresh, empty store and uses timestamps near 1970, far from the wall clock, so
//! a store that reads its own clock instead of the `now` it is given fails. Cases that check time
//! handling also use instants with milliseconds, before 1970, and at the end of [`Timestamp`]'s
//! range (where saturating arithmetic, such as a window of [`Duration::MAX`], lands), so a store
//! must keep every `Timestamp` exactly. Values are checked at their bounds too: binary bytes
//! (including `0x00` and invalid UTF-8), the largest sizes the types allow, and the longest ids,
//! made of multi-byte characters where the type allows them.
//!
//! Each suite also has `unreachable_server_is_unavailable`, run on the store a back end points at
//! a closed port: the error must be [`Unavailable`](acctsec_core::StoreErrorKind::Unavailable)
//! and transient.
//!
//! [`Duration::MAX`]: std::time::Duration::MAX

pub mod account;
pub mod activity;
pub mod history;
pub mod outbox;
pub mod profile;
pub mod throttle;
pub mod token;

use std::future::Future;
use std::sync::Arc;

use acctsec_core::store::OutboxMessage;
use acctsec_core::{
    Email, IdempotencyKey, MAX_USER_ID_BYTES, MessageKind, SealedContent, StoreError, Timestamp,
    UserId,
};

/// How many tasks race in the concurrency cases.
pub const RACERS: usize = 64;

/// `n` seconds after the epoch.
pub(crate) fn t(secs: i64) -> Timestamp {
    Timestamp::from_unix_secs(secs)
}

/// `n` milliseconds after the epoch (before it when negative).
pub(crate) fn ms(millis: i64) -> Timestamp {
    Timestamp::from_unix_millis(millis)
}

/// The latest instant a [`Timestamp`] holds: where saturating arithmetic (`now` plus
/// [`Duration::MAX`](std::time::Duration::MAX)) ends.
pub(crate) const LATEST: Timestamp = Timestamp::from_unix_millis(i64::MAX);

/// The earliest instant a [`Timestamp`] holds.
pub(crate) const EARLIEST: Timestamp = Timestamp::from_unix_millis(i64::MIN);

/// A user id for fixtures.
pub(crate) fn user(n: u64) -> UserId {
    UserId::from(n)
}

/// A user id of exactly [`MAX_USER_ID_BYTES`], mostly three- and four-byte characters, ending in
/// `last`: two of them that differ only in `last` share their first 127 bytes, so a store that
/// cuts ids short mixes them up.
pub(crate) fn longest_user(last: char) -> UserId {
    let mut id = String::from("𝔘");
    while id.len() + "用".len() < MAX_USER_ID_BYTES {
        id.push('用');
    }
    while id.len() + last.len_utf8() < MAX_USER_ID_BYTES {
        id.push('-');
    }
    id.push(last);
    assert_eq!(
        id.len(),
        MAX_USER_ID_BYTES,
        "fixture id has the largest size"
    );
    UserId::new(id).expect("fixture id is valid")
}

/// An address of exactly [`MAX_EMAIL_BYTES`](acctsec_core::MAX_EMAIL_BYTES): the longest local
/// part, starting with `first`, and the longest domain labels.
/// A password hash of [`MAX_PASSWORD_HASH_BYTES`](acctsec_core::MAX_PASSWORD_HASH_BYTES), its
/// digest made of `fill`.
pub(crate) fn longest_hash(fill: char) -> acctsec_core::StoredPasswordHash {
    let prefix = "$argon2id$v=19$m=19456,t=2,p=1$";
    let text = format!(
        "{prefix}{}",
        fill.to_string()
            .repeat(acctsec_core::MAX_PASSWORD_HASH_BYTES - prefix.len())
    );
    acctsec_core::StoredPasswordHash::new(text).expect("fixture hash is valid")
}

pub(crate) fn longest_email(first: char) -> Email {
    let local = format!(
        "{first}{}",
        "a".repeat(acctsec_core::MAX_LOCAL_PART_BYTES - 1)
    );
    let label = |c: &str| c.repeat(acctsec_core::MAX_DOMAIN_LABEL_BYTES);
    let domain = format!("{}.{}.{}.com", label("b"), label("c"), "d".repeat(57));
    let email = Email::parse(&format!("{local}@{domain}")).expect("fixture email parses");
    assert_eq!(
        email.as_str().len(),
        acctsec_core::MAX_EMAIL_BYTES,
        "fixture email has the largest size"
    );
    email
}

/// The idempotency key of fixture message `n`.
pub(crate) fn message_key(n: u32) -> IdempotencyKey {
    IdempotencyKey::new(format!("msg-{n}")).expect("fixture key is valid")
}

/// Sealed content made of `marker` between binary bytes (`0x00`, bytes that are not UTF-8), so a
/// store that keeps it as text fails.
pub(crate) fn sealed(marker: &str) -> SealedContent {
    let mut bytes = vec![0x00, 0xFF, 0xC3, 0x28, 0x80];
    bytes.extend_from_slice(marker.as_bytes());
    bytes.extend_from_slice(&[0x00, 0xFE]);
    SealedContent::new(bytes).expect("fixture content is small")
}

/// Fixture message `n`, keyed by [`message_key`], its sealed content carrying `marker`, about no
/// particular user or request.
pub(crate) fn message(n: u32, marker: &str) -> OutboxMessage {
    let to = Email::parse(&format!("User{n}@Example.com")).expect("fixture email parses");
    OutboxMessage::new(
        message_key(n),
        MessageKind::PasswordReset,
        to,
        sealed(&format!("message {n}: {marker}")),
    )
}

/// Asserts that `result` is a conflict.
pub(crate) fn assert_conflict<T: std::fmt::Debug>(result: Result<T, StoreError>, what: &str) {
    assert!(
        result.is_err(),
        "{what}: expected a conflict, got {result:?}"
    );
    if let Err(err) = result {
        assert!(err.is_conflict(), "{what}: expected a conflict, got {err}");
    }
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

/// Defines a suite module's `cases()`: every listed case as a [`Case`](crate::harness::Case),
/// and the module's `unreachable_server_is_unavailable` case apart (it needs a store pointed at a
/// closed port, not a fresh one). The store's bounds come first, separated by commas.
macro_rules! cases {
    ($($bound:path),+; $($case:ident),+ $(,)?) => {
        /// Every case of this suite, then the case for a store whose server is unreachable.
        #[must_use]
        pub fn cases<S: $($bound +)+ 'static>() -> (
            Vec<$crate::harness::Case<S>>,
            $crate::harness::Case<S>,
        ) {
            (
                vec![$(
                    $crate::harness::Case::new(
                        stringify!($case),
                        |s| -> ::std::pin::Pin<Box<dyn ::std::future::Future<Output = ()>>> {
                            Box::pin($case(s))
                        },
                    )
                ),+],
                $crate::harness::Case::new(
                    "unreachable_server_is_unavailable",
                    |s| -> ::std::pin::Pin<Box<dyn ::std::future::Future<Output = ()>>> {
                        Box::pin(unreachable_server_is_unavailable(s))
                    },
                ),
            )
        }
    };
}
pub(crate) use cases;

/// Asserts that `result` failed as an unreachable server must: [`Unavailable`], transient.
///
/// [`Unavailable`]: acctsec_core::StoreErrorKind::Unavailable
pub(crate) fn assert_unavailable<T: std::fmt::Debug>(result: Result<T, StoreError>) {
    let err = result.expect_err("a store whose server is unreachable must fail");
    assert_eq!(
        err.kind(),
        acctsec_core::StoreErrorKind::Unavailable,
        "an unreachable server must be Unavailable, got {err}"
    );
    assert!(err.is_transient(), "an unreachable server is transient");
}
