//! [`SecurityEvent`]: what the activity log records, for the owner to read.

use std::fmt;

use crate::client::ClientInfo;
use crate::ids::{CorrelationId, Detail, OperatorId, UserId};
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
    /// The mail server accepted a password-reset email.
    PasswordResetSent,
    /// A password-reset email could not be sent and was given up on.
    PasswordResetFailed,
    /// The owner cancelled a reset request from the link in its email.
    PasswordResetRevoked,
    /// The password was reset through a reset link.
    PasswordResetCompleted,
    /// The owner changed the password while signed in.
    PasswordChanged,
    /// The stored hash was upgraded to current parameters (the password did not change).
    PasswordRehashed,
    /// A new password was refused because it was one of the account's recent ones.
    PasswordReuseRefused,
    /// Other sessions were ended.
    SessionsEnded,
    /// A change of the account's email address was asked for; it waits for the new address to be confirmed.
    EmailChangeRequested,
    /// The account's email address changed.
    EmailChanged,
    /// A change of email address was undone from the link sent to the old address.
    EmailChangeUndone,
    /// Sign-in was locked after too many failed attempts.
    AccountLocked,
    /// Sign-in was unlocked.
    AccountUnlocked,
    /// A step-up code was sent for a risky sign-in.
    StepUpSent,
    /// A step-up code was entered correctly.
    StepUpPassed,
    /// A step-up code was wrong, expired or tried too often.
    StepUpFailed,
    /// The owner reported an action as not theirs.
    NotMeReported,
    /// The owner set, changed or cleared their anti-phishing phrase.
    AntiPhishingPhraseChanged,
    /// Support staff acted on the account.
    SupportAction,
}

impl SecurityEventKind {
    /// Every kind, in declaration order.
    pub const ALL: [Self; 24] = [
        Self::SignInSucceeded,
        Self::SignInFailed,
        Self::SignInChallenged,
        Self::SignInBlocked,
        Self::PasswordResetRequested,
        Self::PasswordResetSent,
        Self::PasswordResetFailed,
        Self::PasswordResetRevoked,
        Self::PasswordResetCompleted,
        Self::PasswordChanged,
        Self::PasswordRehashed,
        Self::PasswordReuseRefused,
        Self::SessionsEnded,
        Self::EmailChangeRequested,
        Self::EmailChanged,
        Self::EmailChangeUndone,
        Self::AccountLocked,
        Self::AccountUnlocked,
        Self::StepUpSent,
        Self::StepUpPassed,
        Self::StepUpFailed,
        Self::NotMeReported,
        Self::AntiPhishingPhraseChanged,
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
            Self::PasswordResetSent => "password_reset_sent",
            Self::PasswordResetFailed => "password_reset_failed",
            Self::PasswordResetRevoked => "password_reset_revoked",
            Self::PasswordResetCompleted => "password_reset_completed",
            Self::PasswordChanged => "password_changed",
            Self::PasswordRehashed => "password_rehashed",
            Self::PasswordReuseRefused => "password_reuse_refused",
            Self::SessionsEnded => "sessions_ended",
            Self::EmailChangeRequested => "email_change_requested",
            Self::EmailChanged => "email_changed",
            Self::EmailChangeUndone => "email_change_undone",
            Self::AccountLocked => "account_locked",
            Self::AccountUnlocked => "account_unlocked",
            Self::StepUpSent => "step_up_sent",
            Self::StepUpPassed => "step_up_passed",
            Self::StepUpFailed => "step_up_failed",
            Self::NotMeReported => "not_me_reported",
            Self::AntiPhishingPhraseChanged => "anti_phishing_phrase_changed",
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

/// Who acted. The owner reads it in their activity log, so every action support takes on an
/// account is visible to its owner, with the operator and the reason they gave.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Actor {
    /// The account holder — or whoever presented themselves as them: a sign-in with the account's
    /// password, a request naming its email address, a link sent to it.
    Owner,
    /// A support operator, acting for the owner.
    Support {
        /// Who.
        operator: OperatorId,
        /// Why, as the operator gave it.
        reason: Detail,
    },
    /// acctsec itself (the outbox worker, a lockout, a retention job).
    System,
}

impl Actor {
    /// The stable code stores persist: `owner`, `support` or `system`.
    #[must_use]
    pub const fn code(&self) -> &'static str {
        match self {
            Self::Owner => "owner",
            Self::Support { .. } => "support",
            Self::System => "system",
        }
    }
}

/// One entry of an account's activity log. It never holds a secret: no password, token, code or
/// device cookie (only its [`DeviceDigest`](crate::DeviceDigest)).
///
/// ```
/// use acctsec_core::{Actor, ClientInfo, Detail, OperatorId, SecurityEvent, SecurityEventKind, Timestamp, UserId};
///
/// let event = SecurityEvent::new(
///     UserId::from(7_u64),
///     SecurityEventKind::SignInSucceeded,
///     Timestamp::from_unix_secs(1_700_000_000),
///     ClientInfo::new().with_ip("198.51.100.4".parse()?),
/// )
/// .with_detail(Detail::new("new_device"));
/// assert_eq!(event.kind.code(), "sign_in_succeeded");
/// assert_eq!(event.actor, Actor::Owner);
///
/// let support = SecurityEvent::new(
///     UserId::from(7_u64),
///     SecurityEventKind::PasswordResetRequested,
///     Timestamp::from_unix_secs(1_700_000_100),
///     ClientInfo::new(),
/// )
/// .with_actor(Actor::Support { operator: OperatorId::new("op-12")?, reason: Detail::new("ticket 4411") });
/// assert_eq!(support.actor.code(), "support");
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
    /// Who acted.
    pub actor: Actor,
    /// From where.
    pub client: ClientInfo,
    /// A short reason or note (for example risk reason codes).
    pub detail: Option<Detail>,
    /// The request this event belongs to, shared with the messages it sent.
    pub correlation: Option<CorrelationId>,
}

impl SecurityEvent {
    /// An event by the [owner](Actor::Owner), with no detail and no correlation.
    #[must_use]
    pub fn new(user: UserId, kind: SecurityEventKind, at: Timestamp, client: ClientInfo) -> Self {
        Self {
            user,
            kind,
            at,
            actor: Actor::Owner,
            client,
            detail: None,
            correlation: None,
        }
    }

    /// Says who acted.
    #[must_use]
    pub fn with_actor(mut self, actor: Actor) -> Self {
        self.actor = actor;
        self
    }

    /// Adds a detail.
    #[must_use]
    pub fn with_detail(mut self, detail: Detail) -> Self {
        self.detail = Some(detail);
        self
    }

    /// Ties the event to a request.
    #[must_use]
    pub fn with_correlation(mut self, correlation: CorrelationId) -> Self {
        self.correlation = Some(correlation);
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
