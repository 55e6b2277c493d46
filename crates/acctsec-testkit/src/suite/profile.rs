//! [`ProfileStore`] contract cases.

use std::sync::Arc;

use acctsec_core::ProfileStore;
use acctsec_core::store::{MAX_PROFILE_BYTES, ProfileData, VersionedProfile};

use super::{assert_conflict, assert_unavailable, cases, longest_user, race, user};

cases!(ProfileStore;
    load_unknown_is_none,
    saves_count_versions_up,
    create_existing_is_conflict,
    stale_version_is_conflict,
    concurrent_saves_have_one_winner,
    remove_deletes,
    concurrent_creates_have_one_winner,
    full_size_binary_profiles_round_trip,
    empty_profile_is_not_absent,
);

fn data(bytes: &[u8]) -> ProfileData {
    ProfileData::new(bytes.to_vec()).expect("fixture profile is small")
}

/// Loading an unknown user's profile is `Ok(None)`.
pub async fn load_unknown_is_none<S: ProfileStore>(store: S) {
    assert_eq!(store.load(&user(1)).await.expect("load"), None);
}

/// Creating stores version 1; each save against the current version stores the next one.
pub async fn saves_count_versions_up<S: ProfileStore>(store: S) {
    assert_eq!(
        store
            .save(&user(1), None, &data(b"a"))
            .await
            .expect("create"),
        1
    );
    assert_eq!(
        store
            .save(&user(1), Some(1), &data(b"b"))
            .await
            .expect("update"),
        2
    );
    let loaded = store.load(&user(1)).await.expect("load");
    assert_eq!(loaded, Some(VersionedProfile::new(2, data(b"b"))));
}

/// Creating a profile that exists is a conflict and changes nothing.
pub async fn create_existing_is_conflict<S: ProfileStore>(store: S) {
    store
        .save(&user(1), None, &data(b"first"))
        .await
        .expect("create");
    let err = store
        .save(&user(1), None, &data(b"second"))
        .await
        .expect_err("must conflict");
    assert!(err.is_conflict(), "expected a conflict, got {err}");
    let loaded = store.load(&user(1)).await.expect("load");
    assert_eq!(loaded, Some(VersionedProfile::new(1, data(b"first"))));
}

/// Saving against a stale version, or a version of a profile that does not exist, is a conflict
/// and changes nothing.
pub async fn stale_version_is_conflict<S: ProfileStore>(store: S) {
    store
        .save(&user(1), None, &data(b"v1"))
        .await
        .expect("create");
    store
        .save(&user(1), Some(1), &data(b"v2"))
        .await
        .expect("update");
    let err = store
        .save(&user(1), Some(1), &data(b"lost"))
        .await
        .expect_err("stale");
    assert!(err.is_conflict(), "expected a conflict, got {err}");
    let loaded = store.load(&user(1)).await.expect("load");
    assert_eq!(loaded, Some(VersionedProfile::new(2, data(b"v2"))));
    let err = store
        .save(&user(2), Some(1), &data(b"x"))
        .await
        .expect_err("absent");
    assert!(err.is_conflict(), "expected a conflict, got {err}");
    assert_eq!(store.load(&user(2)).await.expect("load"), None);
}

/// Of concurrent saves against one version, exactly one succeeds.
pub async fn concurrent_saves_have_one_winner<S: ProfileStore + 'static>(store: S) {
    store
        .save(&user(1), None, &data(b"base"))
        .await
        .expect("create");
    let store = Arc::new(store);
    let results = race(&store, |s, i| async move {
        let bytes = format!("writer {i}");
        let outcome = s.save(&user(1), Some(1), &data(bytes.as_bytes())).await;
        (outcome.map_err(|e| e.is_conflict()), bytes)
    })
    .await;
    assert!(
        results.iter().all(|(r, _)| matches!(r, Ok(2) | Err(true))),
        "{results:?}"
    );
    let winners: Vec<_> = results.iter().filter(|(r, _)| r.is_ok()).collect();
    assert_eq!(winners.len(), 1, "exactly one compare-and-swap may win");
    let loaded = store.load(&user(1)).await.expect("load");
    assert_eq!(
        loaded,
        Some(VersionedProfile::new(2, data(winners[0].1.as_bytes())))
    );
}

/// Removing deletes the profile and says whether there was one.
pub async fn remove_deletes<S: ProfileStore>(store: S) {
    store
        .save(&user(1), None, &data(b"x"))
        .await
        .expect("create");
    assert!(store.remove(&user(1)).await.expect("remove"));
    assert_eq!(store.load(&user(1)).await.expect("load"), None);
    assert!(!store.remove(&user(1)).await.expect("remove"));
    assert_eq!(
        store
            .save(&user(1), None, &data(b"y"))
            .await
            .expect("recreate"),
        1
    );
}

/// Of concurrent creates (`expected_version = None`) of one profile, exactly one succeeds, at
/// version 1; the others are conflicts and the winner's bytes are stored.
pub async fn concurrent_creates_have_one_winner<S: ProfileStore + 'static>(store: S) {
    let store = Arc::new(store);
    let results = race(&store, |s, i| async move {
        let bytes = format!("creator {i}");
        let outcome = s.save(&user(1), None, &data(bytes.as_bytes())).await;
        (outcome.map_err(|e| e.is_conflict()), bytes)
    })
    .await;
    assert!(
        results.iter().all(|(r, _)| matches!(r, Ok(1) | Err(true))),
        "{results:?}"
    );
    let winners: Vec<_> = results.iter().filter(|(r, _)| r.is_ok()).collect();
    assert_eq!(winners.len(), 1, "exactly one create may win");
    let loaded = store.load(&user(1)).await.expect("load");
    assert_eq!(
        loaded,
        Some(VersionedProfile::new(1, data(winners[0].1.as_bytes())))
    );
}

/// A full-size profile of binary bytes (every byte value, `0x00` and invalid UTF-8 included)
/// round-trips exactly, on create and on update, for the longest user ids (which differ only in
/// their last byte, and keep their own profiles).
pub async fn full_size_binary_profiles_round_trip<S: ProfileStore>(store: S) {
    let ascending: Vec<u8> = (0..MAX_PROFILE_BYTES)
        .map(|i| u8::try_from(i % 256).expect("a byte"))
        .collect();
    let descending: Vec<u8> = ascending.iter().rev().map(|b| b ^ 0x5A).collect();
    let (a, b) = (longest_user('a'), longest_user('b'));
    let first = data(&ascending);
    assert_eq!(store.save(&a, None, &first).await.expect("create"), 1);
    assert_eq!(
        store.load(&a).await.expect("load"),
        Some(VersionedProfile::new(1, first.clone()))
    );
    let second = data(&descending);
    assert_eq!(store.save(&a, Some(1), &second).await.expect("update"), 2);
    assert_eq!(store.save(&b, None, &first).await.expect("create"), 1);
    assert_eq!(
        store.load(&a).await.expect("load"),
        Some(VersionedProfile::new(2, second))
    );
    assert_eq!(
        store.load(&b).await.expect("load"),
        Some(VersionedProfile::new(1, first))
    );
}

/// An empty profile (zero bytes) is a profile: it loads as `Some`, creating over it is a
/// conflict, and it is updated and removed like any other.
pub async fn empty_profile_is_not_absent<S: ProfileStore>(store: S) {
    assert_eq!(
        store
            .save(&user(1), None, &data(b""))
            .await
            .expect("create"),
        1
    );
    assert_eq!(
        store.load(&user(1)).await.expect("load"),
        Some(VersionedProfile::new(1, data(b"")))
    );
    assert_conflict(
        store.save(&user(1), None, &data(b"x")).await,
        "creating over an empty profile",
    );
    assert_eq!(
        store
            .save(&user(1), Some(1), &data(b"\0"))
            .await
            .expect("update"),
        2
    );
    assert_eq!(
        store
            .save(&user(1), Some(2), &data(b""))
            .await
            .expect("update"),
        3
    );
    assert_eq!(
        store.load(&user(1)).await.expect("load"),
        Some(VersionedProfile::new(3, data(b"")))
    );
    assert!(store.remove(&user(1)).await.expect("remove"));
    assert_eq!(store.load(&user(1)).await.expect("load"), None);
}

/// A store whose server is unreachable fails with `Unavailable`, a transient error.
pub async fn unreachable_server_is_unavailable<S: ProfileStore>(store: S) {
    assert_unavailable(store.load(&user(1)).await);
}
