//! [`assess`]: the model's score and the rules' signals, turned into a level, an action and the
//! reasons, in words the owner can read.

use crate::geo::CountryCode;
use crate::model::RiskScore;
use crate::software::Version;
use crate::travel::{ImpossibleTravel, TravelLimits};
use crate::{Error, Result};

/// How risky a sign-in looks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    /// Like the account's usual sign-ins.
    Low,
    /// Unusual: worth a second proof.
    Medium,
    /// Very unusual on a device the account does not know, or impossible: refuse.
    High,
}

/// What the sign-in flow should do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// Let the sign-in through.
    Allow,
    /// Ask for a second proof (an emailed code, a second factor).
    Challenge,
    /// Refuse the sign-in.
    Block,
}

/// Why a sign-in scored as it did. Each has a stable [code](ReasonCode::code).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ReasonCode {
    /// The account has no sign-in history to compare with.
    NoHistory,
    /// The statistical model finds the sign-in unlike the account's own.
    Unusual,
    /// The statistical model finds the sign-in very unlike the account's own.
    VeryUnusual,
    /// A country the account has never signed in from.
    NewCountry,
    /// A device the account has never signed in from.
    NewDevice,
    /// Too far from the last sign-in for the time between them.
    ImpossibleTravel,
    /// Many recent failed attempts on this account from this source.
    RecentFailures,
    /// Many recent failed attempts on this account from anywhere (distributed guessing).
    AccountFailures,
    /// The source failed to sign in to many accounts recently (credential stuffing, password
    /// spraying).
    SourceFailures,
    /// An hour of the day at which the account rarely signs in.
    UnusualHour,
    /// An outdated browser or operating system.
    OutdatedSoftware,
    /// Through an anonymising network or a hosting provider.
    AnonymisingNetwork,
}

impl ReasonCode {
    /// The stable code.
    #[must_use]
    pub const fn code(self) -> &'static str {
        match self {
            Self::NoHistory => "no_history",
            Self::Unusual => "unusual",
            Self::VeryUnusual => "very_unusual",
            Self::NewCountry => "new_country",
            Self::NewDevice => "new_device",
            Self::ImpossibleTravel => "impossible_travel",
            Self::RecentFailures => "recent_failures",
            Self::AccountFailures => "account_failures",
            Self::SourceFailures => "source_failures",
            Self::UnusualHour => "unusual_hour",
            Self::OutdatedSoftware => "outdated_software",
            Self::AnonymisingNetwork => "anonymising_network",
        }
    }
}

/// One reason, with a sentence for the account's owner.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Reason {
    /// The code.
    pub code: ReasonCode,
    /// The sentence, such as "first sign-in from BR" or "travelled 9,400 km in 2 hours".
    pub message: String,
}

/// What the sign-in flow knows about an attempt besides the statistical score.
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct Signals {
    /// The model's score, or `None` when the account has no history.
    pub score: Option<RiskScore>,
    /// A country the account has never signed in from successfully.
    pub new_country: Option<CountryCode>,
    /// Whether the device (its cookie) is one the account has signed in with. `false`, the
    /// default, is the strict reading: a device new to the account, or none presented.
    pub known_device: bool,
    /// Impossible travel since the last successful sign-in.
    pub impossible_travel: Option<ImpossibleTravel>,
    /// Failed attempts recently counted for this account and source (the flows' throttle
    /// counter for the pair).
    pub recent_failures: u64,
    /// Failed attempts recently counted for this account from any source.
    pub account_failures: u64,
    /// Distinct accounts this source recently failed to sign in to.
    pub source_failed_accounts: u64,
    /// Whether the account rarely signs in at this hour ([`UserModel::unusual_hour`]).
    ///
    /// [`UserModel::unusual_hour`]: crate::UserModel::unusual_hour
    pub unusual_hour: bool,
    /// Whether the address belongs to an anonymiser or a hosting provider
    /// ([`Reputation::is_anonymising`] from the host's [`NetworkReputation`]).
    ///
    /// [`Reputation::is_anonymising`]: crate::Reputation::is_anonymising
    /// [`NetworkReputation`]: crate::NetworkReputation
    pub anonymising_network: bool,
    /// The outdated browser or system the user agent names ([`MinimumVersions::outdated`]).
    ///
    /// [`MinimumVersions::outdated`]: crate::MinimumVersions::outdated
    pub outdated: Vec<Version>,
}

/// Default score from which a sign-in is Medium: 1 (an attacker as likely as the owner).
pub const DEFAULT_MEDIUM_SCORE: f64 = 1.0;
/// Default score from which a sign-in is High: 10. A sign-in whose every feature the owner never
/// had scores 4 × 4 = 16 times the user-share term.
pub const DEFAULT_HIGH_SCORE: f64 = 10.0;
/// Default score under which a sign-in is clearly the owner's, so a new device alone stays Low:
/// 0.1.
pub const DEFAULT_OWNER_SCORE: f64 = 0.1;
/// Default recent failures from which a sign-in is Medium: 3.
pub const DEFAULT_MEDIUM_FAILURES: u64 = 3;
/// Default recent failures from which a sign-in is High: 10.
pub const DEFAULT_HIGH_FAILURES: u64 = 10;
/// Default failures on the account from anywhere from which a sign-in is Medium: 20.
pub const DEFAULT_ACCOUNT_FAILURES: u64 = 20;
/// Default accounts a source failed on from which a sign-in is Medium: 5.
pub const DEFAULT_MEDIUM_SOURCE_ACCOUNTS: u64 = 5;
/// Default accounts a source failed on from which a sign-in is High: 20.
pub const DEFAULT_HIGH_SOURCE_ACCOUNTS: u64 = 20;

/// Where levels start. Built and checked by [`ThresholdsBuilder`]; the defaults are the `DEFAULT_*`
/// constants.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Thresholds {
    owner_score: f64,
    medium_score: f64,
    high_score: f64,
    medium_failures: u64,
    high_failures: u64,
    account_failures: u64,
    medium_source_accounts: u64,
    high_source_accounts: u64,
    travel: TravelLimits,
    audit_only: bool,
}

impl Default for Thresholds {
    fn default() -> Self {
        Self {
            owner_score: DEFAULT_OWNER_SCORE,
            medium_score: DEFAULT_MEDIUM_SCORE,
            high_score: DEFAULT_HIGH_SCORE,
            medium_failures: DEFAULT_MEDIUM_FAILURES,
            high_failures: DEFAULT_HIGH_FAILURES,
            account_failures: DEFAULT_ACCOUNT_FAILURES,
            medium_source_accounts: DEFAULT_MEDIUM_SOURCE_ACCOUNTS,
            high_source_accounts: DEFAULT_HIGH_SOURCE_ACCOUNTS,
            travel: TravelLimits::DEFAULT,
            audit_only: false,
        }
    }
}

impl Thresholds {
    /// Starts from the defaults.
    pub fn builder() -> ThresholdsBuilder {
        ThresholdsBuilder(Self::default())
    }

    /// When a move between sign-ins is impossible travel.
    #[must_use]
    pub const fn travel(&self) -> TravelLimits {
        self.travel
    }
}

/// Builds [`Thresholds`].
#[derive(Debug, Clone, Copy)]
#[must_use]
pub struct ThresholdsBuilder(Thresholds);

impl ThresholdsBuilder {
    /// The scores where "clearly the owner's", Medium and High begin (defaults 0.1, 1, 10).
    pub fn with_scores(mut self, owner: f64, medium: f64, high: f64) -> Self {
        (self.0.owner_score, self.0.medium_score, self.0.high_score) = (owner, medium, high);
        self
    }

    /// The recent failures where Medium and High begin (defaults 3, 10).
    pub fn with_failures(mut self, medium: u64, high: u64) -> Self {
        (self.0.medium_failures, self.0.high_failures) = (medium, high);
        self
    }

    /// The failures on the account from anywhere where Medium begins (default 20). They never
    /// make a sign-in High: blocking on them would let anyone lock the owner out.
    pub fn with_account_failures(mut self, medium: u64) -> Self {
        self.0.account_failures = medium;
        self
    }

    /// The accounts a source failed on where Medium and High begin (defaults 5, 20).
    pub fn with_source_accounts(mut self, medium: u64, high: u64) -> Self {
        (self.0.medium_source_accounts, self.0.high_source_accounts) = (medium, high);
        self
    }

    /// When a move between sign-ins is impossible travel (default [`TravelLimits::DEFAULT`]:
    /// 805 km/h, moves of 100 km or more).
    pub fn with_travel(mut self, travel: TravelLimits) -> Self {
        self.0.travel = travel;
        self
    }

    /// Report levels and reasons but always allow (to tune thresholds on real traffic first).
    pub fn with_audit_only(mut self, audit_only: bool) -> Self {
        self.0.audit_only = audit_only;
        self
    }

    /// Checks the settings.
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] unless 0 < owner < medium < high (all finite),
    /// 1 ≤ medium failures ≤ high failures, account failures ≥ 1 and
    /// 1 ≤ medium source accounts ≤ high source accounts.
    pub fn build(self) -> Result<Thresholds> {
        let t = self.0;
        let ordered =
            0.0 < t.owner_score && t.owner_score < t.medium_score && t.medium_score < t.high_score;
        if !(ordered && t.high_score.is_finite()) {
            return Err(Error::Invalid(
                "thresholds",
                "scores must satisfy 0 < owner < medium < high",
            ));
        }
        if t.medium_failures == 0 || t.medium_failures > t.high_failures {
            return Err(Error::Invalid(
                "thresholds",
                "failures must satisfy 1 <= medium <= high",
            ));
        }
        if t.account_failures == 0 {
            return Err(Error::Invalid(
                "thresholds",
                "account failures must be at least 1",
            ));
        }
        if t.medium_source_accounts == 0 || t.medium_source_accounts > t.high_source_accounts {
            return Err(Error::Invalid(
                "thresholds",
                "source accounts must satisfy 1 <= medium <= high",
            ));
        }
        Ok(t)
    }
}

/// The verdict on one sign-in attempt.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Assessment {
    /// The statistical score, if the account has history.
    pub score: Option<f64>,
    /// How risky.
    pub level: Level,
    /// What to do (always [`Action::Allow`] in audit-only mode).
    pub action: Action,
    /// Whether to tell the owner (a sign-in from somewhere new, or anything above Low).
    pub notify: bool,
    /// Why, most serious first.
    pub reasons: Vec<Reason>,
}

/// Turns signals into an assessment. The statistical score sets the starting level (an account
/// without history, or an attempt new in every scored feature, starts at Medium; a score from
/// the High threshold up starts at High on a new device, at Medium on one the account knows, so
/// an owner is challenged rather than locked out); each rule can
/// only raise it: impossible travel to High; many failures from the source on this account, or a
/// source failing on many accounts, to High if the score is at least Medium's, else to Medium
/// (strangers share addresses, and must not get the owner locked out); a new country, an anonymising network, some failures, or many
/// failures on the account from anywhere (never more: that would let anyone lock the owner out)
/// to Medium; a new device, an unusual hour or an outdated browser or system to Medium unless
/// the score is clearly the owner's.
///
/// Call it only after the password was verified: assessing attempts on accounts that do not
/// exist (always "no history") would tell an attacker which accounts exist.
#[must_use]
pub fn assess(signals: &Signals, thresholds: &Thresholds) -> Assessment {
    let mut reasons = Vec::new();
    let mut level = Level::Low;
    let mut raise = |to: Level, code: ReasonCode, message: String, level: &mut Level| {
        *level = (*level).max(to);
        reasons.push((to, Reason { code, message }));
    };
    let score = signals.score.map(RiskScore::value);
    // What the score found unlike the account, in words: the address alone (all a targeted
    // attacker changes), or more.
    let address_only = signals.score.is_some_and(RiskScore::imitation);
    let unlike = |otherwise: &str| {
        if address_only {
            "a new address on this account's usual network and browser".to_owned()
        } else {
            otherwise.to_owned()
        }
    };
    match score {
        None => raise(
            Level::Medium,
            ReasonCode::NoHistory,
            "first sign-in to this account".to_owned(),
            &mut level,
        ),
        // Scores are finite (the model makes no others); comparisons below are exact. A device the
        // account knows (its cookie) is evidence of the owner that statistics don't outweigh: a
        // very unusual sign-in on it (travel, a new network, an updated browser) is challenged,
        // not refused, so the owner can prove themselves and be learned instead of being refused
        // again at every sign-in. So is one whose only new value is the address: that is what an
        // owner brings whose provider changed it (in a private window, without the cookie), and
        // a refusal would repeat at every sign-in. Hard signals below still refuse.
        Some(s) if s >= thresholds.high_score => raise(
            if !signals.known_device && !address_only {
                Level::High
            } else {
                Level::Medium
            },
            ReasonCode::VeryUnusual,
            unlike("very unlike this account's usual sign-ins"),
            &mut level,
        ),
        Some(s) if s >= thresholds.medium_score => raise(
            Level::Medium,
            ReasonCode::Unusual,
            unlike("unlike this account's usual sign-ins"),
            &mut level,
        ),
        Some(_) => {}
    }
    if signals.score.is_some_and(RiskScore::entirely_new) && level < Level::Medium {
        raise(
            Level::Medium,
            ReasonCode::Unusual,
            "a network and a browser this account has never used".to_owned(),
            &mut level,
        );
    }
    if let Some(travel) = &signals.impossible_travel {
        raise(
            Level::High,
            ReasonCode::ImpossibleTravel,
            travel.describe(),
            &mut level,
        );
    }
    if let Some(country) = signals.new_country {
        raise(
            Level::Medium,
            ReasonCode::NewCountry,
            format!("first sign-in from {country}"),
            &mut level,
        );
    }
    if signals.anonymising_network {
        raise(
            Level::Medium,
            ReasonCode::AnonymisingNetwork,
            "through an anonymising network or a hosting provider".to_owned(),
            &mut level,
        );
    }
    let unsure = score.is_none_or(|s| s >= thresholds.owner_score);
    // Failures are counted per address, and many people share one (a carrier's CGNAT, an
    // office, a VPN exit): they block only a sign-in the model itself finds unusual, and
    // otherwise challenge — a challenge stops a stuffer holding a password, and a stranger
    // behind the owner's address can't get the owner (even in a private window, or on a young
    // account) locked out.
    let strange = score.is_some_and(|s| s >= thresholds.medium_score);
    let failure_level = |count: u64, high: u64| {
        if count >= high && strange {
            Level::High
        } else {
            Level::Medium
        }
    };
    let failures = signals.recent_failures;
    if failures >= thresholds.medium_failures {
        let to = failure_level(failures, thresholds.high_failures);
        raise(
            to,
            ReasonCode::RecentFailures,
            format!("{failures} failed attempts recently"),
            &mut level,
        );
    }
    if signals.account_failures >= thresholds.account_failures {
        raise(
            Level::Medium,
            ReasonCode::AccountFailures,
            format!(
                "{} failed attempts on this account recently",
                signals.account_failures
            ),
            &mut level,
        );
    }
    let accounts = signals.source_failed_accounts;
    if accounts >= thresholds.medium_source_accounts {
        let to = failure_level(accounts, thresholds.high_source_accounts);
        raise(
            to,
            ReasonCode::SourceFailures,
            format!("this network recently failed to sign in to {accounts} accounts"),
            &mut level,
        );
    }
    let unless_owner = if unsure { Level::Medium } else { Level::Low };
    if !signals.known_device {
        raise(
            unless_owner,
            ReasonCode::NewDevice,
            "a device not seen before".to_owned(),
            &mut level,
        );
    }
    if !signals.outdated.is_empty() {
        let names: Vec<String> = signals.outdated.iter().map(ToString::to_string).collect();
        raise(
            unless_owner,
            ReasonCode::OutdatedSoftware,
            format!("an outdated browser or system: {}", names.join(", ")),
            &mut level,
        );
    }
    if signals.unusual_hour {
        raise(
            unless_owner,
            ReasonCode::UnusualHour,
            "at an hour this account rarely signs in".to_owned(),
            &mut level,
        );
    }
    let action = match (thresholds.audit_only, level) {
        (true, _) | (false, Level::Low) => Action::Allow,
        (false, Level::Medium) => Action::Challenge,
        (false, Level::High) => Action::Block,
    };
    // Most serious first; the sort is stable, so equal levels keep the order they were found in.
    reasons.sort_by_key(|r| std::cmp::Reverse(r.0));
    Assessment {
        score,
        level,
        action,
        notify: level > Level::Low || signals.new_country.is_some() || !signals.known_device,
        reasons: reasons.into_iter().map(|(_, r)| r).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Signals on a device the account knows, nothing else raised: the base of the tests (the
    /// default, a new device, is the strict one).
    fn known() -> Signals {
        Signals {
            known_device: true,
            ..Signals::default()
        }
    }
    use acctsec_core::Timestamp;

    use crate::geo::Location;
    use crate::travel::impossible_travel;

    fn score(value: f64) -> Option<RiskScore> {
        Some(RiskScore::for_test(value, 0, 2))
    }

    fn codes(a: &Assessment) -> Vec<&'static str> {
        a.reasons.iter().map(|r| r.code.code()).collect()
    }

    #[test]
    fn the_score_sets_the_starting_level() {
        let t = Thresholds::default();
        for (value, level, action) in [
            (0.2, Level::Low, Action::Allow),
            (1.0, Level::Medium, Action::Challenge),
            (9.9, Level::Medium, Action::Challenge),
            // On a device the account knows, a very unusual score is challenged, not refused.
            (10.0, Level::Medium, Action::Challenge),
            (1e6, Level::Medium, Action::Challenge),
        ] {
            let a = assess(
                &Signals {
                    score: score(value),
                    known_device: true,
                    ..known()
                },
                &t,
            );
            assert_eq!((a.level, a.action), (level, action), "{value}");
        }
        // On a new device (or none presented) it is refused, from the High threshold up.
        for (value, level) in [
            (9.9, Level::Medium),
            (10.0, Level::High),
            (1e6, Level::High),
        ] {
            let a = assess(
                &Signals {
                    score: score(value),
                    known_device: false,
                    ..known()
                },
                &t,
            );
            assert_eq!(a.level, level, "{value}");
            assert_eq!(
                codes(&a)[0],
                if level == Level::High {
                    "very_unusual"
                } else {
                    "unusual"
                }
            );
        }
        let usual = assess(
            &Signals {
                score: score(0.2),
                ..known()
            },
            &t,
        );
        assert!(usual.reasons.is_empty() && !usual.notify);
    }

    #[test]
    fn a_score_resting_on_a_new_address_says_so() {
        let t = Thresholds::default();
        for (value, code) in [(2.0, "unusual"), (20.0, "very_unusual")] {
            let message = |score: RiskScore| {
                let a = assess(
                    &Signals {
                        score: Some(score),
                        ..known()
                    },
                    &t,
                );
                assert_eq!(codes(&a), [code]);
                a.reasons[0].message.clone()
            };
            let plain = RiskScore::for_test(value, 0, 2);
            assert_eq!(
                message(plain.imitated()),
                "a new address on this account's usual network and browser"
            );
            assert!(message(plain).contains("unlike this account's usual sign-ins"));
        }
        // However high, a score resting on the new address alone is challenged, not refused,
        // even without the account's device cookie (an owner in a private window whose address
        // their provider changed); the same score resting on more is refused.
        let on_a_new_device = |score: RiskScore| {
            assess(
                &Signals {
                    score: Some(score),
                    known_device: false,
                    ..known()
                },
                &t,
            )
        };
        let high = RiskScore::for_test(1e6, 0, 2);
        let a = on_a_new_device(high.imitated());
        assert_eq!((a.level, a.action), (Level::Medium, Action::Challenge));
        let a = on_a_new_device(high);
        assert_eq!((a.level, a.action), (Level::High, Action::Block));
    }

    #[test]
    fn no_history_is_medium_and_says_so() {
        let a = assess(&Signals::default(), &Thresholds::default());
        assert_eq!(
            (a.level, a.action, a.score),
            (Level::Medium, Action::Challenge, None)
        );
        // The default signals are the strict ones: no device the account knows either.
        assert_eq!(codes(&a), ["no_history", "new_device"]);
        assert_eq!(a.reasons[0].message, "first sign-in to this account");
        let on_known = assess(&known(), &Thresholds::default());
        assert_eq!(codes(&on_known), ["no_history"]);
        // Strict by default: a very unusual score with signals left at their defaults is refused.
        let stranger = Signals {
            score: score(1e6),
            ..Signals::default()
        };
        assert_eq!(
            assess(&stranger, &Thresholds::default()).action,
            Action::Block
        );
    }

    #[test]
    fn rules_raise_the_level_and_explain_it() {
        let t = Thresholds::default();
        let travel = impossible_travel(
            &Location::new(59.91, 10.75, 5.0).unwrap(),
            Timestamp::from_unix_secs(0),
            &Location::new(-22.91, -43.17, 5.0).unwrap(),
            Timestamp::from_unix_secs(2 * 3600),
            &t.travel(),
        );
        let a = assess(
            &Signals {
                score: score(0.2),
                impossible_travel: travel,
                new_country: Some(CountryCode::new("BR").unwrap()),
                ..known()
            },
            &t,
        );
        assert_eq!((a.level, a.action), (Level::High, Action::Block));
        assert_eq!(
            codes(&a),
            ["impossible_travel", "new_country"],
            "most serious first"
        );
        assert_eq!(a.reasons[0].message, "travelled 10,421 km in 2 hours");
        assert_eq!(a.reasons[1].message, "first sign-in from BR");
        assert!(a.notify);

        let failures = |n| {
            assess(
                &Signals {
                    score: score(0.2),
                    recent_failures: n,
                    ..known()
                },
                &t,
            )
            .level
        };
        // Ten failures from the source challenge a usual-looking sign-in; they block one the
        // model finds unusual.
        assert_eq!(
            (failures(2), failures(3), failures(10)),
            (Level::Low, Level::Medium, Level::Medium)
        );
        let unusual_with_failures = assess(
            &Signals {
                score: score(1.5),
                recent_failures: 10,
                ..known()
            },
            &t,
        );
        assert_eq!(unusual_with_failures.level, Level::High);
        let anon = assess(
            &Signals {
                score: score(0.2),
                anonymising_network: true,
                ..known()
            },
            &t,
        );
        assert_eq!(
            (anon.level, codes(&anon)),
            (Level::Medium, vec!["anonymising_network"])
        );
    }

    #[test]
    fn failure_velocity_per_account_and_across_accounts() {
        let t = Thresholds::default();
        let with = |account_failures, source_failed_accounts| {
            assess(
                &Signals {
                    score: score(0.2),
                    account_failures,
                    source_failed_accounts,
                    ..known()
                },
                &t,
            )
        };
        // Failures on the account from anywhere challenge, but never block: the owner must
        // still get in while strangers guess at their account.
        assert_eq!(with(19, 0).level, Level::Low);
        let guessed = with(20, 0);
        assert_eq!(
            (guessed.level, guessed.action),
            (Level::Medium, Action::Challenge)
        );
        assert_eq!(codes(&guessed), ["account_failures"]);
        assert_eq!(
            guessed.reasons[0].message,
            "20 failed attempts on this account recently"
        );
        assert_eq!(with(1_000_000, 0).level, Level::Medium);
        // A source that fails on many accounts is stuffing credentials.
        assert_eq!(with(0, 4).level, Level::Low);
        assert_eq!(with(0, 5).level, Level::Medium);
        let stuffing = with(0, 20);
        assert_eq!(
            (stuffing.level, stuffing.action),
            (Level::Medium, Action::Challenge)
        );
        assert_eq!(
            stuffing.reasons[0].message,
            "this network recently failed to sign in to 20 accounts"
        );
        // Behind a shared address (a carrier's CGNAT, an office) strangers' failures challenge
        // whatever the model does not find unusual — the owner on a known device, in a private
        // window (a new device), or on an account without history — and block only what it does.
        for (recent, accounts) in [(10, 0), (0, 20), (1_000, 1_000)] {
            let behind = |value: Option<f64>, new_device: bool| {
                assess(
                    &Signals {
                        score: value.and_then(score),
                        recent_failures: recent,
                        source_failed_accounts: accounts,
                        known_device: !new_device,
                        ..known()
                    },
                    &t,
                )
                .action
            };
            assert_eq!(behind(Some(0.05), false), Action::Challenge);
            assert_eq!(behind(Some(0.05), true), Action::Challenge);
            assert_eq!(behind(Some(0.5), true), Action::Challenge);
            assert_eq!(behind(None, true), Action::Challenge);
            assert_eq!(behind(Some(1.0), false), Action::Block);
        }
        let custom = Thresholds::builder()
            .with_account_failures(3)
            .with_source_accounts(2, 3)
            .build()
            .unwrap();
        let both = assess(
            &Signals {
                score: score(0.2),
                account_failures: 3,
                source_failed_accounts: 3,
                ..known()
            },
            &custom,
        );
        // Both at Medium (the score is usual), in the order found.
        assert_eq!(codes(&both), ["account_failures", "source_failures"]);
    }

    #[test]
    fn an_unusual_hour_and_outdated_software_count_like_a_new_device() {
        let t = Thresholds::default();
        let outdated = vec![
            Version::new("Chrome", Some("79")),
            Version::new("Windows", Some("7")),
        ];
        let cases = [
            (
                Signals {
                    unusual_hour: true,
                    ..known()
                },
                "unusual_hour",
                "at an hour this account rarely signs in",
            ),
            (
                Signals {
                    outdated,
                    ..known()
                },
                "outdated_software",
                "an outdated browser or system: Chrome 79, Windows 7",
            ),
        ];
        for (signals, code, message) in cases {
            let at = |value| {
                let with_score = Signals {
                    score: score(value),
                    ..signals.clone()
                };
                assess(&with_score, &t)
            };
            // Noted, not challenged, when the score is clearly the owner's; challenged otherwise.
            let owner = at(0.05);
            assert_eq!((owner.level, codes(&owner)), (Level::Low, vec![code]));
            assert_eq!(owner.reasons[0].message, message);
            assert_eq!(at(0.5).level, Level::Medium, "{code}");
        }
    }

    #[test]
    fn a_new_device_alone_is_noted_not_challenged_when_the_rest_is_usual() {
        let t = Thresholds::default();
        let usual = assess(
            &Signals {
                score: score(0.05),
                known_device: false,
                ..known()
            },
            &t,
        );
        assert_eq!((usual.level, usual.action), (Level::Low, Action::Allow));
        assert!(usual.notify, "the owner hears of a new device");
        let unsure = assess(
            &Signals {
                score: score(0.5),
                known_device: false,
                ..known()
            },
            &t,
        );
        assert_eq!(unsure.level, Level::Medium);
    }

    #[test]
    fn an_attempt_new_in_every_way_is_never_low() {
        // On a heavy account the user-share term can push even an all-new attempt under 1.
        let all_new = Some(RiskScore::for_test(0.08, 2, 2));
        let a = assess(
            &Signals {
                score: all_new,
                known_device: false,
                ..known()
            },
            &Thresholds::default(),
        );
        assert_eq!((a.level, a.action), (Level::Medium, Action::Challenge));
        assert!(a.notify);
    }

    #[test]
    fn notify_follows_the_level_and_what_is_new() {
        let t = Thresholds::default();
        let country = Some(CountryCode::new("BR").unwrap());
        assert!(assess(&Signals::default(), &t).notify, "a first sign-in");
        assert!(
            assess(
                &Signals {
                    score: score(0.2),
                    new_country: country,
                    ..known()
                },
                &t
            )
            .notify
        );
        assert!(
            !assess(
                &Signals {
                    score: score(0.2),
                    ..known()
                },
                &t
            )
            .notify
        );
        let audit = Thresholds::builder().with_audit_only(true).build().unwrap();
        assert!(
            assess(
                &Signals {
                    score: score(50.0),
                    ..known()
                },
                &audit
            )
            .notify
        );
    }

    #[test]
    fn thresholds_are_validated() {
        assert!(
            Thresholds::builder()
                .with_scores(0.1, 10.0, 1.0)
                .build()
                .is_err()
        );
        assert!(
            Thresholds::builder()
                .with_scores(0.1, 1.0, f64::NAN)
                .build()
                .is_err()
        );
        assert!(
            Thresholds::builder()
                .with_scores(0.0, 1.0, 10.0)
                .build()
                .is_err()
        );
        assert!(Thresholds::builder().with_failures(0, 10).build().is_err());
        assert!(Thresholds::builder().with_failures(5, 4).build().is_err());
        assert!(
            Thresholds::builder()
                .with_account_failures(0)
                .build()
                .is_err()
        );
        assert!(
            Thresholds::builder()
                .with_source_accounts(0, 5)
                .build()
                .is_err()
        );
        assert!(
            Thresholds::builder()
                .with_source_accounts(6, 5)
                .build()
                .is_err()
        );
        assert_eq!(Thresholds::builder().build(), Ok(Thresholds::default()));
    }

    proptest::proptest! {
        #[test]
        fn rules_only_raise_and_audit_changes_only_the_action(
            value in 0.001_f64..1000.0,
            failures in 0_u64..20,
            new_device: bool,
            anonymising: bool,
            new_country: bool,
            account_failures in 0_u64..40,
            source_failed_accounts in 0_u64..40,
            unusual_hour: bool,
        ) {
            let t = Thresholds::default();
            // Only the score: on a known device, nothing else raised.
            let plain = assess(&Signals { score: score(value), known_device: true, ..known() }, &t);
            let signals = Signals {
                score: score(value),
                recent_failures: failures,
                known_device: !new_device,
                anonymising_network: anonymising,
                new_country: new_country.then(|| CountryCode::new("BR").unwrap()),
                account_failures,
                source_failed_accounts,
                unusual_hour,
                ..known()
            };
            let full = assess(&signals, &t);
            proptest::prop_assert!(full.level >= plain.level);
            // Failures on the account from anywhere alone never block.
            let only_account = assess(&Signals { score: score(value), account_failures, ..known() }, &t);
            proptest::prop_assert!(only_account.level <= plain.level.max(Level::Medium));
            let audit = assess(&signals, &Thresholds::builder().with_audit_only(true).build().unwrap());
            proptest::prop_assert_eq!((audit.level, audit.notify, &audit.reasons), (full.level, full.notify, &full.reasons));
            proptest::prop_assert_eq!(audit.action, Action::Allow);
        }
    }

    #[test]
    fn audit_only_always_allows_but_still_explains() {
        let t = Thresholds::builder().with_audit_only(true).build().unwrap();
        let a = assess(
            &Signals {
                score: score(50.0),
                recent_failures: 20,
                ..known()
            },
            &t,
        );
        assert_eq!((a.level, a.action), (Level::High, Action::Allow));
        // Refused for the failures (on a known device the score alone would only challenge).
        assert_eq!(codes(&a), ["recent_failures", "very_unusual"]);
    }
}
