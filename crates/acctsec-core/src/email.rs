//! [`Email`]: a parsed, bounded, normalised email address.

use std::fmt;
use std::hash::{Hash, Hasher};

use unicode_normalization::UnicodeNormalization;

use crate::error::Error;

/// The most bytes of raw input [`Email::parse`] looks at, before trimming and normalisation.
pub const MAX_EMAIL_INPUT_BYTES: usize = 1024;
/// The most bytes of a normalised address (RFC 5321's path limit, less the angle brackets).
pub const MAX_EMAIL_BYTES: usize = 254;
/// The most bytes of the local part (RFC 5321, 4.5.3.1.1).
pub const MAX_LOCAL_PART_BYTES: usize = 64;
/// The most bytes of one domain label (RFC 1035).
pub const MAX_DOMAIN_LABEL_BYTES: usize = 63;

const WHAT: &str = "email address";

/// A parsed email address with two normalised forms.
///
/// Parsing trims surrounding white space, applies Unicode NFKC (so full-width and other
/// compatibility variants become their plain forms) and lower-cases the domain, giving the
/// [display form](Email::as_str) used when sending mail. The [lookup key](Email::normalized) also
/// lower-cases the local part: two addresses that differ only in case or width are the same
/// account, so `Alice@Example.COM` and `ａｌｉｃｅ@example.com` can't be registered twice or be
/// used to address someone else's reset. Equality and hashing use the lookup key.
///
/// Accepted: a dot-atom local part (letters of any script, digits and
/// ``!#$%&'*+-/=?^_`{|}~``, dots not leading, trailing or doubled) and a domain of at least two
/// labels of letters, digits and inner hyphens. Refused, with an error naming the reason and never
/// echoing the input: quoted local parts, comments, address literals, white space and control
/// characters, a top-level label made only of digits, a part that starts with a combining mark or
/// stacks more than four, and anything longer than RFC 5321 allows.
///
/// Not handled (yet): IDNA — an A-label domain (`xn--bcher-kva.de`) and its U-label
/// (`bücher.de`) get different keys — and mixed-script look-alikes (a Cyrillic `а` in a Latin
/// word), which need a UTS #39 confusables check.
///
/// ```
/// use acctsec_core::Email;
///
/// let a = Email::parse("  Alice.Smith@Example.COM ")?;
/// assert_eq!(a.as_str(), "Alice.Smith@example.com");
/// assert_eq!(a.normalized(), "alice.smith@example.com");
/// assert_eq!(a, Email::parse("ａｌｉｃｅ.smith@EXAMPLE.com")?);
/// assert!(Email::parse("alice@@example.com").is_err());
/// # Ok::<(), acctsec_core::Error>(())
/// ```
#[derive(Clone)]
pub struct Email {
    display: Box<str>,
    key: Box<str>,
    at: usize,
}

impl Email {
    /// Parses and normalises an address typed by a person or stored by a host.
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] with the reason if the input is longer than [`MAX_EMAIL_INPUT_BYTES`],
    /// or the normalised address is malformed or too long.
    pub fn parse(input: &str) -> Result<Self, Error> {
        if input.len() > MAX_EMAIL_INPUT_BYTES {
            return Err(Error::invalid(WHAT, "too long"));
        }
        let nfkc: String = input.trim().nfkc().collect();
        if nfkc.len() > MAX_EMAIL_BYTES {
            return Err(Error::invalid(WHAT, "too long"));
        }
        let (local, domain) = nfkc.split_once('@').ok_or(Error::invalid(WHAT, "no '@'"))?;
        check_local(local)?;
        let domain = domain.to_lowercase();
        check_domain(&domain)?;
        let display = format!("{local}@{domain}");
        if display.len() > MAX_EMAIL_BYTES {
            return Err(Error::invalid(WHAT, "too long"));
        }
        // Lower-casing can leave text that NFKC changes again (and the reverse), so the key is
        // normalised after lower-casing. Greek final sigma is one letter with sigma: which form
        // lower-casing picks depends on context, so the key always uses σ.
        let key: String = display.to_lowercase().replace('ς', "σ").nfkc().collect();
        // A few letters grow when lower-cased (İ, Ⱥ): the key must fit the same bounds.
        if key.len() > MAX_EMAIL_BYTES || key.find('@').is_none_or(|at| at > MAX_LOCAL_PART_BYTES) {
            return Err(Error::invalid(WHAT, "too long"));
        }
        Ok(Self {
            at: local.len(),
            display: display.into_boxed_str(),
            key: key.into_boxed_str(),
        })
    }

    /// The display form: trimmed, NFKC, domain lower-cased. Use it to address mail.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.display
    }

    /// The lookup key: the display form with the local part lower-cased too. Stores index accounts
    /// by this.
    #[must_use]
    pub fn normalized(&self) -> &str {
        &self.key
    }

    /// The local part of the display form (before the `@`).
    #[must_use]
    pub fn local_part(&self) -> &str {
        &self.display[..self.at]
    }

    /// The domain (after the `@`), lower-cased.
    #[must_use]
    pub fn domain(&self) -> &str {
        &self.display[self.at + 1..]
    }
}

fn check_local(local: &str) -> Result<(), Error> {
    if local.is_empty() {
        return Err(Error::invalid(WHAT, "empty local part"));
    }
    if local.len() > MAX_LOCAL_PART_BYTES {
        return Err(Error::invalid(WHAT, "local part too long"));
    }
    if local.starts_with('.') || local.ends_with('.') || local.contains("..") {
        return Err(Error::invalid(WHAT, "misplaced dot in the local part"));
    }
    let allowed = |c: char| {
        c.is_alphanumeric() || c == '.' || "!#$%&'*+-/=?^_`{|}~".contains(c) || is_mark(c)
    };
    if !local.chars().all(allowed) {
        return Err(Error::invalid(
            WHAT,
            "the local part has a character that is not allowed",
        ));
    }
    check_marks(local)
}

/// Combining marks: part of words in many scripts, though `is_alphanumeric` does not count them.
fn is_mark(c: char) -> bool {
    unicode_normalization::char::is_combining_mark(c)
}

/// The most combining marks in a row. NFKC composes the common accented letters, so longer runs
/// only stack marks to disguise text.
const MAX_MARKS_IN_A_ROW: usize = 4;

/// Marks must follow a base character (not open the local part or a label) and not pile up.
fn check_marks(part: &str) -> Result<(), Error> {
    if part.chars().next().is_some_and(is_mark) {
        return Err(Error::invalid(WHAT, "a part starts with a combining mark"));
    }
    let mut run = 0;
    for c in part.chars() {
        run = if is_mark(c) { run + 1 } else { 0 };
        if run > MAX_MARKS_IN_A_ROW {
            return Err(Error::invalid(WHAT, "too many combining marks in a row"));
        }
    }
    Ok(())
}

fn check_domain(domain: &str) -> Result<(), Error> {
    if domain.is_empty() {
        return Err(Error::invalid(WHAT, "empty domain"));
    }
    let labels: Vec<&str> = domain.split('.').collect();
    if labels.len() < 2 {
        return Err(Error::invalid(WHAT, "the domain needs at least two labels"));
    }
    for label in &labels {
        if label.is_empty() {
            return Err(Error::invalid(WHAT, "the domain has an empty label"));
        }
        if label.len() > MAX_DOMAIN_LABEL_BYTES {
            return Err(Error::invalid(WHAT, "a domain label is too long"));
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Err(Error::invalid(
                WHAT,
                "a domain label starts or ends with '-'",
            ));
        }
        if !label
            .chars()
            .all(|c| c.is_alphanumeric() || c == '-' || is_mark(c))
        {
            return Err(Error::invalid(
                WHAT,
                "the domain has a character that is not allowed",
            ));
        }
        check_marks(label)?;
    }
    if labels
        .last()
        .is_some_and(|tld| tld.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err(Error::invalid(WHAT, "the top-level label is all digits"));
    }
    Ok(())
}

impl PartialEq for Email {
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key
    }
}

impl Eq for Email {}

impl Hash for Email {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.key.hash(state);
    }
}

impl fmt::Debug for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Email").field(&self.display).finish()
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.display)
    }
}

impl std::str::FromStr for Email {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        Self::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn reason(input: &str) -> &'static str {
        match Email::parse(input) {
            Err(Error::Invalid { reason, .. }) => reason,
            Ok(e) => panic!("{input:?} parsed as {e:?}"),
        }
    }

    #[test]
    fn accepts_ordinary_and_international_addresses() {
        for (input, display, key) in [
            ("bob@example.org", "bob@example.org", "bob@example.org"),
            (
                "Bob+tag@Mail.Example.ORG",
                "Bob+tag@mail.example.org",
                "bob+tag@mail.example.org",
            ),
            ("o'neil@x-y.co.uk", "o'neil@x-y.co.uk", "o'neil@x-y.co.uk"),
            ("Jürgen@Bücher.DE", "Jürgen@bücher.de", "jürgen@bücher.de"),
            ("用户@例子.广告", "用户@例子.广告", "用户@例子.广告"),
            (
                "\tcarol@example.com\n",
                "carol@example.com",
                "carol@example.com",
            ),
        ] {
            let e = Email::parse(input).unwrap_or_else(|err| panic!("{input:?}: {err}"));
            assert_eq!((e.as_str(), e.normalized()), (display, key), "{input:?}");
        }
    }

    #[test]
    fn look_alike_case_and_width_variants_are_one_address() {
        let base = Email::parse("admin@example.com").unwrap();
        // Full-width letters and at sign, the Kelvin sign (U+212A) for K, mixed case.
        for variant in [
            "ADMIN@EXAMPLE.COM",
            "ａｄｍｉｎ@ｅｘａｍｐｌｅ.ｃｏｍ",
            "admin＠example.com",
            "Admin@Example.Com",
        ] {
            assert_eq!(Email::parse(variant).unwrap(), base, "{variant:?}");
        }
        assert_eq!(
            Email::parse("\u{212A}im@example.com").unwrap(),
            Email::parse("kim@example.com").unwrap()
        );
        // Composed and decomposed forms of é are one address.
        assert_eq!(
            Email::parse("jos\u{e9}@example.com").unwrap(),
            Email::parse("jose\u{301}@example.com").unwrap()
        );
        assert_ne!(base, Email::parse("admin1@example.com").unwrap());
        // Final and medial sigma are one letter, whichever form lower-casing picks.
        assert_eq!(
            Email::parse("ΑΣ.ΒΑ@example.gr").unwrap(),
            Email::parse("ας.βα@example.gr").unwrap()
        );
    }

    #[test]
    fn refuses_malformed_addresses_with_a_reason() {
        assert_eq!(reason(""), "no '@'");
        assert_eq!(reason("plainaddress"), "no '@'");
        assert_eq!(reason("@example.com"), "empty local part");
        assert_eq!(reason("a@"), "empty domain");
        assert_eq!(
            reason("a@b@example.com"),
            "the domain has a character that is not allowed"
        );
        assert_eq!(
            reason("a@localhost"),
            "the domain needs at least two labels"
        );
        assert_eq!(reason("a@example..com"), "the domain has an empty label");
        assert_eq!(reason("a@example.com."), "the domain has an empty label");
        assert_eq!(
            reason("a@-example.com"),
            "a domain label starts or ends with '-'"
        );
        assert_eq!(reason("a@1.2.3.4"), "the top-level label is all digits");
        assert_eq!(
            reason("a@[127.0.0.1]"),
            "the domain has a character that is not allowed"
        );
        assert_eq!(reason(".a@example.com"), "misplaced dot in the local part");
        assert_eq!(
            reason("a..b@example.com"),
            "misplaced dot in the local part"
        );
        assert_eq!(
            reason("\"a b\"@example.com"),
            "the local part has a character that is not allowed"
        );
        assert_eq!(
            reason("a b@example.com"),
            "the local part has a character that is not allowed"
        );
        assert_eq!(
            reason("a\u{0}b@example.com"),
            "the local part has a character that is not allowed"
        );
        assert_eq!(
            reason("a\r\nBcc: x@example.com"),
            "the local part has a character that is not allowed"
        );
        assert_eq!(
            reason(&format!("{}@example.com", "a".repeat(65))),
            "local part too long"
        );
        assert_eq!(
            reason(&format!("a@{}.com", "b".repeat(64))),
            "a domain label is too long"
        );
        assert_eq!(reason(&format!("a@{}.com", "b.".repeat(130))), "too long");
        assert_eq!(reason(&" ".repeat(MAX_EMAIL_INPUT_BYTES + 1)), "too long");
        // 32 × İ is 64 bytes, but its lower-case form (i + U+0307) is 96.
        assert_eq!(
            reason(&format!("{}@example.com", "İ".repeat(32))),
            "too long"
        );
        assert_eq!(
            reason("\u{301}a@example.com"),
            "a part starts with a combining mark"
        );
        assert_eq!(
            reason("a@\u{301}example.com"),
            "a part starts with a combining mark"
        );
        assert_eq!(
            reason(&format!("a{}@example.com", "\u{301}\u{302}".repeat(3))),
            "too many combining marks in a row"
        );
    }

    #[test]
    fn error_messages_never_echo_the_input() {
        let err = Email::parse("secret-value@@x").unwrap_err().to_string();
        assert!(!err.contains("secret-value"), "{err}");
    }

    proptest! {
        #[test]
        fn parse_never_panics_and_is_bounded(s in "\\PC{0,300}|.{0,2000}") {
            if let Ok(e) = Email::parse(&s) {
                prop_assert!(e.as_str().len() <= MAX_EMAIL_BYTES);
                prop_assert!(e.normalized().len() <= MAX_EMAIL_BYTES);
                prop_assert!(e.local_part().len() <= MAX_LOCAL_PART_BYTES);
            }
        }

        #[test]
        fn normalisation_is_idempotent(local in "[a-zA-Z0-9._+ａ-ｚＡ-Ｚ]{1,20}", domain in "[a-zA-Z]{1,10}\\.[a-zA-Z]{2,5}") {
            if let Ok(e) = Email::parse(&format!("{local}@{domain}")) {
                let again = Email::parse(e.as_str()).unwrap();
                prop_assert_eq!(again.as_str(), e.as_str());
                prop_assert_eq!(again.normalized(), e.normalized());
                let from_key = Email::parse(e.normalized()).unwrap();
                prop_assert_eq!(from_key.normalized(), e.normalized());
            }
        }
    }
}
