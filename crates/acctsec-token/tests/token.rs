//! Properties of tokens and codes: round trips, tamper resistance, purpose and binding, exact
//! expiry, key rotation, hostile input, and secrets kept out of `Debug`.

// Test code: unwrapping and panicking is how a test fails.
#![allow(clippy::unwrap_used, clippy::panic)]

use std::time::Duration;

use acctsec_core::rng::{SystemRng, TryCryptoRng, TryRng};
use acctsec_core::{BindingDigest, Purpose, Timestamp, UserId};
use acctsec_token::{
    Codes, Error, KeyRing, MAX_LEEWAY, MAX_LIFETIME_CEILING, MAX_TOKEN_CHARS, Rejection,
    SigningKey, Tokens, binding, digest,
};
use base64ct::{Base64UrlUnpadded, Encoding};
use proptest::prelude::*;

/// A deterministic generator for reproducible tests. Not random at all: never use outside tests.
struct Sequence(Vec<u64>, usize);

impl TryRng for Sequence {
    type Error = std::convert::Infallible;
    fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
        Ok(self.try_next_u64()? as u32)
    }
    fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
        let v = self.0[self.1 % self.0.len()];
        self.1 += 1;
        Ok(v)
    }
    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Self::Error> {
        for b in dst {
            *b = self.try_next_u64()? as u8;
        }
        Ok(())
    }
}
impl TryCryptoRng for Sequence {}

const B64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

fn key(n: u8) -> SigningKey {
    SigningKey::from_bytes(&[n; 32]).unwrap()
}

fn tokens() -> Tokens {
    Tokens::new(KeyRing::new(key(1)))
}

fn state(version: u64) -> BindingDigest {
    binding(&[&version.to_be_bytes(), b"ana@example.com"])
}

fn t(ms: i64) -> Timestamp {
    Timestamp::from_unix_millis(ms)
}

const NOW: i64 = 1_800_000_000_000;
const TTL: Duration = Duration::from_secs(900);

fn reset_token(tokens: &Tokens) -> String {
    tokens
        .issue(
            &Purpose::PASSWORD_RESET,
            &UserId::from(7_u64),
            &state(1),
            TTL,
            t(NOW),
            &mut SystemRng,
        )
        .unwrap()
        .token
        .expose()
        .to_owned()
}

fn check(tokens: &Tokens, token: &str) -> Result<(), Rejection> {
    tokens
        .verify(token, &Purpose::PASSWORD_RESET, &state(1), t(NOW))
        .map(|_| ())
}

fn purpose() -> impl Strategy<Value = Purpose> {
    "[a-z0-9_.-]{1,32}".prop_map(|s| Purpose::new(s).unwrap())
}

fn subject() -> impl Strategy<Value = UserId> {
    "[!-~]{1,128}".prop_map(|s| UserId::new(s).unwrap())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn every_issued_token_verifies(
        purpose in purpose(),
        subject in subject(),
        bound in any::<[u8; 32]>(),
        ttl_ms in 1_u64..=3_600_000,
        now in -10_000_000_000_000_i64..10_000_000_000_000,
    ) {
        let tokens = tokens();
        let bound = BindingDigest::from_bytes(bound);
        let ttl = Duration::from_millis(ttl_ms);
        let issued = tokens.issue(&purpose, &subject, &bound, ttl, t(now), &mut SystemRng).unwrap();
        let text = issued.token.expose();
        prop_assert!(text.len() <= MAX_TOKEN_CHARS);
        let claims = tokens.verify(text, &purpose, &bound, t(now)).unwrap();
        prop_assert_eq!(&claims, &issued.claims);
        prop_assert_eq!((claims.subject, claims.purpose), (subject, purpose));
        prop_assert_eq!(claims.expires_at, t(now + i64::try_from(ttl_ms).unwrap()));
    }

    #[test]
    fn changing_any_character_fails(index in any::<prop::sample::Index>(), replacement in any::<prop::sample::Index>()) {
        let tokens = tokens();
        let token = reset_token(&tokens);
        let i = index.index(token.len());
        let mut bytes = token.clone().into_bytes();
        let c = B64[replacement.index(B64.len())];
        prop_assume!(bytes[i] != c);
        bytes[i] = c;
        let changed = String::from_utf8(bytes).unwrap();
        prop_assert!(check(&tokens, &changed).is_err(), "changed at {}", i);
    }

    #[test]
    fn flipping_any_bit_fails(bit in any::<prop::sample::Index>()) {
        let tokens = tokens();
        let token = reset_token(&tokens);
        let mut raw = Base64UrlUnpadded::decode_vec(&token).unwrap();
        let bit = bit.index(raw.len() * 8);
        raw[bit / 8] ^= 1 << (bit % 8);
        let flipped = Base64UrlUnpadded::encode_string(&raw);
        prop_assert!(check(&tokens, &flipped).is_err(), "bit {}", bit);
    }

    #[test]
    fn truncating_or_appending_fails(cut in any::<prop::sample::Index>(), tail in "[A-Za-z0-9_=.-]{1,8}") {
        let tokens = tokens();
        let token = reset_token(&tokens);
        let short = &token[..cut.index(token.len())];
        prop_assert!(check(&tokens, short).is_err());
        let longer = format!("{token}{tail}");
        prop_assert!(check(&tokens, &longer).is_err());
    }

    #[test]
    fn a_token_never_verifies_for_another_purpose(a in purpose(), b in purpose()) {
        prop_assume!(a != b);
        let tokens = tokens();
        let issued = tokens.issue(&a, &UserId::from(1_u64), &state(1), TTL, t(NOW), &mut SystemRng).unwrap();
        prop_assert_eq!(tokens.verify(issued.token.expose(), &b, &state(1), t(NOW)), Err(Rejection::WrongPurpose));
    }

    #[test]
    fn a_changed_binding_fails(a in any::<[u8; 32]>(), b in any::<[u8; 32]>(), byte in 0_usize..32) {
        let tokens = tokens();
        let a = BindingDigest::from_bytes(a);
        // Both a random other binding and one differing in a single byte (anywhere) fail.
        let mut near = *a.as_bytes();
        near[byte] ^= 0x01;
        for other in [BindingDigest::from_bytes(b), BindingDigest::from_bytes(near)] {
            prop_assume!(other != a);
            let issued = tokens.issue(&Purpose::PASSWORD_RESET, &UserId::from(1_u64), &a, TTL, t(NOW), &mut SystemRng).unwrap();
            prop_assert_eq!(
                tokens.verify(issued.token.expose(), &Purpose::PASSWORD_RESET, &other, t(NOW)),
                Err(Rejection::BindingMismatch)
            );
        }
    }

    #[test]
    fn expiry_is_exact_at_the_boundary_with_leeway(ttl_ms in 1_u64..=3_600_000, leeway_ms in 0_u64..=300_000) {
        let tokens = Tokens::builder(KeyRing::new(key(1)))
            .with_leeway(Duration::from_millis(leeway_ms))
            .build()
            .unwrap();
        let issued = tokens.issue(&Purpose::PASSWORD_RESET, &UserId::from(1_u64), &state(1), Duration::from_millis(ttl_ms), t(NOW), &mut SystemRng).unwrap();
        let at = |ms: i64| tokens.verify(issued.token.expose(), &Purpose::PASSWORD_RESET, &state(1), t(ms)).map(|_| ());
        let (ttl, leeway) = (i64::try_from(ttl_ms).unwrap(), i64::try_from(leeway_ms).unwrap());
        // Valid while issued_at - leeway <= now < issued_at + ttl + leeway.
        prop_assert_eq!(at(NOW - leeway - 1), Err(Rejection::NotYetValid));
        prop_assert_eq!(at(NOW - leeway), Ok(()));
        prop_assert_eq!(at(NOW + ttl + leeway - 1), Ok(()));
        prop_assert_eq!(at(NOW + ttl + leeway), Err(Rejection::Expired));
    }

    #[test]
    fn arbitrary_input_never_panics(s in "\\PC{0,400}", raw in prop::collection::vec(any::<u8>(), 0..300)) {
        let tokens = tokens();
        let _ = check(&tokens, &s);
        // Bytes that decode, so the structure parser sees hostile input too.
        let _ = check(&tokens, &Base64UrlUnpadded::encode_string(&raw));
        let codes = Codes::new(&[3; 32]).unwrap();
        let _ = codes.digest(&Purpose::EMAIL_VERIFICATION, &UserId::from(1_u64), &s);
    }
}

#[test]
fn hostile_structures_are_malformed() {
    let tokens = tokens();
    let token = reset_token(&tokens);
    let raw = Base64UrlUnpadded::decode_vec(&token).unwrap();
    let enc = |bytes: &[u8]| Base64UrlUnpadded::encode_string(bytes);
    let mut wrong_version = raw.clone();
    wrong_version[0] = 2;
    let mut long_purpose = raw.clone();
    long_purpose[5] = 255;
    for (name, text) in [
        ("empty", String::new()),
        ("too long", "A".repeat(MAX_TOKEN_CHARS + 1)),
        ("padding", format!("{token}=")),
        (
            "standard alphabet",
            token.replace('-', "+").replace('_', "/"),
        ),
        ("wrong version", enc(&wrong_version)),
        ("purpose length past the end", enc(&long_purpose)),
        ("zero bytes", enc(&[0; 150])),
    ] {
        let got = check(&tokens, &text);
        if name == "standard alphabet" && !token.contains(['-', '_']) {
            continue;
        }
        assert_eq!(got, Err(Rejection::Malformed), "{name}");
    }
}

#[test]
fn base64_is_canonical() {
    let tokens = tokens();
    // A two-character subject makes a 115-byte token: its last character carries two unused low
    // bits. Setting the lowest gives another text for the same bytes, which must be refused.
    let user = UserId::new("77").unwrap();
    let issued = tokens
        .issue(
            &Purpose::PASSWORD_RESET,
            &user,
            &state(1),
            TTL,
            t(NOW),
            &mut SystemRng,
        )
        .unwrap();
    let token = issued.token.expose();
    assert_eq!(Base64UrlUnpadded::decode_vec(token).unwrap().len() % 3, 1);
    let last = token.as_bytes()[token.len() - 1];
    let pos = B64.iter().position(|&c| c == last).unwrap();
    let alias = format!("{}{}", &token[..token.len() - 1], B64[pos ^ 1] as char);
    assert_eq!(
        tokens
            .verify(token, &Purpose::PASSWORD_RESET, &state(1), t(NOW))
            .map(|c| c.subject),
        Ok(user)
    );
    assert_eq!(
        tokens.verify(&alias, &Purpose::PASSWORD_RESET, &state(1), t(NOW)),
        Err(Rejection::Malformed)
    );
}

#[test]
fn token_lengths_are_as_documented() {
    let tokens = tokens();
    let ten_digits = UserId::from(1_234_567_890_u64);
    let issued = tokens
        .issue(
            &Purpose::PASSWORD_RESET,
            &ten_digits,
            &state(1),
            TTL,
            t(NOW),
            &mut SystemRng,
        )
        .unwrap();
    assert_eq!(issued.token.expose().len(), 164);
    let longest = tokens
        .issue(
            &Purpose::new("p".repeat(32)).unwrap(),
            &UserId::new("u".repeat(128)).unwrap(),
            &state(1),
            TTL,
            t(NOW),
            &mut SystemRng,
        )
        .unwrap();
    assert_eq!(longest.token.expose().len(), MAX_TOKEN_CHARS);
    assert_eq!(MAX_TOKEN_CHARS, 346);
}

#[test]
fn rotation_keeps_old_links_until_the_old_key_is_retired() {
    let mut tokens = tokens();
    let old_token = reset_token(&tokens);
    tokens.ring_mut().rotate(key(2)).unwrap();
    let new_token = reset_token(&tokens);
    assert_eq!(check(&tokens, &old_token), Ok(()), "still-accepted old key");
    assert_eq!(check(&tokens, &new_token), Ok(()));
    let new_claims = tokens
        .verify(&new_token, &Purpose::PASSWORD_RESET, &state(1), t(NOW))
        .unwrap();
    assert_eq!(new_claims.key_id, key(2).id());
    assert!(tokens.ring_mut().retire(key(1).id()));
    assert_eq!(
        check(&tokens, &old_token),
        Err(Rejection::UnknownKey),
        "retired key"
    );
    assert_eq!(check(&tokens, &new_token), Ok(()));
    // A ring that never knew the key.
    let stranger = Tokens::new(KeyRing::new(key(3)));
    assert_eq!(check(&stranger, &new_token), Err(Rejection::UnknownKey));
}

#[test]
fn keys_and_settings_are_validated() {
    assert_eq!(
        SigningKey::from_bytes(&[0; 31]).err(),
        Some(Error::KeyTooShort)
    );
    assert_eq!(
        SigningKey::from_bytes(&[0; 129]).err(),
        Some(Error::KeyTooLong)
    );
    assert_ne!(key(1).id(), key(2).id(), "ids are derived from the key");
    assert_eq!(
        KeyRing::new(key(1)).with_accepted(key(1)).err().map(|_| ()),
        Some(())
    );
    let mut ring = KeyRing::new(key(0));
    for n in 1..16 {
        ring.rotate(key(n)).unwrap();
    }
    assert_eq!(ring.rotate(key(99)).err(), Some(Error::TooManyKeys));
    assert!(
        !ring.retire(ring.active().id()),
        "the active key cannot be retired"
    );

    let build = |max: Duration, leeway: Duration| {
        Tokens::builder(KeyRing::new(key(1)))
            .with_max_lifetime(max)
            .with_leeway(leeway)
            .build()
            .err()
    };
    assert_eq!(
        build(Duration::ZERO, Duration::ZERO),
        Some(Error::InvalidLifetime)
    );
    assert_eq!(
        build(
            MAX_LIFETIME_CEILING + Duration::from_millis(1),
            Duration::ZERO
        ),
        Some(Error::InvalidLifetime)
    );
    assert_eq!(
        build(TTL, MAX_LEEWAY + Duration::from_millis(1)),
        Some(Error::InvalidLeeway)
    );
    assert_eq!(build(MAX_LIFETIME_CEILING, MAX_LEEWAY), None);

    let tokens = tokens();
    let issue = |ttl| {
        tokens
            .issue(
                &Purpose::PASSWORD_RESET,
                &UserId::from(1_u64),
                &state(1),
                ttl,
                t(NOW),
                &mut SystemRng,
            )
            .err()
    };
    assert_eq!(
        issue(Duration::from_secs(3601)),
        Some(Error::InvalidLifetime),
        "over the default maximum of one hour"
    );
    assert_eq!(
        issue(Duration::from_micros(1500)),
        Some(Error::InvalidLifetime)
    );
    assert_eq!(issue(Duration::ZERO), Some(Error::InvalidLifetime));
}

#[test]
fn lowering_the_maximum_lifetime_expires_issued_tokens() {
    let long = Tokens::builder(KeyRing::new(key(1)))
        .with_max_lifetime(Duration::from_secs(7200))
        .build()
        .unwrap();
    let issued = long
        .issue(
            &Purpose::PASSWORD_RESET,
            &UserId::from(1_u64),
            &state(1),
            Duration::from_secs(7200),
            t(NOW),
            &mut SystemRng,
        )
        .unwrap();
    assert_eq!(check(&long, issued.token.expose()), Ok(()));
    assert_eq!(
        check(&tokens(), issued.token.expose()),
        Err(Rejection::Expired)
    );
}

#[test]
fn rejections_have_codes_and_one_public_message() {
    let all = [
        Rejection::Malformed,
        Rejection::UnknownKey,
        Rejection::BadTag,
        Rejection::WrongPurpose,
        Rejection::BindingMismatch,
        Rejection::Expired,
        Rejection::NotYetValid,
    ];
    let codes: std::collections::HashSet<_> = all.iter().map(|r| r.code()).collect();
    assert_eq!(codes.len(), all.len());
    assert_eq!(
        Rejection::PUBLIC_MESSAGE,
        "This link is invalid or has expired."
    );
}

#[test]
fn debug_shows_no_secret() {
    let secret = [0x5A_u8; 32];
    let k = SigningKey::from_bytes(&secret).unwrap();
    let tokens = Tokens::new(KeyRing::new(k.clone()));
    let issued = tokens
        .issue(
            &Purpose::PASSWORD_RESET,
            &UserId::from(7_u64),
            &state(1),
            TTL,
            t(NOW),
            &mut SystemRng,
        )
        .unwrap();
    let text = issued.token.expose().to_owned();
    let codes = Codes::new(&secret).unwrap();
    let code = codes
        .issue(
            &Purpose::EMAIL_VERIFICATION,
            &UserId::from(7_u64),
            &state(1),
            t(1_000),
            &mut Sequence(vec![424_242], 0),
        )
        .unwrap();
    assert_eq!(code.code.expose(), "424242");
    let dbg = format!(
        "{k:?} {:?} {tokens:?} {issued:?} {:?} {codes:?} {code:?} {:?}",
        k.id(),
        issued.token,
        code.code
    );
    for leak in [
        text.as_str(),
        &text[..20],
        "424242",
        "5a5a",
        "5A5A",
        "90, 90",
        "WlpaWl",
    ] {
        assert!(!dbg.contains(leak), "Debug leaks {leak:?}: {dbg}");
    }
    assert!(
        dbg.contains("Token(..)") && dbg.contains("Code(..)"),
        "{dbg}"
    );
}

#[test]
fn digests_differ_per_token_and_ignore_nothing() {
    let tokens = tokens();
    let a = reset_token(&tokens);
    let b = reset_token(&tokens);
    assert_ne!(a, b, "128-bit nonces make every token unique");
    assert_ne!(digest(&a), digest(&b));
    assert_eq!(digest(&a), digest(&a.clone()));
}

#[test]
fn codes_are_drawn_without_modulo_bias() {
    let codes = Codes::new(&[3; 32]).unwrap();
    let issue = |rng: &mut Sequence| {
        codes
            .issue(
                &Purpose::EMAIL_VERIFICATION,
                &UserId::from(1_u64),
                &state(1),
                t(0),
                rng,
            )
            .unwrap()
            .code
            .expose()
            .to_owned()
    };
    // Draws in the biased tail (at or above the largest multiple of 10^6) are redrawn.
    let zone = u64::MAX - u64::MAX % 1_000_000;
    assert_eq!(issue(&mut Sequence(vec![zone, u64::MAX, 42], 0)), "000042");
    assert_eq!(
        issue(&mut Sequence(vec![zone - 1], 0)),
        format!("{:06}", (zone - 1) % 1_000_000)
    );

    // Leading digits of 50,000 real draws are uniform: each of ten within 5 sigma of 5,000.
    let mut counts = [0_u32; 10];
    for _ in 0..50_000 {
        let code = codes
            .issue(
                &Purpose::EMAIL_VERIFICATION,
                &UserId::from(1_u64),
                &state(1),
                t(0),
                &mut SystemRng,
            )
            .unwrap();
        counts[usize::from(code.code.expose().as_bytes()[0] - b'0')] += 1;
    }
    let sigma = (50_000.0_f64 * 0.1 * 0.9).sqrt();
    for (digit, n) in counts.iter().enumerate() {
        assert!(
            (f64::from(*n) - 5_000.0).abs() < 5.0 * sigma,
            "digit {digit}: {n} of 50000"
        );
    }
}

#[test]
fn code_digests_are_keyed_per_user_and_purpose() {
    let codes = Codes::new(&[3; 32]).unwrap().with_digits(8).unwrap();
    let user = UserId::from(1_u64);
    let issued = codes
        .issue(
            &Purpose::EMAIL_VERIFICATION,
            &user,
            &state(1),
            t(0),
            &mut SystemRng,
        )
        .unwrap();
    let code = issued.code.expose().to_owned();
    assert_eq!(code.len(), 8);
    assert_eq!(
        issued.record.expires_at,
        t(600_000),
        "ten minutes by default"
    );
    let spaced = format!("{}-{} {}", &code[..3], &code[3..5], &code[5..]);
    let d = |p: &Purpose, u: &UserId, typed: &str| codes.digest(p, u, typed);
    assert_eq!(
        d(&Purpose::EMAIL_VERIFICATION, &user, &spaced),
        Some(issued.record.digest)
    );
    assert!(codes.matches(
        &Purpose::EMAIL_VERIFICATION,
        &user,
        &code,
        &issued.record.digest
    ));
    assert!(!codes.matches(
        &Purpose::SIGN_IN_CHALLENGE,
        &user,
        &code,
        &issued.record.digest
    ));
    assert_ne!(
        d(&Purpose::EMAIL_VERIFICATION, &UserId::from(2_u64), &code),
        Some(issued.record.digest)
    );
    assert_ne!(
        d(&Purpose::SIGN_IN_CHALLENGE, &user, &code),
        Some(issued.record.digest)
    );
    assert_eq!(
        d(&Purpose::EMAIL_VERIFICATION, &user, &code[..7]),
        None,
        "too few digits"
    );
    assert_eq!(
        d(&Purpose::EMAIL_VERIFICATION, &user, &format!("{code}0")),
        None,
        "too many digits"
    );
    assert_eq!(d(&Purpose::EMAIL_VERIFICATION, &user, "1234567a"), None);
    assert_eq!(
        d(&Purpose::EMAIL_VERIFICATION, &user, &" ".repeat(40)),
        None,
        "over the input cap"
    );
    // Another key gives other digests.
    let other = Codes::new(&[4; 32]).unwrap().with_digits(8).unwrap();
    assert_ne!(
        other.digest(&Purpose::EMAIL_VERIFICATION, &user, &code),
        Some(issued.record.digest)
    );

    assert_eq!(
        Codes::new(&[3; 32]).unwrap().with_digits(5).err(),
        Some(Error::InvalidDigits)
    );
    assert_eq!(
        Codes::new(&[3; 32]).unwrap().with_digits(11).err(),
        Some(Error::InvalidDigits)
    );
    assert_eq!(
        Codes::new(&[3; 32])
            .unwrap()
            .with_lifetime(Duration::from_secs(601))
            .err(),
        Some(Error::InvalidLifetime)
    );
    assert_eq!(
        Codes::new(&[3; 32])
            .unwrap()
            .with_lifetime(Duration::ZERO)
            .err(),
        Some(Error::InvalidLifetime)
    );
}
