//! Sign-in logs for evaluation: [`SyntheticLog`], a seeded generator of realistic logs in the
//! RBA data set's schema, and [`inject_attackers`], which adds simulated attackers to any log
//! (Wiefling et al.'s three kinds: naive, VPN, targeted).

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use acctsec_core::{Timestamp, UserAgent};

use crate::geo::CountryCode;
use crate::rba::RbaRecord;

/// Who made an attempt in an evaluated log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AttackerKind {
    /// Knows only the password: the address, network and browser of some other user.
    Naive,
    /// Also knows the victim's country, and signs in through a VPN there: another network in
    /// that country, some other browser.
    Vpn,
    /// Knows the victim's country, network (ASN) and browser: only the address is new.
    Targeted,
    /// Marked as an attack in the log itself (`Is Attack IP` or `Is Account Takeover`).
    Labelled,
}

impl AttackerKind {
    /// The simulated kinds.
    pub const SIMULATED: [Self; 3] = [Self::Naive, Self::Vpn, Self::Targeted];

    /// A short name.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::Naive => "naive",
            Self::Vpn => "vpn",
            Self::Targeted => "targeted",
            Self::Labelled => "labelled",
        }
    }
}

/// One attempt of an evaluated log, with who made it (`None`: the account's owner).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Labelled {
    /// The attempt.
    pub record: RbaRecord,
    /// The attacker, if it was one.
    pub attacker: Option<AttackerKind>,
}

impl Labelled {
    /// An attempt from a log, an attack if the log marks it as one.
    #[must_use]
    pub fn from_log(record: RbaRecord) -> Self {
        let attacker =
            (record.attack_ip || record.account_takeover).then_some(AttackerKind::Labelled);
        Self { record, attacker }
    }
}

/// SplitMix64 (Steele, Lea and Flood, 2014): a small seeded generator for simulations, never for
/// secrets.
#[derive(Debug, Clone)]
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (0 if `n` is 0).
    fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next()) * u128::from(n)) >> 64) as u64
    }

    fn index(&mut self, len: usize) -> usize {
        self.below(len as u64) as usize
    }

    /// A number in `[0, 1)`.
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1_u64 << 53) as f64
    }

    fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// A standard normal draw (Box–Muller).
    fn normal(&mut self) -> f64 {
        let u = 1.0 - self.unit();
        let v = self.unit();
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    }

    /// A Poisson draw for a small mean (Knuth).
    fn poisson(&mut self, mean: f64) -> u32 {
        let limit = (-mean).exp();
        let (mut k, mut p) = (0, self.unit());
        while p > limit && k < 1000 {
            k += 1;
            p *= self.unit();
        }
        k
    }

    fn octet(&mut self) -> u8 {
        self.below(256) as u8
    }
}

/// Countries with their share of users.
const COUNTRIES: [(&str, u64); 12] = [
    ("US", 30),
    ("DE", 12),
    ("GB", 10),
    ("FR", 9),
    ("BR", 8),
    ("IN", 8),
    ("JP", 6),
    ("NO", 5),
    ("PL", 4),
    ("ES", 4),
    ("NL", 2),
    ("SE", 2),
];
/// Networks per country: three home broadband providers, a mobile carrier, a hosting provider.
const NETWORKS_PER_COUNTRY: usize = 5;
const MOBILE: usize = 3;

/// A network of the synthetic world: ASN 64512 + index (the private-use range), addresses
/// 10.index.x.y.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Network(usize);

impl Network {
    fn of(country: usize, which: usize) -> Self {
        Self(country * NETWORKS_PER_COUNTRY + which)
    }

    fn country(self) -> usize {
        self.0 / NETWORKS_PER_COUNTRY
    }

    fn asn(self) -> u32 {
        64_512 + self.0 as u32
    }

    fn address(self, x: u8, y: u8) -> IpAddr {
        IpAddr::V4(Ipv4Addr::new(10, self.0 as u8, x, y))
    }
}

/// Browser families of the synthetic world.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Browser {
    ChromeWindows,
    ChromeMac,
    ChromeLinux,
    FirefoxWindows,
    FirefoxLinux,
    EdgeWindows,
    SafariMac,
    ChromeAndroid,
    SafariIphone,
}

const DESKTOP_BROWSERS: [(Browser, u64); 7] = [
    (Browser::ChromeWindows, 40),
    (Browser::EdgeWindows, 12),
    (Browser::FirefoxWindows, 8),
    (Browser::ChromeMac, 12),
    (Browser::SafariMac, 14),
    (Browser::ChromeLinux, 5),
    (Browser::FirefoxLinux, 4),
];
const MOBILE_BROWSERS: [(Browser, u64); 2] =
    [(Browser::ChromeAndroid, 55), (Browser::SafariIphone, 45)];

/// A device of a user: its browser, and how many days the user lags behind browser updates.
#[derive(Debug, Clone, Copy)]
struct Device {
    browser: Browser,
    lag_days: u32,
}

impl Device {
    /// The user agent on `day`: full string, browser, OS, device type. Chrome-based browsers
    /// and Firefox release every 30 days, Safari every 180.
    fn user_agent(self, day: u32) -> (String, String, String, &'static str) {
        let day = day.saturating_sub(self.lag_days);
        let v = 120 + day / 30;
        let (safari_major, safari_minor) = (17 + day / 360, (day / 180) % 2 * 4);
        let android = 13 + day / 360;
        let chrome = |platform: &str, mobile: &str| {
            format!(
                "Mozilla/5.0 ({platform}) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/{v}.0.0.0 {mobile}Safari/537.36"
            )
        };
        let firefox = |platform: &str| {
            format!("Mozilla/5.0 ({platform}; rv:{v}.0) Gecko/20100101 Firefox/{v}.0")
        };
        let windows = "Windows NT 10.0; Win64; x64";
        let mac = "Macintosh; Intel Mac OS X 10_15_7";
        let linux = "X11; Linux x86_64";
        match self.browser {
            Browser::ChromeWindows => (
                chrome(windows, ""),
                format!("Chrome {v}.0.0"),
                "Windows 10".to_owned(),
                "desktop",
            ),
            Browser::ChromeMac => (
                chrome(mac, ""),
                format!("Chrome {v}.0.0"),
                "Mac OS X 10.15.7".to_owned(),
                "desktop",
            ),
            Browser::ChromeLinux => (
                chrome(linux, ""),
                format!("Chrome {v}.0.0"),
                "Linux".to_owned(),
                "desktop",
            ),
            Browser::FirefoxWindows => (
                firefox(windows),
                format!("Firefox {v}.0"),
                "Windows 10".to_owned(),
                "desktop",
            ),
            Browser::FirefoxLinux => (
                firefox(linux),
                format!("Firefox {v}.0"),
                "Linux".to_owned(),
                "desktop",
            ),
            Browser::EdgeWindows => (
                format!("{} Edg/{v}.0.0.0", chrome(windows, "")),
                format!("Edge {v}.0.0"),
                "Windows 10".to_owned(),
                "desktop",
            ),
            Browser::SafariMac => (
                format!(
                    "Mozilla/5.0 ({mac}) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/{safari_major}.{safari_minor} Safari/605.1.15"
                ),
                format!("Safari {safari_major}.{safari_minor}"),
                "Mac OS X 10.15.7".to_owned(),
                "desktop",
            ),
            Browser::ChromeAndroid => (
                chrome(&format!("Linux; Android {android}; K"), "Mobile "),
                format!("Chrome Mobile {v}.0.0"),
                format!("Android {android}"),
                "mobile",
            ),
            Browser::SafariIphone => (
                format!(
                    "Mozilla/5.0 (iPhone; CPU iPhone OS {safari_major}_{safari_minor} like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/{safari_major}.{safari_minor} Mobile/15E148 Safari/604.1"
                ),
                format!("Mobile Safari {safari_major}.{safari_minor}"),
                format!("iOS {safari_major}.{safari_minor}"),
                "mobile",
            ),
        }
    }
}

/// A synthetic account owner.
#[derive(Debug, Clone)]
struct Owner {
    id: i64,
    home: Network,
    /// Changes of the home address: a new one every `lease_days`, shifted by `lease_phase`.
    lease_days: u32,
    lease_phase: u32,
    work: (Network, u8, u8),
    desktop: Option<Device>,
    phone: Option<Device>,
    /// Sign-ins a day, on average.
    rate: f64,
    /// The hour (UTC) around which the owner signs in.
    usual_hour: f64,
}

fn weighted<T: Copy>(rng: &mut SplitMix, items: &[(T, u64)]) -> Option<T> {
    let total: u64 = items.iter().map(|(_, w)| w).sum();
    let mut pick = rng.below(total);
    for &(item, weight) in items {
        if pick < weight {
            return Some(item);
        }
        pick -= weight;
    }
    None
}

/// The most users and days a [`SyntheticLog`] generates.
pub const MAX_SYNTHETIC_USERS: u32 = 1_000_000;
/// See [`MAX_SYNTHETIC_USERS`].
pub const MAX_SYNTHETIC_DAYS: u32 = 3_650;
/// The most attacks of each kind a [`SyntheticLog`] adds.
pub const MAX_SYNTHETIC_ATTACKS: u32 = 1_000_000;
/// The most owners' attempts a [`SyntheticLog`] generates (about 8 GiB of records): owners past
/// it are left out.
pub const MAX_SYNTHETIC_RECORDS: usize = 50_000_000;

/// A seeded generator of realistic sign-in logs in the RBA data set's schema, for tests and
/// evaluation. Owners live in twelve countries (weighted by population online); each has a home
/// broadband address that the provider changes every one to four months, a workplace, a
/// desktop and a phone or one of them, browsers that update monthly with a per-owner lag, a usual
/// time of day, and an activity level drawn from a heavy-tailed distribution (most sign in a few
/// times a month, some several times a day). Sign-ins come mostly from home; phones use their
/// carrier's shared (CGNAT) addresses; now and then someone signs in from a friend's network or
/// while travelling abroad; some sign-ins follow a mistyped password. The same seed gives the
/// same log.
///
/// ```
/// use acctsec_risk::{AttackerKind, SyntheticLog};
///
/// let log = SyntheticLog::new(7).users(50).days(30).attacks_per_kind(5).generate();
/// assert!(log.windows(2).all(|w| w[0].record.at <= w[1].record.at));
/// let targeted = log.iter().filter(|l| l.attacker == Some(AttackerKind::Targeted)).count();
/// assert_eq!(targeted, 5);
/// assert_eq!(log, SyntheticLog::new(7).users(50).days(30).attacks_per_kind(5).generate());
/// ```
#[derive(Debug, Clone, Copy)]
#[must_use]
pub struct SyntheticLog {
    seed: u64,
    users: u32,
    days: u32,
    attacks_per_kind: u32,
}

/// 2024-01-01T00:00:00Z, where synthetic logs start.
const START_MS: i64 = 1_704_067_200_000;
const DAY_MS: i64 = 86_400_000;

impl SyntheticLog {
    /// A generator with `seed`: 1,000 users over 90 days and 100 attacks of each simulated kind.
    pub const fn new(seed: u64) -> Self {
        Self {
            seed,
            users: 1_000,
            days: 90,
            attacks_per_kind: 100,
        }
    }

    /// How many account owners (at most [`MAX_SYNTHETIC_USERS`]).
    pub fn users(mut self, users: u32) -> Self {
        self.users = users.min(MAX_SYNTHETIC_USERS);
        self
    }

    /// Over how many days (at most [`MAX_SYNTHETIC_DAYS`]).
    pub fn days(mut self, days: u32) -> Self {
        self.days = days.min(MAX_SYNTHETIC_DAYS);
        self
    }

    /// How many attacks of each simulated kind [`inject_attackers`] adds (at most
    /// [`MAX_SYNTHETIC_ATTACKS`]).
    pub fn attacks_per_kind(mut self, attacks: u32) -> Self {
        self.attacks_per_kind = attacks.min(MAX_SYNTHETIC_ATTACKS);
        self
    }

    /// The log, in time order, indexed from 0.
    #[must_use]
    pub fn generate(&self) -> Vec<Labelled> {
        let mut rng = SplitMix(self.seed);
        let owners: Vec<Owner> = (0..self.users).map(|i| owner(&mut rng, i)).collect();
        let mut log = Vec::new();
        for owner in &owners {
            if log.len() >= MAX_SYNTHETIC_RECORDS {
                break;
            }
            for day in 0..self.days {
                for _ in 0..rng.poisson(owner.rate) {
                    sign_in(&mut rng, owner, day, &mut log);
                }
            }
        }
        sort_and_index(&mut log);
        inject_attackers(&mut log, self.attacks_per_kind, self.seed ^ 0x5eed);
        log
    }
}

fn owner(rng: &mut SplitMix, i: u32) -> Owner {
    let weights: Vec<(usize, u64)> = COUNTRIES
        .iter()
        .enumerate()
        .map(|(c, (_, w))| (c, *w))
        .collect();
    let country = weighted(rng, &weights).unwrap_or(0);
    let home = Network::of(country, rng.index(3));
    let work = (Network::of(country, rng.index(3)), rng.octet(), rng.octet());
    let device = |rng: &mut SplitMix, browsers: &[(Browser, u64)]| {
        weighted(rng, browsers).map(|browser| Device {
            browser,
            lag_days: rng.below(40) as u32,
        })
    };
    let (mut desktop, mut phone) = (None, None);
    if rng.chance(0.85) {
        desktop = device(rng, &DESKTOP_BROWSERS);
    }
    if desktop.is_none() || rng.chance(0.7) {
        phone = device(rng, &MOBILE_BROWSERS);
    }
    Owner {
        id: i64::from(i) * 7_919 + 1,
        home,
        lease_days: 30 + rng.below(90) as u32,
        lease_phase: rng.below(120) as u32,
        work,
        desktop,
        phone,
        rate: (-1.6 + 1.2 * rng.normal()).exp().min(5.0),
        usual_hour: 6.0 + rng.unit() * 16.0,
    }
}

/// One sign-in of `owner` on `day` (and, sometimes, a mistyped attempt just before it).
fn sign_in(rng: &mut SplitMix, owner: &Owner, day: u32, log: &mut Vec<Labelled>) {
    let use_phone = match (owner.desktop, owner.phone) {
        (Some(_), Some(_)) => rng.chance(0.45),
        (None, _) => true,
        (Some(_), None) => false,
    };
    let device = if use_phone {
        owner.phone
    } else {
        owner.desktop
    };
    let Some(device) = device else { return };
    let home_address = || {
        let lease = (day + owner.lease_phase) / owner.lease_days;
        let mut h = SplitMix(owner.id as u64 ^ (u64::from(lease) << 32));
        owner.home.address(h.octet(), h.octet())
    };
    let roll = rng.unit();
    let (network, ip) = if use_phone {
        if roll < 0.8 {
            let carrier = Network::of(owner.home.country(), MOBILE);
            (carrier, carrier.address(0, rng.octet()))
        } else {
            (owner.home, home_address())
        }
    } else if roll < 0.88 {
        (owner.home, home_address())
    } else if roll < 0.96 {
        let (network, x, y) = owner.work;
        (network, network.address(x, y))
    } else if roll < 0.985 {
        let friend = Network::of(owner.home.country(), rng.index(3));
        (friend, friend.address(rng.octet(), rng.octet()))
    } else {
        let abroad = Network::of(rng.index(COUNTRIES.len()), rng.index(3));
        (abroad, abroad.address(rng.octet(), rng.octet()))
    };
    let hour = (owner.usual_hour + 2.5 * rng.normal()).rem_euclid(24.0);
    let at = START_MS + i64::from(day) * DAY_MS + (hour * 3_600_000.0) as i64;
    let (ua, browser, os, device_type) = device.user_agent(day);
    let record = RbaRecord {
        index: 0,
        at: Timestamp::from_unix_millis(at),
        user: owner.id,
        rtt_ms: Some((20.0 + 180.0 * rng.unit()).round()),
        ip,
        country: COUNTRIES
            .get(network.country())
            .and_then(|(c, _)| CountryCode::new(c).ok()),
        region: None,
        city: None,
        asn: Some(network.asn()),
        user_agent: UserAgent::new(&ua),
        browser: Some(browser),
        os: Some(os),
        device_type: Some(device_type.to_owned()),
        success: true,
        attack_ip: false,
        account_takeover: false,
    };
    if rng.chance(0.04) {
        let mut typo = record.clone();
        typo.success = false;
        typo.at = Timestamp::from_unix_millis(at - 20_000);
        log.push(Labelled {
            record: typo,
            attacker: None,
        });
    }
    log.push(Labelled {
        record,
        attacker: None,
    });
}

fn sort_and_index(log: &mut [Labelled]) {
    log.sort_by_key(|l| l.record.at);
    for (i, l) in log.iter_mut().enumerate() {
        l.record.index = i as u64;
    }
}

/// An address no one is likely to have used: a random one in the same /16 (IPv4) or /64 (IPv6).
fn fresh_address(rng: &mut SplitMix, near: IpAddr) -> IpAddr {
    match near {
        IpAddr::V4(v4) => {
            let [a, b, _, _] = v4.octets();
            IpAddr::V4(Ipv4Addr::new(a, b, rng.octet(), rng.octet()))
        }
        IpAddr::V6(v6) => {
            let prefix = u128::from(v6) & !u128::from(u64::MAX);
            IpAddr::V6(Ipv6Addr::from(prefix | u128::from(rng.next())))
        }
    }
}

/// Adds `per_kind` attacks of each simulated kind to `log` (time-ordered or not; it comes back
/// time-ordered and re-indexed), as Wiefling et al. simulate them on logs without attack labels.
/// Each attack hits an owner chosen uniformly among those with at least three successful
/// sign-ins, at a random time one to 48 hours after one of their sign-ins (never their first
/// two), with the right password:
/// - naive: the address, network, place and browser of a sign-in by someone else;
/// - VPN: the victim's country; another network in it (of someone else's sign-in there) and a
///   new address in that network; the browser of someone else's sign-in;
/// - targeted: the victim's country, network and browser, exactly as in that sign-in; a new
///   address in their network.
///
/// An attack whose donor sign-ins can't be found (a log with too few owners, or a country with
/// one network) is left out. The same seed gives the same attacks.
pub fn inject_attackers(log: &mut Vec<Labelled>, per_kind: u32, seed: u64) {
    // In time order first, so "their first two sign-ins" means the earliest two.
    sort_and_index(log);
    let mut rng = SplitMix(seed);
    let owners_logins = {
        let mut by_user: HashMap<i64, Vec<usize>> = HashMap::new();
        for (i, l) in log.iter().enumerate() {
            if l.attacker.is_none() && l.record.success {
                by_user.entry(l.record.user).or_default().push(i);
            }
        }
        let mut victims: Vec<Vec<usize>> = by_user.into_values().filter(|v| v.len() >= 3).collect();
        victims.sort_by_key(|v| v.first().copied());
        victims
    };
    let legit: Vec<usize> = owners_logins.iter().flatten().copied().collect();
    let mut by_country: HashMap<Option<CountryCode>, Vec<usize>> = HashMap::new();
    for &i in &legit {
        if let Some(l) = log.get(i) {
            by_country.entry(l.record.country).or_default().push(i);
        }
    }
    if owners_logins.is_empty() {
        return;
    }
    let mut attacks = Vec::new();
    for kind in AttackerKind::SIMULATED {
        for _ in 0..per_kind {
            let Some(logins) = owners_logins.get(rng.index(owners_logins.len())) else {
                continue;
            };
            let Some(victim) = logins
                .get(2 + rng.index(logins.len().saturating_sub(2)))
                .and_then(|&i| log.get(i))
            else {
                continue;
            };
            let victim = &victim.record;
            let mut attack = victim.clone();
            // The attacker keeps their own hours, not the victim's.
            let delay = 3_600_000 + rng.below(47 * 3_600_000) as i64;
            attack.at =
                Timestamp::from_unix_millis(victim.at.as_unix_millis().saturating_add(delay));
            attack.success = true;
            attack.attack_ip = true;
            attack.account_takeover = true;
            attack.rtt_ms = Some((20.0 + 280.0 * rng.unit()).round());
            let someone_else =
                |rng: &mut SplitMix, from: &[usize], pred: &dyn Fn(&RbaRecord) -> bool| {
                    for _ in 0..256 {
                        let other = from.get(rng.index(from.len())).and_then(|&i| log.get(i));
                        if let Some(other) = other
                            && other.record.user != victim.user
                            && pred(&other.record)
                        {
                            return Some(other.record.clone());
                        }
                    }
                    None
                };
            let copy_place = |attack: &mut RbaRecord, from: &RbaRecord| {
                attack.asn = from.asn;
                attack.country = from.country;
                attack.region.clone_from(&from.region);
                attack.city.clone_from(&from.city);
            };
            let copy_browser = |attack: &mut RbaRecord, from: &RbaRecord| {
                attack.user_agent = from.user_agent.clone();
                attack.browser.clone_from(&from.browser);
                attack.os.clone_from(&from.os);
                attack.device_type.clone_from(&from.device_type);
            };
            // An attack whose donors can't be found (too few other owners) is left out rather
            // than made of the victim's own values.
            let made = match kind {
                AttackerKind::Naive => someone_else(&mut rng, &legit, &|_| true).map(|other| {
                    attack.ip = other.ip;
                    copy_place(&mut attack, &other);
                    copy_browser(&mut attack, &other);
                }),
                AttackerKind::Vpn => {
                    let (country, asn) = (victim.country, victim.asn);
                    let local = by_country.get(&country).map_or(&[][..], Vec::as_slice);
                    let network = someone_else(&mut rng, local, &|r| r.asn != asn);
                    let browser = someone_else(&mut rng, &legit, &|_| true);
                    network.zip(browser).map(|(network, browser)| {
                        attack.ip = fresh_address(&mut rng, network.ip);
                        copy_place(&mut attack, &network);
                        copy_browser(&mut attack, &browser);
                    })
                }
                AttackerKind::Targeted | AttackerKind::Labelled => {
                    attack.ip = fresh_address(&mut rng, victim.ip);
                    Some(())
                }
            };
            if made.is_none() {
                continue;
            }
            attacks.push(Labelled {
                record: attack,
                attacker: Some(kind),
            });
        }
    }
    log.extend(attacks);
    sort_and_index(log);
}
