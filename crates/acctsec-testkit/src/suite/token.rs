//! [`TokenStore`] contract cases.

use std::sync::Arc;

use acctsec_core::{
    BindingDigest, MAX_PURPOSE_BYTES, Purpose, Timestamp, TokenDigest, TokenRecord, TokenStore,
    UserId,
};

use super::{LATEST, RACERS, assert_unavailable, cases, longest_user, ms, race, t, user};

cases!(TokenStore;
    take_unknown_is_none,
    take_is_single_use,
    duplicate_insert_is_conflict,
    expiry_follows_now,
    concurrent_take_has_one_winner,
    revoke_all_is_scoped,
    purge_expired_keeps_live_records,
    peek_is_live_only_and_leaves_the_record,
    revoke_user_removes_every_purpose_of_one_user,
    purge_expired_honours_the_limit,
    times_keep_their_milliseconds,
    times_before_1970_and_at_the_end_of_time_round_trip,
    longest_ids_round_trip,
);

fn record(n: u8, user: UserId, purpose: Purpose, expires_at: Timestamp) -> TokenRecord {
    record_at(n, user, purpose, t(100), expires_at)
}

fn record_at(
    n: u8,
    user: UserId,
    purpose: Purpose,
    issued_at: Timestamp,
    expires_at: Timestamp,
) -> TokenRecord {
    // Digest and binding bytes cover 0x00 and values above 0x7F, so they must be kept as bytes.
    let mut digest = [n; 32];
    digest[0] = 0x00;
    digest[31] = 0xFF;
    let binding = BindingDigest::from_bytes([n.wrapping_add(100); 32]);
    TokenRecord::new(
        TokenDigest::from_bytes(digest),
        user,
        purpose,
        binding,
        issued_at,
        expires_at,
    )
}

/// Inserts `r`, issued now.
async fn insert<S: TokenStore>(store: &S, r: &TokenRecord) {
    store.insert(r, r.issued_at).await.expect("insert succeeds");
}

/// Taking or peeking at a digest that was never inserted is `Ok(None)`.
pub async fn take_unknown_is_none<S: TokenStore>(store: S) {
    let unknown = TokenDigest::from_bytes([9; 32]);
    assert_eq!(store.peek(&unknown, t(1000)).await.expect("peek"), None);
    assert_eq!(store.take(&unknown, t(1000)).await.expect("take"), None);
}

/// An inserted record comes back whole (binding included) once, then never again.
pub async fn take_is_single_use<S: TokenStore>(store: S) {
    let r = record(1, user(1), Purpose::PASSWORD_RESET, t(2000));
    insert(&store, &r).await;
    assert_eq!(
        store.take(&r.digest, t(1000)).await.expect("take"),
        Some(r.clone())
    );
    assert_eq!(store.take(&r.digest, t(1000)).await.expect("take"), None);
    assert_eq!(store.peek(&r.digest, t(1000)).await.expect("peek"), None);
}

/// Inserting a digest already on record is a conflict and keeps the first record.
pub async fn duplicate_insert_is_conflict<S: TokenStore>(store: S) {
    let first = record(2, user(1), Purpose::PASSWORD_RESET, t(2000));
    let second = record(2, user(2), Purpose::EMAIL_VERIFICATION, t(3000));
    insert(&store, &first).await;
    super::assert_conflict(store.insert(&second, t(100)).await, "duplicate insert");
    assert_eq!(
        store.take(&first.digest, t(1000)).await.expect("take"),
        Some(first)
    );
}

/// Expiry is decided by the `now` passed in: live while `now < expires_at`, dead from
/// `expires_at` on — also for instants near 1970, which a store reading its own clock would get wrong.
pub async fn expiry_follows_now<S: TokenStore>(store: S) {
    let just_live = record(3, user(1), Purpose::PASSWORD_RESET, t(1000));
    let at_boundary = record(4, user(1), Purpose::PASSWORD_RESET, t(1000));
    for r in [&just_live, &at_boundary] {
        insert(&store, r).await;
    }
    let last_live_ms = Timestamp::from_unix_millis(t(1000).as_unix_millis() - 1);
    assert_eq!(
        store
            .take(&just_live.digest, last_live_ms)
            .await
            .expect("take"),
        Some(just_live)
    );
    assert_eq!(
        store
            .take(&at_boundary.digest, t(1000))
            .await
            .expect("take"),
        None
    );
}

/// However many callers race to take one record, exactly one gets it.
pub async fn concurrent_take_has_one_winner<S: TokenStore + 'static>(store: S) {
    let r = record(5, user(1), Purpose::PASSWORD_RESET, t(2000));
    insert(&store, &r).await;
    let digest = r.digest;
    let results = race(&Arc::new(store), move |s, _| async move {
        s.take(&digest, t(1000)).await.expect("take succeeds")
    })
    .await;
    let winners: Vec<_> = results.into_iter().flatten().collect();
    assert_eq!(
        winners.len(),
        1,
        "{RACERS} racing takes must have exactly one winner"
    );
    assert_eq!(winners[0], r);
}

/// Revoking removes every record of one user and purpose, and no other.
pub async fn revoke_all_is_scoped<S: TokenStore>(store: S) {
    let reset_a = record(10, user(1), Purpose::PASSWORD_RESET, t(2000));
    let reset_b = record(11, user(1), Purpose::PASSWORD_RESET, t(2000));
    let other_purpose = record(12, user(1), Purpose::EMAIL_VERIFICATION, t(2000));
    let other_user = record(13, user(2), Purpose::PASSWORD_RESET, t(2000));
    for r in [&reset_a, &reset_b, &other_purpose, &other_user] {
        insert(&store, r).await;
    }
    let removed = store.revoke_all(&user(1), &Purpose::PASSWORD_RESET).await;
    assert_eq!(removed.expect("revoke succeeds"), 2);
    for gone in [&reset_a, &reset_b] {
        assert_eq!(store.take(&gone.digest, t(1000)).await.expect("take"), None);
    }
    for kept in [other_purpose, other_user] {
        assert_eq!(
            store.take(&kept.digest, t(1000)).await.expect("take"),
            Some(kept)
        );
    }
}

/// Purging removes records with `expires_at <= now` and keeps the live ones. (A back end that
/// expires records itself may purge nothing and return 0.)
pub async fn purge_expired_keeps_live_records<S: TokenStore>(store: S) {
    let records = [10, 20, 30].map(|secs| {
        let n = u8::try_from(secs).expect("small");
        record(n, user(1), Purpose::PASSWORD_RESET, t(secs))
    });
    for r in &records {
        store.insert(r, t(5)).await.expect("insert succeeds");
    }
    let purged = store.purge_expired(t(20), 100).await.expect("purge");
    assert!(
        purged == 2 || purged == 0,
        "two records expired at or before now, purged {purged}"
    );
    let [_, _, live] = records;
    assert_eq!(
        store.take(&live.digest, t(15)).await.expect("take"),
        Some(live)
    );
}

/// `peek` returns the live record and leaves it in place; a taken, revoked (by purpose or by
/// user) or expired record is `Ok(None)`.
pub async fn peek_is_live_only_and_leaves_the_record<S: TokenStore>(store: S) {
    let taken = record(20, user(1), Purpose::PASSWORD_RESET, t(2000));
    let revoked = record(21, user(2), Purpose::PASSWORD_RESET, t(2000));
    let revoked_with_user = record(22, user(3), Purpose::EMAIL_VERIFICATION, t(2000));
    let expiring = record(23, user(4), Purpose::PASSWORD_RESET, t(2000));
    for r in [&taken, &revoked, &revoked_with_user, &expiring] {
        insert(&store, r).await;
    }
    for _ in 0..3 {
        let peeked = store.peek(&taken.digest, t(1000)).await.expect("peek");
        assert_eq!(peeked.as_ref(), Some(&taken), "peeking must not consume");
    }
    assert_eq!(
        store.take(&taken.digest, t(1000)).await.expect("take"),
        Some(taken.clone()),
        "a peeked record can still be taken"
    );
    assert_eq!(
        store.peek(&taken.digest, t(1000)).await.expect("peek"),
        None
    );

    assert_eq!(
        store.peek(&revoked.digest, t(1000)).await.expect("peek"),
        Some(revoked.clone())
    );
    let n = store.revoke_all(&user(2), &Purpose::PASSWORD_RESET).await;
    assert_eq!(n.expect("revoke"), 1);
    assert_eq!(
        store.peek(&revoked.digest, t(1000)).await.expect("peek"),
        None
    );
    assert_eq!(store.revoke_user(&user(3)).await.expect("revoke"), 1);
    let gone = store.peek(&revoked_with_user.digest, t(1000)).await;
    assert_eq!(gone.expect("peek"), None);

    let last_live = ms(t(2000).as_unix_millis() - 1);
    assert_eq!(
        store.peek(&expiring.digest, last_live).await.expect("peek"),
        Some(expiring.clone())
    );
    assert_eq!(
        store.peek(&expiring.digest, t(2000)).await.expect("peek"),
        None,
        "expired from expires_at on"
    );
    // Peeking at an expired record consumed nothing: it is still live at an earlier `now`.
    assert_eq!(
        store.take(&expiring.digest, last_live).await.expect("take"),
        Some(expiring)
    );
}

/// `revoke_user` removes every record of one user whatever its purpose, and no other user's —
/// not even a user whose id starts with the same characters.
pub async fn revoke_user_removes_every_purpose_of_one_user<S: TokenStore>(store: S) {
    let mine = [
        record(30, user(1), Purpose::PASSWORD_RESET, t(2000)),
        record(31, user(1), Purpose::PASSWORD_RESET, t(2000)),
        record(32, user(1), Purpose::EMAIL_VERIFICATION, t(2000)),
        record(33, user(1), Purpose::SIGN_IN_CHALLENGE, t(2000)),
        // An expired record of the user is revoked too (or was already gone).
        record(34, user(1), Purpose::SIGN_IN_CHALLENGE, t(500)),
    ];
    let others = [
        record(40, user(2), Purpose::PASSWORD_RESET, t(2000)),
        record(41, user(11), Purpose::EMAIL_VERIFICATION, t(2000)),
        record(42, user(10), Purpose::SIGN_IN_CHALLENGE, t(2000)),
    ];
    for r in mine.iter().chain(&others) {
        insert(&store, r).await;
    }
    let removed = store.revoke_user(&user(1)).await.expect("revoke");
    assert!(
        removed == 4 || removed == 5,
        "four live records (and maybe one expired) of the user, removed {removed}"
    );
    for gone in &mine {
        assert_eq!(store.peek(&gone.digest, t(100)).await.expect("peek"), None);
    }
    for kept in others {
        assert_eq!(
            store.take(&kept.digest, t(1000)).await.expect("take"),
            Some(kept)
        );
    }
    assert_eq!(store.revoke_user(&user(1)).await.expect("revoke"), 0);
}

/// A purge removes at most `limit` expired records (clamped to at least one), so a retention job
/// calls it until it returns 0; live records are never purged. (A back end that expires records
/// itself may purge nothing and return 0 every time.)
pub async fn purge_expired_honours_the_limit<S: TokenStore>(store: S) {
    let expired: Vec<_> = (50..55)
        .map(|n| record(n, user(1), Purpose::PASSWORD_RESET, t(i64::from(n))))
        .collect();
    let live = record(60, user(1), Purpose::PASSWORD_RESET, t(2000));
    for r in expired.iter().chain([&live]) {
        store.insert(r, t(1)).await.expect("insert succeeds");
    }
    let first = store.purge_expired(t(1000), 2).await.expect("purge");
    if first == 0 {
        // A back end that expires records itself: every later purge removes nothing either, and
        // expired records are dead all the same.
        assert_eq!(store.purge_expired(t(1000), 100).await.expect("purge"), 0);
        for r in &expired {
            assert_eq!(store.peek(&r.digest, t(1000)).await.expect("peek"), None);
        }
    } else {
        assert_eq!(first, 2, "a purge removes at most `limit` records");
        let clamped = store.purge_expired(t(1000), 0).await.expect("purge");
        assert_eq!(clamped, 1, "a limit of 0 is clamped to 1");
        let rest = store
            .purge_expired(t(1000), usize::MAX)
            .await
            .expect("purge");
        assert_eq!(rest, 2, "the rest, and only the expired ones");
        assert_eq!(store.purge_expired(t(1000), 100).await.expect("purge"), 0);
    }
    assert_eq!(
        store.take(&live.digest, t(1000)).await.expect("take"),
        Some(live)
    );
}

/// Times keep their milliseconds: a record expiring at `x` ms is live at `x - 1` ms and dead at
/// `x`, and comes back with `issued_at` and `expires_at` to the millisecond.
pub async fn times_keep_their_milliseconds<S: TokenStore>(store: S) {
    let r = record_at(
        70,
        user(1),
        Purpose::PASSWORD_RESET,
        ms(1_000_123),
        ms(1_060_457),
    );
    store.insert(&r, ms(1_000_123)).await.expect("insert");
    assert_eq!(
        store.peek(&r.digest, ms(1_060_456)).await.expect("peek"),
        Some(r.clone()),
        "live one millisecond before expires_at, with both times exact"
    );
    assert_eq!(
        store.peek(&r.digest, ms(1_060_457)).await.expect("peek"),
        None
    );
    assert_eq!(
        store.take(&r.digest, ms(1_060_457)).await.expect("take"),
        None
    );

    let other = record_at(
        71,
        user(1),
        Purpose::PASSWORD_RESET,
        ms(1_000_999),
        ms(1_001_001),
    );
    store.insert(&other, ms(1_000_999)).await.expect("insert");
    assert_eq!(
        store
            .take(&other.digest, ms(1_001_000))
            .await
            .expect("take"),
        Some(other)
    );
}

/// Times before 1970 and at the end of `Timestamp`'s range (where an expiry computed with
/// saturating arithmetic lands) round-trip exactly, and expiry there is still `now < expires_at`.
pub async fn times_before_1970_and_at_the_end_of_time_round_trip<S: TokenStore>(store: S) {
    let before_1970 = record_at(
        80,
        user(1),
        Purpose::PASSWORD_RESET,
        ms(-2_208_988_800_001),
        ms(-1),
    );
    store
        .insert(&before_1970, before_1970.issued_at)
        .await
        .expect("insert");
    assert_eq!(
        store.peek(&before_1970.digest, ms(-2)).await.expect("peek"),
        Some(before_1970.clone())
    );
    assert_eq!(
        store.peek(&before_1970.digest, ms(-1)).await.expect("peek"),
        None
    );
    assert_eq!(
        store
            .take(&before_1970.digest, ms(-5_000))
            .await
            .expect("take"),
        Some(before_1970)
    );

    let forever = record(81, user(1), Purpose::PASSWORD_RESET, LATEST);
    insert(&store, &forever).await;
    let near_end = record_at(
        82,
        user(1),
        Purpose::PASSWORD_RESET,
        ms(i64::MAX - 3),
        ms(i64::MAX - 1),
    );
    store
        .insert(&near_end, near_end.issued_at)
        .await
        .expect("insert");
    assert_eq!(
        store
            .peek(&near_end.digest, ms(i64::MAX - 2))
            .await
            .expect("peek"),
        Some(near_end.clone()),
        "live one millisecond before an expiry near the end of time"
    );
    for dead in [ms(i64::MAX - 1), LATEST] {
        assert_eq!(
            store.peek(&near_end.digest, dead).await.expect("peek"),
            None
        );
    }
    assert_eq!(
        store
            .peek(&forever.digest, ms(i64::MAX - 1))
            .await
            .expect("peek"),
        Some(forever.clone())
    );
    assert_eq!(
        store.purge_expired(t(1000), 100).await.expect("purge"),
        0,
        "nothing expired at 1000 s"
    );
    assert_eq!(
        store.take(&forever.digest, t(1000)).await.expect("take"),
        Some(forever)
    );
    assert_eq!(
        store
            .take(&near_end.digest, ms(i64::MAX - 2))
            .await
            .expect("take"),
        Some(near_end)
    );
}

/// The longest user ids (multi-byte characters, differing only in their last byte) and the
/// longest purpose round-trip, and revoking one user's records leaves the other's.
pub async fn longest_ids_round_trip<S: TokenStore>(store: S) {
    let purpose = Purpose::new(format!("{}z", "a.b-c_d9".repeat(4).split_at(31).0))
        .expect("fixture purpose is valid");
    assert_eq!(purpose.as_str().len(), MAX_PURPOSE_BYTES);
    let (a, b) = (longest_user('a'), longest_user('b'));
    let ra = record(90, a.clone(), purpose.clone(), t(2000));
    let rb = record(91, b.clone(), purpose.clone(), t(2000));
    let ra2 = record(92, a.clone(), purpose.clone(), t(2000));
    for r in [&ra, &rb, &ra2] {
        insert(&store, r).await;
    }
    assert_eq!(
        store.peek(&ra.digest, t(1000)).await.expect("peek"),
        Some(ra.clone())
    );
    assert_eq!(store.revoke_all(&b, &purpose).await.expect("revoke"), 1);
    assert_eq!(store.peek(&rb.digest, t(1000)).await.expect("peek"), None);
    assert_eq!(
        store.take(&ra.digest, t(1000)).await.expect("take"),
        Some(ra)
    );
    assert_eq!(store.revoke_user(&a).await.expect("revoke"), 1);
    assert_eq!(store.peek(&ra2.digest, t(1000)).await.expect("peek"), None);
}

/// A store whose server is unreachable fails with `Unavailable`, a transient error.
pub async fn unreachable_server_is_unavailable<S: TokenStore>(store: S) {
    assert_unavailable(store.take(&TokenDigest::from_bytes([1; 32]), t(1000)).await);
}
