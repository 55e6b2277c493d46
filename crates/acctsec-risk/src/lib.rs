#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]

mod account;
mod assess;
mod bytes;
mod compact;
mod engine;
mod evaluate;
mod geo;
mod model;
mod profile;
mod rba;
mod reputation;
mod simulate;
mod software;
mod travel;

pub use account::{AccountRisk, MAX_ACCOUNT_RISK_BYTES};
pub use assess::{
    Action, Assessment, DEFAULT_ACCOUNT_FAILURES, DEFAULT_HIGH_FAILURES, DEFAULT_HIGH_SCORE,
    DEFAULT_HIGH_SOURCE_ACCOUNTS, DEFAULT_MEDIUM_FAILURES, DEFAULT_MEDIUM_SCORE,
    DEFAULT_MEDIUM_SOURCE_ACCOUNTS, DEFAULT_OWNER_SCORE, Level, Reason, ReasonCode, Signals,
    Thresholds, ThresholdsBuilder, assess,
};
pub use compact::{
    CLOCK_AHEAD_TOLERANCE_DAYS, DEFAULT_FIRST_WIDTH_LOG2, DEFAULT_REST_WIDTH_LOG2,
    HABIT_HALF_LIFE_DAYS, Hashed, MAX_POPULATION_LOGINS_PER_USER, MAX_USER_MODEL_ENCODED_BYTES,
    MIN_HOUR_HISTORY, ModelKey, Population, SKETCH_WIDTH_LOG2, USER_MODEL_CAPS,
    USER_MODEL_WINDOW_DAYS, UserModel,
};
pub use engine::{Attempt, Checked, Engine, Failures};
pub use evaluate::{KindMetrics, REPLAY_FAILURE_WINDOW_MS, Replay, Report, Scorer, ScorerReport};
pub use geo::{CountryCode, Geo, GeoLookup, Location, MAX_ACCURACY_KM};
pub use model::{
    Feature, History, IMITATION_ODDS, MAX_OBSERVATION_VALUE_BYTES, Observation, RiskScore,
};
pub use profile::{MAX_PROFILE_COUNTRIES, MAX_PROFILE_DEVICES, MAX_PROFILE_ENCODED_BYTES, Profile};
pub use rba::{MAX_RBA_LINE_BYTES, RBA_COLUMNS, RbaReader, RbaRecord, write_rba_header};
pub use reputation::{MAX_REPUTATION_RANGES, NetworkReputation, RangeReputation, Reputation};
pub use simulate::{
    AttackerKind, Labelled, MAX_SYNTHETIC_ATTACKS, MAX_SYNTHETIC_DAYS, MAX_SYNTHETIC_RECORDS,
    MAX_SYNTHETIC_USERS, SyntheticLog, inject_attackers,
};
#[cfg(feature = "ua-parser")]
pub use software::UapParser;
pub use software::{MAX_FAMILY_BYTES, MinimumVersions, Software, UserAgentParser, Version};
pub use travel::{
    DEFAULT_MAX_SPEED_KMH, DEFAULT_MIN_DISTANCE_KM, ImpossibleTravel, TravelLimits,
    impossible_travel,
};

/// Result alias of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Why a value or a log row could not be read. Messages name what and where, never the data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A value out of its bounds.
    #[error("invalid {0}: {1}")]
    Invalid(&'static str, &'static str),
    /// A log row that could not be read; reading goes on with the next row.
    #[error("line {line}: {reason}")]
    Row {
        /// The line, from 1.
        line: usize,
        /// What is wrong.
        reason: &'static str,
    },
    /// A line with no end within 64 MiB: not a log of this schema, and reading stops there
    /// rather than scan on without bound.
    #[error("line {line}: no line end within 64 MiB; reading stopped")]
    Unterminated {
        /// The line without end.
        line: usize,
    },
    /// The input could not be read; reading stops.
    #[error("line {line}: the input could not be read")]
    Io {
        /// The line being read.
        line: usize,
    },
}
