#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]

mod config;
mod device;
mod flows;
mod job;
pub mod keys;
mod seal;
mod templates;
mod worker;

pub use acctsec_core as core;
pub use acctsec_hash as hash;
pub use acctsec_policy as policy;
pub use acctsec_token as token;

pub use config::{
    CHANGE_CEILING_WINDOW, CHANGE_FAILURE_CEILING, CHANGE_THROTTLE_WINDOW, Config, ConfigBuilder,
    DEFAULT_CHANGE_ATTEMPTS, DEFAULT_EMAIL_CONFIRM_TTL, DEFAULT_EMAIL_UNDO_TTL,
    DEFAULT_PASSWORD_HISTORY, DEFAULT_RESET_GLOBAL, DEFAULT_RESET_PER_ADDRESS,
    DEFAULT_RESET_PER_SOURCE, EMAIL_CHANGES_PER_ACCOUNT, EMAIL_CHANGES_PER_ADDRESS,
    MAX_REQUEST_AGE, RESET_FAILURES_PER_LINK, RESET_THROTTLE_WINDOW,
};
pub use flows::{
    EmailChangeRequested, EmailChangeUndone, EmailChanged, Flows, FlowsBuilder, MAX_PHRASE_CHARS,
    PasswordChanged, ResetAttempt, ResetCompleted, ResetLink, ResetRequested,
};
pub use seal::MailSeal;
pub use templates::Templates;
pub use worker::{OutboxWorker, Pass, WorkerSettings};

use acctsec_core::StoreError;
use acctsec_policy::Assessment;

/// Result alias of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Why a flow refused or failed. The variants a person causes (a mismatch, a rejected or reused
/// password, a dead link) have messages fit to show; the rest are the host's to log. No message
/// holds a password, token or code.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The new password and its confirmation differ.
    #[error("the two passwords do not match")]
    ConfirmationMismatch,
    /// The password policy refused the new password; the assessment says why and how to do
    /// better.
    #[error("the new password is not accepted")]
    PasswordRejected(Box<Assessment>),
    /// The new password is the current one or one of the account's recent ones.
    #[error("the new password was used recently on this account; choose another")]
    PasswordReused,
    /// The current password given to a change is wrong.
    #[error("the current password is wrong")]
    WrongPassword,
    /// Too many attempts: at the current password in a change form (try again later, or after
    /// 100 wrong ones, reset the password), or at email changes.
    #[error("too many attempts; try again later")]
    Throttled,
    /// The link is invalid, expired, used, cancelled or superseded (one sentence whatever the
    /// reason, so the page reveals nothing).
    #[error("this link is invalid or has expired")]
    InvalidLink,
    /// The address can't be used: another account has it now (said only to whoever followed a
    /// link sent to that address).
    #[error("this email address can't be used for this account")]
    AddressUnavailable,
    /// No account has this id (support and signed-in flows, which name the account).
    #[error("no such account")]
    UnknownAccount,
    /// A store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Hashing failed (busy, out of memory, a damaged stored hash).
    #[error(transparent)]
    Hash(#[from] acctsec_hash::Error),
    /// The password policy could not judge (a password over the byte cap, an unavailable breach
    /// check that fails closed).
    #[error(transparent)]
    Policy(#[from] acctsec_policy::Error),
    /// A token could not be issued.
    #[error(transparent)]
    Token(#[from] acctsec_token::Error),
    /// A template is missing, does not parse or failed to render.
    #[error("email template error")]
    Template(#[source] minijinja::Error),
    /// A template name that is not one of the built-in ones.
    #[error("no built-in template has this name")]
    UnknownTemplate,
    /// A rendered email is over the message bounds.
    #[error("the rendered email is too large")]
    MessageTooLarge,
    /// A key of the wrong size.
    #[error("invalid key: {0}")]
    InvalidKey(&'static str),
    /// An anti-phishing phrase that is empty, too long or not one line.
    #[error("invalid anti-phishing phrase: {0}")]
    InvalidPhrase(&'static str),
    /// A setting out of bounds.
    #[error("invalid configuration: {0}")]
    InvalidConfig(&'static str),
    /// The random number generator failed.
    #[error("the random number generator failed")]
    Randomness,
    /// Sealing a message failed.
    #[error("a message could not be sealed")]
    Seal,
    /// Stored data could not be read back (sealed content this key did not seal, a damaged
    /// row).
    #[error("stored data could not be read")]
    Corrupt,
}
