//! Bounded identifiers and short texts: [`UserId`], [`Purpose`], [`ThrottleKey`],
//! [`IdempotencyKey`], [`DeviceId`] and [`Detail`].

use std::borrow::Cow;
use std::fmt;

use crate::error::Error;

/// Checks the shape shared by all identifiers: non-empty, at most `max` bytes, no control
/// characters and no surrounding white space.
fn check_identifier(what: &'static str, s: &str, max: usize) -> Result<(), Error> {
    if s.is_empty() {
        return Err(Error::invalid(what, "empty"));
    }
    if s.len() > max {
        return Err(Error::invalid(what, "too long"));
    }
    if s.chars().any(char::is_control) {
        return Err(Error::invalid(what, "contains a control character"));
    }
    if s.trim() != s {
        return Err(Error::invalid(what, "starts or ends with white space"));
    }
    Ok(())
}

/// Defines a string newtype checked by [`check_identifier`] plus an extra per-type check. A type
/// marked `secret` has a `Debug` that hides the value and no `Display`.
macro_rules! identifier {
    ($(#[$meta:meta])* secret $name:ident, $($rest:tt)*) => {
        identifier!(@define $(#[$meta])* $name, $($rest)*);

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(concat!(stringify!($name), "(..)"))
            }
        }
    };
    ($(#[$meta:meta])* $name:ident, $($rest:tt)*) => {
        identifier!(@define $(#[$meta])* $name, $($rest)*);

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_tuple(stringify!($name)).field(&self.0).finish()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
    (@define $(#[$meta:meta])* $name:ident, $what:literal, $max_const:ident = $max:literal, $extra:expr) => {
        #[doc = concat!("The most bytes a [`", stringify!($name), "`] may have.")]
        pub const $max_const: usize = $max;

        $(#[$meta])*
        #[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(Cow<'static, str>);

        impl $name {
            #[doc = concat!("Parses a ", $what, ".")]
            ///
            /// # Errors
            ///
            /// [`Error::Invalid`] if it is empty, too long, has control characters or
            /// surrounding white space, or breaks the type's own rule.
            pub fn new(s: impl AsRef<str> + Into<String>) -> Result<Self, Error> {
                // Checked before it is copied: an oversized input is never duplicated.
                check_identifier($what, s.as_ref(), $max_const)?;
                let extra: fn(&str) -> Result<(), &'static str> = $extra;
                extra(s.as_ref()).map_err(|reason| Error::invalid($what, reason))?;
                Ok(Self(Cow::Owned(s.into())))
            }

            /// The text.
            #[must_use]
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl std::str::FromStr for $name {
            type Err = Error;

            fn from_str(s: &str) -> Result<Self, Error> {
                Self::new(s)
            }
        }
    };
}

identifier!(
    /// The host's identifier of an account: any text up to 128 bytes (a number, a UUID, a key).
    ///
    /// ```
    /// use acctsec_core::UserId;
    ///
    /// assert_eq!(UserId::from(42_u64).as_str(), "42");
    /// assert!(UserId::new("").is_err());
    /// ```
    UserId, "user id", MAX_USER_ID_BYTES = 128, |_| Ok(())
);

impl From<u64> for UserId {
    fn from(id: u64) -> Self {
        Self(Cow::Owned(id.to_string()))
    }
}

impl From<i64> for UserId {
    fn from(id: i64) -> Self {
        Self(Cow::Owned(id.to_string()))
    }
}

fn purpose_charset(s: &str) -> Result<(), &'static str> {
    if s.bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'_' | b'.' | b'-'))
    {
        Ok(())
    } else {
        Err("only a-z, 0-9, '_', '.' and '-' are allowed")
    }
}

identifier!(
    /// What a one-time token or code is for. A token issued for one purpose is never accepted for
    /// another. Lower-case ASCII letters, digits, `_`, `.` and `-`, at most 32 bytes.
    ///
    /// ```
    /// use acctsec_core::Purpose;
    ///
    /// assert_eq!(Purpose::PASSWORD_RESET.as_str(), "password_reset");
    /// assert!(Purpose::new("Password Reset").is_err());
    /// ```
    Purpose, "purpose", MAX_PURPOSE_BYTES = 32, purpose_charset
);

impl Purpose {
    /// Resetting a forgotten password through an emailed link.
    pub const PASSWORD_RESET: Self = Self(Cow::Borrowed("password_reset"));
    /// Proving control of an email address with a short code.
    pub const EMAIL_VERIFICATION: Self = Self(Cow::Borrowed("email_verification"));
    /// A step-up challenge for a risky sign-in.
    pub const SIGN_IN_CHALLENGE: Self = Self(Cow::Borrowed("sign_in_challenge"));
    /// Cancelling a password-reset request from the link in its email.
    pub const PASSWORD_RESET_CANCEL: Self = Self(Cow::Borrowed("password_reset_cancel"));
    /// Confirming a new email address from the link sent to it.
    pub const EMAIL_CHANGE: Self = Self(Cow::Borrowed("email_change"));
    /// Undoing a change of email address from the link sent to the old one.
    pub const EMAIL_CHANGE_UNDO: Self = Self(Cow::Borrowed("email_change_undo"));
}

identifier!(
    /// The key of a throttle counter, built by the caller (for example from a purpose, a digest of
    /// the normalised email and the source network). Never derived from whether an account exists.
    ThrottleKey, "throttle key", MAX_THROTTLE_KEY_BYTES = 256, |_| Ok(())
);

identifier!(
    /// The key that makes enqueueing an outbox message idempotent: enqueueing twice with one key
    /// stores one message.
    IdempotencyKey, "idempotency key", MAX_IDEMPOTENCY_KEY_BYTES = 128, |_| Ok(())
);

identifier!(
    /// Ties the records of one request together: the events it caused and the messages it sent,
    /// so support can answer "what happened to this request" in one look-up.
    CorrelationId, "correlation id", MAX_CORRELATION_ID_BYTES = 128, |_| Ok(())
);

identifier!(
    /// The host's identifier of a support operator who acted on an account; it is recorded in the
    /// account's activity so the owner can see who did what.
    OperatorId, "operator id", MAX_OPERATOR_ID_BYTES = 128, |_| Ok(())
);

fn printable_ascii(s: &str) -> Result<(), &'static str> {
    if s.bytes().all(|b| b.is_ascii_graphic()) {
        Ok(())
    } else {
        Err("only printable ASCII without spaces is allowed")
    }
}

identifier!(
    /// A device identifier the host keeps in a long-lived cookie: printable ASCII, at most 128
    /// bytes. Whoever holds the cookie can present it, so it is treated as a secret: `Debug`
    /// hides it and there is no `Display`.
    ///
    /// ```
    /// use acctsec_core::DeviceId;
    ///
    /// let device = DeviceId::new("d-7f3a9c1e5b2d4f60")?;
    /// assert_eq!(format!("{device:?}"), "DeviceId(..)");
    /// # Ok::<(), acctsec_core::Error>(())
    /// ```
    secret DeviceId, "device id", MAX_DEVICE_ID_BYTES = 128, printable_ascii
);

/// The most bytes a [`Detail`] keeps.
pub const MAX_DETAIL_BYTES: usize = 512;

/// A short diagnostic text (a reason code, a mailer's error), cut to [`MAX_DETAIL_BYTES`] at a
/// character boundary with control characters and invisible formatting characters (bidirectional
/// overrides, zero-width characters) replaced by spaces, so text shown to the owner cannot be
/// disguised. It must never hold a secret.
///
/// ```
/// use acctsec_core::Detail;
///
/// let d = Detail::new("smtp: 451 try again\r\nlater");
/// assert_eq!(d.as_str(), "smtp: 451 try again  later");
/// assert_eq!(Detail::new("evil\u{202E}txt.exe").as_str(), "evil txt.exe");
/// assert_eq!(Detail::new(&"é".repeat(400)).as_str().len(), 512);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Detail(String);

impl Detail {
    /// Cleans and bounds `text`.
    #[must_use]
    pub fn new(text: &str) -> Self {
        Self(truncate_clean(text, MAX_DETAIL_BYTES))
    }

    /// The text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Detail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Whether `c` is a control character or an invisible formatting character that can disguise
/// text shown to a person: bidirectional overrides and isolates, zero-width characters, the soft
/// hyphen and the byte-order mark.
pub(crate) fn is_disguising(c: char) -> bool {
    c.is_control()
        || matches!(c,
            '\u{00AD}' | '\u{061C}' | '\u{180E}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{2064}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}')
}

/// Copies at most `max` bytes of `text`, ending at a character boundary, with control and
/// disguising characters ([`is_disguising`]) replaced by spaces.
pub(crate) fn truncate_clean(text: &str, max: usize) -> String {
    let mut out = String::with_capacity(text.len().min(max));
    for c in text.chars() {
        let c = if is_disguising(c) { ' ' } else { c };
        if out.len() + c.len_utf8() > max {
            break;
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn purpose_constants_are_valid() {
        for p in [
            Purpose::PASSWORD_RESET,
            Purpose::EMAIL_VERIFICATION,
            Purpose::SIGN_IN_CHALLENGE,
            Purpose::PASSWORD_RESET_CANCEL,
            Purpose::EMAIL_CHANGE,
            Purpose::EMAIL_CHANGE_UNDO,
        ] {
            assert_eq!(Purpose::new(p.as_str()), Ok(p));
        }
    }

    #[test]
    fn identifiers_reject_bad_shapes() {
        assert!(UserId::new("a".repeat(MAX_USER_ID_BYTES)).is_ok());
        assert!(UserId::new("a".repeat(MAX_USER_ID_BYTES + 1)).is_err());
        assert!(UserId::new(" 7").is_err());
        assert!(UserId::new("7\n").is_err());
        assert!(UserId::new("a\u{0}b").is_err());
        assert!(Purpose::new("reset/../x").is_err());
        assert!(DeviceId::new("abc def").is_err());
        assert!(DeviceId::new("Zm9v-YmFy_1").is_ok());
        assert_eq!(
            UserId::from(-4_324_475_583_306_591_935_i64).as_str(),
            "-4324475583306591935"
        );
    }

    proptest! {
        #[test]
        fn detail_keeps_the_longest_prefix_that_fits(s in "\\PC{0,600}") {
            let d = Detail::new(&s);
            prop_assert!(d.as_str().len() <= MAX_DETAIL_BYTES);
            prop_assert!(s.starts_with(d.as_str()));
            // Either all of it was kept, or the next character would not have fitted.
            let rest = &s[d.as_str().len()..];
            prop_assert!(rest.chars().next().is_none_or(|c| d.as_str().len() + c.len_utf8() > MAX_DETAIL_BYTES));
        }
    }
}
