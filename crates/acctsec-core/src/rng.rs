//! Randomness as an input. Library functions take `&mut R` where `R: TryCryptoRng`, so any
//! cryptographic RNG works (infallible ones too) and an RNG failure is an error, never a panic.
//! [`SystemRng`] is the operating system's generator, for hosts and examples.

/// The operating system's cryptographically secure random number generator.
///
/// ```
/// use acctsec_core::rng::{SystemRng, TryRng};
///
/// let mut bytes = [0_u8; 16];
/// SystemRng.try_fill_bytes(&mut bytes)?;
/// # Ok::<(), acctsec_core::rng::RngError>(())
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemRng;

/// The error of [`SystemRng`].
pub use getrandom::Error as RngError;
pub use rand_core::{self, CryptoRng, Rng, TryCryptoRng, TryRng};

#[expect(
    clippy::disallowed_methods,
    reason = "SystemRng is the one place that reads the operating system's RNG"
)]
impl TryRng for SystemRng {
    type Error = RngError;

    fn try_next_u32(&mut self) -> Result<u32, RngError> {
        getrandom::u32()
    }

    fn try_next_u64(&mut self) -> Result<u64, RngError> {
        getrandom::u64()
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), RngError> {
        getrandom::fill(dst)
    }
}

impl TryCryptoRng for SystemRng {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn system_rng_fills_bytes() {
        let (mut a, mut b) = ([0_u8; 32], [0_u8; 32]);
        SystemRng.try_fill_bytes(&mut a).unwrap();
        SystemRng.try_fill_bytes(&mut b).unwrap();
        assert_ne!(a, b, "two 256-bit draws collided");
    }
}
