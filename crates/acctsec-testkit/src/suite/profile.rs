//! [`ProfileStore`] contract cases.

use std::sync::Arc;

use acctsec_core::ProfileStore;
use acctsec_core::store::{ProfileData, VersionedProfile};

use super::{race, user};

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
