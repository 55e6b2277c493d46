//! Keys: [`SigningKey`], its public [`KeyId`], and the [`KeyRing`] that rotates them.

use std::fmt;

use acctsec_core::rng::TryCryptoRng;
use hmac::digest::FixedOutput;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use zeroize::Zeroizing;

use crate::{Error, Result};

pub(crate) type HmacSha256 = Hmac<Sha256>;

/// The fewest bytes of secret a key may have (256 bits).
pub const MIN_KEY_BYTES: usize = 32;
/// The most bytes of secret a key may have.
pub const MAX_KEY_BYTES: usize = 128;
/// The most keys a [`KeyRing`] holds, the active one included.
pub const MAX_KEYS: usize = 16;

/// A key's public identifier, written into every token it signs: the first four bytes of an
/// HMAC of a fixed label under the key. It is derived from the key, never chosen, so a new key
/// can't take a rotated-out key's id by operator mistake; two keys with equal ids are refused
/// by the ring. It reveals nothing usable about the key.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeyId(pub(crate) u32);

impl KeyId {
    /// The id as a number.
    #[must_use]
    pub const fn get(self) -> u32 {
        self.0
    }
}

impl fmt::Debug for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyId({:08x})", self.0)
    }
}

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:08x}", self.0)
    }
}

/// Derives a sub-key for one use (`label`) from a secret, so the secret itself is never used
/// for two things.
fn derive(secret: &[u8], label: &[u8]) -> Result<Zeroizing<[u8; 32]>> {
    if secret.len() < MIN_KEY_BYTES {
        return Err(Error::KeyTooShort);
    }
    if secret.len() > MAX_KEY_BYTES {
        return Err(Error::KeyTooLong);
    }
    let mut mac = HmacSha256::new_from_slice(secret).map_err(|_| Error::KeyTooShort)?;
    mac.update(label);
    let mut subkey = Zeroizing::new([0; 32]);
    finalize_into(mac, &mut subkey);
    Ok(subkey)
}

/// Finishes `mac` straight into `out`, which the caller wipes (a tag is as good as a forgery
/// for its message; a derived key is a key): no copy of the output is left behind by value.
pub(crate) fn finalize_into(mac: HmacSha256, out: &mut [u8; 32]) {
    FixedOutput::finalize_into(mac, out.into());
}

/// A keyed HMAC-SHA256 state under the sub-key for `label`, ready to be cloned for each message.
///
/// On the heap: the state is as good as the key, and a key held inline would leave unwiped
/// copies behind wherever it is moved (a key ring's vector growing or closing a gap). Boxed, a
/// move copies the pointer, and the state is wiped where it lives when dropped. Building it,
/// and each message's clone, pass through the stack, where Rust's moves may leave copies that
/// nothing wipes: there the wiping is best effort, as for any secret in Rust.
pub(crate) fn derived_mac(secret: &[u8], label: &[u8]) -> Result<Box<HmacSha256>> {
    let subkey = derive(secret, label)?;
    HmacSha256::new_from_slice(subkey.as_ref())
        .map(Box::new)
        .map_err(|_| Error::KeyTooShort)
}

/// The MAC of `parts`, each prefixed with its length so parts can't run into each other, under a
/// clone of the keyed state `mac`.
pub(crate) fn mac_parts<'a>(
    mac: &HmacSha256,
    parts: impl IntoIterator<Item = &'a [u8]>,
) -> [u8; 32] {
    let mut mac = mac.clone();
    acctsec_core::feed_parts(|b| mac.update(b), parts);
    mac.finalize().into_bytes().into()
}

/// A secret key that signs and verifies tokens.
///
/// The secret is used only to derive an HMAC key and the [`KeyId`]; neither the secret nor the
/// derived key is kept in a printable form, and the HMAC state is wiped when dropped. `Debug`
/// shows the id only.
///
/// ```
/// use acctsec_token::SigningKey;
///
/// let key = SigningKey::from_bytes(&[0x42; 32])?;
/// assert!(format!("{key:?}").starts_with("SigningKey { id: KeyId("));
/// assert!(SigningKey::from_bytes(b"too short").is_err());
/// # Ok::<(), acctsec_token::Error>(())
/// ```
#[derive(Clone)]
pub struct SigningKey {
    id: KeyId,
    mac: Box<HmacSha256>,
}

impl SigningKey {
    /// A key from secret bytes (at least [`MIN_KEY_BYTES`]), for example read from a secrets
    /// manager. Keep the secret out of logs and source code.
    ///
    /// # Errors
    ///
    /// [`Error::KeyTooShort`] or [`Error::KeyTooLong`].
    pub fn from_bytes(secret: &[u8]) -> Result<Self> {
        let id_bytes = derive(secret, b"acctsec-token/v1/key-id")?;
        let id = u32::from_be_bytes([id_bytes[0], id_bytes[1], id_bytes[2], id_bytes[3]]);
        Ok(Self {
            id: KeyId(id),
            mac: derived_mac(secret, b"acctsec-token/v1/mac")?,
        })
    }

    /// A fresh random key.
    ///
    /// # Errors
    ///
    /// [`Error::Randomness`] if the generator failed.
    pub fn generate<R: TryCryptoRng + ?Sized>(rng: &mut R) -> Result<Self> {
        let mut secret = Zeroizing::new([0_u8; 32]);
        rng.try_fill_bytes(secret.as_mut())
            .map_err(|_| Error::Randomness)?;
        Self::from_bytes(secret.as_ref())
    }

    /// The key's public id.
    #[must_use]
    pub const fn id(&self) -> KeyId {
        self.id
    }

    pub(crate) fn mac(&self) -> HmacSha256 {
        HmacSha256::clone(&self.mac)
    }
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey").field("id", &self.id).finish()
    }
}

/// One active key that signs new tokens, and older keys still accepted for verification until
/// they are retired.
///
/// Rotation without breaking links already sent: [`rotate`](Self::rotate) in a new key (the old
/// one keeps verifying), wait for the longest token lifetime, then [`retire`](Self::retire) the
/// old one. Tokens signed by a retired key are rejected as [`Rejection::UnknownKey`](crate::Rejection::UnknownKey).
///
/// ```
/// use acctsec_token::{KeyRing, SigningKey};
///
/// let old = SigningKey::from_bytes(&[1; 32])?;
/// let new = SigningKey::from_bytes(&[2; 32])?;
/// let mut ring = KeyRing::new(old.clone());
/// ring.rotate(new.clone())?;
/// assert_eq!(ring.active().id(), new.id());
/// assert!(ring.get(old.id()).is_some(), "the old key still verifies");
/// assert!(ring.retire(old.id()));
/// assert!(ring.get(old.id()).is_none());
/// # Ok::<(), acctsec_token::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct KeyRing {
    active: SigningKey,
    accepted: Vec<SigningKey>,
}

impl KeyRing {
    /// A ring with one key.
    #[must_use]
    pub fn new(active: SigningKey) -> Self {
        Self {
            active,
            accepted: Vec::new(),
        }
    }

    /// Adds an older key that still verifies but no longer signs.
    ///
    /// # Errors
    ///
    /// [`Error::DuplicateKeyId`] if a key with its id is in the ring; [`Error::TooManyKeys`] if
    /// the ring is full.
    pub fn with_accepted(mut self, key: SigningKey) -> Result<Self> {
        self.admit(&key)?;
        self.accepted.push(key);
        Ok(self)
    }

    /// Makes `key` the signing key; the previous one keeps verifying.
    ///
    /// # Errors
    ///
    /// [`Error::DuplicateKeyId`] if a key with its id is in the ring; [`Error::TooManyKeys`] if
    /// the ring is full.
    pub fn rotate(&mut self, key: SigningKey) -> Result<()> {
        self.admit(&key)?;
        let previous = std::mem::replace(&mut self.active, key);
        self.accepted.insert(0, previous);
        Ok(())
    }

    /// Stops accepting the key with this id; returns whether it was accepted. The active key
    /// cannot be retired (rotate first).
    pub fn retire(&mut self, id: KeyId) -> bool {
        let before = self.accepted.len();
        self.accepted.retain(|k| k.id != id);
        self.accepted.len() != before
    }

    /// The key that signs new tokens.
    #[must_use]
    pub const fn active(&self) -> &SigningKey {
        &self.active
    }

    /// The key with this id, if the ring accepts it.
    #[must_use]
    pub fn get(&self, id: KeyId) -> Option<&SigningKey> {
        std::iter::once(&self.active)
            .chain(&self.accepted)
            .find(|k| k.id == id)
    }

    fn admit(&self, key: &SigningKey) -> Result<()> {
        if self.get(key.id).is_some() {
            return Err(Error::DuplicateKeyId);
        }
        if self.accepted.len() + 1 >= MAX_KEYS {
            return Err(Error::TooManyKeys);
        }
        Ok(())
    }
}
