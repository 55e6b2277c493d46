-- acctsec's state, and an accounts table for hosts that have none. Times are UTC milliseconds
-- since 1970 (the whole range of a 64-bit integer); digests are 32 bytes.

CREATE TABLE acctsec_accounts (
    id TEXT PRIMARY KEY NOT NULL,
    email TEXT NOT NULL,
    email_key TEXT NOT NULL UNIQUE,
    password_hash TEXT,
    credential_version INTEGER NOT NULL,
    session_epoch INTEGER NOT NULL,
    second_factor INTEGER NOT NULL,
    disabled INTEGER NOT NULL,
    anti_phishing_phrase TEXT
);

CREATE TABLE acctsec_tokens (
    digest BLOB PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL,
    purpose TEXT NOT NULL,
    binding BLOB NOT NULL,
    issued_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX acctsec_tokens_user ON acctsec_tokens (user_id, purpose);
CREATE INDEX acctsec_tokens_expiry ON acctsec_tokens (expires_at);

CREATE TABLE acctsec_throttles (
    key TEXT PRIMARY KEY NOT NULL,
    count INTEGER NOT NULL,
    resets_at INTEGER NOT NULL,
    last_hit INTEGER NOT NULL
);
CREATE INDEX acctsec_throttles_expiry ON acctsec_throttles (resets_at);

CREATE TABLE acctsec_throttle_sets (
    key TEXT PRIMARY KEY NOT NULL,
    resets_at INTEGER NOT NULL,
    epoch INTEGER NOT NULL
);
CREATE INDEX acctsec_throttle_sets_expiry ON acctsec_throttle_sets (resets_at);

CREATE TABLE acctsec_throttle_members (
    key TEXT NOT NULL REFERENCES acctsec_throttle_sets (key) ON DELETE CASCADE,
    epoch INTEGER NOT NULL,
    member BLOB NOT NULL,
    PRIMARY KEY (key, epoch, member)
);

CREATE TABLE acctsec_activity (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    at INTEGER NOT NULL,
    actor TEXT NOT NULL,
    operator TEXT,
    reason TEXT,
    ip TEXT,
    user_agent TEXT,
    device BLOB,
    place TEXT,
    detail TEXT,
    correlation TEXT
);
CREATE INDEX acctsec_activity_user ON acctsec_activity (user_id, at, id);
CREATE INDEX acctsec_activity_at ON acctsec_activity (at, id);

CREATE TABLE acctsec_profiles (
    user_id TEXT PRIMARY KEY NOT NULL,
    version INTEGER NOT NULL,
    data BLOB NOT NULL
);

CREATE TABLE acctsec_password_history (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX acctsec_password_history_user ON acctsec_password_history (user_id, seq);

CREATE TABLE acctsec_outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    idem_key TEXT NOT NULL UNIQUE,
    user_id TEXT,
    correlation TEXT,
    kind TEXT NOT NULL,
    recipient TEXT NOT NULL,
    content BLOB NOT NULL,
    enqueued_at INTEGER NOT NULL,
    attempts INTEGER NOT NULL,
    state TEXT NOT NULL,
    ready_at INTEGER,
    finished_at INTEGER,
    reason TEXT,
    last_error TEXT,
    receipt TEXT
);
CREATE INDEX acctsec_outbox_ready ON acctsec_outbox (state, ready_at, id);
CREATE INDEX acctsec_outbox_user ON acctsec_outbox (user_id, enqueued_at, id);
CREATE INDEX acctsec_outbox_finished ON acctsec_outbox (finished_at, id);
