//! Argon2 cost parameters: the recommended defaults, a floor below which hashes are too weak to
//! make, and ceilings above which a stored hash is refused instead of computed.

use crate::{Error, Result};

/// Memory cost, KiB: 19 MiB (OWASP Password Storage Cheat Sheet, argon2id).
pub const DEFAULT_M_KIB: u32 = 19_456;
/// Iterations: 2 (OWASP Password Storage Cheat Sheet, argon2id).
pub const DEFAULT_T: u32 = 2;
/// Lanes: 1 (OWASP Password Storage Cheat Sheet, argon2id).
pub const DEFAULT_P: u32 = 1;
/// The memory of OWASP's cheapest equivalent argon2id configuration, KiB: 7 MiB (with t = 5).
pub(crate) const OWASP_LEAST_M_KIB: u32 = 7_168;
/// OWASP's equivalent argon2id configurations (Password Storage Cheat Sheet), as the least
/// memory in KiB for 1, 2, 3, 4 and 5 passes: 46, 19, 12, 9 and 7 MiB.
const OWASP_EQUIVALENT_M_KIB: [u32; 5] = [47_104, 19_456, 12_288, 9_216, OWASP_LEAST_M_KIB];
/// The least work (memory × iterations, KiB) a new hash may cost without an `insecure_*` opt-out:
/// OWASP's cheapest equivalent argon2id configuration, m = 7 MiB with t = 5.
pub const MIN_WORK_KIB: u64 = OWASP_LEAST_M_KIB as u64 * OWASP_EQUIVALENT_M_KIB.len() as u64;
/// Length of the hash output, bytes.
pub const OUTPUT_BYTES: usize = 32;
/// Length of a new salt, bytes (RFC 9106 recommends 16).
pub const SALT_BYTES: usize = 16;

/// Argon2 cost parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Argon2Params {
    m_kib: u32,
    t: u32,
    p: u32,
}

impl Default for Argon2Params {
    /// OWASP's recommendation: m = 19456 KiB, t = 2, p = 1.
    fn default() -> Self {
        Self {
            m_kib: DEFAULT_M_KIB,
            t: DEFAULT_T,
            p: DEFAULT_P,
        }
    }
}

impl Argon2Params {
    /// Parameters that Argon2 accepts (m ≥ 8 KiB per lane, t ≥ 1, 1 ≤ p ≤ 2^24 − 1).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidParameters`] otherwise.
    pub fn new(m_kib: u32, t: u32, p: u32) -> Result<Self> {
        argon2::Params::new(m_kib, t, p, Some(OUTPUT_BYTES))
            .map_err(|_| Error::InvalidParameters)?;
        Ok(Self { m_kib, t, p })
    }

    /// Memory cost in KiB.
    #[must_use]
    pub const fn m_kib(&self) -> u32 {
        self.m_kib
    }

    /// Iterations.
    #[must_use]
    pub const fn t(&self) -> u32 {
        self.t
    }

    /// Lanes.
    #[must_use]
    pub const fn p(&self) -> u32 {
        self.p
    }

    /// Whether these parameters resist guessing at least as well as `other`, on OWASP's scale:
    /// memory as a multiple of the least OWASP lists for the same number of passes (beyond five
    /// passes, memory × passes against 7 MiB × 5). OWASP's equivalent configurations are equal on
    /// it, so a hash made at m = 46 MiB, t = 1 is as strong as one at the default m = 19 MiB,
    /// t = 2, although fewer passes alone would look weaker; more memory or more passes is never
    /// weaker. Lanes do not count: they divide the work between threads, not the attacker's cost.
    ///
    /// ```
    /// use acctsec_hash::Argon2Params;
    ///
    /// let default = Argon2Params::default();
    /// assert!(Argon2Params::new(47_104, 1, 1)?.resists_at_least(default));
    /// assert!(Argon2Params::new(7_168, 5, 1)?.resists_at_least(default));
    /// assert!(!Argon2Params::new(40_000, 1, 1)?.resists_at_least(default));
    /// # Ok::<(), acctsec_hash::Error>(())
    /// ```
    #[must_use]
    pub fn resists_at_least(&self, other: Self) -> bool {
        let (num, den) = self.owasp_scale();
        let (other_num, other_den) = other.owasp_scale();
        num * other_den >= other_num * den
    }

    /// [`resists_at_least`](Self::resists_at_least)'s scale as a fraction: memory over OWASP's
    /// least memory for these passes.
    fn owasp_scale(&self) -> (u128, u128) {
        let m = u128::from(self.m_kib);
        match (self.t.checked_sub(1)).and_then(|i| OWASP_EQUIVALENT_M_KIB.get(i as usize)) {
            Some(&least) => (m, u128::from(least)),
            None => (
                m * u128::from(self.t),
                u128::from(OWASP_LEAST_M_KIB) * OWASP_EQUIVALENT_M_KIB.len() as u128,
            ),
        }
    }

    /// Memory × iterations in KiB: how much work one hash costs.
    #[must_use]
    pub const fn work_kib(&self) -> u64 {
        self.m_kib as u64 * self.t as u64
    }

    pub(crate) fn argon2(&self, output_len: usize) -> Result<argon2::Params> {
        argon2::Params::new(self.m_kib, self.t, self.p, Some(output_len))
            .map_err(|_| Error::InvalidParameters)
    }
}

/// Default memory ceiling for stored hashes: 256 MiB.
pub const DEFAULT_CEILING_M_KIB: u32 = 256 * 1024;
/// Default ceiling on passes: 32.
pub const DEFAULT_CEILING_T: u32 = 32;
/// Default ceiling on lanes: 16.
pub const DEFAULT_CEILING_P: u32 = 16;
/// Default ceiling on a stored hash's output: 64 bytes.
pub const DEFAULT_CEILING_OUTPUT_BYTES: usize = 64;
/// Default ceiling on a stored hash's work (memory × passes) as a multiple of the current work: 8.
pub const DEFAULT_CEILING_WORK_FACTOR: u32 = 8;
/// Default ceiling on bcrypt's cost: 15 (2^15 rounds, seconds per hash).
pub const DEFAULT_CEILING_BCRYPT_COST: u32 = 15;
/// Default ceiling on PBKDF2 rounds: 2,000,000 (Django 6.0 uses 1,200,000).
pub const DEFAULT_CEILING_PBKDF2_ROUNDS: u32 = 2_000_000;
/// Default ceiling on scrypt's log2 N: 20.
pub const DEFAULT_CEILING_SCRYPT_LOG_N: u8 = 20;
/// The highest memory ceiling a hasher accepts: 4 GiB.
pub const MAX_CEILING_M_KIB: u32 = 4 * 1024 * 1024;
/// The highest work factor a hasher accepts: 64.
pub const MAX_CEILING_WORK_FACTOR: u32 = 64;
/// The highest bcrypt cost ceiling a hasher accepts: 18 (2^18 rounds, tens of seconds a hash).
pub const MAX_CEILING_BCRYPT_COST: u32 = 18;
/// The highest PBKDF2 rounds ceiling a hasher accepts: 20,000,000 (seconds a hash).
pub const MAX_CEILING_PBKDF2_ROUNDS: u32 = 20_000_000;

/// The most a stored or imported hash may ask for. A hash over any ceiling is refused as
/// [`Error::HostileParameters`] before any memory is allocated, so a tampered row can't make
/// the server allocate gigabytes or spin for minutes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ceilings {
    /// The most memory, KiB (default [`DEFAULT_CEILING_M_KIB`], at most [`MAX_CEILING_M_KIB`]).
    pub m_kib: u32,
    /// The most passes (default [`DEFAULT_CEILING_T`]).
    pub t: u32,
    /// The most lanes (default [`DEFAULT_CEILING_P`]).
    pub p: u32,
    /// The longest hash output, bytes (default [`DEFAULT_CEILING_OUTPUT_BYTES`]).
    pub output_bytes: usize,
    /// The most work (memory × passes) as a multiple of the current parameters' work (default
    /// [`DEFAULT_CEILING_WORK_FACTOR`], at most [`MAX_CEILING_WORK_FACTOR`]).
    pub work_factor: u32,
    /// The highest bcrypt cost (default [`DEFAULT_CEILING_BCRYPT_COST`], at most
    /// [`MAX_CEILING_BCRYPT_COST`]).
    pub bcrypt_cost: u32,
    /// The most PBKDF2 rounds (default [`DEFAULT_CEILING_PBKDF2_ROUNDS`], at most
    /// [`MAX_CEILING_PBKDF2_ROUNDS`]).
    pub pbkdf2_rounds: u32,
    /// The highest scrypt log2 N (default [`DEFAULT_CEILING_SCRYPT_LOG_N`]); its memory must also
    /// fit `m_kib`.
    pub scrypt_log_n: u8,
}

impl Default for Ceilings {
    fn default() -> Self {
        Self {
            m_kib: DEFAULT_CEILING_M_KIB,
            t: DEFAULT_CEILING_T,
            p: DEFAULT_CEILING_P,
            output_bytes: DEFAULT_CEILING_OUTPUT_BYTES,
            work_factor: DEFAULT_CEILING_WORK_FACTOR,
            bcrypt_cost: DEFAULT_CEILING_BCRYPT_COST,
            pbkdf2_rounds: DEFAULT_CEILING_PBKDF2_ROUNDS,
            scrypt_log_n: DEFAULT_CEILING_SCRYPT_LOG_N,
        }
    }
}

impl Ceilings {
    /// Checks the ceilings themselves against the hard maxima.
    pub(crate) fn check(&self) -> Result<()> {
        // scrypt needs no maximum of its own: its memory and work fit `m_kib` and the work
        // budget.
        if self.m_kib > MAX_CEILING_M_KIB
            || self.work_factor == 0
            || self.work_factor > MAX_CEILING_WORK_FACTOR
            || self.bcrypt_cost > MAX_CEILING_BCRYPT_COST
            || self.pbkdf2_rounds > MAX_CEILING_PBKDF2_ROUNDS
        {
            return Err(Error::InvalidParameters);
        }
        Ok(())
    }

    pub(crate) fn admit(
        &self,
        params: Argon2Params,
        output_bytes: usize,
        current: Argon2Params,
    ) -> Result<()> {
        if params.m_kib > self.m_kib
            || params.t > self.t
            || params.p > self.p
            || output_bytes > self.output_bytes
            || params.work_kib() > self.work_budget_kib(current)
        {
            return Err(Error::HostileParameters);
        }
        Ok(())
    }

    /// The most work a stored hash may ask for, KiB of memory traversed: `work_factor` times the
    /// current parameters' (memory × passes).
    pub(crate) fn work_budget_kib(&self, current: Argon2Params) -> u64 {
        current
            .work_kib()
            .saturating_mul(u64::from(self.work_factor))
    }
}
