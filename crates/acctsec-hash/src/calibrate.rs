//! [`calibrate`]: parameters that take about a target time on this machine.

use std::time::Duration;

use crate::params::{Argon2Params, DEFAULT_P, OWASP_LEAST_M_KIB};
use crate::{Error, Result};

/// The most passes calibration will propose.
pub const MAX_CALIBRATED_T: u32 = 32;
/// The least memory calibration accepts, KiB: 7 MiB, the memory of OWASP's cheapest argon2id
/// configuration (m = 7 MiB, t = 5). Below it, passes can't make up for the memory an attacker's
/// hardware no longer needs.
pub const MIN_CALIBRATED_M_KIB: u32 = OWASP_LEAST_M_KIB;

/// Finds argon2id parameters that fit in `memory_kib` and take at least `target` (and never less
/// than OWASP's recommendation), timing candidates with `time` — a function the caller provides
/// that hashes once with the given parameters and says how long it took (the library never reads
/// a clock itself; the crate's `calibrate` example times the real hasher with the system clock).
///
/// Memory comes first, as OWASP advises: all of `memory_kib` is used, one lane, and passes are
/// added until the target is reached. The result is never less work (memory × passes) than the
/// defaults, whatever the target: a memory ceiling under the default 19456 KiB gets more passes
/// (12 MiB: 4 passes; 7 MiB: 6). A ceiling over the hasher's memory ceiling
/// ([`Ceilings::m_kib`](crate::Ceilings::m_kib), 256 MiB by default) needs that raised too.
///
/// ```
/// use acctsec_hash::{calibrate, Argon2Params};
/// use std::time::Duration;
///
/// // A machine that takes 0.25 µs per KiB per pass.
/// let model = |p: Argon2Params| Duration::from_nanos(250 * p.work_kib());
/// let params = calibrate(Duration::from_millis(50), 64 * 1024, model)?;
/// // One pass over 64 MiB takes 16.4 ms: four passes are the fewest that reach 50 ms.
/// assert_eq!((params.m_kib(), params.t(), params.p()), (65_536, 4, 1));
/// # Ok::<(), acctsec_hash::Error>(())
/// ```
///
/// # Errors
///
/// [`Error::InvalidParameters`] if the target is zero or `memory_kib` is under
/// [`MIN_CALIBRATED_M_KIB`].
pub fn calibrate(
    target: Duration,
    memory_kib: u32,
    mut time: impl FnMut(Argon2Params) -> Duration,
) -> Result<Argon2Params> {
    if target.is_zero() || memory_kib < MIN_CALIBRATED_M_KIB {
        return Err(Error::InvalidParameters);
    }
    // Never cheaper than the defaults (which are above OWASP's floor, MIN_WORK_KIB).
    let floor_t = u32::try_from(
        Argon2Params::default()
            .work_kib()
            .div_ceil(u64::from(memory_kib)),
    )
    .unwrap_or(u32::MAX);
    let mut params = Argon2Params::new(memory_kib, floor_t, DEFAULT_P)?;
    // One pass, measured, predicts the rest: Argon2's time is linear in passes.
    let one_pass = time(Argon2Params::new(memory_kib, 1, DEFAULT_P)?);
    if one_pass.is_zero() {
        return Ok(params);
    }
    let passes = target.as_nanos().div_ceil(one_pass.as_nanos());
    let t = u32::try_from(passes)
        .unwrap_or(u32::MAX)
        .clamp(floor_t, MAX_CALIBRATED_T.max(floor_t));
    params = Argon2Params::new(memory_kib, t, DEFAULT_P)?;
    // Check the prediction once and step back a pass if it overshot by more than one pass.
    let measured = time(params);
    if measured > target.saturating_add(one_pass) && t > floor_t {
        params = Argon2Params::new(memory_kib, t - 1, DEFAULT_P)?;
    }
    Ok(params)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::{DEFAULT_M_KIB, DEFAULT_T, MIN_WORK_KIB};

    fn linear(ns_per_kib_pass: u64) -> impl FnMut(Argon2Params) -> Duration {
        move |p| Duration::from_nanos(ns_per_kib_pass * p.work_kib())
    }

    #[test]
    fn adds_passes_until_the_target() {
        // 0.25 µs per KiB-pass: one pass over 19456 KiB is 4.864 ms.
        let p = calibrate(Duration::from_millis(20), 19_456, linear(250)).unwrap();
        assert_eq!((p.m_kib(), p.t(), p.p()), (19_456, 5, 1));
    }

    #[test]
    fn never_goes_below_the_recommendation() {
        // A target far below what the defaults cost still gives the defaults.
        let p = calibrate(Duration::from_micros(1), DEFAULT_M_KIB, linear(250)).unwrap();
        assert_eq!(
            (p.m_kib(), p.t(), p.p()),
            (DEFAULT_M_KIB, DEFAULT_T, DEFAULT_P)
        );
        // More memory needs fewer passes, but the work stays above OWASP's floor.
        let p = calibrate(Duration::from_micros(1), 30_000, linear(250)).unwrap();
        assert!(p.work_kib() >= MIN_WORK_KIB, "{p:?}");
        // Nor below the defaults' work, where one pass over more memory would still cost less.
        for m in [30_000, 36_000, 38_911] {
            let p = calibrate(Duration::from_micros(1), m, linear(250)).unwrap();
            assert!(p.work_kib() >= Argon2Params::default().work_kib(), "{p:?}");
        }
    }

    #[test]
    fn a_lower_memory_ceiling_is_kept_and_paid_for_in_passes() {
        // 12 MiB: never over the ceiling; four passes (49,152 KiB-passes) where three would be
        // less work than the defaults' 38,912.
        let p = calibrate(Duration::from_micros(1), 12_288, linear(250)).unwrap();
        assert_eq!((p.m_kib(), p.t(), p.p()), (12_288, 4, 1));
        let p = calibrate(Duration::from_micros(1), MIN_CALIBRATED_M_KIB, linear(250)).unwrap();
        assert_eq!((p.m_kib(), p.t()), (MIN_CALIBRATED_M_KIB, 6));
        // The target still rules when it asks for more: 12 MiB at 0.25 µs per KiB-pass is
        // 3.072 ms a pass, so 20 ms takes 7 passes.
        let p = calibrate(Duration::from_millis(20), 12_288, linear(250)).unwrap();
        assert_eq!((p.m_kib(), p.t()), (12_288, 7));
        // Under 7 MiB no number of passes is enough.
        for m in [0, 8, 1024, MIN_CALIBRATED_M_KIB - 1] {
            assert_eq!(
                calibrate(Duration::from_millis(20), m, linear(250)),
                Err(Error::InvalidParameters),
                "{m}"
            );
        }
    }

    #[test]
    fn passes_are_capped_and_noise_is_tolerated() {
        let p = calibrate(Duration::from_secs(3600), 19_456, linear(250)).unwrap();
        assert_eq!(p.t(), MAX_CALIBRATED_T);
        // A noisy clock that measures the full run far slower than one pass predicts: one pass back.
        let mut calls = 0;
        let noisy = |p: Argon2Params| {
            calls += 1;
            Duration::from_nanos(if calls == 1 { 250 } else { 2_000 } * p.work_kib())
        };
        let p = calibrate(Duration::from_millis(20), 19_456, noisy).unwrap();
        assert_eq!(p.t(), 4);
        assert!(calibrate(Duration::ZERO, 19_456, linear(1)).is_err());
        let free = calibrate(Duration::from_millis(5), 19_456, |_| Duration::ZERO).unwrap();
        assert_eq!(free, Argon2Params::default());
        // The longest target or a clock that answers the longest time: no overflow, no panic.
        let p = calibrate(Duration::MAX, 19_456, linear(250)).unwrap();
        assert_eq!(p.t(), MAX_CALIBRATED_T);
        let p = calibrate(Duration::MAX, 19_456, |_| Duration::MAX).unwrap();
        assert_eq!(p, Argon2Params::default());
    }
}
