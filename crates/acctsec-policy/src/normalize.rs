//! Unicode normalisation of passwords, so the policy and the hasher see the same bytes.

use acctsec_core::Password;
use unicode_normalization::{IsNormalized, UnicodeNormalization, is_nfkc_quick};
use zeroize::Zeroizing;

/// How passwords are normalised before they are judged and hashed. Changing it changes the
/// bytes that reach the hasher, so a stored hash is tied to the normalisation it was made with:
/// record [`Normalization::id`] next to hashes if you ever change it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub enum Normalization {
    /// Unicode NFKC (NIST SP 800-63B-4 recommends NFKC or NFKD): compatibility variants such as
    /// full-width letters and ligatures become their plain forms, so a password typed on another
    /// keyboard or device still matches.
    #[default]
    Nfkc,
    /// No normalisation: bytes as typed.
    None,
}

impl Normalization {
    /// A stable identifier with the Unicode version of the tables in use, for example
    /// `nfkc/unicode-16.0.0`.
    #[must_use]
    pub fn id(self) -> String {
        let (major, minor, patch) = unicode_normalization::UNICODE_VERSION;
        match self {
            Self::Nfkc => format!("nfkc/unicode-{major}.{minor}.{patch}"),
            Self::None => "none".to_owned(),
        }
    }

    /// The normalised form of `password`, or `None` if it is over `max_bytes` before or after
    /// (NFKC can grow text 18×: no more of it is expanded than fits). Idempotent. One pass, into
    /// a string with room for the cap, so no outgrown buffer holding part of it is left unwiped.
    #[must_use]
    pub(crate) fn apply(self, password: &Password, max_bytes: usize) -> Option<Password> {
        let text = password.expose();
        if text.len() > max_bytes {
            return None;
        }
        if self == Self::None || is_nfkc(text) {
            return Some(password.clone());
        }
        let mut out = Zeroizing::new(String::with_capacity(max_bytes));
        for c in text.nfkc() {
            if out.len() + c.len_utf8() > max_bytes {
                return None;
            }
            out.push(c);
        }
        Some(Password::new(std::mem::take(&mut *out)))
    }
}

/// Whether `text` is certainly NFKC already (all ASCII is), so normalising can be skipped: a
/// quick check, which may answer "maybe" for text that is.
pub(crate) fn is_nfkc(text: &str) -> bool {
    is_nfkc_quick(text.chars()) == IsNormalized::Yes
}

/// `chars` lower-cased for comparison, one character at a time, with the final sigma `ς` read
/// as `σ`: `str::to_lowercase` lower-cases a word-final `Σ` to `ς` and `char::to_lowercase` to
/// `σ`, so without that `ΟΔΥΣΣΕΑΣ` and `οδυσσεας` would differ.
pub(crate) fn lower(
    chars: impl Iterator<Item = char> + Clone,
) -> impl Iterator<Item = char> + Clone {
    chars
        .flat_map(char::to_lowercase)
        .map(|c| if c == 'ς' { 'σ' } else { c })
}

/// The characters of `chars` in a string allocated once at its exact size. A string grown as it
/// is filled leaves each outgrown buffer behind unwiped; a password's working copies must not.
/// Goes over `chars` twice (once to measure): meant for bounded text.
pub(crate) fn collect_exact<I: Iterator<Item = char> + Clone>(chars: I) -> String {
    let mut out = String::with_capacity(chars.clone().map(char::len_utf8).sum());
    out.extend(chars);
    out
}
