//! Signed, expiring, purpose-bound tokens: [`Tokens::issue`] and [`Tokens::verify`].

use std::fmt;
use std::time::Duration;

use acctsec_core::rng::TryCryptoRng;
use acctsec_core::{
    Account, BindingDigest, MAX_PURPOSE_BYTES, MAX_USER_ID_BYTES, Purpose, Timestamp, TokenDigest,
    TokenRecord, UserId,
};
use hmac::Mac;
use sha2::{Digest, Sha256};
use zeroize::{Zeroize, Zeroizing};

use crate::b64;
use crate::key::{HmacSha256, KeyId, KeyRing, derived_mac, finalize_into, mac_parts};
use crate::{Error, Result};

/// The token format version this crate writes and reads.
pub const TOKEN_VERSION: u8 = 1;
/// The longest lifetime any configuration may allow: a week. Reset links and codes need minutes;
/// longer-lived purposes (an invitation) still should not outlive a key rotation period.
pub const MAX_LIFETIME_CEILING: Duration = Duration::from_secs(7 * 24 * 3600);
/// The default longest lifetime of a token: one hour. Reset links should live minutes, not days
/// (OWASP Forgot Password Cheat Sheet); flows ask for less, see [`DEFAULT_RESET_TTL`].
pub const DEFAULT_MAX_LIFETIME: Duration = Duration::from_secs(3600);
/// The lifetime the flows give a password-reset link: 15 minutes.
pub const DEFAULT_RESET_TTL: Duration = Duration::from_secs(15 * 60);
/// The default allowance for clock skew between servers: 5 seconds. Servers kept in time by NTP
/// agree within milliseconds; the leeway covers a fleet whose clocks drift a little.
pub const DEFAULT_LEEWAY: Duration = Duration::from_secs(5);
/// The largest leeway any configuration may allow.
pub const MAX_LEEWAY: Duration = Duration::from_secs(300);

const NONCE_BYTES: usize = 16;
const BINDING_BYTES: usize = 32;
const TAG_BYTES: usize = 32;
/// Bytes of a token before encoding, besides its purpose and subject.
const FIXED_BYTES: usize = 1 + 4 + 1 + 1 + 8 + 4 + NONCE_BYTES + BINDING_BYTES + TAG_BYTES;
const MAX_RAW_BYTES: usize = FIXED_BYTES + MAX_PURPOSE_BYTES + MAX_USER_ID_BYTES;
const MIN_RAW_BYTES: usize = FIXED_BYTES + 2;

/// The longest token text [`Tokens::verify`] decodes (longer input is rejected before any
/// decoding): a token with the longest purpose and subject.
pub const MAX_TOKEN_CHARS: usize = b64::encoded_len(MAX_RAW_BYTES);

/// A token as text: URL-safe base64 without padding. It is a bearer credential: it is wiped from
/// memory when dropped and `Debug` prints none of it. Show it only where it must go — in the link
/// of an email.
#[derive(Clone)]
pub struct Token(Zeroizing<String>);

impl Token {
    /// The text, to put in a link.
    #[must_use]
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(..)")
    }
}

/// What a valid token says.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Claims {
    /// The key that signed it.
    pub key_id: KeyId,
    /// What it is for.
    pub purpose: Purpose,
    /// Whose it is.
    pub subject: UserId,
    /// When it was issued.
    pub issued_at: Timestamp,
    /// The first instant (before leeway) at which it is no longer valid.
    pub expires_at: Timestamp,
}

/// A newly issued token and what it says.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct IssuedToken {
    /// The token, for the link.
    pub token: Token,
    /// Its claims.
    pub claims: Claims,
    binding: BindingDigest,
}

impl IssuedToken {
    /// The digest to store instead of the token (see [`digest`]).
    #[must_use]
    pub fn digest(&self) -> TokenDigest {
        // An issued token is never longer than the bound.
        digest_within_bounds(self.token.expose())
    }

    /// The record to [insert](acctsec_core::TokenStore::insert) into the host's token store: the
    /// token's digest (never the token), its subject, purpose, binding and times. Taking it back
    /// by digest when the token returns is what makes the token single use.
    #[must_use]
    pub fn record(&self) -> TokenRecord {
        TokenRecord::new(
            self.digest(),
            self.claims.subject.clone(),
            self.claims.purpose.clone(),
            self.binding,
            self.claims.issued_at,
            self.claims.expires_at,
        )
    }
}

/// Why a token was refused. Its `Display` is the same generic sentence whatever the reason
/// ([`PUBLIC_MESSAGE`](Self::PUBLIC_MESSAGE)), so showing an error to a person reveals nothing;
/// log the [`code`](Self::code) (or `Debug`) to tell reasons apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Rejection {
    /// Not a token of this format: wrong length, not canonical base64, bad structure.
    Malformed,
    /// Signed by a key the ring does not accept (unknown, or retired).
    UnknownKey,
    /// The tag does not match: the token was altered or forged.
    BadTag,
    /// Issued for another purpose.
    WrongPurpose,
    /// The account changed since the token was issued (password, email, …).
    BindingMismatch,
    /// Past its expiry (plus leeway), or its lifetime exceeds the configured maximum.
    Expired,
    /// Issued in the future (beyond the leeway).
    NotYetValid,
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(Self::PUBLIC_MESSAGE)
    }
}

impl std::error::Error for Rejection {}

impl Rejection {
    /// One message for people, whatever the reason, so a refused link reveals nothing.
    pub const PUBLIC_MESSAGE: &'static str = "This link is invalid or has expired.";

    /// A stable code for logs and metrics.
    #[must_use]
    pub const fn code(self) -> &'static str {
        match self {
            Self::Malformed => "malformed",
            Self::UnknownKey => "unknown_key",
            Self::BadTag => "bad_tag",
            Self::WrongPurpose => "wrong_purpose",
            Self::BindingMismatch => "binding_mismatch",
            Self::Expired => "expired",
            Self::NotYetValid => "not_yet_valid",
        }
    }
}

/// The key of account-state bindings, long-lived and separate from the signing keys.
///
/// A binding travels inside the token, so it is keyed: someone holding a leaked link can't test
/// guesses of the account's email against it. It is separate from the signing keys so rotating
/// those leaves bindings unchanged; replacing the binding key invalidates every outstanding token,
/// as a password change does for one account.
#[derive(Clone)]
pub struct BindingKey(Box<HmacSha256>);

impl BindingKey {
    /// A binding key from secret bytes (at least [`MIN_KEY_BYTES`](crate::MIN_KEY_BYTES)).
    ///
    /// # Errors
    ///
    /// [`Error::KeyTooShort`] or [`Error::KeyTooLong`].
    pub fn from_bytes(secret: &[u8]) -> Result<Self> {
        Ok(Self(derived_mac(secret, b"acctsec-token/v1/binding")?))
    }

    /// The binding of `subject`'s account state: a keyed digest over the subject and each part,
    /// length-prefixed so parts can't run into each other. Bind reset tokens to at least the
    /// credential version and the normalised email, so they die when either changes.
    ///
    /// ```
    /// use acctsec_core::UserId;
    /// use acctsec_token::BindingKey;
    ///
    /// let key = BindingKey::from_bytes(&[9; 32])?;
    /// let ana = UserId::from(7_u64);
    /// let before = key.bind(&ana, &[&3_u64.to_be_bytes(), b"ana@example.com"]);
    /// let after = key.bind(&ana, &[&4_u64.to_be_bytes(), b"ana@example.com"]);
    /// assert_ne!(before, after);
    /// assert_ne!(before, key.bind(&UserId::from(8_u64), &[&3_u64.to_be_bytes(), b"ana@example.com"]));
    /// # Ok::<(), acctsec_token::Error>(())
    /// ```
    #[must_use]
    pub fn bind(&self, subject: &UserId, parts: &[&[u8]]) -> BindingDigest {
        BindingDigest::from_bytes(mac_parts(
            &self.0,
            std::iter::once(subject.as_str().as_bytes()).chain(parts.iter().copied()),
        ))
    }

    /// The binding of an account as it is now: its id, credential version and normalised email.
    /// A reset link bound with it dies when the password changes (the host bumps the credential
    /// version) or the email changes to another address.
    #[must_use]
    pub fn bind_account(&self, account: &Account) -> BindingDigest {
        self.bind(
            &account.id,
            &[
                &account.credential_version.to_be_bytes(),
                account.email.normalized().as_bytes(),
            ],
        )
    }
}

impl fmt::Debug for BindingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("BindingKey(..)")
    }
}

/// The digest a store keeps instead of a token: SHA-256 over a label and the token text. Tokens
/// carry 128 random bits and a 256-bit tag, so the digest can't be turned back into a token,
/// and a leaked database holds no usable link.
///
/// Text longer than [`MAX_TOKEN_CHARS`] can't be a token and gets no digest (`None`), so
/// whatever a client sends is hashed only up to that bound.
///
/// ```
/// use acctsec_token::{MAX_TOKEN_CHARS, digest};
///
/// assert!(digest("a token's text").is_some());
/// assert_eq!(digest(&"A".repeat(MAX_TOKEN_CHARS + 1)), None);
/// ```
#[must_use]
pub fn digest(token: &str) -> Option<TokenDigest> {
    (token.len() <= MAX_TOKEN_CHARS).then(|| digest_within_bounds(token))
}

fn digest_within_bounds(token: &str) -> TokenDigest {
    let mut h = Sha256::new();
    h.update(b"acctsec-token/v1/digest");
    h.update(token.as_bytes());
    TokenDigest::from_bytes(h.finalize().into())
}

/// Issues and verifies tokens with a [`KeyRing`] and a [`BindingKey`].
///
/// A token is URL-safe base64 (no padding) of:
///
/// | bytes | field |
/// |---|---|
/// | 1 | format version (1) |
/// | 4 | key id |
/// | 1 + n | purpose (n ≤ 32) |
/// | 1 + n | subject (n ≤ 128) |
/// | 8 | issued at, milliseconds since the Unix epoch |
/// | 4 | lifetime in milliseconds |
/// | 16 | random nonce |
/// | 32 | the binding (a keyed digest of the account state) |
/// | 32 | HMAC-SHA256 tag over everything before it, under a key derived from the signing key |
///
/// A reset token (purpose `password_reset`, a ten-digit user id) is 123 bytes, **164
/// characters**; the longest possible token is [`MAX_TOKEN_CHARS`].
///
/// Validity: a token is valid while `issued_at - leeway <= now < expires_at + leeway`, where
/// `expires_at = issued_at + lifetime`: the expiry boundary is **exclusive**. A store's record of
/// the token expires at `expires_at` itself, so single-use flows give no leeway at expiry.
///
/// Verifying in two steps — [`open`](Self::open) checks the tag, purpose and time and gives the
/// authenticated subject; [`Opened::check_binding`] then compares the binding of that subject's
/// current account state — lets a flow look the account up between them.
/// [`verify`](Self::verify) does both when the binding is known in advance.
///
/// ```
/// use acctsec_core::{Purpose, Timestamp, UserId, rng::SystemRng};
/// use acctsec_token::{BindingKey, DEFAULT_RESET_TTL, KeyRing, Rejection, SigningKey, Tokens};
///
/// let tokens = Tokens::new(
///     KeyRing::new(SigningKey::generate(&mut SystemRng)?),
///     BindingKey::from_bytes(&[0x3c; 32])?,
/// );
/// let ana = UserId::from(7_u64);
/// let state = |version: u64| tokens.binding_key().bind(&ana, &[&version.to_be_bytes(), b"ana@example.com"]);
/// let now = Timestamp::from_unix_secs(1_800_000_000);
/// let issued = tokens.issue(&Purpose::PASSWORD_RESET, &ana, &state(1), DEFAULT_RESET_TTL, now, &mut SystemRng)?;
/// let token = issued.token.expose();
///
/// // The link comes back: check the tag, then the binding of that subject's account.
/// let opened = tokens.open(token, &Purpose::PASSWORD_RESET, now)?;
/// assert_eq!(opened.claims().subject, ana);
/// let claims = opened.check_binding(&state(1))?;
///
/// // After the password changed, the same link is refused, with one message for people.
/// let err = tokens.verify(token, &Purpose::PASSWORD_RESET, &state(2), now).unwrap_err();
/// assert_eq!(err, Rejection::BindingMismatch);
/// assert_eq!(err.to_string(), Rejection::PUBLIC_MESSAGE);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct Tokens {
    ring: KeyRing,
    binding_key: BindingKey,
    max_lifetime: Duration,
    leeway: Duration,
}

/// Builds a [`Tokens`] with non-default settings.
#[derive(Debug, Clone)]
#[must_use]
pub struct TokensBuilder {
    tokens: Tokens,
}

impl TokensBuilder {
    /// The longest lifetime `issue` grants and `verify` accepts (default
    /// [`DEFAULT_MAX_LIFETIME`], at most [`MAX_LIFETIME_CEILING`]). Lowering it also refuses
    /// tokens already issued with a longer lifetime, at any time, as
    /// [`Rejection::Expired`].
    pub fn with_max_lifetime(mut self, max_lifetime: Duration) -> Self {
        self.tokens.max_lifetime = max_lifetime;
        self
    }

    /// The allowance for clock skew (default [`DEFAULT_LEEWAY`], at most [`MAX_LEEWAY`], in
    /// whole milliseconds as token times are).
    pub fn with_leeway(mut self, leeway: Duration) -> Self {
        self.tokens.leeway = leeway;
        self
    }

    /// Checks the settings.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidLifetime`] if the maximum lifetime is zero, not whole milliseconds, or over
    /// the ceiling; [`Error::InvalidLeeway`] if the leeway is over [`MAX_LEEWAY`] or not whole
    /// milliseconds (the documented boundaries would not hold: times are whole milliseconds).
    pub fn build(self) -> Result<Tokens> {
        if !is_valid_lifetime(self.tokens.max_lifetime, MAX_LIFETIME_CEILING) {
            return Err(Error::InvalidLifetime);
        }
        if self.tokens.leeway > MAX_LEEWAY || !whole_millis(self.tokens.leeway) {
            return Err(Error::InvalidLeeway);
        }
        Ok(self.tokens)
    }
}

/// Whether `lifetime` is positive, whole milliseconds and at most `max`.
pub(crate) fn is_valid_lifetime(lifetime: Duration, max: Duration) -> bool {
    !lifetime.is_zero() && lifetime <= max && whole_millis(lifetime)
}

/// Whether `d` is whole milliseconds.
fn whole_millis(d: Duration) -> bool {
    d.subsec_nanos().is_multiple_of(1_000_000)
}

/// A fixed buffer for a token's bytes that wipes what was written into it when dropped.
struct Scratch {
    buf: [u8; MAX_RAW_BYTES],
    len: usize,
}

impl Scratch {
    fn new() -> Self {
        Self {
            buf: [0; MAX_RAW_BYTES],
            len: 0,
        }
    }

    /// Appends `bytes`; running out of room is an error (the bounds of purposes and subjects make
    /// it impossible, and it must never go unnoticed).
    fn put(&mut self, bytes: &[u8]) -> Result<()> {
        let end = self.len + bytes.len();
        self.buf
            .get_mut(self.len..end)
            .ok_or(Error::Encoding)?
            .copy_from_slice(bytes);
        self.len = end;
        Ok(())
    }

    fn put_with_len(&mut self, bytes: &[u8]) -> Result<()> {
        self.put(&[u8::try_from(bytes.len()).map_err(|_| Error::Encoding)?])?;
        self.put(bytes)
    }

    /// Reserves `n` bytes and returns them to be filled in place.
    fn reserve(&mut self, n: usize) -> Result<&mut [u8]> {
        let start = self.len;
        let end = start.checked_add(n).ok_or(Error::Encoding)?;
        let reserved = self.buf.get_mut(start..end).ok_or(Error::Encoding)?;
        // Only moved once the bytes exist, so Drop always finds what was written.
        self.len = end;
        Ok(reserved)
    }

    fn written(&self) -> &[u8] {
        self.buf.get(..self.len).unwrap_or_default()
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if let Some(used) = self.buf.get_mut(..self.len) {
            used.zeroize();
        }
    }
}

/// A token's fields, borrowed from its decoded bytes.
struct Parsed<'a> {
    key_id: KeyId,
    purpose: &'a [u8],
    subject: &'a [u8],
    issued_at: i64,
    lifetime_ms: u32,
    binding: &'a [u8],
    signed: &'a [u8],
    tag: &'a [u8; TAG_BYTES],
}

/// Splits `n` bytes off the front of `rest`.
fn take<'a>(rest: &mut &'a [u8], n: usize) -> Option<&'a [u8]> {
    let (head, tail) = rest.split_at_checked(n)?;
    *rest = tail;
    Some(head)
}

fn take_array<const N: usize>(rest: &mut &[u8]) -> Option<[u8; N]> {
    take(rest, N)?.try_into().ok()
}

fn parse(raw: &[u8]) -> Option<Parsed<'_>> {
    let (signed, tag) = raw.split_last_chunk::<TAG_BYTES>()?;
    let mut rest = signed;
    let [version] = take_array::<1>(&mut rest)?;
    if version != TOKEN_VERSION {
        return None;
    }
    let key_id = KeyId(u32::from_be_bytes(take_array(&mut rest)?));
    let [purpose_len] = take_array::<1>(&mut rest)?;
    let purpose = take(&mut rest, usize::from(purpose_len))?;
    let [subject_len] = take_array::<1>(&mut rest)?;
    let subject = take(&mut rest, usize::from(subject_len))?;
    let issued_at = i64::from_be_bytes(take_array(&mut rest)?);
    let lifetime_ms = u32::from_be_bytes(take_array(&mut rest)?);
    take(&mut rest, NONCE_BYTES)?;
    let binding = take(&mut rest, BINDING_BYTES)?;
    rest.is_empty().then_some(Parsed {
        key_id,
        purpose,
        subject,
        issued_at,
        lifetime_ms,
        binding,
        signed,
        tag,
    })
}

/// A token whose tag, purpose and time checked out, awaiting the binding check.
#[derive(Debug)]
#[must_use = "a token is accepted only after `check_binding`"]
pub struct Opened {
    claims: Claims,
    binding: BindingDigest,
}

impl Opened {
    /// The authenticated claims, to look up the subject's account.
    pub const fn claims(&self) -> &Claims {
        &self.claims
    }

    /// Accepts the token if `current` — the binding of the subject's account state now — equals
    /// the one it was issued with (compared in constant time).
    ///
    /// # Errors
    ///
    /// [`Rejection::BindingMismatch`] if the account changed since.
    pub fn check_binding(self, current: &BindingDigest) -> Result<Claims, Rejection> {
        // Digest equality is constant-time.
        if self.binding == *current {
            Ok(self.claims)
        } else {
            Err(Rejection::BindingMismatch)
        }
    }
}

impl Tokens {
    /// Tokens with the default settings ([`DEFAULT_MAX_LIFETIME`], [`DEFAULT_LEEWAY`]).
    #[must_use]
    pub fn new(ring: KeyRing, binding_key: BindingKey) -> Self {
        Self {
            ring,
            binding_key,
            max_lifetime: DEFAULT_MAX_LIFETIME,
            leeway: DEFAULT_LEEWAY,
        }
    }

    /// Starts building tokens with non-default settings.
    pub fn builder(ring: KeyRing, binding_key: BindingKey) -> TokensBuilder {
        TokensBuilder {
            tokens: Self::new(ring, binding_key),
        }
    }

    /// The key ring, to rotate or retire keys.
    pub fn ring_mut(&mut self) -> &mut KeyRing {
        &mut self.ring
    }

    /// The longest lifetime a token may have: [`issue`](Self::issue) refuses longer ones and
    /// [`open`](Self::open) rejects them.
    #[must_use]
    pub const fn max_lifetime(&self) -> Duration {
        self.max_lifetime
    }

    /// The binding key, to compute bindings with [`BindingKey::bind`].
    #[must_use]
    pub const fn binding_key(&self) -> &BindingKey {
        &self.binding_key
    }

    /// Issues a token for `purpose` and `subject`, bound to `binding`, valid for `ttl` from `now`,
    /// signed with the ring's active key.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidLifetime`] if `ttl` is zero, not whole milliseconds, or longer than the
    /// maximum lifetime; [`Error::TimeOutOfRange`] if `now` is so late that the token's expiry
    /// plus [`MAX_LEEWAY`] is past the latest time there is; [`Error::Randomness`] if the
    /// generator failed.
    pub fn issue<R: TryCryptoRng + ?Sized>(
        &self,
        purpose: &Purpose,
        subject: &UserId,
        binding: &BindingDigest,
        ttl: Duration,
        now: Timestamp,
        rng: &mut R,
    ) -> Result<IssuedToken> {
        if !is_valid_lifetime(ttl, self.max_lifetime) {
            return Err(Error::InvalidLifetime);
        }
        let lifetime_ms = u32::try_from(ttl.as_millis()).map_err(|_| Error::InvalidLifetime)?;
        // Expiry must not saturate, nor expiry plus leeway: a token's stated expiry is its issue
        // time plus its lifetime, and one that saturated would be expired as soon as issued.
        let expires_at = now
            .checked_add(ttl)
            .filter(|expiry| expiry.checked_add(MAX_LEEWAY).is_some())
            .ok_or(Error::TimeOutOfRange)?;
        let key = self.ring.active();
        let mut raw = Scratch::new();
        raw.put(&[TOKEN_VERSION])?;
        raw.put(&key.id().get().to_be_bytes())?;
        raw.put_with_len(purpose.as_str().as_bytes())?;
        raw.put_with_len(subject.as_str().as_bytes())?;
        raw.put(&now.as_unix_millis().to_be_bytes())?;
        raw.put(&lifetime_ms.to_be_bytes())?;
        rng.try_fill_bytes(raw.reserve(NONCE_BYTES)?)
            .map_err(|_| Error::Randomness)?;
        raw.put(binding.as_bytes())?;
        let mut mac = key.mac();
        mac.update(raw.written());
        let tag = raw.reserve(TAG_BYTES)?;
        finalize_into(mac, tag.try_into().map_err(|_| Error::Encoding)?);

        Ok(IssuedToken {
            token: Token(Zeroizing::new(b64::encode(raw.written()))),
            claims: Claims {
                key_id: key.id(),
                purpose: purpose.clone(),
                subject: subject.clone(),
                issued_at: now,
                expires_at,
            },
            binding: *binding,
        })
    }

    /// Checks `token`'s length (before decoding), canonical base64, structure, key, tag (constant
    /// time), purpose and time, and returns its authenticated claims for the binding check.
    ///
    /// # Errors
    ///
    /// The [`Rejection`] saying why the token is refused.
    pub fn open(
        &self,
        token: &str,
        expected_purpose: &Purpose,
        now: Timestamp,
    ) -> Result<Opened, Rejection> {
        if token.len() > MAX_TOKEN_CHARS || token.len() < b64::encoded_len(MIN_RAW_BYTES) {
            return Err(Rejection::Malformed);
        }
        let mut scratch = Scratch::new();
        // What decoding may write, wiped on drop even when decoding fails half-way.
        scratch.len = (token.len() * 3 / 4).min(MAX_RAW_BYTES);
        let raw = b64::decode(token.as_bytes(), &mut scratch.buf).ok_or(Rejection::Malformed)?;
        self.open_decoded(raw, expected_purpose, now)
    }

    fn open_decoded(
        &self,
        raw: &[u8],
        expected_purpose: &Purpose,
        now: Timestamp,
    ) -> Result<Opened, Rejection> {
        let p = parse(raw).ok_or(Rejection::Malformed)?;
        let key = self.ring.get(p.key_id).ok_or(Rejection::UnknownKey)?;
        let mut mac = key.mac();
        mac.update(p.signed);
        // The tag this message should carry: a forgery, if the message is an attacker's.
        let mut tag = Zeroizing::new([0; TAG_BYTES]);
        finalize_into(mac, &mut tag);
        if !acctsec_core::ct_eq_32(&tag, p.tag) {
            return Err(Rejection::BadTag);
        }

        if p.purpose != expected_purpose.as_str().as_bytes() {
            return Err(Rejection::WrongPurpose);
        }
        let lifetime = Duration::from_millis(u64::from(p.lifetime_ms));
        if lifetime > self.max_lifetime {
            return Err(Rejection::Expired);
        }
        let issued_at = Timestamp::from_unix_millis(p.issued_at);
        let expires_at = issued_at.saturating_add(lifetime);
        if now < issued_at.saturating_sub(self.leeway) {
            return Err(Rejection::NotYetValid);
        }
        if now >= expires_at.saturating_add(self.leeway) {
            return Err(Rejection::Expired);
        }
        let subject = std::str::from_utf8(p.subject)
            .ok()
            .and_then(|s| UserId::new(s).ok())
            .ok_or(Rejection::Malformed)?;
        let binding =
            <[u8; BINDING_BYTES]>::try_from(p.binding).map_err(|_| Rejection::Malformed)?;
        Ok(Opened {
            claims: Claims {
                key_id: p.key_id,
                purpose: expected_purpose.clone(),
                subject,
                issued_at,
                expires_at,
            },
            binding: BindingDigest::from_bytes(binding),
        })
    }

    /// [`open`](Self::open) and [`check_binding`](Opened::check_binding) in one call, when the
    /// account's binding is known in advance.
    ///
    /// A valid token is not yet used up: single use is the caller's job, by
    /// [taking](acctsec_core::TokenStore::take) its [`digest`] from a store.
    ///
    /// # Errors
    ///
    /// The [`Rejection`] saying why the token is refused.
    pub fn verify(
        &self,
        token: &str,
        expected_purpose: &Purpose,
        binding: &BindingDigest,
        now: Timestamp,
    ) -> Result<Claims, Rejection> {
        self.open(token, expected_purpose, now)?
            .check_binding(binding)
    }
}
