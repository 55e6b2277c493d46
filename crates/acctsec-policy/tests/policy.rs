//! Every rule with accepted and rejected cases, the cases issue 3 names, and properties.

// Test code: unwrapping and panicking is how a test fails.
#![allow(clippy::unwrap_used, clippy::panic)]

use std::time::Duration;

use acctsec_core::{Email, Password, Timestamp};
use acctsec_policy::{
    AgeAdvice, Blocklist, Composition, Context, Error, MAX_BLOCKLIST_CANDIDATE_BYTES,
    MAX_CONTEXT_TEXT_BYTES, MAX_CONTEXT_WORDS, Normalization, Policy, ViolationCode,
};
use proptest::prelude::*;

const PASSPHRASE: &str = "marble orbit lantern quietly";

fn pw(s: &str) -> Password {
    Password::new(s)
}

/// A SHA-1 in upper-case hexadecimal, as breach lists and the range API write it.
fn hex(sha1: &[u8; 20]) -> String {
    sha1.iter().map(|b| format!("{b:02X}")).collect()
}

fn context() -> Context {
    Context::new()
        .with_email(&Email::parse("dana.lee@example.com").unwrap())
        .with_user_words("Dana Lee")
        .with_site_words("Contoso Cloud")
}

/// A policy with only the rule under test switched on (no length, no strength).
fn only_rules() -> acctsec_policy::PolicyBuilder {
    Policy::builder()
        .with_min_length(1)
        .with_min_length_with_second_factor(1)
        .with_min_score(0)
}

fn codes(policy: &Policy, password: &str, context: &Context) -> Vec<&'static str> {
    let verdict = policy.evaluate(&pw(password), context).unwrap();
    verdict.violations.iter().map(|v| v.code.code()).collect()
}

#[test]
fn the_issue_s_cases_under_the_default_policy() {
    let policy = Policy::default();
    let ctx = context();
    for weak in [
        "password",
        "123456",
        "P@ssw0rd1!",
        "Contoso2026",
        "contoso123456789",
    ] {
        let verdict = policy.evaluate(&pw(weak), &ctx).unwrap();
        assert!(!verdict.accepted, "{weak} must be rejected");
    }
    assert!(codes(&policy, "contoso123456789", &ctx).contains(&"context_word"));
    // Each is refused for its own reason, not only for being short.
    let rules = only_rules().build().unwrap();
    assert!(codes(&rules, "password", &ctx).contains(&"common_password"));
    assert!(codes(&rules, "123456", &ctx).contains(&"common_password"));
    assert!(
        codes(
            &only_rules().with_min_score(3).build().unwrap(),
            "P@ssw0rd1!",
            &ctx
        )
        .contains(&"too_weak")
    );
    assert!(codes(&rules, "Contoso2026", &ctx).contains(&"context_word"));
    assert!(policy.evaluate(&pw(PASSPHRASE), &ctx).unwrap().accepted);
    // The email's local part, as the whole password (padded to the minimum length).
    let verdict = policy.evaluate(&pw("dana.lee.dana.lee"), &ctx).unwrap();
    assert!(verdict.violates(ViolationCode::ContextWord), "{verdict:?}");
    let email_only = Context::new().with_email(&Email::parse("quartermaster@example.com").unwrap());
    let verdict = only_rules()
        .build()
        .unwrap()
        .evaluate(&pw("quartermaster"), &email_only)
        .unwrap();
    assert!(verdict.violates(ViolationCode::ContextWord));
}

#[test]
fn length_counts_characters_after_normalisation() {
    let policy = Policy::builder().with_min_score(0).build().unwrap();
    let ctx = Context::new();
    assert!(
        policy
            .evaluate(&pw("qwzxv mlkrt pa"), &ctx)
            .unwrap()
            .violates(ViolationCode::TooShort)
    ); // 14
    assert!(
        !policy
            .evaluate(&pw("qwzxv mlkrt pay"), &ctx)
            .unwrap()
            .violates(ViolationCode::TooShort)
    ); // 15
    // Seven ligatures and a letter are 8 characters as typed and 15 after NFKC.
    assert!(
        !policy
            .evaluate(&pw("ﬁﬂﬁﬂﬁﬂﬁx"), &ctx)
            .unwrap()
            .violates(ViolationCode::TooShort)
    );
    // Fifteen characters of two or three bytes each are fifteen characters.
    assert!(
        !policy
            .evaluate(&pw("äöüßéèêëçñåøæœ€"), &ctx)
            .unwrap()
            .violates(ViolationCode::TooShort)
    );
    // A second factor lowers the minimum to 8.
    let mfa = Context::new().with_second_factor(true);
    assert!(
        !policy
            .evaluate(&pw("qwzxvmlk"), &mfa)
            .unwrap()
            .violates(ViolationCode::TooShort)
    );
    assert!(
        policy
            .evaluate(&pw("qwzxvml"), &mfa)
            .unwrap()
            .violates(ViolationCode::TooShort)
    );
}

#[test]
fn over_the_cap_is_an_error_never_a_truncation() {
    let policy = Policy::default();
    let at_cap = "ab".repeat(512);
    assert!(policy.evaluate(&pw(&at_cap), &Context::new()).is_ok());
    assert_eq!(
        policy.evaluate(&pw(&format!("{at_cap}c")), &Context::new()),
        Err(Error::PasswordTooLong)
    );
    // NFKC can grow text 18-fold (U+FDFA): the cap applies after normalisation too.
    let growing = "\u{FDFA}".repeat(100);
    assert!(growing.len() <= 1024);
    assert_eq!(
        policy.normalize(&pw(&growing)).err(),
        Some(Error::PasswordTooLong)
    );
    // Each U+FDFA is 33 bytes normalised: 31 fit in 1,024 bytes exactly as written, 32 do not.
    let fits = policy.normalize(&pw(&"\u{FDFA}".repeat(31))).unwrap();
    assert_eq!(fits.expose().len(), 31 * 33);
    assert!(fits.expose().starts_with("صلى الله عليه وسلم"));
    assert_eq!(
        policy.normalize(&pw(&"\u{FDFA}".repeat(32))).err(),
        Some(Error::PasswordTooLong)
    );
    // 64 characters of four bytes each always fit.
    assert!(
        policy
            .evaluate(&pw(&"😀".repeat(64)), &Context::new())
            .is_ok()
    );
}

/// The verdict without the raw guess count: zxcvbn 3.1.1 can break ties between equally likely
/// readings differently from one call to the next (its tables are hash maps), which moves
/// `guesses_log10` a little for the very same input; the verdict and score do not move.
fn verdict(policy: &Policy, password: &str) -> (bool, Vec<ViolationCode>, u8, usize) {
    let a = policy.evaluate(&pw(password), &context()).unwrap();
    (
        a.accepted,
        a.violations.iter().map(|v| v.code).collect(),
        a.strength.score,
        a.length,
    )
}

#[test]
fn nfkc_equivalent_inputs_are_judged_identically() {
    let policy = Policy::default();
    for (variant, plain) in [
        (
            "ｍａｒｂｌｅ ｏｒｂｉｔ ｌａｎｔｅｒｎ ｑｕｉｅｔｌｙ",
            PASSPHRASE,
        ),
        ("ﬁne ﬂoor ﬀ ﬃx ﬄuent", "fine floor ff ffix ffluent"),
        ("Ｐ＠ｓｓｗ０ｒｄ１！", "P@ssw0rd1!"),
    ] {
        assert_eq!(policy.normalize(&pw(variant)).unwrap().expose(), plain);
        assert_eq!(
            verdict(&policy, variant),
            verdict(&policy, plain),
            "{variant}"
        );
    }
    let raw = Policy::builder()
        .with_normalization(Normalization::None)
        .build()
        .unwrap();
    assert_eq!(raw.normalize(&pw("ﬁne")).unwrap().expose(), "ﬁne");
    assert!(Normalization::Nfkc.id().starts_with("nfkc/unicode-"));
}

#[test]
fn control_characters_are_refused() {
    let policy = only_rules().build().unwrap();
    assert_eq!(
        codes(&policy, "tab\there", &Context::new()),
        ["control_character"]
    );
    assert!(codes(&policy, "no controls here", &Context::new()).is_empty());
}

#[test]
fn common_passwords_are_refused_with_case_changes_and_substitutions() {
    let policy = only_rules().build().unwrap();
    for common in [
        "password", "123456", "PASSWORD", "P@ssw0rd", "iloveyou", "qwerty",
    ] {
        assert!(
            codes(&policy, common, &Context::new()).contains(&"common_password"),
            "{common}"
        );
    }
    for uncommon in ["qwzxv mlkrt", PASSPHRASE, "password lantern"] {
        assert!(
            !codes(&policy, uncommon, &Context::new()).contains(&"common_password"),
            "{uncommon}"
        );
    }
}

#[test]
fn debug_shows_counts_not_entries() {
    let list = Blocklist::from_lines("hunter2-secret-leak\n").unwrap();
    let policy = only_rules().with_blocklist(list.clone()).build().unwrap();
    for dbg in [format!("{list:?}"), format!("{policy:?}")] {
        assert!(!dbg.contains("hunter2"), "{dbg}");
        assert!(dbg.contains("entries: 1"), "{dbg}");
    }
}

#[test]
fn the_site_s_blocklist_applies_case_insensitively() {
    let list = Blocklist::from_lines("Contoso-Winter-2026\n# a comment\nhunter2-hunter2-hunter2\n")
        .unwrap();
    let policy = only_rules().with_blocklist(list).build().unwrap();
    assert_eq!(
        codes(&policy, "CONTOSO-WINTER-2026", &Context::new()),
        ["blocklisted"]
    );
    assert_eq!(
        codes(&policy, "hunter2-hunter2-hunter2", &Context::new()),
        ["blocklisted"]
    );
    assert!(codes(&policy, "hunter2-hunter3-hunter2", &Context::new()).is_empty());
    assert!(Blocklist::from_lines(&"x".repeat(257)).is_err());
    // Entries are normalised like passwords: a full-width entry blocks the plain password.
    let wide = only_rules()
        .with_blocklist(Blocklist::from_lines("ｃｏｎｔｏｓｏ-ｗｉｎｔｅｒ").unwrap())
        .build()
        .unwrap();
    assert_eq!(
        codes(&wide, "Contoso-Winter", &Context::new()),
        ["blocklisted"]
    );
    // Looked up directly, a candidate is normalised as the entries were: every loaded line is
    // found as written, even one whose normal form differs (U+02DA is a space and a ring).
    let odd = Blocklist::from_lines("\u{2da}\nＷｉｄｅ\n").unwrap();
    for line in ["\u{2da}", "Ｗｉｄｅ", "wide", " \u{30a}"] {
        assert!(odd.contains(line), "{line:?}");
    }
    // The entry cap holds for the normalised form too: 85 × U+FDFA is 255 bytes typed and
    // 2,805 normalised (each is 33 bytes of Arabic words).
    assert!(Blocklist::from_lines(&"\u{fdfa}".repeat(85)).is_err());
    assert!(Blocklist::from_lines(&"\u{fdfa}".repeat(7)).is_ok());
    assert_eq!(
        Blocklist::from_lines(&"\u{fdfa}".repeat(8))
            .unwrap_err()
            .to_string(),
        "invalid blocklist: an entry is too long once normalised"
    );
    // Lower-casing reads the final sigma as any other: a Greek entry in capitals blocks the
    // password in small letters, and the other way round.
    let greek = Blocklist::from_lines("ΟΔΥΣΣΕΑΣ\nαθηνας").unwrap();
    for candidate in ["οδυσσεας", "ΟΔΥΣΣΕΑΣ", "ΑΘΗΝΑΣ", "αθηνασ"] {
        assert!(greek.contains(candidate), "{candidate}");
    }
    // Text far longer than any entry could come from is not looked at, nor found.
    let long = Blocklist::from_lines(&"a".repeat(256)).unwrap();
    assert!(long.contains(&"A".repeat(256)));
    assert!(!long.contains(&"a".repeat(MAX_BLOCKLIST_CANDIDATE_BYTES + 1)));
}

#[test]
fn context_words_are_refused_under_substitutions_and_small_edits() {
    let policy = only_rules().build().unwrap();
    let ctx = context();
    for bad in [
        "Contoso",
        "c0nt0$0 rocks",
        "I love C0NT0S0!",
        "dana2026",
        "kontoso",
        "contosso",
    ] {
        assert!(codes(&policy, bad, &ctx).contains(&"context_word"), "{bad}");
    }
    // "cloudy" contains the site word "cloud": refused as it should be.
    assert!(codes(&policy, "cloudy", &ctx).contains(&"context_word"));
    for good in [PASSPHRASE, "banana split", "overcast sky"] {
        assert!(
            !codes(&policy, good, &ctx).contains(&"context_word"),
            "{good}"
        );
    }
    // Separators between letters do not hide a word.
    assert!(codes(&policy, "C-o-n-t-o-s-o rules", &ctx).contains(&"context_word"));
    // The email's domain is not a context word: free-mail domains would refuse good passwords.
    let live = Context::new().with_email(&Email::parse("dana@live.com").unwrap());
    assert!(!codes(&policy, "olive tree garden party", &live).contains(&"context_word"));
    // Context words are normalised as passwords are: a full-width name, and a name typed with a
    // combining accent, match the password that spells them plainly.
    let wide = Context::new().with_user_words("Ｄａｎａ José");
    assert_eq!(wide.words().collect::<Vec<_>>(), ["dana", "josé"]);
    let decomposed = Context::new().with_user_words("Jose\u{301}");
    assert_eq!(decomposed.words().collect::<Vec<_>>(), ["josé"]);
    assert!(codes(&policy, "josé rocks the boat", &decomposed).contains(&"context_word"));
    // Also when the policy leaves passwords as typed: the comparison itself is in NFKC.
    let raw = only_rules()
        .with_normalization(Normalization::None)
        .build()
        .unwrap();
    let typed_wide = Context::new().with_user_words("Ｄａｎａ");
    assert!(codes(&raw, "Ｄａｎａ2026", &typed_wide).contains(&"context_word"));
    assert!(codes(&raw, "jose\u{301} rocks the boat", &wide).contains(&"context_word"));
    // Words shorter than four characters are ignored (too many false matches).
    assert!(
        !Context::new()
            .with_user_words("Al Bo")
            .words()
            .any(|_| true)
    );
}

#[test]
fn context_reads_bounded_text_and_keeps_bounded_words() {
    // Only the first MAX_CONTEXT_TEXT_BYTES of a text are read: a word inside them is kept, one
    // past them is not.
    let filler = "-".repeat(MAX_CONTEXT_TEXT_BYTES - 10);
    let text = format!("{filler} dana {}leeroy", "x ".repeat(10_000_000));
    let ctx = Context::new().with_user_words(&text);
    assert_eq!(ctx.words().collect::<Vec<_>>(), ["dana"]);
    // A two-byte character across the cut is left out whole, never split (or a panic).
    let across = format!(
        "{}{}",
        "-".repeat(MAX_CONTEXT_TEXT_BYTES - 9),
        "é".repeat(8)
    );
    let ctx = Context::new().with_site_words(&across);
    assert_eq!(ctx.words().collect::<Vec<_>>(), ["éééé"]);
    // At most MAX_CONTEXT_WORDS of the user's words, and a long display name can't push out
    // the site's.
    let many: String = (0..200).map(|i| format!("word{i:03} ")).collect();
    let ctx = Context::new()
        .with_user_words(&many)
        .with_site_words("Contoso");
    assert_eq!(ctx.words().count(), MAX_CONTEXT_WORDS + 1);
    assert!(ctx.words().any(|w| w == "contoso"));
    let ctx = Context::new().with_site_words(&many).with_user_words(&many);
    assert_eq!(ctx.words().count(), 2 * MAX_CONTEXT_WORDS);
    let contoso = Policy::default().evaluate(
        &Password::new("Contoso-2024-spring!"),
        &Context::new()
            .with_user_words(&many)
            .with_site_words("Contoso"),
    );
    assert!(
        contoso.unwrap().violates(ViolationCode::ContextWord),
        "the site's name still counts"
    );
}

#[test]
fn strength_rule_and_feedback() {
    let policy = Policy::default();
    let weak = policy
        .evaluate(&pw("aaaaaaaaaaaaaaaa"), &Context::new())
        .unwrap();
    assert!(weak.violates(ViolationCode::TooWeak));
    assert!(weak.strength.score < 3);
    assert!(weak.strength.warning.is_some() || !weak.strength.suggestions.is_empty());
    let keyboard = policy
        .evaluate(&pw("qwertyuiopasdfghjkl"), &Context::new())
        .unwrap();
    assert!(keyboard.violates(ViolationCode::TooWeak));
    let strong = policy.evaluate(&pw(PASSPHRASE), &Context::new()).unwrap();
    assert!(strong.strength.score >= 3 && strong.accepted, "{strong:?}");
    // A long weak password does not pass for being long.
    let padded = policy
        .evaluate(&pw(&"password".repeat(20)), &Context::new())
        .unwrap();
    assert!(padded.violates(ViolationCode::TooWeak));
    // Messages never repeat the password.
    for v in policy
        .evaluate(&pw("dana.lee-contoso"), &context())
        .unwrap()
        .violations
    {
        assert!(
            !v.message.to_lowercase().contains("contoso"),
            "{}",
            v.message
        );
    }
}

#[test]
fn classic_preset_requires_all_four_classes() {
    let classic = Policy::insecure_classic();
    let ctx = Context::new();
    assert!(
        classic
            .evaluate(&pw("Tr0ub4dor&3x"), &ctx)
            .unwrap()
            .accepted
    );
    let verdict = classic.evaluate(&pw("troubadour"), &ctx).unwrap();
    assert!(!verdict.accepted);
    for code in [
        ViolationCode::MissingUppercase,
        ViolationCode::MissingDigit,
        ViolationCode::MissingSymbol,
    ] {
        assert!(verdict.violates(code), "{code:?}");
    }
    assert!(!verdict.violates(ViolationCode::MissingLowercase));
    assert!(
        classic
            .evaluate(&pw("Tr0ub&3"), &ctx)
            .unwrap()
            .violates(ViolationCode::TooShort)
    );
    // Custom composition counts.
    let two_digits = only_rules()
        .with_composition(Composition {
            digits: 2,
            ..Composition::default()
        })
        .build()
        .unwrap();
    assert_eq!(codes(&two_digits, "qzx9", &ctx), ["missing_digit"]);
    assert!(codes(&two_digits, "qzx97", &ctx).is_empty());
}

#[test]
fn age_is_advisory_unless_breached() {
    let day = Duration::from_secs(86_400);
    let set = Timestamp::from_unix_secs(0);
    let later = Timestamp::from_unix_secs(400 * 86_400);
    assert_eq!(
        Policy::default().age_advice(set, later, false),
        AgeAdvice::Fine
    );
    assert_eq!(
        Policy::default().age_advice(set, later, true),
        AgeAdvice::MustChange
    );
    let advisory = Policy::builder()
        .with_advisory_age(365 * day)
        .build()
        .unwrap();
    assert_eq!(
        advisory.age_advice(set, later, false),
        AgeAdvice::ConsiderChanging
    );
    assert_eq!(advisory.age_advice(set, set, false), AgeAdvice::Fine);
}

#[test]
fn settings_are_validated() {
    assert!(Policy::builder().with_max_bytes(255).build().is_err());
    assert!(Policy::builder().with_max_bytes(1025).build().is_err());
    assert!(Policy::builder().with_min_length(0).build().is_err());
    assert!(Policy::builder().with_min_length(65).build().is_err());
    assert!(
        Policy::builder()
            .with_min_length(8)
            .with_min_length_with_second_factor(9)
            .build()
            .is_err()
    );
    assert!(Policy::builder().with_min_score(5).build().is_err());
    assert!(
        Policy::builder()
            .with_min_length(64)
            .with_max_bytes(256)
            .build()
            .is_ok()
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn evaluation_never_panics(s in "\\PC{0,120}|.{0,40}|[\\x00-\\x7f]{0,300}") {
        let _ = Policy::default().evaluate(&pw(&s), &context());
        let _ = Policy::insecure_classic().evaluate(&pw(&s), &Context::new());
    }

    #[test]
    fn normalisation_is_idempotent(s in "\\PC{0,80}") {
        let policy = Policy::default();
        match policy.normalize(&pw(&s)) {
            Ok(once) => {
                let twice = policy.normalize(&once).unwrap();
                prop_assert_eq!(once.expose(), twice.expose());
            }
            // Only a character that NFKC expands many times over can push it past the cap.
            Err(e) => prop_assert_eq!(e, Error::PasswordTooLong),
        }
    }
}

#[test]
fn huge_and_empty_inputs() {
    let policy = Policy::default();
    assert!(
        policy
            .evaluate(&pw(""), &Context::new())
            .unwrap()
            .violates(ViolationCode::TooShort)
    );
    assert_eq!(
        policy.evaluate(&pw(&"x".repeat(1_000_000)), &Context::new()),
        Err(Error::PasswordTooLong)
    );
}

mod breach {
    use super::*;
    use acctsec_policy::{
        BREACH_FILTER_FALSE_POSITIVE_RATE, BREACH_FILTER_MAX_FALSE_POSITIVE_RATE, BreachCheck,
        BreachFailure, BreachFilter, BreachOracle, Breached, password_sha1,
    };

    /// The SHA-1 of `n`'s decimal text: distinct, uniformly spread hashes.
    fn hash_of(n: u64) -> [u8; 20] {
        *password_sha1(&pw(&n.to_string()))
    }

    #[test]
    fn the_filter_holds_every_listed_hash_and_few_others() {
        const LISTED: u64 = 200_000;
        let lines: String = (0..LISTED)
            .map(|n| format!("{}:{}\n", hex(&hash_of(n)), n % 97 + 1))
            .collect();
        let filter = BreachFilter::from_hash_lines(&lines).unwrap();
        assert_eq!(filter.hashes(), LISTED);
        assert!(
            (0..LISTED).all(|n| filter.contains(&hash_of(n))),
            "no false negatives"
        );
        // False positives among a million hashes that were never listed: expected ~15 (2^-16).
        const PROBES: u64 = 1_000_000;
        let false_positives = (LISTED..LISTED + PROBES)
            .filter(|n| filter.contains(&hash_of(*n)))
            .count();
        let rate = false_positives as f64 / PROBES as f64;
        // Construction is seeded, so the count is the same every run (23): within the bound, and
        // consistent with the expected 2^-16 (about 15 of a million).
        assert!(rate > 0.0 && rate < 3.0 * BREACH_FILTER_FALSE_POSITIVE_RATE);
        assert!(
            rate <= BREACH_FILTER_MAX_FALSE_POSITIVE_RATE,
            "measured {rate} ({false_positives} of {PROBES})"
        );
        // Saved and loaded, it answers the same.
        let loaded = BreachFilter::from_bytes(&filter.to_bytes()).unwrap();
        assert!((0..1000).all(|n| loaded.contains(&hash_of(n))));
        assert_eq!(loaded.hashes(), LISTED);
    }

    #[test]
    fn bad_lists_and_bad_files_get_clear_errors() {
        let good = hex(&hash_of(1));
        for (text, line) in [
            (format!("{good}\nnot-a-hash\n"), 2),
            (format!("{good}:12x\n"), 1),
            (format!("\n\n{}\n", &good[..39]), 3),
            (format!("{good}:{}\n", "9".repeat(20)), 1),
        ] {
            match BreachFilter::from_hash_lines(&text) {
                Err(Error::BreachList { line: got, .. }) => assert_eq!(got, line, "{text:?}"),
                other => panic!("{text:?}: {other:?}"),
            }
        }
        let bytes = BreachFilter::from_hash_lines(&format!("{good}\n{}\n", hex(&hash_of(2))))
            .unwrap()
            .to_bytes();
        assert!(BreachFilter::from_bytes(&bytes[..20]).is_err());
        assert!(BreachFilter::from_bytes(&bytes[..bytes.len() - 1]).is_err());
        let mut wrong_magic = bytes.clone();
        wrong_magic[0] ^= 1;
        assert!(BreachFilter::from_bytes(&wrong_magic).is_err());
        // A descriptor that would address fingerprints past the end is refused, not trusted.
        let mut stretched = bytes.clone();
        stretched[29..33].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(BreachFilter::from_bytes(&stretched).is_err());
    }

    #[test]
    fn a_crafted_filter_file_is_refused_not_trusted() {
        // Segment length 1, no segments, two fingerprints: xorf would read a third (found in review).
        let mut file = b"acctsec-bf16".to_vec();
        file.push(1);
        file.extend_from_slice(&7_u64.to_le_bytes()); // seed
        file.extend_from_slice(&1_u32.to_le_bytes()); // segment length
        file.extend_from_slice(&0_u32.to_le_bytes()); // mask
        file.extend_from_slice(&0_u32.to_le_bytes()); // segment count length
        file.extend_from_slice(&0_u64.to_le_bytes()); // hashes
        file.extend_from_slice(&[0, 0, 0, 0]); // two fingerprints
        assert_eq!(file.len(), 45);
        assert!(BreachFilter::from_bytes(&file).is_err());
    }

    #[test]
    fn filters_of_every_size_save_and_load() {
        for size in [1_u64, 2, 5, 1000, 200_000] {
            let lines: String = (0..size).map(|n| hex(&hash_of(n)) + "\n").collect();
            let filter = BreachFilter::from_hash_lines(&lines).unwrap();
            let loaded = BreachFilter::from_bytes(&filter.to_bytes())
                .unwrap_or_else(|e| panic!("{size}: {e}"));
            assert!(
                (0..size.min(1000)).all(|n| loaded.contains(&hash_of(n))),
                "{size}"
            );
            assert!(format!("{loaded:?}").starts_with("BreachFilter { hashes: "));
        }
    }

    proptest! {
        #[test]
        fn loading_any_bytes_never_panics(noise in prop::collection::vec(any::<u8>(), 0..200), at in any::<prop::sample::Index>(), byte in any::<u8>()) {
            let _ = BreachFilter::from_bytes(&noise);
            // A valid header with random descriptor fields and body length.
            let mut file = b"acctsec-bf16".to_vec();
            file.push(1);
            file.extend_from_slice(&noise.get(..28).map_or([0; 28], |n| <[u8; 28]>::try_from(n).unwrap()));
            file.extend_from_slice(noise.get(28..).unwrap_or_default());
            if let Ok(f) = BreachFilter::from_bytes(&file) {
                for n in 0..100 {
                    let _ = f.contains(&hash_of(n));
                }
            }
            let good = BreachFilter::from_hash_lines(&(0..50).map(|n| hex(&hash_of(n)) + "\n").collect::<String>()).unwrap();
            let mut bytes = good.to_bytes();
            let i = at.index(bytes.len());
            bytes[i] = byte;
            if let Ok(f) = BreachFilter::from_bytes(&bytes) {
                for n in 0..100 {
                    let _ = f.contains(&hash_of(n));
                }
            }
        }
    }

    struct Down;

    impl BreachOracle for Down {
        async fn check(&self, _: &[u8; 20]) -> acctsec_policy::Result<Breached> {
            Err(Error::BreachCheckUnavailable)
        }
    }

    #[test]
    fn breached_passwords_are_refused_and_failure_is_explicit() {
        let policy = Policy::default();
        let ctx = Context::new();
        let strong_but_leaked = "correct horse battery staple";
        let list = format!("{}:3\n", hex(&password_sha1(&pw(strong_but_leaked))));
        let filter = BreachFilter::from_hash_lines(&list).unwrap();
        acctsec_testkit::block_on(async {
            let leaked = policy
                .evaluate_with_breach(&pw(strong_but_leaked), &ctx, &filter, BreachFailure::Closed)
                .await
                .unwrap();
            assert!(
                !leaked.accepted && leaked.violates(ViolationCode::Breached),
                "{leaked:?}"
            );
            let fine = policy
                .evaluate_with_breach(&pw(PASSPHRASE), &ctx, &filter, BreachFailure::Closed)
                .await
                .unwrap();
            assert!(fine.accepted);
            // The filter is keyed by the normalised password: a full-width copy is just as leaked.
            let wide = "ｃｏｒｒｅｃｔ ｈｏｒｓｅ ｂａｔｔｅｒｙ ｓｔａｐｌｅ";
            let leaked_wide = policy
                .evaluate_with_breach(&pw(wide), &ctx, &filter, BreachFailure::Open)
                .await
                .unwrap();
            assert!(leaked_wide.violates(ViolationCode::Breached));
            assert_eq!(leaked_wide.breach, BreachCheck::Breached);
            assert_eq!(fine.breach, BreachCheck::Clear);
            let unchecked = policy.evaluate(&pw(PASSPHRASE), &ctx).unwrap();
            assert_eq!(unchecked.breach, BreachCheck::NotChecked);
            // An oracle that cannot answer: open accepts, visibly; closed refuses to judge.
            let open = policy
                .evaluate_with_breach(&pw(PASSPHRASE), &ctx, &Down, BreachFailure::Open)
                .await
                .unwrap();
            assert!(open.accepted);
            assert_eq!(
                open.breach,
                BreachCheck::Unavailable,
                "failing open is visible"
            );
            let closed = policy
                .evaluate_with_breach(&pw(PASSPHRASE), &ctx, &Down, BreachFailure::Closed)
                .await;
            assert_eq!(closed, Err(Error::BreachCheckUnavailable));
        })
        .unwrap();
    }
}

mod range {
    use std::sync::Mutex;
    use std::time::Duration;

    use super::*;
    use acctsec_core::BoxError;
    use acctsec_policy::{
        BreachFailure, BreachOracle, Breached, MAX_RANGE_ENTRIES, RangeOracle, RangeTransport,
        password_sha1,
    };

    /// Serves ranges from a list of breached passwords, padded with zero-count entries, and
    /// records every request. (The real service is not reachable from the test machines.)
    struct LocalRanges {
        breached: Vec<(String, u64)>,
        requests: Mutex<Vec<(String, Duration)>>,
        body_override: Option<String>,
    }

    impl LocalRanges {
        fn new(breached: &[(&str, u64)]) -> Self {
            let breached = breached
                .iter()
                .map(|(p, n)| (hex(&password_sha1(&pw(p))), *n))
                .collect();
            Self {
                breached,
                requests: Mutex::new(Vec::new()),
                body_override: None,
            }
        }

        fn requests(&self) -> Vec<(String, Duration)> {
            self.requests.lock().unwrap().clone()
        }
    }

    impl RangeTransport for LocalRanges {
        async fn fetch(&self, prefix: &str, timeout: Duration) -> Result<String, BoxError> {
            self.requests
                .lock()
                .unwrap()
                .push((prefix.to_owned(), timeout));
            if let Some(body) = &self.body_override {
                return Ok(body.clone());
            }
            let mut body = String::new();
            for (hex, n) in &self.breached {
                if hex.starts_with(prefix) {
                    body.push_str(&format!("{}:{n}\r\n", &hex[5..]));
                }
            }
            // Padding the service adds so every response has the same size.
            for i in 0..50 {
                body.push_str(&format!("{:035X}:0\r\n", i));
            }
            Ok(body)
        }
    }

    struct Unreachable;

    impl RangeTransport for Unreachable {
        async fn fetch(&self, _: &str, _: Duration) -> Result<String, BoxError> {
            Err("connection refused".into())
        }
    }

    fn check<T: RangeTransport>(
        oracle: &RangeOracle<T>,
        password: &str,
    ) -> acctsec_policy::Result<Breached> {
        acctsec_testkit::block_on(oracle.check(&password_sha1(&pw(password)))).unwrap()
    }

    #[test]
    fn only_five_hex_digits_leave_and_counts_come_back() {
        let oracle = RangeOracle::new(LocalRanges::new(&[("correct horse battery staple", 42)]))
            .with_timeout(Duration::from_millis(750));
        assert_eq!(
            check(&oracle, "correct horse battery staple"),
            Ok(Breached::Yes { count: Some(42) })
        );
        assert_eq!(check(&oracle, PASSPHRASE), Ok(Breached::No));
        let requests = oracle.transport().requests();
        assert_eq!(requests.len(), 2);
        for (prefix, timeout) in &requests {
            assert_eq!(prefix.len(), 5);
            assert!(
                prefix
                    .bytes()
                    .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_lowercase())
            );
            assert_eq!(*timeout, Duration::from_millis(750));
        }
    }

    #[test]
    fn a_zero_count_entry_is_padding_not_a_breach() {
        // The password's real suffix, served with a count of 0, as padding can look.
        let oracle = RangeOracle::new(LocalRanges::new(&[(PASSPHRASE, 0)]));
        assert_eq!(check(&oracle, PASSPHRASE), Ok(Breached::No));
    }

    #[test]
    fn padding_is_ignored_and_ranges_are_cached_within_bounds() {
        // Room for two ranges of this size (padding only: no entries kept, 96 bytes each).
        let oracle = RangeOracle::new(LocalRanges::new(&[])).with_cache_bytes(2 * 96);
        // A padding entry's suffix would "match" nothing real: zero counts are never breaches.
        assert_eq!(check(&oracle, "a"), Ok(Breached::No));
        assert_eq!(check(&oracle, "a"), Ok(Breached::No));
        assert_eq!(
            oracle.transport().requests().len(),
            1,
            "the second lookup is served from the cache"
        );
        check(&oracle, "b").unwrap();
        check(&oracle, "c").unwrap();
        check(&oracle, "a").unwrap();
        assert_eq!(
            oracle.transport().requests().len(),
            4,
            "the oldest range was evicted at capacity 2"
        );
    }

    #[test]
    fn bad_answers_and_outages_follow_the_failure_choice() {
        let mut garbled = LocalRanges::new(&[]);
        garbled.body_override = Some("not a range\n".to_owned());
        let oversize = LocalRanges {
            body_override: Some(format!("{}:1\n", "A".repeat(35)).repeat(30_000)),
            ..LocalRanges::new(&[])
        };
        // Under the byte cap but one entry (padding counts) over MAX_RANGE_ENTRIES.
        let entries = |n: usize| -> String { (0..n).map(|i| format!("{i:035X}:0\n")).collect() };
        let crowded = LocalRanges {
            body_override: Some(entries(MAX_RANGE_ENTRIES + 1)),
            ..LocalRanges::new(&[])
        };
        let full = LocalRanges {
            body_override: Some(entries(MAX_RANGE_ENTRIES)),
            ..LocalRanges::new(&[])
        };
        let policy = Policy::default();
        let ctx = Context::new();
        let password = pw(PASSPHRASE);
        acctsec_testkit::block_on(async {
            assert_eq!(
                RangeOracle::new(full)
                    .check(&password_sha1(&password))
                    .await,
                Ok(Breached::No)
            );
            for oracle in [
                RangeOracle::new(garbled),
                RangeOracle::new(oversize),
                RangeOracle::new(crowded),
            ] {
                assert_eq!(
                    oracle.check(&password_sha1(&password)).await,
                    Err(Error::BreachCheckUnavailable)
                );
                let closed = policy
                    .evaluate_with_breach(&password, &ctx, &oracle, BreachFailure::Closed)
                    .await;
                assert_eq!(closed, Err(Error::BreachCheckUnavailable));
                let open = policy
                    .evaluate_with_breach(&password, &ctx, &oracle, BreachFailure::Open)
                    .await
                    .unwrap();
                assert!(open.accepted);
            }
            let down = RangeOracle::new(Unreachable);
            let closed = policy
                .evaluate_with_breach(&password, &ctx, &down, BreachFailure::Closed)
                .await;
            assert_eq!(closed, Err(Error::BreachCheckUnavailable));
            let leaked = RangeOracle::new(LocalRanges::new(&[(PASSPHRASE, 3)]));
            let verdict = policy
                .evaluate_with_breach(&password, &ctx, &leaked, BreachFailure::Closed)
                .await
                .unwrap();
            assert!(verdict.violates(ViolationCode::Breached));
        })
        .unwrap();
    }
}
