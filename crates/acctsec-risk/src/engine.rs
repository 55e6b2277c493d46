//! [`Engine`]: one sign-in attempt in, an [`Assessment`] out — the host's geolocation, network
//! reputation and user-agent parser, the population model and the account's stored
//! [`AccountRisk`], joined in one call.

use std::fmt;
use std::net::IpAddr;

use acctsec_core::{DeviceDigest, Timestamp, UserAgent};

use crate::account::AccountRisk;
use crate::assess::{Assessment, Level, Thresholds, assess};
use crate::compact::{Hashed, Population};
use crate::geo::{CountryCode, Geo, GeoLookup, Location};
use crate::model::address_level;
use crate::reputation::NetworkReputation;
use crate::software::{MinimumVersions, Software, UserAgentParser};

/// Failed attempts the sign-in flow's throttle counters hold for this attempt.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Failures {
    /// Recently, on this account from this source.
    pub this_source: u64,
    /// Recently, on this account from anywhere.
    pub account: u64,
    /// Distinct accounts this source recently failed on.
    pub source_accounts: u64,
}

impl Failures {
    /// The three counts.
    #[must_use]
    pub const fn new(this_source: u64, account: u64, source_accounts: u64) -> Self {
        Self {
            this_source,
            account,
            source_accounts,
        }
    }
}

/// One sign-in attempt whose password was right: what the request showed. `Debug` shows the time
/// and counters, not the address or user agent (personal data) or the cookie.
#[derive(Clone, Copy)]
#[non_exhaustive]
pub struct Attempt<'a> {
    /// When.
    pub at: Timestamp,
    /// The client's address.
    pub ip: IpAddr,
    /// The raw user agent (bounded by its type).
    pub user_agent: &'a UserAgent,
    /// The digest of the device cookie, if the client sent one.
    pub device: Option<DeviceDigest>,
    /// The throttle counters.
    pub failures: Failures,
}

impl fmt::Debug for Attempt<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Attempt")
            .field("at", &self.at)
            .field("device", &self.device.is_some())
            .field("failures", &self.failures)
            .finish_non_exhaustive()
    }
}

impl<'a> Attempt<'a> {
    /// An attempt with no device cookie and no failures counted.
    #[must_use]
    pub const fn new(at: Timestamp, ip: IpAddr, user_agent: &'a UserAgent) -> Self {
        Self {
            at,
            ip,
            user_agent,
            device: None,
            failures: Failures {
                this_source: 0,
                account: 0,
                source_accounts: 0,
            },
        }
    }

    /// With the device cookie's digest ([`DeviceDigest::of`] the account and the cookie).
    #[must_use]
    pub const fn with_device(mut self, device: DeviceDigest) -> Self {
        self.device = Some(device);
        self
    }

    /// With the throttle counters.
    #[must_use]
    pub const fn with_failures(mut self, failures: Failures) -> Self {
        self.failures = failures;
        self
    }
}

/// An assessed attempt: the verdict, and what [`Engine::learn`] needs if the sign-in goes
/// through. `Debug` shows the verdict only.
#[must_use]
pub struct Checked {
    /// The verdict.
    pub assessment: Assessment,
    hashed: Hashed,
    /// The country and location the profile may learn: none from an anonymising or hosting
    /// network, whose place is the exit's, not the owner's.
    place: (Option<CountryCode>, Option<Location>),
    at: Timestamp,
    device: Option<DeviceDigest>,
}

impl fmt::Debug for Checked {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Checked")
            .field("assessment", &self.assessment)
            .finish_non_exhaustive()
    }
}

/// The risk engine of a service: the population model and the host's plug points, with the
/// thresholds and minimum versions. Each plug point is optional; without one, its features are
/// unknown (an empty value the model learns like any other) and its signals never fire.
///
/// The first IP level is the address (IPv4-mapped IPv6 taken as IPv4), or for IPv6 its /64 (a
/// device's privacy addresses rotate within it). The user-agent levels are the raw string, the
/// browser and the OS as `family major` from the parser, and a device type (`mobile` for iOS,
/// Android and other phone systems, `desktop` for Windows, macOS, Linux and ChromeOS, else
/// unknown).
///
/// ```
/// use acctsec_core::{DeviceDigest, DeviceId, Timestamp, UserAgent, UserId};
/// use acctsec_risk::{AccountRisk, Action, Attempt, Engine, ModelKey, Population};
///
/// let mut engine = Engine::new(Population::new(ModelKey::new([7; 16])));
/// let mut state = AccountRisk::new();
/// let ua = UserAgent::new("Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0");
/// let cookie = DeviceId::new("d-5f1c2a9e7b3d4c60a1b2")?;
/// let laptop = DeviceDigest::of(&UserId::from(42_u64), &cookie);
/// for day in 0..20 {
///     let attempt = Attempt::new(Timestamp::from_unix_secs(day * 86_400), "192.0.2.10".parse()?, &ua)
///         .with_device(laptop);
///     let checked = engine.check(&state, &attempt);
///     // The first sign-in has no history: Medium. The flow asks for a code; once it is
///     // passed (or for an allowed sign-in), it learns the attempt.
///     assert_ne!(checked.assessment.action, Action::Block);
///     assert!(engine.learn(&mut state, checked));
/// }
/// let usual = Attempt::new(Timestamp::from_unix_secs(20 * 86_400), "192.0.2.10".parse()?, &ua)
///     .with_device(laptop);
/// assert_eq!(engine.check(&state, &usual).assessment.action, Action::Allow);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Engine {
    population: Population,
    geo: Option<Box<dyn GeoLookup>>,
    reputation: Option<Box<dyn NetworkReputation>>,
    parser: Option<Box<dyn UserAgentParser>>,
    minimums: MinimumVersions,
    thresholds: Thresholds,
}

impl fmt::Debug for Engine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Engine")
            .field("population", &self.population)
            .field("geo", &self.geo.is_some())
            .field("reputation", &self.reputation.is_some())
            .field("parser", &self.parser.is_some())
            .field("thresholds", &self.thresholds)
            .finish_non_exhaustive()
    }
}

/// The device type the OS family suggests.
fn device_type(os: Option<&str>) -> &'static str {
    match os {
        Some(
            "iOS" | "Android" | "Windows Phone" | "BlackBerry OS" | "KaiOS" | "HarmonyOS"
            | "Symbian OS" | "Firefox OS",
        ) => "mobile",
        Some("Windows" | "Mac OS X" | "Linux" | "Ubuntu" | "Fedora" | "Chrome OS" | "FreeBSD") => {
            "desktop"
        }
        _ => "",
    }
}

impl Engine {
    /// An engine over `population`, with no plug points, the default minimum versions and
    /// thresholds.
    #[must_use]
    pub fn new(population: Population) -> Self {
        Self {
            population,
            geo: None,
            reputation: None,
            parser: None,
            minimums: MinimumVersions::default(),
            thresholds: Thresholds::default(),
        }
    }

    /// With the host's geolocation.
    #[must_use]
    pub fn with_geo(mut self, geo: impl GeoLookup + 'static) -> Self {
        self.geo = Some(Box::new(geo));
        self
    }

    /// With the host's network reputation.
    #[must_use]
    pub fn with_reputation(mut self, reputation: impl NetworkReputation + 'static) -> Self {
        self.reputation = Some(Box::new(reputation));
        self
    }

    /// With a user-agent parser.
    #[must_use]
    pub fn with_parser(mut self, parser: impl UserAgentParser + 'static) -> Self {
        self.parser = Some(Box::new(parser));
        self
    }

    /// With other minimum versions.
    #[must_use]
    pub fn with_minimums(mut self, minimums: MinimumVersions) -> Self {
        self.minimums = minimums;
        self
    }

    /// With other thresholds.
    #[must_use]
    pub const fn with_thresholds(mut self, thresholds: Thresholds) -> Self {
        self.thresholds = thresholds;
        self
    }

    /// The population model (to store it, or read its size).
    #[must_use]
    pub const fn population(&self) -> &Population {
        &self.population
    }

    /// Assesses `attempt` against the account's stored `state`. Call it only after the password
    /// was verified: assessing attempts on accounts that do not exist would tell an attacker
    /// which exist.
    pub fn check(&self, state: &AccountRisk, attempt: &Attempt<'_>) -> Checked {
        // `::ffff:192.0.2.1` is `192.0.2.1`.
        let ip = attempt.ip.to_canonical();
        let geo = self
            .geo
            .as_ref()
            .and_then(|g| g.lookup(ip))
            .unwrap_or_default();
        let software = self
            .parser
            .as_ref()
            .map(|p| p.parse(attempt.user_agent))
            .unwrap_or_default();
        self.check_with(state, attempt, geo, &software)
    }

    /// [`check`](Self::check) with the attempt's place and software already known — from a CDN's
    /// geolocation headers, a parser the host runs itself, or a log that carries them (as
    /// [`Replay`](crate::Replay) does) — instead of the engine's [`GeoLookup`] and
    /// [`UserAgentParser`](crate::UserAgentParser). The network reputation is still the
    /// engine's.
    pub fn check_with(
        &self,
        state: &AccountRisk,
        attempt: &Attempt<'_>,
        geo: Geo,
        software: &Software,
    ) -> Checked {
        let ip = attempt.ip.to_canonical();
        let hashed = self
            .hash(ip, attempt.user_agent, &geo, software)
            .at(attempt.at);
        let mut signals = state.profile.signals(
            geo.country,
            attempt.device.as_ref(),
            geo.location.as_ref(),
            attempt.at,
            &self.thresholds.travel(),
        );
        signals.score = self.population.score(&state.model, &hashed);
        signals.unusual_hour = state.model.unusual_hour(attempt.at);
        signals.outdated = self.minimums.outdated(software);
        let anonymising = self
            .reputation
            .as_ref()
            .is_some_and(|r| r.reputation(ip).is_anonymising());
        signals.anonymising_network = anonymising;
        signals.recent_failures = attempt.failures.this_source;
        signals.account_failures = attempt.failures.account;
        signals.source_failed_accounts = attempt.failures.source_accounts;
        Checked {
            assessment: assess(&signals, &self.thresholds),
            hashed,
            place: if anonymising {
                (None, None)
            } else {
                (geo.country, geo.location)
            },
            at: attempt.at,
            device: attempt.device,
        }
    }

    /// Learns a checked attempt that became a successful sign-in — allowed, or challenged and the
    /// challenge passed — into the population, the account's model and its profile (the device
    /// cookie as its digest). Taking the [`Checked`] by value, it learns each attempt once.
    ///
    /// Returns `false` and learns nothing for an attempt assessed [`Level::High`] (blocked, or
    /// let through in audit-only mode): learning a stranger's sign-in would make their network
    /// and device look like the owner's, and move the last known place so the owner's next
    /// sign-in from home looked like impossible travel. For the same reason the profile learns no
    /// place (country, location) from an anonymising or hosting network: that is where the exit
    /// is, not where the owner was.
    ///
    /// [`Level::High`]: crate::Level::High
    pub fn learn(&mut self, state: &mut AccountRisk, checked: Checked) -> bool {
        if checked.assessment.level == Level::High {
            return false;
        }
        self.population
            .learn(&mut state.model, &checked.hashed, checked.at);
        let (country, location) = checked.place;
        state
            .profile
            .learn(country, checked.device.as_ref(), location, checked.at);
        true
    }

    fn hash(&self, ip: IpAddr, user_agent: &UserAgent, geo: &Geo, software: &Software) -> Hashed {
        let ip = address_level(ip);
        let asn = geo.asn.map(|a| a.to_string()).unwrap_or_default();
        let country = geo.country.as_ref().map_or("", CountryCode::as_str);
        let name = |v: &Option<crate::software::Version>| {
            v.as_ref().map(ToString::to_string).unwrap_or_default()
        };
        let (browser, os) = (name(&software.browser), name(&software.os));
        let device = device_type(software.os.as_ref().map(crate::software::Version::family));
        self.population.hash(
            [&ip, &asn, country],
            [user_agent.as_str(), &browser, &os, device],
        )
    }
}
