//! [`SecurityEvent`]: what the activity log records, for the owner to read.

use std::fmt;

use crate::client::ClientInfo;
use crate::ids::{Detail, UserId};
use crate::time::Timestamp;

/// What happened to an account. Each kind has a stable [code](SecurityEventKind::code) that
/// stores persist and user interfaces translate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SecurityEventKind {
    /// Someone signed in.
    SignInSucceeded,
    /// A sign-in failed (wrong password).
    SignInFailed,
    /// A sign-in was asked for a second proof because it looked risky.
    SignInChallenged,
    /// A sign-in was refused because it looked too risky or was throttled.
    SignInBlocked,
    /// A password-reset link was requested for this account.
    PasswordResetRequested,
    /// The password was reset through a reset link.
    PasswordResetCompleted,
    /// The owner changed the password while signed in.
    PasswordChanged,
    /// The stored hash was upgraded to current parameters (the password did not change).
    PasswordRehashed,
    /// Other sessions were ended.
    SessionsEnded,
    /// The account's email address changed.
    EmailChanged,
    /// Support staff acted on the account.
    SupportAction,
}

impl SecurityEventKind {
    /// Every kind, in declaration order.
    pub const ALL: [Self; 11] = [
        Self::SignInSucceeded,
        Self::SignInFailed,
        Self::SignInChallenged,
        Self::SignInBlocked,
        Self::PasswordResetRequested,
        Self::PasswordResetCompleted,
        Self::PasswordChanged,
        Self::PasswordRehashed,
        Self::SessionsEnded,
        Self::EmailChanged,
        Self::SupportAction,
    ];

    /// The stable code stores persist.
    #[must_use]
    pub const fn code(self) -> &'static str {
        match self {
            Self::SignInSucceeded => "sign_in_succeeded",
            Self::SignInFailed => "sign_in_failed",
            Self::SignInChallenged => "sign_in_challenged",
            Self::SignInBlocked => "sign_in_blocked",
            Self::PasswordResetRequested => "password_reset_requested",
            Self::PasswordResetCompleted => "password_reset_completed",
            Self::PasswordChanged => "password_changed",
            Self::PasswordRehashed => "password_rehashed",
            Self::SessionsEnded => "sessions_ended",
            Self::EmailChanged => "email_changed",
            Self::SupportAction => "support_action",
        }
    }

    /// The kind with this code, if any.
    #[must_use]
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.code() == code)
    }
}

impl fmt::Display for SecurityEventKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// One entry of an account's activity log. It never holds a secret: no password, token, code or
/// device cookie (only its [`DeviceDigest`](crate::DeviceDigest)).
///
/// ```
/// use acctsec_core::{ClientInfo, Detail, SecurityEvent, SecurityEventKind, Timestamp, UserId};
///
/// let event = SecurityEvent::new(
///     UserId::from(7_u64),
///     SecurityEventKind::SignInSucceeded,
///     Timestamp::from_unix_secs(1_700_000_000),
///     ClientInfo::new().with_ip("198.51.100.4".parse()?),
/// )
/// .with_detail(Detail::new("new_device"));
/// assert_eq!(event.kind.code(), "sign_in_succeeded");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SecurityEvent {
    /// Whose account.
    pub user: UserId,
    /// What happened.
    pub kind: SecurityEventKind,
    /// When.
    pub at: Timestamp,
    /// From where.
    pub client: ClientInfo,
    /// A short reason or note (for example risk reason codes).
    pub detail: Option<Detail>,
}

impl SecurityEvent {
    /// An event with no detail.
    #[must_use]
    pub fn new(user: UserId, kind: SecurityEventKind, at: Timestamp, client: ClientInfo) -> Self {
        Self {
            user,
            kind,
            at,
            client,
            detail: None,
        }
    }

    /// Adds a detail.
    #[must_use]
    pub fn with_detail(mut self, detail: Detail) -> Self {
        self.detail = Some(detail);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_are_unique() {
        let mut seen = std::collections::HashSet::new();
        for k in SecurityEventKind::ALL {
            assert_eq!(SecurityEventKind::from_code(k.code()), Some(k));
            assert!(seen.insert(k.code()));
        }
        assert_eq!(SecurityEventKind::from_code("nope"), None);
    }
}
