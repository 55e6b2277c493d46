//! Values as the tables keep them, and back: times as UTC milliseconds, versions and ids as
//! signed 64-bit integers (refused when negative on the way back), digests as 32 bytes, kinds and
//! states as their stable codes. A row that does not read back is `Corrupt`, never a panic.

use acctsec_core::{
    Account, Actor, BindingDigest, ClientInfo, CorrelationId, Detail, DeviceDigest, Email,
    MessageKind, OperatorId, OutboxEntry, OutboxId, OutboxMessage, OutboxState, Purpose,
    SealedContent, SecurityEvent, SecurityEventKind, StoreError, StoredPasswordHash, Timestamp,
    TokenDigest, TokenRecord, UserId,
};

/// A stored value that does not read back.
#[derive(Debug, thiserror::Error)]
#[error("stored {0} does not read back")]
pub(crate) struct Unreadable(pub(crate) &'static str);

pub(crate) fn corrupt(what: &'static str) -> StoreError {
    StoreError::corrupt("a stored row does not read back", Unreadable(what))
}

/// A count, version or id for a signed column; past `i64::MAX` it is refused, never wrapped.
pub(crate) fn signed(n: u64) -> Result<i64, StoreError> {
    i64::try_from(n).map_err(|_| {
        StoreError::new(
            acctsec_core::StoreErrorKind::Other,
            "a number past what the database keeps",
        )
    })
}

pub(crate) fn unsigned(n: i64, what: &'static str) -> Result<u64, StoreError> {
    u64::try_from(n).map_err(|_| corrupt(what))
}

pub(crate) fn ms(t: Timestamp) -> i64 {
    t.as_unix_millis()
}

pub(crate) fn time(ms: i64) -> Timestamp {
    Timestamp::from_unix_millis(ms)
}

pub(crate) fn digest32(bytes: &[u8], what: &'static str) -> Result<[u8; 32], StoreError> {
    bytes.try_into().map_err(|_| corrupt(what))
}

pub(crate) fn user(text: String) -> Result<UserId, StoreError> {
    UserId::new(text).map_err(|_| corrupt("user id"))
}

pub(crate) fn email(text: &str) -> Result<Email, StoreError> {
    Email::parse(text).map_err(|_| corrupt("email address"))
}

/// A token row: digest, user, purpose, binding, issued at, expires at.
pub(crate) type TokenRow = (Vec<u8>, String, String, Vec<u8>, i64, i64);

pub(crate) fn token(row: TokenRow) -> Result<TokenRecord, StoreError> {
    let (digest, user_id, purpose, binding, issued, expires) = row;
    Ok(TokenRecord::new(
        TokenDigest::from_bytes(digest32(&digest, "token digest")?),
        user(user_id)?,
        Purpose::new(purpose).map_err(|_| corrupt("purpose"))?,
        BindingDigest::from_bytes(digest32(&binding, "binding digest")?),
        time(issued),
        time(expires),
    ))
}

/// An account row: id, email, password hash, credential version, session epoch, second factor,
/// disabled, anti-phishing phrase.
pub(crate) type AccountRow = (
    String,
    String,
    Option<String>,
    i64,
    i64,
    bool,
    bool,
    Option<String>,
);

pub(crate) fn account(row: AccountRow) -> Result<Account, StoreError> {
    let (id, address, hash, version, epoch, second_factor, disabled, phrase) = row;
    let hash = hash
        .map(StoredPasswordHash::new)
        .transpose()
        .map_err(|_| corrupt("password hash"))?;
    let mut account = Account::new(user(id)?, email(&address)?, hash);
    account.credential_version = unsigned(version, "credential version")?;
    account.session_epoch = unsigned(epoch, "session epoch")?;
    account.second_factor = second_factor;
    account.disabled = disabled;
    account.anti_phishing_phrase = phrase.map(|p| Detail::new(&p));
    Ok(account)
}

/// An event as its columns: user, kind, at, actor, operator, reason, ip, user agent, device,
/// place, detail, correlation.
pub(crate) struct EventColumns {
    pub(crate) user: String,
    pub(crate) kind: &'static str,
    pub(crate) at: i64,
    pub(crate) actor: &'static str,
    pub(crate) operator: Option<String>,
    pub(crate) reason: Option<String>,
    pub(crate) ip: Option<String>,
    pub(crate) user_agent: Option<String>,
    pub(crate) device: Option<Vec<u8>>,
    pub(crate) place: Option<String>,
    pub(crate) detail: Option<String>,
    pub(crate) correlation: Option<String>,
}

pub(crate) fn event_columns(e: &SecurityEvent) -> EventColumns {
    let (operator, reason) = match &e.actor {
        Actor::Support { operator, reason } => (
            Some(operator.as_str().to_owned()),
            Some(reason.as_str().to_owned()),
        ),
        _ => (None, None),
    };
    EventColumns {
        user: e.user.as_str().to_owned(),
        kind: e.kind.code(),
        at: ms(e.at),
        actor: e.actor.code(),
        operator,
        reason,
        ip: e.client.ip().map(|ip| ip.to_string()),
        user_agent: e.client.user_agent().map(|ua| ua.as_str().to_owned()),
        device: e.client.device().map(|d| d.as_bytes().to_vec()),
        place: e.client.place().map(|p| p.as_str().to_owned()),
        detail: e.detail.as_ref().map(|d| d.as_str().to_owned()),
        correlation: e.correlation.as_ref().map(|c| c.as_str().to_owned()),
    }
}

/// An activity row: id, then the event's columns in [`EventColumns`] order.
pub(crate) type EventRow = (
    i64,
    String,
    String,
    i64,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<Vec<u8>>,
    Option<String>,
    Option<String>,
    Option<String>,
);

pub(crate) fn event(row: EventRow) -> Result<acctsec_core::RecordedEvent, StoreError> {
    let (id, user_id, kind, at, actor, operator, reason, ip, ua, device, place, detail, corr) = row;
    let actor = match (actor.as_str(), operator, reason) {
        ("owner", None, None) => Actor::Owner,
        ("system", None, None) => Actor::System,
        ("support", Some(operator), Some(reason)) => Actor::Support {
            operator: OperatorId::new(operator).map_err(|_| corrupt("operator id"))?,
            reason: Detail::new(&reason),
        },
        _ => return Err(corrupt("actor")),
    };
    let mut client = ClientInfo::new();
    if let Some(ip) = ip {
        client = client.with_ip(ip.parse().map_err(|_| corrupt("ip address"))?);
    }
    if let Some(ua) = ua {
        client = client.with_user_agent(&ua);
    }
    if let Some(device) = device {
        client = client.with_device(DeviceDigest::from_bytes(digest32(
            &device,
            "device digest",
        )?));
    }
    if let Some(place) = place {
        client = client.with_place(&place);
    }
    let kind = SecurityEventKind::from_code(&kind).ok_or_else(|| corrupt("event kind"))?;
    let mut event = SecurityEvent::new(user(user_id)?, kind, time(at), client).with_actor(actor);
    if let Some(detail) = detail {
        event = event.with_detail(Detail::new(&detail));
    }
    if let Some(c) = corr {
        event =
            event.with_correlation(CorrelationId::new(c).map_err(|_| corrupt("correlation id"))?);
    }
    Ok(acctsec_core::RecordedEvent::new(
        acctsec_core::EventId(unsigned(id, "event id")?),
        event,
    ))
}

/// An outbox row: id, key, user, correlation, kind, recipient, content, enqueued at, attempts,
/// state, ready at, finished at, reason, last error, receipt.
pub(crate) type OutboxRow = (
    i64,
    String,
    Option<String>,
    Option<String>,
    String,
    String,
    Vec<u8>,
    i64,
    i64,
    String,
    Option<i64>,
    Option<i64>,
    Option<String>,
    Option<String>,
    Option<String>,
);

/// The columns every outbox query selects, in [`OutboxRow`] order.
pub(crate) const OUTBOX_COLUMNS: &str = "id, idem_key, user_id, correlation, kind, recipient, \
    content, enqueued_at, attempts, state, ready_at, finished_at, reason, last_error, receipt";

pub(crate) fn outbox_message(row: &OutboxRow) -> Result<OutboxMessage, StoreError> {
    let (_, key, user_id, correlation, kind, to, content, ..) = row;
    let mut message = OutboxMessage::new(
        acctsec_core::IdempotencyKey::new(key.as_str()).map_err(|_| corrupt("idempotency key"))?,
        MessageKind::from_code(kind).ok_or_else(|| corrupt("message kind"))?,
        email(to)?,
        SealedContent::new(content.clone()).map_err(|_| corrupt("sealed content"))?,
    );
    if let Some(u) = user_id {
        message = message.with_user(user(u.clone())?);
    }
    if let Some(c) = correlation {
        message = message.with_correlation(
            CorrelationId::new(c.as_str()).map_err(|_| corrupt("correlation id"))?,
        );
    }
    Ok(message)
}

pub(crate) fn outbox_entry(row: OutboxRow) -> Result<OutboxEntry, StoreError> {
    let message = outbox_message(&row)?;
    let (id, _, _, _, _, _, _, enqueued, attempts, state, ready, finished, reason, error, receipt) =
        row;
    let reason = || Detail::new(reason.as_deref().unwrap_or_default());
    let state = match (state.as_str(), ready, finished) {
        ("pending", Some(due), None) => OutboxState::Pending { due: time(due) },
        ("leased", Some(until), None) => OutboxState::Leased { until: time(until) },
        ("sent", None, Some(at)) => OutboxState::Sent { at: time(at) },
        ("delivered", None, Some(at)) => OutboxState::Delivered { at: time(at) },
        ("bounced", None, Some(at)) => OutboxState::Bounced {
            at: time(at),
            reason: reason(),
        },
        ("dead_lettered", None, Some(at)) => OutboxState::DeadLettered {
            at: time(at),
            reason: reason(),
        },
        _ => return Err(corrupt("outbox state")),
    };
    let mut entry = OutboxEntry::enqueued(
        OutboxId(unsigned(id, "outbox id")?),
        message,
        time(enqueued),
    );
    entry.attempts = u32::try_from(attempts).map_err(|_| corrupt("attempt count"))?;
    entry.state = state;
    entry.last_error = error.map(|e| Detail::new(&e));
    entry.receipt = receipt.map(|r| Detail::new(&r));
    Ok(entry)
}
