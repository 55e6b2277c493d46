//! [`TokenStore`] contract cases.

use std::sync::Arc;

use acctsec_core::{
    BindingDigest, Purpose, Timestamp, TokenDigest, TokenRecord, TokenStore, UserId,
};

use super::{RACERS, race, t, user};

fn record(n: u8, user: UserId, purpose: Purpose, expires_at: Timestamp) -> TokenRecord {
    let binding = BindingDigest::from_bytes([n.wrapping_add(100); 32]);
    TokenRecord::new(
        TokenDigest::from_bytes([n; 32]),
        user,
        purpose,
        binding,
        t(100),
        expires_at,
    )
}

/// Taking a digest that was never inserted is `Ok(None)`.
pub async fn take_unknown_is_none<S: TokenStore>(store: S) {
    let got = store.take(&TokenDigest::from_bytes([9; 32]), t(1000)).await;
    assert_eq!(got.expect("take succeeds"), None);
}

/// An inserted record comes back whole (binding included) once, then never again.
pub async fn take_is_single_use<S: TokenStore>(store: S) {
    let r = record(1, user(1), Purpose::PASSWORD_RESET, t(2000));
    store.insert(&r).await.expect("insert succeeds");
    assert_eq!(
        store.take(&r.digest, t(1000)).await.expect("take"),
        Some(r.clone())
    );
    assert_eq!(store.take(&r.digest, t(1000)).await.expect("take"), None);
}

/// Inserting a digest already on record is a conflict and keeps the first record.
pub async fn duplicate_insert_is_conflict<S: TokenStore>(store: S) {
    let first = record(2, user(1), Purpose::PASSWORD_RESET, t(2000));
    let second = record(2, user(2), Purpose::EMAIL_VERIFICATION, t(3000));
    store.insert(&first).await.expect("insert succeeds");
    let err = store
        .insert(&second)
        .await
        .expect_err("duplicate must fail");
    assert!(err.is_conflict(), "expected a conflict, got {err}");
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
        store.insert(r).await.expect("insert succeeds");
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
    store.insert(&r).await.expect("insert succeeds");
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
        store.insert(r).await.expect("insert succeeds");
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

/// Purging removes records with `expires_at <= now` and keeps the live ones.
pub async fn purge_expired_keeps_live_records<S: TokenStore>(store: S) {
    let records = [10, 20, 30].map(|secs| {
        let n = u8::try_from(secs).expect("small");
        record(n, user(1), Purpose::PASSWORD_RESET, t(secs))
    });
    for r in &records {
        store.insert(r).await.expect("insert succeeds");
    }
    assert_eq!(store.purge_expired(t(20)).await.expect("purge"), 2);
    let [_, _, live] = records;
    assert_eq!(
        store.take(&live.digest, t(15)).await.expect("take"),
        Some(live)
    );
}

/// `Debug` of a record the store hands back prints nothing of its digests.
pub async fn debug_hides_digest<S: TokenStore>(store: S) {
    let bytes = [0xDE, 0xAD, 0xBE, 0xEF].repeat(8);
    let digest = TokenDigest::from_bytes(bytes.try_into().expect("32 bytes"));
    let binding = BindingDigest::from_bytes([0xAB; 32]);
    let r = TokenRecord::new(
        digest,
        user(1),
        Purpose::PASSWORD_RESET,
        binding,
        t(100),
        t(2000),
    );
    store.insert(&r).await.expect("insert succeeds");
    let taken = store
        .take(&digest, t(1000))
        .await
        .expect("take")
        .expect("record");
    let dbg = format!("{taken:?} {:?} {:?}", taken.digest, taken.binding);
    for leak in [
        "222, 173", "deadbeef", "DEADBEEF", "3q2+7", "3q2-7", "171, 171", "abab", "ABAB",
    ] {
        assert!(!dbg.contains(leak), "Debug leaks the digest: {dbg}");
    }
}
