//! [`Hasher`]: hash and verify passwords as PHC strings.

use std::fmt;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError};

use acctsec_core::rng::TryCryptoRng;
use acctsec_core::{Password, StoredPasswordHash};
use argon2::{Algorithm, Argon2, Block, Version};
use password_hash::phc::{Ident, Output, ParamsString, PasswordHash, Salt};
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, Zeroizing};

use crate::legacy;
use crate::params::{Argon2Params, Ceilings, MIN_WORK_KIB, OUTPUT_BYTES, SALT_BYTES};
use crate::pepper::PepperRing;
use crate::{Error, Result};

pub use acctsec_core::MAX_PASSWORD_BYTES;

/// The outcome of checking a password against a stored hash. A wrong password is an outcome,
/// not an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use]
pub enum Verified {
    /// The password matches and the hash is current.
    Valid,
    /// The password matches, but the hash should be replaced by a fresh [`Hasher::hash`] of it.
    ValidNeedsRehash(RehashReason),
    /// The password does not match.
    Invalid,
}

impl Verified {
    /// Whether the password matched.
    #[must_use]
    pub const fn is_valid(self) -> bool {
        !matches!(self, Self::Invalid)
    }
}

/// Why a matching hash should be replaced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RehashReason {
    /// An older algorithm or version (argon2i, argon2d, Argon2 version 0x10, or a legacy format:
    /// bcrypt, scrypt, PBKDF2), or another tool's wrapping of a current hash (Django's
    /// `argon2$`).
    Algorithm,
    /// Weaker than the current parameters on OWASP's scale
    /// ([`Argon2Params::resists_at_least`]), or a shorter output or salt. (Hashes at least as
    /// strong are kept, OWASP's equivalent configurations included: more memory with fewer
    /// passes is not replaced by the default, which would lower its cost.)
    Parameters,
    /// Made with an older pepper, or without one while a pepper is configured.
    Pepper,
}

/// A stored argon2 hash, parsed and checked against the ceilings.
struct Parsed {
    algorithm: Algorithm,
    version: Version,
    params: Argon2Params,
    keyid: Option<Vec<u8>>,
    salt: Vec<u8>,
    hash: Vec<u8>,
}

/// The identifiers of the formats this crate runs (the legacy ones with their features).
const RUN: [&str; 11] = [
    "argon2id",
    "argon2i",
    "argon2d",
    "pbkdf2",
    "pbkdf2-sha256",
    "pbkdf2-sha512",
    "pbkdf2_sha256",
    "scrypt",
    "2a",
    "2b",
    "2y",
];

/// Why a stored hash did not parse: a format named by an identifier this crate does not run
/// (Django's `pbkdf2_sha1$`, crypt's `$6$`) is unsupported — a migrating host can tell "enable
/// or add a verifier" from "this row is damaged" — and anything else is malformed.
fn unparsed(stored: &StoredPasswordHash) -> Error {
    match stored.algorithm() {
        Some(id) if !RUN.contains(&id) => Error::UnsupportedAlgorithm,
        _ => Error::MalformedHash,
    }
}

fn parse(
    stored: &StoredPasswordHash,
    ceilings: &Ceilings,
    current: Argon2Params,
) -> Result<Parsed> {
    let phc = PasswordHash::new(stored.as_str()).map_err(|_| unparsed(stored))?;
    let algorithm = match phc.algorithm.as_str() {
        "argon2id" => Algorithm::Argon2id,
        "argon2i" => Algorithm::Argon2i,
        "argon2d" => Algorithm::Argon2d,
        _ => return Err(Error::UnsupportedAlgorithm),
    };
    let version = match phc.version {
        Some(0x13) => Version::V0x13,
        Some(0x10) | None => Version::V0x10,
        Some(_) => return Err(Error::MalformedHash),
    };
    let (mut m, mut t, mut p, mut keyid) = (None, None, None, None);
    for (name, value) in phc.params.iter() {
        let slot = match name.as_str() {
            "m" => &mut m,
            "t" => &mut t,
            "p" => &mut p,
            "keyid" => {
                let id =
                    argon2::KeyId::from_b64(value.as_str()).map_err(|_| Error::MalformedHash)?;
                if id.is_empty() || keyid.replace(id.as_bytes().to_vec()).is_some() {
                    return Err(Error::MalformedHash);
                }
                continue;
            }
            // Associated data and unknown parameters are not ours to guess at.
            _ => return Err(Error::MalformedHash),
        };
        // A parameter given twice is malformed, as in the reference implementation.
        let decimal = value.decimal().map_err(|_| Error::MalformedHash)?;
        if slot.replace(decimal).is_some() {
            return Err(Error::MalformedHash);
        }
    }
    let (Some(m), Some(t), Some(p)) = (m, t, p) else {
        return Err(Error::MalformedHash);
    };
    let hash = phc.hash.ok_or(Error::MalformedHash)?;
    let salt = phc.salt.ok_or(Error::MalformedHash)?;
    // Ceilings first, before anything sized by these numbers exists.
    let params = Argon2Params::new(m, t, p).map_err(|_| Error::MalformedHash)?;
    ceilings.admit(params, hash.len(), current)?;
    Ok(Parsed {
        algorithm,
        version,
        params,
        keyid,
        salt: salt.as_ref().to_vec(),
        hash: hash.as_bytes().to_vec(),
    })
}

/// What to compute: the Argon2 variant, version, costs and pepper.
#[derive(Clone, Copy)]
struct Spec<'a> {
    algorithm: Algorithm,
    version: Version,
    params: Argon2Params,
    pepper: Option<&'a [u8]>,
}

impl<'a> Spec<'a> {
    /// argon2id, version 0x13: what new hashes use.
    const fn current(params: Argon2Params, pepper: Option<&'a [u8]>) -> Self {
        Self {
            algorithm: Algorithm::Argon2id,
            version: Version::V0x13,
            params,
            pepper,
        }
    }
}

/// Reusable Argon2 memory: allocating and first touching 19 MiB per hash costs 13–15% of the
/// hash, so buffers of the current size are kept and handed out for every computation that fits
/// in them (Argon2 uses only the first `m` blocks it is given), and wiped after every use.
struct BufferPool {
    blocks: usize,
    idle: Mutex<Vec<Box<[Block]>>>,
    max_idle: usize,
    /// Blocks currently allocated (in use or idle), and the most ever at once.
    held: AtomicUsize,
    peak: AtomicUsize,
    /// Argon2 work done, in KiB × passes.
    work: AtomicU64,
}

impl BufferPool {
    fn new(blocks: usize, max_idle: usize) -> Self {
        Self {
            blocks,
            idle: Mutex::new(Vec::new()),
            max_idle,
            held: AtomicUsize::new(0),
            peak: AtomicUsize::new(0),
            work: AtomicU64::new(0),
        }
    }

    /// A buffer of at least `blocks` blocks: an idle one if it fits, else a new one (of the pool's
    /// size when that fits, so it can be kept).
    fn take(&self, blocks: usize) -> Result<Box<[Block]>> {
        if blocks <= self.blocks {
            let reused = self
                .idle
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .pop();
            if let Some(buffer) = reused {
                return Ok(buffer);
            }
        }
        let size = blocks.max(self.blocks);
        let mut buffer = Vec::new();
        buffer
            .try_reserve_exact(size)
            .map_err(|_| Error::OutOfMemory)?;
        buffer.resize(size, Block::new());
        let held = self.held.fetch_add(size, Ordering::SeqCst) + size;
        self.peak.fetch_max(held, Ordering::SeqCst);
        Ok(buffer.into_boxed_slice())
    }

    /// Wipes the first `used` blocks, then keeps the buffer for reuse or frees it.
    fn give_back(&self, mut buffer: Box<[Block]>, used: usize) {
        // The blocks are derived from the password: a leaked early block lets an attacker test
        // guesses without paying for the memory-hard part. Argon2 wrote only the first `used`.
        for block in buffer.iter_mut().take(used) {
            block.zeroize();
        }
        if buffer.len() == self.blocks {
            let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
            if idle.len() < self.max_idle {
                idle.push(buffer);
                return;
            }
        }
        self.held.fetch_sub(buffer.len(), Ordering::SeqCst);
    }
}

/// How much Argon2 memory a [`Hasher`] holds (in use and kept for reuse), and how much work it
/// has done.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct MemoryStats {
    /// Bytes held now.
    pub held_bytes: usize,
    /// The most bytes held at once since the hasher was built.
    pub peak_bytes: usize,
    /// Argon2 work done since the hasher was built, in KiB × passes: equal-time paths must add
    /// the same amount.
    pub work_kib: u64,
}

/// Hashes and verifies passwords with argon2id, as PHC strings.
///
/// - New hashes use the configured parameters (default m = 19456 KiB, t = 2, p = 1, OWASP), a
///   16-byte random salt and a 32-byte output, with the active pepper if any.
/// - [`verify`](Self::verify) accepts argon2id, argon2i and argon2d (either version) — and, with
///   their features, bcrypt, scrypt, PBKDF2-SHA256 and Django's `pbkdf2_sha256$` — refuses
///   hashes over the [`Ceilings`] before allocating, compares in constant time, and says when a
///   matching hash should be replaced ([`Verified::ValidNeedsRehash`]).
/// - [`verify_unknown`](Self::verify_unknown) does the same work as verifying a wrong password
///   against a current hash, for sign-in attempts on accounts that do not exist.
/// - A wrong password against a hash cheaper than the current parameters costs as much as one
///   against a current hash (the difference is made up with extra work, after Django's
///   `harden_runtime`), so old hashes don't stand out by their speed.
///
/// ```
/// use acctsec_core::{Password, rng::SystemRng};
/// use acctsec_hash::{Hasher, Verified};
///
/// let hasher = Hasher::new()?;
/// let stored = hasher.hash(&Password::new("correct horse battery staple"), &mut SystemRng)?;
/// assert!(stored.as_str().starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
/// assert_eq!(hasher.verify(&Password::new("correct horse battery staple"), &stored)?, Verified::Valid);
/// assert_eq!(hasher.verify(&Password::new("Tr0ub4dor&3"), &stored)?, Verified::Invalid);
/// # Ok::<(), acctsec_hash::Error>(())
/// ```
pub struct Hasher {
    params: Argon2Params,
    ceilings: Ceilings,
    peppers: Option<PepperRing>,
    pool: BufferPool,
    unknown_user: StoredPasswordHash,
}

impl fmt::Debug for Hasher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Hasher")
            .field("params", &self.params)
            .field("ceilings", &self.ceilings)
            .field("peppers", &self.peppers)
            .finish_non_exhaustive()
    }
}

/// Builds a [`Hasher`] with non-default settings.
#[derive(Debug, Clone)]
#[must_use]
pub struct HasherBuilder {
    params: Argon2Params,
    ceilings: Ceilings,
    peppers: Option<PepperRing>,
    allow_weak: bool,
    max_idle_buffers: usize,
}

impl HasherBuilder {
    /// The parameters for new hashes (default [`Argon2Params::default`]).
    pub fn with_params(mut self, params: Argon2Params) -> Self {
        self.params = params;
        self
    }

    /// The ceilings for stored hashes (default [`Ceilings::default`]).
    pub fn with_ceilings(mut self, ceilings: Ceilings) -> Self {
        self.ceilings = ceilings;
        self
    }

    /// Peppers: new hashes use the active one; hashes naming an accepted one still verify.
    pub fn with_peppers(mut self, peppers: PepperRing) -> Self {
        self.peppers = Some(peppers);
        self
    }

    /// How many memory buffers of the current size to keep for reuse (default: the number of
    /// CPUs). Each is `m` KiB.
    pub fn with_max_idle_buffers(mut self, n: usize) -> Self {
        self.max_idle_buffers = n;
        self
    }

    /// Allows parameters below OWASP's cheapest recommended configuration. For tests only: a
    /// hasher built this way makes hashes that are cheap to crack.
    pub fn insecure_allow_weak_params(mut self) -> Self {
        self.allow_weak = true;
        self
    }

    /// Checks the settings.
    ///
    /// # Errors
    ///
    /// [`Error::WeakParameters`] if the parameters cost less than [`MIN_WORK_KIB`] (unless
    /// allowed); [`Error::HostileParameters`] if they exceed the ceilings.
    pub fn build(self) -> Result<Hasher> {
        if !self.allow_weak && self.params.work_kib() < MIN_WORK_KIB {
            return Err(Error::WeakParameters);
        }
        self.ceilings.check()?;
        self.ceilings
            .admit(self.params, OUTPUT_BYTES, self.params)?;
        let blocks = self.params.argon2(OUTPUT_BYTES)?.block_count();
        // A current-parameter hash with an all-zero output and a fixed salt: verifying against it
        // does exactly the work of verifying a real current hash, and never matches.
        let unknown_user = encode(
            self.params,
            self.peppers.as_ref(),
            &[0x5A; SALT_BYTES],
            &[0; OUTPUT_BYTES],
        )?;
        Ok(Hasher {
            params: self.params,
            ceilings: self.ceilings,
            peppers: self.peppers,
            pool: BufferPool::new(blocks, self.max_idle_buffers),
            unknown_user,
        })
    }
}

/// The PHC string of a hash with these parameters, the active pepper's id (if any), this salt and
/// this output.
fn encode(
    argon: Argon2Params,
    peppers: Option<&PepperRing>,
    salt: &[u8],
    output: &[u8],
) -> Result<StoredPasswordHash> {
    let malformed = |_| Error::MalformedHash;
    let mut params = ParamsString::new();
    params.add_decimal("m", argon.m_kib()).map_err(malformed)?;
    params.add_decimal("t", argon.t()).map_err(malformed)?;
    params.add_decimal("p", argon.p()).map_err(malformed)?;
    if let Some(ring) = peppers {
        params
            .add_b64_bytes("keyid", ring.active().id())
            .map_err(malformed)?;
    }
    let phc = PasswordHash {
        algorithm: Ident::new("argon2id").map_err(malformed)?,
        version: Some(0x13),
        params,
        salt: Some(Salt::new(salt).map_err(malformed)?),
        hash: Some(Output::new(output).map_err(malformed)?),
    };
    StoredPasswordHash::new(phc.to_string()).map_err(|_| Error::MalformedHash)
}

impl Hasher {
    /// A hasher with the recommended settings.
    ///
    /// # Errors
    ///
    /// None in practice (the defaults are valid); the signature matches [`HasherBuilder::build`].
    pub fn new() -> Result<Self> {
        Self::builder().build()
    }

    /// Starts building a hasher with non-default settings.
    pub fn builder() -> HasherBuilder {
        HasherBuilder {
            params: Argon2Params::default(),
            ceilings: Ceilings::default(),
            peppers: None,
            allow_weak: false,
            max_idle_buffers: std::thread::available_parallelism().map_or(1, usize::from),
        }
    }

    /// The parameters of new hashes.
    #[must_use]
    pub const fn params(&self) -> Argon2Params {
        self.params
    }

    /// How much Argon2 memory this hasher holds, and has held at most.
    #[must_use]
    pub fn memory(&self) -> MemoryStats {
        let block = std::mem::size_of::<Block>();
        MemoryStats {
            held_bytes: self.pool.held.load(Ordering::SeqCst) * block,
            peak_bytes: self.pool.peak.load(Ordering::SeqCst) * block,
            work_kib: self.pool.work.load(Ordering::SeqCst),
        }
    }

    fn check_length(password: &Password) -> Result<&[u8]> {
        let bytes = password.expose().as_bytes();
        if bytes.len() > MAX_PASSWORD_BYTES {
            return Err(Error::PasswordTooLong);
        }
        Ok(bytes)
    }

    /// Runs Argon2 as `spec` says into `out`, with reused memory.
    fn compute(&self, spec: Spec<'_>, password: &[u8], salt: &[u8], out: &mut [u8]) -> Result<()> {
        let argon2_params = spec.params.argon2(out.len())?;
        let blocks = argon2_params.block_count();
        let context = match spec.pepper {
            Some(secret) => {
                Argon2::new_with_secret(secret, spec.algorithm, spec.version, argon2_params)
                    .map_err(|_| Error::InvalidPepper)?
            }
            None => Argon2::new(spec.algorithm, spec.version, argon2_params),
        };
        let mut memory = self.pool.take(blocks)?;
        let result = match memory.get_mut(..blocks) {
            Some(used) => context
                .hash_password_into_with_memory(password, salt, out, used)
                .map_err(|_| Error::MalformedHash),
            None => Err(Error::OutOfMemory),
        };
        self.pool.give_back(memory, blocks);
        // Count only work that ran: the equal-work tests read this counter as proof.
        if result.is_ok() {
            self.pool
                .work
                .fetch_add(spec.params.work_kib(), Ordering::SeqCst);
        }
        result
    }

    /// Hashes `password` with the current parameters, a fresh salt and the active pepper.
    ///
    /// # Errors
    ///
    /// [`Error::PasswordTooLong`] over [`MAX_PASSWORD_BYTES`]; [`Error::Randomness`] if the
    /// generator failed.
    pub fn hash<R: TryCryptoRng + ?Sized>(
        &self,
        password: &Password,
        rng: &mut R,
    ) -> Result<StoredPasswordHash> {
        let bytes = Self::check_length(password)?;
        let mut salt = [0_u8; SALT_BYTES];
        rng.try_fill_bytes(&mut salt)
            .map_err(|_| Error::Randomness)?;
        let mut out = Zeroizing::new([0_u8; OUTPUT_BYTES]);
        let pepper = self.peppers.as_ref().map(|ring| ring.active().secret());
        self.compute(
            Spec::current(self.params, pepper),
            bytes,
            &salt,
            out.as_mut(),
        )?;
        encode(self.params, self.peppers.as_ref(), &salt, out.as_ref())
    }

    /// Checks `password` against a stored hash.
    ///
    /// # Errors
    ///
    /// [`Error::PasswordTooLong`]; [`Error::MalformedHash`], [`Error::UnsupportedAlgorithm`] or
    /// [`Error::HostileParameters`] for a stored hash that can't or mustn't be computed;
    /// [`Error::UnknownPepper`] if it names a pepper the hasher does not have.
    pub fn verify(&self, password: &Password, stored: &StoredPasswordHash) -> Result<Verified> {
        let bytes = Self::check_length(password)?;
        match self.verify_bytes(bytes, stored) {
            // A corrupt or foreign row must not answer faster than an unknown user: do that
            // work before reporting it.
            Err(e) if e.is_about_stored_hash() => {
                let _ = self.verify_bytes(bytes, &self.unknown_user);
                Err(e)
            }
            other => other,
        }
    }

    fn verify_bytes(&self, bytes: &[u8], stored: &StoredPasswordHash) -> Result<Verified> {
        // Django writes `argon2` before the PHC string. Verify the PHC string (once: a second
        // prefix is malformed), and ask for the hash to be stored in the plain form.
        if let Some(phc) = stored.as_str().strip_prefix("argon2") {
            if !phc.starts_with("$argon2") {
                return Err(Error::MalformedHash);
            }
            let inner = StoredPasswordHash::new(phc).map_err(|_| Error::MalformedHash)?;
            return Ok(match self.verify_bytes(bytes, &inner)? {
                Verified::Valid => Verified::ValidNeedsRehash(RehashReason::Algorithm),
                other => other,
            });
        }
        let budget = self.ceilings.work_budget_kib(self.params);
        if let Some(matched) = legacy::verify(bytes, stored.as_str(), &self.ceilings, budget)? {
            return Ok(if matched {
                Verified::ValidNeedsRehash(RehashReason::Algorithm)
            } else {
                Verified::Invalid
            });
        }
        let parsed = parse(stored, &self.ceilings, self.params)?;
        let pepper = match (&parsed.keyid, &self.peppers) {
            (None, _) => None,
            (Some(id), Some(ring)) => Some(ring.get(id).ok_or(Error::UnknownPepper)?),
            (Some(_), None) => return Err(Error::UnknownPepper),
        };
        let mut out = Zeroizing::new(vec![0_u8; parsed.hash.len()]);
        let spec = Spec {
            algorithm: parsed.algorithm,
            version: parsed.version,
            params: parsed.params,
            pepper: pepper.map(|p| p.secret()),
        };
        self.compute(spec, bytes, &parsed.salt, &mut out)?;
        if !bool::from(out.ct_eq(&parsed.hash)) {
            self.harden(&parsed);
            return Ok(Verified::Invalid);
        }
        let current_pepper = self.peppers.as_ref().map(|ring| ring.active().id());
        Ok(
            if parsed.algorithm != Algorithm::Argon2id || parsed.version != Version::V0x13 {
                Verified::ValidNeedsRehash(RehashReason::Algorithm)
            } else if !parsed.params.resists_at_least(self.params)
                || parsed.hash.len() < OUTPUT_BYTES
                || parsed.salt.len() < SALT_BYTES
            {
                Verified::ValidNeedsRehash(RehashReason::Parameters)
            } else if parsed.keyid.as_deref() != current_pepper {
                Verified::ValidNeedsRehash(RehashReason::Pepper)
            } else {
                Verified::Valid
            },
        )
    }

    /// Does the work of verifying a wrong password against a current hash, and answers
    /// [`Verified::Invalid`]: call it when a sign-in names an account that does not exist, so the
    /// answer takes as long as for one that does.
    ///
    /// # Errors
    ///
    /// [`Error::PasswordTooLong`], as [`verify`](Self::verify) would.
    pub fn verify_unknown(&self, password: &Password) -> Result<Verified> {
        self.verify(password, &self.unknown_user)
            .map(|_| Verified::Invalid)
    }

    /// After a wrong password against a hash cheaper than the current parameters, does the
    /// missing work, so the answer takes about as long as for a current hash.
    fn harden(&self, parsed: &Parsed) {
        let missing = self
            .params
            .work_kib()
            .saturating_sub(parsed.params.work_kib());
        if missing == 0 {
            return;
        }
        // The fewest passes that fit the missing work within the current memory, then the memory
        // that makes passes × memory equal the missing work.
        let p = self.params.p();
        let t = missing.div_ceil(u64::from(self.params.m_kib()));
        let m = u32::try_from(missing / t.max(1))
            .unwrap_or(u32::MAX)
            .max(8 * p);
        let t = u32::try_from(t).unwrap_or(u32::MAX);
        if let Ok(extra) = Argon2Params::new(m, t, p) {
            let mut sink = Zeroizing::new([0_u8; OUTPUT_BYTES]);
            // The result is discarded; only the time it takes matters.
            let _ = self.compute(
                Spec::current(extra, None),
                b"harden",
                &[0x5A; SALT_BYTES],
                sink.as_mut(),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buffers_are_wiped_and_shared_by_smaller_computations() {
        let pool = BufferPool::new(64, 1);
        let mut buffer = pool.take(64).unwrap();
        for block in buffer.iter_mut() {
            block.as_mut().fill(0xA5A5_A5A5_A5A5_A5A5);
        }
        pool.give_back(buffer, 64);
        // A smaller computation gets the same, wiped buffer: nothing new is allocated.
        let again = pool.take(16).unwrap();
        assert_eq!(again.len(), 64);
        assert!(again.iter().all(|b| b.as_ref().iter().all(|w| *w == 0)));
        assert_eq!(pool.peak.load(Ordering::SeqCst), 64);
        // Only what was used is wiped (Argon2 writes nothing past it).
        let mut again = again;
        for block in again.iter_mut() {
            block.as_mut().fill(1);
        }
        pool.give_back(again, 16);
        let third = pool.take(64).unwrap();
        assert!(
            third
                .iter()
                .take(16)
                .all(|b| b.as_ref().iter().all(|w| *w == 0))
        );
        assert!(
            third
                .iter()
                .skip(16)
                .all(|b| b.as_ref().iter().all(|w| *w == 1))
        );
        // A larger computation gets its own buffer, freed afterwards.
        let big = pool.take(128).unwrap();
        assert_eq!(pool.peak.load(Ordering::SeqCst), 64 + 128);
        pool.give_back(big, 128);
        pool.give_back(third, 64);
        assert_eq!(pool.held.load(Ordering::SeqCst), 64);
    }
}
