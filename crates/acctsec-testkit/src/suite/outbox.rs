//! [`Outbox`] contract cases.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use acctsec_core::store::{
    ClaimedMessage, DeliveryReport, Enqueued, Lease, MAX_OUTBOX_CLAIM, MAX_OUTBOX_PAGE,
    OutboxEntry, OutboxId, OutboxMessage, OutboxState,
};
use acctsec_core::{
    CorrelationId, Detail, Email, IdempotencyKey, MAX_CORRELATION_ID_BYTES,
    MAX_IDEMPOTENCY_KEY_BYTES, MAX_SEALED_BYTES, MessageKind, Outbox, SealedContent, Timestamp,
};

use super::{
    LATEST, assert_conflict, assert_unavailable, cases, longest_email, longest_user, message,
    message_key, ms, race, sealed, t, user,
};

cases!(Outbox;
    get_unknown_is_none,
    enqueue_is_idempotent,
    claim_leases_due_messages_in_order,
    lapsed_lease_is_claimed_again,
    lapsed_unclaimed_lease_still_completes,
    sent_keeps_its_receipt_and_is_never_claimed_again,
    retry_reschedules,
    dead_letter_is_final,
    concurrent_claims_are_disjoint,
    claimed_message_round_trips,
    concurrent_enqueues_with_one_key_store_one,
    retried_lease_is_stale_and_the_next_claim_sends,
    stale_dead_letter_is_conflict,
    claim_limit_is_clamped,
    claim_ties_are_broken_by_id,
    message_fields_round_trip,
    extend_moves_the_lease_while_it_is_held,
    record_delivery_needs_a_sent_message,
    requeue_revives_a_dead_letter_only,
    for_user_lists_newest_first,
    dead_letters_page_by_id,
    purge_finished_removes_old_finished_messages_oldest_first,
    times_keep_their_milliseconds_and_cross_1970,
    find_by_key_follows_the_message,
);

const LEASE: Duration = Duration::from_secs(30);

fn receipt(n: u32) -> Detail {
    Detail::new(&format!("250 2.0.0 Ok: queued as {n:04X}"))
}

/// Enqueues `m` at `at`, which must store it.
async fn enqueue_message<S: Outbox>(store: &S, m: &OutboxMessage, at: Timestamp) -> OutboxId {
    let enqueued = store.enqueue(m, at).await.expect("enqueue");
    assert!(
        matches!(enqueued, Enqueued::New(_)),
        "a fresh key reported as {enqueued:?}"
    );
    enqueued.id()
}

async fn enqueue<S: Outbox>(store: &S, n: u32, at: i64) -> OutboxId {
    enqueue_message(store, &message(n, "body"), t(at)).await
}

/// Claims the one due message at `at`.
async fn claim_one<S: Outbox>(store: &S, at: i64) -> ClaimedMessage {
    let mut claimed = store.claim(t(at), LEASE, 1).await.expect("claim");
    assert_eq!(claimed.len(), 1, "one message is due at {at}");
    claimed.remove(0)
}

/// The ids a claim at `now` leases, in the order it returns them.
async fn claim_ids<S: Outbox>(store: &S, now: Timestamp, limit: usize) -> Vec<OutboxId> {
    let claimed = store.claim(now, LEASE, limit).await.expect("claim");
    claimed.iter().map(|c| c.lease.id).collect()
}

/// Nothing is claimable, even far in the future.
async fn assert_never_claimed_again<S: Outbox>(store: &S) {
    let later = store.claim(t(999_999), LEASE, 10).await.expect("claim");
    assert!(later.is_empty(), "claimed again: {later:?}");
}

async fn entry<S: Outbox>(store: &S, id: OutboxId) -> OutboxEntry {
    store.get(id).await.expect("get").expect("entry exists")
}

async fn state<S: Outbox>(store: &S, id: OutboxId) -> OutboxState {
    entry(store, id).await.state
}

fn ids(entries: &[OutboxEntry]) -> Vec<OutboxId> {
    entries.iter().map(|e| e.id).collect()
}

/// An id no message has: past every id the store handed out.
fn unknown_after(known: &[OutboxId]) -> OutboxId {
    OutboxId(known.iter().map(|id| id.0).max().unwrap_or(0) + 1000)
}

/// Getting an unknown id is `Ok(None)`.
pub async fn get_unknown_is_none<S: Outbox>(store: S) {
    assert_eq!(store.get(OutboxId(424_242)).await.expect("get"), None);
}

/// Enqueueing stores the message pending, due now, with no attempts; enqueueing again with one
/// idempotency key stores nothing and returns the first message's id.
pub async fn enqueue_is_idempotent<S: Outbox>(store: S) {
    let id = enqueue(&store, 1, 1000).await;
    let other = OutboxMessage::new(
        message_key(1),
        MessageKind::EmailCode,
        Email::parse("other@example.com").expect("email"),
        sealed("other"),
    )
    .with_user(user(9));
    let again = store.enqueue(&other, t(1001)).await.expect("enqueue");
    assert_eq!(again, Enqueued::Duplicate(id));
    assert_eq!(
        entry(&store, id).await,
        OutboxEntry::enqueued(id, message(1, "body"), t(1000))
    );
    let claimed = store.claim(t(1001), LEASE, 10).await.expect("claim");
    assert_eq!(
        claimed.len(),
        1,
        "one stored message, however often enqueued"
    );
}

/// A claim leases due messages, oldest first, at most `limit` of them, and never hands out a
/// message again while its lease holds.
pub async fn claim_leases_due_messages_in_order<S: Outbox>(store: S) {
    let ids = [
        enqueue(&store, 1, 1002).await,
        enqueue(&store, 2, 1000).await,
        enqueue(&store, 3, 1001).await,
    ];
    let not_yet = enqueue(&store, 4, 5000).await;
    let first = store.claim(t(1010), LEASE, 0).await.expect("claim");
    let rest = store.claim(t(1010), LEASE, 10).await.expect("claim");
    let order: Vec<_> = first.iter().chain(&rest).map(|c| c.lease.id).collect();
    assert_eq!(
        order,
        vec![ids[1], ids[2], ids[0]],
        "oldest due first, limit 0 means 1"
    );
    for c in first.iter().chain(&rest) {
        assert_eq!((c.lease.attempt, c.lease.until), (1, t(1040)));
        let e = entry(&store, c.lease.id).await;
        assert_eq!(
            (e.attempts, e.state),
            (1, OutboxState::Leased { until: t(1040) })
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
/// then no longer mark it sent, the new one can.
pub async fn lapsed_lease_is_claimed_again<S: Outbox>(store: S) {
    enqueue(&store, 1, 1000).await;
    let old = claim_one(&store, 1000).await;
    let again = store.claim(t(1030), LEASE, 1).await.expect("claim");
    assert_eq!(again.len(), 1, "a lapsed lease makes the message claimable");
    let new = &again[0];
    assert_eq!((new.lease.id, new.lease.attempt), (old.lease.id, 2));
    assert_eq!(new.message, old.message);
    assert_conflict(
        store.mark_sent(&old.lease, &receipt(1), t(1031)).await,
        "marking sent with the old lease",
    );
    store
        .mark_sent(&new.lease, &receipt(1), t(1031))
        .await
        .expect("the current lease marks it sent");
}

/// A lapsed lease that nobody claimed since still marks the message sent (the worker was only
/// slow).
pub async fn lapsed_unclaimed_lease_still_completes<S: Outbox>(store: S) {
    let id = enqueue(&store, 1, 1000).await;
    let c = claim_one(&store, 1000).await;
    store
        .mark_sent(&c.lease, &receipt(1), t(2000))
        .await
        .expect("mark sent");
    assert_eq!(state(&store, id).await, OutboxState::Sent { at: t(2000) });
}

/// Marking a message sent keeps the mailer's receipt; a sent message is never claimed again, and
/// its lease can mark it sent, retry, dead-letter or extend it no more.
pub async fn sent_keeps_its_receipt_and_is_never_claimed_again<S: Outbox>(store: S) {
    let id = enqueue(&store, 1, 1000).await;
    let c = claim_one(&store, 1000).await;
    store
        .mark_sent(&c.lease, &receipt(1), t(1001))
        .await
        .expect("mark sent");
    let sent = entry(&store, id).await;
    assert_eq!(sent.state, OutboxState::Sent { at: t(1001) });
    assert_eq!((sent.receipt.clone(), sent.attempts), (Some(receipt(1)), 1));
    assert_never_claimed_again(&store).await;
    let late = t(1002);
    assert_conflict(store.mark_sent(&c.lease, &receipt(2), late).await, "twice");
    let busy = Detail::new("busy");
    assert_conflict(store.retry(&c.lease, late, &busy).await, "retry");
    assert_conflict(
        store.dead_letter(&c.lease, &busy, late).await,
        "dead letter",
    );
    assert_conflict(store.extend(&c.lease, t(2000)).await, "extend");
    assert_eq!(entry(&store, id).await, sent, "nothing changed");
}

/// A retry makes the message pending again at the given time, with the error recorded.
pub async fn retry_reschedules<S: Outbox>(store: S) {
    let id = enqueue(&store, 1, 1000).await;
    let c = claim_one(&store, 1000).await;
    store
        .retry(&c.lease, t(1060), &Detail::new("smtp 451"))
        .await
        .expect("retry");
    let e = entry(&store, id).await;
    assert_eq!(e.state, OutboxState::Pending { due: t(1060) });
    assert_eq!(e.last_error, Some(Detail::new("smtp 451")));
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
    assert_conflict(
        store.retry(&c.lease, t(2000), &Detail::new("late")).await,
        "retry with the old lease",
    );
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
    assert_conflict(
        store.mark_sent(&c.lease, &receipt(1), t(1002)).await,
        "marking a dead letter sent",
    );
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

/// A claimed message carries what was enqueued, under a lease for its id.
pub async fn claimed_message_round_trips<S: Outbox>(store: S) {
    let m = message(7, "SECRET-LINK-TOKEN");
    let id = enqueue_message(&store, &m, t(1000)).await;
    let c = claim_one(&store, 1000).await;
    assert_eq!(c, ClaimedMessage::new(Lease::new(id, 1, t(1030)), m));
}

/// Of concurrent enqueues with one idempotency key, exactly one stores its message and all get
/// its id; one message is stored.
pub async fn concurrent_enqueues_with_one_key_store_one<S: Outbox + 'static>(store: S) {
    let store = Arc::new(store);
    let results = race(&store, |s, i| async move {
        let m = OutboxMessage::new(
            message_key(1),
            MessageKind::PasswordReset,
            Email::parse("racer@example.com").expect("email"),
            sealed(&format!("racer {i}")),
        );
        (s.enqueue(&m, t(1000)).await.expect("enqueue"), m)
    })
    .await;
    let stored: Vec<_> = results
        .iter()
        .filter(|(e, _)| matches!(e, Enqueued::New(_)))
        .collect();
    assert_eq!(stored.len(), 1, "exactly one racing enqueue stores");
    let (winner, message) = stored[0];
    assert!(
        results.iter().all(|(e, _)| e.id() == winner.id()),
        "every racer gets the stored message's id"
    );
    assert_eq!(&entry(&store, winner.id()).await.message, message);
    let claimed = claim_ids(&*store, t(1000), 100).await;
    assert_eq!(claimed, [winner.id()], "one message is stored");
}

/// After a retry the message is pending, so its lease holds nothing — it can mark the message
/// sent, extend, retry or dead-letter it no more, before or after the next claim — and the next
/// claim's lease marks it sent.
pub async fn retried_lease_is_stale_and_the_next_claim_sends<S: Outbox>(store: S) {
    let id = enqueue(&store, 1, 1000).await;
    let first = claim_one(&store, 1000).await;
    let busy = Detail::new("smtp 451 busy");
    store
        .retry(&first.lease, t(1010), &busy)
        .await
        .expect("retry");
    let lease = &first.lease;
    let sent = store.mark_sent(lease, &receipt(1), t(1005)).await;
    assert_conflict(sent, "mark sent after retry");
    assert_conflict(store.extend(lease, t(1100)).await, "extend after retry");
    assert_conflict(
        store.retry(lease, t(1020), &busy).await,
        "retry after retry",
    );
    let dead = store.dead_letter(lease, &busy, t(1005)).await;
    assert_conflict(dead, "dead letter after retry");
    assert_eq!(
        state(&store, id).await,
        OutboxState::Pending { due: t(1010) }
    );
    let second = claim_one(&store, 1010).await;
    assert_eq!((second.lease.id, second.lease.attempt), (id, 2));
    let sent = store.mark_sent(lease, &receipt(1), t(1011)).await;
    assert_conflict(sent, "mark sent with the retried lease");
    store
        .mark_sent(&second.lease, &receipt(2), t(1011))
        .await
        .expect("the new lease marks it sent");
    let e = entry(&store, id).await;
    assert_eq!(
        (e.state, e.receipt, e.attempts),
        (OutboxState::Sent { at: t(1011) }, Some(receipt(2)), 2)
    );
}

/// Dead-lettering under a lease that lapsed and was claimed again is a conflict and changes
/// nothing; the current lease still works.
pub async fn stale_dead_letter_is_conflict<S: Outbox>(store: S) {
    let id = enqueue(&store, 1, 1000).await;
    let old = claim_one(&store, 1000).await;
    let new = claim_one(&store, 1030).await;
    let before = entry(&store, id).await;
    assert_eq!(
        (before.attempts, &before.state),
        (2, &OutboxState::Leased { until: t(1060) })
    );
    assert_conflict(
        store
            .dead_letter(&old.lease, &Detail::new("given up"), t(1031))
            .await,
        "dead letter with a superseded lease",
    );
    assert_eq!(entry(&store, id).await, before, "nothing changed");
    assert!(store.dead_letters(None, 10).await.expect("list").is_empty());
    store
        .mark_sent(&new.lease, &receipt(1), t(1032))
        .await
        .expect("the current lease marks it sent");
}

/// A claim returns at most `MAX_OUTBOX_CLAIM` messages whatever `limit` says, and at least one
/// for a limit of 0; messages due at one instant come in id order.
pub async fn claim_limit_is_clamped<S: Outbox>(store: S) {
    let mut all = Vec::new();
    for n in 0..MAX_OUTBOX_CLAIM + 5 {
        all.push(enqueue(&store, u32::try_from(n).expect("small"), 1000).await);
    }
    assert_eq!(
        claim_ids(&store, t(1000), 0).await,
        all[..1],
        "limit 0 means 1"
    );
    let most = claim_ids(&store, t(1000), usize::MAX).await;
    assert_eq!(most.len(), MAX_OUTBOX_CLAIM, "the limit is clamped");
    assert_eq!(most, all[1..=MAX_OUTBOX_CLAIM]);
    let rest = claim_ids(&store, t(1000), usize::MAX).await;
    assert_eq!(rest, all[MAX_OUTBOX_CLAIM + 1..]);
    assert!(claim_ids(&store, t(1000), usize::MAX).await.is_empty());
}

/// Messages claimable at the same instant — pending ones due then and lapsed leases ending then —
/// are claimed in id order, whatever order they were last written in.
pub async fn claim_ties_are_broken_by_id<S: Outbox>(store: S) {
    let mut all = Vec::new();
    for n in 1..=6 {
        all.push(enqueue(&store, n, 1000).await);
    }
    let leases = store.claim(t(1000), LEASE, 10).await.expect("claim");
    let claimed: Vec<_> = leases.iter().map(|c| c.lease.id).collect();
    assert_eq!(claimed, all, "due together, claimed in id order");
    // Rescheduled in reverse id order, so a store that orders by when rows were last written
    // gets it backwards; the third goes through a lease that lapses at the same instant.
    let busy = Detail::new("busy");
    for c in leases.iter().rev().filter(|c| c.lease.id != all[2]) {
        store.retry(&c.lease, t(1100), &busy).await.expect("retry");
    }
    store
        .retry(&leases[2].lease, t(1070), &busy)
        .await
        .expect("retry");
    let lapsing = store.claim(t(1070), LEASE, 10).await.expect("claim");
    let lapsing: Vec<_> = lapsing
        .iter()
        .map(|c| (c.lease.id, c.lease.until))
        .collect();
    assert_eq!(lapsing, [(all[2], t(1100))]);
    assert_eq!(claim_ids(&store, t(1100), 10).await, all);
}

/// Every field of a message round-trips through `get` and `claim`: every kind, the user and the
/// correlation absent and present (the longest ids), the longest key and address, and sealed
/// content of every byte value from one byte to `MAX_SEALED_BYTES`.
pub async fn message_fields_round_trip<S: Outbox>(store: S) {
    let full: Vec<u8> = (0..MAX_SEALED_BYTES)
        .map(|i| u8::try_from((i * 7) % 256).expect("a byte"))
        .collect();
    let longest_key = "ключ".repeat(MAX_IDEMPOTENCY_KEY_BYTES / "ключ".len());
    assert_eq!(longest_key.len(), MAX_IDEMPOTENCY_KEY_BYTES);
    let longest_correlation = "ü".repeat(MAX_CORRELATION_ID_BYTES / 2);
    let mut sent = Vec::new();
    for (i, kind) in MessageKind::ALL.into_iter().enumerate() {
        let n = u32::try_from(i).expect("small");
        let key = if i == 2 {
            IdempotencyKey::new(longest_key.as_str()).expect("key")
        } else {
            message_key(n)
        };
        let to = if i == 3 {
            longest_email('z')
        } else {
            Email::parse(&format!("Kind{i}@Example.com")).expect("email")
        };
        let content = match i {
            0 => SealedContent::new(full.clone()).expect("full-size content"),
            1 => SealedContent::new(vec![0x00]).expect("one byte"),
            _ => sealed(kind.code()),
        };
        let mut m = OutboxMessage::new(key, kind, to, content);
        if i % 2 == 1 {
            m = m.with_user(if i == 1 { longest_user('u') } else { user(7) });
        }
        if i / 2 % 2 == 1 {
            let c = if i == 3 {
                CorrelationId::new(longest_correlation.as_str())
            } else {
                CorrelationId::new(format!("req-{i}"))
            };
            m = m.with_correlation(c.expect("correlation id"));
        }
        let at = t(1000 + i64::from(n));
        let id = enqueue_message(&store, &m, at).await;
        assert_eq!(
            entry(&store, id).await,
            OutboxEntry::enqueued(id, m.clone(), at)
        );
        sent.push((id, m));
    }
    let claimed = store.claim(t(2000), LEASE, 100).await.expect("claim");
    let claimed: Vec<_> = claimed
        .into_iter()
        .map(|c| (c.lease.id, c.message))
        .collect();
    assert_eq!(claimed, sent);
}

/// `extend` moves the lease's end to `until` — later or earlier — while the lease is held, and
/// returns it; once the message was claimed again (or sent) the old lease cannot extend it.
pub async fn extend_moves_the_lease_while_it_is_held<S: Outbox>(store: S) {
    let id = enqueue(&store, 1, 1000).await;
    let c = claim_one(&store, 1000).await;
    let extended = store.extend(&c.lease, t(1090)).await.expect("extend");
    assert_eq!(extended, Lease::new(id, 1, t(1090)));
    assert_eq!(
        state(&store, id).await,
        OutboxState::Leased { until: t(1090) }
    );
    assert!(
        claim_ids(&store, t(1060), 10).await.is_empty(),
        "an extended lease holds past its first end"
    );
    let again = claim_one(&store, 1090).await;
    assert_eq!(again.lease, Lease::new(id, 2, t(1120)));
    assert_conflict(
        store.extend(&extended, t(2000)).await,
        "extend after a re-claim",
    );
    assert_conflict(
        store.extend(&c.lease, t(2000)).await,
        "extend after a re-claim",
    );
    assert_eq!(
        state(&store, id).await,
        OutboxState::Leased { until: t(1120) }
    );
    let shortened = store.extend(&again.lease, t(1100)).await.expect("extend");
    assert_eq!(shortened, Lease::new(id, 2, t(1100)));
    let third = claim_one(&store, 1100).await;
    assert_eq!(
        third.lease,
        Lease::new(id, 3, t(1130)),
        "an earlier end lapses earlier"
    );
    store
        .mark_sent(&third.lease, &receipt(3), t(1101))
        .await
        .expect("mark sent");
    assert_conflict(
        store.extend(&third.lease, t(3000)).await,
        "extend after sent",
    );
}

/// A delivery report is recorded on a sent message (and replaces an earlier report, keeping the
/// receipt); on a pending, leased or dead-lettered message it is a conflict that changes nothing,
/// and an unknown id is `Ok(false)`. Delivered and bounced messages are never claimed.
pub async fn record_delivery_needs_a_sent_message<S: Outbox>(store: S) {
    let delivered = enqueue(&store, 1, 1000).await;
    let bounced = enqueue(&store, 2, 1000).await;
    let leased = enqueue(&store, 3, 1000).await;
    let dead = enqueue(&store, 4, 1000).await;
    let pending = enqueue(&store, 5, 5000).await;
    let claims = store.claim(t(1000), LEASE, 10).await.expect("claim");
    assert_eq!(claims.len(), 4);
    for (c, n) in claims.iter().zip(1..) {
        if c.lease.id == delivered || c.lease.id == bounced {
            store
                .mark_sent(&c.lease, &receipt(n), t(1001))
                .await
                .expect("mark sent");
        } else if c.lease.id == dead {
            let why = Detail::new("550 no such user");
            store
                .dead_letter(&c.lease, &why, t(1001))
                .await
                .expect("dead letter");
        }
    }
    let ok = store
        .record_delivery(delivered, &DeliveryReport::Delivered, t(1100))
        .await;
    assert!(ok.expect("record delivery"));
    let e = entry(&store, delivered).await;
    assert_eq!(
        (e.state, e.receipt),
        (OutboxState::Delivered { at: t(1100) }, Some(receipt(1)))
    );
    let full = Detail::new("552 5.2.2 mailbox full");
    let report = DeliveryReport::Bounced(full.clone());
    assert!(
        store
            .record_delivery(bounced, &report, t(1101))
            .await
            .expect("record")
    );
    let bounce = OutboxState::Bounced {
        at: t(1101),
        reason: full,
    };
    assert_eq!(state(&store, bounced).await, bounce);
    let late = DeliveryReport::Bounced(Detail::new("late bounce"));
    assert!(
        store
            .record_delivery(delivered, &late, t(1200))
            .await
            .expect("record")
    );
    let e = entry(&store, delivered).await;
    let replaced = OutboxState::Bounced {
        at: t(1200),
        reason: Detail::new("late bounce"),
    };
    assert_eq!((e.state, e.receipt), (replaced, Some(receipt(1))));
    for (id, what) in [
        (pending, "pending"),
        (leased, "leased"),
        (dead, "dead-lettered"),
    ] {
        let before = entry(&store, id).await;
        let report = store
            .record_delivery(id, &DeliveryReport::Delivered, t(1300))
            .await;
        assert_conflict(report, what);
        assert_eq!(entry(&store, id).await, before, "{what}: nothing changed");
    }
    let unknown = unknown_after(&[delivered, bounced, leased, dead, pending]);
    let report = store
        .record_delivery(unknown, &DeliveryReport::Delivered, t(1300))
        .await;
    assert!(!report.expect("record"), "an unknown id is Ok(false)");
    let later: BTreeSet<_> = claim_ids(&store, t(999_999), 10)
        .await
        .into_iter()
        .collect();
    assert_eq!(
        later,
        BTreeSet::from([leased, pending]),
        "only unfinished messages"
    );
}

/// `requeue` makes a dead letter pending, due now, keeping its attempt count, so its old leases
/// stay stale after the next claim; it is a conflict for a message in any other state and
/// `Ok(false)` for an unknown id.
pub async fn requeue_revives_a_dead_letter_only<S: Outbox>(store: S) {
    let id = enqueue(&store, 1, 1000).await;
    let old = claim_one(&store, 1000).await;
    let why = Detail::new("550 no such user");
    store
        .dead_letter(&old.lease, &why, t(1001))
        .await
        .expect("dead letter");
    assert!(store.requeue(id, t(1100)).await.expect("requeue"));
    let e = entry(&store, id).await;
    assert_eq!(
        (e.state, e.attempts),
        (OutboxState::Pending { due: t(1100) }, 1)
    );
    assert!(store.dead_letters(None, 10).await.expect("list").is_empty());
    assert_conflict(
        store.requeue(id, t(1101)).await,
        "requeue a pending message",
    );
    assert_conflict(
        store.mark_sent(&old.lease, &receipt(1), t(1101)).await,
        "the dead letter's lease after requeue",
    );
    assert!(
        claim_ids(&store, t(1099), 10).await.is_empty(),
        "due at the requeue's now"
    );
    let new = claim_one(&store, 1100).await;
    assert_eq!((new.lease.id, new.lease.attempt), (id, 2));
    assert_conflict(
        store.mark_sent(&old.lease, &receipt(1), t(1101)).await,
        "the dead letter's lease after the next claim",
    );
    assert_conflict(
        store.dead_letter(&old.lease, &why, t(1101)).await,
        "the dead letter's lease after the next claim",
    );
    assert_conflict(store.requeue(id, t(1101)).await, "requeue a leased message");
    store
        .mark_sent(&new.lease, &receipt(2), t(1102))
        .await
        .expect("mark sent");
    assert_conflict(store.requeue(id, t(1103)).await, "requeue a sent message");
    assert_eq!(state(&store, id).await, OutboxState::Sent { at: t(1102) });
    let unknown = unknown_after(&[id]);
    assert!(!store.requeue(unknown, t(1103)).await.expect("requeue"));
}

/// `for_user` lists the messages concerning one user, newest first by `(enqueued_at, id)`, at
/// most `limit` (clamped to `1..=MAX_OUTBOX_PAGE`), and no other user's.
pub async fn for_user_lists_newest_first<S: Outbox>(store: S) {
    let about = |n: u32, u: u64| message(n, "body").with_user(user(u));
    let a = enqueue_message(&store, &about(1, 1), t(1000)).await;
    let b = enqueue_message(&store, &about(2, 1), t(1002)).await;
    let other = enqueue_message(&store, &about(3, 11), t(1001)).await;
    enqueue_message(&store, &message(4, "nobody's"), t(1001)).await;
    let c = enqueue_message(&store, &about(5, 1), t(1001)).await;
    let d = enqueue_message(&store, &about(6, 1), t(1002)).await;
    let listed = store.for_user(&user(1), 10).await.expect("list");
    assert_eq!(ids(&listed), [d, b, c, a]);
    for e in &listed {
        assert_eq!(e, &entry(&store, e.id).await);
    }
    assert_eq!(
        ids(&store.for_user(&user(1), 2).await.expect("list")),
        [d, b]
    );
    assert_eq!(ids(&store.for_user(&user(1), 0).await.expect("list")), [d]);
    assert_eq!(
        ids(&store.for_user(&user(11), 10).await.expect("list")),
        [other]
    );
    assert!(store.for_user(&user(2), 10).await.expect("list").is_empty());
    let mut many = Vec::new();
    for n in 100..100 + MAX_OUTBOX_PAGE + 2 {
        let n = u32::try_from(n).expect("small");
        many.push(enqueue_message(&store, &about(n, 3), t(2000)).await);
    }
    many.reverse();
    let page = store.for_user(&user(3), usize::MAX).await.expect("list");
    assert_eq!(ids(&page), many[..MAX_OUTBOX_PAGE], "the newest, clamped");
}

/// `dead_letters` lists dead-lettered messages in id order, starting after `after`, at most
/// `limit` (clamped to at least one), and none in any other state.
pub async fn dead_letters_page_by_id<S: Outbox>(store: S) {
    let mut all = Vec::new();
    for n in 0..8 {
        all.push(enqueue(&store, n, 1000).await);
    }
    let claims = store.claim(t(1000), LEASE, 10).await.expect("claim");
    let why = |id: OutboxId| Detail::new(&format!("550 for {}", id.0));
    for c in &claims {
        let i = all
            .iter()
            .position(|id| *id == c.lease.id)
            .expect("known id");
        match i {
            0 => store.mark_sent(&c.lease, &receipt(0), t(1001)).await,
            3 => store.retry(&c.lease, t(5000), &why(c.lease.id)).await,
            5 => continue,
            _ => store.dead_letter(&c.lease, &why(c.lease.id), t(1001)).await,
        }
        .expect("finish the attempt");
    }
    let page = |after: Option<usize>, limit: usize| {
        let store = &store;
        let after = after.map(|i| all[i]);
        async move { ids(&store.dead_letters(after, limit).await.expect("list")) }
    };
    let dead = [all[1], all[2], all[4], all[6], all[7]];
    assert_eq!(page(None, 2).await, dead[..2]);
    assert_eq!(page(Some(2), 2).await, dead[2..4]);
    assert_eq!(page(Some(6), 2).await, dead[4..]);
    assert!(page(Some(7), 2).await.is_empty());
    assert_eq!(page(None, 0).await, dead[..1], "limit 0 means 1");
    assert_eq!(
        page(Some(0), usize::MAX).await,
        dead,
        "after an id that is not dead"
    );
    assert_eq!(page(Some(3), 10).await, dead[2..]);
    let listed = store.dead_letters(None, 10).await.expect("list");
    for e in &listed {
        let expected = OutboxState::DeadLettered {
            at: t(1001),
            reason: why(e.id),
        };
        assert_eq!((e.attempts, &e.state), (1, &expected));
    }
    assert!(store.requeue(all[4], t(1100)).await.expect("requeue"));
    assert_eq!(page(None, 10).await, [all[1], all[2], all[6], all[7]]);
}

/// `purge_finished` removes messages whose final state was reached before `before`, oldest
/// first, at most `limit` (clamped to at least one), and frees their idempotency keys; pending
/// and leased messages are never purged.
pub async fn purge_finished_removes_old_finished_messages_oldest_first<S: Outbox>(store: S) {
    let mut all = Vec::new();
    for n in 1..=6 {
        all.push(enqueue(&store, n, 1000).await);
    }
    let [sent, dead, delivered, bounced, pending, leased]: [OutboxId; 6] =
        all.clone().try_into().expect("six messages");
    let claims = store.claim(t(1000), LEASE, 10).await.expect("claim");
    let lease = |id: OutboxId| {
        claims
            .iter()
            .find(|c| c.lease.id == id)
            .map(|c| c.lease)
            .expect("claimed")
    };
    let why = Detail::new("550");
    let s = &store;
    let mark = |id: OutboxId, at: i64| {
        let (lease, why) = (lease(id), why.clone());
        async move { s.mark_sent(&lease, &why, t(at)).await.expect("mark sent") }
    };
    mark(delivered, 1001).await;
    mark(bounced, 1002).await;
    let report = DeliveryReport::Bounced(why.clone());
    assert!(
        store
            .record_delivery(bounced, &report, t(1007))
            .await
            .expect("report")
    );
    store
        .dead_letter(&lease(dead), &why, t(1005))
        .await
        .expect("dead letter");
    mark(sent, 1010).await;
    let report = DeliveryReport::Delivered;
    assert!(
        store
            .record_delivery(delivered, &report, t(1020))
            .await
            .expect("report")
    );
    store
        .retry(&lease(pending), t(5000), &why)
        .await
        .expect("retry");
    // Finished: dead at 1005, bounced at 1007, sent at 1010, delivered at 1020.
    let exists = |id| async move { s.get(id).await.expect("get").is_some() };
    let remaining = || async {
        let mut left = Vec::new();
        for id in all.iter().copied() {
            if exists(id).await {
                left.push(id);
            }
        }
        left
    };
    assert_eq!(store.purge_finished(t(1015), 1).await.expect("purge"), 1);
    assert_eq!(
        remaining().await,
        [sent, delivered, bounced, pending, leased],
        "the oldest finished first"
    );
    assert_eq!(
        store.purge_finished(t(1015), 0).await.expect("purge"),
        1,
        "a limit of 0 is clamped to 1"
    );
    assert_eq!(remaining().await, [sent, delivered, pending, leased]);
    assert_eq!(
        store
            .purge_finished(t(1015), usize::MAX)
            .await
            .expect("purge"),
        1
    );
    assert_eq!(store.purge_finished(t(1015), 10).await.expect("purge"), 0);
    assert_eq!(
        remaining().await,
        [delivered, pending, leased],
        "finished at 1020, not before 1015"
    );
    let again = store
        .enqueue(&message(2, "again"), t(1100))
        .await
        .expect("enqueue");
    assert!(
        matches!(again, Enqueued::New(id) if !all.contains(&id)),
        "a purged message's key is free again: {again:?}"
    );
    for (n, id) in [(3, delivered), (5, pending), (6, leased)] {
        let dup = store
            .enqueue(&message(n, "again"), t(1100))
            .await
            .expect("enqueue");
        assert_eq!(
            dup,
            Enqueued::Duplicate(id),
            "a stored message keeps its key"
        );
    }
    assert_eq!(
        store.purge_finished(LATEST, 100).await.expect("purge"),
        1,
        "only the delivered message is finished"
    );
    assert_eq!(remaining().await, [pending, leased]);
    assert!(
        exists(again.id()).await,
        "a pending message is never purged"
    );
}

/// Due times, leases and finishing times keep their milliseconds and may lie before 1970 or at
/// the end of `Timestamp`'s range (where a lease of any length saturates).
pub async fn times_keep_their_milliseconds_and_cross_1970<S: Outbox>(store: S) {
    let lease = Duration::from_millis(1500);
    let late = enqueue_message(&store, &message(1, "late"), ms(999)).await;
    let early = enqueue_message(&store, &message(2, "early"), ms(1)).await;
    let before_1970 = enqueue_message(&store, &message(3, "old"), ms(-1)).await;
    assert_eq!(
        entry(&store, before_1970).await,
        OutboxEntry::enqueued(before_1970, message(3, "old"), ms(-1))
    );
    let s = &store;
    let claim = |now: Timestamp, lease_for: Duration| async move {
        let claimed = s.claim(now, lease_for, 10).await.expect("claim");
        claimed.into_iter().map(|c| c.lease).collect::<Vec<_>>()
    };
    assert_eq!(
        claim(ms(998), lease).await,
        [
            Lease::new(before_1970, 1, ms(2498)),
            Lease::new(early, 1, ms(2498))
        ],
        "due to the millisecond, before 1970 first"
    );
    assert_eq!(claim(ms(999), lease).await, [Lease::new(late, 1, ms(2499))]);
    assert!(claim(ms(2497), lease).await.is_empty());
    let second = claim(ms(2498), lease).await;
    assert_eq!(
        second,
        [
            Lease::new(early, 2, ms(3998)),
            Lease::new(before_1970, 2, ms(3998))
        ],
        "lapsed at the same millisecond: id order"
    );
    let why = Detail::new("451");
    store.retry(&second[1], ms(-5), &why).await.expect("retry");
    assert_eq!(
        state(&store, before_1970).await,
        OutboxState::Pending { due: ms(-5) }
    );
    let third = claim(ms(-5), LEASE).await;
    assert_eq!(third, [Lease::new(before_1970, 3, ms(29_995))]);
    store
        .dead_letter(&third[0], &why, ms(-7))
        .await
        .expect("dead letter");
    assert_eq!(store.purge_finished(ms(-7), 10).await.expect("purge"), 0);
    assert_eq!(store.purge_finished(ms(-6), 10).await.expect("purge"), 1);
    assert_eq!(store.get(before_1970).await.expect("get"), None);

    store.retry(&second[0], LATEST, &why).await.expect("retry");
    assert_eq!(
        state(&store, early).await,
        OutboxState::Pending { due: LATEST }
    );
    assert_eq!(
        claim(ms(i64::MAX - 1), LEASE).await,
        [Lease::new(late, 2, LATEST)],
        "a lease saturates at the end of time"
    );
    assert_eq!(
        claim(LATEST, Duration::MAX).await,
        [Lease::new(late, 3, LATEST), Lease::new(early, 3, LATEST)]
    );
}

/// A store whose server is unreachable fails with `Unavailable`, a transient error.
pub async fn unreachable_server_is_unavailable<S: Outbox>(store: S) {
    assert_unavailable(store.get(OutboxId(1)).await);
}

/// [`find_by_key`](Outbox::find_by_key) finds the message stored under a key, as it is now, among
/// others; a key never stored, or whose message was purged, finds nothing.
pub async fn find_by_key_follows_the_message<S: Outbox>(store: S) {
    assert_eq!(
        store.find_by_key(&message_key(1)).await.expect("find"),
        None
    );
    let first = enqueue(&store, 1, 1000).await;
    let second = enqueue(&store, 2, 1000).await;
    let found = store.find_by_key(&message_key(2)).await.expect("find");
    let found = found.expect("the second message is found by its key");
    assert_eq!((found.id, &found.message), (second, &message(2, "body")));
    let lease = claim_one(&store, 1000).await.lease;
    assert_eq!(lease.id, first);
    store
        .mark_sent(&lease, &receipt(1), t(1001))
        .await
        .expect("mark sent");
    let sent = store.find_by_key(&message_key(1)).await.expect("find");
    let sent = sent.expect("the first message is found by its key");
    assert_eq!(sent.state, OutboxState::Sent { at: t(1001) });
    assert_eq!(sent.receipt, Some(receipt(1)));
    assert_eq!(store.purge_finished(t(2000), 10).await.expect("purge"), 1);
    assert_eq!(
        store.find_by_key(&message_key(1)).await.expect("find"),
        None
    );
}
