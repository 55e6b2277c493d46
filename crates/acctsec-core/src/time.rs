//! Time as an input: [`Timestamp`], the [`Clock`] trait and the [`SystemClock`].

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::error::Error;

/// An instant in UTC, with millisecond precision, as milliseconds since the Unix epoch.
///
/// Stores and flows take "now" as a `Timestamp` argument; nothing in the library reads the wall
/// clock except [`SystemClock`]. Arithmetic saturates instead of overflowing.
///
/// It prints and parses RFC 3339 in UTC (`2020-02-03T12:43:30.772Z`); parsing also accepts a space
/// instead of `T` and a missing `Z`, as login logs often write it.
///
/// ```
/// use acctsec_core::Timestamp;
/// use std::time::Duration;
///
/// let t: Timestamp = "2020-02-03 12:43:30.772".parse()?;
/// assert_eq!(t.as_unix_millis(), 1_580_733_810_772);
/// assert_eq!(t.to_string(), "2020-02-03T12:43:30.772Z");
/// let later = t.saturating_add(Duration::from_secs(60));
/// assert_eq!(later.duration_since(t), Some(Duration::from_secs(60)));
/// # Ok::<(), acctsec_core::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(i64);

/// The longest timestamp text [`Timestamp::from_str`] looks at.
pub const MAX_TIMESTAMP_TEXT_BYTES: usize = 40;

const MS_PER_DAY: i64 = 86_400_000;

impl Timestamp {
    /// 1970-01-01T00:00:00Z.
    pub const UNIX_EPOCH: Self = Self(0);

    /// From milliseconds since the Unix epoch.
    #[must_use]
    pub const fn from_unix_millis(millis: i64) -> Self {
        Self(millis)
    }

    /// From whole seconds since the Unix epoch (saturating).
    #[must_use]
    pub const fn from_unix_secs(secs: i64) -> Self {
        Self(secs.saturating_mul(1000))
    }

    /// Milliseconds since the Unix epoch.
    #[must_use]
    pub const fn as_unix_millis(self) -> i64 {
        self.0
    }

    /// Whole seconds since the Unix epoch, rounded towards negative infinity.
    #[must_use]
    pub const fn as_unix_secs(self) -> i64 {
        self.0.div_euclid(1000)
    }

    /// `self + d`, saturating at the largest timestamp.
    #[must_use]
    pub fn saturating_add(self, d: Duration) -> Self {
        Self(self.0.saturating_add(duration_millis(d)))
    }

    /// `self + d`, or `None` past the largest timestamp.
    ///
    /// ```
    /// use std::time::Duration;
    /// use acctsec_core::Timestamp;
    ///
    /// let t = Timestamp::from_unix_millis(1_000);
    /// assert_eq!(t.checked_add(Duration::from_secs(1)), Some(Timestamp::from_unix_millis(2_000)));
    /// assert_eq!(Timestamp::from_unix_millis(i64::MAX - 999).checked_add(Duration::from_secs(1)), None);
    /// assert_eq!(t.checked_add(Duration::MAX), None);
    /// ```
    #[must_use]
    pub fn checked_add(self, d: Duration) -> Option<Self> {
        let millis = i64::try_from(d.as_millis()).ok()?;
        self.0.checked_add(millis).map(Self)
    }

    /// `self - d`, saturating at the smallest timestamp.
    #[must_use]
    pub fn saturating_sub(self, d: Duration) -> Self {
        Self(self.0.saturating_sub(duration_millis(d)))
    }

    /// How long after `earlier` this is, or `None` if `earlier` is later.
    #[must_use]
    pub fn duration_since(self, earlier: Self) -> Option<Duration> {
        let diff = self.0.checked_sub(earlier.0)?;
        u64::try_from(diff).ok().map(Duration::from_millis)
    }
}

fn duration_millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

// Civil-date conversions after Howard Hinnant's `days_from_civil` / `civil_from_days`
// (proleptic Gregorian calendar, valid for the whole i64 day range we accept).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

fn is_leap(y: i64) -> bool {
    y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let days = self.0.div_euclid(MS_PER_DAY);
        let ms_of_day = self.0.rem_euclid(MS_PER_DAY);
        let (y, m, d) = civil_from_days(days);
        let secs = ms_of_day / 1000;
        write!(
            f,
            "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}Z",
            secs / 3600,
            secs / 60 % 60,
            secs % 60,
            ms_of_day % 1000
        )
    }
}

impl FromStr for Timestamp {
    type Err = Error;

    /// Parses `YYYY-MM-DD[T ]HH:MM:SS[.fraction][Z]` in UTC, years 0000 to 9999.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        const WHAT: &str = "timestamp";
        if s.len() > MAX_TIMESTAMP_TEXT_BYTES {
            return Err(Error::invalid(WHAT, "too long"));
        }
        let b = s.strip_suffix('Z').unwrap_or(s).as_bytes();
        if b.len() < 19 {
            return Err(Error::invalid(WHAT, "expected YYYY-MM-DD HH:MM:SS"));
        }
        let num = |range: std::ops::Range<usize>| -> Result<i64, Error> {
            b[range].iter().try_fold(0_i64, |acc, &c| {
                if c.is_ascii_digit() {
                    Ok(acc * 10 + i64::from(c - b'0'))
                } else {
                    Err(Error::invalid(WHAT, "expected a digit"))
                }
            })
        };
        if b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't' | b' ') {
            return Err(Error::invalid(WHAT, "expected YYYY-MM-DD HH:MM:SS"));
        }
        if b[13] != b':' || b[16] != b':' {
            return Err(Error::invalid(WHAT, "expected HH:MM:SS"));
        }
        let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
        let (h, mi, sec) = (num(11..13)?, num(14..16)?, num(17..19)?);
        if !(1..=12).contains(&mo) || d < 1 || d > days_in_month(y, mo) {
            return Err(Error::invalid(WHAT, "no such date"));
        }
        if h > 23 || mi > 59 || sec > 59 {
            return Err(Error::invalid(WHAT, "no such time of day"));
        }
        let mut millis = 0;
        if let Some(fraction) = b.get(19..).filter(|f| !f.is_empty()) {
            let digits = fraction
                .strip_prefix(b".")
                .filter(|d| !d.is_empty() && d.iter().all(u8::is_ascii_digit))
                .ok_or(Error::invalid(WHAT, "unexpected text after the seconds"))?;
            // Keep milliseconds; finer digits are dropped (truncated towards the past). At most
            // three digits are ever turned into a number.
            for (i, weight) in [100, 10, 1].into_iter().enumerate() {
                millis += digits.get(i).map_or(0, |d| i64::from(d - b'0') * weight);
            }
        }
        let day_ms = days_from_civil(y, mo, d) * MS_PER_DAY;
        Ok(Self(day_ms + ((h * 60 + mi) * 60 + sec) * 1000 + millis))
    }
}

/// A source of the current time, injected wherever "now" is needed.
///
/// Library code never reads the wall clock itself; tests pass a manual clock instead.
pub trait Clock: Send + Sync {
    /// The current time.
    fn now(&self) -> Timestamp;
}

impl<C: Clock + ?Sized> Clock for &C {
    fn now(&self) -> Timestamp {
        (**self).now()
    }
}

impl<C: Clock + ?Sized> Clock for Arc<C> {
    fn now(&self) -> Timestamp {
        (**self).now()
    }
}

impl<C: Clock + ?Sized> Clock for Box<C> {
    fn now(&self) -> Timestamp {
        (**self).now()
    }
}

/// The operating system's wall clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    #[expect(
        clippy::disallowed_methods,
        reason = "SystemClock is the one place that reads the wall clock"
    )]
    fn now(&self) -> Timestamp {
        match SystemTime::now().duration_since(UNIX_EPOCH) {
            Ok(d) => Timestamp(duration_millis(d)),
            Err(before) => Timestamp(duration_millis(before.duration()).saturating_neg()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn known_instants_print_and_parse() {
        // 2000-02-29 is a leap day; 1969-12-31T23:59:59.999Z is one millisecond before the epoch.
        let cases = [
            (0, "1970-01-01T00:00:00.000Z"),
            (-1, "1969-12-31T23:59:59.999Z"),
            (951_782_400_000, "2000-02-29T00:00:00.000Z"),
            (1_580_733_810_772, "2020-02-03T12:43:30.772Z"),
            (253_402_300_799_999, "9999-12-31T23:59:59.999Z"),
        ];
        for (ms, text) in cases {
            let t = Timestamp::from_unix_millis(ms);
            assert_eq!(t.to_string(), text);
            assert_eq!(text.parse::<Timestamp>(), Ok(t));
        }
    }

    #[test]
    fn parse_accepts_log_forms_and_rejects_nonsense() {
        let t = |s: &str| s.parse::<Timestamp>().map(Timestamp::as_unix_millis);
        assert_eq!(t("2020-02-03 12:43:30"), Ok(1_580_733_810_000));
        assert_eq!(t("2020-02-03T12:43:30.7Z"), Ok(1_580_733_810_700));
        assert_eq!(t("2020-02-03T12:43:30.123456Z"), Ok(1_580_733_810_123));
        // Long fractions are truncated to milliseconds, never overflow.
        assert_eq!(
            t("2020-02-03T12:43:30.99999999999999999999"),
            Ok(1_580_733_810_999)
        );
        for bad in [
            "",
            "2020-02-30 00:00:00",
            "2019-02-29 00:00:00",
            "2020-13-01 00:00:00",
            "2020-01-01 24:00:00",
            "2020-01-01 00:00:00.",
            "2020-01-01 00:00:00+01:00",
            "2020-01-01T00:00:00.99999999999999999999Z",
            "2020-01-01T00:00:00.1a",
            "2020/01/01 00:00:00",
            "２０２０-01-01 00:00:00",
            &"9".repeat(100),
        ] {
            assert!(t(bad).is_err(), "{bad:?} should not parse");
        }
    }

    #[test]
    fn arithmetic_saturates() {
        let max = Timestamp::from_unix_millis(i64::MAX);
        assert_eq!(max.saturating_add(Duration::from_secs(1)), max);
        assert_eq!(Timestamp::UNIX_EPOCH.duration_since(max), None);
        assert_eq!(Timestamp::from_unix_secs(i64::MAX), max);
        assert_eq!(Timestamp::from_unix_millis(-1).as_unix_secs(), -1);
    }

    proptest! {
        #[test]
        fn display_parse_round_trip(ms in 0_i64..253_402_300_800_000) {
            let t = Timestamp::from_unix_millis(ms);
            prop_assert_eq!(t.to_string().parse::<Timestamp>(), Ok(t));
        }

        #[test]
        fn parse_never_panics(s in "\\PC{0,48}") {
            let _ = s.parse::<Timestamp>();
        }

        #[test]
        fn parse_never_panics_on_timestamp_shaped_input(
            date in "[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}:[0-9]{2}",
            tail in "(\\.[0-9]{0,25})?Z?",
        ) {
            let _ = format!("{date}{tail}").parse::<Timestamp>();
        }
    }
}
