//! [`Replay`]: a log scored attempt by attempt, each before the model learns from it, and the
//! [`Report`] of how well the model told owners from attackers.

use std::collections::{HashMap, HashSet, VecDeque};
use std::fmt;
use std::net::IpAddr;

use acctsec_core::{DeviceDigest, Timestamp, UserId};
use sha2::{Digest, Sha256};

use crate::account::AccountRisk;
use crate::assess::{DEFAULT_HIGH_SCORE, DEFAULT_MEDIUM_SCORE, Level};
use crate::compact::{ModelKey, Population, UserModel};
use crate::engine::{Attempt, Engine, Failures};
use crate::model::{History, Observation, source_of};
use crate::rba::RbaRecord;
use crate::simulate::AttackerKind;
use crate::{Error, Result};

/// The scorers a [`Replay`] compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scorer {
    /// The bounded model ([`Population`] and [`UserModel`]), the production form.
    Bounded,
    /// The exact model ([`History`]).
    Exact,
    /// The baseline: challenge every address the account has not signed in from.
    NewIp,
    /// The whole [`Engine`]: its own bounded model with the profile's rules (new country, new
    /// device, unusual hour, …) and its thresholds, ranked by level, then by score. A log in the
    /// RBA schema carries no device cookie, so each account's user-agent strings stand in for
    /// its devices. That flatters targeted attackers, who copy the victim's user agent: they
    /// count as presenting a known device, which no real attacker without the cookie does, so
    /// the engine never refuses them on the score alone. It is unkind to owners: a browser
    /// update counts as a new device, so owners' challenged and refused shares are, if
    /// anything, too high. The log has no coordinates (no impossible travel). The failure rules
    /// read the log's own failed attempts, counted as a throttle would
    /// ([`REPLAY_FAILURE_WINDOW_MS`]).
    Engine,
}

impl Scorer {
    /// Every scorer.
    pub const ALL: [Self; 4] = [Self::Bounded, Self::Exact, Self::NewIp, Self::Engine];

    /// A short name.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::Bounded => "bounded model",
            Self::Exact => "exact model",
            Self::NewIp => "new IP",
            Self::Engine => "engine",
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Sample {
    attacker: Option<AttackerKind>,
    /// Per scorer, on a scale where higher is riskier: the models' log scores, the baseline's
    /// 1 (new address) or 0, the engine's [`engine_rank`].
    scores: [f64; 4],
}

/// The engine's verdict on one scale: its level first, then its score. The log of a positive
/// finite score lies within ±745, so levels 2,000 apart never overlap.
fn engine_rank(level: Level, score: Option<f64>) -> f64 {
    let level = match level {
        Level::Low => 0.0,
        Level::Medium => 1.0,
        Level::High => 2.0,
    };
    level * ENGINE_LEVEL_STEP + score.map_or(0.0, f64::ln)
}

/// The distance between levels in [`engine_rank`].
const ENGINE_LEVEL_STEP: f64 = 2_000.0;

/// How far back a [`Replay`] counts failed attempts for the engine's failure rules: an hour. A
/// live service's throttle keeps its own window; the replay's counts are every failure in the
/// hour before the attempt.
pub const REPLAY_FAILURE_WINDOW_MS: i64 = 3_600_000;

/// The log's failed attempts within the window, counted as the engine's [`Failures`] are: per
/// account and source, per account, and the distinct accounts each source failed on. Sources
/// count as the model counts addresses (IPv6 by its /64).
#[derive(Default)]
struct FailureCounts {
    /// Every counted failure in time order: when, on which account, from which source.
    recent: VecDeque<(i64, i64, IpAddr)>,
    accounts: HashMap<i64, u64>,
    /// Per source, its failures per account: the per-pair counts, and by their number the
    /// distinct accounts.
    sources: HashMap<IpAddr, HashMap<i64, u64>>,
}

impl FailureCounts {
    /// Forgets the failures before the window that ends at `now`.
    fn expire(&mut self, now: i64) {
        let start = now.saturating_sub(REPLAY_FAILURE_WINDOW_MS);
        while let Some(&(at, account, source)) = self.recent.front() {
            if at >= start {
                break;
            }
            self.recent.pop_front();
            decrement(&mut self.accounts, account);
            if let Some(by_account) = self.sources.get_mut(&source) {
                decrement(by_account, account);
                if by_account.is_empty() {
                    self.sources.remove(&source);
                }
            }
        }
    }

    /// The counts an attempt on `account` from `source` meets.
    fn of(&self, account: i64, source: IpAddr) -> Failures {
        let by_account = self.sources.get(&source);
        Failures::new(
            by_account
                .and_then(|a| a.get(&account))
                .copied()
                .unwrap_or(0),
            self.accounts.get(&account).copied().unwrap_or(0),
            by_account.map_or(0, |a| a.len() as u64),
        )
    }

    /// Counts a failed attempt at `at` (attempts arrive in time order).
    fn add(&mut self, at: i64, account: i64, source: IpAddr) {
        self.recent.push_back((at, account, source));
        *self.accounts.entry(account).or_default() += 1;
        *self
            .sources
            .entry(source)
            .or_default()
            .entry(account)
            .or_default() += 1;
    }
}

/// Takes one from `key`'s count, dropping the entry at zero.
fn decrement<K: std::hash::Hash + Eq>(counts: &mut HashMap<K, u64>, key: K) {
    if let Some(n) = counts.get_mut(&key) {
        *n = n.saturating_sub(1);
        if *n == 0 {
            counts.remove(&key);
        }
    }
}

/// Scores a sign-in log attempt by attempt, each before learning from it (as a live service
/// would), with the bounded model, the exact model, the new-IP baseline and a whole [`Engine`],
/// then reports how well each told owners from attackers. Only the owners' successful sign-ins
/// are learned (a blocked attacker is not, and the engine does not learn an owner's sign-in it
/// would have blocked); attempts on accounts without history are counted, not scored (every
/// scorer challenges them).
///
/// Memory grows with the log (the exact model and the baseline are unbounded, and every score is
/// kept): an evaluation tool, not a production path.
pub struct Replay {
    population: Population,
    models: HashMap<i64, UserModel>,
    exact: History,
    /// The baseline's memory: each account's addresses, counted as the models count them
    /// (canonical, IPv6 by its /64), as the bounded model's keyed hashes.
    addresses: HashMap<i64, HashSet<u64>>,
    engine: Engine,
    accounts: HashMap<i64, AccountRisk>,
    failures: FailureCounts,
    /// The time of the latest attempt observed.
    latest: Option<Timestamp>,
    samples: Vec<Sample>,
    without_history: u64,
}

impl fmt::Debug for Replay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Replay")
            .field("scored", &self.samples.len())
            .field("without_history", &self.without_history)
            .finish_non_exhaustive()
    }
}

impl Replay {
    /// A replay whose bounded model hashes with `key`, evaluating `engine` — the host's
    /// thresholds, network reputation and minimum versions — as [`Scorer::Engine`]. The
    /// engine's population should be new: it learns the log. Its geolocation and user-agent
    /// parser go unused: each row gives its own place and software ([`RbaRecord::geo`],
    /// [`RbaRecord::software`]).
    #[must_use]
    pub fn new(key: ModelKey, engine: Engine) -> Self {
        Self {
            population: Population::new(key),
            models: HashMap::new(),
            exact: History::new(),
            addresses: HashMap::new(),
            engine,
            accounts: HashMap::new(),
            failures: FailureCounts::default(),
            latest: None,
            samples: Vec::new(),
            without_history: 0,
        }
    }

    /// Scores one attempt, then learns it if it is an owner's successful sign-in. Attempts must
    /// come in time order (equal times allowed), as a service meets them: the counts of recent
    /// failures and the models' age windows run on the log's own clock.
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] for an attempt earlier than one observed before it (a log out of
    /// order, or a row with a mistyped date ahead of it), which is not observed: one row dated
    /// centuries ahead would otherwise keep every later failure counted for good.
    pub fn observe(&mut self, record: &RbaRecord, attacker: Option<AttackerKind>) -> Result<()> {
        if self.latest.is_some_and(|latest| record.at < latest) {
            return Err(Error::Invalid(
                "replay",
                "an attempt earlier than one before it: replay a log in time order",
            ));
        }
        self.latest = Some(record.at);
        let user = UserId::from(record.user);
        let observation = Observation::from(record);
        let hashed = self.population.hash_observation(&observation);
        let model = self.models.entry(record.user).or_default();
        let address = hashed.address();
        let bounded = self.population.score(model, &hashed);
        let exact = self.exact.score(&user, &observation);
        let account = self.accounts.entry(record.user).or_default();
        // The user agent in place of the device cookie the log lacks.
        let device =
            DeviceDigest::from_bytes(Sha256::digest(record.user_agent.as_str().as_bytes()).into());
        let (now, source) = (record.at.as_unix_millis(), source_of(record.ip));
        self.failures.expire(now);
        let attempt = Attempt::new(record.at, record.ip, &record.user_agent)
            .with_device(device)
            .with_failures(self.failures.of(record.user, source));
        let checked = self
            .engine
            .check_with(account, &attempt, record.geo(), &record.software());
        match (bounded, exact) {
            (Some(bounded), Some(exact)) => {
                let new_ip = self
                    .addresses
                    .get(&record.user)
                    .is_none_or(|seen| !seen.contains(&address));
                let verdict = &checked.assessment;
                self.samples.push(Sample {
                    attacker,
                    scores: [
                        bounded.ln(),
                        exact.ln(),
                        f64::from(u8::from(new_ip)),
                        engine_rank(verdict.level, verdict.score),
                    ],
                });
            }
            _ => self.without_history += 1,
        }
        if !record.success {
            self.failures.add(now, record.user, source);
        }
        if record.success && attacker.is_none() {
            self.engine.learn(account, checked);
            self.population.learn(model, &hashed, record.at);
            self.exact.learn(&user, &observation);
            self.addresses
                .entry(record.user)
                .or_default()
                .insert(address);
        }
        Ok(())
    }

    /// The report so far.
    #[must_use]
    pub fn report(&self) -> Report {
        let mut kinds: Vec<AttackerKind> = self.samples.iter().filter_map(|s| s.attacker).collect();
        kinds.sort_unstable();
        kinds.dedup();
        let scorers = Scorer::ALL
            .iter()
            .enumerate()
            .map(|(i, &scorer)| {
                let score = |s: &Sample| s.scores.get(i).copied().unwrap_or(0.0);
                let mut legit: Vec<f64> = self
                    .samples
                    .iter()
                    .filter(|s| s.attacker.is_none())
                    .map(score)
                    .collect();
                legit.sort_by(|a, b| b.total_cmp(a));
                // The models challenge from a score of 1 (its ln is 0) up and refuse from 10, the baseline
                // challenges new addresses and refuses none, the engine acts on its level.
                let challenge = |s: f64| match scorer {
                    Scorer::NewIp => s >= 1.0,
                    Scorer::Bounded | Scorer::Exact => s >= DEFAULT_MEDIUM_SCORE.ln(),
                    Scorer::Engine => s >= ENGINE_LEVEL_STEP / 2.0,
                };
                let block = |s: f64| match scorer {
                    Scorer::NewIp => false,
                    Scorer::Bounded | Scorer::Exact => s >= DEFAULT_HIGH_SCORE.ln(),
                    Scorer::Engine => s >= 1.5 * ENGINE_LEVEL_STEP,
                };
                let kinds = kinds
                    .iter()
                    .map(|&kind| {
                        let attacks: Vec<f64> = self
                            .samples
                            .iter()
                            .filter(|s| s.attacker == Some(kind))
                            .map(score)
                            .collect();
                        KindMetrics {
                            kind,
                            attempts: attacks.len(),
                            auc: auc(&legit, &attacks),
                            tpr_at_0_1_fpr: tpr_at(&legit, &attacks, 0.001),
                            tpr_at_1_fpr: tpr_at(&legit, &attacks, 0.01),
                            challenged: share(&attacks, challenge),
                            blocked: share(&attacks, block),
                        }
                    })
                    .collect();
                ScorerReport {
                    scorer,
                    legit_challenged: share(&legit, challenge),
                    legit_blocked: share(&legit, block),
                    kinds,
                }
            })
            .collect();
        Report {
            legit: self.samples.iter().filter(|s| s.attacker.is_none()).count(),
            without_history: self.without_history,
            scorers,
        }
    }
}

fn share(scores: &[f64], pred: impl Fn(f64) -> bool) -> f64 {
    if scores.is_empty() {
        return 0.0;
    }
    scores.iter().filter(|&&s| pred(s)).count() as f64 / scores.len() as f64
}

/// The share of attacks caught when at most `fpr` of the owners' sign-ins (`legit`, sorted from
/// riskiest) are challenged, on the ROC curve interpolated between thresholds: where a threshold
/// would challenge too many because of ties, the tied attempts are challenged at random in the
/// proportion that meets `fpr`, as a scorer with ties (the new-IP baseline) can be deployed.
fn tpr_at(legit: &[f64], attacks: &[f64], fpr: f64) -> f64 {
    if legit.is_empty() || attacks.is_empty() {
        return f64::NAN;
    }
    let budget = fpr * legit.len() as f64;
    let Some(&threshold) = legit.get(budget.floor() as usize) else {
        return share(attacks, |_| true);
    };
    // Owners strictly above the threshold are challenged; of those tied with it, as many as
    // the budget still allows.
    let above = legit.partition_point(|&l| l > threshold);
    let tied = legit[above..].partition_point(|&l| l >= threshold);
    let fraction = ((budget - above as f64) / tied as f64).clamp(0.0, 1.0);
    let caught = share(attacks, |s| s > threshold);
    let tied_attacks = share(attacks, |s| s == threshold);
    caught + fraction * tied_attacks
}

/// The area under the ROC curve: the chance an attack scores above an owner's sign-in, ties
/// counting half (the Mann–Whitney statistic).
fn auc(legit: &[f64], attacks: &[f64]) -> f64 {
    if legit.is_empty() || attacks.is_empty() {
        return f64::NAN;
    }
    let mut ascending = legit.to_vec();
    ascending.sort_by(f64::total_cmp);
    let mut wins = 0.0;
    for a in attacks {
        let below = ascending.partition_point(|l| l < a);
        let equal = ascending[below..].partition_point(|l| l <= a);
        wins += below as f64 + 0.5 * equal as f64;
    }
    wins / (legit.len() as f64 * attacks.len() as f64)
}

/// How well one scorer did against one kind of attacker.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub struct KindMetrics {
    /// The attacker.
    pub kind: AttackerKind,
    /// Their attempts scored.
    pub attempts: usize,
    /// Area under the ROC curve.
    pub auc: f64,
    /// Attacks caught when at most 0.1% of owners' sign-ins are challenged (NaN without owners'
    /// sign-ins, as is the AUC).
    pub tpr_at_0_1_fpr: f64,
    /// Attacks caught when at most 1% of owners' sign-ins are challenged.
    pub tpr_at_1_fpr: f64,
    /// Attacks challenged or refused at the default thresholds (score ≥ 1; for the baseline, a
    /// new address; for the engine, Medium or High).
    pub challenged: f64,
    /// Attacks refused (as [`ScorerReport::legit_blocked`] counts owners').
    pub blocked: f64,
}

/// How one scorer did.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct ScorerReport {
    /// The scorer.
    pub scorer: Scorer,
    /// The share of owners' sign-ins challenged or refused at the default thresholds (for the
    /// engine, at its own).
    pub legit_challenged: f64,
    /// The share of owners' sign-ins refused: the models' score of at least 10
    /// ([`DEFAULT_HIGH_SCORE`]), the engine's [`Level::High`]; the baseline refuses none.
    pub legit_blocked: f64,
    /// Per attacker kind.
    pub kinds: Vec<KindMetrics>,
}

impl ScorerReport {
    /// The metrics for `kind`, if the log had such attacks.
    #[must_use]
    pub fn kind(&self, kind: AttackerKind) -> Option<&KindMetrics> {
        self.kinds.iter().find(|k| k.kind == kind)
    }
}

/// What a [`Replay`] found.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Report {
    /// Owners' attempts scored.
    pub legit: usize,
    /// Attempts (owners' or attackers') on accounts without history, not scored.
    pub without_history: u64,
    /// Per scorer.
    pub scorers: Vec<ScorerReport>,
}

impl Report {
    /// The report of `scorer`.
    #[must_use]
    pub fn scorer(&self, scorer: Scorer) -> Option<&ScorerReport> {
        self.scorers.iter().find(|s| s.scorer == scorer)
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{} owner attempts scored, {} attempts on accounts without history",
            self.legit, self.without_history
        )?;
        writeln!(
            f,
            "| scorer | owners challenged | owners blocked | attacker | attempts | ROC AUC | TPR @ 0.1% FPR | TPR @ 1% FPR | challenged | blocked |"
        )?;
        writeln!(f, "|---|---:|---:|---|---:|---:|---:|---:|---:|---:|")?;
        for s in &self.scorers {
            for k in &s.kinds {
                writeln!(
                    f,
                    "| {} | {:.2}% | {:.2}% | {} | {} | {:.4} | {:.1}% | {:.1}% | {:.1}% | {:.1}% |",
                    s.scorer.name(),
                    100.0 * s.legit_challenged,
                    100.0 * s.legit_blocked,
                    k.kind.name(),
                    k.attempts,
                    k.auc,
                    100.0 * k.tpr_at_0_1_fpr,
                    100.0 * k.tpr_at_1_fpr,
                    100.0 * k.challenged,
                    100.0 * k.blocked,
                )?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metrics_by_hand() {
        // Owners 0..=9 (sorted from riskiest), attacks 5.5, 9.5, 10.
        let legit: Vec<f64> = (0..10).rev().map(f64::from).collect();
        let attacks = [5.5, 9.5, 10.0];
        // AUC: 6/10, 10/10, 10/10 → 26/30.
        assert!((auc(&legit, &attacks) - 26.0 / 30.0).abs() < 1e-12);
        // Ties count half: an attack equal to one owner of two.
        assert!((auc(&[1.0, 2.0], &[1.0]) - 0.25).abs() < 1e-12);
        // At 10% FPR one owner (9) may be challenged: everything above 8 is.
        assert!((tpr_at(&legit, &attacks, 0.1) - 2.0 / 3.0).abs() < 1e-12);
        // At 5% half of that owner may: threshold 9, half the attacks tied with it.
        assert!((tpr_at(&legit, &[9.0, 9.0, 10.0, 2.0], 0.05) - 0.5).abs() < 1e-12);
        // At 1% none may: attacks above 9 are caught.
        assert!((tpr_at(&legit, &attacks, 0.01) - 2.0 / 3.0).abs() < 1e-12);
        // A binary scorer challenging 2 owners of 10 meets a 10% budget by challenging half of
        // its positives at random: half the attacks it flags.
        let binary_legit = [1.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0];
        assert!((tpr_at(&binary_legit, &[1.0, 1.0, 0.0, 1.0], 0.1) - 0.375).abs() < 1e-12);
        assert_eq!(tpr_at(&binary_legit, &[1.0, 1.0], 0.2), 1.0);
        assert_eq!(tpr_at(&binary_legit, &[1.0, 1.0], 0.0), 0.0);
        assert_eq!(tpr_at(&binary_legit, &[1.0], 1.0), 1.0);
        assert_eq!(share(&[0.0, 1.0, 2.0, 3.0], |s| s >= 2.0), 0.5);
        assert!(auc(&[], &[1.0]).is_nan());
        assert!(
            tpr_at(&[], &[1.0], 0.01).is_nan(),
            "no owners: no rate to meet"
        );
    }
}
