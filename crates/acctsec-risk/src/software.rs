//! Outdated browsers and systems: what a user agent says it runs ([`Software`]), the host's
//! parser ([`UserAgentParser`]; `UapParser` with the `ua-parser` feature), and the oldest
//! versions still considered current ([`MinimumVersions`]).

use std::fmt;

use acctsec_core::UserAgent;

use crate::model::cut;

/// The longest family name kept, bytes; longer names are cut at a character boundary.
pub const MAX_FAMILY_BYTES: usize = 64;

/// A browser or operating system: its family (as uap-core names it: `Chrome`, `Mobile Safari`,
/// `Windows`, `iOS`) and major version as the user agent gave it (`131`, or `XP`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Version {
    family: String,
    major: Option<String>,
}

/// The most bytes of a major version kept.
const MAX_MAJOR_BYTES: usize = 16;

impl Version {
    /// A version; the family is cut to [`MAX_FAMILY_BYTES`] and the major version to 16 bytes
    /// (at character boundaries).
    #[must_use]
    pub fn new(family: &str, major: Option<&str>) -> Self {
        Self {
            family: cut(family, MAX_FAMILY_BYTES).to_owned(),
            major: major.map(|m| cut(m, MAX_MAJOR_BYTES).to_owned()),
        }
    }

    /// The family.
    #[must_use]
    pub fn family(&self) -> &str {
        &self.family
    }

    /// The major version as given.
    #[must_use]
    pub fn major_text(&self) -> Option<&str> {
        self.major.as_deref()
    }

    /// The major version, if it is a number.
    #[must_use]
    pub fn major(&self) -> Option<u32> {
        self.major.as_deref().and_then(|m| m.parse().ok())
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.major {
            Some(major) => write!(f, "{} {major}", self.family),
            None => f.write_str(&self.family),
        }
    }
}

/// What a user agent says it runs. Either part is `None` when the parser did not recognise it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Software {
    /// The browser.
    pub browser: Option<Version>,
    /// The operating system.
    pub os: Option<Version>,
}

/// The host's user-agent parser: a plug point, so the host chooses the rules and how it keeps
/// them current. With the `ua-parser` feature, `UapParser` implements it with uap-core's rules.
pub trait UserAgentParser: Send + Sync {
    /// What `user_agent` says it runs.
    fn parse(&self, user_agent: &UserAgent) -> Software;
}

/// The versions of Windows long out of support, as uap-core names them after the family
/// (`Windows XP`, `Windows 98`): the default minimum versions retire them, and a log's
/// `Windows XP` reads as family `Windows`, version `XP`.
pub(crate) const WINDOWS_NAMED_VERSIONS: [&str; 8] =
    ["95", "98", "2000", "ME", "NT", "CE", "XP", "Vista"];

/// The oldest major versions still considered current, per browser and system family, and
/// retired families or named versions (`IE`; `Windows XP`) that are outdated whatever the number;
/// a family not listed is never called outdated. A user agent is what the client says it is, so
/// this is a signal (attack tools often send old or odd ones), never proof.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MinimumVersions {
    browsers: Vec<(String, u32)>,
    systems: Vec<(String, u32)>,
    /// Retired families (no major version) and named versions, cut as [`Version::new`] cuts.
    retired: Vec<Version>,
}

impl Default for MinimumVersions {
    /// Versions over about two years old at this release (late 2026): Chromium-based browsers
    /// before 120 (December 2023), Firefox before 115 (the July 2023 ESR), Safari before 16,
    /// Samsung Internet before 23, any Internet Explorer; Windows before 10 (with uap-core's
    /// named versions: 95, 98, 2000, ME, NT, CE, XP, Vista), iOS before 16, Android before 10.
    /// Hosts should move them on as browsers do.
    fn default() -> Self {
        let browsers = [
            ("Chrome", 120),
            ("Chrome Mobile", 120),
            ("Chrome Mobile iOS", 120),
            ("Chrome Mobile WebView", 120),
            ("Chromium", 120),
            ("Edge", 120),
            ("Edge Mobile", 120),
            ("Opera", 106),
            ("Firefox", 115),
            ("Firefox Mobile", 115),
            ("Firefox iOS", 115),
            ("Safari", 16),
            ("Mobile Safari", 16),
            ("Samsung Internet", 23),
        ];
        let systems = [("Windows", 10), ("iOS", 16), ("Android", 10)];
        let own = |(family, major): (&str, u32)| (family.to_owned(), major);
        Self {
            browsers: browsers.into_iter().map(own).collect(),
            systems: systems.into_iter().map(own).collect(),
            retired: std::iter::once(Version::new("IE", None))
                .chain(
                    WINDOWS_NAMED_VERSIONS
                        .into_iter()
                        .map(|v| Version::new("Windows", Some(v))),
                )
                .collect(),
        }
    }
}

impl MinimumVersions {
    /// No minimums: nothing is outdated.
    #[must_use]
    pub const fn none() -> Self {
        Self {
            browsers: Vec::new(),
            systems: Vec::new(),
            retired: Vec::new(),
        }
    }

    /// Calls a browser or system family outdated whatever its version (`major: None`, as for
    /// `IE`), or one named major version of it (`Some("XP")` for `Windows`).
    #[must_use]
    pub fn with_retired(mut self, family: &str, major: Option<&str>) -> Self {
        // Cut as a parsed version is, or a long name could never match one.
        let entry = Version::new(family, major);
        if !self.retired.contains(&entry) {
            self.retired.push(entry);
        }
        self
    }

    /// Sets the oldest current major version of a browser family (replacing any earlier one).
    #[must_use]
    pub fn with_browser(mut self, family: &str, major: u32) -> Self {
        set(&mut self.browsers, family, major);
        self
    }

    /// Sets the oldest current major version of a system family (replacing any earlier one).
    #[must_use]
    pub fn with_os(mut self, family: &str, major: u32) -> Self {
        set(&mut self.systems, family, major);
        self
    }

    /// The outdated parts of `software`, browser first; empty if none (or the versions are
    /// unknown).
    #[must_use]
    pub fn outdated(&self, software: &Software) -> Vec<Version> {
        let old = |list: &[(String, u32)], v: &Option<Version>| {
            v.as_ref()
                .filter(|v| {
                    let retired = self.retired.iter().any(|r| {
                        r.family() == v.family()
                            && r.major_text().is_none_or(|m| Some(m) == v.major_text())
                    });
                    let below = list.iter().any(|(family, minimum)| {
                        family == v.family() && v.major().is_some_and(|m| m < *minimum)
                    });
                    retired || below
                })
                .cloned()
        };
        old(&self.browsers, &software.browser)
            .into_iter()
            .chain(old(&self.systems, &software.os))
            .collect()
    }
}

fn set(list: &mut Vec<(String, u32)>, family: &str, major: u32) {
    // Cut as a parsed version's family is, or a long name could never match one.
    let family = cut(family, MAX_FAMILY_BYTES);
    match list.iter_mut().find(|(f, _)| f == family) {
        Some(entry) => entry.1 = major,
        None => list.push((family.to_owned(), major)),
    }
}

/// [`UserAgentParser`] with the maintained `ua-parser` crate and uap-core's rules
/// (`regexes.yaml`, which the crate does not ship: the host loads its copy, or a JSON conversion,
/// into [`ua_parser::Regexes`] with the serde format crate of its choice). Only the browser and
/// system rules are compiled. Building takes a while: build one and share it.
///
/// ```
/// use acctsec_core::UserAgent;
/// use acctsec_risk::{MinimumVersions, UapParser, UserAgentParser};
///
/// let rules = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata/uap-core-regexes.json"))?;
/// let parser = UapParser::new(serde_json::from_str(&rules)?)?;
/// let ua = UserAgent::new("Mozilla/5.0 (Windows NT 6.1; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/79.0.3945.88 Safari/537.36");
/// let software = parser.parse(&ua);
/// let outdated: Vec<String> = MinimumVersions::default().outdated(&software).iter().map(ToString::to_string).collect();
/// assert_eq!(outdated, ["Chrome 79", "Windows 7"]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[cfg(feature = "ua-parser")]
pub struct UapParser {
    browsers: ua_parser::user_agent::Extractor<'static>,
    systems: ua_parser::os::Extractor<'static>,
}

#[cfg(feature = "ua-parser")]
impl fmt::Debug for UapParser {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UapParser").finish_non_exhaustive()
    }
}

#[cfg(feature = "ua-parser")]
impl UapParser {
    /// Compiles the browser and system rules.
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`](crate::Error::Invalid) if a rule does not compile.
    pub fn new(rules: ua_parser::Regexes<'static>) -> crate::Result<Self> {
        let bad = |_| crate::Error::Invalid("user-agent rules", "a rule does not compile");
        let browsers = rules
            .user_agent_parsers
            .into_iter()
            .try_fold(ua_parser::user_agent::Builder::new(), |b, p| b.push(p))
            .map_err(bad)?
            .build()
            .map_err(|_| crate::Error::Invalid("user-agent rules", "the rules do not build"))?;
        let systems = rules
            .os_parsers
            .into_iter()
            .try_fold(ua_parser::os::Builder::new(), |b, p| b.push(p))
            .map_err(|_| crate::Error::Invalid("user-agent rules", "a rule does not compile"))?
            .build()
            .map_err(|_| crate::Error::Invalid("user-agent rules", "the rules do not build"))?;
        Ok(Self { browsers, systems })
    }
}

#[cfg(feature = "ua-parser")]
impl UserAgentParser for UapParser {
    fn parse(&self, user_agent: &UserAgent) -> Software {
        let text = user_agent.as_str();
        Software {
            browser: self
                .browsers
                .extract(text)
                .map(|v| Version::new(&v.family, v.major)),
            os: self
                .systems
                .extract(text)
                .map(|v| Version::new(&v.os, v.major.as_deref())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn software(browser: (&str, &str), os: (&str, &str)) -> Software {
        Software {
            browser: Some(Version::new(browser.0, Some(browser.1))),
            os: Some(Version::new(os.0, Some(os.1))),
        }
    }

    #[test]
    fn minimums_flag_old_versions_only() {
        let m = MinimumVersions::default();
        let names = |s: &Software| -> Vec<String> {
            m.outdated(s).iter().map(ToString::to_string).collect()
        };
        assert_eq!(
            names(&software(("Chrome", "79"), ("Windows", "7"))),
            ["Chrome 79", "Windows 7"]
        );
        assert!(names(&software(("Chrome", "120"), ("Windows", "10"))).is_empty());
        assert_eq!(names(&software(("IE", "11"), ("Windows", "10"))), ["IE 11"]);
        assert_eq!(
            names(&software(("Mobile Safari", "15"), ("iOS", "15"))),
            ["Mobile Safari 15", "iOS 15"]
        );
        // Retired families and named versions, whatever the number.
        assert_eq!(
            names(&software(("IE", "11"), ("Windows", "XP"))),
            ["IE 11", "Windows XP"]
        );
        assert_eq!(
            names(&software(("Chrome", "131"), ("Windows", "2000"))),
            ["Windows 2000"]
        );
        let no_version = Software {
            browser: Some(Version::new("IE", None)),
            os: Some(Version::new("Windows", None)),
        };
        assert_eq!(names(&no_version), ["IE"]);
        // Unknown families and versions are never called outdated.
        assert!(names(&software(("Lynx", "2"), ("Windows", "11"))).is_empty());
        assert!(names(&software(("Chrome", "beta"), ("Android", "x"))).is_empty());
        assert!(names(&Software::default()).is_empty());
        let custom = MinimumVersions::none()
            .with_browser("Lynx", 3)
            .with_os("Windows", 11)
            .with_os("Windows", 12);
        assert_eq!(
            custom.outdated(&software(("Lynx", "2"), ("Windows", "11"))),
            [
                Version::new("Lynx", Some("2")),
                Version::new("Windows", Some("11"))
            ]
        );
        assert!(
            MinimumVersions::none()
                .outdated(&software(("IE", "6"), ("Windows", "3")))
                .is_empty()
        );
        // Family names are bounded.
        let long = "x".repeat(1000);
        assert_eq!(Version::new(&long, None).family().len(), MAX_FAMILY_BYTES);
        // A configured name past the bound is cut the same way, so it still matches.
        let minimums = MinimumVersions::none()
            .with_browser(&long, 10)
            .with_retired(&long, Some("3"));
        assert_eq!(
            minimums.outdated(&software((&long, "9"), ("-", "1"))).len(),
            1
        );
        assert_eq!(
            minimums.outdated(&software(("-", "1"), (&long, "3"))).len(),
            1
        );
        assert!(
            minimums
                .outdated(&software((&long, "10"), ("-", "1")))
                .is_empty()
        );
        assert_eq!(
            Version::new("Windows", Some("XP")).to_string(),
            "Windows XP"
        );
        assert_eq!(Version::new("Windows", Some("XP")).major(), None);
        assert_eq!(
            MinimumVersions::none()
                .with_retired("Lynx", None)
                .with_retired("Lynx", None),
            MinimumVersions::none().with_retired("Lynx", None)
        );
    }

    #[cfg(feature = "ua-parser")]
    #[test]
    fn uap_core_rules_parse_real_user_agents() {
        let rules: ua_parser::Regexes<'static> =
            serde_json::from_str(include_str!("../../../testdata/uap-core-regexes.json")).unwrap();
        let parser = UapParser::new(rules).unwrap();
        let parse = |ua: &str| {
            let s = parser.parse(&UserAgent::new(ua));
            (
                s.browser.map(|v| v.to_string()),
                s.os.map(|v| v.to_string()),
            )
        };
        let some = |a: &str, b: &str| (Some(a.to_owned()), Some(b.to_owned()));
        assert_eq!(
            parse(
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0"
            ),
            some("Edge 131", "Windows 10")
        );
        assert_eq!(
            parse(
                "Mozilla/5.0 (iPhone; CPU iPhone OS 15_8 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/15.6 Mobile/15E148 Safari/604.1"
            ),
            some("Mobile Safari 15", "iOS 15")
        );
        assert_eq!(
            parse("Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"),
            some("Firefox 133", "Linux")
        );
        // What attack tools still send: Internet Explorer 8 on Windows XP.
        let xp = parser.parse(&UserAgent::new(
            "Mozilla/4.0 (compatible; MSIE 8.0; Windows NT 5.1; Trident/4.0)",
        ));
        let outdated: Vec<String> = MinimumVersions::default()
            .outdated(&xp)
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(outdated, ["IE 8", "Windows XP"]);
        // What the rules do not know is no software at all ("Other" in uap-core's words).
        assert_eq!(
            parse("curl/8.5.0 (unknown)"),
            (Some("curl 8".to_owned()), None)
        );
        assert_eq!(parse(""), (None, None));
        assert!(format!("{parser:?}").starts_with("UapParser"));
    }
}
