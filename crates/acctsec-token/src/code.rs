//! Short numeric codes for email verification and step-up challenges.

use std::fmt;
use std::time::Duration;

use acctsec_core::rng::TryCryptoRng;
use acctsec_core::{BindingDigest, Purpose, Timestamp, TokenDigest, TokenRecord, UserId};
use zeroize::Zeroizing;

use crate::key::{HmacSha256, derived_mac, mac_parts};
use crate::token::is_valid_lifetime;
use crate::{Error, Result};

/// The default number of digits: 6, log2 10^6 ≈ 19.9 bits (ASVS 5.0 6.5 asks for 20 bits and
/// names six random digits as enough).
pub const DEFAULT_CODE_DIGITS: u8 = 6;
/// The fewest digits a code may have.
pub const MIN_CODE_DIGITS: u8 = 6;
/// The most digits a code may have.
pub const MAX_CODE_DIGITS: u8 = 10;
/// The default and longest lifetime of a code: 10 minutes (ASVS 5.0 6.5).
pub const MAX_CODE_LIFETIME: Duration = Duration::from_secs(10 * 60);
/// How many wrong guesses the flows allow per code before revoking it: 5. With six digits an
/// attacker's chance is then 5 in a million per code (ASVS 5.0 6.5 asks for a limit, not a
/// number; 5 matches common practice for one-time codes).
pub const DEFAULT_CODE_ATTEMPTS: u32 = 5;
/// How many draws [`Codes::issue`] makes before calling the generator broken.
const MAX_DRAWS: usize = 8;
/// The longest input [`Codes::digest`] looks at.
pub const MAX_CODE_INPUT_BYTES: usize = 32;

/// A short numeric code. It is wiped when dropped and `Debug` prints none of it.
#[derive(Clone)]
pub struct Code(Zeroizing<String>);

impl Code {
    /// The digits, to put in an email.
    #[must_use]
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Code(..)")
    }
}

/// A newly issued code and the record to store for it.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct IssuedCode {
    /// The code, for the email.
    pub code: Code,
    /// The record to [insert](acctsec_core::TokenStore::insert): it holds only a keyed digest.
    pub record: TokenRecord,
}

/// Issues short codes and computes their keyed digests.
///
/// Codes are drawn uniformly (rejection sampling, no modulo bias) and stored only as
/// `HMAC-SHA256(key, purpose ‖ user ‖ code)`: keyed, because a million six-digit codes are
/// trivially enumerable from an unkeyed digest; and over the purpose and user, so equal codes of
/// two users never collide in a store.
///
/// What the flows must enforce (ASVS 5.0 6.5): a code is single use ([`take`] its digest); it
/// lives at most [`MAX_CODE_LIFETIME`]; after [`DEFAULT_CODE_ATTEMPTS`] wrong guesses (counted
/// per user and purpose with a [`ThrottleStore`]) every code of that user and purpose is revoked.
/// Issue a new code only after revoking the user's earlier codes of the same purpose: several
/// live codes multiply a guesser's odds.
///
/// [`take`]: acctsec_core::TokenStore::take
/// [`ThrottleStore`]: acctsec_core::ThrottleStore
///
/// ```
/// use acctsec_core::{BindingDigest, Purpose, Timestamp, UserId, rng::SystemRng};
/// use acctsec_token::Codes;
///
/// let codes = Codes::builder(&[0x17; 32]).with_digits(6).build()?;
/// let user = UserId::from(7_u64);
/// let now = Timestamp::from_unix_secs(1_800_000_000);
/// let issued = codes.issue(&Purpose::EMAIL_VERIFICATION, &user, &BindingDigest::from_bytes([0; 32]), now, &mut SystemRng)?;
/// assert_eq!(issued.code.expose().len(), 6);
///
/// // What the person types, spaces and all, digests to the stored record's key.
/// let typed = format!(" {} {} ", &issued.code.expose()[..3], &issued.code.expose()[3..]);
/// assert_eq!(codes.digest(&Purpose::EMAIL_VERIFICATION, &user, &typed), Some(issued.record.digest));
/// assert_eq!(codes.digest(&Purpose::EMAIL_VERIFICATION, &UserId::from(8_u64), &typed).as_ref() == Some(&issued.record.digest), false);
/// # Ok::<(), acctsec_token::Error>(())
/// ```
#[derive(Clone)]
pub struct Codes {
    mac: Box<HmacSha256>,
    digits: u8,
    lifetime: Duration,
}

/// Builds [`Codes`] with non-default settings.
#[must_use]
pub struct CodesBuilder<'a> {
    secret: &'a [u8],
    digits: u8,
    lifetime: Duration,
}

impl fmt::Debug for CodesBuilder<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CodesBuilder")
            .field("digits", &self.digits)
            .field("lifetime", &self.lifetime)
            .finish_non_exhaustive()
    }
}

impl CodesBuilder<'_> {
    /// The number of digits (default [`DEFAULT_CODE_DIGITS`]).
    pub fn with_digits(mut self, digits: u8) -> Self {
        self.digits = digits;
        self
    }

    /// The lifetime (default and at most [`MAX_CODE_LIFETIME`]).
    pub fn with_lifetime(mut self, lifetime: Duration) -> Self {
        self.lifetime = lifetime;
        self
    }

    /// Checks the settings and derives the digest key.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidDigits`] unless the digits are from [`MIN_CODE_DIGITS`] to
    /// [`MAX_CODE_DIGITS`]; [`Error::InvalidLifetime`] if the lifetime is zero, not whole
    /// milliseconds, or longer than [`MAX_CODE_LIFETIME`]; [`Error::KeyTooShort`] or [`Error::KeyTooLong`] for the secret.
    pub fn build(self) -> Result<Codes> {
        if !(MIN_CODE_DIGITS..=MAX_CODE_DIGITS).contains(&self.digits) {
            return Err(Error::InvalidDigits);
        }
        if !is_valid_lifetime(self.lifetime, MAX_CODE_LIFETIME) {
            return Err(Error::InvalidLifetime);
        }
        Ok(Codes {
            mac: derived_mac(self.secret, b"acctsec-token/v1/code")?,
            digits: self.digits,
            lifetime: self.lifetime,
        })
    }
}

impl fmt::Debug for Codes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Codes")
            .field("digits", &self.digits)
            .field("lifetime", &self.lifetime)
            .finish_non_exhaustive()
    }
}

impl Codes {
    /// Codes of [`DEFAULT_CODE_DIGITS`] digits living [`MAX_CODE_LIFETIME`], digested under a key
    /// derived from `secret` (at least 32 bytes; use a secret of its own, not a token key).
    ///
    /// # Errors
    ///
    /// [`Error::KeyTooShort`] or [`Error::KeyTooLong`].
    pub fn new(secret: &[u8]) -> Result<Self> {
        Self::builder(secret).build()
    }

    /// Starts building codes with non-default settings, digested under a key derived from
    /// `secret`.
    pub fn builder(secret: &[u8]) -> CodesBuilder<'_> {
        CodesBuilder {
            secret,
            digits: DEFAULT_CODE_DIGITS,
            lifetime: MAX_CODE_LIFETIME,
        }
    }

    /// Draws a code for `user` and `purpose` and builds its record, expiring after the lifetime.
    ///
    /// # Errors
    ///
    /// [`Error::Randomness`] if the generator failed; [`Error::TimeOutOfRange`] if `now` is so
    /// late that the code's expiry is past the latest time there is.
    pub fn issue<R: TryCryptoRng + ?Sized>(
        &self,
        purpose: &Purpose,
        user: &UserId,
        binding: &BindingDigest,
        now: Timestamp,
        rng: &mut R,
    ) -> Result<IssuedCode> {
        let expires_at = now
            .checked_add(self.lifetime)
            .ok_or(Error::TimeOutOfRange)?;
        let range = 10_u64.pow(u32::from(self.digits));
        // The largest multiple of `range` that fits: draws at or above it are redrawn, so every
        // code is equally likely. A redraw happens with probability below 2^-30, so a generator
        // that needs more than a few is broken.
        let zone = u64::MAX - u64::MAX % range;
        let mut value = Zeroizing::new(None);
        for _ in 0..MAX_DRAWS {
            let x = Zeroizing::new(rng.try_next_u64().map_err(|_| Error::Randomness)?);
            if *x < zone {
                *value = Some(*x % range);
                break;
            }
        }
        let mut rest = value.ok_or(Error::Randomness)?;
        // Digits written by hand into a buffer sized once, so no copy of the code is left behind.
        let mut digits = Zeroizing::new([b'0'; MAX_CODE_DIGITS as usize]);
        let width = usize::from(self.digits);
        for slot in digits.iter_mut().take(width).rev() {
            *slot = b'0' + (rest % 10) as u8;
            rest /= 10;
        }
        let mut text = Zeroizing::new(String::with_capacity(width));
        text.extend(digits.iter().take(width).map(|&d| char::from(d)));
        let record = TokenRecord::new(
            self.keyed_digest(purpose, user, text.as_bytes()),
            user.clone(),
            purpose.clone(),
            *binding,
            now,
            expires_at,
        );
        Ok(IssuedCode {
            code: Code(text),
            record,
        })
    }

    /// The digest of what a person typed, to [`take`](acctsec_core::TokenStore::take) from the
    /// store. Spaces and hyphens are ignored; `None` if what is left is not exactly the configured
    /// number of ASCII digits, or the input is longer than [`MAX_CODE_INPUT_BYTES`].
    #[must_use]
    pub fn digest(&self, purpose: &Purpose, user: &UserId, typed: &str) -> Option<TokenDigest> {
        if typed.len() > MAX_CODE_INPUT_BYTES {
            return None;
        }
        let mut digits = Zeroizing::new([0_u8; MAX_CODE_INPUT_BYTES]);
        let mut n = 0;
        for b in typed.bytes().filter(|b| !matches!(b, b' ' | b'-')) {
            if !b.is_ascii_digit() {
                return None;
            }
            *digits.get_mut(n)? = b;
            n += 1;
        }
        (n == usize::from(self.digits))
            .then(|| self.keyed_digest(purpose, user, digits.get(..n).unwrap_or_default()))
    }

    /// Whether `typed` is the code whose digest is `expected`, compared in constant time — for
    /// hosts that keep the digest themselves instead of in a [`TokenStore`](acctsec_core::TokenStore).
    #[must_use]
    pub fn matches(
        &self,
        purpose: &Purpose,
        user: &UserId,
        typed: &str,
        expected: &TokenDigest,
    ) -> bool {
        self.digest(purpose, user, typed)
            .is_some_and(|d| d == *expected)
    }

    fn keyed_digest(&self, purpose: &Purpose, user: &UserId, code: &[u8]) -> TokenDigest {
        TokenDigest::from_bytes(mac_parts(
            &self.mac,
            [purpose.as_str().as_bytes(), user.as_str().as_bytes(), code],
        ))
    }
}
