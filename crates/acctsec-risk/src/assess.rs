//! [`assess`]: the model's score and the rules' signals, turned into a level, an action and the
//! reasons, in words the owner can read.

use crate::geo::CountryCode;
use crate::model::RiskScore;
use crate::travel::ImpossibleTravel;

/// How risky a sign-in looks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    /// Like the account's usual sign-ins.
    Low,
    /// Unusual: worth a second proof.
    Medium,
    /// Very unusual or impossible: refuse.
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
    /// Many recent failed attempts.
    RecentFailures,
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
    /// Whether the device (its cookie) is new to the account.
    pub new_device: bool,
    /// Impossible travel since the last successful sign-in.
    pub impossible_travel: Option<ImpossibleTravel>,
    /// Failed attempts recently counted for this account and source.
    pub recent_failures: u64,
    /// Whether the address belongs to an anonymiser or a hosting provider.
    pub anonymising_network: bool,
}

/// Where levels start. The defaults follow the model's scale: a score of 1 means an attacker is
/// as likely as the owner; a sign-in whose every feature the owner never had scores about
/// 4 × 4 = 16 times the user-share term.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub struct Thresholds {
    /// Scores from here are Medium (default 1.0).
    pub medium_score: f64,
    /// Scores from here are High (default 10.0).
    pub high_score: f64,
    /// Recent failures from here make a sign-in Medium (default 3).
    pub medium_failures: u64,
    /// Recent failures from here make a sign-in High (default 10).
    pub high_failures: u64,
    /// Report levels and reasons but always allow (to tune thresholds on real traffic first).
    pub audit_only: bool,
}

impl Default for Thresholds {
    fn default() -> Self {
        Self {
            medium_score: 1.0,
            high_score: 10.0,
            medium_failures: 3,
            high_failures: 10,
            audit_only: false,
        }
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
/// without history starts at Medium); each rule can only raise it: impossible travel and many
/// failures to High; a new country, an anonymising network or some failures to Medium; a new
/// device to Medium only on top of a score that is not clearly the owner's.
#[must_use]
pub fn assess(signals: &Signals, thresholds: &Thresholds) -> Assessment {
    let mut reasons = Vec::new();
    let mut level = Level::Low;
    let mut raise = |to: Level, code: ReasonCode, message: String, level: &mut Level| {
        *level = (*level).max(to);
        reasons.push((to, Reason { code, message }));
    };
    let score = signals.score.map(RiskScore::value);
    match score {
        None => raise(
            Level::Medium,
            ReasonCode::NoHistory,
            "first sign-in to this account".to_owned(),
            &mut level,
        ),
        Some(s) if s >= thresholds.high_score => raise(
            Level::High,
            ReasonCode::VeryUnusual,
            "very unlike this account's usual sign-ins".to_owned(),
            &mut level,
        ),
        Some(s) if s >= thresholds.medium_score => raise(
            Level::Medium,
            ReasonCode::Unusual,
            "unlike this account's usual sign-ins".to_owned(),
            &mut level,
        ),
        Some(_) => {}
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
    let failures = signals.recent_failures;
    if failures >= thresholds.medium_failures {
        let to = if failures >= thresholds.high_failures {
            Level::High
        } else {
            Level::Medium
        };
        raise(
            to,
            ReasonCode::RecentFailures,
            format!("{failures} failed attempts recently"),
            &mut level,
        );
    }
    if signals.new_device {
        let unsure = score.is_none_or(|s| s >= thresholds.medium_score / 10.0);
        let to = if unsure { Level::Medium } else { Level::Low };
        raise(
            to,
            ReasonCode::NewDevice,
            "a device not seen before".to_owned(),
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
        notify: level > Level::Low || signals.new_country.is_some() || signals.new_device,
        reasons: reasons.into_iter().map(|(_, r)| r).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use acctsec_core::Timestamp;

    use crate::geo::Location;
    use crate::travel::impossible_travel;

    fn score(value: f64) -> Option<RiskScore> {
        Some(RiskScore { ln: value.ln() })
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
            (10.0, Level::High, Action::Block),
        ] {
            let a = assess(
                &Signals {
                    score: score(value),
                    ..Signals::default()
                },
                &t,
            );
            assert_eq!((a.level, a.action), (level, action), "{value}");
        }
        let usual = assess(
            &Signals {
                score: score(0.2),
                ..Signals::default()
            },
            &t,
        );
        assert!(usual.reasons.is_empty() && !usual.notify);
    }

    #[test]
    fn no_history_is_medium_and_says_so() {
        let a = assess(&Signals::default(), &Thresholds::default());
        assert_eq!(
            (a.level, a.action, a.score),
            (Level::Medium, Action::Challenge, None)
        );
        assert_eq!(codes(&a), ["no_history"]);
        assert_eq!(a.reasons[0].message, "first sign-in to this account");
    }

    #[test]
    fn rules_raise_the_level_and_explain_it() {
        let t = Thresholds::default();
        let travel = impossible_travel(
            &Location::new(59.91, 10.75, 5.0).unwrap(),
            Timestamp::from_unix_secs(0),
            &Location::new(-22.91, -43.17, 5.0).unwrap(),
            Timestamp::from_unix_secs(2 * 3600),
            805.0,
            100.0,
        );
        let a = assess(
            &Signals {
                score: score(0.2),
                impossible_travel: travel,
                new_country: Some(CountryCode::new("BR").unwrap()),
                ..Signals::default()
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
                    ..Signals::default()
                },
                &t,
            )
            .level
        };
        assert_eq!(
            (failures(2), failures(3), failures(10)),
            (Level::Low, Level::Medium, Level::High)
        );
        let anon = assess(
            &Signals {
                score: score(0.2),
                anonymising_network: true,
                ..Signals::default()
            },
            &t,
        );
        assert_eq!(
            (anon.level, codes(&anon)),
            (Level::Medium, vec!["anonymising_network"])
        );
    }

    #[test]
    fn a_new_device_alone_is_noted_not_challenged_when_the_rest_is_usual() {
        let t = Thresholds::default();
        let usual = assess(
            &Signals {
                score: score(0.05),
                new_device: true,
                ..Signals::default()
            },
            &t,
        );
        assert_eq!((usual.level, usual.action), (Level::Low, Action::Allow));
        assert!(usual.notify, "the owner hears of a new device");
        let unsure = assess(
            &Signals {
                score: score(0.5),
                new_device: true,
                ..Signals::default()
            },
            &t,
        );
        assert_eq!(unsure.level, Level::Medium);
    }

    #[test]
    fn audit_only_always_allows_but_still_explains() {
        let t = Thresholds {
            audit_only: true,
            ..Thresholds::default()
        };
        let a = assess(
            &Signals {
                score: score(50.0),
                recent_failures: 20,
                ..Signals::default()
            },
            &t,
        );
        assert_eq!((a.level, a.action), (Level::High, Action::Allow));
        assert_eq!(codes(&a), ["very_unusual", "recent_failures"]);
    }
}
