//! [`Policy`] and its verdict, [`Assessment`].

use std::time::Duration;

use acctsec_core::{Password, Timestamp};
use unicode_normalization::UnicodeNormalization;
use zxcvbn::matching::patterns::{DictionaryPattern, MatchPattern};

use zeroize::Zeroizing;

use crate::blocklist::Blocklist;
use crate::breach::{BreachOracle, Breached, password_sha1};
use crate::context::{Context, canonical, within_edits};
use crate::normalize::{Normalization, collect_exact, is_nfkc};
use crate::{Error, Result};

/// Minimum length with a single factor: 15 characters (NIST SP 800-63B-4, 3.1.1.2).
pub const DEFAULT_MIN_LENGTH: usize = 15;
/// Minimum length when a second factor is enrolled: 8 characters (NIST SP 800-63B-4).
pub const DEFAULT_MIN_LENGTH_WITH_SECOND_FACTOR: usize = 8;
/// The longest password accepted, bytes after normalisation; longer ones are refused with
/// [`Error::PasswordTooLong`], never truncated. The hasher's cap,
/// [`MAX_PASSWORD_BYTES`](acctsec_core::MAX_PASSWORD_BYTES).
pub const DEFAULT_MAX_BYTES: usize = acctsec_core::MAX_PASSWORD_BYTES;
/// The lowest byte cap a policy may set: 64 characters of up to four bytes each must always fit
/// (NIST SP 800-63B-4 requires accepting at least 64 characters).
pub const MIN_MAX_BYTES: usize = 256;
/// The highest byte cap a policy may set: the hasher's,
/// [`MAX_PASSWORD_BYTES`](acctsec_core::MAX_PASSWORD_BYTES).
pub const MAX_MAX_BYTES: usize = acctsec_core::MAX_PASSWORD_BYTES;
/// The lowest zxcvbn score accepted by default: 3 (at least 10^8 estimated guesses; zxcvbn calls it
/// "safely unguessable: moderate protection from offline slow-hash scenario").
pub const DEFAULT_MIN_SCORE: u8 = 3;
/// How many characters the strength estimator reads at most. zxcvbn's cost grows with the square
/// of the length and doubles with each distinct look-alike character it has to try substitutions
/// for, so it judges a prefix: at most 20 characters, cut before the
/// [`MAX_LOOKALIKE_KINDS`]` + 1`-th distinct look-alike character. A long password whose
/// beginning is weak (a keyboard walk, a padded common password) is weak. Cutting can hide one
/// pattern — a short base typed twice, which zxcvbn would price as one repeat — so when the
/// password is a repetition of a shorter base, the base is scored too (its first 12 characters,
/// up to 6 look-alike kinds) and the lower estimate counts. Ordinary passwords fit the window and are scored exactly as zxcvbn scores them.
pub const STRENGTH_WINDOW_CHARS: usize = 20;
/// The most distinct look-alike characters (`4 @ 8 ( { [ < 3 6 9 1 ! | 7 0 $ 5 + % 2`, zxcvbn's
/// substitution table) the strength window may hold: 6 (chosen by measurement: the worst of 8,000
/// adversarial inputs evaluates in 0.56 ms; with 10 the worst found took 2.5 ms).
pub const MAX_LOOKALIKE_KINDS: usize = 6;
const LOOKALIKES: &str = "4@8({[<3691!|70$5+%2";

/// The repeated unit of `text` if the text is that unit typed at least twice (its smallest
/// period, from the KMP failure function over at most 256 characters).
fn repeated_base(text: &str) -> Option<String> {
    let chars = Zeroizing::new(chars_of(text, 256));
    let n = chars.len();
    let mut fail = vec![0_usize; n];
    for i in 1..n {
        let mut k = fail.get(i - 1).copied().unwrap_or(0);
        while k > 0 && chars.get(i) != chars.get(k) {
            k = fail.get(k - 1).copied().unwrap_or(0);
        }
        if chars.get(i) == chars.get(k) {
            k += 1;
        }
        if let Some(slot) = fail.get_mut(i) {
            *slot = k;
        }
    }
    let period = n - fail.last().copied().unwrap_or(0);
    (n > 0 && 2 * period <= n).then(|| collect_exact(chars.iter().take(period).copied()))
}

/// The first `max` characters of `text`, in a vector allocated once at its size (so no outgrown
/// buffer holding part of a password is left unwiped).
fn chars_of(text: &str, max: usize) -> Vec<char> {
    let mut chars = Vec::with_capacity(text.chars().take(max).count());
    chars.extend(text.chars().take(max));
    chars
}

/// The window for the base of a repeated password: smaller, since its estimate is a second one
/// and only has to catch a weak base.
const BASE_WINDOW_CHARS: usize = 12;
const BASE_LOOKALIKE_KINDS: usize = 6;

/// The prefix of `text` the strength estimator reads (see [`STRENGTH_WINDOW_CHARS`]): at most
/// `max_chars` characters, cut before the `max_kinds + 1`-th distinct look-alike character.
fn strength_window(text: &str, max_chars: usize, max_kinds: usize) -> String {
    let mut kinds: Vec<char> = Vec::with_capacity(max_kinds);
    // Room for the longest window at once: it never grows, so no outgrown buffer is left.
    let mut window = String::with_capacity(max_chars * 4);
    for c in text.chars().take(max_chars) {
        if LOOKALIKES.contains(c) && !kinds.contains(&c) {
            if kinds.len() == max_kinds {
                break;
            }
            kinds.push(c);
        }
        window.push(c);
    }
    window
}

/// Character-class requirements. Off by default: NIST SP 800-63B-4 says they SHALL NOT be imposed
/// and ASVS 5.0 (6.2.5) agrees. [`Policy::insecure_classic`] turns them on for sites that must
/// have them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Composition {
    /// Least upper-case letters.
    pub upper: usize,
    /// Least lower-case letters.
    pub lower: usize,
    /// Least digits.
    pub digits: usize,
    /// Least symbols (anything not a letter, digit or space).
    pub symbols: usize,
}

/// A stable code for each rule a password can break, for user interfaces to translate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[non_exhaustive]
pub enum ViolationCode {
    /// Shorter than the minimum length.
    TooShort,
    /// Contains a control character.
    ControlCharacter,
    /// One of the most common passwords.
    CommonPassword,
    /// On the site's own blocklist.
    Blocklisted,
    /// Contains, or is close to, the user's or the site's own words.
    ContextWord,
    /// Estimated too easy to guess.
    TooWeak,
    /// Too few upper-case letters (composition rules).
    MissingUppercase,
    /// Too few lower-case letters (composition rules).
    MissingLowercase,
    /// Too few digits (composition rules).
    MissingDigit,
    /// Too few symbols (composition rules).
    MissingSymbol,
    /// Found in breach data.
    Breached,
}

impl ViolationCode {
    /// The stable code.
    #[must_use]
    pub const fn code(self) -> &'static str {
        match self {
            Self::TooShort => "too_short",
            Self::ControlCharacter => "control_character",
            Self::CommonPassword => "common_password",
            Self::Blocklisted => "blocklisted",
            Self::ContextWord => "context_word",
            Self::TooWeak => "too_weak",
            Self::MissingUppercase => "missing_uppercase",
            Self::MissingLowercase => "missing_lowercase",
            Self::MissingDigit => "missing_digit",
            Self::MissingSymbol => "missing_symbol",
            Self::Breached => "breached",
        }
    }
}

/// One broken rule: its code and an English sentence a person can act on. Never contains the
/// password.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct Violation {
    /// The rule.
    pub code: ViolationCode,
    /// What to do about it.
    pub message: String,
}

/// The strength estimate (zxcvbn over the window described at [`STRENGTH_WINDOW_CHARS`]).
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct Strength {
    /// 0 (guessable in 10^3 tries) to 4 (more than 10^10).
    pub score: u8,
    /// Estimated guesses, log10.
    pub guesses_log10: f64,
    /// Why it is weak, if it is.
    pub warning: Option<String>,
    /// How to make it stronger.
    pub suggestions: Vec<String>,
}

/// The verdict on one password.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct Assessment {
    /// Whether the password may be used.
    pub accepted: bool,
    /// Every rule it breaks.
    pub violations: Vec<Violation>,
    /// Its estimated strength.
    pub strength: Strength,
    /// Its length in Unicode code points, after normalisation.
    pub length: usize,
    /// Whether breach data was consulted, and what it said.
    pub breach: BreachCheck,
}

/// Whether an [`Assessment`] consulted breach data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[non_exhaustive]
pub enum BreachCheck {
    /// Not asked ([`Policy::evaluate`]).
    NotChecked,
    /// Asked; not found.
    Clear,
    /// Asked; found.
    Breached,
    /// Asked, but the oracle could not answer and the policy failed open: the password was
    /// accepted without the check. Worth logging and counting.
    Unavailable,
}

impl Assessment {
    /// Whether `code` is among the violations.
    #[must_use]
    pub fn violates(&self, code: ViolationCode) -> bool {
        self.violations.iter().any(|v| v.code == code)
    }
}

/// What to do when the breach oracle cannot answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum BreachFailure {
    /// Accept the password as if it were not found (availability first).
    Open,
    /// Refuse to judge: [`Policy::evaluate_with_breach`] returns
    /// [`Error::BreachCheckUnavailable`] (security first).
    Closed,
}

/// What [`Policy::age_advice`] says about a password's age.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum AgeAdvice {
    /// Nothing to say.
    Fine,
    /// Older than the advisory age: suggest (never force) a change.
    ConsiderChanging,
    /// Known to be breached: the password must be changed.
    MustChange,
}

/// A password policy: NIST SP 800-63B-4 by default, the classic composition rules on request.
///
/// ```
/// use acctsec_core::{Email, Password};
/// use acctsec_policy::{Context, Policy, ViolationCode};
///
/// let policy = Policy::default();
/// let context = Context::new()
///     .with_email(&Email::parse("dana.lee@example.com")?)
///     .with_site_words("Acme");
///
/// let verdict = policy.evaluate(&Password::new("Acme2026!"), &context)?;
/// assert!(!verdict.accepted);
/// assert!(verdict.violates(ViolationCode::TooShort));
/// assert!(verdict.violates(ViolationCode::ContextWord));
///
/// let verdict = policy.evaluate(&Password::new("marble orbit lantern quietly"), &context)?;
/// assert!(verdict.accepted, "{verdict:?}");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct Policy {
    min_length: usize,
    min_length_second_factor: usize,
    max_bytes: usize,
    min_score: u8,
    composition: Composition,
    normalization: Normalization,
    blocklist: Blocklist,
    advisory_age: Option<Duration>,
}

impl std::fmt::Debug for Policy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Policy")
            .field("min_length", &self.min_length)
            .field("min_length_second_factor", &self.min_length_second_factor)
            .field("max_bytes", &self.max_bytes)
            .field("min_score", &self.min_score)
            .field("composition", &self.composition)
            .field("normalization", &self.normalization)
            .field("blocklist", &self.blocklist)
            .field("advisory_age", &self.advisory_age)
            .finish()
    }
}

impl Default for Policy {
    /// NIST SP 800-63B-4: at least 15 characters (8 with a second factor), no composition rules,
    /// common and context words refused, zxcvbn score at least 3, NFKC.
    fn default() -> Self {
        Self {
            min_length: DEFAULT_MIN_LENGTH,
            min_length_second_factor: DEFAULT_MIN_LENGTH_WITH_SECOND_FACTOR,
            max_bytes: DEFAULT_MAX_BYTES,
            min_score: DEFAULT_MIN_SCORE,
            composition: Composition::default(),
            normalization: Normalization::default(),
            blocklist: Blocklist::default(),
            advisory_age: None,
        }
    }
}

/// Builds a [`Policy`] with non-default settings.
#[derive(Debug, Clone)]
#[must_use]
pub struct PolicyBuilder {
    policy: Policy,
}

impl PolicyBuilder {
    /// Minimum length in characters with a single factor (default 15).
    pub fn with_min_length(mut self, chars: usize) -> Self {
        self.policy.min_length = chars;
        self
    }

    /// Minimum length in characters when a second factor is enrolled (default 8).
    pub fn with_min_length_with_second_factor(mut self, chars: usize) -> Self {
        self.policy.min_length_second_factor = chars;
        self
    }

    /// The byte cap (default and at most 1024, at least 256).
    pub fn with_max_bytes(mut self, bytes: usize) -> Self {
        self.policy.max_bytes = bytes;
        self
    }

    /// The lowest zxcvbn score accepted, 0 to 4 (default 3; 0 turns the strength rule off).
    pub fn with_min_score(mut self, score: u8) -> Self {
        self.policy.min_score = score;
        self
    }

    /// Character-class requirements (default none).
    pub fn with_composition(mut self, composition: Composition) -> Self {
        self.policy.composition = composition;
        self
    }

    /// The normalisation (default NFKC).
    pub fn with_normalization(mut self, normalization: Normalization) -> Self {
        self.policy.normalization = normalization;
        self
    }

    /// The host's own blocklist.
    pub fn with_blocklist(mut self, blocklist: Blocklist) -> Self {
        self.policy.blocklist = blocklist;
        self
    }

    /// Suggest (never force) a change after this age. Off by default: NIST SP 800-63B-4 forbids
    /// periodic forced changes.
    pub fn with_advisory_age(mut self, age: Duration) -> Self {
        self.policy.advisory_age = Some(age);
        self
    }

    /// Checks the settings.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidSettings`] if a minimum length is zero or longer than the byte cap allows,
    /// the byte cap is outside 256..=1024, or the score is over 4.
    pub fn build(self) -> Result<Policy> {
        let p = &self.policy;
        if !(MIN_MAX_BYTES..=MAX_MAX_BYTES).contains(&p.max_bytes) {
            return Err(Error::InvalidSettings(
                "the byte cap must be from 256 to 1024",
            ));
        }
        if p.min_length == 0 || p.min_length_second_factor == 0 {
            return Err(Error::InvalidSettings("minimum lengths must be at least 1"));
        }
        if p.min_length > 64 || p.min_length_second_factor > p.min_length {
            return Err(Error::InvalidSettings(
                "minimum lengths must be at most 64, the second-factor one at most the other",
            ));
        }
        if p.min_score > 4 {
            return Err(Error::InvalidSettings("the score goes from 0 to 4"));
        }
        Ok(self.policy)
    }
}

impl Policy {
    /// Starts building a policy from the defaults.
    pub fn builder() -> PolicyBuilder {
        PolicyBuilder {
            policy: Self::default(),
        }
    }

    /// The classic rules some sites must keep for compliance: at least 8 characters with an
    /// upper-case letter, a lower-case letter, a digit and a symbol. Common, blocklisted and
    /// context words are still refused; the strength estimate is reported but not required.
    ///
    /// Named `insecure_` because it is weaker than the default: NIST SP 800-63B-4 says composition
    /// rules SHALL NOT be imposed, and 8 characters with one factor is below its minimum.
    #[must_use]
    pub fn insecure_classic() -> Self {
        Self {
            min_length: 8,
            min_length_second_factor: 8,
            min_score: 0,
            composition: Composition {
                upper: 1,
                lower: 1,
                digits: 1,
                symbols: 1,
            },
            ..Self::default()
        }
    }

    /// The normalisation in use.
    #[must_use]
    pub fn normalization(&self) -> Normalization {
        self.normalization
    }

    /// The password as the policy judges it and the hasher must receive it: normalised.
    ///
    /// # Errors
    ///
    /// [`Error::PasswordTooLong`] if it is over the byte cap (before or after normalisation).
    pub fn normalize(&self, password: &Password) -> Result<Password> {
        self.normalization
            .apply(password, self.max_bytes)
            .ok_or(Error::PasswordTooLong)
    }

    /// Judges `password` in `context`.
    ///
    /// # Errors
    ///
    /// [`Error::PasswordTooLong`] if it is over the byte cap: refused, never truncated.
    pub fn evaluate(&self, password: &Password, context: &Context) -> Result<Assessment> {
        Ok(self.evaluate_normalized(&self.normalize(password)?, context))
    }

    /// The checks of [`evaluate`](Self::evaluate) on an already normalised password.
    fn evaluate_normalized(&self, normalized: &Password, context: &Context) -> Assessment {
        let text = normalized.expose();
        let length = text.chars().count();
        let mut violations = Vec::new();
        let mut violate = |code, message: String| violations.push(Violation { code, message });

        let min = if context.second_factor() {
            self.min_length_second_factor
        } else {
            self.min_length
        };
        if length < min {
            violate(
                ViolationCode::TooShort,
                format!(
                    "Use at least {min} characters; a few unrelated words are easy to remember."
                ),
            );
        }
        if text.chars().any(char::is_control) {
            violate(
                ViolationCode::ControlCharacter,
                "Remove control characters such as tabs and line breaks.".to_owned(),
            );
        }
        if self.blocklist.contains(text) {
            violate(
                ViolationCode::Blocklisted,
                "This password is not allowed here; choose another.".to_owned(),
            );
        }
        if self.composition != Composition::default() {
            self.check_composition(text, &mut violate);
        }
        if contains_context_word(text, context) {
            violate(
                ViolationCode::ContextWord,
                "Don't build your password from your name, email address or this site's name."
                    .to_owned(),
            );
        }

        let window = Zeroizing::new(strength_window(
            text,
            STRENGTH_WINDOW_CHARS,
            MAX_LOOKALIKE_KINDS,
        ));
        let inputs: Vec<&str> = context.words().collect();
        let window_entropy = zxcvbn::zxcvbn(&window, &inputs);
        if is_common_password(&window_entropy, &window) {
            violate(
                ViolationCode::CommonPassword,
                "This is one of the most common passwords; choose something less predictable."
                    .to_owned(),
            );
        }
        let mut entropy = window_entropy;
        if let Some(base) = repeated_base(text).map(Zeroizing::new) {
            let base_window = Zeroizing::new(strength_window(
                &base,
                BASE_WINDOW_CHARS,
                BASE_LOOKALIKE_KINDS,
            ));
            if *base_window != *window {
                let base_entropy = zxcvbn::zxcvbn(&base_window, &inputs);
                if base_entropy.guesses() < entropy.guesses() {
                    entropy = base_entropy;
                }
            }
        }
        let score = u8::from(entropy.score());
        if score < self.min_score {
            violate(
                ViolationCode::TooWeak,
                "This password would be easy to guess; add more words or make it less predictable."
                    .to_owned(),
            );
        }
        let feedback = entropy.feedback();
        let strength = Strength {
            score,
            guesses_log10: entropy.guesses_log10(),
            warning: feedback.and_then(|f| f.warning()).map(|w| w.to_string()),
            suggestions: feedback
                .map(|f| f.suggestions().iter().map(ToString::to_string).collect())
                .unwrap_or_default(),
        };
        Assessment {
            accepted: violations.is_empty(),
            violations,
            strength,
            length,
            breach: BreachCheck::NotChecked,
        }
    }

    /// [`evaluate`](Self::evaluate), then looks the normalised password up in breach data; a hit
    /// is a [`ViolationCode::Breached`] violation. When the oracle cannot answer, `on_failure`
    /// decides: fail open (no violation) or closed (an error).
    ///
    /// # Errors
    ///
    /// As [`evaluate`](Self::evaluate); and [`Error::BreachCheckUnavailable`] when the oracle
    /// fails and `on_failure` is [`BreachFailure::Closed`].
    pub async fn evaluate_with_breach<O: BreachOracle>(
        &self,
        password: &Password,
        context: &Context,
        oracle: &O,
        on_failure: BreachFailure,
    ) -> Result<Assessment> {
        let normalized = self.normalize(password)?;
        let mut assessment = self.evaluate_normalized(&normalized, context);
        let sha1 = password_sha1(&normalized);
        match (oracle.check(&sha1).await, on_failure) {
            (Ok(Breached::No), _) => assessment.breach = BreachCheck::Clear,
            (Err(_), BreachFailure::Open) => assessment.breach = BreachCheck::Unavailable,
            (Ok(Breached::Yes { .. }), _) => {
                assessment.breach = BreachCheck::Breached;
                assessment.violations.push(Violation {
                    code: ViolationCode::Breached,
                    message: "This password has appeared in a data breach; choose another."
                        .to_owned(),
                });
                assessment.accepted = false;
            }
            (Err(_), BreachFailure::Closed) => return Err(Error::BreachCheckUnavailable),
        }
        Ok(assessment)
    }

    fn check_composition(&self, text: &str, violate: &mut impl FnMut(ViolationCode, String)) {
        let count = |f: fn(&char) -> bool| text.chars().filter(f).count();
        let checks = [
            (
                self.composition.upper,
                count(|c| c.is_uppercase()),
                ViolationCode::MissingUppercase,
                "upper-case letter",
            ),
            (
                self.composition.lower,
                count(|c| c.is_lowercase()),
                ViolationCode::MissingLowercase,
                "lower-case letter",
            ),
            (
                self.composition.digits,
                count(|c| c.is_numeric()),
                ViolationCode::MissingDigit,
                "digit",
            ),
            (
                self.composition.symbols,
                count(|c| !c.is_alphanumeric() && !c.is_whitespace()),
                ViolationCode::MissingSymbol,
                "symbol",
            ),
        ];
        for (needed, found, code, what) in checks {
            if found < needed {
                let plural = if needed == 1 { "" } else { "s" };
                violate(code, format!("Add at least {needed} {what}{plural}."));
            }
        }
    }

    /// Advice on a password's age. Breached passwords must change; otherwise, past the advisory
    /// age (if one is set), a change is suggested.
    #[must_use]
    pub fn age_advice(&self, set_at: Timestamp, now: Timestamp, known_breached: bool) -> AgeAdvice {
        if known_breached {
            return AgeAdvice::MustChange;
        }
        match (self.advisory_age, now.duration_since(set_at)) {
            (Some(limit), Some(age)) if age > limit => AgeAdvice::ConsiderChanging,
            _ => AgeAdvice::Fine,
        }
    }
}

/// Whether the canonical password contains a context word (also once separators are removed), or
/// is as a whole within two edits of one of at least five characters. Bounded: the password is
/// cut to 256 characters first, and edit distances are computed only between strings whose
/// lengths differ by at most two.
fn contains_context_word(password: &str, context: &Context) -> bool {
    // Compared in NFKC whatever the policy's normalisation, as the context words are.
    let canonical_password = Zeroizing::new(if is_nfkc(password) {
        canonical(password.chars().take(256))
    } else {
        canonical(password.nfkc().take(256))
    });
    // Separators between letters (`C-o-n-t-o-s-o`, `dana.lee`) don't hide a word.
    let letters_only = Zeroizing::new(collect_exact(
        canonical_password.chars().filter(|c| c.is_alphanumeric()),
    ));
    let password_chars = Zeroizing::new(chars_of(&canonical_password, usize::MAX));
    context.words().any(|word| {
        let word = canonical(word.chars());
        canonical_password.contains(&word)
            || letters_only.contains(&word)
            || (word.chars().count() >= 5
                && within_edits(&password_chars, &word.chars().collect::<Vec<_>>(), 2))
    })
}

/// Whether zxcvbn explains the whole password as one entry of its common-password list (as
/// typed, or with case changes and substitutions).
fn is_common_password(entropy: &zxcvbn::Entropy, window: &str) -> bool {
    // zxcvbn does not export its dictionary type; its documented default is the password list.
    let passwords = DictionaryPattern::default().dictionary_name;
    let length = window.chars().count();
    matches!(entropy.sequence(), [only] if only.i == 0
        && only.j + 1 == length
        && matches!(&only.pattern, MatchPattern::Dictionary(d) if d.dictionary_name == passwords))
}
