//! [`AccountStore`] contract cases. The cases also need an [`AccountFixture`] to create
//! accounts; the harness hands them a [`Pair`] of the store and its fixture.

use std::fmt;
use std::future::Future;
use std::sync::Arc;

use acctsec_core::{
    Account, AccountStore, Detail, Email, PasswordReplaced, StoreError, StoreErrorKind,
    StoredPasswordHash, UserId,
};

use super::{assert_conflict, assert_unavailable, cases, longest_email, longest_user, race, user};
use crate::AccountFixture;
use crate::harness::Accounts;

cases!(AccountStore, AccountFixture;
    unknown_is_none,
    find_by_email_uses_the_normalised_form,
    replace_hash_is_compare_and_swap,
    concurrent_replacements_have_one_winner,
    end_sessions_bumps_the_epoch,
    replace_hash_ends_sessions_in_the_same_step,
    upgrade_hash_keeps_version_and_epoch,
    replace_email_is_compare_and_swap,
    replace_email_to_a_taken_address_is_conflict,
    one_normalised_email_on_two_accounts_is_corrupt,
    longest_values_round_trip,
    anti_phishing_phrase_round_trips_and_changes_nothing_else,
);

/// An account store and the fixture that creates its accounts, as one value the account cases
/// take: [`AccountStore`] is forwarded to the store, [`AccountFixture`] to the fixture.
pub struct Pair<A, F>(pub Arc<Accounts<A, F>>);

impl<A, F> fmt::Debug for Pair<A, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Pair(..)")
    }
}

/// Forwards the account store's methods (from core's one list of them) to the pair's store.
macro_rules! forward_to_the_store {
    ($trait:path, "account" { $(fn $name:ident(&self $(, $arg:ident: $ty:ty)* $(,)?) -> $out:ty;)* }) => {
        impl<A: AccountStore, F: Send + Sync> $trait for Pair<A, F> {
            $(
                fn $name(&self $(, $arg: $ty)*) -> impl Future<Output = $out> + Send {
                    self.0.store.$name($($arg),*)
                }
            )*
        }
    };
    ($trait:path, $other:literal { $($methods:tt)* }) => {};
}

acctsec_core::__for_each_store_trait!(forward_to_the_store);

impl<A: Send + Sync, F: AccountFixture> AccountFixture for Pair<A, F> {
    fn create_account(
        &self,
        account: &Account,
    ) -> impl Future<Output = Result<(), StoreError>> + Send {
        self.0.fixture.create_account(account)
    }
}

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

async fn find<S: AccountStore>(store: &S, id: &UserId) -> Account {
    store
        .find_by_id(id)
        .await
        .expect("find")
        .expect("account exists")
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
    for end_sessions in [false, true] {
        let replaced = store
            .replace_password_hash(&user(2), 0, &hash(1), end_sessions)
            .await;
        assert_eq!(replaced.expect("replace"), None);
    }
    let upgraded = store.upgrade_password_hash(&user(2), 0, &hash(1)).await;
    assert_eq!(upgraded.expect("upgrade"), None);
    let moved = store
        .replace_email(&user(2), 0, &email("new@example.com"))
        .await;
    assert_eq!(moved.expect("replace email"), None);
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
            .replace_password_hash(&user(1), 0, &hash(1), false)
            .await
            .expect("replace"),
        Some(PasswordReplaced::new(1, 0))
    );
    assert_conflict(
        store
            .replace_password_hash(&user(1), 0, &hash(2), false)
            .await,
        "a stale version",
    );
    let now = find(&store, &user(1)).await;
    assert_eq!(
        (now.password_hash, now.credential_version),
        (Some(hash(1)), 1)
    );
    assert_eq!(
        now.session_epoch, 0,
        "replacing the hash without ending sessions leaves the epoch"
    );
}

/// Of concurrent replacements against one version, exactly one succeeds — and ends the sessions
/// once.
pub async fn concurrent_replacements_have_one_winner<S: AccountStore + AccountFixture + 'static>(
    store: S,
) {
    create(&store, 1, "finn@example.com").await;
    let store = Arc::new(store);
    let results = race(&store, |s, i| async move {
        let n = u32::try_from(i).expect("small") + 1;
        (
            s.replace_password_hash(&user(1), 0, &hash(n), true)
                .await
                .map_err(|e| e.is_conflict()),
            n,
        )
    })
    .await;
    let won = PasswordReplaced::new(1, 1);
    assert!(
        results
            .iter()
            .all(|(r, _)| matches!(r, Ok(Some(p)) if *p == won) || matches!(r, Err(true))),
        "{results:?}"
    );
    let winners: Vec<_> = results.iter().filter(|(r, _)| r.is_ok()).collect();
    assert_eq!(winners.len(), 1, "exactly one compare-and-swap may win");
    let now = find(&*store, &user(1)).await;
    assert_eq!(now.password_hash, Some(hash(winners[0].1)));
    assert_eq!((now.credential_version, now.session_epoch), (1, 1));
}

/// Ending sessions increments the session epoch and leaves the credential alone.
pub async fn end_sessions_bumps_the_epoch<S: AccountStore + AccountFixture>(store: S) {
    create(&store, 1, "gus@example.com").await;
    assert_eq!(store.end_sessions(&user(1)).await.expect("end"), Some(1));
    assert_eq!(store.end_sessions(&user(1)).await.expect("end"), Some(2));
    let now = find(&store, &user(1)).await;
    assert_eq!((now.session_epoch, now.credential_version), (2, 0));
}

/// With `end_sessions`, one replacement stores the hash and increments both the credential
/// version and the session epoch; without, the epoch stays; a stale replacement changes neither.
/// Other fields (the second factor) are kept.
pub async fn replace_hash_ends_sessions_in_the_same_step<S: AccountStore + AccountFixture>(
    store: S,
) {
    let mut account = Account::new(user(1), email("hana@example.com"), Some(hash(0)));
    account.credential_version = 7;
    account.session_epoch = 3;
    account.second_factor = true;
    store.create_account(&account).await.expect("create");
    assert_eq!(find(&store, &user(1)).await, account, "created as given");
    let replaced = store
        .replace_password_hash(&user(1), 7, &hash(1), true)
        .await;
    assert_eq!(
        replaced.expect("replace"),
        Some(PasswordReplaced::new(8, 4))
    );
    let now = find(&store, &user(1)).await;
    assert_eq!(
        (now.password_hash, now.credential_version, now.session_epoch),
        (Some(hash(1)), 8, 4)
    );
    let replaced = store
        .replace_password_hash(&user(1), 8, &hash(2), false)
        .await;
    assert_eq!(
        replaced.expect("replace"),
        Some(PasswordReplaced::new(9, 4))
    );
    assert_conflict(
        store
            .replace_password_hash(&user(1), 8, &hash(3), true)
            .await,
        "a stale version",
    );
    account.password_hash = Some(hash(2));
    account.credential_version = 9;
    account.session_epoch = 4;
    assert_eq!(
        find(&store, &user(1)).await,
        account,
        "a stale replacement ends no sessions"
    );
}

/// Upgrading the hash (a rehash of the same password) is a compare-and-swap that stores the hash
/// and changes neither the credential version nor the session epoch.
pub async fn upgrade_hash_keeps_version_and_epoch<S: AccountStore + AccountFixture>(store: S) {
    let mut account = Account::new(user(1), email("ivo@example.com"), Some(hash(0)));
    account.credential_version = 5;
    account.session_epoch = 2;
    store.create_account(&account).await.expect("create");
    let upgraded = store.upgrade_password_hash(&user(1), 5, &hash(1)).await;
    assert_eq!(upgraded.expect("upgrade"), Some(5));
    account.password_hash = Some(hash(1));
    assert_eq!(find(&store, &user(1)).await, account);
    assert_conflict(
        store.upgrade_password_hash(&user(1), 4, &hash(2)).await,
        "a stale version",
    );
    assert_eq!(find(&store, &user(1)).await, account, "nothing changed");
    let upgraded = store.upgrade_password_hash(&user(1), 5, &hash(3)).await;
    assert_eq!(
        upgraded.expect("upgrade"),
        Some(5),
        "the version is still 5"
    );
    assert_eq!(find(&store, &user(1)).await.password_hash, Some(hash(3)));
}

/// Replacing the email is a compare-and-swap that increments the credential version: the
/// account is then found by the new address (as given, display form kept) and not by the old;
/// a stale version is a conflict that changes nothing. Changing the case of one's own address
/// is no conflict.
pub async fn replace_email_is_compare_and_swap<S: AccountStore + AccountFixture>(store: S) {
    create(&store, 1, "Jo@example.com").await;
    let new = email("Jo.New@Example.com");
    assert_eq!(
        store
            .replace_email(&user(1), 0, &new)
            .await
            .expect("replace"),
        Some(1)
    );
    let found = store
        .find_by_email(&email("jo.new@example.com"))
        .await
        .expect("find")
        .expect("found by the new address");
    assert_eq!(found.id, user(1));
    assert_eq!(
        found.email.as_str(),
        "Jo.New@example.com",
        "the display form is kept"
    );
    assert_eq!((found.credential_version, found.session_epoch), (1, 0));
    assert_eq!(found.password_hash, Some(hash(0)));
    let old = store.find_by_email(&email("jo@example.com")).await;
    assert_eq!(old.expect("find"), None, "the old address finds nothing");
    assert_conflict(
        store
            .replace_email(&user(1), 0, &email("jo.other@example.com"))
            .await,
        "a stale version",
    );
    assert_eq!(
        find(&store, &user(1)).await.email.as_str(),
        "Jo.New@example.com"
    );
    let recased = email("JO.NEW@example.com");
    let moved = store.replace_email(&user(1), 1, &recased).await;
    assert_eq!(moved.expect("own address in other case"), Some(2));
    assert_eq!(
        find(&store, &user(1)).await.email.as_str(),
        "JO.NEW@example.com"
    );
}

/// Replacing the email with an address another account has — in any case or width variant — is
/// a conflict and changes neither account.
pub async fn replace_email_to_a_taken_address_is_conflict<S: AccountStore + AccountFixture>(
    store: S,
) {
    let kim = create(&store, 1, "kim@example.com").await;
    let lou = create(&store, 2, "Lou@Example.com").await;
    for taken in ["lou@example.com", "LOU@EXAMPLE.COM", "ｌｏｕ@example.com"] {
        assert_conflict(store.replace_email(&user(1), 0, &email(taken)).await, taken);
    }
    assert_eq!(find(&store, &user(1)).await, kim, "nothing changed");
    assert_eq!(find(&store, &user(2)).await, lou, "nothing changed");
    let found = store.find_by_email(&email("lou@example.com")).await;
    assert_eq!(found.expect("find").map(|a| a.id), Some(user(2)));
}

/// Two accounts with one normalised email are corrupt data: `find_by_email` fails with
/// `Corrupt` and never picks one. A back end whose schema refuses the second account (a
/// conflict) keeps finding the first.
pub async fn one_normalised_email_on_two_accounts_is_corrupt<S: AccountStore + AccountFixture>(
    store: S,
) {
    let first = create(&store, 1, "Max@example.com").await;
    let second = Account::new(user(2), email("max@EXAMPLE.com"), Some(hash(1)));
    match store.create_account(&second).await {
        Ok(()) => {
            for variant in ["max@example.com", "MAX@example.com"] {
                let err = store
                    .find_by_email(&email(variant))
                    .await
                    .expect_err("two accounts with one normalised email: none may be picked");
                assert_eq!(
                    err.kind(),
                    StoreErrorKind::Corrupt,
                    "two accounts with one email must be Corrupt, got {err}"
                );
            }
            assert_eq!(
                find(&store, &user(2)).await,
                second,
                "lookup by id still works"
            );
        }
        Err(err) => {
            assert!(
                err.is_conflict(),
                "the fixture refused with {err}, not a conflict"
            );
            let found = store.find_by_email(&email("max@example.com")).await;
            assert_eq!(found.expect("find"), Some(first));
            assert_eq!(store.find_by_id(&user(2)).await.expect("find"), None);
        }
    }
}

/// The longest values round-trip: user ids (multi-byte, two that differ only in their last
/// byte), addresses and password hashes; writes to one account leave the other alone.
pub async fn longest_values_round_trip<S: AccountStore + AccountFixture>(store: S) {
    let longest_hash = super::longest_hash;
    let (ia, ib) = (longest_user('a'), longest_user('b'));
    let a = Account::new(ia.clone(), longest_email('a'), Some(longest_hash('x')));
    let b = Account::new(ib.clone(), longest_email('b'), None);
    for account in [&a, &b] {
        store.create_account(account).await.expect("create");
    }
    assert_eq!(find(&store, &ia).await, a);
    assert_eq!(
        find(&store, &ib).await,
        b,
        "no password is kept apart from any"
    );
    let found = store
        .find_by_email(&longest_email('b'))
        .await
        .expect("find");
    assert_eq!(found.as_ref(), Some(&b));
    let replaced = store
        .replace_password_hash(&ib, 0, &longest_hash('y'), true)
        .await;
    assert_eq!(
        replaced.expect("replace"),
        Some(PasswordReplaced::new(1, 1))
    );
    assert_eq!(find(&store, &ia).await, a, "the other account is untouched");
    assert_eq!(
        find(&store, &ib).await.password_hash,
        Some(longest_hash('y'))
    );
}

/// A store whose server is unreachable fails with `Unavailable`, a transient error.
pub async fn unreachable_server_is_unavailable<S: AccountStore>(store: S) {
    assert_unavailable(store.find_by_id(&user(1)).await);
}

/// The anti-phishing phrase is stored as given (up to the longest `Detail`), cleared with
/// `None`, and setting it changes neither the credential version nor the session epoch; an
/// unknown account is `Ok(None)`.
pub async fn anti_phishing_phrase_round_trips_and_changes_nothing_else<
    S: AccountStore + AccountFixture,
>(
    store: S,
) {
    let before = create(&store, 1, "phrase@example.com").await;
    assert_eq!(before.anti_phishing_phrase, None);
    let long = Detail::new(&"ü".repeat(acctsec_core::MAX_DETAIL_BYTES));
    for phrase in [Detail::new("purple otter at dawn"), long] {
        let version = store
            .set_anti_phishing_phrase(&user(1), Some(&phrase))
            .await
            .expect("set phrase");
        assert_eq!(version, Some(before.credential_version));
        let after = store
            .find_by_id(&user(1))
            .await
            .expect("find")
            .expect("account");
        assert_eq!(after.anti_phishing_phrase.as_ref(), Some(&phrase));
        assert_eq!(
            (after.credential_version, after.session_epoch),
            (before.credential_version, before.session_epoch)
        );
    }
    store
        .set_anti_phishing_phrase(&user(1), None)
        .await
        .expect("clear phrase");
    let cleared = store
        .find_by_id(&user(1))
        .await
        .expect("find")
        .expect("account");
    assert_eq!(cleared.anti_phishing_phrase, None);
    assert_eq!(
        store
            .set_anti_phishing_phrase(&user(2), Some(&Detail::new("x")))
            .await
            .expect("set phrase"),
        None
    );
}
