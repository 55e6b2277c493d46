//! Peppers: secret keys mixed into every hash, kept outside the database.

use std::fmt;

use zeroize::Zeroizing;

use crate::{Error, Result};

/// The fewest bytes of secret a pepper may have.
pub const MIN_PEPPER_BYTES: usize = 32;
/// The most bytes of secret a pepper may have.
pub const MAX_PEPPER_BYTES: usize = 64;
/// The longest pepper id, bytes (Argon2's `keyid` limit).
pub const MAX_PEPPER_ID_BYTES: usize = 8;

/// A pepper: a secret key given to Argon2 as its secret input `K` (RFC 9106, 3.1), with a short
/// public id recorded in each hash's PHC string as `keyid`, so hashes name the pepper they need
/// and peppers can be rotated.
///
/// Construction: `Argon2id(password, salt, K = pepper)`. A database stolen without the pepper
/// can't be attacked offline at all; the price is that losing the pepper loses every hash made
/// with it — keep it in a secrets manager and back it up like a signing key.
///
/// Choose ids once and never reuse one for another secret. `Debug` shows the id only.
#[derive(Clone)]
pub struct Pepper {
    id: Vec<u8>,
    secret: Zeroizing<Vec<u8>>,
}

impl Pepper {
    /// A pepper with id `id` (1 to 8 bytes) and secret `secret` (32 to 64 bytes).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidPepper`] if either is out of bounds.
    pub fn new(id: &[u8], secret: &[u8]) -> Result<Self> {
        if id.is_empty() || id.len() > MAX_PEPPER_ID_BYTES {
            return Err(Error::InvalidPepper);
        }
        if !(MIN_PEPPER_BYTES..=MAX_PEPPER_BYTES).contains(&secret.len()) {
            return Err(Error::InvalidPepper);
        }
        Ok(Self {
            id: id.to_vec(),
            secret: Zeroizing::new(secret.to_vec()),
        })
    }

    /// The public id.
    #[must_use]
    pub fn id(&self) -> &[u8] {
        &self.id
    }

    pub(crate) fn secret(&self) -> &[u8] {
        &self.secret
    }
}

impl fmt::Debug for Pepper {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pepper")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

/// The pepper that new hashes use, and older ones still accepted for verification. A hash made
/// with an older pepper verifies as `ValidNeedsRehash`, so rotation completes as people sign in.
#[derive(Debug, Clone)]
pub struct PepperRing {
    active: Pepper,
    accepted: Vec<Pepper>,
}

impl PepperRing {
    /// A ring with one pepper.
    #[must_use]
    pub fn new(active: Pepper) -> Self {
        Self {
            active,
            accepted: Vec::new(),
        }
    }

    /// Adds an older pepper that still verifies.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidPepper`] if a pepper with its id is in the ring.
    pub fn with_accepted(mut self, pepper: Pepper) -> Result<Self> {
        if self.get(pepper.id()).is_some() {
            return Err(Error::InvalidPepper);
        }
        self.accepted.push(pepper);
        Ok(self)
    }

    /// The pepper new hashes use.
    #[must_use]
    pub const fn active(&self) -> &Pepper {
        &self.active
    }

    /// The pepper with this id, if accepted.
    #[must_use]
    pub fn get(&self, id: &[u8]) -> Option<&Pepper> {
        std::iter::once(&self.active)
            .chain(&self.accepted)
            .find(|p| p.id() == id)
    }
}
