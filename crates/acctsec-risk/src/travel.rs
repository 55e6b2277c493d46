//! Impossible travel: two sign-ins too far apart for the time between them.

use std::time::Duration;

use acctsec_core::Timestamp;

use crate::geo::Location;
use crate::{Error, Result};

/// The fastest plausible travel speed: 805 km/h, a jet airliner (Okta's documented default).
pub const DEFAULT_MAX_SPEED_KMH: f64 = 805.0;
/// Moves shorter than this are never impossible travel: geolocation of consumer networks is
/// often off by tens of kilometres (about 100 km, as Okta ignores).
pub const DEFAULT_MIN_DISTANCE_KM: f64 = 100.0;

/// When a move between two sign-ins is impossible travel: faster than `max_speed_kmh` over the
/// distance the locations' accuracy radii can't explain, and at least `min_distance_km` long.
/// The defaults ([`TravelLimits::DEFAULT`]) are 805 km/h and 100 km; a service whose users
/// rarely fly may lower the speed, one whose geolocation is coarse may raise the distance.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TravelLimits {
    max_speed_kmh: f64,
    min_distance_km: f64,
}

impl TravelLimits {
    /// 805 km/h ([`DEFAULT_MAX_SPEED_KMH`]) and 100 km ([`DEFAULT_MIN_DISTANCE_KM`]).
    pub const DEFAULT: Self = Self {
        max_speed_kmh: DEFAULT_MAX_SPEED_KMH,
        min_distance_km: DEFAULT_MIN_DISTANCE_KM,
    };

    /// Limits of a speed and a distance.
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] unless the speed is finite and above 0 and the distance finite and not
    /// negative.
    pub fn new(max_speed_kmh: f64, min_distance_km: f64) -> Result<Self> {
        if !(max_speed_kmh.is_finite() && max_speed_kmh > 0.0) {
            return Err(Error::Invalid(
                "travel limits",
                "the speed must be finite and above 0",
            ));
        }
        if !(min_distance_km.is_finite() && min_distance_km >= 0.0) {
            return Err(Error::Invalid(
                "travel limits",
                "the distance must be finite and not negative",
            ));
        }
        Ok(Self {
            max_speed_kmh,
            min_distance_km,
        })
    }

    /// The fastest plausible speed, km/h.
    #[must_use]
    pub const fn max_speed_kmh(&self) -> f64 {
        self.max_speed_kmh
    }

    /// The shortest move ever called impossible, km.
    #[must_use]
    pub const fn min_distance_km(&self) -> f64 {
        self.min_distance_km
    }
}

impl Default for TravelLimits {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// A move between two sign-ins that no traveller could make.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub struct ImpossibleTravel {
    /// Great-circle distance, km.
    pub distance_km: f64,
    /// Time between the sign-ins.
    pub elapsed: Duration,
    /// The speed the move would need, km/h.
    pub speed_kmh: f64,
}

impl ImpossibleTravel {
    /// A sentence for the owner, such as "travelled 9,400 km in 2 hours".
    #[must_use]
    pub fn describe(&self) -> String {
        let km = self.distance_km.round();
        let minutes = self.elapsed.as_secs() / 60;
        let time = match minutes {
            0 => "under a minute".to_owned(),
            1..=119 => format!("{minutes} minutes"),
            _ => format!("{} hours", minutes / 60),
        };
        format!("travelled {} km in {time}", thousands(km))
    }
}

fn thousands(km: f64) -> String {
    // `km` is a rounded, non-negative distance on Earth (< 20,100 km).
    let digits = format!("{km:.0}");
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Checks a move from `from` at `then` to `to` at `now` against the `limits`' speed, ignoring
/// moves within the two locations' accuracy radii or under the limits' distance.
#[must_use]
pub fn impossible_travel(
    from: &Location,
    then: Timestamp,
    to: &Location,
    now: Timestamp,
    limits: &TravelLimits,
) -> Option<ImpossibleTravel> {
    let distance_km = from.distance_km(to);
    let uncertainty = from.accuracy_km() + to.accuracy_km();
    if distance_km < limits.min_distance_km || distance_km <= uncertainty {
        return None;
    }
    // A move is judged on the distance the locations can't explain.
    let unexplained_km = distance_km - uncertainty;
    // Sign-ins can arrive out of order: what matters is the time between them. A time between
    // that can't be told (an overflow) tells nothing either.
    let elapsed = now
        .duration_since(then)
        .or_else(|| then.duration_since(now))?;
    let hours = elapsed.as_secs_f64() / 3600.0;
    let speed_kmh = if hours > 0.0 {
        unexplained_km / hours
    } else {
        f64::INFINITY
    };
    (speed_kmh > limits.max_speed_kmh).then_some(ImpossibleTravel {
        distance_km,
        elapsed,
        speed_kmh,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(lat: f64, lon: f64, acc: f64) -> Location {
        Location::new(lat, lon, acc).unwrap()
    }

    const HOUR: i64 = 3600;

    #[test]
    fn out_of_order_sign_ins_are_judged_on_the_time_between() {
        let far = impossible_travel(
            &at(59.91, 10.75, 5.0),
            Timestamp::from_unix_secs(10 * HOUR),
            &at(60.39, 5.32, 5.0),
            Timestamp::from_unix_secs(7 * HOUR),
            &TravelLimits::DEFAULT,
        );
        assert_eq!(far, None, "305 km three hours apart, whichever came first");
        // Times so far apart their difference overflows: no time between is known, so no speed.
        let unknown = impossible_travel(
            &at(59.91, 10.75, 5.0),
            Timestamp::from_unix_millis(i64::MIN),
            &at(-22.91, -43.17, 5.0),
            Timestamp::from_unix_millis(i64::MAX),
            &TravelLimits::DEFAULT,
        );
        assert_eq!(unknown, None);
    }

    #[test]
    fn over_nine_thousand_km_in_an_hour_is_flagged() {
        // Oslo to Rio de Janeiro, about 10,300 km, in one hour.
        let t = impossible_travel(
            &at(59.91, 10.75, 5.0),
            Timestamp::from_unix_secs(0),
            &at(-22.91, -43.17, 5.0),
            Timestamp::from_unix_secs(HOUR),
            &TravelLimits::DEFAULT,
        )
        .expect("flagged");
        assert!(t.distance_km > 9_000.0);
        assert!(t.speed_kmh > 9_000.0);
        assert!(
            t.describe().starts_with("travelled 10,"),
            "{}",
            t.describe()
        );
    }

    #[test]
    fn ordinary_moves_are_not_flagged() {
        // Oslo to Bergen (about 305 km) in three hours: 100 km/h.
        let none = impossible_travel(
            &at(59.91, 10.75, 5.0),
            Timestamp::from_unix_secs(0),
            &at(60.39, 5.32, 5.0),
            Timestamp::from_unix_secs(3 * HOUR),
            &TravelLimits::DEFAULT,
        );
        assert_eq!(none, None);
        // 300 km apart in one minute, but both locations are only known to within 200 km.
        let fuzzy = impossible_travel(
            &at(59.91, 10.75, 200.0),
            Timestamp::from_unix_secs(0),
            &at(60.39, 5.32, 200.0),
            Timestamp::from_unix_secs(60),
            &TravelLimits::DEFAULT,
        );
        assert_eq!(fuzzy, None);
        // 80 km in no time: under the minimum distance.
        let near = impossible_travel(
            &at(59.91, 10.75, 1.0),
            Timestamp::from_unix_secs(0),
            &at(59.50, 11.90, 1.0),
            Timestamp::from_unix_secs(0),
            &TravelLimits::DEFAULT,
        );
        assert_eq!(near, None);
    }

    #[test]
    fn limits_are_the_host_s_to_set_within_reason() {
        let (oslo, bergen) = (at(59.91, 10.75, 5.0), at(60.39, 5.32, 5.0));
        let two_hours = Timestamp::from_unix_secs(2 * HOUR);
        let t0 = Timestamp::from_unix_secs(0);
        // About 295 km unexplained in two hours: fine at 805 km/h, not at 100 km/h.
        assert_eq!(
            impossible_travel(&oslo, t0, &bergen, two_hours, &TravelLimits::default()),
            None
        );
        let slow = TravelLimits::new(100.0, 100.0).unwrap();
        let flagged = impossible_travel(&oslo, t0, &bergen, two_hours, &slow).expect("flagged");
        assert!((140.0..155.0).contains(&flagged.speed_kmh), "{flagged:?}");
        // Ignored again when the shortest impossible move is longer than this one.
        let coarse = TravelLimits::new(100.0, 400.0).unwrap();
        assert_eq!(
            impossible_travel(&oslo, t0, &bergen, two_hours, &coarse),
            None
        );
        assert_eq!(
            (slow.max_speed_kmh(), slow.min_distance_km()),
            (100.0, 100.0)
        );
        for (speed, distance) in [
            (0.0, 100.0),
            (-1.0, 100.0),
            (f64::NAN, 100.0),
            (f64::INFINITY, 100.0),
            (805.0, -1.0),
            (805.0, f64::NAN),
            (805.0, f64::INFINITY),
        ] {
            assert!(
                TravelLimits::new(speed, distance).is_err(),
                "{speed} {distance}"
            );
        }
        assert!(TravelLimits::new(805.0, 0.0).is_ok());
    }

    #[test]
    fn the_same_instant_far_away_is_flagged_and_described() {
        let t = impossible_travel(
            &at(0.0, 0.0, 0.0),
            Timestamp::from_unix_secs(10),
            &at(0.0, 10.0, 0.0),
            Timestamp::from_unix_secs(10),
            &TravelLimits::DEFAULT,
        )
        .expect("flagged");
        assert!(t.speed_kmh.is_infinite());
        assert_eq!(t.describe(), "travelled 1,112 km in under a minute");
    }
}
