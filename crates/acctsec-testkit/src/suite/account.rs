//! [`AccountStore`] contract cases. The store must also implement [`AccountFixture`] so the
//! cases can create accounts.

use std::sync::Arc;

use acctsec_core::{Account, AccountStore, Email, StoredPasswordHash};

use super::{race, user};
use crate::AccountFixture;

fn email(s: &str) -> Email {
    Email::parse(s).expect("fixture email parses")
}

fn hash(n: u32) -> StoredPasswordHash {
    StoredPasswordHash::new(format!("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA${n:08}"))
        .expect("fixture hash is valid")
}

async fn create<S: AccountFixture>(store: &S, id: u64, address: &str) -> Account {
    let account = Account::new(user(id), email(address), Some(hash(0)));
    store
        .create_account(&account)
        .await
        .expect("create account");
    account
}

/// Unknown emails and ids find nothing, and writes to unknown ids return `Ok(None)`.
pub async fn unknown_is_none<S: AccountStore + AccountFixture>(store: S) {
    create(&store, 1, "known@example.com").await;
    assert_eq!(
        store
            .find_by_email(&email("nobody@example.com"))
            .await
            .expect("find"),
        None
    );
    assert_eq!(store.find_by_id(&user(2)).await.expect("find"), None);
    assert_eq!(
        store
            .replace_password_hash(&user(2), 0, &hash(1))
            .await
            .expect("replace"),
        None
    );
    assert_eq!(store.end_sessions(&user(2)).await.expect("end"), None);
}

/// Lookup by email matches the normalised form: case and width variants find the account.
pub async fn find_by_email_uses_the_normalised_form<S: AccountStore + AccountFixture>(store: S) {
    let account = create(&store, 1, "Dana.Lee@Example.com").await;
    for variant in [
        "dana.lee@example.com",
        "DANA.LEE@EXAMPLE.COM",
        "ｄａｎａ.lee@example.com",
    ] {
        let found = store.find_by_email(&email(variant)).await.expect("find");
        assert_eq!(found.as_ref(), Some(&account), "{variant}");
    }
    assert_eq!(
        store.find_by_id(&user(1)).await.expect("find"),
        Some(account)
    );
}

/// Replacing the hash is a compare-and-swap on the credential version: the current version
/// succeeds and increments it; a stale one is a conflict and changes nothing.
pub async fn replace_hash_is_compare_and_swap<S: AccountStore + AccountFixture>(store: S) {
    create(&store, 1, "erin@example.com").await;
    assert_eq!(
        store
            .replace_password_hash(&user(1), 0, &hash(1))
            .await
            .expect("replace"),
        Some(1)
    );
    let err = store
        .replace_password_hash(&user(1), 0, &hash(2))
        .await
        .expect_err("stale");
    assert!(err.is_conflict(), "expected a conflict, got {err}");
    let now = store
        .find_by_id(&user(1))
        .await
        .expect("find")
        .expect("account");
    assert_eq!(
        (now.password_hash, now.credential_version),
        (Some(hash(1)), 1)
    );
    assert_eq!(
        now.session_epoch, 0,
        "replacing the hash does not end sessions by itself"
    );
}

/// Of concurrent replacements against one version, exactly one succeeds.
pub async fn concurrent_replacements_have_one_winner<S: AccountStore + AccountFixture + 'static>(
    store: S,
) {
    create(&store, 1, "finn@example.com").await;
    let store = Arc::new(store);
    let results = race(&store, |s, i| async move {
        let n = u32::try_from(i).expect("small") + 1;
        (
            s.replace_password_hash(&user(1), 0, &hash(n))
                .await
                .map_err(|e| e.is_conflict()),
            n,
        )
    })
    .await;
    assert!(
        results
            .iter()
            .all(|(r, _)| matches!(r, Ok(Some(1)) | Err(true))),
        "{results:?}"
    );
    let winners: Vec<_> = results.iter().filter(|(r, _)| r.is_ok()).collect();
    assert_eq!(winners.len(), 1, "exactly one compare-and-swap may win");
    let now = store
        .find_by_id(&user(1))
        .await
        .expect("find")
        .expect("account");
    assert_eq!(now.password_hash, Some(hash(winners[0].1)));
}

/// Ending sessions increments the session epoch and leaves the credential alone.
pub async fn end_sessions_bumps_the_epoch<S: AccountStore + AccountFixture>(store: S) {
    create(&store, 1, "gus@example.com").await;
    assert_eq!(store.end_sessions(&user(1)).await.expect("end"), Some(1));
    assert_eq!(store.end_sessions(&user(1)).await.expect("end"), Some(2));
    let now = store
        .find_by_id(&user(1))
        .await
        .expect("find")
        .expect("account");
    assert_eq!((now.session_epoch, now.credential_version), (2, 0));
}
