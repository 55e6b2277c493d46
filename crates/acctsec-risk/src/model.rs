//! The statistical model after Freeman et al. (NDSS 2016) as evaluated by Wiefling et al. (ACM
//! TOPS 2022): how much likelier an attempt's features are for an attacker (the population) than
//! for this user (their history).

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::net::{IpAddr, Ipv6Addr};

use acctsec_core::{Timestamp, UserId};

use crate::geo::CountryCode;
use crate::rba::RbaRecord;

/// A feature with its levels, most specific first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Feature {
    /// IP address → autonomous system → country.
    Ip,
    /// Full user agent → browser name and version → OS name and version → device type.
    UserAgent,
}

impl Feature {
    /// Every feature.
    pub const ALL: [Self; 2] = [Self::Ip, Self::UserAgent];

    /// The weight of each level, most specific first (the values the data set's authors use for
    /// it; they sum to 1).
    #[must_use]
    pub const fn weights(self) -> &'static [f64] {
        match self {
            Self::Ip => &[0.6, 0.3, 0.1],
            Self::UserAgent => &[
                0.538_665_384_055_135_9,
                0.268_045_149_862_566_6,
                0.188_182_951_001_095_36,
                0.005_106_515_081_202_152_5,
            ],
        }
    }
}

/// The longest value an [`Observation`] keeps, bytes (the length of a [`UserAgent`], the longest
/// of them); longer values are cut at a character boundary.
///
/// [`UserAgent`]: acctsec_core::UserAgent
pub const MAX_OBSERVATION_VALUE_BYTES: usize = acctsec_core::MAX_USER_AGENT_BYTES;

/// `value` cut to at most [`MAX_OBSERVATION_VALUE_BYTES`], at a character boundary.
pub(crate) fn bounded(value: &str) -> &str {
    cut(value, MAX_OBSERVATION_VALUE_BYTES)
}

/// `text` cut to at most `max` bytes, at a character boundary.
pub(crate) fn cut(text: &str, max: usize) -> &str {
    text.get(..text.floor_char_boundary(max))
        .unwrap_or_default()
}

/// The source an address counts as: IPv4-mapped IPv6 as IPv4, and IPv6 as its /64 (a device
/// rotates its privacy addresses within it).
pub(crate) fn source_of(ip: IpAddr) -> IpAddr {
    match ip.to_canonical() {
        IpAddr::V4(v4) => IpAddr::V4(v4),
        IpAddr::V6(v6) => IpAddr::V6(Ipv6Addr::from(u128::from(v6) & !u128::from(u64::MAX))),
    }
}

/// The first IP level's value: the address as [`source_of`] counts it, an IPv6 /64 with its
/// prefix length.
pub(crate) fn address_level(ip: IpAddr) -> String {
    match source_of(ip) {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => format!("{v6}/64"),
    }
}

/// What the model sees of one sign-in: each feature's value at each level, and the hour of the
/// day (UTC) if known. Unknown values are kept as their own value (`""`), so "unknown" is
/// something a user can have a history of.
///
/// Its values are where and on what someone signs in: `Debug` shows the time only.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Observation {
    levels: [Vec<String>; 2],
    at: Option<Timestamp>,
}

impl fmt::Debug for Observation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Observation")
            .field("at", &self.at)
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for History {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("History")
            .field("logins", &self.logins)
            .field("users", &self.users.len())
            .finish_non_exhaustive()
    }
}

/// The hour of the day (UTC) of `at`, 0 to 23.
pub(crate) fn hour_of(at: Timestamp) -> u8 {
    u8::try_from(at.as_unix_millis().div_euclid(3_600_000).rem_euclid(24)).unwrap_or(0)
}

impl Observation {
    /// An observation from the IP levels (address, ASN, country) and the user-agent levels (full
    /// string, browser, OS, device type), each cut to [`MAX_OBSERVATION_VALUE_BYTES`].
    #[must_use]
    pub fn new(ip: [&str; 3], user_agent: [&str; 4]) -> Self {
        let own = |s: &&str| bounded(s).to_owned();
        Self {
            levels: [
                ip.iter().map(own).collect(),
                user_agent.iter().map(own).collect(),
            ],
            at: None,
        }
    }

    /// The same observation made at `at`: its hour of the day (UTC) joins the score, and the
    /// bounded model reads the account's values within its age window before that day.
    #[must_use]
    pub const fn at(mut self, at: Timestamp) -> Self {
        self.at = Some(at);
        self
    }

    pub(crate) const fn time(&self) -> Option<Timestamp> {
        self.at
    }

    pub(crate) fn hour(&self) -> Option<u8> {
        self.at.map(hour_of)
    }

    pub(crate) fn values(&self, feature: Feature) -> &[String] {
        self.levels.get(feature as usize).map_or(&[], Vec::as_slice)
    }
}

/// The address counts as the engine counts it: IPv4-mapped IPv6 as IPv4, IPv6 by its /64.
impl From<&RbaRecord> for Observation {
    fn from(r: &RbaRecord) -> Self {
        let asn = r.asn.map(|a| a.to_string()).unwrap_or_default();
        let country = r.country.as_ref().map_or("", CountryCode::as_str);
        Self::new(
            [&address_level(r.ip), &asn, country],
            [
                r.user_agent.as_str(),
                r.browser.as_deref().unwrap_or_default(),
                r.os.as_deref().unwrap_or_default(),
                r.device_type.as_deref().unwrap_or_default(),
            ],
        )
        .at(r.at)
    }
}

/// Counts for one feature: per level, value → count.
#[derive(Debug, Clone, Default)]
struct FeatureCounts {
    levels: Vec<HashMap<String, u64>>,
}

impl FeatureCounts {
    fn new(levels: usize) -> Self {
        Self {
            levels: vec![HashMap::new(); levels],
        }
    }

    fn add(&mut self, values: &[String]) {
        for (level, value) in self.levels.iter_mut().zip(values) {
            *level.entry(value.clone()).or_default() += 1;
        }
    }

    fn count(&self, level: usize, value: &str) -> u64 {
        self.levels
            .get(level)
            .and_then(|l| l.get(value))
            .copied()
            .unwrap_or(0)
    }
}

#[derive(Debug, Clone, Default)]
struct UserCounts {
    logins: u64,
    /// Sign-ins from an address the user had not signed in from before.
    new_addresses: u64,
    hours: [u64; 24],
    features: Vec<FeatureCounts>,
}

/// The sign-in history the model scores against: population counts, each user's counts, and for
/// every most-specific value the distinct values seen below it (for smoothing).
///
/// Exact and in memory: this is the model's reference form, for tests and evaluation. Bounded
/// per-user profiles and population sketches come with the profile store.
///
/// `Debug` shows counts only: the history holds every user's addresses and user agents.
#[derive(Clone, Default)]
pub struct History {
    logins: u64,
    population: Vec<FeatureCounts>,
    below_first: Vec<HashMap<String, Vec<HashSet<String>>>>,
    users: HashMap<UserId, UserCounts>,
}

/// A risk score: how much likelier the attempt is from an attacker than from the user. Kept as
/// its natural logarithm, so products of many small likelihoods neither underflow nor overflow.
/// Only the model makes scores, and they are always finite.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd)]
pub struct RiskScore {
    ln: f64,
    unseen_features: u8,
    features: u8,
    imitation: bool,
}

impl RiskScore {
    /// The score itself.
    #[must_use]
    pub fn value(self) -> f64 {
        self.ln.exp()
    }

    /// Its natural logarithm.
    #[must_use]
    pub const fn ln(self) -> f64 {
        self.ln
    }

    /// Whether every scored feature was one the user never had at any level: an attempt new in
    /// every way, whatever the user-share term makes of the score.
    #[must_use]
    pub const fn entirely_new(self) -> bool {
        self.features > 0 && self.unseen_features == self.features
    }

    /// Whether the score rests mostly on the imitation term ([`IMITATION_ODDS`]): an address new
    /// to the account, on a (known) network and with a browser it has used. That is all a targeted
    /// attacker changes, and what an owner brings when their address changes.
    #[must_use]
    pub const fn imitation(self) -> bool {
        self.imitation
    }

    /// A score for tests of decision logic.
    #[cfg(test)]
    pub(crate) fn for_test(value: f64, unseen_features: u8, features: u8) -> Self {
        Self {
            ln: value.ln(),
            unseen_features,
            features,
            imitation: false,
        }
    }

    /// The same score, resting on the imitation term.
    #[cfg(test)]
    pub(crate) const fn imitated(mut self) -> Self {
        self.imitation = true;
        self
    }
}

impl History {
    /// An empty history.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    fn ensure_shape(&mut self) {
        if self.population.is_empty() {
            self.population = Feature::ALL
                .iter()
                .map(|f| FeatureCounts::new(f.weights().len()))
                .collect();
            self.below_first = vec![HashMap::new(); Feature::ALL.len()];
        }
    }

    /// Learns a sign-in (the reference learns only successful ones; so should callers).
    pub fn learn(&mut self, user: &UserId, observation: &Observation) {
        self.ensure_shape();
        self.logins += 1;
        for feature in Feature::ALL {
            let values = observation.values(feature);
            let f = feature as usize;
            if let Some(counts) = self.population.get_mut(f) {
                counts.add(values);
            }
            if let (Some(first), Some(map)) = (values.first(), self.below_first.get_mut(f)) {
                let sets = map
                    .entry(first.clone())
                    .or_insert_with(|| vec![HashSet::new(); values.len().saturating_sub(1)]);
                for (set, value) in sets.iter_mut().zip(values.iter().skip(1)) {
                    set.insert(value.clone());
                }
            }
        }
        let entry = self
            .users
            .entry(user.clone())
            .or_insert_with(|| UserCounts {
                logins: 0,
                new_addresses: 0,
                hours: [0; 24],
                features: Feature::ALL
                    .iter()
                    .map(|f| FeatureCounts::new(f.weights().len()))
                    .collect(),
            });
        entry.logins += 1;
        let address = observation.values(Feature::Ip).first();
        let known = entry
            .features
            .get(Feature::Ip as usize)
            .zip(address)
            .is_some_and(|(ip, a)| ip.count(0, a) > 0);
        if !known {
            entry.new_addresses += 1;
        }
        if let Some(h) = observation
            .hour()
            .and_then(|h| entry.hours.get_mut(usize::from(h)))
        {
            *h += 1;
        }
        for feature in Feature::ALL {
            if let Some(counts) = entry.features.get_mut(feature as usize) {
                counts.add(observation.values(feature));
            }
        }
    }

    /// How many sign-ins `user` has in the history.
    #[must_use]
    pub fn logins_of(&self, user: &UserId) -> u64 {
        self.users.get(user).map_or(0, |u| u.logins)
    }

    /// What the formula needs of one feature's values: the population's and the user's counts
    /// at each level and the smoothing terms.
    fn feature_counts(&self, user: &UserCounts, feature: Feature, values: &[String]) -> Counts {
        let f = feature as usize;
        let mut counts = Counts::default();
        if let (Some(population), Some(below), Some(own)) = (
            self.population.get(f),
            self.below_first.get(f),
            user.features.get(f),
        ) {
            for (level, value) in values.iter().enumerate().take(MAX_LEVELS) {
                counts.population[level] = population.count(level, value) as f64;
                counts.user[level] = own.count(level, value) as f64;
                counts.known[level] = !value.is_empty();
            }
            counts.distinct_below = population
                .levels
                .iter()
                .skip(1)
                .map(HashMap::len)
                .sum::<usize>() as f64;
            counts.below_first = values
                .first()
                .and_then(|v| below.get(v))
                .map_or(0, |sets| sets.iter().map(HashSet::len).sum::<usize>())
                as f64;
        }
        counts
    }

    /// Scores an attempt of `user` against the history, or `None` if the user has no history
    /// (the model has nothing to compare with: the caller decides, for example by treating a
    /// first sign-in as medium risk).
    ///
    /// `S = (Π_features p(value) / p(value | user) + ε × imitable) × p(user | attack) /
    /// p(user | legit) × 1 / p(new address | user) × p(hour | attack) / p(hour | user)`, where
    /// `p(user | attack) = 1 / users` and `p(user | legit) = (user's sign-ins + 10) / (all
    /// sign-ins + 10 × users)` (every account credited with ten sign-ins, so a new account's
    /// first ones don't count as a rarely used account's). A
    /// feature whose values the user has never had at any level counts a ratio of 4. `ε` is
    /// [`IMITATION_ODDS`], and `imitable` is 1 when only the address is new to the user: their
    /// network (a known one), and a browser they used. The last two terms are the user's habits: how often
    /// they bring an address new to them, counted only when this one is new (an attacker's
    /// always is), and the hour of day, when the observation has one.
    #[must_use]
    pub fn score(&self, user: &UserId, observation: &Observation) -> Option<RiskScore> {
        self.score_with(user, observation, &Feature::ALL)
    }

    /// [`score`](Self::score) over a chosen set of features. A feature left out constrains no
    /// imitator: scored on the address alone, any user agent counts as the user's.
    #[must_use]
    pub fn score_with(
        &self,
        user: &UserId,
        observation: &Observation,
        features: &[Feature],
    ) -> Option<RiskScore> {
        let counts = self.users.get(user).filter(|u| u.logins > 0)?;
        let totals = Totals {
            logins: self.logins as f64,
            users: self.users.len() as f64,
            user_logins: counts.logins as f64,
        };
        let habits = Habits {
            new_addresses: counts.new_addresses as f64,
            counted: counts.logins as f64,
            hours: counts.hours.map(|h| h as f64),
            hour: observation.hour(),
        };
        freeman(
            &totals,
            &habits,
            Feature::ALL
                .into_iter()
                .filter(|f| features.contains(f))
                .map(|f| (f, self.feature_counts(counts, f, observation.values(f)))),
        )
    }
}

/// The most levels a feature has.
pub(crate) const MAX_LEVELS: usize = 4;

/// One feature's counts for the formula, as either form of the model has them.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Counts {
    /// Population sign-ins with the attempt's value, per level.
    pub(crate) population: [f64; MAX_LEVELS],
    /// The user's sign-ins with the attempt's value, per level.
    pub(crate) user: [f64; MAX_LEVELS],
    /// Distinct values seen below the attempt's first-level value, over all lower levels.
    pub(crate) below_first: f64,
    /// Distinct values seen at all levels below the first.
    pub(crate) distinct_below: f64,
    /// Whether the attempt's value at each level is known (not empty).
    pub(crate) known: [bool; MAX_LEVELS],
}

/// The share of an owner's sign-ins the hour term assumes fall at any hour, whatever their habit.
const OFF_HOURS_SHARE: f64 = 0.1;

/// The sign-ins the user-share term credits every account with beyond its own: `p(user | legit)
/// = (user's sign-ins + 10) / (all sign-ins + 10 × users)`.
///
/// Freeman et al. count only the user's sign-ins, which suits a history read at once. Scored as
/// sign-ins arrive, an account's second sign-in would count as one from a rarely used account,
/// up to tens of times likelier a target, and new accounts' first sign-ins filled the owners'
/// riskiest 1% (median history: 3 sign-ins). Measured on synthetic logs (`BENCHMARKS.md`): owners
/// challenged 2.6% → 1.7%, blocked 0.26% → 0.08%, with more attackers of every kind caught at
/// 0.1% and 1% of owners challenged.
const USER_SHARE_PRIOR_LOGINS: f64 = 10.0;

/// The odds the score gives an attacker who imitates the account against one who looks like
/// anyone else: one imitator for every ten.
///
/// Freeman et al. estimate the attacker's likelihood from the population, which assumes the
/// attacker knows nothing of the victim. A targeted attacker (Wiefling et al.) brings the
/// victim's network and user agent; only the address is new, and for such an attempt the
/// population term is tiny (the values are the user's own). The score's attacker is a mixture:
/// besides the population, an imitator whose network and user agent are drawn from the user's
/// own sign-ins and whose address is new, so the likelihood ratio of those values is 1 and what
/// remains is how rarely this user brings a new address, the user-share term and the hour.
///
/// The imitator's network must be known (without network data every account would share the
/// empty one) and its browser, name and major version, one the user had: matching the whole
/// user-agent string would let an attacker shed the term by changing a detail of it. An
/// attacker who picks a browser version the account never used does shed it, and meets the
/// population term (and, without the device cookie, the new-device rule) instead.
///
/// Measured on synthetic logs (`BENCHMARKS.md`; with the user-share credit): at 1% of owners
/// challenged, a targeted attacker is caught 17–20% of the time instead of 1–2%, with 1.7% of
/// owners' sign-ins challenged at the default threshold, as before.
pub const IMITATION_ODDS: f64 = 0.1;

/// What the formula needs of a user's habits beyond their values: how many of the counted
/// sign-ins came from an address new to the user, the sign-ins per hour of the day (UTC), and
/// the attempt's hour if known.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Habits {
    pub(crate) new_addresses: f64,
    pub(crate) counted: f64,
    pub(crate) hours: [f64; 24],
    pub(crate) hour: Option<u8>,
}

impl Habits {
    /// `ln(1 / p(new address | user))`, with `p` the user's share of sign-ins from a new address
    /// under add-one smoothing: an attacker's address is new to the user, and the less often the
    /// user brings a new one, the less an owner's sign-in it is.
    fn new_address_term(&self) -> f64 {
        -((self.new_addresses + 1.0) / (self.counted + 2.0)).ln()
    }

    /// `ln(p(hour | attack) / p(hour | user))`: attackers come at any hour (1/24). The user's
    /// hours are smoothed over the neighbouring hours (weights 1, 2, 1) with add-one smoothing,
    /// so a new account's hours are nearly uniform and the term nearly 0, and mixed with
    /// [`OFF_HOURS_SHARE`] of uniform hours, so even the most regular owner's odd hour counts at
    /// most 10 (ln 10 ≈ 2.3): habits bend, and the hour alone must not block an owner.
    fn hour_term(&self, hour: u8) -> f64 {
        let h = usize::from(hour % 24);
        let at = |i: usize| self.hours.get(i % 24).copied().unwrap_or(0.0);
        let near = at(h + 23) + 2.0 * at(h) + at(h + 1);
        let total: f64 = self.hours.iter().sum();
        let habitual = (near + 1.0) / (4.0 * total + 24.0);
        let p_user = (1.0 - OFF_HOURS_SHARE) * habitual + OFF_HOURS_SHARE / 24.0;
        (1.0 / 24.0_f64).ln() - p_user.ln()
    }
}

/// The sign-in totals the formula needs.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Totals {
    /// All learned sign-ins.
    pub(crate) logins: f64,
    /// Users with sign-ins.
    pub(crate) users: f64,
    /// The user's sign-ins.
    pub(crate) user_logins: f64,
}

/// The population likelihood of a feature's values: each level's share, weighted, with the first
/// level smoothed by the unseen mass (one plus the distinct values below it).
fn population_likelihood(feature: Feature, c: &Counts, n: f64) -> f64 {
    let unseen = 1.0 + c.distinct_below;
    let mut total = 0.0;
    for (level, (weight, count)) in feature.weights().iter().zip(c.population).enumerate() {
        total += if level > 0 {
            weight * count / n
        } else if count > 0.0 {
            let u_sub = 1.0 + c.below_first;
            weight * (count / (count + u_sub)) * (count / (n + unseen))
        } else {
            weight / (n + unseen)
        };
    }
    total
}

/// The user's likelihood of a feature's values: a weighted share of their sign-ins per level.
fn user_likelihood(feature: Feature, c: &Counts, n: f64) -> f64 {
    feature
        .weights()
        .iter()
        .zip(c.user)
        .map(|(weight, count)| weight * count / n)
        .sum()
}

/// The formula itself, shared by both forms of the model: the product over features of
/// population over user likelihood (4 for a feature the user never had at any level), plus the
/// imitation odds when only the address is new ([`IMITATION_ODDS`]), times the user-share term,
/// in log space; then the habits: the new-address term when the address is new
/// to the user (Freeman et al. smooth the user's likelihood for unseen values; this measures
/// that mass from the user's own history, so a person whose phone changes address daily and one
/// who always signs in from home are told apart), and the hour term when the hour is known.
/// `None` if the result is not finite.
pub(crate) fn freeman(
    totals: &Totals,
    habits: &Habits,
    features: impl IntoIterator<Item = (Feature, Counts)>,
) -> Option<RiskScore> {
    let mut ln = habits.hour.map_or(0.0, |h| habits.hour_term(h));
    // The features' ratios, apart: the imitation term is added to their product.
    let mut ratios = 0.0;
    let (mut scored, mut unseen) = (0_u8, 0_u8);
    // An imitator brings a new address on the user's network, with a browser they used.
    let (mut new_address_on_own_network, mut own_user_agent) = (false, true);
    for (feature, counts) in features {
        let local = user_likelihood(feature, &counts, totals.user_logins);
        scored = scored.saturating_add(1);
        match feature {
            Feature::Ip => {
                if counts.user[0] == 0.0 {
                    ln += habits.new_address_term();
                }
                // An unknown network ("") is no one's own: without network data every account
                // would share it.
                new_address_on_own_network =
                    counts.user[0] == 0.0 && counts.user[1] > 0.0 && counts.known[1];
            }
            // The browser (name and major version) is enough: a user-agent string changed in
            // a detail must not shed the term.
            Feature::UserAgent => own_user_agent = counts.user[..2].iter().any(|&c| c > 0.0),
        }
        ratios += if local > 0.0 {
            // A value the user had is in the population too: both likelihoods are positive.
            population_likelihood(feature, &counts, totals.logins).ln() - local.ln()
        } else {
            unseen = unseen.saturating_add(1);
            4.0_f64.ln()
        };
    }
    // Whether the imitation term carries the score; its logarithm only when it applies (this
    // is the scoring path).
    let mut imitation = false;
    ln += if new_address_on_own_network && own_user_agent {
        let odds = IMITATION_ODDS.ln();
        imitation = odds > ratios;
        ln_sum(ratios, odds)
    } else {
        ratios
    };
    let p_attack = 1.0 / totals.users;
    let p_legit = (totals.user_logins + USER_SHARE_PRIOR_LOGINS)
        / USER_SHARE_PRIOR_LOGINS.mul_add(totals.users, totals.logins);
    ln += p_attack.ln() - p_legit.ln();
    ln.is_finite().then_some(RiskScore {
        ln,
        unseen_features: unseen,
        features: scored,
        imitation,
    })
}

/// `ln(e^a + e^b)` without overflow.
fn ln_sum(a: f64, b: f64) -> f64 {
    let (high, low) = if a >= b { (a, b) } else { (b, a) };
    high + (low - high).exp().ln_1p()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(ip: &str, asn: &str, country: &str) -> Observation {
        Observation::new(
            [ip, asn, country],
            ["Mozilla/5.0", "Firefox 133", "Linux", "desktop"],
        )
    }

    /// Ten sign-ins by four users: u 3 × (A, X, NO), v 2 × (B, X, NO), w 3 × (C, Y, DE),
    /// z 2 × (D, Z, US).
    fn history() -> History {
        let mut h = History::new();
        for (user, n, obs) in [
            (1_u64, 3, ip("A", "X", "NO")),
            (2, 2, ip("B", "X", "NO")),
            (3, 3, ip("C", "Y", "DE")),
            (4, 2, ip("D", "Z", "US")),
        ] {
            for _ in 0..n {
                h.learn(&UserId::from(user), &obs);
            }
        }
        h
    }

    fn ip_score(h: &History, user: u64, obs: &Observation) -> f64 {
        h.score_with(&UserId::from(user), obs, &[Feature::Ip])
            .map(RiskScore::value)
            .unwrap_or(f64::NAN)
    }

    // Shared terms, by hand: N = 10 sign-ins; unseen mass U = 1 + 3 distinct ASNs + 3 distinct
    // countries = 7, so N + U = 17; 4 users. An address new to u adds the new-address factor:
    // 1 of u's 3 sign-ins brought a new address, p = (1 + 1) / (3 + 2) = 0.4, factor 2.5 (for v,
    // 1 of 2: p = 2/4, factor 2). A new address in the user's own network (these tests score the
    // address alone, so any user agent counts as the user's) adds the imitation odds, 0.1, to
    // the feature's ratio. The user term credits each account with 10 sign-ins more:
    // p(u|legit) = (3 + 10) / (10 + 10 · 4) = 0.26, p(u|attack) = 1/4, term 0.9615385 (for v,
    // (2 + 10) / 50 = 0.24: 1.0416667).

    #[test]
    fn an_unseen_ip_in_a_seen_asn() {
        // u from B (seen for v), in u's ASN X and country NO.
        // Population: 0.6 · (2 / (2 + 3)) · (2 / 17) + 0.3 · 5/10 + 0.1 · 5/10 = 0.2282353
        //   (B was seen twice, with 1 ASN and 1 country below it: U_sub = 3).
        // User: 0.6 · 0/3 + 0.3 · 3/3 + 0.1 · 3/3 = 0.4.
        // Score: (0.2282353 / 0.4 + 0.1) · 0.9615385 · 2.5 = 1.6119910.
        let s = ip_score(&history(), 1, &ip("B", "X", "NO"));
        assert!((s - 1.611_991_0).abs() < 1e-6, "{s}");
    }

    #[test]
    fn the_user_s_own_address() {
        // Population: 0.6 · (3/6) · (3/17) + 0.15 + 0.05 = 0.2529412; user: 1.0.
        // Score: 0.2529412 · 0.9615385 = 0.2432127.
        let s = ip_score(&history(), 1, &ip("A", "X", "NO"));
        assert!((s - 0.243_212_7).abs() < 1e-6, "{s}");
    }

    #[test]
    fn an_entirely_unseen_feature_counts_four() {
        // Nothing of (E, W, FR) in u's history: the feature's ratio is 4; score
        // 4 · (1/4) / 0.26 · 2.5 = 125/13.
        let h = history();
        for obs in [ip("E", "W", "FR"), ip("C", "Y", "DE")] {
            let s = ip_score(&h, 1, &obs);
            assert!((s - 125.0 / 13.0).abs() < 1e-9, "{s}");
        }
    }

    #[test]
    fn an_address_nobody_had_in_the_user_s_network() {
        // u from E (never seen by anyone) in u's ASN X and country NO.
        // Population: 0.6 · 1/17 + 0.15 + 0.05 = 0.2352941; user: 0 + 0.3 + 0.1 = 0.4.
        // Score: (0.2352941 / 0.4 + 0.1) · 0.9615385 · 2.5 = 1.6544117.
        let s = ip_score(&history(), 1, &ip("E", "X", "NO"));
        assert!((s - 1.654_411_7).abs() < 1e-6, "{s}");
    }

    #[test]
    fn the_user_share_term() {
        // v (2 of 10 sign-ins) from A: population 0.2529412; user 0.3 · 2/2 + 0.1 · 2/2 = 0.4;
        // user term (1/4) / 0.24 = 1.0416667; A is new to v: factor 2.
        // X is v's network: plus the imitation odds.
        // Score (0.2529412 / 0.4 + 0.1) · 1.0416667 · 2 = 1.5257354.
        let s = ip_score(&history(), 2, &ip("A", "X", "NO"));
        assert!((s - 1.525_735_4).abs() < 1e-6, "{s}");
    }

    #[test]
    fn the_imitation_term_by_hand() {
        // u: 3 × (A, X, NO) with user agent U1; w: 27 × (C, Y, DE) and z: 30 × (D, Z, US), both
        // with U2; every user agent is browser b on system o, device d. N = 60, 3 users; u's
        // user term (1/3) / ((3 + 10) / (60 + 30)) = 30/13, new-address factor 2.5.
        let on = |address: &str, asn: &str, country: &str, agent: &str, browser: &str| {
            Observation::new([address, asn, country], [agent, browser, "o", "d"])
        };
        let with = |address: &str, asn: &str, country: &str, agent: &str| {
            on(address, asn, country, agent, "b")
        };
        let mut h = History::new();
        for (user, n, obs) in [
            (1_u64, 3, with("A", "X", "NO", "U1")),
            (3, 27, with("C", "Y", "DE", "U2")),
            (4, 30, with("D", "Z", "US", "U2")),
        ] {
            for _ in 0..n {
                h.learn(&UserId::from(user), &obs);
            }
        }
        let u = UserId::from(1_u64);
        // u from E (nobody's) in X, with U1: the network and user agent are u's, the address
        // new. Address feature: population 0.6 / (60 + 7) + 0.3 · 3/60 + 0.1 · 3/60 = 0.0289552
        // (U = 1 + 3 ASNs + 3 countries), user 0.3 + 0.1 = 0.4, ratio 0.0723881. Scored alone,
        // the ratio plus the odds: (0.0723881 + 0.1) · 30/13 · 2.5 = 0.9945465, more than half
        // of it the imitation term.
        let address_only = h
            .score_with(&u, &with("E", "X", "NO", "U1"), &[Feature::Ip])
            .unwrap();
        assert!(
            (address_only.value() - 0.994_546_5).abs() < 1e-6,
            "{}",
            address_only.value()
        );
        assert!(address_only.imitation());
        // With a user-agent string u never sent (U2) of u's browser b: an imitator may change a
        // detail of the string, so the term stays. User agent: population
        // 0.5386654 · (57/61) · (57/64) + 0.2680451 + 0.1881830 + 0.0051065 = 0.9096245 (U2 seen
        // 57 times with 3 values below it: U_sub = 4; U = 4), user 0.4613346, ratio 1.9717240.
        // Score: (0.0723881 · 1.9717240 + 0.1) · 30/13 · 2.5 = 1.4003612.
        let other_string = h.score(&u, &with("E", "X", "NO", "U2")).unwrap();
        assert!(
            (other_string.value() - 1.400_361_2).abs() < 1e-6,
            "{}",
            other_string.value()
        );
        // (The population's ratios, 0.1427, outweigh the odds here: the score does not rest on
        // the imitation term.)
        assert!(!other_string.imitation());
        // With a browser u never used (U3, browser b3, u's system o): no imitator brings it, so
        // the score is the population term alone. User agent: population 0.5386654 / 64 +
        // 0.1881830 + 0.0051065 = 0.2017061 (U3 unseen: w_0 / (N + U)), user 0.1932895, ratio
        // 1.0435443. Score: 0.0723881 · 1.0435443 · 30/13 · 2.5 = 0.4358085.
        let other_browser = h.score(&u, &on("E", "X", "NO", "U3", "b3")).unwrap();
        assert!(
            (other_browser.value() - 0.435_808_5).abs() < 1e-6,
            "{}",
            other_browser.value()
        );
        assert!(!other_browser.imitation());
        // A known address, or another network, is no imitation either.
        for obs in [with("A", "X", "NO", "U1"), with("E", "Y", "DE", "U1")] {
            assert!(!h.score(&u, &obs).unwrap().imitation());
        }
    }

    #[test]
    fn an_unknown_network_is_no_one_s_own() {
        // Two accounts alike but for their network: known (X) or unknown (""). A new address
        // "on" an unknown network gets no imitation term: without network data every account
        // would have the same one.
        let score = |asn: &str| {
            let mut h = History::new();
            for (user, address) in [(1_u64, "A"), (1, "A"), (1, "A"), (2, "B"), (2, "B")] {
                h.learn(&UserId::from(user), &ip(address, asn, "NO"));
            }
            h.score(&UserId::from(1_u64), &ip("E", asn, "NO")).unwrap()
        };
        let (known, unknown) = (score("X"), score(""));
        // The same history otherwise, so the difference is the odds alone.
        assert!(
            known.value() > unknown.value() * 1.01,
            "{known:?} {unknown:?}"
        );
        assert!(!unknown.imitation());
    }

    #[test]
    fn the_new_address_term_follows_the_user_s_own_habit() {
        // w signs in from a new address every time (C, C2, C3): p = (3 + 1) / (3 + 2) = 0.8,
        // factor 1.25; u always from A: factor 2.5. The same new address, in each one's own
        // network, is twice as risky for u as for w, all else equal.
        let mut h = History::new();
        for (user, address) in [
            (1_u64, "A"),
            (1, "A"),
            (1, "A"),
            (3, "C"),
            (3, "C2"),
            (3, "C3"),
        ] {
            h.learn(&UserId::from(user), &ip(address, "X", "NO"));
        }
        let new_one = ip("E", "X", "NO");
        let ratio = ip_score(&h, 1, &new_one) / ip_score(&h, 3, &new_one);
        // The rest of each score is alike (same network, same share of sign-ins); only the
        // first level's counts differ, and E is new to both.
        assert!((ratio - 2.0).abs() < 1e-9, "{ratio}");
        // A known address takes no new-address factor.
        let habits = Habits {
            new_addresses: 1.0,
            counted: 3.0,
            hours: [0.0; 24],
            hour: None,
        };
        assert!((habits.new_address_term() - 2.5_f64.ln()).abs() < 1e-12);
    }

    #[test]
    fn the_hour_term_by_hand() {
        // u signs in three times at 09:00 UTC. At 09:00 the smoothed share is
        // (0 + 2·3 + 0 + 1) / (4·3 + 24) = 7/36, mixed with a tenth of uniform hours:
        // 0.9 · 7/36 + 0.1/24 = 0.1791667, the ratio (1/24) / 0.1791667 = 0.2325581. At 03:00 the
        // share is 1/36: 0.9/36 + 0.1/24 = 0.0291667, the ratio 1.4285714. Without an hour there
        // is no term.
        let at =
            |hour: i64| Timestamp::from_unix_secs(1_800_000_000 / 86_400 * 86_400 + hour * 3_600);
        let mut h = History::new();
        for _ in 0..3 {
            h.learn(&UserId::from(1_u64), &ip("A", "X", "NO").at(at(9)));
        }
        let base = ip_score(&h, 1, &ip("A", "X", "NO"));
        let nine = ip_score(&h, 1, &ip("A", "X", "NO").at(at(9)));
        let three = ip_score(&h, 1, &ip("A", "X", "NO").at(at(3)));
        assert!((nine / base - 0.232_558_1).abs() < 1e-7, "{}", nine / base);
        assert!(
            (three / base - 1.428_571_4).abs() < 1e-7,
            "{}",
            three / base
        );
        // However regular the habit, an hour counts at most 1 / 0.1 = 10.
        let mut regular = History::new();
        for _ in 0..100_000 {
            regular.learn(&UserId::from(1_u64), &ip("A", "X", "NO").at(at(9)));
        }
        let odd = ip_score(&regular, 1, &ip("A", "X", "NO").at(at(21)))
            / ip_score(&regular, 1, &ip("A", "X", "NO"));
        assert!(odd < 10.0 && odd > 9.9, "{odd}");
    }

    #[test]
    fn addresses_count_canonically_and_ipv6_by_its_64() {
        let level = |text: &str| address_level(text.parse().unwrap());
        assert_eq!(level("192.0.2.1"), "192.0.2.1");
        assert_eq!(level("::ffff:192.0.2.1"), "192.0.2.1");
        assert_eq!(level("2001:db8:1:2:a:b:c:d"), "2001:db8:1:2::/64");
        assert_eq!(level("2001:db8:1:2::99"), level("2001:db8:1:2:ffff::1"));
        assert_ne!(level("2001:db8:1:2::1"), level("2001:db8:1:3::1"));
    }

    #[test]
    fn users_without_history_are_not_scored() {
        let h = history();
        assert!(
            h.score(&UserId::from(99_u64), &ip("A", "X", "NO"))
                .is_none()
        );
        assert!(
            History::new()
                .score(&UserId::from(1_u64), &ip("A", "X", "NO"))
                .is_none()
        );
        assert_eq!(h.logins_of(&UserId::from(1_u64)), 3);
    }

    #[test]
    fn both_features_multiply() {
        // Everyone uses the same user agent: its ratio for u is the population's likelihood over
        // 1.0 — 0.5386654 · (10/14)² + 0.2680451 + 0.1881830 + 0.0051065 = 0.7361639 (the full
        // string seen 10 times with 3 distinct values below it: U_sub = 4; U = 4). The address
        // is new on u's network with u's user agent: the imitation odds join the product,
        // (0.5705882 · 0.7361639 + 0.1) · 0.9615385 · 2.5 = 1.2501117.
        let h = history();
        let both = h
            .score(&UserId::from(1_u64), &ip("B", "X", "NO"))
            .map(RiskScore::value)
            .unwrap();
        let ua_ratio = 0.538_665_384_055_135_9 * (10.0_f64 / 14.0).powi(2)
            + 0.268_045_149_862_566_6
            + 0.188_182_951_001_095_36
            + 0.005_106_515_081_202_152_5;
        let ip_ratio = 0.228_235_3 / 0.4;
        let expected = (ip_ratio * ua_ratio + IMITATION_ODDS) * 0.25 / 0.26 * 2.5;
        assert!((both - expected).abs() < 1e-6, "{both}");
        assert!((both - 1.250_111_7).abs() < 1e-6, "{both}");
        assert!((ua_ratio - 0.736_163_9).abs() < 1e-7);
        let s = h.score(&UserId::from(1_u64), &ip("B", "X", "NO")).unwrap();
        assert!(!s.entirely_new());
        // The population's ratios (0.42) outweigh the imitation odds.
        assert!(!s.imitation());
        assert!(
            h.score(
                &UserId::from(1_u64),
                &Observation::new(["E", "W", "FR"], ["x", "y", "z", "w"])
            )
            .unwrap()
            .entirely_new()
        );
        // Values are kept to MAX_OBSERVATION_VALUE_BYTES, cut at a character boundary.
        let long = "é".repeat(MAX_OBSERVATION_VALUE_BYTES);
        let cut = "é".repeat(MAX_OBSERVATION_VALUE_BYTES / 2);
        assert_eq!(
            Observation::new([&long, "X", "NO"], ["u", "b", "o", &format!("d{long}")]),
            Observation::new(
                [&cut, "X", "NO"],
                ["u", "b", "o", &format!("d{}", &cut[..cut.len() - 2])]
            )
        );
        // Listing a feature twice scores it once.
        let twice = h.score_with(
            &UserId::from(1_u64),
            &ip("B", "X", "NO"),
            &[Feature::Ip, Feature::Ip],
        );
        assert_eq!(
            twice,
            h.score_with(&UserId::from(1_u64), &ip("B", "X", "NO"), &[Feature::Ip])
        );
    }
}
