//! The model in bounded memory, the form to run in production: [`Population`] keeps the
//! population's counts in count-min sketches of a fixed size, and [`UserModel`] keeps each
//! account's counts in small capped tables. Memory does not grow with users, addresses or
//! history, and scoring costs the same after ten sign-ins or a hundred thousand.

use std::fmt;
use std::hash::Hasher;
use std::ops::Range;

use acctsec_core::Timestamp;
use siphasher::sip::SipHasher13;
use zeroize::Zeroize;

use crate::bytes::{Reader, STORABLE_MILLIS};
use crate::model::{
    Counts, Feature, Habits, MAX_LEVELS, Observation, RiskScore, Totals, bounded, freeman, hour_of,
};
use crate::{Error, Result};

/// Value slots: the IP levels, then the user-agent levels.
const SLOTS: usize = 7;

/// The slots of a feature's levels.
const fn slots(feature: Feature) -> Range<usize> {
    match feature {
        Feature::Ip => 0..3,
        Feature::UserAgent => 3..7,
    }
}

/// A secret key for the model's value hashes. Profiles hold only keyed hashes of addresses and
/// user agents, so without the key a leaked profile can't be searched for an address (there are
/// only 2^32 IPv4 addresses to try). Keep it with the host's other secrets. A new key makes every
/// stored [`UserModel`] meaningless (its values never match again, so each attempt would look new
/// in every way): when rotating it, start each account's model afresh with an empty one, and the
/// population with a new [`Population`]. Wiped on drop; `Debug` shows nothing of it.
pub struct ModelKey([u8; 16]);

impl ModelKey {
    /// A key from 16 secret random bytes.
    #[must_use]
    pub const fn new(bytes: [u8; 16]) -> Self {
        Self(bytes)
    }

    /// A value that tells whether a stored population was made with this key, and nothing else
    /// of it: the keyed hash of a fixed label.
    fn check(&self) -> u64 {
        let mut h = SipHasher13::new_with_key(&self.0);
        h.write(b"acctsec/risk/population-key-check");
        h.finish()
    }
}

impl Drop for ModelKey {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl fmt::Debug for ModelKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ModelKey(..)")
    }
}

/// An attempt's feature values as keyed hashes, made by [`Population::hash`], and its time if
/// [`at`](Self::at) gave one: computed once, then used to score and to learn.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Hashed([u64; SLOTS], Option<Timestamp>, Known);

/// Which slots of a [`Hashed`] hold a known value (not empty): bit `slot`.
type Known = u8;

impl Hashed {
    /// The same values, attempted at `at`: its hour of the day (UTC) joins the score, and only
    /// the account's values seen within [`USER_MODEL_WINDOW_DAYS`] before it count.
    #[must_use]
    pub const fn at(self, at: Timestamp) -> Self {
        Self(self.0, Some(at), self.2)
    }

    const fn with_time(self, at: Option<Timestamp>) -> Self {
        Self(self.0, at, self.2)
    }

    /// The keyed hash of the address level (the address as the model counts it).
    pub(crate) const fn address(&self) -> u64 {
        self.0[0]
    }
}

impl fmt::Debug for Hashed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Hashed(..)")
    }
}

/// Rows of each count-min sketch.
const DEPTH: usize = 4;

/// A count-min sketch with conservative update: estimates are never below the true count and
/// exceed it by at most `e / width` of everything added to the sketch, with probability
/// `1 - e^-4`.
#[derive(Clone, PartialEq, Eq)]
struct CountMin {
    width: usize,
    cells: Vec<u32>,
}

impl CountMin {
    fn new(log2_width: u32) -> Self {
        let width = 1_usize << log2_width;
        Self {
            width,
            cells: vec![0; DEPTH * width],
        }
    }

    /// The cell of each row (double hashing over the two halves of a keyed 64-bit hash).
    fn cells(&self, hash: u64) -> [usize; DEPTH] {
        let (a, b) = (hash as u32 as usize, ((hash >> 32) as usize) | 1);
        let mask = self.width - 1;
        std::array::from_fn(|row| row * self.width + (a.wrapping_add(row.wrapping_mul(b)) & mask))
    }

    fn estimate(&self, hash: u64) -> u32 {
        self.estimate_at(self.cells(hash))
    }

    fn estimate_at(&self, cells: [usize; DEPTH]) -> u32 {
        cells
            .into_iter()
            .map(|i| self.cells.get(i).copied().unwrap_or(0))
            .min()
            .unwrap_or(0)
    }

    /// Adds one and returns the estimate from before.
    fn add(&mut self, hash: u64) -> u32 {
        let cells = self.cells(hash);
        let before = self.estimate_at(cells);
        let after = before.saturating_add(1);
        for i in cells {
            if let Some(cell) = self.cells.get_mut(i) {
                *cell = (*cell).max(after);
            }
        }
        before
    }
}

/// The most sign-ins one account adds to the population (while its model holds that many).
pub const MAX_POPULATION_LOGINS_PER_USER: u64 = 2_000;

/// Default width of the first-level sketch (addresses, full user agents): 2^18 cells a row, 4 MiB.
pub const DEFAULT_FIRST_WIDTH_LOG2: u32 = 18;
/// Default width of the lower-level sketch (ASNs, countries, browsers, systems, device types):
/// 2^14 cells a row, 256 KiB.
pub const DEFAULT_REST_WIDTH_LOG2: u32 = 14;
/// The widths [`Population::with_widths`] accepts, as powers of two.
pub const SKETCH_WIDTH_LOG2: Range<u32> = 8..27;

/// The population's side of the model in fixed memory: how often each value was seen, in
/// count-min sketches, and how many distinct values each lower level has.
///
/// Error, documented: a count is never underestimated and is overestimated by at most `e / w` of
/// everything added to its sketch with probability `1 - e^-4` (with `w` the sketch width; each
/// sign-in adds 2 to the first-level sketch and 5 to the lower-level one, so for `N` sign-ins
/// that is `2eN / w` and `5eN / w`); the first level's counts
/// enter the score only through a term at most `0.6 · count / sign-ins`, so a small excess moves
/// scores little. A value's first sighting is recognised when its estimate was zero, so distinct
/// counts can only be undercounted, and only once the lower-level sketch fills up (far beyond the
/// number of ASNs, countries and browsers there are). Each first-level value is taken to have one
/// value at each lower level (an address one ASN and one country), where the exact [`History`]
/// counts the distinct values below it.
///
/// [`History`]: crate::History
///
/// ```
/// use acctsec_core::Timestamp;
/// use acctsec_risk::{ModelKey, Population, UserModel};
///
/// let mut population = Population::new(ModelKey::new([7; 16]));
/// let mut alice = UserModel::default();
/// let home = population.hash(["192.0.2.1", "64500", "NO"], ["Mozilla/5.0 (X11; Linux x86_64)", "Firefox 133", "Linux", "desktop"]);
/// for day in 0..20 {
///     population.learn(&mut alice, &home, Timestamp::from_unix_secs(day * 86_400));
/// }
/// let usual = population.score(&alice, &home).map(|s| s.value());
/// let elsewhere = population.hash(["203.0.113.9", "64511", "BR"], ["Mozilla/5.0 (Windows NT 10.0)", "Chrome 131", "Windows 10", "desktop"]);
/// let unusual = population.score(&alice, &elsewhere).map(|s| s.value());
/// assert!(usual < Some(1.0) && unusual > Some(1.0));
/// assert!(population.score(&UserModel::default(), &home).is_none(), "no history");
/// ```
pub struct Population {
    key: ModelKey,
    logins: u64,
    users: u64,
    first: CountMin,
    rest: CountMin,
    distinct_below: [u64; 2],
}

impl fmt::Debug for Population {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Population")
            .field("logins", &self.logins)
            .field("users", &self.users)
            .field("bytes", &self.memory_bytes())
            .finish_non_exhaustive()
    }
}

impl Population {
    /// An empty population with the default sketch widths (about 4.3 MiB).
    #[must_use]
    pub fn new(key: ModelKey) -> Self {
        Self::build(key, DEFAULT_FIRST_WIDTH_LOG2, DEFAULT_REST_WIDTH_LOG2)
    }

    /// An empty population with sketches `2^first_log2` and `2^rest_log2` cells wide.
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] unless both are in [`SKETCH_WIDTH_LOG2`].
    pub fn with_widths(key: ModelKey, first_log2: u32, rest_log2: u32) -> Result<Self> {
        if !SKETCH_WIDTH_LOG2.contains(&first_log2) || !SKETCH_WIDTH_LOG2.contains(&rest_log2) {
            return Err(Error::Invalid(
                "sketch width",
                "expected a power of two from 2^8 to 2^26",
            ));
        }
        Ok(Self::build(key, first_log2, rest_log2))
    }

    fn build(key: ModelKey, first_log2: u32, rest_log2: u32) -> Self {
        Self {
            key,
            logins: 0,
            users: 0,
            first: CountMin::new(first_log2),
            rest: CountMin::new(rest_log2),
            distinct_below: [0; 2],
        }
    }

    /// Hashes an attempt's values: the IP levels (address, ASN, country) and the user-agent
    /// levels (full string, browser, OS, device type), each cut to
    /// [`MAX_OBSERVATION_VALUE_BYTES`](crate::MAX_OBSERVATION_VALUE_BYTES) as [`Observation`]
    /// cuts them.
    #[must_use]
    pub fn hash(&self, ip: [&str; 3], user_agent: [&str; 4]) -> Hashed {
        let values = ip.iter().chain(&user_agent);
        let (mut out, mut known) = ([0; SLOTS], 0);
        for (slot, (o, value)) in out.iter_mut().zip(values).enumerate() {
            let mut h = SipHasher13::new_with_key(&self.key.0);
            h.write_u8(slot as u8);
            h.write(bounded(value).as_bytes());
            *o = h.finish();
            if !value.is_empty() {
                known |= 1 << slot;
            }
        }
        Hashed(out, None, known)
    }

    /// Hashes an [`Observation`]'s values.
    #[must_use]
    pub fn hash_observation(&self, observation: &Observation) -> Hashed {
        let value = |f, level| observation.values(f).get(level).map_or("", String::as_str);
        let ip = std::array::from_fn(|level| value(Feature::Ip, level));
        let user_agent = std::array::from_fn(|level| value(Feature::UserAgent, level));
        self.hash(ip, user_agent).with_time(observation.time())
    }

    /// Learns a sign-in of the user whose model is `user` (the reference learns only successful
    /// sign-ins; so should callers). An account adds at most [`MAX_POPULATION_LOGINS_PER_USER`]
    /// sign-ins (within its model's age window) to the population, so one account signing in
    /// without end can't swamp everyone's scores.
    pub fn learn(&mut self, user: &mut UserModel, hashed: &Hashed, at: Timestamp) {
        let logins = user.logins_on(Some(day_of(at)));
        if logins >= MAX_POPULATION_LOGINS_PER_USER {
            user.learn(hashed, at);
            return;
        }
        if logins == 0 {
            self.users = self.users.saturating_add(1);
        }
        self.logins = self.logins.saturating_add(1);
        for feature in Feature::ALL {
            for (level, slot) in slots(feature).enumerate() {
                let hash = hashed.0.get(slot).copied().unwrap_or_default();
                if level == 0 {
                    self.first.add(hash);
                } else if self.rest.add(hash) == 0
                    && let Some(d) = self.distinct_below.get_mut(feature as usize)
                {
                    *d = d.saturating_add(1);
                }
            }
        }
        user.learn(hashed, at);
    }

    /// Scores an attempt against the user's model as [`History::score`](crate::History::score)
    /// does, or `None` if the user has no history.
    #[must_use]
    pub fn score(&self, user: &UserModel, hashed: &Hashed) -> Option<RiskScore> {
        let day = hashed.1.map(day_of);
        let user_logins = user.logins_on(day);
        if user_logins == 0 {
            return None;
        }
        let totals = Totals {
            logins: self.logins.max(user_logins) as f64,
            users: self.users.max(1) as f64,
            user_logins: user_logins as f64,
        };
        let habits = Habits {
            new_addresses: f64::from(user.new_addresses),
            counted: f64::from(user.counted()),
            hours: user.hours.map(f64::from),
            hour: hashed.1.map(hour_of),
        };
        let features = Feature::ALL.map(|feature| {
            let mut counts = Counts::default();
            let range = slots(feature);
            let below = range.len().saturating_sub(1);
            for (level, slot) in range.enumerate().take(MAX_LEVELS) {
                let hash = hashed.0.get(slot).copied().unwrap_or_default();
                let sketch = if level == 0 { &self.first } else { &self.rest };
                counts.population[level] = f64::from(sketch.estimate(hash));
                counts.user[level] = f64::from(user.count(slot, hash, day));
                counts.known[level] = hashed.2 & (1 << slot) != 0;
            }
            if counts.population[0] > 0.0 {
                counts.below_first = below as f64;
            }
            counts.distinct_below = self
                .distinct_below
                .get(feature as usize)
                .copied()
                .unwrap_or(0) as f64;
            (feature, counts)
        });
        freeman(&totals, &habits, features)
    }

    /// Sign-ins learned.
    #[must_use]
    pub const fn logins(&self) -> u64 {
        self.logins
    }

    /// Users learned: each counted when its model learns a sign-in while empty, so a model
    /// emptied by its age window, or lost and started again, counts once more (the user-share
    /// term then slightly overstates the population).
    #[must_use]
    pub const fn users(&self) -> u64 {
        self.users
    }

    /// The memory the sketches take, bytes.
    #[must_use]
    pub fn memory_bytes(&self) -> usize {
        (self.first.cells.len() + self.rest.cells.len()) * size_of::<u32>()
    }

    /// The population's stored form, to keep what it learned across restarts (an empty
    /// population scores every value as never seen by anyone): a 43-byte header (format version,
    /// sketch widths, a check value of the key, the totals), then every sketch cell as 4 bytes —
    /// [`memory_bytes`](Self::memory_bytes) + 43, 4.25 MiB at the default widths. It holds
    /// counts under keyed hashes: no address or user agent can be read from it, nor tested
    /// against it, without the [`ModelKey`].
    ///
    /// ```
    /// use acctsec_risk::{ModelKey, Population};
    ///
    /// let population = Population::with_widths(ModelKey::new([7; 16]), 10, 8)?;
    /// let stored = population.to_bytes();
    /// assert_eq!(stored.len(), 43 + population.memory_bytes());
    /// let back = Population::from_bytes(ModelKey::new([7; 16]), &stored)?;
    /// assert_eq!(back.to_bytes(), stored);
    /// assert!(Population::from_bytes(ModelKey::new([8; 16]), &stored).is_err());
    /// # Ok::<(), acctsec_risk::Error>(())
    /// ```
    #[must_use]
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(POPULATION_HEADER_BYTES + self.memory_bytes());
        out.push(POPULATION_VERSION);
        for sketch in [&self.first, &self.rest] {
            out.push(sketch.width.trailing_zeros() as u8);
        }
        out.extend_from_slice(&self.key.check().to_le_bytes());
        for total in [
            self.logins,
            self.users,
            self.distinct_below[0],
            self.distinct_below[1],
        ] {
            out.extend_from_slice(&total.to_le_bytes());
        }
        for cell in self.first.cells.iter().chain(&self.rest.cells) {
            out.extend_from_slice(&cell.to_le_bytes());
        }
        out
    }

    /// Reads a stored population made with `key`.
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] for another format version, widths outside [`SKETCH_WIDTH_LOG2`], a
    /// length that does not match them, a form made with another key (its hashes would match
    /// nothing), or counts the sign-ins could not have left: more users than sign-ins, a cell
    /// or a distinct count above what the sign-ins could add. (Subtler inconsistencies are not
    /// looked for; scores stay finite whatever the counts.) Nothing is allocated before the
    /// length and the key are checked.
    pub fn from_bytes(key: ModelKey, bytes: &[u8]) -> Result<Self> {
        let invalid = |why| Error::Invalid(POPULATION, why);
        let mut r = Reader::open(bytes, POPULATION, usize::MAX, POPULATION_VERSION)?;
        let (first_log2, rest_log2) = (u32::from(r.u8()?), u32::from(r.u8()?));
        if !SKETCH_WIDTH_LOG2.contains(&first_log2) || !SKETCH_WIDTH_LOG2.contains(&rest_log2) {
            return Err(invalid("bad sketch width"));
        }
        // The length and the key are checked before the sketches (up to 2 GiB) are allocated:
        // a few hostile bytes must not cost memory.
        let cells = DEPTH * ((1_usize << first_log2) + (1_usize << rest_log2));
        let expected = POPULATION_HEADER_BYTES + cells * size_of::<u32>();
        if bytes.len() < expected {
            return Err(invalid("truncated"));
        }
        if bytes.len() > expected {
            return Err(invalid("trailing bytes"));
        }
        if r.u64()? != key.check() {
            return Err(invalid("made with another key"));
        }
        let mut population = Self::with_widths(key, first_log2, rest_log2)?;
        let (logins, users) = (r.u64()?, r.u64()?);
        let distinct_below = [r.u64()?, r.u64()?];
        if users > logins {
            return Err(invalid("more users than sign-ins"));
        }
        // Each sign-in adds one to at most one cell a row per value: two first-level values
        // (address, full user agent), and two and three lower ones (ASN, country; browser,
        // system, device type), each at most once new.
        let lower = [Feature::Ip, Feature::UserAgent].map(|f| slots(f).len() as u64 - 1);
        for (distinct, most) in distinct_below.iter().zip(lower) {
            if *distinct > logins.saturating_mul(most) {
                return Err(invalid("more distinct values than sign-ins"));
            }
        }
        let adds = [2, lower.iter().sum::<u64>()];
        for (sketch, most) in [&mut population.first, &mut population.rest]
            .into_iter()
            .zip(adds)
        {
            // An add raises each row by at most one (one cell, by one), so no row can hold more
            // than the adds in all: a cell over it, or a row of cells each within it but
            // together over it, is not a learned population.
            let most = logins.saturating_mul(most);
            let width = sketch.width;
            for row in sketch.cells.chunks_mut(width) {
                let mut sum = 0_u64;
                for cell in row {
                    *cell = r.u32()?;
                    sum += u64::from(*cell);
                }
                if sum > most {
                    return Err(invalid("a row of counts above its sign-ins"));
                }
            }
        }
        r.finish()?;
        population.logins = logins;
        population.users = users;
        population.distinct_below = distinct_below;
        Ok(population)
    }
}

/// The stored form's version of a [`Population`].
const POPULATION_VERSION: u8 = 1;
/// Version, two widths, the key's check value and four totals.
const POPULATION_HEADER_BYTES: usize = 1 + 2 + 8 + 4 * 8;
/// A stored population, in errors.
const POPULATION: &str = "population";

/// The most values a [`UserModel`] keeps per level: addresses, ASNs, countries; full user agents,
/// browsers, systems, device types.
pub const USER_MODEL_CAPS: [usize; SLOTS] = [16, 8, 8, 8, 8, 4, 4];
/// The most bytes a stored [`UserModel`] takes: 958.
pub const MAX_USER_MODEL_ENCODED_BYTES: usize =
    1 + SLOTS + total(USER_MODEL_CAPS) * ENTRY_BYTES + 24 * 2 + 2 + 4;
/// The sum of `caps`, for the encoded size.
const fn total(caps: [usize; SLOTS]) -> usize {
    let (mut sum, mut i) = (0, 0);
    while i < SLOTS {
        sum += caps[i];
        i += 1;
    }
    sum
}
const ENTRY_BYTES: usize = 16;
const USER_MODEL_VERSION: u8 = 3;
/// The last day a stored value may carry: 9999-12-31, as days since 1970 (the last of the
/// crate's storable times).
const MAX_DAY: u32 = (*STORABLE_MILLIS.end() / 86_400_000) as u32;
/// Days a [`UserModel`] keeps a value it has not seen since: 180 (six months suffice, per
/// Wiefling et al.). Learning a sign-in drops values older than this before the new one.
pub const USER_MODEL_WINDOW_DAYS: u32 = 180;
/// Days over which a [`UserModel`] halves its habit counts (sign-ins per hour, sign-ins from new
/// addresses), the age window of the values ([`USER_MODEL_WINDOW_DAYS`]): a sign-in older than
/// the window weighs at most half what it did, one older than two windows a quarter, so habits
/// follow the owner as the values do.
pub const HABIT_HALF_LIFE_DAYS: u32 = 180;
/// Sign-ins a [`UserModel`] needs before it calls an hour unusual.
pub const MIN_HOUR_HISTORY: u32 = 20;
/// Days a stored time may lie after the time at hand (a sign-in being scored or learned) before
/// it is taken for a clock's fault: the age window, [`USER_MODEL_WINDOW_DAYS`]. Such a value
/// vouches for nothing, is the first to make room, and is dated anew when seen again; without
/// that, one sign-in learned while a clock ran decades ahead would stay in force until that
/// date, never aging out, never making room, and (as the last place) keeping the
/// impossible-travel check from ever firing. Sign-ins learned up to a window late are learned
/// as in order. Which clock is wrong can't be told: a sign-in learned while the clock ran more
/// than a window behind (reset to 1970) dates anew what it touches, so the account is
/// challenged more until it has learned again — the safe side.
pub const CLOCK_AHEAD_TOLERANCE_DAYS: u32 = USER_MODEL_WINDOW_DAYS;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Entry {
    hash: u64,
    count: u32,
    day: u32,
}

impl Entry {
    /// Whether the entry is within the age window on `day` and not dated after it (always,
    /// without a day).
    fn live_on(&self, day: Option<u32>) -> bool {
        day.is_none_or(|day| self.in_window(day) && !ahead_of(self.day, day))
    }

    /// Whether the entry was seen within the age window ending on `day`.
    const fn in_window(&self, day: u32) -> bool {
        self.day.saturating_add(USER_MODEL_WINDOW_DAYS) >= day
    }
}

/// Whether `stored` lies further after `day` than a clock may be off
/// ([`CLOCK_AHEAD_TOLERANCE_DAYS`]).
const fn ahead_of(stored: u32, day: u32) -> bool {
    stored > day.saturating_add(CLOCK_AHEAD_TOLERANCE_DAYS)
}

/// [`ahead_of`] for times, by their days (as the model dates its values).
pub(crate) fn time_ahead_of(stored: Timestamp, now: Timestamp) -> bool {
    ahead_of(day_of(stored), day_of(now))
}

/// One account's side of the model, bounded: per level, the most frequent values as keyed hashes
/// with their counts and the day each was last seen (at most [`USER_MODEL_CAPS`]; values unseen
/// for [`USER_MODEL_WINDOW_DAYS`] are dropped, and when a level is full the least frequent, then
/// least recent, value makes room), how many sign-ins fell in each hour of the day (UTC), and
/// how many came from an address not in its table then (both sets of counts halved every
/// [`HABIT_HALF_LIFE_DAYS`], and whenever one would overflow). At most
/// [`MAX_USER_MODEL_ENCODED_BYTES`] stored. `Debug` shows counts only.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct UserModel {
    tables: [Vec<Entry>; SLOTS],
    hours: [u16; 24],
    /// Of the sign-ins counted in `hours`, those from an address not in the address table then
    /// (never more than they).
    new_addresses: u16,
    /// The day the habit counts were last halved, or began if there was nothing to halve.
    habits_since: u32,
}

impl fmt::Debug for UserModel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UserModel")
            .field("logins", &self.logins())
            .field("values", &self.tables.iter().map(Vec::len).sum::<usize>())
            .finish_non_exhaustive()
    }
}

/// The first instant of the age window ending at `now`: the start of the day
/// [`USER_MODEL_WINDOW_DAYS`] before `now`'s, so the profile ages its entries on the same days
/// as the model its values.
pub(crate) fn window_start(now: Timestamp) -> Timestamp {
    let first = day_of(now).saturating_sub(USER_MODEL_WINDOW_DAYS);
    Timestamp::from_unix_millis(i64::from(first) * 86_400_000)
}

fn day_of(at: Timestamp) -> u32 {
    u32::try_from(at.as_unix_millis().div_euclid(86_400_000).max(0))
        .unwrap_or(MAX_DAY)
        .min(MAX_DAY)
}

impl UserModel {
    /// The sign-ins the model stands for: the most any level's counts add up to.
    #[must_use]
    pub fn logins(&self) -> u64 {
        self.logins_on(None)
    }

    /// The sign-ins within the age window before `day` (all of them without a day).
    fn logins_on(&self, day: Option<u32>) -> u64 {
        self.tables
            .iter()
            .map(|t| {
                t.iter()
                    .filter(|e| e.live_on(day))
                    .map(|e| u64::from(e.count))
                    .sum::<u64>()
            })
            .max()
            .unwrap_or(0)
    }

    /// The count of `hash` at `slot` within the age window before `day`.
    fn count(&self, slot: usize, hash: u64, day: Option<u32>) -> u32 {
        self.tables
            .get(slot)
            .and_then(|t| t.iter().find(|e| e.hash == hash))
            .filter(|e| e.live_on(day))
            .map_or(0, |e| e.count)
    }

    fn learn(&mut self, hashed: &Hashed, at: Timestamp) {
        let day = day_of(at);
        // New to the account within the window, as scoring sees it.
        let new_address = self.count(0, hashed.address(), Some(day)) == 0;
        let levels = self.tables.iter_mut().zip(USER_MODEL_CAPS).zip(&hashed.0);
        for ((table, cap), &hash) in levels {
            // Without the age window, values counted long ago would hold their places against
            // today's (the browser of two years ago against this month's). A value dated ahead
            // of the sign-in is kept (the clock at fault may be this one), but dated anew when
            // seen and first to make room.
            table.retain(|e| e.in_window(day));
            if let Some(e) = table.iter_mut().find(|e| e.hash == hash) {
                e.count = e.count.saturating_add(1);
                e.day = if ahead_of(e.day, day) {
                    day
                } else {
                    e.day.max(day)
                };
                continue;
            }
            let entry = Entry {
                hash,
                count: 1,
                day,
            };
            if table.len() < cap {
                table.push(entry);
            } else if let Some(victim) = table
                .iter_mut()
                .min_by_key(|e| (!ahead_of(e.day, day), e.count, e.day))
            {
                *victim = entry;
            }
        }
        self.age_habits(day);
        let hour = usize::from(hour_of(at));
        if self.hours.get(hour) == Some(&u16::MAX)
            || (new_address && self.new_addresses == u16::MAX)
        {
            self.halve_habits(1);
        }
        if let Some(h) = self.hours.get_mut(hour) {
            *h = h.saturating_add(1);
        }
        self.new_addresses = self.new_addresses.saturating_add(u16::from(new_address));
    }

    /// The sign-ins the habit counts stand for: one an hour each.
    fn counted(&self) -> u32 {
        self.hours.iter().map(|&h| u32::from(h)).sum()
    }

    /// Halves the habit counts `times` over (sixteen times empties them), the new addresses never
    /// above the sign-ins left.
    fn halve_habits(&mut self, times: u32) {
        for h in &mut self.hours {
            *h = h.checked_shr(times).unwrap_or(0);
        }
        let counted = u16::try_from(self.counted()).unwrap_or(u16::MAX);
        self.new_addresses = self
            .new_addresses
            .checked_shr(times)
            .unwrap_or(0)
            .min(counted);
    }

    /// Halves the habit counts once for every [`HABIT_HALF_LIFE_DAYS`] since they were last
    /// halved, up to `day`.
    fn age_habits(&mut self, day: u32) {
        // With nothing counted there is nothing to age: the period begins. A period begun
        // ahead of the sign-in (a clock's fault) begins again, or the counts would not age
        // until that day.
        if self.counted() == 0 || ahead_of(self.habits_since, day) {
            self.habits_since = day;
            return;
        }
        let periods = day.saturating_sub(self.habits_since) / HABIT_HALF_LIFE_DAYS;
        if periods > 0 {
            self.halve_habits(periods.min(16));
            self.habits_since = self
                .habits_since
                .saturating_add(periods.saturating_mul(HABIT_HALF_LIFE_DAYS))
                .min(MAX_DAY);
        }
    }

    /// Whether `at` falls at an hour of the day (UTC, within an hour either side) when fewer than
    /// 2% of the account's sign-ins happened, once there are at least [`MIN_HOUR_HISTORY`].
    #[must_use]
    pub fn unusual_hour(&self, at: Timestamp) -> bool {
        let total: u32 = self.hours.iter().map(|&h| u32::from(h)).sum();
        if total < MIN_HOUR_HISTORY {
            return false;
        }
        let hour = usize::from(hour_of(at));
        let near: u32 = [hour + 23, hour, hour + 1]
            .iter()
            .map(|&h| u32::from(self.hours.get(h % 24).copied().unwrap_or(0)))
            .sum();
        near * 50 < total
    }

    /// Forgets values last seen before `cutoff` (an age window: six months of history is
    /// enough, per Wiefling et al.). The habit counts are not dated: they age by halving (see
    /// [`HABIT_HALF_LIFE_DAYS`]).
    pub fn forget_before(&mut self, cutoff: Timestamp) {
        let day = day_of(cutoff);
        for table in &mut self.tables {
            table.retain(|e| e.day >= day);
        }
    }

    /// The stored form.
    #[must_use]
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(MAX_USER_MODEL_ENCODED_BYTES);
        out.push(USER_MODEL_VERSION);
        for table in &self.tables {
            out.push(u8::try_from(table.len()).unwrap_or(u8::MAX));
            for e in table {
                out.extend_from_slice(&e.hash.to_le_bytes());
                out.extend_from_slice(&e.count.to_le_bytes());
                out.extend_from_slice(&e.day.to_le_bytes());
            }
        }
        for h in self.hours {
            out.extend_from_slice(&h.to_le_bytes());
        }
        out.extend_from_slice(&self.new_addresses.to_le_bytes());
        out.extend_from_slice(&self.habits_since.to_le_bytes());
        out
    }

    /// Reads the stored form.
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] if the bytes are not a model of this format: another version, a level
    /// over its cap, a repeated value, a zero count, a day after 9999, more new addresses than
    /// sign-ins, truncated or with trailing bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        let bad = |reason| Error::Invalid("user model", reason);
        let mut r = Reader::open(
            bytes,
            "user model",
            MAX_USER_MODEL_ENCODED_BYTES,
            USER_MODEL_VERSION,
        )?;
        let mut model = Self::default();
        for (table, cap) in model.tables.iter_mut().zip(USER_MODEL_CAPS) {
            let len = usize::from(r.u8()?);
            if len > cap {
                return Err(bad("too many values"));
            }
            for _ in 0..len {
                let entry = Entry {
                    hash: r.u64()?,
                    count: r.u32()?,
                    day: r.u32()?,
                };
                if entry.count == 0 {
                    return Err(bad("zero count"));
                }
                // A day far in the future would keep a value past every age window.
                if entry.day > MAX_DAY {
                    return Err(bad("bad day"));
                }
                if table.iter().any(|e| e.hash == entry.hash) {
                    return Err(bad("repeated value"));
                }
                table.push(entry);
            }
        }
        for h in &mut model.hours {
            *h = r.u16()?;
        }
        model.new_addresses = r.u16()?;
        if u32::from(model.new_addresses) > model.counted() {
            return Err(bad("more new addresses than sign-ins"));
        }
        model.habits_since = r.u32()?;
        if model.habits_since > MAX_DAY {
            return Err(bad("bad day"));
        }
        r.finish()?;
        Ok(model)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::History;
    use acctsec_core::UserId;
    use proptest::prelude::*;

    fn key() -> ModelKey {
        ModelKey::new([42; 16])
    }

    /// A world where each address has one ASN and country, and each user agent one browser,
    /// system and device type, as [`Population`] assumes.
    fn observation(ip: u8, ua: u8) -> Observation {
        let (asn, country) = (format!("AS{}", ip % 5), format!("C{}", ip % 3));
        let (browser, os, device) = (
            format!("B{}", ua % 4),
            format!("O{}", ua % 3),
            format!("D{}", ua % 2),
        );
        Observation::new(
            [&format!("10.0.0.{ip}"), &asn, &country],
            [&format!("UA {ua}"), &browser, &os, &device],
        )
    }

    proptest! {
        /// Below the caps and without sketch collisions, the bounded model scores exactly as the
        /// exact one.
        #[test]
        fn agrees_with_the_exact_model_within_its_bounds(
            logins in prop::collection::vec((0_u8..8, 0_u8..8, 0_u8..6), 1..120),
            attempts in prop::collection::vec((0_u8..8, 0_u8..20, 0_u8..10), 1..20),
        ) {
            let mut exact = History::new();
            let mut population = Population::new(key());
            let mut users: [UserModel; 8] = Default::default();
            for (i, &(user, ip, ua)) in logins.iter().enumerate() {
                let obs = observation(ip, ua);
                exact.learn(&UserId::from(u64::from(user)), &obs);
                let hashed = population.hash_observation(&obs);
                population.learn(&mut users[usize::from(user)], &hashed, Timestamp::from_unix_secs(i as i64));
            }
            for (user, ip, ua) in attempts {
                let obs = observation(ip, ua);
                let want = exact.score(&UserId::from(u64::from(user)), &obs);
                let got = population.score(&users[usize::from(user)], &population.hash_observation(&obs));
                match (want, got) {
                    (None, None) => {}
                    (Some(w), Some(g)) => {
                        prop_assert!((w.ln() - g.ln()).abs() < 1e-9, "{} vs {}", w.ln(), g.ln());
                        prop_assert_eq!(w.entirely_new(), g.entirely_new());
                        prop_assert_eq!(w.imitation(), g.imitation());
                    }
                    other => prop_assert!(false, "{other:?}"),
                }
            }
        }

        /// Any stored bytes read as a model or as an error, and what reads writes back the same.
        #[test]
        fn any_bytes_read_without_panicking(bytes in prop::collection::vec(any::<u8>(), 0..1200)) {
            if let Ok(model) = UserModel::from_bytes(&bytes) {
                prop_assert_eq!(model.to_bytes(), bytes);
            }
        }
    }

    /// The history of `model::tests::the_imitation_term_by_hand`, in both forms: they give the
    /// same scores, and the same answer to whether the imitation term carries them.
    #[test]
    fn both_forms_agree_on_the_imitation_term() {
        let with = |address: &str, asn: &str, country: &str, agent: &str| {
            Observation::new([address, asn, country], [agent, "b", "o", "d"])
        };
        let mut exact = History::new();
        let mut population = Population::new(key());
        let mut models: [UserModel; 4] = Default::default();
        let mut second = 0;
        for (user, n, obs) in [
            (0_usize, 3, with("A", "X", "NO", "U1")),
            (1, 27, with("C", "Y", "DE", "U2")),
            (2, 30, with("D", "Z", "US", "U2")),
            // An account whose network is unknown.
            (3, 3, with("F", "", "NO", "U1")),
        ] {
            for _ in 0..n {
                exact.learn(&UserId::from(user as u64), &obs);
                let hashed = population.hash_observation(&obs);
                population.learn(
                    &mut models[user],
                    &hashed,
                    Timestamp::from_unix_secs(second),
                );
                second += 1;
            }
        }
        for (user, obs, imitation) in [
            (0, with("E", "X", "NO", "U1"), true),
            (0, with("E", "X", "NO", "U2"), false),
            (0, with("A", "X", "NO", "U1"), false),
            (0, with("E", "Y", "DE", "U1"), false),
            (3, with("G", "", "NO", "U1"), false),
        ] {
            let want = exact.score(&UserId::from(user as u64), &obs).unwrap();
            let got = population
                .score(&models[user], &population.hash_observation(&obs))
                .unwrap();
            assert!((want.ln() - got.ln()).abs() < 1e-9, "{want:?} vs {got:?}");
            assert_eq!((want.imitation(), got.imitation()), (imitation, imitation));
        }
    }

    #[test]
    fn a_user_model_stays_bounded_and_keeps_its_frequent_values() {
        let population_key = key();
        let mut population = Population::with_widths(population_key, 12, 10).unwrap();
        let mut model = UserModel::default();
        let home = population.hash(["home", "AS1", "NO"], ["ua", "b", "o", "d"]);
        for i in 0..10_000_i64 {
            population.learn(&mut model, &home, Timestamp::from_unix_secs(i * 3600));
            let ip = format!("10.{}.{}.{}", i % 251, i % 13, i % 7);
            let ua = format!("agent {i}");
            let other = population.hash([&ip, &format!("AS{i}"), "SE"], [&ua, &ua, &ua, &ua]);
            population.learn(&mut model, &other, Timestamp::from_unix_secs(i * 3600 + 60));
        }
        // Every level is full but the countries (two of them).
        let lens: Vec<usize> = model.tables.iter().map(Vec::len).collect();
        assert_eq!(lens, [16, 8, 2, 8, 8, 4, 4]);
        let bytes = model.to_bytes();
        assert_eq!(bytes.len(), MAX_USER_MODEL_ENCODED_BYTES - 6 * ENTRY_BYTES);
        assert_eq!(UserModel::from_bytes(&bytes).unwrap(), model);
        assert_eq!(
            model.count(0, home.0[0], None),
            10_000,
            "the home address stays"
        );
        assert_eq!(
            model.logins(),
            20_000,
            "the country level holds every sign-in"
        );
        assert_eq!(population.users(), 1);
        assert_eq!(
            population.logins(),
            MAX_POPULATION_LOGINS_PER_USER,
            "one account adds at most its share to the population"
        );
        assert_eq!(population.memory_bytes(), 4 * 4 * (4096 + 1024));
        let usual = population.score(&model, &home).unwrap();
        assert!(usual.value() < 1.0, "{}", usual.value());
        // A year on, those sign-ins are outside the window: the cap counts what is within it, so
        // the account adds to the population again (and counts as a user once more).
        let mut a_year_on = model.clone();
        let later = Timestamp::from_unix_secs(20_000 * 3600 + 365 * 86_400);
        population.learn(&mut a_year_on, &home, later);
        assert_eq!(population.logins(), MAX_POPULATION_LOGINS_PER_USER + 1);
        assert_eq!(population.users(), 2);
        // The age window drops what was not seen since.
        model.forget_before(Timestamp::from_unix_secs(20_000 * 3600));
        assert_eq!(model.logins(), 0);
        assert!(population.score(&model, &home).is_none());
    }

    #[test]
    fn old_values_give_way_to_new_ones() {
        let mut population = Population::new(key());
        let mut model = UserModel::default();
        // Two years of daily sign-ins, the browser updating every 30 days.
        for day in 0..730_i64 {
            let ua = format!("Firefox/{}", 100 + day / 30);
            let h = population.hash(["home", "AS1", "NO"], [&ua, &ua, "Linux", "desktop"]);
            population.learn(&mut model, &h, Timestamp::from_unix_secs(day * 86_400));
        }
        // Only this half-year's browsers remain (days 550 to 729: versions 118 to 124), and the
        // current one is known.
        assert_eq!(model.tables[3].len(), 7);
        let now = population.hash(
            ["home", "AS1", "NO"],
            ["Firefox/124", "Firefox/124", "Linux", "desktop"],
        );
        assert_eq!(model.count(3, now.0[3], None), 730 - 720);
        assert_eq!(
            model.count(0, now.0[0], None),
            730,
            "the home address stays"
        );
    }

    #[test]
    fn an_address_back_after_the_window_is_new_again() {
        let mut population = Population::new(key());
        let mut model = UserModel::default();
        let h = population.hash(["home", "AS1", "NO"], ["ua", "b", "o", "d"]);
        let day = |d: i64| Timestamp::from_unix_secs(d * 86_400);
        population.learn(&mut model, &h, day(0));
        population.learn(&mut model, &h, day(1));
        assert_eq!((model.new_addresses, model.counted()), (1, 2));
        let last = 1 + i64::from(USER_MODEL_WINDOW_DAYS);
        // On the window's last day scoring still knows the address; the day after, the account
        // has no sign-ins within the window at all: scoring has nothing to compare with.
        assert!(population.score(&model, &h.at(day(last))).is_some());
        assert_eq!(model.count(0, h.0[0], Some(day_of(day(last + 1)))), 0);
        assert_eq!(model.logins_on(Some(day_of(day(last + 1)))), 0);
        assert_eq!(population.score(&model, &h.at(day(last + 1))), None);
        assert_eq!(model.logins(), 2, "without a day, everything stored counts");
        // Learning then, the address is new to the habit count as it was to scoring; the habit
        // counts, 181 days old, were halved first (1 of 2 → 0 of 1).
        population.learn(&mut model, &h, day(last + 1));
        assert_eq!((model.new_addresses, model.counted()), (1, 2));
    }

    #[test]
    fn a_day_from_a_clock_running_ahead_does_not_stay_in_force() {
        let mut population = Population::new(key());
        let mut model = UserModel::default();
        let home = population.hash(["home", "AS1", "NO"], ["ua", "b", "o", "d"]);
        let cafe = population.hash(["cafe", "AS1", "NO"], ["ua", "b", "o", "d"]);
        let day = |d: i64| Timestamp::from_unix_secs(d * 86_400);
        let (today, ahead) = (20_000, 20_000 + 60 * 365);
        for d in 0..30 {
            population.learn(&mut model, &home, day(today - 30 + d));
        }
        // One sign-in learned while the clock ran sixty years ahead.
        population.learn(&mut model, &cafe, day(ahead));
        let days = |model: &UserModel, h: &Hashed| {
            model.tables[0]
                .iter()
                .find(|e| e.hash == h.0[0])
                .map(|e| e.day)
        };
        assert_eq!(days(&model, &cafe), Some(day_of(day(ahead))));
        // Learning it aged out all before it (which clock is wrong can't be told), and emptied
        // the habits. Back on time, the address dated ahead is no one's yet: it lies more than
        // a window ahead (the clock's tolerance), but within it, it would count.
        assert_eq!(model.count(0, home.0[0], Some(day_of(day(today)))), 0);
        assert_eq!(model.counted(), 1);
        assert_eq!(model.count(0, cafe.0[0], Some(day_of(day(today)))), 0);
        let tolerance = i64::from(CLOCK_AHEAD_TOLERANCE_DAYS);
        assert_eq!(
            model.count(0, cafe.0[0], Some(day_of(day(ahead - tolerance)))),
            1
        );
        assert_eq!(
            model.count(0, cafe.0[0], Some(day_of(day(ahead - tolerance - 1)))),
            0
        );
        // Seen again, it is dated that day and ages from there like any other.
        population.learn(&mut model, &cafe, day(today));
        assert_eq!(days(&model, &cafe), Some(day_of(day(today))));
        assert_eq!(model.count(0, cafe.0[0], Some(day_of(day(today)))), 2);
        let past = today + 1 + i64::from(USER_MODEL_WINDOW_DAYS);
        assert_eq!(model.count(0, cafe.0[0], Some(day_of(day(past)))), 0);
        // The habit counts' period, begun ahead, began again that day: two periods on, the
        // two sign-ins counted are halved twice, to nothing, before the third is counted.
        assert_eq!(model.habits_since, day_of(day(today)));
        population.learn(
            &mut model,
            &home,
            day(today + 2 * i64::from(HABIT_HALF_LIFE_DAYS)),
        );
        assert_eq!(model.counted(), 1);
    }

    #[test]
    fn a_value_dated_ahead_makes_room_first() {
        let mut population = Population::new(key());
        let mut model = UserModel::default();
        let day = |d: i64| Timestamp::from_unix_secs(d * 86_400);
        let cap = USER_MODEL_CAPS[0];
        let address: Vec<Hashed> = (0..=cap)
            .map(|i| population.hash([&format!("a{i}"), "AS1", "NO"], ["ua", "b", "o", "d"]))
            .collect();
        population.learn(&mut model, &address[0], day(90_000));
        for a in &address[1..] {
            population.learn(&mut model, a, day(20_000));
        }
        let kept = |i: usize| model.tables[0].iter().any(|e| e.hash == address[i].0[0]);
        assert_eq!(model.tables[0].len(), cap);
        assert!(!kept(0), "the address dated ahead made room");
        assert!((1..=cap).all(kept));
    }

    #[test]
    fn habits_age_with_the_owner() {
        let mut population = Population::new(key());
        let mut model = UserModel::default();
        let h = population.hash(["home", "AS1", "NO"], ["ua", "b", "o", "d"]);
        let at = |day: i64, hour: i64| Timestamp::from_unix_secs(day * 86_400 + hour * 3_600);
        // A year of mornings, then a year of evenings.
        for day in 0..360 {
            population.learn(&mut model, &h, at(day, 8));
        }
        for day in 360..720 {
            population.learn(&mut model, &h, at(day, 20));
        }
        // Undated, both would count 360. Halved on days 180, 360 and 540 (before that day's
        // sign-in), the mornings weigh a quarter of the evenings: mornings 180 → 90 + 180 → 135
        // → 67; evenings 180 → 90 + 180.
        assert_eq!((model.hours[8], model.hours[20]), (67, 270));
        assert_eq!(model.counted(), 67 + 270);
        assert!(!model.unusual_hour(at(721, 20)));
        // A long absence empties the habits, never underflows them.
        population.learn(&mut model, &h, at(720 + 180 * 40, 3));
        assert_eq!(
            (model.hours[3], model.hours[20], model.counted()),
            (1, 0, 1)
        );
    }

    #[test]
    fn halving_never_leaves_more_new_addresses_than_sign_ins() {
        let mut population = Population::new(key());
        let mut model = UserModel::default();
        let at = |day: i64, hour: i64| Timestamp::from_unix_secs(day * 86_400 + hour * 3_600);
        // Two sign-ins from new addresses at different hours: each hour count halves to 0, the
        // new addresses (2) to 1, which would be more than the sign-ins left.
        for (day, hour, address) in [(0, 3, "a"), (1, 5, "b"), (181, 7, "c")] {
            let h = population.hash([address, "AS1", "NO"], ["ua", "b", "o", "d"]);
            population.learn(&mut model, &h, at(day, hour));
        }
        assert_eq!((model.new_addresses, model.counted()), (1, 1));
        assert_eq!(UserModel::from_bytes(&model.to_bytes()), Ok(model));
    }

    #[test]
    fn stored_models_are_checked() {
        let mut population = Population::new(key());
        let mut model = UserModel::default();
        let h = population.hash(["a", "b", "c"], ["d", "e", "f", "g"]);
        population.learn(&mut model, &h, Timestamp::from_unix_secs(0));
        let good = model.to_bytes();
        assert_eq!(good.len(), 1 + 7 + 7 * 16 + 48 + 2 + 4);
        assert_eq!(model.counted(), 1);
        assert_eq!(model.new_addresses, 1);
        let mut version = good.clone();
        version[0] = 1;
        let mut more_new = good.clone();
        let n = more_new.len();
        more_new[n - 6..n - 4].copy_from_slice(&2_u16.to_le_bytes());
        let mut since = good.clone();
        since[n - 4..].copy_from_slice(&(MAX_DAY + 1).to_le_bytes());
        let mut zero = good.clone();
        zero[1 + 1 + 8..1 + 1 + 12].fill(0);
        let mut too_many = good.clone();
        too_many[1] = 17;
        let mut future = good.clone();
        future[1 + 1 + 12..1 + 1 + 16].copy_from_slice(&(MAX_DAY + 1).to_le_bytes());
        let mut trailing = good.clone();
        trailing.push(0);
        for (bytes, reason) in [
            (version, "unknown format version"),
            (zero, "zero count"),
            (too_many, "too many values"),
            (future, "bad day"),
            (since, "bad day"),
            (more_new, "more new addresses than sign-ins"),
            (trailing, "trailing bytes"),
            (good[..good.len() - 1].to_vec(), "truncated"),
            (vec![0; MAX_USER_MODEL_ENCODED_BYTES + 1], "too large"),
        ] {
            assert_eq!(
                UserModel::from_bytes(&bytes),
                Err(Error::Invalid("user model", reason))
            );
        }
        // A repeated value in one level.
        let mut two = UserModel::default();
        let other = population.hash(["x", "b", "c"], ["d", "e", "f", "g"]);
        population.learn(&mut two, &h, Timestamp::from_unix_secs(0));
        population.learn(&mut two, &other, Timestamp::from_unix_secs(0));
        let mut repeated = two.to_bytes();
        let first = repeated[2..10].to_vec();
        repeated[18..26].copy_from_slice(&first);
        assert_eq!(
            UserModel::from_bytes(&repeated),
            Err(Error::Invalid("user model", "repeated value"))
        );
    }

    #[test]
    fn hours_and_secrets() {
        let mut population = Population::new(key());
        let mut model = UserModel::default();
        let h = population.hash(["a", "b", "c"], ["d", "e", "f", "g"]);
        // Sign-ins at 08:00-10:59 UTC on 30 days.
        for day in 0..30_i64 {
            for hour in [8, 9, 10] {
                let at = Timestamp::from_unix_secs(day * 86_400 + hour * 3600);
                assert!(!model.unusual_hour(at), "the usual hours");
                population.learn(&mut model, &h, at);
            }
        }
        let at = |hour: i64| Timestamp::from_unix_secs(40 * 86_400 + hour * 3600 + 1800);
        assert!(!model.unusual_hour(at(7)), "within an hour of the usual");
        assert!(!model.unusual_hour(at(11)));
        assert!(model.unusual_hour(at(3)));
        assert!(model.unusual_hour(at(23)));
        assert_eq!(format!("{:?}", key()), "ModelKey(..)");
        assert_eq!(format!("{h:?}"), "Hashed(..)");
        assert!(!format!("{population:?}").contains("42"));
        assert_eq!(
            format!("{model:?}"),
            "UserModel { logins: 90, values: 7, .. }"
        );
        assert!(Population::with_widths(key(), 7, 10).is_err());
        assert!(Population::with_widths(key(), 12, 27).is_err());
        // A different key hashes differently: profiles made under one key mean nothing under another.
        let other = Population::new(ModelKey::new([1; 16]));
        assert_ne!(other.hash(["a", "b", "c"], ["d", "e", "f", "g"]), h);
    }
}
