//! Where a sign-in comes from: [`Location`], [`Geo`], and the host's [`GeoLookup`].

use std::fmt;
use std::net::IpAddr;

use crate::{Error, Result};

/// An ISO 3166-1 alpha-2 country code, upper case (`NO`, `BR`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CountryCode([u8; 2]);

impl CountryCode {
    /// Parses two ASCII letters, in either case.
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] unless the text is exactly two ASCII letters.
    pub fn new(code: &str) -> Result<Self> {
        match code.as_bytes() {
            [a, b] if a.is_ascii_alphabetic() && b.is_ascii_alphabetic() => {
                Ok(Self([a.to_ascii_uppercase(), b.to_ascii_uppercase()]))
            }
            _ => Err(Error::Invalid("country code", "expected two letters")),
        }
    }

    /// The code.
    #[must_use]
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).unwrap_or("??")
    }
}

impl fmt::Display for CountryCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A point on Earth with the radius within which the geolocation is likely right.
///
/// Where a person signs in from is personal: `Debug` shows the accuracy radius, not the place.
#[derive(Clone, Copy, PartialEq)]
pub struct Location {
    lat: f64,
    lon: f64,
    accuracy_km: f64,
}

impl fmt::Debug for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Location")
            .field("accuracy_km", &self.accuracy_km)
            .finish_non_exhaustive()
    }
}

/// Mean Earth radius, km (IUGG).
const EARTH_RADIUS_KM: f64 = 6_371.008_8;
/// The largest accuracy radius a [`Location`] may have: half the Earth's circumference. A radius
/// that large already says "anywhere" (no two places are farther apart), and the
/// impossible-travel check rightly ignores such a place; a larger one is no measurement but a
/// fault (an infinite radius in a corrupted profile), and is refused.
pub const MAX_ACCURACY_KM: f64 = std::f64::consts::PI * EARTH_RADIUS_KM;

impl Location {
    /// A location from degrees and an accuracy radius in kilometres.
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] if the latitude is outside ±90, the longitude outside ±180, or the
    /// radius negative, not finite or over [`MAX_ACCURACY_KM`].
    pub fn new(lat: f64, lon: f64, accuracy_km: f64) -> Result<Self> {
        if !(-90.0..=90.0).contains(&lat) || !(-180.0..=180.0).contains(&lon) {
            return Err(Error::Invalid(
                "location",
                "latitude or longitude out of range",
            ));
        }
        if !(0.0..=MAX_ACCURACY_KM).contains(&accuracy_km) {
            return Err(Error::Invalid(
                "location",
                "accuracy radius must be from zero to half the Earth's circumference",
            ));
        }
        Ok(Self {
            lat,
            lon,
            accuracy_km,
        })
    }

    /// Latitude, degrees.
    #[must_use]
    pub const fn lat(&self) -> f64 {
        self.lat
    }

    /// Longitude, degrees.
    #[must_use]
    pub const fn lon(&self) -> f64 {
        self.lon
    }

    /// Accuracy radius, km.
    #[must_use]
    pub const fn accuracy_km(&self) -> f64 {
        self.accuracy_km
    }

    /// Great-circle distance in kilometres (haversine on a sphere of the mean Earth radius).
    #[must_use]
    pub fn distance_km(&self, other: &Self) -> f64 {
        let (p1, p2) = (self.lat.to_radians(), other.lat.to_radians());
        let dp = p2 - p1;
        let dl = (other.lon - self.lon).to_radians();
        let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
        2.0 * EARTH_RADIUS_KM * a.sqrt().min(1.0).asin()
    }
}

/// What a geolocation database says about an address.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
#[non_exhaustive]
pub struct Geo {
    /// The country.
    pub country: Option<CountryCode>,
    /// The autonomous system number of the network.
    pub asn: Option<u32>,
    /// The location.
    pub location: Option<Location>,
}

/// The host's geolocation: an IP address to country, network and place. acctsec ships none (the
/// databases are licensed separately); the host wires in its own.
pub trait GeoLookup: Send + Sync {
    /// What is known of `ip`, or `None`.
    fn lookup(&self, ip: IpAddr) -> Option<Geo>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances_match_known_routes() {
        let oslo = Location::new(59.9139, 10.7522, 0.0).unwrap();
        let sao_paulo = Location::new(-23.5505, -46.6333, 0.0).unwrap();
        let bergen = Location::new(60.3913, 5.3221, 0.0).unwrap();
        // Oslo–São Paulo is about 10,630 km; Oslo–Bergen about 305 km.
        assert!((oslo.distance_km(&sao_paulo) - 10_633.0).abs() < 10.0);
        assert!((oslo.distance_km(&bergen) - 305.0).abs() < 5.0);
        assert!(oslo.distance_km(&oslo) < 1e-9);
        assert!(Location::new(91.0, 0.0, 1.0).is_err());
        assert!(Location::new(0.0, 0.0, f64::NAN).is_err());
        assert!(Location::new(0.0, 0.0, -0.5).is_err());
        // Half the circumference already says "anywhere"; more is no measurement.
        assert!(Location::new(0.0, 0.0, MAX_ACCURACY_KM).is_ok());
        assert!(Location::new(0.0, 0.0, MAX_ACCURACY_KM + 1.0).is_err());
        assert!(Location::new(0.0, 0.0, 1e300).is_err());
        let antipode = Location::new(0.0, 180.0, 0.0).unwrap();
        assert!(
            (Location::new(0.0, 0.0, 0.0).unwrap().distance_km(&antipode) - MAX_ACCURACY_KM).abs()
                < 1e-6
        );
        assert_eq!(CountryCode::new("no").unwrap().as_str(), "NO");
        assert!(CountryCode::new("NOR").is_err());
    }
}
