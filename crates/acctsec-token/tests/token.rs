//! Properties of tokens and codes: round trips, tamper resistance, purpose and binding, exact
//! expiry, key rotation, hostile input, and secrets kept out of `Debug`.

// Test code: unwrapping and panicking is how a test fails.
#![allow(clippy::unwrap_used, clippy::panic)]

use std::time::Duration;

use acctsec_core::rng::SystemRng;
use acctsec_core::{Account, BindingDigest, Email, Purpose, Timestamp, TokenStore, UserId};
use acctsec_testkit::{Failing, MemoryStore, Scripted, block_on};
use acctsec_token::{
    BindingKey, Codes, Error, KeyRing, MAX_LEEWAY, MAX_LIFETIME_CEILING, MAX_TOKEN_CHARS,
    Rejection, SigningKey, Tokens, digest,
};
use base64ct::{Base64UrlUnpadded, Encoding};
use proptest::prelude::*;

const B64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

fn key(n: u8) -> SigningKey {
    SigningKey::from_bytes(&[n; 32]).unwrap()
}

fn binding_key() -> BindingKey {
    BindingKey::from_bytes(&[0xB1; 32]).unwrap()
}

fn tokens() -> Tokens {
    Tokens::new(KeyRing::new(key(1)), binding_key())
}

fn state(version: u64) -> BindingDigest {
    binding_key().bind(
        &UserId::from(7_u64),
        &[&version.to_be_bytes(), b"ana@example.com"],
    )
}

fn t(ms: i64) -> Timestamp {
    Timestamp::from_unix_millis(ms)
}

const NOW: i64 = 1_800_000_000_000;
const TTL: Duration = Duration::from_secs(900);

fn issue_for(tokens: &Tokens, user: &UserId) -> acctsec_token::IssuedToken {
    tokens
        .issue(
            &Purpose::PASSWORD_RESET,
            user,
            &state(1),
            TTL,
            t(NOW),
            &mut SystemRng,
        )
        .unwrap()
}

fn reset_token(tokens: &Tokens) -> String {
    issue_for(tokens, &UserId::from(7_u64))
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
        let tokens = Tokens::builder(KeyRing::new(key(1)), binding_key())
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
    fn hostile_structures_never_panic(
        body in prop::collection::vec(any::<u8>(), 0..260),
        lengths in prop::collection::vec(any::<u8>(), 2),
        purpose_len in 1..=32_usize,
        subject_len in 1..=128_usize,
        fill in prop::collection::vec(any::<u8>(), 259),
        text in "[A-Za-z0-9_-]{135,346}",
        bytes in prop::collection::vec(any::<u8>(), 0..400),
    ) {
        let tokens = tokens();
        let id = key(1).id().get().to_be_bytes();
        let head = [1, id[0], id[1], id[2], id[3]];
        // The right version and key, then anything, with length bytes of any value where the
        // purpose's and the subject's are read: the structure parser on every path.
        let mut loose = head.to_vec();
        loose.push(lengths[0]);
        loose.extend_from_slice(&body);
        if let Some(at) = loose.get_mut(6 + usize::from(lengths[0])) {
            *at = lengths[1];
        }
        let loose = Base64UrlUnpadded::encode_string(&loose);
        for text in [loose.as_str(), text.as_str(), &String::from_utf8_lossy(&bytes)] {
            let verified = check(&tokens, text);
            let opened = tokens.open(text, &Purpose::PASSWORD_RESET, t(NOW)).map(|_| ());
            prop_assert!(verified.is_err());
            prop_assert_eq!(verified, opened);
        }
        // Well-formed to the byte — version, key, a purpose and a subject of any length within
        // bounds, times, nonce, binding and a tag — but forged: the tag refuses it, and nothing
        // before the tag check does.
        let mut forged = head.to_vec();
        forged.push(u8::try_from(purpose_len).unwrap());
        forged.extend_from_slice(&fill[..purpose_len]);
        forged.push(u8::try_from(subject_len).unwrap());
        forged.extend_from_slice(&fill[..subject_len + 8 + 4 + 16 + 32 + 32]);
        let forged = Base64UrlUnpadded::encode_string(&forged);
        prop_assert_eq!(check(&tokens, &forged), Err(Rejection::BadTag));
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
        // The 154-character token of a two-character subject, padded as standard base64 pads it
        // to a multiple of four: the length passes, the padding does not.
        (
            "padding",
            format!(
                "{}==",
                issue_for(&tokens, &UserId::new("77").unwrap())
                    .token
                    .expose()
            ),
        ),
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
    // A two-character subject makes a 115-byte token: its last character carries four unused low
    // bits. Setting the lowest gives another text for the same bytes, which must be refused.
    let user = UserId::new("77").unwrap();
    let issued = issue_for(&tokens, &user);
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
    let issued = issue_for(&tokens, &ten_digits);
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
    let stranger = Tokens::new(KeyRing::new(key(3)), binding_key());
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
    assert_eq!(
        BindingKey::from_bytes(&[0; 31]).err(),
        Some(Error::KeyTooShort)
    );
    assert_ne!(key(1).id(), key(2).id(), "ids are derived from the key");
    assert_eq!(
        KeyRing::new(key(1)).with_accepted(key(1)).err(),
        Some(Error::DuplicateKeyId)
    );
    let mut ring = KeyRing::new(key(0));
    assert_eq!(ring.rotate(key(0)), Err(Error::DuplicateKeyId));
    for n in 1..16 {
        ring.rotate(key(n)).unwrap();
    }
    assert_eq!(ring.rotate(key(99)), Err(Error::TooManyKeys));
    assert_eq!(
        ring.clone().with_accepted(key(99)).err(),
        Some(Error::TooManyKeys)
    );
    assert!(
        !ring.retire(ring.active().id()),
        "the active key cannot be retired"
    );

    let build = |max: Duration, leeway: Duration| {
        Tokens::builder(KeyRing::new(key(1)), binding_key())
            .with_max_lifetime(max)
            .with_leeway(leeway)
            .build()
            .err()
    };
    assert_eq!(
        build(Duration::ZERO, Duration::ZERO),
        Some(Error::InvalidLifetime)
    );
    let over = MAX_LIFETIME_CEILING + Duration::from_millis(1);
    assert_eq!(build(over, Duration::ZERO), Some(Error::InvalidLifetime));
    let leeway = MAX_LEEWAY + Duration::from_millis(1);
    assert_eq!(build(TTL, leeway), Some(Error::InvalidLeeway));
    // Times are whole milliseconds: a leeway of 1.5 ms would act as 1 ms, not as documented.
    assert_eq!(
        build(TTL, Duration::from_micros(1500)),
        Some(Error::InvalidLeeway)
    );
    assert_eq!(build(MAX_LIFETIME_CEILING, MAX_LEEWAY), None);

    let tokens = tokens();
    let issue = |ttl| {
        let user = UserId::from(1_u64);
        tokens
            .issue(
                &Purpose::PASSWORD_RESET,
                &user,
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
        "over one hour"
    );
    assert_eq!(
        issue(Duration::from_micros(1500)),
        Some(Error::InvalidLifetime)
    );
    assert_eq!(issue(Duration::ZERO), Some(Error::InvalidLifetime));
}

#[test]
fn tokens_issued_at_the_ends_of_time_verify_or_are_refused_at_issue() {
    let tokens = tokens();
    let user = UserId::from(1_u64);
    let issue = |now: i64| {
        tokens.issue(
            &Purpose::PASSWORD_RESET,
            &user,
            &state(1),
            TTL,
            t(now),
            &mut SystemRng,
        )
    };
    let room = i64::try_from((TTL + MAX_LEEWAY).as_millis()).unwrap();
    // The latest time a token can be issued at: its expiry and the largest leeway still fit.
    for now in [i64::MAX - room, i64::MIN, i64::MIN + 1] {
        let issued = issue(now).unwrap();
        assert_eq!(
            issued.claims.expires_at,
            t(now).saturating_add(TTL),
            "{now}"
        );
        assert!(issued.claims.expires_at > issued.claims.issued_at, "{now}");
        let verified = tokens.verify(
            issued.token.expose(),
            &Purpose::PASSWORD_RESET,
            &state(1),
            t(now),
        );
        assert_eq!(verified.map(|c| c.issued_at), Ok(t(now)), "{now}");
    }
    // Any later, the expiry would saturate and the token be expired at birth.
    for now in [i64::MAX - room + 1, i64::MAX - 1, i64::MAX] {
        assert_eq!(issue(now).err(), Some(Error::TimeOutOfRange), "{now}");
    }
    // Codes likewise (they have no leeway): their record's expiry is exact or they are refused.
    let codes = Codes::new(&[3; 32]).unwrap();
    let lifetime = i64::try_from(acctsec_token::MAX_CODE_LIFETIME.as_millis()).unwrap();
    let code = |now: i64| {
        codes.issue(
            &Purpose::EMAIL_VERIFICATION,
            &user,
            &state(1),
            t(now),
            &mut SystemRng,
        )
    };
    let last = code(i64::MAX - lifetime).unwrap();
    assert_eq!(last.record.expires_at, t(i64::MAX));
    assert_eq!(
        code(i64::MAX - lifetime + 1).err(),
        Some(Error::TimeOutOfRange)
    );
}

#[test]
fn a_failing_generator_is_an_error_not_a_panic() {
    let user = UserId::from(1_u64);
    let issued = tokens().issue(
        &Purpose::PASSWORD_RESET,
        &user,
        &state(1),
        TTL,
        t(NOW),
        &mut Failing,
    );
    assert_eq!(issued.err(), Some(Error::Randomness));
    assert_eq!(
        SigningKey::generate(&mut Failing).err(),
        Some(Error::Randomness)
    );
    let codes = Codes::new(&[3; 32]).unwrap();
    let code = codes.issue(
        &Purpose::EMAIL_VERIFICATION,
        &user,
        &state(1),
        t(0),
        &mut Failing,
    );
    assert_eq!(code.err(), Some(Error::Randomness));
    // A generator stuck in the biased tail is broken too: a bounded number of redraws, then an error.
    let stuck = codes.issue(
        &Purpose::EMAIL_VERIFICATION,
        &user,
        &state(1),
        t(0),
        &mut Scripted::words([u64::MAX]),
    );
    assert_eq!(stuck.err(), Some(Error::Randomness));
}

#[test]
fn a_key_id_swapped_to_another_key_of_the_ring_fails_the_tag() {
    let mut tokens = tokens();
    let token = reset_token(&tokens);
    tokens.ring_mut().rotate(key(2)).unwrap();
    let mut raw = Base64UrlUnpadded::decode_vec(&token).unwrap();
    raw[1..5].copy_from_slice(&key(2).id().get().to_be_bytes());
    let swapped = Base64UrlUnpadded::encode_string(&raw);
    assert_eq!(check(&tokens, &swapped), Err(Rejection::BadTag));
}

#[test]
fn open_gives_the_subject_before_the_binding_is_checked() {
    let tokens = tokens();
    let token = reset_token(&tokens);
    let opened = tokens
        .open(&token, &Purpose::PASSWORD_RESET, t(NOW))
        .unwrap();
    assert_eq!(opened.claims().subject, UserId::from(7_u64));
    let other_user = binding_key().bind(
        &UserId::from(8_u64),
        &[&1_u64.to_be_bytes(), b"ana@example.com"],
    );
    assert_eq!(
        opened.check_binding(&other_user).err(),
        Some(Rejection::BindingMismatch)
    );
    let opened = tokens
        .open(&token, &Purpose::PASSWORD_RESET, t(NOW))
        .unwrap();
    assert_eq!(
        opened.check_binding(&state(1)).map(|c| c.subject),
        Ok(UserId::from(7_u64))
    );
}

#[test]
fn known_answer_token() {
    // Pins the format: a fixed key, binding key, inputs and nonce give this exact token. A change
    // here is a format change and needs a new TOKEN_VERSION.
    let tokens = tokens();
    let nonce = Scripted::words(0..16);
    let issued = tokens
        .issue(
            &Purpose::PASSWORD_RESET,
            &UserId::from(7_u64),
            &state(1),
            TTL,
            t(NOW),
            &mut { nonce },
        )
        .unwrap();
    let expected = KNOWN_ANSWER;
    assert_eq!(issued.token.expose(), expected);
    assert!(check(&tokens, expected).is_ok());
}

const KNOWN_ANSWER: &str = "AeYsNSEOcGFzc3dvcmRfcmVzZXQBNwAAAaMYXFAAAA27oAABAgMEBQYHCAkKCwwNDg9-XYC9wKjNCVbPYYmWCgP0RZIEjRrk1leleDp3GdEyw-20cTVk7p-R9RELUcN5q5H3J0Xb-otawxhlIjo4sKql";

#[test]
fn lowering_the_maximum_lifetime_expires_issued_tokens() {
    let long = Tokens::builder(KeyRing::new(key(1)), binding_key())
        .with_max_lifetime(Duration::from_secs(7200))
        .build()
        .unwrap();
    let user = UserId::from(7_u64);
    let two_hours = Duration::from_secs(7200);
    let issued = long
        .issue(
            &Purpose::PASSWORD_RESET,
            &user,
            &state(1),
            two_hours,
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
fn every_rejection_shows_people_the_same_sentence() {
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
    assert_eq!(codes.len(), all.len(), "log codes are distinct");
    for r in all {
        assert_eq!(
            r.to_string(),
            "This link is invalid or has expired.",
            "{r:?}"
        );
    }
}

#[test]
fn debug_shows_no_secret() {
    let secret = [0x5A_u8; 32];
    let k = SigningKey::from_bytes(&secret).unwrap();
    assert_eq!(
        format!("{k:?}"),
        format!("SigningKey {{ id: KeyId({:08x}) }}", k.id().get())
    );
    assert_eq!(format!("{:?}", binding_key()), "BindingKey(..)");
    let codes = Codes::new(&secret).unwrap();
    assert_eq!(
        format!("{codes:?}"),
        "Codes { digits: 6, lifetime: 600s, .. }"
    );
    // The builder holds the raw secret until it is built.
    assert_eq!(
        format!("{:?}", Codes::builder(&secret)),
        "CodesBuilder { digits: 6, lifetime: 600s, .. }"
    );

    let tokens = Tokens::new(KeyRing::new(k), binding_key());
    let user = UserId::from(7_u64);
    let issued = issue_for(&tokens, &user);
    let text = issued.token.expose().to_owned();
    assert_eq!(format!("{:?}", issued.token), "Token(..)");
    let code = codes
        .issue(
            &Purpose::EMAIL_VERIFICATION,
            &user,
            &state(1),
            t(1_000),
            &mut Scripted::words([424_242]),
        )
        .unwrap();
    assert_eq!(code.code.expose(), "424242");
    assert_eq!(format!("{:?}", code.code), "Code(..)");
    let opened = tokens
        .open(&text, &Purpose::PASSWORD_RESET, t(NOW))
        .unwrap();
    let dbg = format!("{tokens:?} {issued:?} {code:?} {opened:?}");
    for leak in [
        text.as_str(),
        &text[..20],
        &text[text.len() - 43..],
        "424242",
    ] {
        assert!(!dbg.contains(leak), "Debug leaks {leak:?}: {dbg}");
    }
}

#[test]
fn every_token_has_its_own_digest() {
    let tokens = tokens();
    let a = reset_token(&tokens);
    let b = reset_token(&tokens);
    assert_ne!(a, b, "128-bit nonces make every token unique");
    assert_ne!(digest(&a), digest(&b));
    assert!(digest(&a).is_some());
    assert_eq!(
        digest(&a),
        digest(&a.clone()),
        "the digest is a function of the token"
    );
}

#[test]
fn text_longer_than_any_token_gets_no_digest() {
    let longest = "A".repeat(MAX_TOKEN_CHARS);
    assert!(digest(&longest).is_some());
    let valid = reset_token(&tokens());
    // A valid token with anything appended must not share the valid token's digest, nor be
    // hashed without bound.
    let padded = format!("{valid}{}", "A".repeat(MAX_TOKEN_CHARS));
    assert_eq!(digest(&padded), None);
}

#[test]
fn codes_are_drawn_without_modulo_bias() {
    let codes = Codes::new(&[3; 32]).unwrap();
    let user = UserId::from(1_u64);
    let issue = |rng: &mut Scripted| {
        let issued = codes
            .issue(&Purpose::EMAIL_VERIFICATION, &user, &state(1), t(0), rng)
            .unwrap();
        issued.code.expose().to_owned()
    };
    // Draws in the biased tail (at or above the largest multiple of 10^6) are redrawn.
    let zone = u64::MAX - u64::MAX % 1_000_000;
    assert_eq!(issue(&mut Scripted::words([zone, u64::MAX, 42])), "000042");
    assert_eq!(
        issue(&mut Scripted::words([zone - 1])),
        format!("{:06}", (zone - 1) % 1_000_000)
    );
    // Leading zeros are kept for every width.
    for digits in 6..=10 {
        let wide = Codes::builder(&[3; 32])
            .with_digits(digits)
            .build()
            .unwrap();
        let issued = wide
            .issue(
                &Purpose::EMAIL_VERIFICATION,
                &user,
                &state(1),
                t(0),
                &mut Scripted::words([7]),
            )
            .unwrap();
        assert_eq!(
            issued.code.expose(),
            format!("{:0w$}", 7, w = usize::from(digits))
        );
    }
}

#[test]
fn code_digests_are_keyed_per_user_and_purpose() {
    let codes = Codes::builder(&[3; 32]).with_digits(8).build().unwrap();
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
        "too many"
    );
    assert_eq!(d(&Purpose::EMAIL_VERIFICATION, &user, "1234567a"), None);
    assert_eq!(
        d(&Purpose::EMAIL_VERIFICATION, &user, &" ".repeat(40)),
        None,
        "over the cap"
    );
    // Another key gives other digests.
    let other = Codes::builder(&[4; 32]).with_digits(8).build().unwrap();
    assert_ne!(
        other.digest(&Purpose::EMAIL_VERIFICATION, &user, &code),
        Some(issued.record.digest)
    );

    let build = |digits: u8, lifetime: Duration| {
        Codes::builder(&[3; 32])
            .with_digits(digits)
            .with_lifetime(lifetime)
            .build()
            .err()
    };
    let ten_minutes = Duration::from_secs(600);
    assert_eq!(build(5, ten_minutes), Some(Error::InvalidDigits));
    assert_eq!(build(11, ten_minutes), Some(Error::InvalidDigits));
    assert_eq!(
        build(6, ten_minutes + Duration::from_secs(1)),
        Some(Error::InvalidLifetime)
    );
    assert_eq!(build(6, Duration::ZERO), Some(Error::InvalidLifetime));
    // Timestamps count milliseconds: a lifetime they can't hold is refused, as for tokens.
    assert_eq!(
        build(6, Duration::from_micros(599_999_500)),
        Some(Error::InvalidLifetime)
    );
    assert_eq!(build(10, ten_minutes), None);
}

#[test]
fn a_link_bound_to_the_account_dies_when_the_password_or_email_changes() {
    let tokens = tokens();
    let ana = Email::parse("Ana@Example.com").unwrap();
    let mut account = Account::new(UserId::from(7_u64), ana, None);
    let issued = tokens
        .issue(
            &Purpose::PASSWORD_RESET,
            &account.id,
            &tokens.binding_key().bind_account(&account),
            TTL,
            t(NOW),
            &mut SystemRng,
        )
        .unwrap();
    let link = issued.token.expose();
    let check = |account: &Account| {
        tokens
            .verify(
                link,
                &Purpose::PASSWORD_RESET,
                &tokens.binding_key().bind_account(account),
                t(NOW),
            )
            .map(|_| ())
    };
    assert_eq!(check(&account), Ok(()));
    // The same address in other case or width is the same address.
    let mut respelled = account.clone();
    respelled.email = Email::parse("ana@EXAMPLE.COM").unwrap();
    assert_eq!(check(&respelled), Ok(()));
    let mut moved = account.clone();
    moved.email = Email::parse("ana@example.org").unwrap();
    assert_eq!(check(&moved), Err(Rejection::BindingMismatch));
    account.credential_version += 1;
    assert_eq!(check(&account), Err(Rejection::BindingMismatch));
}

#[test]
fn a_token_is_single_use_through_its_stored_record() {
    let store = MemoryStore::new();
    let tokens = tokens();
    let issued = issue_for(&tokens, &UserId::from(7_u64));
    let record = issued.record();
    // The store keeps the digest, never the token.
    assert_eq!(Some(record.digest), digest(issued.token.expose()));
    assert_eq!(
        (
            &record.user,
            &record.purpose,
            record.binding,
            record.expires_at
        ),
        (
            &issued.claims.subject,
            &issued.claims.purpose,
            state(1),
            issued.claims.expires_at
        )
    );
    block_on(async {
        store.insert(&record, t(NOW)).await.unwrap();
        // The link comes back: verify, then take its record; only the first taker wins.
        let link = issued.token.expose();
        let claims = tokens
            .verify(link, &Purpose::PASSWORD_RESET, &state(1), t(NOW))
            .unwrap();
        assert_eq!(claims.subject, UserId::from(7_u64));
        let spent = digest(link).unwrap();
        let first = store.take(&spent, t(NOW)).await.unwrap();
        assert_eq!(first, Some(record));
        assert_eq!(store.take(&spent, t(NOW)).await.unwrap(), None);
    })
    .unwrap();
}
