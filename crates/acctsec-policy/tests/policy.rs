//! Every rule with accepted and rejected cases, the cases issue 3 names, and properties.

// Test code: unwrapping and panicking is how a test fails.
#![allow(clippy::unwrap_used, clippy::panic)]

use std::time::Duration;

use acctsec_core::{Email, Password, Timestamp};
use acctsec_policy::{
    AgeAdvice, Blocklist, Composition, Context, Error, Normalization, Policy, ViolationCode,
};
use proptest::prelude::*;

const PASSPHRASE: &str = "marble orbit lantern quietly";

fn pw(s: &str) -> Password {
    Password::new(s)
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
    // 64 characters of four bytes each always fit.
    assert!(
        policy
            .evaluate(&pw(&"😀".repeat(64)), &Context::new())
            .is_ok()
    );
}

#[test]
fn nfkc_equivalent_inputs_are_judged_identically() {
    let policy = Policy::default();
    let ctx = context();
    let wide = "ｍａｒｂｌｅ ｏｒｂｉｔ ｌａｎｔｅｒｎ ｑｕｉｅｔｌｙ";
    assert_eq!(
        policy.evaluate(&pw(wide), &ctx).unwrap(),
        policy.evaluate(&pw(PASSPHRASE), &ctx).unwrap()
    );
    let ligature = "ﬁne ﬂoor ﬀ ﬃx ﬄuent";
    let plain = "fine floor ff ffix ffluent";
    assert_eq!(
        policy.evaluate(&pw(ligature), &ctx).unwrap(),
        policy.evaluate(&pw(plain), &ctx).unwrap()
    );
    assert_eq!(policy.normalize(&pw(ligature)).unwrap().expose(), plain);
    let raw = Policy::builder()
        .with_normalization(Normalization::None)
        .build()
        .unwrap();
    assert_eq!(raw.normalize(&pw(ligature)).unwrap().expose(), ligature);
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
    // Words shorter than four characters are ignored (too many false matches).
    assert!(
        !Context::new()
            .with_user_words("Al Bo")
            .words()
            .any(|_| true)
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
    let classic = Policy::classic();
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
        let _ = Policy::classic().evaluate(&pw(&s), &Context::new());
    }

    #[test]
    fn normalisation_is_idempotent(s in "\\PC{0,80}") {
        let once = Normalization::Nfkc.apply(&pw(&s));
        let twice = Normalization::Nfkc.apply(&once);
        prop_assert_eq!(once.expose(), twice.expose());
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
