//! The mail plug point: a rendered [`Message`] and the [`Mailer`] that sends it.

use std::error::Error as StdError;
use std::fmt;
use std::future::Future;

use crate::email::Email;
use crate::error::{BoxError, Error};
use crate::ids::{Detail, IdempotencyKey};

/// The most bytes of a subject line (RFC 5322's line limit).
pub const MAX_SUBJECT_BYTES: usize = 998;
/// The most bytes of one body (text or HTML).
pub const MAX_BODY_BYTES: usize = 256 * 1024;

/// Why a message is sent. Each kind has a stable [code](MessageKind::code).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum MessageKind {
    /// A password-reset link.
    PasswordReset,
    /// A notice that the password was reset or changed.
    PasswordChanged,
    /// A short code proving control of the address.
    EmailCode,
    /// A notice of a sign-in from a new device or place.
    NewSignIn,
    /// Any other security notice.
    SecurityNotice,
    /// A link to the new address that confirms a change of email address.
    EmailChangeConfirm,
    /// A notice to the old address that the email address changed, with a link to undo it.
    EmailChanged,
}

impl MessageKind {
    /// Every kind, in declaration order.
    pub const ALL: [Self; 7] = [
        Self::PasswordReset,
        Self::PasswordChanged,
        Self::EmailCode,
        Self::NewSignIn,
        Self::SecurityNotice,
        Self::EmailChangeConfirm,
        Self::EmailChanged,
    ];

    /// The stable code stores persist.
    #[must_use]
    pub const fn code(self) -> &'static str {
        match self {
            Self::PasswordReset => "password_reset",
            Self::PasswordChanged => "password_changed",
            Self::EmailCode => "email_code",
            Self::NewSignIn => "new_sign_in",
            Self::SecurityNotice => "security_notice",
            Self::EmailChangeConfirm => "email_change_confirm",
            Self::EmailChanged => "email_changed",
        }
    }

    /// The kind with this code, if any.
    #[must_use]
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.code() == code)
    }
}

/// One rendered email: recipient, subject, plain-text body and optional HTML body.
///
/// The subject is one line (no control characters, so no header injection, and no invisible
/// formatting characters) of at most
/// [`MAX_SUBJECT_BYTES`]; each body at most [`MAX_BODY_BYTES`]. Bodies may carry a one-time link
/// or code, so `Debug` shows only their lengths.
///
/// ```
/// use acctsec_core::{Email, Message, MessageKind};
///
/// let m = Message::new(
///     MessageKind::PasswordReset,
///     Email::parse("ana@example.com")?,
///     "Reset your password",
///     "Open https://example.com/reset#t=SECRET within 15 minutes.",
/// )?;
/// assert!(!format!("{m:?}").contains("SECRET"));
/// assert!(Message::new(MessageKind::PasswordReset, m.to().clone(), "Hi\r\nBcc: x@example.com", "").is_err());
/// # Ok::<(), acctsec_core::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Message {
    kind: MessageKind,
    to: Email,
    subject: String,
    text: String,
    html: Option<String>,
}

impl Message {
    /// A message with a plain-text body.
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] if the subject has control characters or either part is too long.
    pub fn new(
        kind: MessageKind,
        to: Email,
        subject: impl AsRef<str> + Into<String>,
        text: impl AsRef<str> + Into<String>,
    ) -> Result<Self, Error> {
        // Everything is checked before it is copied.
        if subject.as_ref().len() > MAX_SUBJECT_BYTES {
            return Err(Error::invalid("message subject", "too long"));
        }
        if subject.as_ref().chars().any(crate::ids::is_disguising) {
            return Err(Error::invalid(
                "message subject",
                "contains a control or invisible formatting character",
            ));
        }
        Ok(Self {
            kind,
            to,
            subject: subject.into(),
            text: check_body("message text body", text)?,
            html: None,
        })
    }

    /// Adds an HTML body.
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] if it is longer than [`MAX_BODY_BYTES`].
    pub fn with_html(mut self, html: impl AsRef<str> + Into<String>) -> Result<Self, Error> {
        self.html = Some(check_body("message HTML body", html)?);
        Ok(self)
    }

    /// Why it is sent.
    #[must_use]
    pub fn kind(&self) -> MessageKind {
        self.kind
    }

    /// The recipient.
    #[must_use]
    pub fn to(&self) -> &Email {
        &self.to
    }

    /// The subject line.
    #[must_use]
    pub fn subject(&self) -> &str {
        &self.subject
    }

    /// The plain-text body.
    #[must_use]
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The HTML body, if any.
    #[must_use]
    pub fn html(&self) -> Option<&str> {
        self.html.as_deref()
    }
}

fn check_body(what: &'static str, body: impl AsRef<str> + Into<String>) -> Result<String, Error> {
    if body.as_ref().len() > MAX_BODY_BYTES {
        Err(Error::invalid(what, "too long"))
    } else {
        Ok(body.into())
    }
}

impl fmt::Debug for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Message")
            .field("kind", &self.kind)
            .field("to", &self.to)
            .field("subject", &self.subject)
            .field("text", &format_args!("{} bytes", self.text.len()))
            .field("html", &self.html.as_ref().map(String::len))
            .finish()
    }
}

/// Whether a failed send may succeed if tried again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum MailErrorKind {
    /// Worth retrying later (connection refused, 4xx reply, timeout).
    Transient,
    /// Will not succeed however often it is tried (rejected recipient, 5xx reply).
    Permanent,
}

/// A failed send, saying whether to retry, with the transport's error as `source()`.
#[derive(Debug)]
pub struct MailError {
    kind: MailErrorKind,
    message: &'static str,
    source: Option<BoxError>,
}

impl MailError {
    /// A failure of `kind` with a fixed message and no underlying cause.
    #[must_use]
    pub const fn new(kind: MailErrorKind, message: &'static str) -> Self {
        Self {
            kind,
            message,
            source: None,
        }
    }

    /// A transient failure.
    #[must_use]
    pub const fn transient(message: &'static str) -> Self {
        Self::new(MailErrorKind::Transient, message)
    }

    /// A permanent failure.
    #[must_use]
    pub const fn permanent(message: &'static str) -> Self {
        Self::new(MailErrorKind::Permanent, message)
    }

    /// Keeps the transport's error as the [`source()`](StdError::source).
    #[must_use]
    pub fn with_source(mut self, source: impl Into<BoxError>) -> Self {
        self.source = Some(source.into());
        self
    }

    /// Whether to retry.
    #[must_use]
    pub const fn kind(&self) -> MailErrorKind {
        self.kind
    }

    /// Whether retrying later may succeed.
    #[must_use]
    pub const fn is_transient(&self) -> bool {
        matches!(self.kind, MailErrorKind::Transient)
    }
}

impl fmt::Display for MailError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.kind {
            MailErrorKind::Transient => "transient",
            MailErrorKind::Permanent => "permanent",
        };
        write!(f, "{kind} mail failure: {}", self.message)
    }
}

impl StdError for MailError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.source
            .as_deref()
            .map(|e| e as &(dyn StdError + 'static))
    }
}

/// Sends one rendered message. Retrying, queueing and dead-lettering are the outbox worker's job;
/// a mailer only reports whether a failure is worth retrying.
///
/// `key` is the message's idempotency key, the same on every retry: a transport derives one
/// stable `Message-ID` from it, so a receiver that got the first try deduplicates the second. On
/// success it returns a receipt — the provider's message id or the server's reply — that the
/// outbox keeps for support; it must hold no secret.
pub trait Mailer: Send + Sync {
    /// Sends `message`.
    ///
    /// # Errors
    ///
    /// A [`MailError`] saying whether the failure is transient or permanent.
    fn send(
        &self,
        key: &IdempotencyKey,
        message: &Message,
    ) -> impl Future<Output = Result<Detail, MailError>> + Send;
}

forward_impls!(Mailer, "mail" {
    fn send(&self, key: &IdempotencyKey, message: &Message) -> Result<Detail, MailError>;
});

/// The most bytes of [`SealedContent`]: both bodies and the subject, with room for a header
/// and an authentication tag.
pub const MAX_SEALED_BYTES: usize = 2 * MAX_BODY_BYTES + MAX_SUBJECT_BYTES + 1024;

/// A rendered message's subject and bodies as the outbox stores them: sealed by the flows under
/// a key only the mail worker holds, so someone who reads the database finds no usable reset link
/// or code. Opaque to stores; `Debug` shows only the length.
#[derive(Clone, PartialEq, Eq)]
pub struct SealedContent(Vec<u8>);

impl SealedContent {
    /// Checks the size bound.
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] if `bytes` is empty or longer than [`MAX_SEALED_BYTES`].
    pub fn new(bytes: Vec<u8>) -> Result<Self, Error> {
        if bytes.is_empty() {
            return Err(Error::invalid("sealed message", "empty"));
        }
        if bytes.len() > MAX_SEALED_BYTES {
            return Err(Error::invalid("sealed message", "too large"));
        }
        Ok(Self(bytes))
    }

    /// The bytes, for storage.
    #[must_use]
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for SealedContent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SealedContent({} bytes)", self.0.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_bounds_and_codes() {
        let to = Email::parse("a@example.com").unwrap();
        let long = "x".repeat(MAX_BODY_BYTES + 1);
        assert!(Message::new(MessageKind::EmailCode, to.clone(), "s", long.clone()).is_err());
        let m = Message::new(MessageKind::EmailCode, to.clone(), "s", "123456").unwrap();
        assert!(m.clone().with_html(long).is_err());
        let dbg = format!("{:?}", m.with_html("<b>123456</b>").unwrap());
        assert!(!dbg.contains("123456"), "{dbg}");
        assert!(Message::new(MessageKind::EmailCode, to, "x".repeat(999), "").is_err());
        for k in MessageKind::ALL {
            assert_eq!(MessageKind::from_code(k.code()), Some(k));
        }
    }

    #[test]
    fn sealed_content_is_bounded_and_debug_shows_only_its_length() {
        let sealed = SealedContent::new(b"SECRET-LINK".to_vec()).unwrap();
        assert_eq!(format!("{sealed:?}"), "SealedContent(11 bytes)");
        assert!(SealedContent::new(Vec::new()).is_err());
        assert!(SealedContent::new(vec![0; MAX_SEALED_BYTES + 1]).is_err());
        assert!(SealedContent::new(vec![0; MAX_SEALED_BYTES]).is_ok());
    }

    #[test]
    fn mail_error_says_whether_to_retry() {
        let e = MailError::transient("smtp 421").with_source("busy");
        assert!(e.is_transient());
        assert_eq!(e.to_string(), "transient mail failure: smtp 421");
        assert!(StdError::source(&e).is_some());
        assert!(!MailError::permanent("smtp 550").is_transient());
    }
}
