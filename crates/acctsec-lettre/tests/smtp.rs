//! `LettreMailer` against a real SMTP server on loopback (mailin-embedded): what the server
//! received, how its refusals are classified, and the outbox worker riding out a server that is
//! down and comes back.

#![allow(clippy::unwrap_used, clippy::panic, missing_docs)]

use std::net::{IpAddr, TcpListener};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use acctsec::core::{
    Account, ClientInfo, Email, IdempotencyKey, MailErrorKind, Mailer, Message, MessageKind,
    Timestamp, UserId,
};
use acctsec::token::{BindingKey, KeyRing, SigningKey, Tokens};
use acctsec::{Config, Flows, MailSeal, OutboxWorker, WorkerSettings};
use acctsec_lettre::{LettreMailer, Security};
use acctsec_testkit::{ManualClock, MemoryStore};
use mailin_embedded::response::{self, Response};
use mailin_embedded::{Handler, Server};
use mailparse::MailHeaderMap;

/// How the test server answers the recipient.
#[derive(Clone, Copy)]
enum Answer {
    Accept,
    TryLater,
    Refuse,
}

/// What the server received: each message's raw bytes.
#[derive(Clone)]
struct Inbox {
    messages: Arc<Mutex<Vec<Vec<u8>>>>,
    current: Arc<Mutex<Vec<u8>>>,
    answer: Answer,
}

impl Handler for Inbox {
    fn rcpt(&mut self, _to: &str) -> Response {
        match self.answer {
            Answer::Accept => response::OK,
            Answer::TryLater => Response::custom(451, "4.3.0 Try again later".to_owned()),
            Answer::Refuse => response::NO_MAILBOX,
        }
    }

    fn data_start(
        &mut self,
        _domain: &str,
        _from: &str,
        _is8bit: bool,
        _to: &[String],
    ) -> Response {
        self.current.lock().unwrap().clear();
        response::OK
    }

    fn data(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.current.lock().unwrap().extend_from_slice(buf);
        Ok(())
    }

    fn data_end(&mut self) -> Response {
        let message = std::mem::take(&mut *self.current.lock().unwrap());
        self.messages.lock().unwrap().push(message);
        Response::custom(250, "2.0.0 Ok: queued as 7F3A".to_owned())
    }

    fn helo(&mut self, _ip: IpAddr, _domain: &str) -> Response {
        response::OK
    }

    fn auth_plain(&mut self, _authz: &str, user: &str, password: &str) -> Response {
        if (user, password) == ("mailer", "correct horse") {
            response::AUTH_OK
        } else {
            response::INVALID_CREDENTIALS
        }
    }
}

/// A free port on loopback (bound and released).
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Serves SMTP on `port` in a thread of its own, answering `answer`; returns what it receives.
fn serve(port: u16, answer: Answer) -> Arc<Mutex<Vec<Vec<u8>>>> {
    serve_with(port, answer, None)
}

/// As [`serve`], offering STARTTLS with the certificate and key at `tls` and requiring PLAIN
/// authentication.
fn serve_with(
    port: u16,
    answer: Answer,
    tls: Option<(String, String)>,
) -> Arc<Mutex<Vec<Vec<u8>>>> {
    let messages: Arc<Mutex<Vec<Vec<u8>>>> = Arc::default();
    let inbox = Inbox {
        messages: Arc::clone(&messages),
        current: Arc::default(),
        answer,
    };
    let listener = TcpListener::bind(("127.0.0.1", port)).unwrap();
    std::thread::spawn(move || {
        let mut server = Server::new(inbox);
        server.with_name("mx.test").with_tcp_listener(listener);
        if let Some((cert_path, key_path)) = tls {
            server
                .with_ssl(mailin_embedded::SslConfig::SelfSigned {
                    cert_path,
                    key_path,
                })
                .unwrap()
                .with_auth(mailin_embedded::AuthMechanism::Plain);
        }
        let _ = server.serve();
    });
    messages
}

fn mailer(port: u16) -> LettreMailer<ManualClock> {
    LettreMailer::builder("127.0.0.1", "Example Security <security@example.com>")
        .unwrap()
        .with_security(Security::InsecurePlaintext)
        .with_port(port)
        .with_timeout(Duration::from_secs(5))
        .with_reply_to("support@example.com")
        .unwrap()
        .build_with_clock(ManualClock::new(Timestamp::from_unix_secs(1_800_000_000)))
        .unwrap()
}

const LINK: &str = "https://example.com/account/reset?token=AeWnZWgOcGFzc3dvcmRfcmVzZXQBMQAAAaMYXFAAAA27oNinROj4NDupATCxa0TKRvdlT2W8ww6WZrdi3PyouOKmEXQeeVrZi9DeO9z1m50eh3nD9U7HSqbgZ6Ce5hk5BNA9SanVmB1LkbFiRu8WITc5==";

fn reset_message() -> Message {
    Message::new(
        MessageKind::PasswordReset,
        Email::parse("ana@example.com").unwrap(),
        "Réinitialisez votre mot de passe — Example",
        format!("Ouvrez ce lien dans les 15 minutes :\n\n{LINK}\n\nSi ce n'était pas vous, ignorez cet e-mail."),
    )
    .unwrap()
    .with_html(format!("<p>Ouvrez <a href=\"{LINK}\">ce lien</a>.</p>"))
    .unwrap()
}

#[tokio::test]
async fn the_server_receives_both_parts_the_headers_and_the_link_intact() {
    let port = free_port();
    let inbox = serve(port, Answer::Accept);
    let mailer = mailer(port);
    let key = IdempotencyKey::new("reset:0123#1").unwrap();
    let receipt = mailer.send(&key, &reset_message()).await.unwrap();
    assert_eq!(receipt.as_str(), "250 2.0.0 Ok: queued as 7F3A");
    // A retry of the same message: the same Message-ID.
    mailer.send(&key, &reset_message()).await.unwrap();
    let received = inbox.lock().unwrap().clone();
    assert_eq!(received.len(), 2);
    let mut ids = Vec::new();
    for raw in &received {
        let mail = mailparse::parse_mail(raw).unwrap();
        let headers = mail.get_headers();
        assert_eq!(
            headers.get_first_value("Subject").unwrap(),
            "Réinitialisez votre mot de passe — Example"
        );
        assert_eq!(
            headers.get_first_value("From").unwrap(),
            "\"Example Security\" <security@example.com>"
        );
        assert_eq!(headers.get_first_value("To").unwrap(), "ana@example.com");
        assert_eq!(
            headers.get_first_value("Reply-To").unwrap(),
            "support@example.com"
        );
        assert!(
            headers
                .get_first_value("Date")
                .unwrap()
                .contains("15 Jan 2027")
        );
        assert!(
            headers.get_first_value("List-Unsubscribe").is_none(),
            "never on a reset link"
        );
        ids.push(headers.get_first_value("Message-ID").unwrap());
        assert_eq!(mail.ctype.mimetype, "multipart/alternative");
        let parts: Vec<_> = mail
            .subparts
            .iter()
            .map(|p| (p.ctype.mimetype.clone(), p.get_body().unwrap()))
            .collect();
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0].0, "text/plain");
        assert!(
            parts[0].1.contains(LINK),
            "the link survives the transfer encoding:\n{}",
            parts[0].1
        );
        assert!(parts[0].1.contains("Si ce n'était pas vous"));
        assert_eq!(parts[1].0, "text/html");
        assert!(parts[1].1.contains(&format!("href=\"{LINK}\"")));
    }
    assert_eq!(ids[0], ids[1], "a retry keeps its Message-ID");
    assert!(ids[0].ends_with("@example.com>"));
}

#[tokio::test]
async fn a_4xx_reply_and_a_refused_connection_are_transient_a_5xx_permanent() {
    let key = IdempotencyKey::new("k").unwrap();
    let later = free_port();
    serve(later, Answer::TryLater);
    let e = mailer(later)
        .send(&key, &reset_message())
        .await
        .unwrap_err();
    assert_eq!(e.kind(), MailErrorKind::Transient, "{e}");
    let refuse = free_port();
    serve(refuse, Answer::Refuse);
    let e = mailer(refuse)
        .send(&key, &reset_message())
        .await
        .unwrap_err();
    assert_eq!(e.kind(), MailErrorKind::Permanent, "{e}");
    let nobody = free_port();
    let e = mailer(nobody)
        .send(&key, &reset_message())
        .await
        .unwrap_err();
    assert_eq!(e.kind(), MailErrorKind::Transient, "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_is_down_then_back_receives_every_message_exactly_once() {
    let store = MemoryStore::new();
    for i in 1..=5_u64 {
        let account = Account::new(
            UserId::from(i),
            Email::parse(&format!("user{i}@example.com")).unwrap(),
            None,
        );
        store.insert_account(account).unwrap();
    }
    let clock = ManualClock::new(Timestamp::from_unix_secs(1_800_000_000));
    let tokens = Tokens::builder(
        KeyRing::new(SigningKey::from_bytes(&[0x5e; 32]).unwrap()),
        BindingKey::from_bytes(&[0x3c; 32]).unwrap(),
    )
    .with_max_lifetime(acctsec::DEFAULT_EMAIL_UNDO_TTL)
    .build()
    .unwrap();
    let config = Config::builder("https://example.com/account")
        .build()
        .unwrap();
    let flows = Arc::new(
        Flows::builder(
            store.clone(),
            store,
            tokens,
            MailSeal::from_bytes(&[7; 32]).unwrap(),
            config,
        )
        .with_clock(clock.clone())
        .build()
        .unwrap(),
    );
    let port = free_port();
    let worker =
        OutboxWorker::new(Arc::clone(&flows), mailer(port), WorkerSettings::default()).unwrap();
    for i in 1..=5 {
        let address = Email::parse(&format!("user{i}@example.com")).unwrap();
        flows
            .request_password_reset(&address, &ClientInfo::new())
            .await
            .unwrap();
    }
    // Down: every message fails, transiently, and is scheduled again.
    let pass = worker.run_once().await.unwrap();
    assert_eq!(
        (pass.claimed, pass.retried, pass.sent),
        (5, 5, 0),
        "{pass:?}"
    );
    // Back: the retries go through, once each.
    let inbox = serve(port, Answer::Accept);
    for _ in 0..30 {
        clock.advance(Duration::from_secs(120));
        worker.run_once().await.unwrap();
    }
    let received = inbox.lock().unwrap().clone();
    let mut recipients: Vec<String> = received
        .iter()
        .map(|raw| {
            mailparse::parse_mail(raw)
                .unwrap()
                .get_headers()
                .get_first_value("To")
                .unwrap()
        })
        .collect();
    recipients.sort();
    let expected: Vec<String> = (1..=5).map(|i| format!("user{i}@example.com")).collect();
    assert_eq!(recipients, expected, "each message exactly once");
}

#[tokio::test]
async fn the_dev_mailer_keeps_each_message_as_a_file() {
    let dir = std::env::temp_dir().join(format!("acctsec-dev-mail-{}", std::process::id()));
    let mailer = acctsec_lettre::DevMailer::new(
        &dir,
        "security@example.com",
        acctsec_lettre::DevMode::Files,
    )
    .unwrap();
    let receipt = mailer
        .send(&IdempotencyKey::new("dev-1").unwrap(), &reset_message())
        .await
        .unwrap();
    let name = receipt.as_str().strip_prefix("kept as ").unwrap();
    let raw = std::fs::read(dir.join(name)).unwrap();
    let mail = mailparse::parse_mail(&raw).unwrap();
    assert!(mail.subparts[0].get_body().unwrap().contains(LINK));
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A self-signed certificate for `localhost`, made by the `openssl` command into `dir`.
fn certificate(dir: &std::path::Path) -> (String, String) {
    std::fs::create_dir_all(dir).unwrap();
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    let made = std::process::Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=localhost",
        ])
        .args(["-addext", "subjectAltName=DNS:localhost", "-keyout"])
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .expect("the openssl command makes the test's certificate");
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    (cert.display().to_string(), key.display().to_string())
}

#[tokio::test]
async fn starttls_and_authentication_against_a_server_that_requires_them() {
    let dir = std::env::temp_dir().join(format!("acctsec-smtp-tls-{}", std::process::id()));
    let (cert, key) = certificate(&dir);
    let pem = std::fs::read(&cert).unwrap();
    let port = free_port();
    let inbox = serve_with(port, Answer::Accept, Some((cert, key)));
    let mailer = |password: &str| {
        LettreMailer::builder("localhost", "security@example.com")
            .unwrap()
            .with_security(Security::StartTls)
            .with_port(port)
            .with_root_certificate(&pem)
            .with_credentials("mailer", password)
            .with_timeout(Duration::from_secs(5))
            .build()
            .unwrap()
    };
    let key = IdempotencyKey::new("tls-1").unwrap();
    mailer("correct horse")
        .send(&key, &reset_message())
        .await
        .unwrap();
    assert_eq!(inbox.lock().unwrap().len(), 1);
    let refused = mailer("wrong")
        .send(&key, &reset_message())
        .await
        .unwrap_err();
    assert_eq!(refused.kind(), MailErrorKind::Permanent, "{refused}");
    assert_eq!(inbox.lock().unwrap().len(), 1);
    std::fs::remove_dir_all(&dir).unwrap();
}
