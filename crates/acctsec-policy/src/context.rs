//! [`Context`]: the words a password must not be built from — the user's own and the site's.

use acctsec_core::Email;
use unicode_normalization::UnicodeNormalization;

use crate::normalize::{collect_exact, lower};

/// The most context words kept of each kind (the user's, the site's); more are ignored. Kept
/// apart, so a long display name can't push out the site's words.
pub const MAX_CONTEXT_WORDS: usize = 64;
/// The longest context word considered, characters; longer ones are ignored.
pub const MAX_CONTEXT_WORD_CHARS: usize = 64;
/// The shortest context word considered: shorter words match too many good passwords.
pub const MIN_CONTEXT_WORD_CHARS: usize = 4;
/// How much of each text given to [`Context::with_user_words`] and [`Context::with_site_words`]
/// is read, bytes; the rest is ignored.
pub const MAX_CONTEXT_TEXT_BYTES: usize = 1024;

/// What the policy knows about the person and the site when judging a password: the user's own
/// words (email, username, display name), the site's words (product and company names), and
/// whether a second factor is enrolled.
///
/// ```
/// use acctsec_core::Email;
/// use acctsec_policy::Context;
///
/// let context = Context::new()
///     .with_email(&Email::parse("dana.lee@example.com")?)
///     .with_user_words("Dana Lee")
///     .with_site_words("Acme Cloud");
/// assert!(context.words().any(|w| w == "dana"));
/// assert!(context.words().any(|w| w == "acme"));
/// # Ok::<(), acctsec_core::Error>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Context {
    user: Vec<String>,
    site: Vec<String>,
    second_factor: bool,
}

/// Whether `word` is of a length worth keeping.
fn word_in_bounds(word: &str) -> bool {
    (MIN_CONTEXT_WORD_CHARS..=MAX_CONTEXT_WORD_CHARS).contains(&word.chars().count())
}

/// Splits the first [`MAX_CONTEXT_TEXT_BYTES`] of `text`, NFKC-normalised as passwords are,
/// into lower-case words of letters and digits, keeping those within bounds. (Without the
/// normalisation, `Ｄａｎａ` or a `José` typed with a combining accent could never match the
/// normalised password.)
fn words_of(text: &str) -> Vec<String> {
    let normalised: String = text[..text.floor_char_boundary(MAX_CONTEXT_TEXT_BYTES)]
        .nfkc()
        .collect();
    normalised
        .split(|c: char| !c.is_alphanumeric())
        .map(|word| lower(word.chars()).collect::<String>())
        .filter(|w| word_in_bounds(w))
        .collect()
}

fn push_bounded(list: &mut Vec<String>, words: impl IntoIterator<Item = String>) {
    for w in words {
        if list.len() == MAX_CONTEXT_WORDS {
            break;
        }
        if !list.contains(&w) {
            list.push(w);
        }
    }
}

impl Context {
    /// An empty context.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds the email's local part, whole and split at `.`, `_`, `-`, `+`. Not the domain: for
    /// most people it is a mail provider's (`live`, `outlook`), and refusing those words would
    /// refuse good passwords; a host whose users' domains are its own adds them as site words.
    #[must_use]
    pub fn with_email(mut self, email: &Email) -> Self {
        // The lookup key's local part: already NFKC, case- and width-folded.
        let key = email.normalized();
        let local = key.rsplit_once('@').map_or(key, |(local, _)| local);
        let whole = std::iter::once(local.to_owned()).filter(|w| word_in_bounds(w));
        push_bounded(&mut self.user, whole.chain(words_of(local)));
        self
    }

    /// Adds the words of a username, display name or other personal text.
    #[must_use]
    pub fn with_user_words(mut self, text: &str) -> Self {
        push_bounded(&mut self.user, words_of(text));
        self
    }

    /// Adds the words of the site's name, product names and the like.
    #[must_use]
    pub fn with_site_words(mut self, text: &str) -> Self {
        push_bounded(&mut self.site, words_of(text));
        self
    }

    /// Records whether the user has a second factor enrolled.
    #[must_use]
    pub fn with_second_factor(mut self, enrolled: bool) -> Self {
        self.second_factor = enrolled;
        self
    }

    /// Whether a second factor is enrolled.
    #[must_use]
    pub fn second_factor(&self) -> bool {
        self.second_factor
    }

    /// Every context word, the user's first.
    pub fn words(&self) -> impl Iterator<Item = &str> {
        self.user.iter().chain(&self.site).map(String::as_str)
    }
}

/// The form passwords and words are compared in: lower case, with the common character
/// substitutions undone (`@`/`4` → a, `3` → e, `1`/`!`/`|`/`l` → i, `0` → o, `$`/`5` → s,
/// `7`/`+` → t, …), so `P@$$w0rd` and `password` compare equal. Takes characters (a password's,
/// maybe cut short) and gives a string allocated at its size.
pub(crate) fn canonical(chars: impl Iterator<Item = char> + Clone) -> String {
    let folded = lower(chars).map(|c| match c {
        '@' | '4' => 'a',
        '8' => 'b',
        '(' | '[' | '{' | '<' => 'c',
        '3' => 'e',
        '6' | '9' => 'g',
        '1' | '!' | '|' | 'l' => 'i',
        '0' => 'o',
        '$' | '5' => 's',
        '7' | '+' => 't',
        '2' => 'z',
        other => other,
    });
    collect_exact(folded)
}

/// Edit distance between two short strings, or `None` when their lengths differ by more than
/// `limit` (then the distance is over the limit anyway). Bounded: callers pass strings of at most
/// a few dozen characters.
pub(crate) fn within_edits(a: &[char], b: &[char], limit: usize) -> bool {
    if a.len().abs_diff(b.len()) > limit {
        return false;
    }
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut diagonal = row.first().copied().unwrap_or(i);
        if let Some(first) = row.first_mut() {
            *first = i + 1;
        }
        for (j, cb) in b.iter().enumerate() {
            let above = row.get(j + 1).copied().unwrap_or(usize::MAX);
            let left = row.get(j).copied().unwrap_or(usize::MAX);
            let next = (diagonal + usize::from(ca != cb))
                .min(above + 1)
                .min(left + 1);
            diagonal = above;
            if let Some(cell) = row.get_mut(j + 1) {
                *cell = next;
            }
        }
    }
    row.last().is_some_and(|d| *d <= limit)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_undoes_substitutions() {
        assert_eq!(canonical("P@$$w0rd".chars()), "password".replace('l', "i"));
        assert_eq!(canonical("Acm3".chars()), "acme");
        assert_eq!(canonical("Hello1!".chars()), "heiioii");
    }

    #[test]
    fn edit_distance_is_bounded_and_right() {
        let c = |s: &str| s.chars().collect::<Vec<_>>();
        assert!(within_edits(&c("acme"), &c("acne"), 1));
        assert!(within_edits(&c("kitten"), &c("sitting"), 3));
        assert!(!within_edits(&c("kitten"), &c("sitting"), 2));
        assert!(!within_edits(&c("a"), &c("abcdef"), 2));
        assert!(within_edits(&c(""), &c("ab"), 2));
    }
}
