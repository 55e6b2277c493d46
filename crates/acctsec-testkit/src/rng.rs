//! Generators for reproducible tests: [`Scripted`] plays back chosen values, [`Failing`] always
//! fails. Neither is random at all: never use them outside tests.

use acctsec_core::rng::{TryCryptoRng, TryRng};

/// Plays back a script of 64-bit words, over and over: `try_next_u64` yields the next word,
/// `try_next_u32` its low half, and `try_fill_bytes` the low byte of one word per byte.
///
/// It claims to be a cryptographic generator so the APIs that demand one accept it; that is the
/// point for tests (fixed salts and nonces, chosen rejection-sampling draws) and the danger
/// anywhere else.
///
/// ```
/// use acctsec_core::rng::TryRng;
/// use acctsec_testkit::Scripted;
///
/// let mut rng = Scripted::bytes(b"ab");
/// let mut out = [0_u8; 5];
/// rng.try_fill_bytes(&mut out)?;
/// assert_eq!(&out, b"ababa");
///
/// let mut words = Scripted::words([7, u64::MAX]);
/// assert_eq!(words.try_next_u64()?, 7);
/// assert_eq!(words.try_next_u32()?, u32::MAX);
/// assert_eq!(words.try_next_u64()?, 7);
/// # Ok::<(), std::convert::Infallible>(())
/// ```
#[derive(Debug, Clone)]
pub struct Scripted {
    script: Vec<u64>,
    next: usize,
}

impl Scripted {
    /// Plays back `words` (a single zero if there are none).
    #[must_use]
    pub fn words(words: impl IntoIterator<Item = u64>) -> Self {
        let mut script: Vec<u64> = words.into_iter().collect();
        if script.is_empty() {
            script.push(0);
        }
        Self { script, next: 0 }
    }

    /// Plays back `bytes`, one word each, so filled buffers repeat them.
    #[must_use]
    pub fn bytes(bytes: &[u8]) -> Self {
        Self::words(bytes.iter().map(|&b| u64::from(b)))
    }
}

impl TryRng for Scripted {
    type Error = std::convert::Infallible;

    fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
        Ok(self.try_next_u64()? as u32)
    }

    fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
        let word = self.script.get(self.next).copied().unwrap_or(0);
        self.next = (self.next + 1) % self.script.len().max(1);
        Ok(word)
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Self::Error> {
        for b in dst {
            *b = self.try_next_u64()? as u8;
        }
        Ok(())
    }
}

impl TryCryptoRng for Scripted {}

/// A generator whose every draw fails, to test that a failing RNG is an error, never a panic.
///
/// ```
/// use acctsec_core::rng::TryRng;
/// use acctsec_testkit::Failing;
///
/// assert!(Failing.try_fill_bytes(&mut [0_u8; 4]).is_err());
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct Failing;

/// The error of [`Failing`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the test generator failed on purpose")]
pub struct Failed;

impl TryRng for Failing {
    type Error = Failed;

    fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
        Err(Failed)
    }

    fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
        Err(Failed)
    }

    fn try_fill_bytes(&mut self, _: &mut [u8]) -> Result<(), Self::Error> {
        Err(Failed)
    }
}

impl TryCryptoRng for Failing {}
