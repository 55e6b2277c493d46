use std::fmt;
use std::future::Future;

use crate::email::Email;
use crate::error::{Error, StoreError};
use crate::ids::{Detail, UserId};

/// The most bytes of a stored password hash (a PHC string or a legacy format).
pub const MAX_PASSWORD_HASH_BYTES: usize = 1024;

/// A stored password hash as text (a PHC string such as `$argon2id$v=19$…`, or a legacy format
/// awaiting migration). Bounded to [`MAX_PASSWORD_HASH_BYTES`] of printable ASCII.
///
/// It is not the password, but it lets an attacker guess offline, so its `Debug` shows only the
/// algorithm identifier.
///
/// ```
/// use acctsec_core::StoredPasswordHash;
///
/// let h = StoredPasswordHash::new("$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2g")?;
/// assert_eq!(format!("{h:?}"), r#"StoredPasswordHash("$argon2id$…")"#);
/// # Ok::<(), acctsec_core::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct StoredPasswordHash(String);

impl StoredPasswordHash {
    /// Checks the bounds of a stored hash.
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] if it is empty, longer than [`MAX_PASSWORD_HASH_BYTES`], or not
    /// printable ASCII.
    pub fn new(hash: impl AsRef<str> + Into<String>) -> Result<Self, Error> {
        const WHAT: &str = "stored password hash";
        let text = hash.as_ref();
        if text.is_empty() {
            return Err(Error::invalid(WHAT, "empty"));
        }
        if text.len() > MAX_PASSWORD_HASH_BYTES {
            return Err(Error::invalid(WHAT, "too long"));
        }
        if !text.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(Error::invalid(WHAT, "not printable ASCII"));
        }
        Ok(Self(hash.into()))
    }

    /// The text, for the hasher and for storage.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The algorithm identifier: `argon2id` for `$argon2id$…`, `pbkdf2_sha256` for Django's
    /// `pbkdf2_sha256$…`; `None` when the text does not start with an identifier
    /// (`[a-z0-9_-]`, at most 32 characters) followed by `$` — a bare hex digest, say.
    #[must_use]
    pub fn algorithm(&self) -> Option<&str> {
        let s = self.0.strip_prefix('$').unwrap_or(&self.0);
        let (id, _) = s.split_once('$')?;
        let plausible = (1..=32).contains(&id.len())
            && id
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'_' | b'-'));
        plausible.then_some(id)
    }
}

impl fmt::Debug for StoredPasswordHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.algorithm() {
            Some(id) => {
                let prefix = if self.0.starts_with('$') { "$" } else { "" };
                write!(f, "StoredPasswordHash(\"{prefix}{id}$…\")")
            }
            None => f.write_str("StoredPasswordHash(unknown format)"),
        }
    }
}

/// One of the host's accounts, as acctsec needs to see it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Account {
    /// The host's identifier.
    pub id: UserId,
    /// The account's email address.
    pub email: Email,
    /// The stored password hash, or `None` for an account without a password.
    pub password_hash: Option<StoredPasswordHash>,
    /// Changes whenever the password hash is replaced. Reset tokens bind to it, so a password
    /// change kills every outstanding reset link.
    pub credential_version: u64,
    /// Changes whenever the owner's other sessions are ended; hosts compare it with the epoch
    /// recorded in each session.
    pub session_epoch: u64,
    /// Whether a second factor is enrolled (the password policy allows shorter passwords then).
    pub second_factor: bool,
    /// Whether the host has disabled the account: it gets no reset link and no sign-in, and is
    /// answered exactly as an unknown address is.
    pub disabled: bool,
    /// The owner's anti-phishing phrase, if they chose one: shown in every email sent to the
    /// account's address, so they can tell the service's mail from a look-alike. Never shown on
    /// a page anyone can load without signing in.
    pub anti_phishing_phrase: Option<Detail>,
}

impl Account {
    /// An enabled account at credential version 0 and session epoch 0, without a second factor.
    #[must_use]
    pub fn new(id: UserId, email: Email, password_hash: Option<StoredPasswordHash>) -> Self {
        Self {
            id,
            email,
            password_hash,
            credential_version: 0,
            session_epoch: 0,
            second_factor: false,
            disabled: false,
            anti_phishing_phrase: None,
        }
    }
}

/// What [`AccountStore::replace_password_hash`] left behind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct PasswordReplaced {
    /// The new credential version.
    pub credential_version: u64,
    /// The session epoch after the replacement: one more than before when sessions were ended,
    /// unchanged otherwise.
    pub session_epoch: u64,
}

impl PasswordReplaced {
    /// A result.
    #[must_use]
    pub const fn new(credential_version: u64, session_epoch: u64) -> Self {
        Self {
            credential_version,
            session_epoch,
        }
    }
}

/// The host's accounts: acctsec reads them and replaces password hashes and email addresses, and
/// never demands a table of its own.
///
/// Contract:
/// - lookups by unknown email or id return `Ok(None)`; [`find_by_email`](Self::find_by_email)
///   matches on [`Email::normalized`], so case and width variants find the same account. If the
///   host's table holds several accounts with one normalised email, it returns a
///   [`Corrupt`](crate::StoreErrorKind::Corrupt) error and never picks one;
/// - [`replace_password_hash`](Self::replace_password_hash) is a compare-and-swap on the
///   credential version: it succeeds only if the stored version equals `expected_version`, then
///   — in one atomic step — stores the hash, increments the version by one and, when
///   `end_sessions` is set, increments the session epoch by one; otherwise it fails with a
///   conflict and changes nothing. A crash can therefore never leave a changed password with the
///   old sessions still live;
/// - [`upgrade_password_hash`](Self::upgrade_password_hash) is the same compare-and-swap for a
///   rehash of the same password: it stores the hash and changes neither the credential version
///   nor the session epoch, so outstanding reset links and sessions survive it;
/// - [`replace_email`](Self::replace_email) is the same compare-and-swap for the email address:
///   it increments the credential version (every reset link of the old address dies); if another
///   account has the new address's normalised form it is a conflict and changes nothing;
/// - [`end_sessions`](Self::end_sessions) increments the session epoch by one;
/// - [`set_anti_phishing_phrase`](Self::set_anti_phishing_phrase) stores the phrase (or clears
///   it with `None`) exactly as given, changing neither the credential version nor the session
///   epoch.
pub trait AccountStore: Send + Sync {
    /// The account with this email address.
    ///
    /// # Errors
    ///
    /// A [`StoreError`] if the store failed.
    fn find_by_email(
        &self,
        email: &Email,
    ) -> impl Future<Output = Result<Option<Account>, StoreError>> + Send;

    /// The account with this id.
    ///
    /// # Errors
    ///
    /// A [`StoreError`] if the store failed.
    fn find_by_id(
        &self,
        id: &UserId,
    ) -> impl Future<Output = Result<Option<Account>, StoreError>> + Send;

    /// Replaces the password hash if the credential version is still `expected_version`, ending
    /// every session in the same step when `end_sessions` is set; `None` if there is no such
    /// account.
    ///
    /// # Errors
    ///
    /// A conflict if the version moved on; another [`StoreError`] if the store failed.
    fn replace_password_hash(
        &self,
        id: &UserId,
        expected_version: u64,
        hash: &StoredPasswordHash,
        end_sessions: bool,
    ) -> impl Future<Output = Result<Option<PasswordReplaced>, StoreError>> + Send;

    /// Stores a rehash of the same password if the credential version is still
    /// `expected_version`, leaving the version and the session epoch as they are; returns the
    /// (unchanged) credential version, or `None` if there is no such account.
    ///
    /// # Errors
    ///
    /// A conflict if the version moved on; another [`StoreError`] if the store failed.
    fn upgrade_password_hash(
        &self,
        id: &UserId,
        expected_version: u64,
        hash: &StoredPasswordHash,
    ) -> impl Future<Output = Result<Option<u64>, StoreError>> + Send;

    /// Replaces the email address if the credential version is still `expected_version`;
    /// returns the new credential version, or `None` if there is no such account.
    ///
    /// # Errors
    ///
    /// A conflict if the version moved on or another account has the address; another
    /// [`StoreError`] if the store failed.
    fn replace_email(
        &self,
        id: &UserId,
        expected_version: u64,
        email: &Email,
    ) -> impl Future<Output = Result<Option<u64>, StoreError>> + Send;

    /// Ends every session of the account by incrementing its session epoch; returns the new
    /// epoch, or `None` if there is no such account.
    ///
    /// # Errors
    ///
    /// A [`StoreError`] if the store failed.
    fn end_sessions(
        &self,
        id: &UserId,
    ) -> impl Future<Output = Result<Option<u64>, StoreError>> + Send;

    /// Sets or clears the owner's anti-phishing phrase; returns the (unchanged) credential
    /// version, or `None` if there is no such account.
    ///
    /// # Errors
    ///
    /// A [`StoreError`] if the store failed.
    fn set_anti_phishing_phrase(
        &self,
        id: &UserId,
        phrase: Option<&Detail>,
    ) -> impl Future<Output = Result<Option<u64>, StoreError>> + Send;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_hash_debug_shows_only_the_algorithm() {
        let phc = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2g";
        let h = StoredPasswordHash::new(phc).unwrap();
        let dbg = format!("{h:?}");
        assert!(
            !dbg.contains("c2FsdHNhbHQ") && !dbg.contains("aGFzaGhhc2g"),
            "{dbg}"
        );
        assert_eq!(h.algorithm(), Some("argon2id"));
        let django = StoredPasswordHash::new("pbkdf2_sha256$600000$salt$hash").unwrap();
        assert_eq!(django.algorithm(), Some("pbkdf2_sha256"));
        assert_eq!(
            format!("{django:?}"),
            "StoredPasswordHash(\"pbkdf2_sha256$…\")"
        );
        // A bare hex SHA-1 has no identifier: nothing of it is printed.
        let sha1 = StoredPasswordHash::new("5baa61e4c9b93f3f0682250b6cf8331b7ee68fd8").unwrap();
        assert_eq!(
            (sha1.algorithm(), format!("{sha1:?}").as_str()),
            (None, "StoredPasswordHash(unknown format)")
        );
        let odd = StoredPasswordHash::new("Secret$Part").unwrap();
        assert_eq!(format!("{odd:?}"), "StoredPasswordHash(unknown format)");
        assert!(StoredPasswordHash::new("").is_err());
        assert!(StoredPasswordHash::new("has space").is_err());
        assert!(StoredPasswordHash::new("a".repeat(MAX_PASSWORD_HASH_BYTES + 1)).is_err());
    }
}
