//! What the outbox's sealed content holds: a rendered email, or a request the worker turns into
//! one. Encoded as JSON inside the seal (the outbox never sees it).

use std::fmt;

use acctsec_core::{
    Actor, ClientInfo, Detail, Email, MAX_SEALED_BYTES, OperatorId, Timestamp, UserId,
};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::{Error, Result};

/// A reset request as the worker receives it.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct ResetJob {
    pub(crate) email: Email,
    pub(crate) requested_at: Timestamp,
    pub(crate) client: ClientInfo,
    pub(crate) actor: Actor,
    /// The request went over a throttle: the worker sends nothing.
    pub(crate) throttled: bool,
}

/// An email change as the worker receives it, with the account state it was asked under: the
/// worker sends nothing if the account has changed since (a password change ends it).
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct EmailChangeJob {
    pub(crate) user: UserId,
    pub(crate) new_email: Email,
    pub(crate) requested_at: Timestamp,
    pub(crate) client: ClientInfo,
    /// The account's credential version when the change was asked for.
    pub(crate) credential_version: u64,
}

/// The sealed content of one outbox row.
#[derive(Clone, PartialEq, Eq)]
pub(crate) enum Job {
    /// A rendered email, sent as it is.
    Mail {
        subject: String,
        text: String,
        html: String,
    },
    /// A password-reset request: the worker looks the address up, mints the link and sends it.
    Reset(ResetJob),
    /// A request to change an account's address: the worker checks the account is as it was and
    /// the address is free, mints the confirmation link and sends it to the new address.
    EmailChange(EmailChangeJob),
}

/// Names the kind of job only: its content holds links and addresses.
impl fmt::Debug for Job {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Mail { .. } => "Job::Mail(..)",
            Self::Reset(_) => "Job::Reset(..)",
            Self::EmailChange(_) => "Job::EmailChange(..)",
        })
    }
}

/// A client as the wire carries it.
#[derive(Serialize, Deserialize)]
struct ClientWire {
    ip: Option<String>,
    user_agent: Option<String>,
    place: Option<String>,
}

impl ClientWire {
    fn of(client: &ClientInfo) -> Self {
        Self {
            ip: client.ip().map(|ip| ip.to_string()),
            user_agent: client.user_agent().map(|ua| ua.as_str().to_owned()),
            place: client.place().map(|p| p.as_str().to_owned()),
        }
    }

    fn read(self) -> Result<ClientInfo> {
        let mut client = ClientInfo::new();
        if let Some(ip) = self.ip {
            client = client.with_ip(ip.parse().map_err(|_| Error::Corrupt)?);
        }
        if let Some(ua) = self.user_agent {
            client = client.with_user_agent(&ua);
        }
        if let Some(place) = self.place {
            client = client.with_place(&place);
        }
        Ok(client)
    }
}

#[derive(Serialize, Deserialize)]
#[serde(tag = "job", rename_all = "snake_case")]
enum Wire {
    Mail {
        subject: String,
        text: String,
        html: String,
    },
    Reset {
        email: String,
        requested_at_ms: i64,
        client: ClientWire,
        actor: String,
        operator: Option<String>,
        reason: Option<String>,
        throttled: bool,
    },
    EmailChange {
        user: String,
        new_email: String,
        requested_at_ms: i64,
        client: ClientWire,
        credential_version: u64,
    },
}

impl Job {
    /// The plaintext to seal; wiped when dropped.
    pub(crate) fn encode(&self) -> Result<Zeroizing<Vec<u8>>> {
        let wire = match self {
            Self::Mail {
                subject,
                text,
                html,
            } => Wire::Mail {
                subject: subject.clone(),
                text: text.clone(),
                html: html.clone(),
            },
            Self::Reset(job) => {
                let (operator, reason) = match &job.actor {
                    Actor::Support { operator, reason } => (
                        Some(operator.as_str().to_owned()),
                        Some(reason.as_str().to_owned()),
                    ),
                    _ => (None, None),
                };
                Wire::Reset {
                    email: job.email.as_str().to_owned(),
                    requested_at_ms: job.requested_at.as_unix_millis(),
                    client: ClientWire::of(&job.client),
                    actor: job.actor.code().to_owned(),
                    operator,
                    reason,
                    throttled: job.throttled,
                }
            }
            Self::EmailChange(job) => Wire::EmailChange {
                user: job.user.as_str().to_owned(),
                new_email: job.new_email.as_str().to_owned(),
                requested_at_ms: job.requested_at.as_unix_millis(),
                client: ClientWire::of(&job.client),
                credential_version: job.credential_version,
            },
        };
        let bytes = Zeroizing::new(serde_json::to_vec(&wire).map_err(|_| Error::Corrupt)?);
        if bytes.len() > MAX_SEALED_BYTES - 64 {
            return Err(Error::MessageTooLarge);
        }
        Ok(bytes)
    }

    /// Reads opened content back.
    pub(crate) fn decode(bytes: &[u8]) -> Result<Self> {
        let wire: Wire = serde_json::from_slice(bytes).map_err(|_| Error::Corrupt)?;
        Ok(match wire {
            Wire::Mail {
                subject,
                text,
                html,
            } => Self::Mail {
                subject,
                text,
                html,
            },
            Wire::Reset {
                email,
                requested_at_ms,
                client,
                actor,
                operator,
                reason,
                throttled,
            } => {
                let actor = match (actor.as_str(), operator, reason) {
                    ("owner", None, None) => Actor::Owner,
                    ("system", None, None) => Actor::System,
                    ("support", Some(operator), Some(reason)) => Actor::Support {
                        operator: OperatorId::new(operator).map_err(|_| Error::Corrupt)?,
                        reason: Detail::new(&reason),
                    },
                    _ => return Err(Error::Corrupt),
                };
                Self::Reset(ResetJob {
                    email: Email::parse(&email).map_err(|_| Error::Corrupt)?,
                    requested_at: Timestamp::from_unix_millis(requested_at_ms),
                    client: client.read()?,
                    actor,
                    throttled,
                })
            }
            Wire::EmailChange {
                user,
                new_email,
                requested_at_ms,
                client,
                credential_version,
            } => Self::EmailChange(EmailChangeJob {
                user: UserId::new(user).map_err(|_| Error::Corrupt)?,
                new_email: Email::parse(&new_email).map_err(|_| Error::Corrupt)?,
                requested_at: Timestamp::from_unix_millis(requested_at_ms),
                client: client.read()?,
                credential_version,
            }),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jobs_round_trip_and_debug_shows_only_the_kind() {
        let reset = Job::Reset(ResetJob {
            email: Email::parse("ana@example.com").unwrap(),
            requested_at: Timestamp::from_unix_millis(-1_234),
            client: ClientInfo::new()
                .with_ip("2001:db8::1".parse().unwrap())
                .with_user_agent("curl/8")
                .with_place("Porto, Portugal"),
            actor: Actor::Support {
                operator: OperatorId::new("op-1").unwrap(),
                reason: Detail::new("ticket 7"),
            },
            throttled: true,
        });
        let mail = Job::Mail {
            subject: "s".into(),
            text: "https://example.com/reset?token=SECRET".into(),
            html: "<p>h</p>".into(),
        };
        let change = Job::EmailChange(EmailChangeJob {
            user: UserId::from(7_u64),
            new_email: Email::parse("new@example.com").unwrap(),
            requested_at: Timestamp::from_unix_secs(5),
            client: ClientInfo::new(),
            credential_version: 3,
        });
        for job in [reset, mail, change] {
            assert_eq!(Job::decode(&job.encode().unwrap()).unwrap(), job);
            let dbg = format!("{job:?}");
            assert!(!dbg.contains("SECRET") && !dbg.contains('@'), "{dbg}");
        }
        assert!(matches!(Job::decode(b"{}"), Err(Error::Corrupt)));
    }
}
