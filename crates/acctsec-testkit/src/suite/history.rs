//! [`PasswordHistory`] contract cases.

use std::collections::BTreeSet;
use std::sync::Arc;

use acctsec_core::store::MAX_PASSWORD_HISTORY;
use acctsec_core::{PasswordHistory, StoredPasswordHash, UserId};

use super::{RACERS, assert_unavailable, cases, longest_user, race, t, user};

cases!(PasswordHistory;
    no_history_is_empty,
    recent_is_newest_first_in_push_order,
    keep_trims_in_the_same_push,
    keep_and_limit_are_clamped,
    users_are_separate,
    forget_returns_the_count_and_empties,
    concurrent_pushes_keep_exactly_keep,
    longest_values_round_trip,
);

fn hash(n: usize) -> StoredPasswordHash {
    StoredPasswordHash::new(format!("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA${n:08}"))
        .expect("fixture hash is valid")
}

fn hashes(ns: impl IntoIterator<Item = usize>) -> Vec<StoredPasswordHash> {
    ns.into_iter().map(hash).collect()
}

async fn push<S: PasswordHistory>(store: &S, u: &UserId, n: usize, keep: usize) {
    let now = t(1000 + i64::try_from(n).expect("small"));
    store.push(u, &hash(n), keep, now).await.expect("push");
}

/// A user with no history gets an empty list.
pub async fn no_history_is_empty<S: PasswordHistory>(store: S) {
    assert_eq!(
        store.recent(&user(1), 10).await.expect("recent"),
        hashes([])
    );
}

/// `recent` returns the newest `limit` hashes, newest first, in the order of the pushes whatever
/// `now` says.
pub async fn recent_is_newest_first_in_push_order<S: PasswordHistory>(store: S) {
    for n in 1..=3 {
        push(&store, &user(1), n, 10).await;
    }
    assert_eq!(
        store.recent(&user(1), 10).await.expect("recent"),
        hashes([3, 2, 1])
    );
    assert_eq!(
        store.recent(&user(1), 2).await.expect("recent"),
        hashes([3, 2])
    );
    // A push with an earlier `now` (a skewed clock) is still the newest.
    store
        .push(&user(1), &hash(4), 10, t(5))
        .await
        .expect("push");
    assert_eq!(
        store.recent(&user(1), 10).await.expect("recent"),
        hashes([4, 3, 2, 1])
    );
}

/// `push` drops all but the newest `keep` in the same step: the history never holds more than
/// the last push asked for, and grows again when a later push keeps more.
pub async fn keep_trims_in_the_same_push<S: PasswordHistory>(store: S) {
    for n in 1..=5 {
        push(&store, &user(1), n, 10).await;
    }
    push(&store, &user(1), 6, 3).await;
    assert_eq!(
        store.recent(&user(1), 24).await.expect("recent"),
        hashes([6, 5, 4])
    );
    push(&store, &user(1), 7, 1).await;
    assert_eq!(
        store.recent(&user(1), 24).await.expect("recent"),
        hashes([7])
    );
    push(&store, &user(1), 8, 5).await;
    assert_eq!(
        store.recent(&user(1), 24).await.expect("recent"),
        hashes([8, 7])
    );
    assert_eq!(store.forget(&user(1)).await.expect("forget"), 2);
}

/// `keep` and `limit` are clamped to `1..=MAX_PASSWORD_HISTORY`: at most that many are kept and
/// returned, and a `keep` or `limit` of 0 means one.
pub async fn keep_and_limit_are_clamped<S: PasswordHistory>(store: S) {
    for n in 1..=30 {
        push(&store, &user(1), n, usize::MAX).await;
    }
    let newest: Vec<_> = (1..=30).rev().take(MAX_PASSWORD_HISTORY).collect();
    assert_eq!(
        store.recent(&user(1), usize::MAX).await.expect("recent"),
        hashes(newest)
    );
    assert_eq!(
        store.recent(&user(1), 0).await.expect("recent"),
        hashes([30])
    );
    assert_eq!(
        store.forget(&user(1)).await.expect("forget"),
        u64::try_from(MAX_PASSWORD_HISTORY).expect("small")
    );
    push(&store, &user(2), 1, 5).await;
    push(&store, &user(2), 2, 0).await;
    assert_eq!(
        store.recent(&user(2), 10).await.expect("recent"),
        hashes([2]),
        "a keep of 0 keeps the hash just pushed"
    );
}

/// Users never see each other's hashes, nor does forgetting one touch another — not even a user
/// whose id starts with the same characters.
pub async fn users_are_separate<S: PasswordHistory>(store: S) {
    push(&store, &user(1), 1, 5).await;
    push(&store, &user(11), 11, 5).await;
    push(&store, &user(1), 2, 5).await;
    push(&store, &user(2), 3, 1).await;
    assert_eq!(
        store.recent(&user(1), 10).await.expect("recent"),
        hashes([2, 1])
    );
    assert_eq!(
        store.recent(&user(11), 10).await.expect("recent"),
        hashes([11])
    );
    assert_eq!(
        store.recent(&user(2), 10).await.expect("recent"),
        hashes([3])
    );
    assert_eq!(store.forget(&user(1)).await.expect("forget"), 2);
    assert_eq!(
        store.recent(&user(11), 10).await.expect("recent"),
        hashes([11])
    );
    assert_eq!(
        store.recent(&user(2), 10).await.expect("recent"),
        hashes([3])
    );
}

/// `forget` removes a user's whole history and says how many hashes it held.
pub async fn forget_returns_the_count_and_empties<S: PasswordHistory>(store: S) {
    for n in 1..=3 {
        push(&store, &user(1), n, 10).await;
    }
    assert_eq!(store.forget(&user(1)).await.expect("forget"), 3);
    assert_eq!(
        store.recent(&user(1), 10).await.expect("recent"),
        hashes([])
    );
    assert_eq!(store.forget(&user(1)).await.expect("forget"), 0);
    push(&store, &user(1), 4, 10).await;
    assert_eq!(
        store.recent(&user(1), 10).await.expect("recent"),
        hashes([4])
    );
}

/// Of concurrent pushes to one user with one `keep`, every push happens and trimming leaves
/// exactly `keep` distinct hashes of those pushed.
pub async fn concurrent_pushes_keep_exactly_keep<S: PasswordHistory + 'static>(store: S) {
    let store = Arc::new(store);
    race(&store, |s, i| async move {
        s.push(&user(1), &hash(i), 5, t(1000)).await.expect("push");
    })
    .await;
    let kept = store.recent(&user(1), 24).await.expect("recent");
    assert_eq!(
        kept.len(),
        5,
        "exactly `keep` remain after {RACERS} racing pushes"
    );
    let pushed: BTreeSet<_> = (0..RACERS).map(|i| hash(i).as_str().to_owned()).collect();
    let kept: BTreeSet<_> = kept.iter().map(|h| h.as_str().to_owned()).collect();
    assert_eq!(kept.len(), 5, "no hash kept twice");
    assert!(kept.is_subset(&pushed), "{kept:?}");
    assert_eq!(store.forget(&user(1)).await.expect("forget"), 5);
}

/// The longest hashes and user ids (multi-byte, two that differ only in their last byte)
/// round-trip, each user keeping their own.
pub async fn longest_values_round_trip<S: PasswordHistory>(store: S) {
    let longest = super::longest_hash;
    let (a, b) = (longest_user('a'), longest_user('b'));
    store
        .push(&a, &longest('x'), 5, t(1000))
        .await
        .expect("push");
    store
        .push(&b, &longest('y'), 5, t(1000))
        .await
        .expect("push");
    store
        .push(&a, &longest('z'), 5, t(1001))
        .await
        .expect("push");
    assert_eq!(
        store.recent(&a, 5).await.expect("recent"),
        [longest('z'), longest('x')]
    );
    assert_eq!(store.recent(&b, 5).await.expect("recent"), [longest('y')]);
    assert_eq!(store.forget(&b).await.expect("forget"), 1);
    assert_eq!(store.recent(&a, 5).await.expect("recent").len(), 2);
}

/// A store whose server is unreachable fails with `Unavailable`, a transient error.
pub async fn unreachable_server_is_unavailable<S: PasswordHistory>(store: S) {
    assert_unavailable(store.recent(&user(1), 5).await);
}
