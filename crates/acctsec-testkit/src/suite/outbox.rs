//! [`Outbox`] contract cases.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use acctsec_core::store::{ClaimedMessage, Enqueued, MAX_OUTBOX_CLAIM, OutboxId, OutboxState};
use acctsec_core::{Detail, IdempotencyKey, Outbox};

use super::{message, race, t};

const LEASE: Duration = Duration::from_secs(30);

fn key(n: u32) -> IdempotencyKey {
    IdempotencyKey::new(format!("msg-{n}")).expect("fixture key is valid")
}

async fn enqueue<S: Outbox>(store: &S, n: u32, at: i64) -> OutboxId {
    let enqueued = store
        .enqueue(&key(n), &message(n, "body"), t(at))
        .await
        .expect("enqueue");
    assert!(
        matches!(enqueued, Enqueued::New(_)),
        "fresh key {n} reported as {enqueued:?}"
    );
    enqueued.id()
}

/// Claims the one due message at `at`.
async fn claim_one<S: Outbox>(store: &S, at: i64) -> ClaimedMessage {
    let mut claimed = store.claim(t(at), LEASE, 1).await.expect("claim");
    assert_eq!(claimed.len(), 1, "one message is due at {at}");
    claimed.remove(0)
}

/// Nothing is claimable, even far in the future.
async fn assert_never_claimed_again<S: Outbox>(store: &S) {
    let later = store.claim(t(999_999), LEASE, 10).await.expect("claim");
    assert!(later.is_empty(), "claimed again: {later:?}");
}

async fn state<S: Outbox>(store: &S, id: OutboxId) -> OutboxState {
    store
        .get(id)
        .await
        .expect("get")
        .expect("entry exists")
        .state
}

/// Getting an unknown id is `Ok(None)`.
pub async fn get_unknown_is_none<S: Outbox>(store: S) {
    assert_eq!(store.get(OutboxId(424_242)).await.expect("get"), None);
}

/// Enqueueing twice with one idempotency key stores the first message only.
pub async fn enqueue_is_idempotent<S: Outbox>(store: S) {
    let id = enqueue(&store, 1, 1000).await;
    let again = store
        .enqueue(&key(1), &message(2, "other"), t(1001))
        .await
        .expect("enqueue");
    assert_eq!(again, Enqueued::Duplicate(id));
    let entry = store.get(id).await.expect("get").expect("entry");
    assert_eq!(entry.message, message(1, "body"));
    assert_eq!(entry.key, key(1));
    assert_eq!(
        (entry.attempts, entry.state),
        (0, OutboxState::Pending { due: t(1000) })
    );
    let claimed = store.claim(t(1001), LEASE, 10).await.expect("claim");
    assert_eq!(
        claimed.len(),
        1,
        "one stored message, however often enqueued"
    );
}

/// A claim leases due messages, oldest first, at most `limit` of them, and never hands out a
/// message again while its lease holds. The limit is clamped to `1..=MAX_OUTBOX_CLAIM`.
pub async fn claim_leases_due_messages_in_order<S: Outbox>(store: S) {
    let ids = [
        enqueue(&store, 1, 1002).await,
        enqueue(&store, 2, 1000).await,
        enqueue(&store, 3, 1001).await,
    ];
    let not_yet = enqueue(&store, 4, 5000).await;
    let first = store.claim(t(1010), LEASE, 0).await.expect("claim");
    let rest = store
        .claim(t(1010), LEASE, MAX_OUTBOX_CLAIM * 10)
        .await
        .expect("claim");
    let order: Vec<_> = first.iter().chain(&rest).map(|c| c.lease.id).collect();
    assert_eq!(
        order,
        vec![ids[1], ids[2], ids[0]],
        "oldest due first, limit 0 means 1"
    );
    for c in first.iter().chain(&rest) {
        assert_eq!((c.lease.attempt, c.lease.until), (1, t(1040)));
        assert_eq!(
            state(&store, c.lease.id).await,
            OutboxState::Leased { until: t(1040) }
        );
    }
    assert!(
        store
            .claim(t(1039), LEASE, 10)
            .await
            .expect("claim")
            .is_empty()
    );
    assert_eq!(
        state(&store, not_yet).await,
        OutboxState::Pending { due: t(5000) }
    );
}

/// A message whose lease lapsed is claimed again with the next attempt number; the old lease can
/// then no longer complete it, the new one can.
pub async fn lapsed_lease_is_claimed_again<S: Outbox>(store: S) {
    enqueue(&store, 1, 1000).await;
    let old = claim_one(&store, 1000).await;
    let again = store.claim(t(1030), LEASE, 1).await.expect("claim");
    assert_eq!(again.len(), 1, "a lapsed lease makes the message claimable");
    let new = &again[0];
    assert_eq!((new.lease.id, new.lease.attempt), (old.lease.id, 2));
    assert_eq!(new.message, old.message);
    let err = store
        .complete(&old.lease, t(1031))
        .await
        .expect_err("old lease");
    assert!(err.is_conflict(), "expected a conflict, got {err}");
    store
        .complete(&new.lease, t(1031))
        .await
        .expect("current lease completes");
}

/// A lapsed lease that nobody claimed since still completes (the worker was only slow).
pub async fn lapsed_unclaimed_lease_still_completes<S: Outbox>(store: S) {
    let id = enqueue(&store, 1, 1000).await;
    let c = claim_one(&store, 1000).await;
    store.complete(&c.lease, t(2000)).await.expect("complete");
    assert_eq!(
        state(&store, id).await,
        OutboxState::Delivered { at: t(2000) }
    );
}

/// A delivered message is never claimed again, and cannot be completed twice.
pub async fn completed_is_never_claimed_again<S: Outbox>(store: S) {
    let id = enqueue(&store, 1, 1000).await;
    let c = claim_one(&store, 1000).await;
    store.complete(&c.lease, t(1001)).await.expect("complete");
    assert_never_claimed_again(&store).await;
    let err = store.complete(&c.lease, t(1002)).await.expect_err("twice");
    assert!(err.is_conflict(), "expected a conflict, got {err}");
    assert_eq!(
        state(&store, id).await,
        OutboxState::Delivered { at: t(1001) }
    );
}

/// A retry makes the message pending again at the given time, with the error recorded.
pub async fn retry_reschedules<S: Outbox>(store: S) {
    let id = enqueue(&store, 1, 1000).await;
    let c = claim_one(&store, 1000).await;
    store
        .retry(&c.lease, t(1060), &Detail::new("smtp 451"))
        .await
        .expect("retry");
    let entry = store.get(id).await.expect("get").expect("entry");
    assert_eq!(entry.state, OutboxState::Pending { due: t(1060) });
    assert_eq!(entry.last_error, Some(Detail::new("smtp 451")));
    assert!(
        store
            .claim(t(1059), LEASE, 10)
            .await
            .expect("claim")
            .is_empty()
    );
    let next = store.claim(t(1060), LEASE, 10).await.expect("claim");
    assert_eq!(
        next.iter()
            .map(|c| (c.lease.id, c.lease.attempt))
            .collect::<Vec<_>>(),
        [(id, 2)]
    );
    let err = store
        .retry(&c.lease, t(2000), &Detail::new("late"))
        .await
        .expect_err("old lease");
    assert!(err.is_conflict(), "expected a conflict, got {err}");
}

/// A dead-lettered message keeps its reason and is never claimed again.
pub async fn dead_letter_is_final<S: Outbox>(store: S) {
    let id = enqueue(&store, 1, 1000).await;
    let c = claim_one(&store, 1000).await;
    store
        .dead_letter(&c.lease, &Detail::new("smtp 550 no such user"), t(1001))
        .await
        .expect("dead-letter");
    assert_never_claimed_again(&store).await;
    let expected = OutboxState::DeadLettered {
        at: t(1001),
        reason: Detail::new("smtp 550 no such user"),
    };
    assert_eq!(state(&store, id).await, expected);
}

/// Concurrent claims never hand one message to two workers.
pub async fn concurrent_claims_are_disjoint<S: Outbox + 'static>(store: S) {
    let mut all = BTreeSet::new();
    for n in 0..40 {
        all.insert(enqueue(&store, n, 1000).await);
    }
    let store = Arc::new(store);
    let batches = race(&store, |s, _| async move {
        s.claim(t(1000), LEASE, 3).await.expect("claim")
    })
    .await;
    let claimed: Vec<_> = batches.into_iter().flatten().map(|c| c.lease.id).collect();
    let distinct: BTreeSet<_> = claimed.iter().copied().collect();
    assert_eq!(claimed.len(), distinct.len(), "a message was claimed twice");
    assert_eq!(distinct, all, "every due message was claimed");
}

/// A claimed message carries what was enqueued, and its `Debug` shows no body.
pub async fn claimed_message_round_trips_and_hides_bodies<S: Outbox>(store: S) {
    let m = message(7, "SECRET-LINK-TOKEN");
    store.enqueue(&key(7), &m, t(1000)).await.expect("enqueue");
    let c = claim_one(&store, 1000).await;
    assert_eq!((&c.message, &c.key), (&m, &key(7)));
    let dbg = format!("{c:?} {:?}", store.get(c.lease.id).await.expect("get"));
    assert!(
        !dbg.contains("SECRET-LINK-TOKEN"),
        "Debug leaks a body: {dbg}"
    );
}
