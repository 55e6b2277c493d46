//! [`Blocklist`]: a host's list of forbidden passwords, compact and case-insensitive.

use unicode_normalization::UnicodeNormalization;
use zeroize::Zeroizing;

use crate::normalize::{collect_exact, is_nfkc, lower};
use crate::{Error, Result};

/// The most entries a blocklist holds.
pub const MAX_BLOCKLIST_ENTRIES: usize = 10_000_000;
/// The longest entry, bytes, as typed and once normalised; longer lines are refused.
pub const MAX_BLOCKLIST_ENTRY_BYTES: usize = 256;
/// The longest text [`Blocklist::contains`] normalises, bytes: longer text is never on the list
/// (no entry is over [`MAX_BLOCKLIST_ENTRY_BYTES`] normalised, and normalising and lower-casing
/// shrink text 4× at most — a four-byte mathematical letter becomes an ASCII one — far from
/// 16×).
pub const MAX_BLOCKLIST_CANDIDATE_BYTES: usize = 16 * MAX_BLOCKLIST_ENTRY_BYTES;

/// Passwords a host forbids (its own leaks, product words, local favourites), matched after
/// NFKC normalisation (as passwords get) and lower-casing — not full case folding: `STRASSE`
/// and `straße` differ. `Debug` shows only how many entries there are.
///
/// Stored as one sorted, lower-cased text with an offset per entry: about the size of the list
/// plus four bytes an entry, searched by binary search.
///
/// ```
/// use acctsec_policy::Blocklist;
///
/// let list = Blocklist::from_lines("Winter2026!\nacme-admin\n\n# comments are ignored\n")?;
/// assert!(list.contains("WINTER2026!"));
/// assert!(list.contains("ＡＣＭＥ-admin"), "full-width letters normalise to ASCII");
/// assert!(!list.contains("summer2026!"));
/// assert_eq!(list.len(), 2);
/// # Ok::<(), acctsec_policy::Error>(())
/// ```
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Blocklist {
    text: String,
    starts: Vec<u32>,
}

/// An entry or a candidate as the list compares them: NFKC-normalised, then lower-cased, in
/// one string allocated at its size (a candidate is a password).
fn canonical(text: &str) -> Zeroizing<String> {
    // The policy passes passwords it has normalised already: those are not normalised again.
    Zeroizing::new(if is_nfkc(text) {
        collect_exact(lower(text.chars()))
    } else {
        collect_exact(lower(text.nfkc()))
    })
}

impl Blocklist {
    /// Builds a list from text with one password a line. Blank lines and lines starting with `#`
    /// are skipped; surrounding white space is trimmed.
    ///
    /// # Errors
    ///
    /// [`Error::Blocklist`] if a line is longer than [`MAX_BLOCKLIST_ENTRY_BYTES`], as written or
    /// once normalised, or there are more than [`MAX_BLOCKLIST_ENTRIES`] entries (or more text
    /// than fits in 4 GiB).
    pub fn from_lines(text: &str) -> Result<Self> {
        let mut entries: Vec<String> = Vec::new();
        for line in text.lines() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            if line.len() > MAX_BLOCKLIST_ENTRY_BYTES {
                return Err(Error::Blocklist("an entry is too long"));
            }
            if entries.len() == MAX_BLOCKLIST_ENTRIES {
                return Err(Error::Blocklist("too many entries"));
            }
            let mut entry = canonical(line);
            if entry.len() > MAX_BLOCKLIST_ENTRY_BYTES {
                return Err(Error::Blocklist("an entry is too long once normalised"));
            }
            entries.push(std::mem::take(&mut *entry));
        }
        entries.sort_unstable();
        entries.dedup();
        let mut list = Self {
            text: String::with_capacity(entries.iter().map(String::len).sum()),
            starts: Vec::with_capacity(entries.len() + 1),
        };
        for entry in &entries {
            list.starts.push(offset(list.text.len())?);
            list.text.push_str(entry);
        }
        list.starts.push(offset(list.text.len())?);
        Ok(list)
    }

    fn entry(&self, i: usize) -> &str {
        let (Some(&start), Some(&end)) = (self.starts.get(i), self.starts.get(i + 1)) else {
            return "";
        };
        self.text
            .get(start as usize..end as usize)
            .unwrap_or_default()
    }

    /// Whether `candidate` is on the list, after the same NFKC normalisation and lower-casing as
    /// the entries (so `˚` matches an entry `˚`, both read as a space and a combining ring).
    /// Text over [`MAX_BLOCKLIST_CANDIDATE_BYTES`] is not looked at: it can't be on the list.
    #[must_use]
    pub fn contains(&self, candidate: &str) -> bool {
        if self.is_empty() || candidate.len() > MAX_BLOCKLIST_CANDIDATE_BYTES {
            return false;
        }
        // The candidate is a password: its normalised copy is wiped too.
        let needle = canonical(candidate);
        let (mut lo, mut hi) = (0, self.len());
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            match self.entry(mid).cmp(needle.as_str()) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => return true,
            }
        }
        false
    }

    /// How many entries the list holds.
    #[must_use]
    pub fn len(&self) -> usize {
        self.starts.len().saturating_sub(1)
    }

    /// Whether the list is empty.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl std::fmt::Debug for Blocklist {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The entries may be the host's own leaked passwords: only their number is shown.
        f.debug_struct("Blocklist")
            .field("entries", &self.len())
            .finish()
    }
}

fn offset(n: usize) -> Result<u32> {
    u32::try_from(n).map_err(|_| Error::Blocklist("more than 4 GiB of text"))
}
