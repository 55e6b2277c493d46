#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]

use std::fmt;
use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use acctsec_core::{
    Clock, Detail, IdempotencyKey, MailError, Mailer, Message, MessageKind, SystemClock,
};
use lettre::message::header::{HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::PoolConfig;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use sha2::{Digest, Sha256};

/// How long one SMTP exchange may take before it is a transient failure, by default.
pub const DEFAULT_SMTP_TIMEOUT: Duration = Duration::from_secs(20);

/// How the connection to the mail server is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Security {
    /// TLS from the first byte (SMTPS, port 465 by default).
    ImplicitTls,
    /// Plain text, upgraded with STARTTLS, which must succeed (submission, port 587 by default).
    StartTls,
    /// No encryption: only for a relay on the same machine or in tests. The name says it.
    InsecurePlaintext,
}

/// Why a mailer could not be built.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The host or a setting is not valid.
    #[error("invalid mailer setting: {0}")]
    Invalid(&'static str),
    /// lettre refused the relay's settings.
    #[error("invalid SMTP relay")]
    Relay(#[source] lettre::transport::smtp::Error),
}

/// The sender as every message names it.
#[derive(Clone)]
struct Sender {
    from: Mailbox,
    reply_to: Option<Mailbox>,
    list_unsubscribe: Option<String>,
    /// The right-hand side of `Message-ID`s: the sender's domain.
    domain: String,
}

impl Sender {
    fn new(from: &str) -> Result<Self, Error> {
        let from: Mailbox = from
            .parse()
            .map_err(|_| Error::Invalid("the From address does not parse"))?;
        let domain = from.email.domain().to_owned();
        Ok(Self {
            from,
            reply_to: None,
            list_unsubscribe: None,
            domain,
        })
    }

    /// The message as lettre builds it: both parts, the stable `Message-ID`, the date from the
    /// mailer's clock.
    fn build(
        &self,
        key: &IdempotencyKey,
        message: &Message,
        date: SystemTime,
    ) -> Result<lettre::Message, MailError> {
        let to: Mailbox = message
            .to()
            .as_str()
            .parse()
            .map_err(|_| MailError::permanent("the recipient does not parse"))?;
        let mut builder = lettre::Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(message.subject())
            .date(date)
            .message_id(Some(message_id(key, &self.domain)));
        if let Some(reply_to) = &self.reply_to {
            builder = builder.reply_to(reply_to.clone());
        }
        let html = message.html().unwrap_or_default();
        let body = if html.is_empty() {
            MultiPart::alternative_plain_html(message.text().to_owned(), String::new())
        } else {
            MultiPart::alternative_plain_html(message.text().to_owned(), html.to_owned())
        };
        let mut built = builder
            .multipart(body)
            .map_err(|e| MailError::permanent("the message could not be built").with_source(e))?;
        // Only notices a person may opt out of carry an unsubscribe link; a reset link or a
        // security alert must always reach them.
        if let (Some(url), MessageKind::NewSignIn) = (&self.list_unsubscribe, message.kind()) {
            built.headers_mut().insert_raw(HeaderValue::new(
                HeaderName::new_from_ascii_str("List-Unsubscribe"),
                format!("<{url}>"),
            ));
        }
        Ok(built)
    }
}

/// The `Message-ID` of every attempt at the message with `key`: a digest of the key at the
/// sender's domain, so a receiver that got an earlier attempt drops the retry as a duplicate,
/// and the key itself (which may name the request) is not disclosed.
#[must_use]
pub fn message_id(key: &IdempotencyKey, domain: &str) -> String {
    let digest = Sha256::digest(key.as_str().as_bytes());
    let hex: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
    format!("<{hex}.acctsec@{domain}>")
}

/// A [`Mailer`] over SMTP through lettre: implicit TLS, STARTTLS or (named so) plaintext,
/// optional authentication, pooled connections, a timeout on every exchange. Replies are told
/// apart as acctsec's outbox needs: a 4xx reply, a refused or dropped connection and a timeout
/// are transient (retry later); a 5xx reply is permanent. The receipt is the server's reply to
/// the message ("250 2.0.0 Ok: queued as …"). Credentials never reach `Debug`.
pub struct LettreMailer<C = SystemClock> {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    sender: Sender,
    clock: C,
    relay: String,
}

impl<C> fmt::Debug for LettreMailer<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LettreMailer")
            .field("relay", &self.relay)
            .field("from", &self.sender.from.to_string())
            .finish_non_exhaustive()
    }
}

/// Builds a [`LettreMailer`].
pub struct LettreMailerBuilder {
    host: String,
    port: Option<u16>,
    security: Security,
    credentials: Option<(String, String)>,
    timeout: Duration,
    pool_size: u32,
    root: Option<Vec<u8>>,
    sender: Sender,
}

impl fmt::Debug for LettreMailerBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LettreMailerBuilder")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("security", &self.security)
            .field("credentials", &self.credentials.as_ref().map(|_| ".."))
            .finish_non_exhaustive()
    }
}

impl LettreMailer {
    /// Starts a mailer sending through `host` (TLS from the first byte unless told otherwise)
    /// as `from` (`"Example <security@example.com>"` or a bare address).
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] if `from` does not parse.
    pub fn builder(host: &str, from: &str) -> Result<LettreMailerBuilder, Error> {
        Ok(LettreMailerBuilder {
            host: host.to_owned(),
            port: None,
            security: Security::ImplicitTls,
            credentials: None,
            timeout: DEFAULT_SMTP_TIMEOUT,
            pool_size: 4,
            root: None,
            sender: Sender::new(from)?,
        })
    }
}

impl LettreMailerBuilder {
    /// How the connection is secured (default: implicit TLS).
    #[must_use]
    pub fn with_security(mut self, security: Security) -> Self {
        self.security = security;
        self
    }

    /// The port (default: the security mode's: 465, 587, or 25 for plaintext).
    #[must_use]
    pub fn with_port(mut self, port: u16) -> Self {
        self.port = Some(port);
        self
    }

    /// Authenticates as `user` with `password`.
    #[must_use]
    pub fn with_credentials(mut self, user: &str, password: &str) -> Self {
        self.credentials = Some((user.to_owned(), password.to_owned()));
        self
    }

    /// How long one SMTP exchange may take (default [`DEFAULT_SMTP_TIMEOUT`]).
    #[must_use]
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// How many connections the pool keeps (default 4).
    #[must_use]
    pub fn with_pool_size(mut self, size: u32) -> Self {
        self.pool_size = size;
        self
    }

    /// Trusts the certificate authority in `pem` beside the system's (a private relay's CA).
    #[must_use]
    pub fn with_root_certificate(mut self, pem: &[u8]) -> Self {
        self.root = Some(pem.to_vec());
        self
    }

    /// A `Reply-To` on every message.
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] if it does not parse.
    pub fn with_reply_to(mut self, reply_to: &str) -> Result<Self, Error> {
        self.sender.reply_to = Some(
            reply_to
                .parse()
                .map_err(|_| Error::Invalid("the Reply-To address does not parse"))?,
        );
        Ok(self)
    }

    /// A `List-Unsubscribe` link on notices a person may opt out of (new sign-in notices) —
    /// never on reset links, codes or security alerts.
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] unless it is an `https:` or `mailto:` URL without white space or
    /// angle brackets.
    pub fn with_list_unsubscribe(mut self, url: &str) -> Result<Self, Error> {
        let shaped = (url.starts_with("https://") || url.starts_with("mailto:"))
            && url
                .bytes()
                .all(|b| b.is_ascii_graphic() && b != b'<' && b != b'>');
        if !shaped {
            return Err(Error::Invalid(
                "List-Unsubscribe must be one https: or mailto: URL",
            ));
        }
        self.sender.list_unsubscribe = Some(url.to_owned());
        Ok(self)
    }

    /// The mailer, dating messages by the system clock.
    ///
    /// # Errors
    ///
    /// [`Error::Relay`] if lettre refuses the host; [`Error::Invalid`] for a zero pool size or
    /// timeout, or when called outside a Tokio runtime (the connection pool runs on it).
    pub fn build(self) -> Result<LettreMailer, Error> {
        self.build_with_clock(SystemClock)
    }

    /// The mailer, dating messages by `clock`.
    ///
    /// # Errors
    ///
    /// As [`build`](Self::build).
    pub fn build_with_clock<C: Clock>(self, clock: C) -> Result<LettreMailer<C>, Error> {
        if self.pool_size == 0 || self.timeout.is_zero() {
            return Err(Error::Invalid(
                "the pool size and the timeout must be above zero",
            ));
        }
        // lettre's pool starts a task at once; outside a runtime it would panic.
        if tokio::runtime::Handle::try_current().is_err() {
            return Err(Error::Invalid("build the mailer inside a Tokio runtime"));
        }
        let mut builder = match self.security {
            Security::ImplicitTls => {
                AsyncSmtpTransport::<Tokio1Executor>::relay(&self.host).map_err(Error::Relay)?
            }
            Security::StartTls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&self.host)
                .map_err(Error::Relay)?,
            Security::InsecurePlaintext => {
                AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(self.host.as_str())
            }
        };
        if let (Some(pem), Security::ImplicitTls | Security::StartTls) = (&self.root, self.security)
        {
            let certificate = Certificate::from_pem(pem).map_err(Error::Relay)?;
            let parameters = TlsParameters::builder(self.host.clone())
                .add_root_certificate(certificate)
                .build()
                .map_err(Error::Relay)?;
            builder = builder.tls(match self.security {
                Security::ImplicitTls => Tls::Wrapper(parameters),
                _ => Tls::Required(parameters),
            });
        }
        if let Some(port) = self.port {
            builder = builder.port(port);
        }
        if let Some((user, password)) = self.credentials {
            builder = builder.credentials(Credentials::new(user, password));
        }
        let transport = builder
            .timeout(Some(self.timeout))
            .pool_config(PoolConfig::new().max_size(self.pool_size))
            .build();
        let relay = match self.port {
            Some(port) => format!("{}:{port}", self.host),
            None => self.host,
        };
        Ok(LettreMailer {
            transport,
            sender: self.sender,
            clock,
            relay,
        })
    }
}

fn system_time<C: Clock>(clock: &C) -> SystemTime {
    let ms = clock.now().as_unix_millis();
    let magnitude = Duration::from_millis(ms.unsigned_abs());
    if ms >= 0 {
        SystemTime::UNIX_EPOCH + magnitude
    } else {
        SystemTime::UNIX_EPOCH - magnitude
    }
}

/// An SMTP failure as the outbox needs it: transient (4xx, connection refused or dropped,
/// timeout) or permanent (5xx, a message the server cannot take).
fn classify(error: lettre::transport::smtp::Error) -> MailError {
    if error.is_permanent() {
        MailError::permanent("the mail server refused the message").with_source(error)
    } else if error.is_transient() {
        MailError::transient("the mail server asked to try later").with_source(error)
    } else if error.is_timeout() {
        MailError::transient("the mail server did not answer in time").with_source(error)
    } else if error.is_client() {
        MailError::permanent("the message cannot be sent as it is").with_source(error)
    } else {
        // Connection refused, dropped, TLS failures and the like: the server may come back.
        MailError::transient("the mail server could not be reached").with_source(error)
    }
}

impl<C: Clock> Mailer for LettreMailer<C> {
    async fn send(&self, key: &IdempotencyKey, message: &Message) -> Result<Detail, MailError> {
        let email = self.sender.build(key, message, system_time(&self.clock))?;
        let response = self.transport.send(email).await.map_err(classify)?;
        let reply: Vec<&str> = response.message().collect();
        Ok(Detail::new(&format!(
            "{} {}",
            response.code(),
            reply.join(" ")
        )))
    }
}

/// Development mailers: each message as an `.eml` file in a directory, or printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum DevMode {
    /// One `.eml` file per message (named by lettre's id for it), for a mail client to open.
    Files,
    /// Also print each message's recipient, subject and text (with its link) to standard error.
    FilesAndConsole,
}

/// A [`Mailer`] for development and the examples: it keeps every message as an `.eml` file in a
/// directory, and can print each (with its reset link) to standard error. It never sends mail.
pub struct DevMailer<C = SystemClock> {
    transport: AsyncFileTransport<Tokio1Executor>,
    dir: PathBuf,
    sender: Sender,
    clock: C,
    mode: DevMode,
}

impl<C> fmt::Debug for DevMailer<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DevMailer")
            .field("dir", &self.dir)
            .field("mode", &self.mode)
            .finish_non_exhaustive()
    }
}

impl DevMailer {
    /// Keeps messages from `from` in `dir` (created if missing).
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] if `from` does not parse or the directory cannot be created.
    pub fn new(dir: impl Into<PathBuf>, from: &str, mode: DevMode) -> Result<Self, Error> {
        let dir = dir.into();
        std::fs::create_dir_all(&dir)
            .map_err(|_| Error::Invalid("the mail directory cannot be created"))?;
        Ok(Self {
            transport: AsyncFileTransport::new(&dir),
            dir,
            sender: Sender::new(from)?,
            clock: SystemClock,
            mode,
        })
    }
}

impl<C: Clock> Mailer for DevMailer<C> {
    async fn send(&self, key: &IdempotencyKey, message: &Message) -> Result<Detail, MailError> {
        let email = self.sender.build(key, message, system_time(&self.clock))?;
        let id = self.transport.send(email).await.map_err(|e| {
            MailError::transient("the message file could not be written").with_source(e)
        })?;
        if self.mode == DevMode::FilesAndConsole {
            // The point of this mode: a developer sees the link without a mail server.
            #[expect(clippy::print_stderr, reason = "the console mode prints by design")]
            {
                eprintln!(
                    "--- mail to {} — {}\n{}\n--- kept as {}.eml",
                    message.to(),
                    message.subject(),
                    message.text(),
                    id
                );
            }
        }
        Ok(Detail::new(&format!("kept as {id}.eml")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_ids_are_stable_per_key_and_hide_it() {
        let key = IdempotencyKey::new("reset:0123abcd#2").unwrap();
        let id = message_id(&key, "example.com");
        assert_eq!(id, message_id(&key, "example.com"));
        assert!(id.starts_with('<') && id.ends_with("@example.com>"));
        assert!(!id.contains("reset"));
        let other = IdempotencyKey::new("reset:0123abcd#3").unwrap();
        assert_ne!(id, message_id(&other, "example.com"));
    }

    #[test]
    fn building_outside_a_runtime_is_an_error_not_a_panic() {
        let built = LettreMailer::builder("smtp.example.com", "security@example.com")
            .unwrap()
            .build();
        assert!(matches!(built, Err(Error::Invalid(_))));
    }

    #[tokio::test]
    async fn credentials_never_reach_debug() {
        let builder = LettreMailer::builder("smtp.example.com", "Example <security@example.com>")
            .unwrap()
            .with_credentials("mailer", "s3cr3t-password");
        assert!(!format!("{builder:?}").contains("s3cr3t"));
        let mailer = builder.build().unwrap();
        let dbg = format!("{mailer:?}");
        assert!(
            !dbg.contains("s3cr3t") && dbg.contains("smtp.example.com"),
            "{dbg}"
        );
        assert!(LettreMailer::builder("smtp.example.com", "not an address").is_err());
        assert!(
            LettreMailer::builder("h", "a@example.com")
                .unwrap()
                .with_list_unsubscribe("https://x.example/u> Bcc: evil@example.com")
                .is_err()
        );
    }

    /// The names of the headers `build` wrote, in order; `None` if the message is refused.
    fn header_names(subject: &str, text: &str) -> Option<Vec<String>> {
        let sender = Sender::new("Example <security@example.com>").unwrap();
        let key = IdempotencyKey::new("k").unwrap();
        let to = acctsec_core::Email::parse("ana@example.com").unwrap();
        let message = Message::new(MessageKind::PasswordReset, to, subject, text).ok()?;
        let email = sender
            .build(&key, &message, SystemTime::UNIX_EPOCH)
            .unwrap();
        let formatted = String::from_utf8(email.formatted()).unwrap();
        let head = formatted.split("\r\n\r\n").next().unwrap().to_owned();
        Some(
            head.split("\r\n")
                .filter(|l| !l.starts_with(' ') && !l.starts_with('\t'))
                .map(|l| l.split(':').next().unwrap().to_owned())
                .collect(),
        )
    }

    const HEADERS: [&str; 7] = [
        "From",
        "To",
        "Subject",
        "Date",
        "Message-ID",
        "MIME-Version",
        "Content-Type",
    ];

    #[test]
    fn hostile_subjects_and_bodies_add_no_header() {
        let long = "Réinitialisez votre mot de passe 🔐 — très long sujet ".repeat(12);
        let hostile = [
            "Reset: Bcc: evil@example.com",
            "x\u{2028}Bcc: evil@example.com",
            "=?utf-8?q?Bcc=3A_evil=40example=2Ecom?=",
            long.as_str(),
        ];
        for subject in hostile {
            let names = header_names(subject, "\r\nBcc: evil@example.com\r\n").unwrap();
            assert_eq!(names, HEADERS, "{subject}");
        }
        assert!(
            header_names("Hi\r\nBcc: evil@example.com", "").is_none(),
            "refused"
        );
    }

    proptest::proptest! {
        #[test]
        fn no_subject_or_body_adds_a_header(subject in "\\PC{0,300}", text in "(?s).{0,300}") {
            if let Some(names) = header_names(&subject, &text) {
                proptest::prop_assert_eq!(names, HEADERS);
            }
        }
    }
}
