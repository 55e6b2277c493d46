//! [`Config`]: the flows' settings, checked once when built.

use std::time::Duration;

use acctsec_policy::BreachFailure;
use acctsec_token::DEFAULT_RESET_TTL;

use crate::{Error, Result};

/// Reset requests one address may make per hour before further requests send nothing.
pub const DEFAULT_RESET_PER_ADDRESS: u64 = 3;
/// Reset requests one source (IP address, or IPv6 /64) may make per hour.
pub const DEFAULT_RESET_PER_SOURCE: u64 = 20;
/// Reset requests the whole service accepts per hour before it sends nothing (a mail flood
/// brake; raise it for large services).
pub const DEFAULT_RESET_GLOBAL: u64 = 1_000;
/// The window of the reset throttles.
pub const RESET_THROTTLE_WINDOW: Duration = Duration::from_secs(3600);
/// How long the link that confirms a new email address stays valid.
pub const DEFAULT_EMAIL_CONFIRM_TTL: Duration = Duration::from_secs(3600);
/// How long the link that undoes an email change stays valid: days, since an owner whose account
/// was taken over may read the old address only later.
pub const DEFAULT_EMAIL_UNDO_TTL: Duration = Duration::from_secs(3 * 24 * 3600);
/// How many recent passwords a new one may not repeat (the current one and this many before it).
pub const DEFAULT_PASSWORD_HISTORY: usize = 5;
/// Attempts at the current password a signed-in person may make from one source per window in
/// the change forms (password, email), right or wrong, before they refuse for the rest of it.
pub const DEFAULT_CHANGE_ATTEMPTS: u64 = 5;
/// The window of the change forms' per-source throttle.
pub const CHANGE_THROTTLE_WINDOW: Duration = Duration::from_secs(15 * 60);
/// Distinct wrong current passwords on one account, from anywhere, after which the change forms
/// refuse until the password is reset (NIST SP 800-63B-4: at most 100 consecutive failures).
pub const CHANGE_FAILURE_CEILING: u64 = 100;
/// How long the ceiling's count of wrong passwords lasts without a reset.
pub const CHANGE_CEILING_WINDOW: Duration = Duration::from_secs(30 * 24 * 3600);
/// Email-change requests one account may make per hour.
pub const EMAIL_CHANGES_PER_ACCOUNT: u64 = 5;
/// Email-change requests naming one new address per hour (each sends that address an email).
pub const EMAIL_CHANGES_PER_ADDRESS: u64 = 3;
/// Refused completions (a rejected or reused password) one reset link allows before it is used
/// up: each tries the current and recent passwords, so unlimited tries would make the link an
/// oracle for them, and a drain on the hasher.
pub const RESET_FAILURES_PER_LINK: u64 = 10;
/// A queued request older than this when the worker reaches it sends nothing: whoever asked has
/// moved on, and an old request must not be revived (requeued, or its retries stretched) into a
/// fresh link.
pub const MAX_REQUEST_AGE: Duration = Duration::from_secs(24 * 3600);

/// The flows' settings. The base URL is the only required one: every link in every email is
/// built from it, never from a request's headers (a forged `Host` header must not redirect a
/// reset link to an attacker's site).
///
/// Links: `{base}/reset?token=…` (the reset form), `{base}/reset/cancel?token=…` (cancel the
/// request), `{base}/not-me` ("this wasn't me"), `{base}/email/confirm?token=…&email=…` (confirm
/// a new address), `{base}/email/undo?token=…&email=…` (undo a change, from the old address).
/// Each only shows a page; the page's form post acts (mail scanners open every link).
///
/// ```
/// use acctsec::Config;
/// use std::time::Duration;
///
/// let config = Config::builder("https://example.com/account")
///     .with_app_name("Example")
///     .with_reset_ttl(Duration::from_secs(20 * 60))
///     .build()?;
/// assert_eq!(config.reset_link("TOKEN"), "https://example.com/account/reset?token=TOKEN");
/// assert!(Config::builder("https://example.com/?next=evil").build().is_err());
/// # Ok::<(), acctsec::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Config {
    base_url: String,
    app_name: String,
    reset_ttl: Duration,
    confirm_ttl: Duration,
    undo_ttl: Duration,
    per_address: u64,
    per_source: u64,
    global: u64,
    history: usize,
    end_sessions: bool,
    breach_failure: BreachFailure,
    change_attempts: u64,
}

/// Builds a [`Config`].
#[derive(Debug, Clone)]
pub struct ConfigBuilder {
    config: Config,
}

impl Config {
    /// Starts a configuration whose links begin with `base_url` (`https://`, or `http://` for a
    /// loopback host in development).
    #[must_use]
    pub fn builder(base_url: &str) -> ConfigBuilder {
        ConfigBuilder {
            config: Self {
                base_url: base_url.trim_end_matches('/').to_owned(),
                app_name: "your account".to_owned(),
                reset_ttl: DEFAULT_RESET_TTL,
                confirm_ttl: DEFAULT_EMAIL_CONFIRM_TTL,
                undo_ttl: DEFAULT_EMAIL_UNDO_TTL,
                per_address: DEFAULT_RESET_PER_ADDRESS,
                per_source: DEFAULT_RESET_PER_SOURCE,
                global: DEFAULT_RESET_GLOBAL,
                history: DEFAULT_PASSWORD_HISTORY,
                end_sessions: true,
                breach_failure: BreachFailure::Open,
                change_attempts: DEFAULT_CHANGE_ATTEMPTS,
            },
        }
    }

    /// The reset form's link for `token`.
    #[must_use]
    pub fn reset_link(&self, token: &str) -> String {
        format!("{}/reset?token={token}", self.base_url)
    }

    /// The link that cancels the reset request of `token`.
    #[must_use]
    pub fn cancel_link(&self, token: &str) -> String {
        format!("{}/reset/cancel?token={token}", self.base_url)
    }

    /// The link that confirms `email` as the account's new address.
    #[must_use]
    pub fn confirm_email_link(&self, token: &str, email: &acctsec_core::Email) -> String {
        format!(
            "{}/email/confirm?token={token}&email={}",
            self.base_url,
            query_value(email)
        )
    }

    /// The link that undoes an email change, restoring `old`.
    #[must_use]
    pub fn undo_email_link(&self, token: &str, old: &acctsec_core::Email) -> String {
        format!(
            "{}/email/undo?token={token}&email={}",
            self.base_url,
            query_value(old)
        )
    }

    /// How long the link confirming a new address stays valid.
    #[must_use]
    pub const fn email_confirm_ttl(&self) -> Duration {
        self.confirm_ttl
    }

    /// How long the link undoing an email change stays valid.
    #[must_use]
    pub const fn email_undo_ttl(&self) -> Duration {
        self.undo_ttl
    }

    /// The "this wasn't me" page.
    #[must_use]
    pub fn not_me_link(&self) -> String {
        format!("{}/not-me", self.base_url)
    }

    /// The service's name as emails show it.
    #[must_use]
    pub fn app_name(&self) -> &str {
        &self.app_name
    }

    /// How long a reset link stays valid.
    #[must_use]
    pub const fn reset_ttl(&self) -> Duration {
        self.reset_ttl
    }

    /// Reset requests per address, per source and in all, per [`RESET_THROTTLE_WINDOW`].
    #[must_use]
    pub const fn reset_limits(&self) -> (u64, u64, u64) {
        (self.per_address, self.per_source, self.global)
    }

    /// How long the link that confirms a new email address stays valid.
    pub const DEFAULT_EMAIL_CONFIRM_TTL: Duration = Duration::from_secs(3600);
    /// How long the link that undoes an email change stays valid: days, since an owner whose account
    /// was taken over may read the old address only later.
    pub const DEFAULT_EMAIL_UNDO_TTL: Duration = Duration::from_secs(3 * 24 * 3600);
    /// How many recent passwords a new one may not repeat.
    #[must_use]
    pub const fn history(&self) -> usize {
        self.history
    }

    /// Whether a reset or change ends every session of the account.
    #[must_use]
    pub const fn end_sessions(&self) -> bool {
        self.end_sessions
    }

    /// What a password change does when the breach oracle cannot answer.
    #[must_use]
    pub const fn breach_failure(&self) -> BreachFailure {
        self.breach_failure
    }

    /// Wrong current passwords per [`CHANGE_THROTTLE_WINDOW`] in the change-password form.
    #[must_use]
    pub const fn change_attempts(&self) -> u64 {
        self.change_attempts
    }
}

impl ConfigBuilder {
    /// The service's name as emails show it.
    #[must_use]
    pub fn with_app_name(mut self, name: &str) -> Self {
        name.clone_into(&mut self.config.app_name);
        self
    }

    /// How long a reset link stays valid (default 15 minutes; at most an hour).
    #[must_use]
    pub const fn with_reset_ttl(mut self, ttl: Duration) -> Self {
        self.config.reset_ttl = ttl;
        self
    }

    /// How long the links confirming a new address (default an hour) and undoing a change
    /// (default three days) stay valid.
    #[must_use]
    pub const fn with_email_change_ttls(mut self, confirm: Duration, undo: Duration) -> Self {
        self.config.confirm_ttl = confirm;
        self.config.undo_ttl = undo;
        self
    }

    /// Reset requests per address, per source and in all, per hour.
    #[must_use]
    pub const fn with_reset_limits(
        mut self,
        per_address: u64,
        per_source: u64,
        global: u64,
    ) -> Self {
        self.config.per_address = per_address;
        self.config.per_source = per_source;
        self.config.global = global;
        self
    }

    /// How long the link that confirms a new email address stays valid.
    pub const DEFAULT_EMAIL_CONFIRM_TTL: Duration = Duration::from_secs(3600);
    /// How long the link that undoes an email change stays valid: days, since an owner whose account
    /// was taken over may read the old address only later.
    pub const DEFAULT_EMAIL_UNDO_TTL: Duration = Duration::from_secs(3 * 24 * 3600);
    /// How many recent passwords a new one may not repeat (0 turns the check off; at most
    /// [`MAX_PASSWORD_HISTORY`](acctsec_core::store::MAX_PASSWORD_HISTORY)).
    #[must_use]
    pub const fn with_history(mut self, n: usize) -> Self {
        self.config.history = n;
        self
    }

    /// Leaves the account's other sessions alive after a reset or change. Not recommended: a
    /// reset is how an owner takes an account back from whoever else is signed in.
    #[must_use]
    pub const fn insecure_keep_sessions(mut self) -> Self {
        self.config.end_sessions = false;
        self
    }

    /// What to do when the breach oracle cannot answer (default: accept the password and say so
    /// in the assessment).
    #[must_use]
    pub const fn with_breach_failure(mut self, failure: BreachFailure) -> Self {
        self.config.breach_failure = failure;
        self
    }

    /// Checks the settings.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidConfig`] for a base URL that is not `https://` (or `http://` on a loopback
    /// host), or that has a query, fragment, white space or control character; a reset lifetime
    /// of zero or over an hour; a zero throttle limit; a history longer than the store keeps.
    pub fn build(self) -> Result<Config> {
        let c = self.config;
        let rest = if let Some(rest) = c.base_url.strip_prefix("https://") {
            rest
        } else if let Some(rest) = c.base_url.strip_prefix("http://") {
            let host = rest.split(['/', ':']).next().unwrap_or_default();
            let loopback = matches!(host, "localhost" | "127.0.0.1") || rest.starts_with("[::1]");
            if !loopback {
                return Err(Error::InvalidConfig("the base URL must be https"));
            }
            rest
        } else {
            return Err(Error::InvalidConfig("the base URL must be https"));
        };
        let host = rest.split('/').next().unwrap_or_default();
        if host.contains('@') || (host.starts_with('[') && !host.starts_with("[::1]")) {
            return Err(Error::InvalidConfig(
                "the base URL's host may not carry user info or an IPv6 literal other than [::1]",
            ));
        }
        if rest.is_empty()
            || rest.starts_with('/')
            || !rest.bytes().all(|b| {
                b.is_ascii_graphic() && !matches!(b, b'?' | b'#' | b'"' | b'<' | b'>' | b'\\')
            })
        {
            return Err(Error::InvalidConfig(
                "the base URL needs a host and no query, fragment, quote or white space",
            ));
        }
        if c.reset_ttl.is_zero() || c.reset_ttl > Duration::from_secs(3600) {
            return Err(Error::InvalidConfig(
                "the reset lifetime must be within an hour",
            ));
        }
        if c.confirm_ttl.is_zero() || c.undo_ttl < c.confirm_ttl {
            return Err(Error::InvalidConfig(
                "the email-change links need a lifetime, the undo link at least the confirm link's",
            ));
        }
        if c.per_address == 0 || c.per_source == 0 || c.global == 0 {
            return Err(Error::InvalidConfig("throttle limits must be at least 1"));
        }
        if c.history > acctsec_core::store::MAX_PASSWORD_HISTORY {
            return Err(Error::InvalidConfig(
                "the password history is longer than stores keep",
            ));
        }
        if c.app_name.is_empty() || c.app_name.chars().any(char::is_control) {
            return Err(Error::InvalidConfig(
                "the app name must be one line of text",
            ));
        }
        Ok(c)
    }
}

/// An email address as a query value: everything but unreserved characters percent-encoded.
fn query_value(email: &acctsec_core::Email) -> String {
    const QUERY: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'.')
        .remove(b'_')
        .remove(b'~');
    percent_encoding::utf8_percent_encode(email.as_str(), QUERY).to_string()
}
