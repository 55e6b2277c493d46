//! Replay and evaluation on generated logs with known attacks.

use std::io::Cursor;

use acctsec_risk::{
    AttackerKind, Engine, Labelled, ModelKey, Population, RbaReader, RbaRecord, Replay, Scorer,
    SyntheticLog, inject_attackers, write_rba_header,
};

/// A replay with the tests' keys, its engine's population new.
fn new_replay() -> Replay {
    let engine = Engine::new(Population::new(ModelKey::new([4; 16])));
    Replay::new(ModelKey::new([3; 16]), engine)
}

fn replay(log: &[Labelled]) -> acctsec_risk::Report {
    let mut replay = new_replay();
    for l in log {
        assert_eq!(replay.observe(&l.record, l.attacker), Ok(()));
    }
    replay.report()
}

#[test]
fn the_model_beats_the_new_ip_baseline_and_the_bounded_form_matches_the_exact_one() {
    let log = SyntheticLog::new(1)
        .users(1_500)
        .days(90)
        .attacks_per_kind(300)
        .generate();
    let report = replay(&log);
    println!("{report}");
    assert!(report.legit > 40_000, "{}", report.legit);
    let bounded = report.scorer(Scorer::Bounded).unwrap();
    let exact = report.scorer(Scorer::Exact).unwrap();
    let new_ip = report.scorer(Scorer::NewIp).unwrap();
    for kind in AttackerKind::SIMULATED {
        let (b, e, n) = (
            bounded.kind(kind).unwrap(),
            exact.kind(kind).unwrap(),
            new_ip.kind(kind).unwrap(),
        );
        // Attacks on accounts with history are all scored.
        assert!(b.attempts > 290, "{kind:?}: {}", b.attempts);
        assert_eq!((b.attempts, e.attempts), (n.attempts, n.attempts));
        // The bounded form ranks as the exact one does.
        assert!(
            (b.auc - e.auc).abs() < 0.005,
            "{kind:?}: {} vs {}",
            b.auc,
            e.auc
        );
        assert!((b.tpr_at_1_fpr - e.tpr_at_1_fpr).abs() < 0.02, "{kind:?}");
        // Every simulated attacker comes from an address new to the account.
        assert!(n.challenged > 0.9, "{kind:?}: {}", n.challenged);
    }
    for kind in AttackerKind::SIMULATED {
        let (b, n) = (bounded.kind(kind).unwrap(), new_ip.kind(kind).unwrap());
        assert!(b.auc > n.auc, "{kind:?}: {} vs {}", b.auc, n.auc);
    }
    // At 1% of owners challenged the model catches far more naive and VPN attackers, and more
    // targeted ones (the victim's network and browser, only the address new: the imitation
    // term), than the baseline challenging that share of new addresses at random.
    for (kind, times) in [
        (AttackerKind::Naive, 5.0),
        (AttackerKind::Vpn, 5.0),
        (AttackerKind::Targeted, 1.5),
    ] {
        let (b, n) = (bounded.kind(kind).unwrap(), new_ip.kind(kind).unwrap());
        assert!(
            b.tpr_at_1_fpr > times * n.tpr_at_1_fpr,
            "{kind:?}: {} vs {}",
            b.tpr_at_1_fpr,
            n.tpr_at_1_fpr
        );
    }
    // The baseline challenges owners on every new address (phones on carrier-shared addresses,
    // changed home addresses): far more than the model does at its default threshold.
    assert!(new_ip.legit_challenged > 10.0 * bounded.legit_challenged);
    // The whole engine's rules (a new country, a new browser, an unusual hour) challenge more
    // owners than the model's score alone does, still far fewer than the baseline, and it
    // refuses under 1% of them; it stops nearly every naive attacker.
    let engine = report.scorer(Scorer::Engine).unwrap();
    assert!(
        engine.legit_challenged > 1.5 * bounded.legit_challenged,
        "{} vs {}",
        engine.legit_challenged,
        bounded.legit_challenged
    );
    assert!(new_ip.legit_challenged > 5.0 * engine.legit_challenged);
    assert!(engine.legit_blocked < 0.01, "{}", engine.legit_blocked);
    assert!(engine.legit_blocked < engine.legit_challenged);
    let naive = engine.kind(AttackerKind::Naive).unwrap();
    assert!(naive.challenged > 0.9, "{}", naive.challenged);
    assert!(naive.blocked > 0.5, "{}", naive.blocked);
    assert_eq!(
        naive.attempts,
        new_ip.kind(AttackerKind::Naive).unwrap().attempts
    );
}

/// The engine's failure rules read the log's own failed attempts: a source failing on many
/// accounts, or many times on one, within the hour before a sign-in.
#[test]
fn the_replay_counts_failed_attempts_for_the_engine_s_failure_rules() {
    let owners = SyntheticLog::new(3)
        .users(60)
        .days(40)
        .attacks_per_kind(0)
        .generate();
    // The busiest owner's last sign-in, and a labelled attempt a day later from the same
    // address and browser at the same hour: the owner's own values, so the model's score is low.
    let mut counts = std::collections::HashMap::new();
    for l in &owners {
        *counts.entry(l.record.user).or_insert(0) += 1;
    }
    let (&victim, _) = counts.iter().max_by_key(|&(u, n)| (*n, *u)).unwrap();
    let last = owners
        .iter()
        .rev()
        .find(|l| l.record.user == victim && l.record.success)
        .unwrap()
        .record
        .clone();
    let minute = 60_000;
    let at = |record: &RbaRecord, ms: i64| {
        acctsec_core::Timestamp::from_unix_millis(record.at.as_unix_millis() + ms)
    };
    let mut attempt = last.clone();
    attempt.at = at(&last, 86_400_000);
    let others: Vec<i64> = counts.keys().copied().filter(|&u| u != victim).collect();
    // Failures from the attempt's own address, `before` the attempt, on the given accounts.
    let failures = |accounts: &[i64], before: i64| {
        accounts
            .iter()
            .enumerate()
            .map(|(i, &user)| {
                let mut failed = attempt.clone();
                failed.user = user;
                failed.success = false;
                failed.at = at(&attempt, -before + i as i64);
                Labelled::from_log(failed)
            })
            .collect::<Vec<_>>()
    };
    let engine_on = |extra: Vec<Labelled>| {
        let mut log = owners.clone();
        log.extend(extra);
        let mut attack = attempt.clone();
        attack.attack_ip = true;
        log.push(Labelled::from_log(attack));
        log.sort_by_key(|l| l.record.at);
        let report = replay(&log);
        let engine = report.scorer(Scorer::Engine).unwrap();
        let kind = engine.kind(AttackerKind::Labelled).unwrap();
        assert_eq!(kind.attempts, 1);
        (kind.challenged, kind.blocked)
    };
    // Alone, the attempt is the owner's usual sign-in.
    assert_eq!(engine_on(Vec::new()), (0.0, 0.0));
    // The address failed on 25 other accounts in the last ten minutes: credential stuffing, a
    // challenge (strangers share addresses; the model found nothing unusual).
    assert_eq!(engine_on(failures(&others[..25], 10 * minute)), (1.0, 0.0));
    // Ten failures on this account from this address in the hour: challenged (refused only
    // when the model too finds the sign-in unusual, so a stranger behind the owner's address
    // can't get the owner locked out).
    assert_eq!(engine_on(failures(&[victim; 10], 50 * minute)), (1.0, 0.0));
    // Two failures are a typo's worth: nothing.
    assert_eq!(engine_on(failures(&[victim; 2], 5 * minute)), (0.0, 0.0));
    // The same ten, two hours back, are outside the window.
    assert_eq!(engine_on(failures(&[victim; 10], 120 * minute)), (0.0, 0.0));

    // A failure dated a century ahead (a mistyped year) ends the replay with an error at the
    // next attempt, instead of holding every later failure in the counts for good.
    let mut replay = new_replay();
    let mut typo = last.clone();
    typo.success = false;
    typo.at = at(&last, 100 * 365 * 86_400_000);
    replay.observe(&last, None).unwrap();
    replay.observe(&last, None).unwrap();
    replay.observe(&typo, None).unwrap();
    assert_eq!(
        replay.observe(&attempt, None).unwrap_err(),
        acctsec_risk::Error::Invalid(
            "replay",
            "an attempt earlier than one before it: replay a log in time order"
        )
    );
}

#[test]
fn generated_logs_are_in_the_data_set_s_schema_and_read_back_whole() {
    let log = SyntheticLog::new(9)
        .users(40)
        .days(20)
        .attacks_per_kind(3)
        .generate();
    let mut csv = Vec::new();
    write_rba_header(&mut csv).unwrap();
    for l in &log {
        l.record.write_csv(&mut csv).unwrap();
    }
    let read: Vec<_> = RbaReader::new(Cursor::new(csv))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(read.len(), log.len());
    for (r, l) in read.iter().zip(&log) {
        assert_eq!(r, &l.record);
        // Simulated attacks carry the data set's attack labels.
        assert_eq!(r.attack_ip, l.attacker.is_some());
        assert_eq!(
            Labelled::from_log(r.clone()).attacker.is_some(),
            l.attacker.is_some()
        );
    }
    assert!(log.iter().any(|l| !l.record.success), "some typos");
    // What the reader would not read back is refused rather than written as a broken row.
    let refused = |change: &dyn Fn(&mut RbaRecord)| {
        let mut broken = log[0].record.clone();
        change(&mut broken);
        let mut out = Vec::new();
        let kind = broken.write_csv(&mut out).unwrap_err().kind();
        (kind, out.len())
    };
    let invalid = (std::io::ErrorKind::InvalidData, 0);
    assert_eq!(refused(&|r| r.region = Some("a\nb".to_owned())), invalid);
    assert_eq!(refused(&|r| r.rtt_ms = Some(f64::NAN)), invalid);
    assert_eq!(refused(&|r| r.rtt_ms = Some(-1.0)), invalid);
    assert_eq!(refused(&|r| r.city = Some("x".repeat(9_000))), invalid);
    assert_eq!(
        refused(&|r| r.at = acctsec_core::Timestamp::from_unix_millis(253_402_300_800_000)),
        invalid
    );
    assert_eq!(
        refused(&|r| r.at = acctsec_core::Timestamp::from_unix_millis(-62_167_219_200_001)),
        invalid
    );
    // The edges of the reader's years are written and read back.
    for ms in [-62_167_219_200_000, 253_402_300_799_999] {
        let mut edge = log[0].record.clone();
        edge.at = acctsec_core::Timestamp::from_unix_millis(ms);
        let mut csv = Vec::new();
        write_rba_header(&mut csv).unwrap();
        edge.write_csv(&mut csv).unwrap();
        let back = RbaReader::new(Cursor::new(csv))
            .unwrap()
            .next()
            .unwrap()
            .unwrap();
        assert_eq!(back, edge);
    }
}

#[test]
fn attackers_are_injected_as_described() {
    let mut log = SyntheticLog::new(5)
        .users(200)
        .days(60)
        .attacks_per_kind(0)
        .generate();
    assert!(log.iter().all(|l| l.attacker.is_none()));
    let owners = log.clone();
    inject_attackers(&mut log, 50, 11);
    assert_eq!(log.len(), owners.len() + 150);
    assert!(log.windows(2).all(|w| w[0].record.at <= w[1].record.at));
    assert!(
        log.iter()
            .enumerate()
            .all(|(i, l)| l.record.index == i as u64)
    );
    for l in log.iter().filter(|l| l.attacker.is_some()) {
        let attack = &l.record;
        // The victim's sign-ins before the attack.
        let before: Vec<_> = owners
            .iter()
            .map(|o| &o.record)
            .filter(|o| o.user == attack.user && o.success && o.at < attack.at)
            .collect();
        assert!(before.len() >= 3, "a victim with history");
        assert!(attack.success && attack.attack_ip && attack.account_takeover);
        match l.attacker {
            Some(AttackerKind::Targeted) => {
                // Country, network and browser of one of the victim's sign-ins; the address new.
                assert!(before.iter().any(|o| o.country == attack.country
                    && o.asn == attack.asn
                    && o.user_agent == attack.user_agent));
                let net = |ip: &std::net::IpAddr| match ip {
                    std::net::IpAddr::V4(v4) => v4.octets()[..2].to_vec(),
                    std::net::IpAddr::V6(v6) => v6.octets()[..8].to_vec(),
                };
                assert!(before.iter().any(|o| net(&o.ip) == net(&attack.ip)));
            }
            Some(AttackerKind::Vpn) => {
                assert!(before.iter().any(|o| o.country == attack.country));
                // A network someone else used in that country.
                assert!(owners.iter().any(|o| o.record.user != attack.user
                    && o.record.country == attack.country
                    && o.record.asn == attack.asn));
            }
            Some(AttackerKind::Naive) => {
                // Someone else's sign-in, whole.
                assert!(owners.iter().any(|o| o.record.user != attack.user
                    && o.record.ip == attack.ip
                    && o.record.user_agent == attack.user_agent));
            }
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn the_public_sample_is_evaluated_with_its_own_labels() {
    let text = include_str!("../../../testdata/rba-login-sample.csv");
    let log: Vec<Labelled> = RbaReader::new(Cursor::new(text))
        .unwrap()
        .map(|r| Labelled::from_log(r.unwrap()))
        .collect();
    let labelled = log.iter().filter(|l| l.attacker.is_some()).count();
    let report = replay(&log);
    let scored: usize = report.legit
        + report
            .scorer(Scorer::Bounded)
            .unwrap()
            .kinds
            .iter()
            .map(|k| k.attempts)
            .sum::<usize>();
    assert_eq!(scored as u64 + report.without_history, log.len() as u64);
    // Two rows of the sample are labelled attacks; at most both are scored, as "labelled".
    assert_eq!(labelled, 2);
    for s in &report.scorers {
        assert!(
            s.kinds
                .iter()
                .all(|k| k.kind == AttackerKind::Labelled && k.attempts <= 2)
        );
    }
}

/// The generator's user agents are real ones: uap-core's rules read the same browser and system
/// from each as the generator wrote in the row's parsed columns.
#[cfg(feature = "ua-parser")]
#[test]
fn generated_user_agents_parse_as_labelled_and_current_ones_are_not_outdated() {
    use acctsec_risk::{MinimumVersions, UapParser, UserAgentParser};

    let rules = include_str!("../../../testdata/uap-core-regexes.json");
    let parser = UapParser::new(serde_json::from_str(rules).unwrap()).unwrap();
    let log = SyntheticLog::new(2)
        .users(300)
        .days(400)
        .attacks_per_kind(0)
        .generate();
    let minimums = MinimumVersions::default();
    let mut agents: Vec<_> = log.iter().map(|l| &l.record).collect();
    agents.dedup_by_key(|r| r.user_agent.clone());
    assert!(agents.len() > 100);
    // The row's own columns as the engine reads them ("Chrome 120.0.0" → Chrome 120).
    for r in agents {
        let software = parser.parse(&r.user_agent);
        let labelled = r.software();
        assert!(labelled.browser.is_some() && labelled.os.is_some());
        let versions = |s: &acctsec_risk::Software| {
            [&s.browser, &s.os].map(|v| v.as_ref().map(|v| (v.family().to_owned(), v.major())))
        };
        assert_eq!(versions(&software), versions(&labelled), "{}", r.user_agent);
        assert!(minimums.outdated(&software).is_empty(), "{}", r.user_agent);
    }
}
