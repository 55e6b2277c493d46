//! The engine end to end: the host's plug points, the population model and an account's stored
//! state, one sign-in at a time.

// Test code: unwrapping is how a test fails.
#![allow(clippy::unwrap_used)]

use std::collections::HashMap;
use std::net::IpAddr;

use acctsec_core::{DeviceDigest, DeviceId, Timestamp, UserAgent, UserId};
use acctsec_risk::{
    AccountRisk, Action, Assessment, Attempt, CountryCode, Engine, Failures, Geo, GeoLookup, Level,
    Location, ModelKey, Population, RangeReputation, SyntheticLog, Thresholds, TravelLimits,
};

/// The host's geolocation, as a table (a real host wires in its licensed database); the synthetic
/// log's 10.n.x.y addresses are network n, in one of four countries.
struct Table(HashMap<IpAddr, (&'static str, u32, f64, f64)>);

impl GeoLookup for Table {
    fn lookup(&self, ip: IpAddr) -> Option<Geo> {
        let synthetic = match ip {
            IpAddr::V4(v4) if v4.octets()[0] == 10 => {
                let n = v4.octets()[1];
                let (country, lat, lon) = [
                    ("US", 40.7, -74.0),
                    ("DE", 52.5, 13.4),
                    ("GB", 51.5, -0.1),
                    ("FR", 48.9, 2.4),
                ][usize::from(n % 4)];
                Some((country, 64_512 + u32::from(n), lat, lon))
            }
            _ => None,
        };
        let (country, asn, lat, lon) = self.0.get(&ip).copied().or(synthetic)?;
        let mut geo = Geo::default();
        geo.country = CountryCode::new(country).ok();
        geo.asn = Some(asn);
        geo.location = Location::new(lat, lon, 20.0).ok();
        Some(geo)
    }
}

const HOME: &str = "192.0.2.10";
const TOR_EXIT: &str = "198.51.100.66";
const BERGEN: &str = "192.0.2.77";
const FIREFOX: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0";
const IPHONE: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1";
const OLD_CHROME: &str = "Mozilla/5.0 (Windows NT 6.1; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/79.0.3945.88 Safari/537.36";

/// The reasons' codes, most serious first.
fn codes(assessment: &Assessment) -> Vec<&'static str> {
    assessment.reasons.iter().map(|r| r.code.code()).collect()
}

fn ip(text: &str) -> IpAddr {
    text.parse().unwrap()
}

fn table() -> Table {
    Table(HashMap::from([
        (ip(HOME), ("NO", 64_500, 59.91, 10.75)),
        (ip(TOR_EXIT), ("BR", 64_511, -22.91, -43.17)),
        (ip(BERGEN), ("NO", 64_500, 60.39, 5.32)),
        (ip("203.0.113.9"), ("BR", 64_513, -22.91, -43.17)),
    ]))
}

/// uap-core's rules, as the engine parses user agents with the `ua-parser` feature.
#[cfg(feature = "ua-parser")]
fn parser() -> acctsec_risk::UapParser {
    let rules = include_str!("../../../testdata/uap-core-regexes.json");
    acctsec_risk::UapParser::new(serde_json::from_str(rules).unwrap()).unwrap()
}

fn engine() -> Engine {
    let reputation = RangeReputation::new(&format!("{TOR_EXIT}\n"), "").unwrap();
    let engine = Engine::new(Population::new(ModelKey::new([7; 16])))
        .with_geo(table())
        .with_reputation(reputation);
    #[cfg(feature = "ua-parser")]
    let engine = engine.with_parser(parser());
    engine
}

/// A service with a crowd of other accounts (a synthetic log), then thirty mornings of sign-ins
/// by the owner from home on the laptop, each learned after it went through.
fn trained() -> (Engine, AccountRisk, DeviceDigest) {
    let mut engine = engine();
    let mut crowd: HashMap<i64, AccountRisk> = HashMap::new();
    let log = SyntheticLog::new(3)
        .users(300)
        .days(30)
        .attacks_per_kind(0)
        .generate();
    for record in log.iter().map(|l| &l.record).filter(|r| r.success) {
        let state = crowd.entry(record.user).or_default();
        let checked = engine.check(
            state,
            &Attempt::new(record.at, record.ip, &record.user_agent),
        );
        engine.learn(state, checked);
    }
    assert!(engine.population().users() > 250);
    let mut state = AccountRisk::new();
    let laptop = DeviceDigest::of(
        &UserId::from(42_u64),
        &DeviceId::new("d-5f1c2a9e7b3d4c60a1b2").unwrap(),
    );
    let ua = UserAgent::new(FIREFOX);
    for day in 0..30 {
        let at = Timestamp::from_unix_secs(day * 86_400 + 8 * 3_600);
        let attempt = Attempt::new(at, ip(HOME), &ua).with_device(laptop);
        let checked = engine.check(&state, &attempt);
        if day == 0 {
            assert_eq!(
                codes(&checked.assessment),
                ["no_history", "new_device"],
                "a first sign-in is challenged, on a device the account does not know yet"
            );
        }
        assert!(engine.learn(&mut state, checked));
    }
    (engine, state, laptop)
}

#[test]
fn the_owner_at_home_is_let_in_quietly() {
    let (engine, state, laptop) = trained();
    let ua = UserAgent::new(FIREFOX);
    let at = Timestamp::from_unix_secs(30 * 86_400 + 9 * 3_600);
    let checked = engine.check(&state, &Attempt::new(at, ip(HOME), &ua).with_device(laptop));
    let a = &checked.assessment;
    assert_eq!(
        (a.level, a.action, a.notify),
        (Level::Low, Action::Allow, false)
    );
    assert!(a.reasons.is_empty(), "{:?}", a.reasons);
    assert!(a.score.unwrap() < 0.1, "{:?}", a.score);
    assert!(format!("{checked:?}").starts_with("Checked { assessment"));
    // The state is stored whole and bounded.
    let stored = state.to_data().unwrap();
    assert!(stored.as_bytes().len() <= acctsec_risk::MAX_ACCOUNT_RISK_BYTES);
    assert_eq!(AccountRisk::from_data(&stored).unwrap(), state);
}

#[test]
fn a_place_and_software_the_host_already_knows_replace_the_engine_s_lookups() {
    let (engine, state, laptop) = trained();
    let ua = UserAgent::new(FIREFOX);
    let at = Timestamp::from_unix_secs(30 * 86_400 + 9 * 3_600);
    let attempt = Attempt::new(at, ip(HOME), &ua).with_device(laptop);
    // The engine's own table puts HOME in Norway; a CDN's header says Brazil.
    let mut brazil = Geo::default();
    brazil.country = CountryCode::new("BR").ok();
    brazil.asn = Some(64_513);
    let software = acctsec_risk::Software::default();
    let told = engine.check_with(&state, &attempt, brazil, &software);
    assert!(
        codes(&told.assessment).contains(&"new_country"),
        "{:?}",
        told.assessment.reasons
    );
    // Given what the lookups would give, it is the same verdict as `check`.
    let looked_up = engine.check(&state, &attempt).assessment;
    let norway = table().lookup(ip(HOME)).unwrap();
    assert_eq!(norway.country, CountryCode::new("NO").ok());
    #[cfg(feature = "ua-parser")]
    let software = acctsec_risk::UserAgentParser::parse(&parser(), &ua);
    assert_eq!(
        engine
            .check_with(&state, &attempt, norway, &software)
            .assessment,
        looked_up
    );
    assert_eq!(looked_up.level, Level::Low);
}

#[test]
fn the_service_s_travel_limits_reach_the_rules() {
    let (engine, state, laptop) = trained();
    let ua = UserAgent::new(FIREFOX);
    // Two hours after the last sign-in at home in Oslo, from Bergen, about 305 km away.
    let at = Timestamp::from_unix_secs(29 * 86_400 + 10 * 3_600);
    let attempt = Attempt::new(at, ip(BERGEN), &ua).with_device(laptop);
    let default = engine.check(&state, &attempt).assessment;
    assert!(
        !codes(&default).contains(&"impossible_travel"),
        "{default:?}"
    );
    let slow = Thresholds::builder()
        .with_travel(TravelLimits::new(100.0, 100.0).unwrap())
        .build()
        .unwrap();
    let engine = engine.with_thresholds(slow);
    let strict = engine.check(&state, &attempt).assessment;
    assert_eq!(
        codes(&strict).first(),
        Some(&"impossible_travel"),
        "{strict:?}"
    );
    assert_eq!(strict.level, Level::High);
}

#[test]
fn a_stranger_with_the_password_is_blocked_and_told_why() {
    let (engine, state, _) = trained();
    let ua = UserAgent::new(OLD_CHROME);
    // An hour after the last sign-in, from Rio through a Tor exit, on an old browser, with no
    // cookie. (Whether the model's score alone reaches "unusual" depends on the crowd: the old
    // browser is a desktop like the owner's, and the owner signs in more than most. The rules
    // decide.)
    let at = Timestamp::from_unix_secs(29 * 86_400 + 9 * 3_600);
    let a = engine
        .check(&state, &Attempt::new(at, ip(TOR_EXIT), &ua))
        .assessment;
    assert_eq!((a.level, a.action), (Level::High, Action::Block));
    assert!(a.notify);
    let codes = codes(&a);
    assert_eq!(
        codes.first(),
        Some(&"impossible_travel"),
        "most serious first"
    );
    let mut expected = vec![
        "impossible_travel",
        "new_country",
        "anonymising_network",
        "new_device",
    ];
    if cfg!(feature = "ua-parser") {
        expected.push("outdated_software");
    }
    let rules: Vec<_> = codes
        .iter()
        .copied()
        .filter(|c| !matches!(*c, "unusual" | "very_unusual"))
        .collect();
    assert_eq!(rules, expected);
    let messages: Vec<_> = a.reasons.iter().map(|r| r.message.as_str()).collect();
    assert!(messages.contains(&"first sign-in from BR"));
    assert!(
        messages.iter().any(|m| m.starts_with("travelled 10,4")),
        "{messages:?}"
    );
    if cfg!(feature = "ua-parser") {
        assert!(messages.contains(&"an outdated browser or system: Chrome 79, Windows 7"));
    }
}

#[test]
fn a_very_unusual_sign_in_on_the_owner_s_own_device_is_challenged_then_learned() {
    let (mut engine, mut state, laptop) = trained();
    // Three days after the last sign-in, from Brazil, on a new browser and a network the account
    // never used: very unusual. Without the account's cookie that is refused; with it, the
    // owner is asked to prove themselves instead, and learned once they have.
    let chrome = UserAgent::new(
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
    );
    let at = Timestamp::from_unix_secs(32 * 86_400 + 3 * 3_600);
    let stranger = engine
        .check(&state, &Attempt::new(at, ip("203.0.113.9"), &chrome))
        .assessment;
    assert!(stranger.score.unwrap() >= 10.0, "{:?}", stranger.score);
    assert_eq!(
        (stranger.level, stranger.action),
        (Level::High, Action::Block)
    );
    assert_eq!(codes(&stranger)[0], "very_unusual");
    let owner = engine.check(
        &state,
        &Attempt::new(at, ip("203.0.113.9"), &chrome).with_device(laptop),
    );
    let verdict = owner.assessment.clone();
    assert_eq!(
        (verdict.level, verdict.action),
        (Level::Medium, Action::Challenge)
    );
    assert!(codes(&verdict).contains(&"very_unusual"), "{verdict:?}");
    assert!(codes(&verdict).contains(&"new_country"));
    assert!(engine.learn(&mut state, owner));
    // Learned: the same place and browser next day is no longer a first.
    let next = Timestamp::from_unix_secs(33 * 86_400 + 3 * 3_600);
    let again = engine
        .check(
            &state,
            &Attempt::new(next, ip("203.0.113.9"), &chrome).with_device(laptop),
        )
        .assessment;
    assert!(!codes(&again).contains(&"new_country"), "{again:?}");
    assert!(again.score.unwrap() < verdict.score.unwrap());
}

#[test]
fn failures_behind_the_owner_s_address_challenge_but_do_not_lock_the_owner_out() {
    let (engine, state, laptop) = trained();
    let ua = UserAgent::new(FIREFOX);
    let at = Timestamp::from_unix_secs(30 * 86_400 + 8 * 3_600);
    let stuffing = Failures::new(50, 500, 400);
    let owner = Attempt::new(at, ip(HOME), &ua)
        .with_device(laptop)
        .with_failures(stuffing);
    let a = engine.check(&state, &owner).assessment;
    assert_eq!(a.action, Action::Challenge, "{:?}", a.reasons);
    // The owner in a private window (no cookie) at home: challenged, not locked out.
    let private = Attempt::new(at, ip(HOME), &ua).with_failures(stuffing);
    assert_eq!(
        engine.check(&state, &private).assessment.action,
        Action::Challenge
    );
    // The same counters on an attempt the model finds unusual (another country, network and
    // kind of device): blocked.
    let other = UserAgent::new(IPHONE);
    let stranger = Attempt::new(at, ip("10.3.1.2"), &other).with_failures(stuffing);
    let verdict = engine.check(&state, &stranger).assessment;
    assert_eq!(verdict.action, Action::Block, "{:?}", verdict.reasons);
}

#[test]
fn the_owner_s_own_vpn_sign_in_does_not_move_them_nor_lock_them_out_at_home() {
    let (mut engine, mut state, laptop) = trained();
    let ua = UserAgent::new(FIREFOX);
    // On the laptop, through an anonymiser whose exit is in Brazil: challenged, and the owner
    // passes the challenge, so the sign-in is learned.
    let at = Timestamp::from_unix_secs(30 * 86_400 + 8 * 3_600);
    let vpn = engine.check(
        &state,
        &Attempt::new(at, ip(TOR_EXIT), &ua).with_device(laptop),
    );
    assert_eq!(
        vpn.assessment.action,
        Action::Challenge,
        "{:?}",
        vpn.assessment.reasons
    );
    assert!(engine.learn(&mut state, vpn));
    // An hour later at home in Oslo: 10,000 km from the exit, but the exit was never where the
    // owner was, so no impossible travel, and the owner is let in.
    let later = at.saturating_add(std::time::Duration::from_secs(3_600));
    let home = engine.check(
        &state,
        &Attempt::new(later, ip(HOME), &ua).with_device(laptop),
    );
    assert_eq!(
        home.assessment.action,
        Action::Allow,
        "{:?}",
        home.assessment.reasons
    );
    assert!(!codes(&home.assessment).contains(&"impossible_travel"));
    // Nor does the exit's country vouch for Brazil now: a sign-in from there (not through the
    // anonymiser) is still the account's first from Brazil.
    let rio = engine.check(
        &state,
        &Attempt::new(later, ip("203.0.113.9"), &ua).with_device(laptop),
    );
    assert!(
        codes(&rio.assessment).contains(&"new_country"),
        "{:?}",
        rio.assessment.reasons
    );
}

#[test]
fn without_plug_points_the_model_and_device_still_work() {
    let mut engine = Engine::new(Population::new(ModelKey::new([1; 16])));
    let mut state = AccountRisk::new();
    let ua = UserAgent::new(FIREFOX);
    let phone = DeviceDigest::of(
        &UserId::from(7_u64),
        &DeviceId::new("d-0a1b2c3d4e5f60718293").unwrap(),
    );
    for day in 0..10 {
        let at = Timestamp::from_unix_secs(day * 86_400);
        let checked = engine.check(&state, &Attempt::new(at, ip(HOME), &ua).with_device(phone));
        assert!(engine.learn(&mut state, checked));
    }
    assert_eq!(engine.population().logins(), 10);
    let at = Timestamp::from_unix_secs(10 * 86_400);
    let usual = engine.check(&state, &Attempt::new(at, ip(HOME), &ua).with_device(phone));
    assert_eq!(usual.assessment.action, Action::Allow);
    let other = UserAgent::new(OLD_CHROME);
    let verdict = |at| {
        let checked = engine.check(&state, &Attempt::new(at, ip(TOR_EXIT), &other));
        (checked.assessment.action, codes(&checked.assessment))
    };
    // Without geolocation only the address, the browser and the hour tell it apart, and with no
    // other accounts the owner is the whole population: at the owner's usual hour (midnight,
    // every time so far), a challenge.
    assert_eq!(
        verdict(at),
        (Action::Challenge, vec!["unusual", "new_device"])
    );
    // At an hour the owner never signs in, all three together are too much (the unusual-hour
    // rule itself waits for 20 sign-ins; the model's hour term does not).
    let noon = Timestamp::from_unix_secs(10 * 86_400 + 12 * 3_600);
    assert_eq!(
        verdict(noon),
        (Action::Block, vec!["very_unusual", "new_device"])
    );
    assert!(format!("{engine:?}").contains("geo: false"));
}

#[test]
fn a_device_unseen_for_the_age_window_is_new_again() {
    let mut engine = Engine::new(Population::new(ModelKey::new([3; 16])));
    let ua = UserAgent::new(FIREFOX);
    let device = |id: &str| DeviceDigest::of(&UserId::from(7_u64), &DeviceId::new(id).unwrap());
    let (old, new) = (
        device("d-000000000000000000a1"),
        device("d-000000000000000000b2"),
    );
    let mut state = AccountRisk::new();
    let day = |d: i64| Timestamp::from_unix_secs(d * 86_400 + 9 * 3_600);
    let sign_in = |engine: &mut Engine, state: &mut AccountRisk, d: i64, device| {
        let checked = engine.check(
            state,
            &Attempt::new(day(d), ip(HOME), &ua).with_device(device),
        );
        assert!(engine.learn(state, checked));
    };
    for d in 0..5 {
        sign_in(&mut engine, &mut state, d, old);
    }
    // Within the window the old device still vouches for a sign-in.
    let checked = engine.check(
        &state,
        &Attempt::new(day(150), ip(HOME), &ua).with_device(old),
    );
    assert!(!codes(&checked.assessment).contains(&"new_device"));
    // Half a year on, the owner signs in on another device; the first is forgotten with the
    // rest of what is older than the window.
    for d in 200..205 {
        sign_in(&mut engine, &mut state, d, new);
    }
    let checked = engine.check(
        &state,
        &Attempt::new(day(205), ip(HOME), &ua).with_device(old),
    );
    assert!(
        codes(&checked.assessment).contains(&"new_device"),
        "{:?}",
        checked.assessment.reasons
    );
}

#[test]
fn an_owner_with_regular_hours_is_not_blocked_at_an_odd_hour_from_home() {
    let mut engine = Engine::new(Population::new(ModelKey::new([2; 16])));
    let ua = UserAgent::new(FIREFOX);
    let phone = DeviceDigest::of(
        &UserId::from(7_u64),
        &DeviceId::new("d-0a1b2c3d4e5f60718293").unwrap(),
    );
    // Others sign in too, so the owner is not the whole population.
    let mut others: Vec<AccountRisk> = (0..20).map(|_| AccountRisk::new()).collect();
    let mut state = AccountRisk::new();
    for day in 0..200 {
        let at = Timestamp::from_unix_secs(day * 86_400 + 9 * 3_600);
        let checked = engine.check(&state, &Attempt::new(at, ip(HOME), &ua).with_device(phone));
        assert!(engine.learn(&mut state, checked));
        for (i, other) in others.iter_mut().enumerate() {
            let address = ip(&format!("203.0.113.{i}"));
            let checked = engine.check(other, &Attempt::new(at, address, &ua));
            engine.learn(other, checked);
        }
    }
    // Two hundred sign-ins at 09:00, then one at 21:00 from home on the same device: the hour
    // is worth a challenge, never a block (the model's hour term is bounded).
    let late = Timestamp::from_unix_secs(200 * 86_400 + 21 * 3_600);
    let checked = engine.check(
        &state,
        &Attempt::new(late, ip(HOME), &ua).with_device(phone),
    );
    assert_eq!(
        checked.assessment.action,
        Action::Challenge,
        "{:?}",
        checked.assessment.reasons
    );
    // At the usual hour, nothing to say.
    let usual = Timestamp::from_unix_secs(200 * 86_400 + 9 * 3_600);
    let checked = engine.check(
        &state,
        &Attempt::new(usual, ip(HOME), &ua).with_device(phone),
    );
    assert_eq!(checked.assessment.action, Action::Allow);
    assert!(checked.assessment.reasons.is_empty());
}

#[test]
fn a_blocked_attempt_is_never_learned_and_addresses_are_canonical() {
    let (mut engine, mut state, laptop) = trained();
    let before = state.clone();
    let ua = UserAgent::new(OLD_CHROME);
    let at = Timestamp::from_unix_secs(29 * 86_400 + 9 * 3_600);
    let blocked = engine.check(&state, &Attempt::new(at, ip(TOR_EXIT), &ua));
    assert_eq!(blocked.assessment.action, Action::Block);
    let logins = engine.population().logins();
    assert!(!engine.learn(&mut state, blocked));
    assert_eq!((&state, engine.population().logins()), (&before, logins));
    // An IPv4-mapped IPv6 address is the IPv4 address: geolocated, scored and known as home.
    let firefox = UserAgent::new(FIREFOX);
    let at = Timestamp::from_unix_secs(30 * 86_400 + 8 * 3_600);
    let mapped = format!("::ffff:{HOME}");
    let a = engine
        .check(
            &state,
            &Attempt::new(at, ip(&mapped), &firefox).with_device(laptop),
        )
        .assessment;
    assert_eq!(
        (a.action, a.reasons.len()),
        (Action::Allow, 0),
        "{:?}",
        a.reasons
    );
    // Debug shows neither the address nor the user agent nor the cookie.
    let shown = format!(
        "{:?}",
        Attempt::new(at, ip(HOME), &firefox).with_device(laptop)
    );
    assert!(
        !shown.contains("192.0.2") && !shown.contains("Firefox") && !shown.contains("d-5f"),
        "{shown}"
    );
}
