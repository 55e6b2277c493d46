//! The login-log reader against the public data set's own rows, and against broken input.

// Test code: unwrapping and panicking is how a test fails.
#![allow(clippy::unwrap_used, clippy::panic)]

use std::io::{Cursor, Read};

use acctsec_core::{DeviceDigest, Timestamp, UserAgent, UserId};
use acctsec_risk::{
    AccountRisk, Action, Attempt, CountryCode, Engine, Error, Failures, Geo, History, Level,
    Location, MAX_POPULATION_LOGINS_PER_USER, MAX_PROFILE_ENCODED_BYTES, MAX_RBA_LINE_BYTES,
    MAX_USER_MODEL_ENCODED_BYTES, ModelKey, Observation, Population, Profile, RBA_COLUMNS,
    RbaReader, RbaRecord, ReasonCode, Thresholds, UserModel,
};
use proptest::prelude::*;

const SAMPLE: &str = include_str!("../../../testdata/rba-login-sample.csv");

fn header() -> String {
    RBA_COLUMNS.join(",")
}

fn read_all(text: &str) -> Vec<Result<RbaRecord, Error>> {
    RbaReader::new(Cursor::new(text.as_bytes()))
        .unwrap()
        .collect()
}

#[test]
fn the_public_sample_reads_whole() {
    let rows: Vec<RbaRecord> = read_all(SAMPLE).into_iter().map(Result::unwrap).collect();
    assert_eq!(
        rows.len(),
        19,
        "the header and the first 19 rows of the public set"
    );
    let first = &rows[0];
    assert_eq!(first.index, 0);
    assert_eq!(first.at.to_string(), "2020-02-03T12:43:30.772Z");
    assert_eq!(first.user, -4_324_475_583_306_591_935);
    assert_eq!(first.rtt_ms, None);
    assert_eq!(first.ip.to_string(), "10.0.65.171");
    assert_eq!(first.country.map(|c| c.to_string()).as_deref(), Some("NO"));
    assert_eq!(
        (first.region.as_deref(), first.city.as_deref()),
        (None, None)
    );
    assert_eq!(first.asn, Some(29_695));
    // An unbalanced parenthesis, unquoted, kept as it is.
    assert!(
        first
            .user_agent
            .as_str()
            .ends_with("(Chrome variation/248113")
    );
    assert_eq!(first.browser.as_deref(), Some("Firefox 20.0.0.1618"));
    assert_eq!(first.device_type.as_deref(), Some("mobile"));
    assert!(!first.success && !first.attack_ip && !first.account_takeover);
    // A quoted user agent with commas inside.
    assert!(
        rows[1]
            .user_agent
            .as_str()
            .contains("(KHTML, like Gecko Chrome/46.0.2490.76")
    );
    assert_eq!(rows[1].ip.to_string(), "194.87.207.6");
    // A region and a city, and a successful sign-in.
    assert_eq!(
        (rows[2].region.as_deref(), rows[2].city.as_deref()),
        (Some("Vestland"), Some("Urangsvag"))
    );
    assert!(rows[2].success);
    assert!(
        rows.windows(2).all(|w| w[0].at <= w[1].at),
        "the log is in time order"
    );
}

#[test]
fn a_bad_row_is_reported_with_its_line_and_reading_goes_on() {
    let good = SAMPLE.lines().nth(1).unwrap();
    let text = format!(
        "{}\n{good}\n{}\n{good}\nnot,enough,columns\n{}\n{good}\n",
        header(),
        good.replacen("2020-02-03", "2020-02-30", 1),
        "x".repeat(MAX_RBA_LINE_BYTES + 100),
    );
    let rows = read_all(&text);
    let summary: Vec<Result<u64, (usize, &str)>> = rows
        .iter()
        .map(|r| match r {
            Ok(rec) => Ok(rec.index),
            Err(Error::Row { line, reason }) => Err((*line, *reason)),
            Err(e) => panic!("{e}"),
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            Ok(0),
            Err((3, "bad timestamp")),
            Ok(0),
            Err((5, "wrong number of columns")),
            Err((6, "line too long")),
            Ok(0),
        ]
    );
}

#[test]
fn the_header_must_be_the_data_set_s() {
    for text in ["", "a,b,c\n1,2,3\n", &header().replace("ASN", "AS Number")] {
        assert!(
            matches!(
                RbaReader::new(Cursor::new(text.as_bytes())),
                Err(Error::Row { line: 1, .. })
            ),
            "{text:?}"
        );
    }
    // A byte-order mark before the header is tolerated.
    assert!(RbaReader::new(Cursor::new(format!("\u{feff}{}\n", header()).into_bytes())).is_ok());
}

#[test]
fn field_values_are_checked() {
    let good = SAMPLE.lines().nth(1).unwrap().to_owned();
    for (from, to, reason) in [
        ("-4324475583306591935", "user-7", "bad user id"),
        ("10.0.65.171", "10.0.65.999", "bad IP address"),
        (",NO,", ",NOR,", "bad country"),
        (",29695,", ",AS29695,", "bad ASN"),
        (
            "False,False,False",
            "False,Maybe,False",
            "expected True or False",
        ),
        ("0,2020", "-1,2020", "bad index"),
    ] {
        let row = good.replacen(from, to, 1);
        assert_ne!(row, good, "{from}");
        let got = read_all(&format!("{}\n{row}\n", header()));
        assert!(
            matches!(got.as_slice(), [Err(Error::Row { line: 2, reason: r })] if *r == reason),
            "{from}: {got:?}"
        );
    }
}

proptest! {
    #[test]
    fn any_input_reads_without_panicking(body in prop::collection::vec(any::<u8>(), 0..3000), rows in prop::collection::vec("[ -~]{0,200}", 0..20)) {
        let mut text = header().into_bytes();
        text.push(b'\n');
        text.extend_from_slice(&body);
        for _ in RbaReader::new(Cursor::new(text)).unwrap() {}
        let text = format!("{}\n{}", header(), rows.join("\n"));
        for _ in RbaReader::new(Cursor::new(text.into_bytes())).unwrap() {}
    }
}

fn observation(v: &[u8]) -> Observation {
    let s: Vec<String> = v.iter().map(|b| (b % 4).to_string()).collect();
    Observation::new([&s[0], &s[1], &s[2]], [&s[3], &s[4], &s[5], &s[6]])
}

proptest! {
    #[test]
    fn scores_are_finite_and_deterministic(
        logins in prop::collection::vec((0_u64..5, prop::collection::vec(any::<u8>(), 7)), 1..60),
        attempt in prop::collection::vec(any::<u8>(), 7),
        who in 0_u64..6,
    ) {
        let mut history = History::new();
        for (user, values) in &logins {
            history.learn(&UserId::from(*user), &observation(values));
        }
        let user = UserId::from(who);
        let obs = observation(&attempt);
        let first = history.score(&user, &obs);
        prop_assert_eq!(first.is_some(), history.logins_of(&user) > 0);
        if let Some(score) = first {
            prop_assert!(score.ln().is_finite() && score.value() > 0.0, "{:?}", score);
            prop_assert_eq!(history.score(&user, &obs), first);
            prop_assert_eq!(history.clone().score(&user, &obs), first);
        }
    }

    /// The bounded model too, on any strings, any times (out of order, far past or future) and
    /// any sketch width, including ones small enough to collide.
    #[test]
    fn bounded_scores_are_finite_and_deterministic(
        logins in prop::collection::vec((0_usize..5, prop::collection::vec(".{0,12}", 7), any::<i64>()), 1..60),
        attempt in prop::collection::vec(".{0,600}", 7),
        who in 0_usize..6,
        widths in (8_u32..12, 8_u32..12),
        at in any::<i64>(),
    ) {
        let mut population = Population::with_widths(ModelKey::new([5; 16]), widths.0, widths.1).unwrap();
        let mut models = vec![UserModel::default(); 6];
        for (user, values, at) in &logins {
            let hashed = population.hash(
                [&values[0], &values[1], &values[2]],
                [&values[3], &values[4], &values[5], &values[6]],
            );
            population.learn(&mut models[*user], &hashed, Timestamp::from_unix_millis(*at));
        }
        let hashed = population.hash(
            [&attempt[0], &attempt[1], &attempt[2]],
            [&attempt[3], &attempt[4], &attempt[5], &attempt[6]],
        );
        let model = &models[who];
        let first = population.score(model, &hashed);
        prop_assert_eq!(first.is_some(), model.logins() > 0);
        if let Some(score) = first {
            prop_assert!(score.ln().is_finite() && score.value() > 0.0, "{:?}", score);
            prop_assert_eq!(population.score(model, &hashed), first);
            let stored = UserModel::from_bytes(&model.to_bytes()).unwrap();
            prop_assert_eq!(population.score(&stored, &hashed), first);
        }
        // At a time (any: the hour term and the age window apply), likewise; only a model with
        // sign-ins has any within the window.
        let timed = hashed.at(Timestamp::from_unix_millis(at));
        let then = population.score(model, &timed);
        if let Some(score) = then {
            prop_assert!(first.is_some());
            prop_assert!(score.ln().is_finite() && score.value() > 0.0, "{:?}", score);
            prop_assert_eq!(population.score(model, &timed), then);
        }
    }

    /// The whole engine, on any address, user agent, time, cookie and counters, against an
    /// account that learned any sign-ins: a verdict whose action follows its level, and the
    /// same verdict twice.
    #[test]
    fn the_engine_gives_a_consistent_verdict_for_any_attempt(
        logins in prop::collection::vec((any::<[u8; 4]>(), ".{0,40}", any::<i64>(), any::<bool>()), 0..30),
        attempt in (any::<[u8; 16]>(), ".{0,600}", any::<i64>(), any::<Option<u8>>(), any::<(u64, u64, u64)>()),
        again in any::<Option<prop::sample::Index>>(),
        audit in any::<bool>(),
    ) {
        let thresholds = Thresholds::builder().with_audit_only(audit).build().unwrap();
        let mut engine = Engine::new(Population::with_widths(ModelKey::new([6; 16]), 8, 8).unwrap())
            .with_thresholds(thresholds);
        let mut state = AccountRisk::new();
        let device = |n: u8| DeviceDigest::from_bytes([n; 32]);
        for (ip, ua, at, cookie) in &logins {
            let ua = UserAgent::new(ua);
            let mut a = Attempt::new(Timestamp::from_unix_millis(*at), std::net::IpAddr::from(*ip), &ua);
            if *cookie {
                a = a.with_device(device(1));
            }
            let checked = engine.check(&state, &a);
            engine.learn(&mut state, checked);
        }
        let (ip, ua, at, cookie, (this_source, account, sources)) = attempt;
        // Sometimes the address and user agent of a sign-in the account learned (the owner's
        // own), otherwise anything.
        let (ip, ua) = match again.filter(|_| !logins.is_empty()).map(|i| i.get(&logins)) {
            Some((own_ip, own_ua, _, _)) => (std::net::IpAddr::from(*own_ip), own_ua.clone()),
            None => (std::net::IpAddr::from(ip), ua),
        };
        let ua = UserAgent::new(&ua);
        let mut a = Attempt::new(Timestamp::from_unix_millis(at), ip, &ua)
            .with_failures(Failures::new(this_source, account, sources));
        if let Some(n) = cookie {
            a = a.with_device(device(n));
        }
        let verdict = engine.check(&state, &a).assessment;
        prop_assert!(verdict.score.is_none_or(|s| s.is_finite() && s > 0.0), "{:?}", verdict.score);
        let expected = match (audit, verdict.level) {
            (true, _) | (false, Level::Low) => Action::Allow,
            (false, Level::Medium) => Action::Challenge,
            (false, Level::High) => Action::Block,
        };
        prop_assert_eq!(verdict.action, expected);
        // Every challenge or refusal says why; a sign-in let in may only note what the owner is
        // told of (a new device, outdated software, an unusual hour).
        prop_assert!(verdict.level == Level::Low || !verdict.reasons.is_empty());
        if verdict.level == Level::Low {
            for reason in &verdict.reasons {
                prop_assert!(
                    matches!(reason.code, ReasonCode::NewDevice | ReasonCode::OutdatedSoftware | ReasonCode::UnusualHour),
                    "{:?}",
                    reason.code
                );
            }
        }
        prop_assert_eq!(&engine.check(&state, &a).assessment, &verdict);
        let stored = AccountRisk::from_data(&state.to_data().unwrap()).unwrap();
        prop_assert_eq!(&engine.check(&stored, &a).assessment, &verdict);
    }
}

#[test]
fn the_public_sample_replays_through_the_model() {
    // Score each successful sign-in before learning it, as the evaluation will.
    let mut history = History::new();
    let mut scored = 0;
    for record in read_all(SAMPLE)
        .into_iter()
        .map(Result::unwrap)
        .filter(|r| r.success)
    {
        let user = UserId::from(record.user);
        let obs = Observation::from(&record);
        if let Some(score) = history.score(&user, &obs) {
            assert!(score.ln().is_finite());
            scored += 1;
        }
        history.learn(&user, &obs);
    }
    assert_eq!(
        history.logins_of(&UserId::from(-3_284_137_479_262_433_373_i64)),
        1
    );
    assert!(scored <= 19);
}

#[test]
fn line_length_edges_and_odd_bytes() {
    let good = SAMPLE.lines().nth(1).unwrap();
    let at_max = format!("{good}{}", " ".repeat(MAX_RBA_LINE_BYTES - good.len()));
    let over = format!("{at_max} ");
    assert_eq!(at_max.len(), MAX_RBA_LINE_BYTES);
    let mut text = format!("{}\r\n{at_max}\r\n", header()).into_bytes();
    text.extend_from_slice(over.as_bytes());
    text.push(b'\n');
    text.extend_from_slice(&vec![b'x'; 3 * MAX_RBA_LINE_BYTES + 7]);
    text.push(b'\n');
    text.extend_from_slice(b"\xff\xfe not utf-8\n");
    text.extend_from_slice(good.as_bytes());
    text.push(b'\n');
    text.extend_from_slice(&vec![b'y'; 2 * MAX_RBA_LINE_BYTES]); // overlong, no final newline
    let got: Vec<Result<u64, (usize, &str)>> = RbaReader::new(Cursor::new(text))
        .unwrap()
        .map(|r| match r {
            Ok(rec) => Ok(rec.index),
            Err(Error::Row { line, reason }) => Err((line, reason)),
            Err(e) => panic!("{e}"),
        })
        .collect();
    // A line of exactly the maximum (with CRLF) is read, and refused on its padded last value,
    // not its length; one byte more is too long; so are longer ones, with or without an end.
    assert_eq!(
        got,
        vec![
            Err((2, "expected True or False")),
            Err((3, "line too long")),
            Err((4, "line too long")),
            Err((5, "not UTF-8")),
            Ok(0),
            Err((7, "line too long")),
        ]
    );
}

#[test]
fn debug_shows_no_place_address_or_user_agent() {
    let rows: Vec<RbaRecord> = read_all(SAMPLE).into_iter().map(Result::unwrap).collect();
    let row = &rows[0];
    let observation = Observation::from(row);
    let mut history = History::new();
    history.learn(&UserId::from(7_u64), &observation);
    let oslo = Location::new(59.913_87, 10.752_25, 5.0).unwrap();
    let mut geo = Geo::default();
    geo.location = Some(oslo);
    // A reader part-way through the log holds the last row it read.
    let mut reader = RbaReader::new(Cursor::new(SAMPLE)).unwrap();
    assert!(reader.next().unwrap().is_ok());
    let shown = format!("{row:?} {observation:?} {history:?} {oslo:?} {geo:?} {reader:?}");
    for leak in [
        "10.0.65.171",
        "-4324475583306591935",
        "Mozilla",
        "29695",
        "59.9",
        "10.75",
    ] {
        assert!(!shown.contains(leak), "{leak} in {shown}");
    }
    // What it does show: the row, the time, the counts, the accuracy.
    for kept in [
        "index: 0",
        "logins: 1",
        "users: 1",
        "accuracy_km: 5.0",
        "RbaReader { line: 2",
    ] {
        assert!(shown.contains(kept), "{kept} not in {shown}");
    }
}

#[test]
fn a_line_without_end_stops_reading_with_its_own_error() {
    let good = SAMPLE.lines().nth(1).unwrap();
    let endless = std::io::repeat(b'x').take(65 << 20);
    let input = Cursor::new(format!("{}\n{good}\n", header()))
        .chain(endless)
        .chain(Cursor::new(format!("\n{good}\n")));
    let got: Vec<_> = RbaReader::new(std::io::BufReader::new(input))
        .unwrap()
        .map(|r| r.map(|rec| rec.index))
        .collect();
    // The row before is read; the row after the endless line is not, and the error says so
    // instead of passing for one skipped row.
    assert_eq!(got, vec![Ok(0), Err(Error::Unterminated { line: 3 })]);
}

/// A reader that always fails.
struct Broken;

impl std::io::Read for Broken {
    fn read(&mut self, _: &mut [u8]) -> std::io::Result<usize> {
        Err(std::io::Error::other("disk on fire"))
    }
}

#[test]
fn an_io_error_ends_reading() {
    let input = std::io::BufReader::new(std::io::Read::chain(
        Cursor::new(format!("{}\n", header()).into_bytes()),
        Broken,
    ));
    let rows: Vec<_> = RbaReader::new(input).unwrap().take(10).collect();
    assert_eq!(rows.len(), 1, "one error, then the end: {rows:?}");
    assert!(matches!(rows[0], Err(Error::Io { line: 2 })));
}

#[test]
fn a_profile_stays_within_its_bounds_after_a_million_sign_ins() {
    let mut profile = Profile::new();
    let mut state = 0x9E37_79B9_7F4A_7C15_u64;
    let countries: Vec<CountryCode> = (b'A'..=b'Z')
        .flat_map(|a| {
            [b'A', b'E', b'O'].map(move |b| {
                CountryCode::new(&format!("{}{}", char::from(a), char::from(b))).unwrap()
            })
        })
        .collect();
    for i in 0..1_000_000_i64 {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let country = countries[usize::try_from(state % countries.len() as u64).unwrap()];
        let cookie = acctsec_core::DeviceId::new(format!("dev-{}", state % 1000)).unwrap();
        let device = acctsec_core::DeviceDigest::of(&UserId::from(1_u64), &cookie);
        profile.learn(
            Some(country),
            Some(&device),
            None,
            acctsec_core::Timestamp::from_unix_secs(i),
        );
    }
    let stored = profile.to_data().unwrap();
    assert!(stored.as_bytes().len() <= MAX_PROFILE_ENCODED_BYTES);
    assert_eq!(
        stored.as_bytes().len(),
        MAX_PROFILE_ENCODED_BYTES - 32,
        "full caps, no known place"
    );
    assert_eq!(profile.successes(), 1_000_000);
}

#[test]
fn the_bounded_model_stays_within_its_bounds_after_a_million_sign_ins() {
    let mut population = Population::with_widths(ModelKey::new([1; 16]), 12, 10).unwrap();
    let memory = population.memory_bytes();
    let mut models = vec![UserModel::default(); 8];
    let mut state = 0x2545_F491_4F6C_DD1D_u64;
    for i in 0..1_000_000_i64 {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let ip = format!(
            "10.{}.{}.{}",
            state % 7,
            (state >> 8) % 256,
            (state >> 16) % 256
        );
        let ua = format!("agent {}", (state >> 24) % 5_000);
        let hashed = population.hash(
            [&ip, &format!("{}", (state >> 40) % 300), "NO"],
            [&ua, &ua, "os", "desktop"],
        );
        // Mostly in order, sometimes a day late.
        let at = i * 60 - i64::from(state.is_multiple_of(16)) * 86_400;
        let user = usize::try_from(state >> 61).unwrap();
        population.learn(&mut models[user], &hashed, Timestamp::from_unix_secs(at));
    }
    // Each account adds at most its share to the population; its own model holds the rest.
    assert_eq!(population.logins(), 8 * MAX_POPULATION_LOGINS_PER_USER);
    assert_eq!(population.users(), 8);
    assert_eq!(population.memory_bytes(), memory);
    for model in &models {
        let bytes = model.to_bytes();
        assert!(bytes.len() <= MAX_USER_MODEL_ENCODED_BYTES);
        assert_eq!(&UserModel::from_bytes(&bytes).unwrap(), model);
        assert!(model.logins() > 100_000);
    }
}

/// A population learned from a synthetic log, kept and read back: the same scores, and
/// anything that is not such a population (another key, another length, impossible counts)
/// refused.
#[test]
fn a_population_is_stored_and_read_back_whole() {
    let key = || ModelKey::new([8; 16]);
    let log = acctsec_risk::SyntheticLog::new(4)
        .users(200)
        .days(30)
        .attacks_per_kind(0)
        .generate();
    let mut population = Population::new(key());
    let mut models = std::collections::HashMap::<i64, UserModel>::new();
    let hash = |p: &Population, r: &RbaRecord| p.hash_observation(&Observation::from(r));
    for r in log.iter().map(|l| &l.record).filter(|r| r.success) {
        let hashed = hash(&population, r);
        population.learn(models.entry(r.user).or_default(), &hashed, r.at);
    }
    let bytes = population.to_bytes();
    assert_eq!(bytes.len(), 43 + population.memory_bytes());
    // A check value of the key, never the key itself.
    assert!(!bytes.windows(16).any(|w| w == [8; 16]));
    assert_eq!(population.memory_bytes(), 4_456_448);
    let back = Population::from_bytes(key(), &bytes).unwrap();
    assert_eq!(
        (back.logins(), back.users()),
        (population.logins(), population.users())
    );
    assert!(population.users() > 150 && population.logins() > population.users());
    let mut scored = 0;
    for r in log.iter().map(|l| &l.record).step_by(7) {
        let model = &models[&r.user];
        let score = population.score(model, &hash(&population, r));
        assert_eq!(back.score(model, &hash(&back, r)), score);
        scored += usize::from(score.is_some());
    }
    assert!(scored > 100, "{scored}");
    assert_eq!(back.to_bytes(), bytes);
    assert_eq!(
        Population::from_bytes(ModelKey::new([9; 16]), &bytes).unwrap_err(),
        Error::Invalid("population", "made with another key")
    );

    // Small sketches, to break each part of the form.
    let mut small = Population::with_widths(key(), 8, 9).unwrap();
    let mut model = UserModel::default();
    let hashed = small.hash(["192.0.2.1", "64500", "NO"], ["ua", "b", "o", "d"]);
    for day in 0..3 {
        small.learn(&mut model, &hashed, Timestamp::from_unix_secs(day * 86_400));
    }
    let good = small.to_bytes();
    assert_eq!(good.len(), 43 + 4 * 4 * (256 + 512));
    assert!(Population::from_bytes(key(), &good).is_ok());
    let refused = |change: &dyn Fn(&mut Vec<u8>)| {
        let mut bytes = good.clone();
        change(&mut bytes);
        match Population::from_bytes(key(), &bytes) {
            Err(Error::Invalid("population", why)) => why,
            other => panic!("{other:?}"),
        }
    };
    assert_eq!(refused(&|b| b.truncate(b.len() - 1)), "truncated");
    assert_eq!(refused(&|b| b.push(0)), "trailing bytes");
    assert_eq!(refused(&|b| b.truncate(0)), "truncated");
    assert_eq!(refused(&|b| b[0] = 2), "unknown format version");
    assert_eq!(refused(&|b| b[1] = 7), "bad sketch width");
    // Three bytes claiming the widest sketches (2 GiB) are refused on their length.
    assert_eq!(
        Population::from_bytes(key(), &[1, 26, 26]).unwrap_err(),
        Error::Invalid("population", "truncated")
    );
    assert_eq!(refused(&|b| b[2] = 27), "bad sketch width");
    // Widths that the stored cells do not fill.
    assert_eq!(refused(&|b| b[2] = 8), "trailing bytes");
    assert_eq!(refused(&|b| b[1] = 9), "truncated");
    // Totals at 11..19 (sign-ins), 19..27 (users), 27..35 and 35..43 (distinct values).
    assert_eq!(
        refused(&|b| b[19..27].copy_from_slice(&4_u64.to_le_bytes())),
        "more users than sign-ins"
    );
    assert_eq!(
        refused(&|b| b[27..35].copy_from_slice(&7_u64.to_le_bytes())),
        "more distinct values than sign-ins"
    );
    // Fewer sign-ins (1 of 3) than the cells record.
    assert_eq!(
        refused(&|b| b[11..19].copy_from_slice(&1_u64.to_le_bytes())),
        "a row of counts above its sign-ins"
    );
    let cell = 43 + 4 * 100;
    assert_eq!(
        refused(&|b| b[cell..cell + 4].copy_from_slice(&7_u32.to_le_bytes())),
        "a row of counts above its sign-ins"
    );
    // Three sign-ins added six to each first-level row (two values each): one more anywhere in
    // a row is more than they could add, though the cell itself is within bounds.
    let row_sum = |b: &[u8], row: usize| -> u32 {
        b[43 + 4 * 256 * row..43 + 4 * 256 * (row + 1)]
            .chunks(4)
            .map(|c| u32::from_le_bytes(c.try_into().unwrap()))
            .sum()
    };
    assert_eq!(
        (0..4).map(|row| row_sum(&good, row)).collect::<Vec<_>>(),
        [6; 4]
    );
    let empty = (0..256)
        .map(|i| 43 + 4 * i)
        .find(|&at| good[at..at + 4] == [0; 4])
        .unwrap();
    assert_eq!(
        refused(&|b| b[empty] = 1),
        "a row of counts above its sign-ins"
    );
}
