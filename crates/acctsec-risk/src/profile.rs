//! [`Profile`]: what the rules remember of one account — countries, devices and the last located
//! sign-in — compact, bounded and versioned, for the host's profile store.

use acctsec_core::store::ProfileData;
use acctsec_core::{DeviceDigest, Timestamp};

use crate::assess::Signals;
use crate::bytes::{Reader, storable};
use crate::compact::{time_ahead_of as ahead_of, window_start};
use crate::geo::{CountryCode, Location};
use crate::travel::{TravelLimits, impossible_travel};
use crate::{Error, Result};

/// The most countries a profile remembers; the least recently seen is forgotten first.
pub const MAX_PROFILE_COUNTRIES: usize = 16;
/// The most devices a profile remembers; the least recently seen is forgotten first.
pub const MAX_PROFILE_DEVICES: usize = 16;
/// The most bytes a stored profile takes (version, count, 16 countries, 16 devices, the last
/// located sign-in): 840.
pub const MAX_PROFILE_ENCODED_BYTES: usize = 1 + 4 + 1 + 16 * 10 + 1 + 16 * 40 + 1 + 8 + 24;

const FORMAT_VERSION: u8 = 2;

#[derive(Debug, Clone, Copy, PartialEq)]
struct CountrySeen {
    code: CountryCode,
    last: Timestamp,
}

#[derive(Clone, Copy, PartialEq, Eq)]
struct DeviceSeen {
    digest: DeviceDigest,
    last: Timestamp,
}

#[derive(Debug, Clone, Copy, PartialEq)]
struct Located {
    at: Timestamp,
    location: Location,
}

/// What the rules remember of one account's successful sign-ins: the countries (when each was
/// last seen), the devices — as [`DeviceDigest`]s, so the profile never holds a device cookie
/// (it may be a credential) and one device can't link two accounts — and the last sign-in whose
/// place was known.
///
/// Bounded: at most [`MAX_PROFILE_COUNTRIES`] countries and [`MAX_PROFILE_DEVICES`] devices, at
/// most [`MAX_PROFILE_ENCODED_BYTES`] stored. `Debug` shows counts only.
///
/// ```
/// use acctsec_core::{DeviceDigest, DeviceId, Timestamp, UserId};
/// use acctsec_risk::{CountryCode, Profile, TravelLimits};
///
/// let mut profile = Profile::new();
/// let cookie = DeviceId::new("d-7f3a9c1e5b2d4f60")?;
/// let laptop = DeviceDigest::of(&UserId::from(7_u64), &cookie);
/// profile.learn(Some(CountryCode::new("NO")?), Some(&laptop), None, Timestamp::from_unix_secs(0));
/// let now = Timestamp::from_unix_secs(60);
/// let signals = profile.signals(Some(CountryCode::new("BR")?), Some(&laptop), None, now, &TravelLimits::DEFAULT);
/// assert_eq!(signals.new_country.map(|c| c.to_string()).as_deref(), Some("BR"));
/// assert!(signals.known_device);
/// assert_eq!(Profile::from_data(&profile.to_data()?)?, profile);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Default, PartialEq)]
pub struct Profile {
    successes: u32,
    countries: Vec<CountrySeen>,
    devices: Vec<DeviceSeen>,
    last_located: Option<Located>,
}

impl std::fmt::Debug for Profile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Where a person signs in from is personal: counts only.
        f.debug_struct("Profile")
            .field("successes", &self.successes)
            .field("countries", &self.countries.len())
            .field("devices", &self.devices.len())
            .field("located", &self.last_located.is_some())
            .finish()
    }
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
    /// whether the device is one the account knows (not when none is presented), impossible travel since the last sign-in with a known
    /// place beyond the `travel` limits (by default Okta's 805 km/h, ignoring moves under
    /// 100 km). Only what was seen within the age window before `now`
    /// ([`USER_MODEL_WINDOW_DAYS`](crate::USER_MODEL_WINDOW_DAYS), as the model) vouches for an
    /// attempt. An account with no successful sign-ins yet raises no country or travel signal
    /// and knows no device: its model score is `None`, which `assess` treats as no history. Score and failures are the caller's to
    /// add.
    #[must_use]
    pub fn signals(
        &self,
        country: Option<CountryCode>,
        device: Option<&DeviceDigest>,
        location: Option<&Location>,
        now: Timestamp,
        travel: &TravelLimits,
    ) -> Signals {
        let mut signals = Signals::default();
        if self.successes == 0 {
            return signals;
        }
        let since = window_start(now);
        let live = |last: Timestamp| last >= since && !ahead_of(last, now);
        signals.new_country = country.filter(|c| {
            !self
                .countries
                .iter()
                .any(|seen| seen.code == *c && live(seen.last))
        });
        signals.known_device = device.is_some_and(|d| {
            self.devices
                .iter()
                .any(|seen| seen.digest == *d && live(seen.last))
        });
        let last_located = self.last_located.filter(|last| live(last.at));
        if let (Some(last), Some(here)) = (&last_located, location) {
            signals.impossible_travel =
                impossible_travel(&last.location, last.at, here, now, travel);
        }
        signals
    }

    /// Learns a successful sign-in, after forgetting what was last seen before the age window
    /// ending at `at` ([`USER_MODEL_WINDOW_DAYS`](crate::USER_MODEL_WINDOW_DAYS), as the model).
    /// Sign-ins may arrive out of order (up to the age window late): an entry keeps its latest
    /// time, and a late one never pushes out something seen more recently. A time outside the years 0000–9999 (which no
    /// stored profile holds) is learned as the nearest within them. Windows count whole days
    /// from 1970 (as the model's do): a sign-in dated before 1970, a clock reset, is older than
    /// every window and vouches for nothing.
    ///
    /// A stored time more than [`CLOCK_AHEAD_TOLERANCE_DAYS`](crate::CLOCK_AHEAD_TOLERANCE_DAYS)
    /// after `at` is a clock's fault: its entry vouches for nothing in
    /// [`signals`](Self::signals), is the first to make room, and takes `at` when seen again; a
    /// last place dated so is replaced by this sign-in's.
    pub fn learn(
        &mut self,
        country: Option<CountryCode>,
        device: Option<&DeviceDigest>,
        location: Option<Location>,
        at: Timestamp,
    ) {
        // A time no stored profile may hold (a broken clock) is learned as the nearest one that
        // it may, as the model keeps the nearest day: the profile stays storable.
        let at = storable(at);
        self.forget_before(window_start(at));
        self.successes = self.successes.saturating_add(1);
        if let Some(code) = country {
            match self.countries.iter_mut().find(|seen| seen.code == code) {
                Some(seen) => seen.last = latest(seen.last, at),
                None => {
                    let entry = CountrySeen { code, last: at };
                    insert_bounded(&mut self.countries, entry, MAX_PROFILE_COUNTRIES, at, |c| {
                        c.last
                    });
                }
            }
        }
        if let Some(device) = device {
            let digest = *device;
            match self.devices.iter_mut().find(|seen| seen.digest == digest) {
                Some(seen) => seen.last = latest(seen.last, at),
                None => {
                    let entry = DeviceSeen { digest, last: at };
                    insert_bounded(&mut self.devices, entry, MAX_PROFILE_DEVICES, at, |d| {
                        d.last
                    });
                }
            }
        }
        if let Some(location) = location
            && self
                .last_located
                .is_none_or(|last| at >= last.at || ahead_of(last.at, at))
        {
            self.last_located = Some(Located { at, location });
        }
    }

    /// Forgets what was last seen before `cutoff` (an age window: six months of history is
    /// enough, per Wiefling et al.; [`learn`](Self::learn) cuts at [`USER_MODEL_WINDOW_DAYS`](crate::USER_MODEL_WINDOW_DAYS)
    /// before each sign-in).
    pub fn forget_before(&mut self, cutoff: Timestamp) {
        self.countries.retain(|c| c.last >= cutoff);
        self.devices.retain(|d| d.last >= cutoff);
        self.last_located = self.last_located.filter(|l| l.at >= cutoff);
    }

    /// The profile's stored form.
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] never in practice: the caps keep it at most
    /// [`MAX_PROFILE_ENCODED_BYTES`].
    pub fn to_data(&self) -> Result<ProfileData> {
        let over = Error::Invalid("risk profile", "over its caps");
        if self.countries.len() > MAX_PROFILE_COUNTRIES || self.devices.len() > MAX_PROFILE_DEVICES
        {
            return Err(over);
        }
        let mut out = Vec::with_capacity(MAX_PROFILE_ENCODED_BYTES);
        out.push(FORMAT_VERSION);
        out.extend_from_slice(&self.successes.to_le_bytes());
        out.push(u8::try_from(self.countries.len()).map_err(|_| over)?);
        for c in &self.countries {
            out.extend_from_slice(c.code.as_str().as_bytes());
            out.extend_from_slice(&c.last.as_unix_millis().to_le_bytes());
        }
        out.push(u8::try_from(self.devices.len()).map_err(|_| over)?);
        for d in &self.devices {
            out.extend_from_slice(d.digest.as_bytes());
            out.extend_from_slice(&d.last.as_unix_millis().to_le_bytes());
        }
        match &self.last_located {
            None => out.push(0),
            Some(l) => {
                out.push(1);
                out.extend_from_slice(&l.at.as_unix_millis().to_le_bytes());
                for v in [l.location.lat(), l.location.lon(), l.location.accuracy_km()] {
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
    /// many or repeated entries, bad values, entries without sign-ins, truncated or with trailing
    /// bytes.
    pub fn from_data(data: &ProfileData) -> Result<Self> {
        Self::from_bytes(data.as_bytes())
    }

    /// [`from_data`](Self::from_data) on bytes already bounded by the caller.
    pub(crate) fn from_bytes(bytes: &[u8]) -> Result<Self> {
        let bad = |reason| Error::Invalid("risk profile", reason);
        let mut r = Reader::open(
            bytes,
            "risk profile",
            MAX_PROFILE_ENCODED_BYTES,
            FORMAT_VERSION,
        )?;
        let successes = r.u32()?;
        let countries_len = usize::from(r.u8()?);
        if countries_len > MAX_PROFILE_COUNTRIES {
            return Err(bad("too many countries"));
        }
        let mut countries: Vec<CountrySeen> = Vec::with_capacity(countries_len);
        for _ in 0..countries_len {
            let code = std::str::from_utf8(r.take(2)?)
                .ok()
                .filter(|c| c.bytes().all(|b| b.is_ascii_uppercase()))
                .and_then(|c| CountryCode::new(c).ok())
                .ok_or(bad("bad country"))?;
            if countries.iter().any(|c| c.code == code) {
                return Err(bad("repeated country"));
            }
            countries.push(CountrySeen {
                code,
                last: r.time()?,
            });
        }
        let devices_len = usize::from(r.u8()?);
        if devices_len > MAX_PROFILE_DEVICES {
            return Err(bad("too many devices"));
        }
        let mut devices: Vec<DeviceSeen> = Vec::with_capacity(devices_len);
        for _ in 0..devices_len {
            let digest = DeviceDigest::from_bytes(r.array()?);
            if devices.iter().any(|d| d.digest == digest) {
                return Err(bad("repeated device"));
            }
            devices.push(DeviceSeen {
                digest,
                last: r.time()?,
            });
        }
        let last_located = match r.u8()? {
            0 => None,
            1 => {
                let at = r.time()?;
                let (lat, lon, acc) = (r.f64()?, r.f64()?, r.f64()?);
                let location = Location::new(lat, lon, acc).map_err(|_| bad("bad location"))?;
                Some(Located { at, location })
            }
            _ => return Err(bad("bad last location")),
        };
        r.finish()?;
        let anything = !countries.is_empty() || !devices.is_empty() || last_located.is_some();
        if successes == 0 && anything {
            return Err(bad("entries without sign-ins"));
        }
        Ok(Self {
            successes,
            countries,
            devices,
            last_located,
        })
    }
}

/// The time to keep for an entry seen again at `at`: the later of the two, unless the stored one
/// is a clock's fault.
fn latest(stored: Timestamp, at: Timestamp) -> Timestamp {
    if ahead_of(stored, at) {
        at
    } else {
        stored.max(at)
    }
}

/// Adds `entry`, keeping at most `cap`: when full, the least recently seen goes — unless the new
/// entry is older still, and then it is not kept.
fn insert_bounded<T>(
    list: &mut Vec<T>,
    entry: T,
    cap: usize,
    at: Timestamp,
    last: impl Fn(&T) -> Timestamp,
) {
    if list.len() >= cap {
        // Entries dated ahead of the sign-in (a clock's fault) make room first.
        let key = |e: &T| (!ahead_of(last(e), at), last(e));
        let oldest = list
            .iter()
            .enumerate()
            .min_by_key(|(_, e)| key(e))
            .map(|(i, e)| (i, key(e)));
        match oldest {
            Some((i, when)) if when <= key(&entry) => {
                list.remove(i);
            }
            _ => return,
        }
    }
    list.push(entry);
}

#[cfg(test)]
mod tests {
    use super::*;
    use acctsec_core::{DeviceId, UserId};
    use proptest::prelude::*;

    fn t(secs: i64) -> Timestamp {
        Timestamp::from_unix_secs(secs)
    }

    fn cc(code: &str) -> CountryCode {
        CountryCode::new(code).unwrap()
    }

    fn device(id: &str) -> DeviceDigest {
        DeviceDigest::of(&UserId::from(7_u64), &DeviceId::new(id).unwrap())
    }

    fn profile() -> Profile {
        Profile::new()
    }

    /// The signals at the default travel limits.
    fn signals(
        p: &Profile,
        country: Option<CountryCode>,
        device: Option<&DeviceDigest>,
        location: Option<&Location>,
        now: Timestamp,
    ) -> Signals {
        p.signals(country, device, location, now, &TravelLimits::DEFAULT)
    }

    #[test]
    fn signals_against_what_the_account_did_before() {
        let mut p = profile();
        let laptop = device("laptop-1");
        let oslo = Location::new(59.91, 10.75, 5.0).unwrap();
        // Nothing to compare with yet.
        assert_eq!(
            signals(&p, Some(cc("NO")), Some(&laptop), Some(&oslo), t(0)),
            Signals::default()
        );
        p.learn(Some(cc("NO")), Some(&laptop), Some(oslo), t(0));
        let same = signals(&p, Some(cc("NO")), Some(&laptop), Some(&oslo), t(60));
        assert_eq!(
            (same.new_country, same.known_device, same.impossible_travel),
            (None, true, None)
        );
        let rio = Location::new(-22.91, -43.17, 5.0).unwrap();
        let away = signals(
            &p,
            Some(cc("BR")),
            Some(&device("phone-9")),
            Some(&rio),
            t(3600),
        );
        assert_eq!(away.new_country, Some(cc("BR")));
        assert!(!away.known_device);
        assert!(
            away.impossible_travel
                .is_some_and(|i| i.distance_km > 10_000.0)
        );
        // No device presented counts as a new one.
        assert!(!signals(&p, Some(cc("NO")), None, None, t(60)).known_device);
        // A later sign-in without a place keeps the last known place for the travel check.
        p.learn(Some(cc("NO")), Some(&laptop), None, t(120));
        assert!(
            signals(&p, None, Some(&laptop), Some(&rio), t(3600))
                .impossible_travel
                .is_some()
        );
        assert_eq!(p.successes(), 2);
    }

    #[test]
    fn the_least_recently_seen_is_forgotten_even_out_of_order() {
        let mut p = profile();
        // Sixteen countries, seen at times 100 down to 85, then a seventeenth at 200.
        let codes: Vec<String> = (0..17)
            .map(|i| format!("A{}", char::from(b'A' + i)))
            .collect();
        for (i, code) in codes.iter().take(16).enumerate() {
            p.learn(
                Some(cc(code)),
                None,
                None,
                t(100 - i64::try_from(i).unwrap()),
            );
        }
        p.learn(Some(cc(&codes[16])), None, None, t(200));
        // AP (seen at 85) went; AA (seen at 100, but first inserted) stayed.
        assert!(
            signals(&p, Some(cc("AP")), None, None, t(300))
                .new_country
                .is_some()
        );
        assert!(
            signals(&p, Some(cc("AA")), None, None, t(300))
                .new_country
                .is_none()
        );
        assert!(
            signals(&p, Some(cc("AQ")), None, None, t(300))
                .new_country
                .is_none()
        );
        // A late country older than everything kept is not kept.
        p.learn(Some(cc("ZZ")), None, None, t(1));
        assert!(
            signals(&p, Some(cc("ZZ")), None, None, t(300))
                .new_country
                .is_some()
        );
        assert_eq!(p.countries.len(), MAX_PROFILE_COUNTRIES);
        // Devices likewise.
        for i in 0..20 {
            p.learn(None, Some(&device(&format!("dev-{i}"))), None, t(1000 + i));
        }
        assert_eq!(p.devices.len(), MAX_PROFILE_DEVICES);
        assert!(!signals(&p, None, Some(&device("dev-3")), None, t(2000)).known_device);
        assert!(signals(&p, None, Some(&device("dev-4")), None, t(2000)).known_device);
    }

    #[test]
    fn an_age_window_forgets_old_entries() {
        let mut p = profile();
        let (oslo, bergen) = (
            Location::new(59.91, 10.75, 5.0).unwrap(),
            Location::new(60.39, 5.32, 5.0).unwrap(),
        );
        p.learn(Some(cc("NO")), Some(&device("old")), Some(oslo), t(0));
        p.learn(Some(cc("SE")), Some(&device("new")), None, t(1000));
        p.forget_before(t(500));
        assert!(
            signals(&p, Some(cc("NO")), None, None, t(2000))
                .new_country
                .is_some()
        );
        assert!(
            signals(&p, Some(cc("SE")), None, None, t(2000))
                .new_country
                .is_none()
        );
        assert!(!signals(&p, None, Some(&device("old")), None, t(2000)).known_device);
        assert!(signals(&p, None, Some(&device("new")), None, t(2000)).known_device);
        assert!(p.last_located.is_none(), "the old place is forgotten too");
        assert!(
            signals(&p, None, None, Some(&bergen), t(2000))
                .impossible_travel
                .is_none()
        );
    }

    #[test]
    fn only_what_was_seen_within_the_window_vouches_even_before_it_is_forgotten() {
        let day = |d: i64| t(d * 86_400);
        let (oslo, rio) = (
            Location::new(59.91, 10.75, 5.0).unwrap(),
            Location::new(-22.91, -43.17, 5.0).unwrap(),
        );
        let mut p = profile();
        p.learn(Some(cc("NO")), Some(&device("a")), Some(oslo), day(0));
        p.learn(Some(cc("SE")), Some(&device("b")), None, day(100));
        // Day 180: everything is within the window.
        let on_180 = signals(&p, Some(cc("NO")), Some(&device("a")), Some(&rio), day(180));
        assert!(on_180.new_country.is_none() && on_180.known_device);
        assert!(
            on_180.impossible_travel.is_none(),
            "180 days is time enough"
        );
        // Day 190, nothing learned since (nothing forgotten either): device a, Norway and the
        // place in Oslo are older than the window and vouch for nothing; b and Sweden still do.
        let a = signals(&p, Some(cc("NO")), Some(&device("a")), None, day(190));
        assert_eq!((a.new_country, a.known_device), (Some(cc("NO")), false));
        let b = signals(&p, Some(cc("SE")), Some(&device("b")), None, day(190));
        assert_eq!((b.new_country, b.known_device), (None, true));
        assert!(
            p.last_located.is_some(),
            "stored until the next sign-in is learned"
        );
        // Learning one (without a place) forgets them: a, Norway and Oslo are gone.
        p.learn(None, Some(&device("c")), None, day(190));
        assert_eq!((p.countries.len(), p.devices.len()), (1, 2));
        assert!(p.last_located.is_none());
    }

    #[test]
    fn a_time_from_a_clock_running_ahead_does_not_stay_in_force() {
        let day = |d: i64| t(d * 86_400);
        let (today, ahead) = (20_000, 20_000 + 60 * 365);
        let (oslo, rio) = (
            Location::new(59.91, 10.75, 5.0).unwrap(),
            Location::new(-22.91, -43.17, 5.0).unwrap(),
        );
        let mut p = profile();
        // One sign-in learned while the clock ran sixty years ahead: Brazil, a phone, Rio.
        p.learn(
            Some(cc("BR")),
            Some(&device("phone")),
            Some(rio),
            day(ahead),
        );
        // Back on time, none of it vouches, and the place dated ahead is no last place.
        let back = signals(
            &p,
            Some(cc("BR")),
            Some(&device("phone")),
            Some(&oslo),
            day(today),
        );
        assert_eq!(
            (back.new_country, back.known_device, back.impossible_travel),
            (Some(cc("BR")), false, None)
        );
        // A sign-in on time from Oslo replaces that last place: Rio an hour later is
        // impossible travel again.
        p.learn(
            Some(cc("NO")),
            Some(&device("laptop")),
            Some(oslo),
            day(today),
        );
        let later = signals(&p, None, None, Some(&rio), t(today * 86_400 + 3_600));
        assert!(later.impossible_travel.is_some());
        // The phone seen again is dated that day, and ages out from there like anything else.
        p.learn(Some(cc("BR")), Some(&device("phone")), None, day(today + 1));
        assert!(signals(&p, None, Some(&device("phone")), None, day(today + 2)).known_device);
        let past = today + 2 + i64::from(crate::USER_MODEL_WINDOW_DAYS);
        let aged = signals(&p, Some(cc("BR")), Some(&device("phone")), None, day(past));
        assert_eq!(
            (aged.new_country, aged.known_device),
            (Some(cc("BR")), false)
        );
    }

    #[test]
    fn an_entry_dated_ahead_makes_room_first() {
        let day = |d: i64| t(d * 86_400);
        let mut p = profile();
        p.learn(None, Some(&device("glitch")), None, day(90_000));
        for i in 0..MAX_PROFILE_DEVICES {
            p.learn(None, Some(&device(&format!("dev-{i}"))), None, day(20_000));
        }
        assert_eq!(p.devices.len(), MAX_PROFILE_DEVICES);
        assert!(p.devices.iter().all(|d| d.digest != device("glitch")));
        // Sign-ins learned late, within the window (a backlog of 170 days), are learned as in
        // order: a known device keeps its later time, and a new one older than all is not kept.
        p.learn(None, Some(&device("dev-3")), None, day(20_000 - 170));
        assert!(
            p.devices
                .iter()
                .any(|d| d.digest == device("dev-3") && d.last == day(20_000))
        );
        p.learn(None, Some(&device("late")), None, day(20_000 - 170));
        assert!(p.devices.iter().all(|d| d.digest != device("late")));
        assert_eq!(p.devices.len(), MAX_PROFILE_DEVICES);
    }

    #[test]
    fn stored_times_are_within_the_years_0000_to_9999() {
        let mut p = profile();
        p.learn(Some(cc("NO")), None, None, t(7));
        let mut bytes = p.to_data().unwrap().as_bytes().to_vec();
        // Version, sign-ins, one country: its code, then its time.
        let time = 1 + 4 + 1 + 2;
        for millis in [i64::MAX, 253_402_300_800_000, -62_167_219_200_001] {
            bytes[time..time + 8].copy_from_slice(&millis.to_le_bytes());
            assert_eq!(
                Profile::from_data(&ProfileData::new(bytes.clone()).unwrap()),
                Err(Error::Invalid("risk profile", "bad time"))
            );
        }
        bytes[time..time + 8].copy_from_slice(&253_402_300_799_999_i64.to_le_bytes());
        assert!(Profile::from_data(&ProfileData::new(bytes).unwrap()).is_ok());
    }

    #[test]
    fn a_sign_in_at_any_time_leaves_a_profile_that_stores() {
        for millis in [i64::MIN, -62_167_219_200_001, 253_402_300_800_000, i64::MAX] {
            let mut p = profile();
            let oslo = Location::new(59.91, 10.75, 5.0).unwrap();
            p.learn(
                Some(cc("NO")),
                Some(&device("a")),
                Some(oslo),
                Timestamp::from_unix_millis(millis),
            );
            let stored = p.to_data().unwrap();
            assert_eq!(Profile::from_data(&stored).unwrap(), p, "{millis}");
            assert_eq!(p.countries.len(), 1);
        }
    }

    #[test]
    fn the_stored_form_holds_device_digests_not_cookies() {
        let mut p = profile();
        p.learn(None, Some(&device("cookie-5f1e9a0b77c3")), None, t(0));
        let bytes = p.to_data().unwrap().as_bytes().to_vec();
        assert!(!bytes.windows(19).any(|w| w == b"cookie-5f1e9a0b77c3"));
        let digest = device("cookie-5f1e9a0b77c3");
        assert!(bytes.windows(32).any(|w| w == digest.as_bytes()));
    }

    #[test]
    fn the_stored_form_round_trips_and_refuses_what_it_is_not() {
        let mut p = profile();
        p.learn(
            Some(cc("NO")),
            Some(&device("d")),
            Location::new(1.5, 2.5, 3.5).ok(),
            t(7),
        );
        let bytes = p.to_data().unwrap().as_bytes().to_vec();
        let read = |b: Vec<u8>| Profile::from_data(&ProfileData::new(b).unwrap());
        assert_eq!(read(bytes.clone()).unwrap(), p);
        let reason = |b: Vec<u8>| match read(b) {
            Err(Error::Invalid(_, reason)) => reason,
            other => panic!("{other:?}"),
        };
        let mut other_version = bytes.clone();
        other_version[0] = 1;
        assert_eq!(reason(other_version), "unknown format version");
        assert_eq!(reason(bytes[..bytes.len() - 1].to_vec()), "truncated");
        let mut trailing = bytes.clone();
        trailing.push(0);
        assert_eq!(reason(trailing), "trailing bytes");
        assert_eq!(
            reason(vec![FORMAT_VERSION; MAX_PROFILE_ENCODED_BYTES + 1]),
            "too large"
        );
        // Seventeen valid, distinct countries: over the cap.
        let mut many = vec![FORMAT_VERSION];
        many.extend(1_u32.to_le_bytes());
        many.push(17);
        for i in 0..17_u8 {
            many.extend([b'A', b'A' + i]);
            many.extend(0_i64.to_le_bytes());
        }
        many.extend([0, 0]);
        assert_eq!(reason(many), "too many countries");
        // A repeated device.
        let mut twice = vec![FORMAT_VERSION];
        twice.extend(1_u32.to_le_bytes());
        twice.extend([0, 2]);
        for _ in 0..2 {
            twice.extend([9; 32]);
            twice.extend(0_i64.to_le_bytes());
        }
        twice.push(0);
        assert_eq!(reason(twice), "repeated device");
        // Entries without any sign-in.
        let mut none = bytes.clone();
        none[1..5].copy_from_slice(&0_u32.to_le_bytes());
        assert_eq!(reason(none), "entries without sign-ins");
        // Debug shows counts, not places or digests.
        let dbg = format!("{p:?}");
        assert!(!dbg.contains("1.5") && !dbg.contains("NO"), "{dbg}");
    }

    proptest! {
        #[test]
        fn learned_profiles_round_trip_within_bounds(
            events in prop::collection::vec((0_u8..30, 0_u8..40, any::<bool>(), 0_i64..10_000), 0..200),
        ) {
            let mut p = profile();
            for (country, dev, located, at) in events {
                let code = CountryCode::new(&format!("A{}", char::from(b'A' + country % 26))).unwrap();
                let place = located.then(|| Location::new(f64::from(country), f64::from(dev), 1.0).unwrap());
                p.learn(Some(code), Some(&device(&format!("dev-{dev}"))), place, t(at));
            }
            let stored = p.to_data().unwrap();
            prop_assert!(stored.as_bytes().len() <= MAX_PROFILE_ENCODED_BYTES);
            prop_assert_eq!(Profile::from_data(&stored).unwrap(), p);
        }

        #[test]
        fn any_stored_bytes_read_or_fail_cleanly(bytes in prop::collection::vec(any::<u8>(), 0..700)) {
            let _ = Profile::from_data(&ProfileData::new(bytes).unwrap());
        }
    }
}
