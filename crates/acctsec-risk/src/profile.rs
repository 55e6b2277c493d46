//! [`Profile`]: what the rules remember of one account — countries, devices and the last sign-in
//! — compact, bounded and versioned, for the host's profile store.

use acctsec_core::store::ProfileData;
use acctsec_core::{DeviceId, Timestamp};
use sha2::{Digest, Sha256};

use crate::assess::Signals;
use crate::geo::{CountryCode, Location};
use crate::travel::{DEFAULT_MAX_SPEED_KMH, DEFAULT_MIN_DISTANCE_KM, impossible_travel};
use crate::{Error, Result};

/// The most countries a profile remembers; the least recently seen is forgotten first.
pub const MAX_PROFILE_COUNTRIES: usize = 16;
/// The most devices a profile remembers; the least recently seen is forgotten first.
pub const MAX_PROFILE_DEVICES: usize = 16;
/// The most bytes a stored profile takes (16 countries, 16 devices, the last sign-in): 648.
pub const MAX_PROFILE_ENCODED_BYTES: usize = 1 + 4 + 1 + 16 * 14 + 1 + 16 * 24 + 1 + 8 + 24;

const FORMAT_VERSION: u8 = 1;

#[derive(Debug, Clone, Copy, PartialEq)]
struct CountrySeen {
    code: CountryCode,
    count: u32,
    last: Timestamp,
}

#[derive(Clone, Copy, PartialEq, Eq)]
struct DeviceSeen {
    digest: [u8; 16],
    last: Timestamp,
}

impl std::fmt::Debug for DeviceSeen {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeviceSeen")
            .field("last", &self.last)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
struct LastSignIn {
    at: Timestamp,
    location: Option<Location>,
}

/// What the rules remember of one account's successful sign-ins: the countries (with counts), the
/// devices (as digests of their ids: a device cookie may be a credential, so the profile never
/// holds it), and when and where the last sign-in was. Bounded: at most
/// [`MAX_PROFILE_COUNTRIES`] countries and [`MAX_PROFILE_DEVICES`] devices, at most
/// [`MAX_PROFILE_ENCODED_BYTES`] stored.
///
/// ```
/// use acctsec_core::{DeviceId, Timestamp};
/// use acctsec_risk::{CountryCode, Profile};
///
/// let mut profile = Profile::new();
/// let no = CountryCode::new("NO")?;
/// let laptop = DeviceId::new("d-1").map_err(|_| acctsec_risk::Error::Invalid("device", "bad"))?;
/// profile.learn(Some(no), Some(&laptop), None, Timestamp::from_unix_secs(0));
/// let signals = profile.signals(Some(CountryCode::new("BR")?), Some(&laptop), None, Timestamp::from_unix_secs(60));
/// assert_eq!(signals.new_country.map(|c| c.to_string()).as_deref(), Some("BR"));
/// assert!(!signals.new_device);
/// let stored = profile.to_data()?;
/// assert_eq!(Profile::from_data(&stored)?, profile);
/// # Ok::<(), acctsec_risk::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Profile {
    successes: u32,
    countries: Vec<CountrySeen>,
    devices: Vec<DeviceSeen>,
    last: Option<LastSignIn>,
}

fn device_digest(device: &DeviceId) -> [u8; 16] {
    let mut h = Sha256::new();
    h.update(b"acctsec-risk/v1/device");
    h.update(device.as_str().as_bytes());
    let full: [u8; 32] = h.finalize().into();
    let mut out = [0_u8; 16];
    out.copy_from_slice(full.get(..16).unwrap_or(&[0; 16]));
    out
}

impl Profile {
    /// An empty profile.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// How many successful sign-ins were learned.
    #[must_use]
    pub const fn successes(&self) -> u32 {
        self.successes
    }

    /// The signals an attempt raises against what the account has done before: a new country,
    /// a new device (or none presented), impossible travel since the last sign-in (Okta's
    /// 805 km/h, ignoring moves under 100 km). An account with no successful sign-ins yet raises
    /// none of them (`assess` treats it as having no history). Score and failures are the
    /// caller's to add.
    #[must_use]
    pub fn signals(
        &self,
        country: Option<CountryCode>,
        device: Option<&DeviceId>,
        location: Option<&Location>,
        now: Timestamp,
    ) -> Signals {
        let mut signals = Signals::default();
        if self.successes == 0 {
            return signals;
        }
        signals.new_country =
            country.filter(|c| !self.countries.iter().any(|seen| seen.code == *c));
        signals.new_device = device.is_none_or(|d| {
            let digest = device_digest(d);
            !self.devices.iter().any(|seen| seen.digest == digest)
        });
        if let (
            Some(LastSignIn {
                at,
                location: Some(there),
            }),
            Some(here),
        ) = (&self.last, location)
        {
            signals.impossible_travel = impossible_travel(
                there,
                *at,
                here,
                now,
                DEFAULT_MAX_SPEED_KMH,
                DEFAULT_MIN_DISTANCE_KM,
            );
        }
        signals
    }

    /// Learns a successful sign-in.
    pub fn learn(
        &mut self,
        country: Option<CountryCode>,
        device: Option<&DeviceId>,
        location: Option<Location>,
        at: Timestamp,
    ) {
        self.successes = self.successes.saturating_add(1);
        if let Some(code) = country {
            match self.countries.iter_mut().find(|seen| seen.code == code) {
                Some(seen) => {
                    seen.count = seen.count.saturating_add(1);
                    seen.last = seen.last.max(at);
                }
                None => {
                    if self.countries.len() == MAX_PROFILE_COUNTRIES {
                        evict_oldest(&mut self.countries, |c| c.last);
                    }
                    self.countries.push(CountrySeen {
                        code,
                        count: 1,
                        last: at,
                    });
                }
            }
        }
        if let Some(device) = device {
            let digest = device_digest(device);
            match self.devices.iter_mut().find(|seen| seen.digest == digest) {
                Some(seen) => seen.last = seen.last.max(at),
                None => {
                    if self.devices.len() == MAX_PROFILE_DEVICES {
                        evict_oldest(&mut self.devices, |d| d.last);
                    }
                    self.devices.push(DeviceSeen { digest, last: at });
                }
            }
        }
        if self.last.is_none_or(|last| at >= last.at) {
            self.last = Some(LastSignIn { at, location });
        }
    }

    /// Forgets countries and devices last seen before `cutoff` (an age window: six months of
    /// history is enough, per Wiefling et al.).
    pub fn forget_before(&mut self, cutoff: Timestamp) {
        self.countries.retain(|c| c.last >= cutoff);
        self.devices.retain(|d| d.last >= cutoff);
    }

    /// The profile's stored form.
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] never in practice: the caps keep it far under the store's limit.
    pub fn to_data(&self) -> Result<ProfileData> {
        let mut out = Vec::with_capacity(MAX_PROFILE_ENCODED_BYTES);
        out.push(FORMAT_VERSION);
        out.extend_from_slice(&self.successes.to_le_bytes());
        out.push(u8::try_from(self.countries.len()).unwrap_or(u8::MAX));
        for c in &self.countries {
            out.extend_from_slice(c.code.as_str().as_bytes());
            out.extend_from_slice(&c.count.to_le_bytes());
            out.extend_from_slice(&c.last.as_unix_millis().to_le_bytes());
        }
        out.push(u8::try_from(self.devices.len()).unwrap_or(u8::MAX));
        for d in &self.devices {
            out.extend_from_slice(&d.digest);
            out.extend_from_slice(&d.last.as_unix_millis().to_le_bytes());
        }
        match &self.last {
            None => out.push(0),
            Some(LastSignIn { at, location: None }) => {
                out.push(1);
                out.extend_from_slice(&at.as_unix_millis().to_le_bytes());
            }
            Some(LastSignIn {
                at,
                location: Some(l),
            }) => {
                out.push(2);
                out.extend_from_slice(&at.as_unix_millis().to_le_bytes());
                for v in [l.lat(), l.lon(), l.accuracy_km()] {
                    out.extend_from_slice(&v.to_le_bytes());
                }
            }
        }
        ProfileData::new(out).map_err(|_| Error::Invalid("risk profile", "too large"))
    }

    /// Reads a stored profile.
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] if the bytes are not a profile of this format: another version, too
    /// many entries, bad values, truncated or with trailing bytes.
    pub fn from_data(data: &ProfileData) -> Result<Self> {
        let bad = |reason| Error::Invalid("risk profile", reason);
        let mut r = Reader(data.as_bytes());
        if r.u8()? != FORMAT_VERSION {
            return Err(bad("unknown format version"));
        }
        let successes = r.u32()?;
        let countries_len = usize::from(r.u8()?);
        if countries_len > MAX_PROFILE_COUNTRIES {
            return Err(bad("too many countries"));
        }
        let mut countries = Vec::with_capacity(countries_len);
        for _ in 0..countries_len {
            let code = r.take(2)?;
            let code = std::str::from_utf8(code).map_err(|_| bad("bad country"))?;
            let code = CountryCode::new(code).map_err(|_| bad("bad country"))?;
            countries.push(CountrySeen {
                code,
                count: r.u32()?,
                last: r.time()?,
            });
        }
        let devices_len = usize::from(r.u8()?);
        if devices_len > MAX_PROFILE_DEVICES {
            return Err(bad("too many devices"));
        }
        let mut devices = Vec::with_capacity(devices_len);
        for _ in 0..devices_len {
            let digest: [u8; 16] = r.take(16)?.try_into().map_err(|_| bad("truncated"))?;
            devices.push(DeviceSeen {
                digest,
                last: r.time()?,
            });
        }
        let last = match r.u8()? {
            0 => None,
            1 => Some(LastSignIn {
                at: r.time()?,
                location: None,
            }),
            2 => {
                let at = r.time()?;
                let (lat, lon, acc) = (r.f64()?, r.f64()?, r.f64()?);
                let location = Location::new(lat, lon, acc).map_err(|_| bad("bad location"))?;
                Some(LastSignIn {
                    at,
                    location: Some(location),
                })
            }
            _ => return Err(bad("bad last sign-in")),
        };
        if !r.0.is_empty() {
            return Err(bad("trailing bytes"));
        }
        Ok(Self {
            successes,
            countries,
            devices,
            last,
        })
    }
}

/// Removes the entry with the oldest `last`.
fn evict_oldest<T>(list: &mut Vec<T>, last: impl Fn(&T) -> Timestamp) {
    if let Some((i, _)) = list.iter().enumerate().min_by_key(|(_, e)| last(e)) {
        list.remove(i);
    }
}

/// Reads little-endian values off a byte slice, failing instead of panicking when it runs out.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        let (head, rest) = self
            .0
            .split_at_checked(n)
            .ok_or(Error::Invalid("risk profile", "truncated"))?;
        self.0 = rest;
        Ok(head)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N]> {
        self.take(N)?
            .try_into()
            .map_err(|_| Error::Invalid("risk profile", "truncated"))
    }

    fn u8(&mut self) -> Result<u8> {
        Ok(self.array::<1>()?[0])
    }

    fn u32(&mut self) -> Result<u32> {
        Ok(u32::from_le_bytes(self.array()?))
    }

    fn time(&mut self) -> Result<Timestamp> {
        Ok(Timestamp::from_unix_millis(i64::from_le_bytes(
            self.array()?,
        )))
    }

    fn f64(&mut self) -> Result<f64> {
        Ok(f64::from_le_bytes(self.array()?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(secs: i64) -> Timestamp {
        Timestamp::from_unix_secs(secs)
    }

    fn cc(code: &str) -> Option<CountryCode> {
        CountryCode::new(code).ok()
    }

    fn device(id: &str) -> DeviceId {
        DeviceId::new(id).unwrap()
    }

    #[test]
    fn signals_against_what_the_account_did_before() {
        let mut p = Profile::new();
        let laptop = device("laptop-1");
        let oslo = Location::new(59.91, 10.75, 5.0).unwrap();
        // Nothing to compare with yet.
        assert_eq!(
            p.signals(cc("NO"), Some(&laptop), Some(&oslo), t(0)),
            Signals::default()
        );
        p.learn(cc("NO"), Some(&laptop), Some(oslo), t(0));
        let same = p.signals(cc("NO"), Some(&laptop), Some(&oslo), t(60));
        assert_eq!(
            (same.new_country, same.new_device, same.impossible_travel),
            (None, false, None)
        );
        let rio = Location::new(-22.91, -43.17, 5.0).unwrap();
        let away = p.signals(cc("BR"), Some(&device("phone-9")), Some(&rio), t(3600));
        assert_eq!(away.new_country, cc("BR"));
        assert!(away.new_device);
        assert!(
            away.impossible_travel
                .is_some_and(|i| i.distance_km > 10_000.0)
        );
        // No device presented counts as a new one.
        assert!(p.signals(cc("NO"), None, None, t(60)).new_device);
        assert_eq!(p.successes(), 1);
    }

    #[test]
    fn entries_are_capped_least_recently_seen_first() {
        let mut p = Profile::new();
        let codes: Vec<String> = (0..20)
            .map(|i| format!("A{}", char::from(b'A' + i)))
            .collect();
        for (i, code) in codes.iter().enumerate() {
            let d = device(&format!("dev-{i}"));
            p.learn(cc(code), Some(&d), None, t(i64::try_from(i).unwrap()));
        }
        assert_eq!(p.countries.len(), MAX_PROFILE_COUNTRIES);
        assert_eq!(p.devices.len(), MAX_PROFILE_DEVICES);
        // The four oldest were forgotten; the newest are known.
        assert!(
            p.signals(cc("AA"), None, None, t(100))
                .new_country
                .is_some()
        );
        assert!(
            p.signals(cc("AT"), Some(&device("dev-19")), None, t(100))
                .new_country
                .is_none()
        );
        assert!(
            !p.signals(cc("AT"), Some(&device("dev-19")), None, t(100))
                .new_device
        );
        let stored = p.to_data().unwrap();
        assert!(stored.as_bytes().len() <= MAX_PROFILE_ENCODED_BYTES);
        assert_eq!(Profile::from_data(&stored).unwrap(), p);
    }

    #[test]
    fn an_age_window_forgets_old_entries() {
        let mut p = Profile::new();
        p.learn(cc("NO"), Some(&device("old")), None, t(0));
        p.learn(cc("SE"), Some(&device("new")), None, t(1000));
        p.forget_before(t(500));
        assert!(
            p.signals(cc("NO"), None, None, t(2000))
                .new_country
                .is_some()
        );
        assert!(
            p.signals(cc("SE"), Some(&device("new")), None, t(2000))
                .new_country
                .is_none()
        );
        assert!(
            p.signals(cc("SE"), Some(&device("old")), None, t(2000))
                .new_device
        );
    }

    #[test]
    fn the_stored_form_round_trips_and_refuses_what_it_is_not() {
        let mut p = Profile::new();
        p.learn(
            cc("NO"),
            Some(&device("d")),
            Location::new(1.0, 2.0, 3.0).ok(),
            t(7),
        );
        let bytes = p.to_data().unwrap().as_bytes().to_vec();
        let data = |b: Vec<u8>| ProfileData::new(b).unwrap();
        assert_eq!(Profile::from_data(&data(bytes.clone())).unwrap(), p);
        let mut other_version = bytes.clone();
        other_version[0] = 2;
        assert!(Profile::from_data(&data(other_version)).is_err());
        assert!(Profile::from_data(&data(bytes[..bytes.len() - 1].to_vec())).is_err());
        let mut trailing = bytes.clone();
        trailing.push(0);
        assert!(Profile::from_data(&data(trailing)).is_err());
        let mut many = vec![1, 0, 0, 0, 0, 17];
        many.extend(std::iter::repeat_n(0, 17 * 14 + 2));
        assert!(Profile::from_data(&data(many)).is_err());
        // Device ids are not kept, nor printed.
        assert!(!format!("{p:?}").contains("digest"));
    }

    proptest::proptest! {
        #[test]
        fn any_stored_bytes_read_or_fail_cleanly(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..700)) {
            if let Ok(p) = Profile::from_data(&ProfileData::new(bytes).unwrap()) {
                let again = p.to_data().unwrap();
                proptest::prop_assert!(again.as_bytes().len() <= MAX_PROFILE_ENCODED_BYTES);
            }
        }
    }
}
