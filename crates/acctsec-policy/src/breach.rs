//! Breached passwords: the [`BreachOracle`] trait and an offline [`BreachFilter`] built from the
//! public breach corpus' SHA-1 list.

use std::future::Future;

use acctsec_core::Password;
use sha1::{Digest, Sha1};
use xorf::{BinaryFuse16, Descriptor, Filter};
use zeroize::Zeroizing;

use crate::{Error, Result};

/// The expected false-positive rate of a [`BreachFilter`]: 16-bit fingerprints give 2^-16
/// (0.0015%); a password that was never breached is reported breached about once in 65,536.
pub const BREACH_FILTER_FALSE_POSITIVE_RATE: f64 = 1.0 / 65_536.0;
/// The false-positive rate a [`BreachFilter`] stays under: 0.0025% (the bound `xorf` documents
/// for 16-bit binary fuse filters; 23 in a million measured on 200,000 hashes).
pub const BREACH_FILTER_MAX_FALSE_POSITIVE_RATE: f64 = 2.5e-5;
/// The longest line [`BreachFilter::from_hash_lines`] accepts, bytes.
pub const MAX_BREACH_LINE_BYTES: usize = 64;
/// The most hashes a filter is built from: 2^31 (the public corpus holds under a billion; `xorf`'s
/// 32-bit sizes overflow near 3.8 billion).
pub const MAX_BREACH_HASHES: usize = 1 << 31;

const MAGIC: &[u8; 12] = b"acctsec-bf16";
const FORMAT_VERSION: u8 = 1;
const HEADER_BYTES: usize = 12 + 1 + 8 + 4 + 4 + 4 + 8;

/// Whether a password appears in breach data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Breached {
    /// Not found.
    No,
    /// Found; `count` is how often, when the source says.
    Yes {
        /// Occurrences in the breach data, if known.
        count: Option<u64>,
    },
}

/// A source of breach data, queried with the SHA-1 of the normalised password (the form the
/// public corpus is distributed in). Offline filters answer at once; online range queries
/// (k-anonymity) go through the host's transport.
pub trait BreachOracle: Send + Sync {
    /// Looks up a SHA-1 digest.
    ///
    /// # Errors
    ///
    /// [`Error::BreachCheckUnavailable`] when the source could not answer; the policy then fails
    /// open or closed as configured.
    fn check(&self, sha1: &[u8; 20]) -> impl Future<Output = Result<Breached>> + Send;
}

/// The SHA-1 of a (normalised) password, as breach corpora key it. Unsalted and fast, it is as
/// good as the password to a cracker: it is wiped when dropped, like the password.
#[must_use]
pub fn password_sha1(password: &Password) -> Zeroizing<[u8; 20]> {
    let mut sha1 = Sha1::new();
    sha1.update(password.expose().as_bytes());
    // Finished straight into the wiped array: no copy of the digest is left by value.
    let mut out = Zeroizing::new([0; 20]);
    sha1.finalize_into((&mut *out).into());
    out
}

/// An offline set of breached-password hashes: a binary fuse filter (16-bit fingerprints, about
/// 18 bits per hash — 2.2 GB for a billion hashes) with no false negatives and a false-positive
/// rate of [`BREACH_FILTER_FALSE_POSITIVE_RATE`] expected, under
/// [`BREACH_FILTER_MAX_FALSE_POSITIVE_RATE`].
///
/// Build it once from the corpus' `HEX:count` lines, [save](Self::to_bytes) it, and
/// [load](Self::from_bytes) it at start-up.
///
/// ```
/// use acctsec_core::Password;
/// use acctsec_policy::{password_sha1, BreachFilter};
///
/// // "password" and "123456", as the corpus lists them.
/// let list = "5BAA61E4C9B93F3F0682250B6CF8331B7EE68FD8:9545824\n7C4A8D09CA3762AF61E59520943DC26494F8941B:37359195\n";
/// let filter = BreachFilter::from_hash_lines(list)?;
/// assert!(filter.contains(&password_sha1(&Password::new("password"))));
/// let again = BreachFilter::from_bytes(&filter.to_bytes())?;
/// assert!(again.contains(&password_sha1(&Password::new("123456"))));
/// # Ok::<(), acctsec_policy::Error>(())
/// ```
#[derive(Clone)]
pub struct BreachFilter {
    filter: BinaryFuse16,
    hashes: u64,
}

fn key(sha1: &[u8; 20]) -> u64 {
    u64::from_be_bytes([
        sha1[0], sha1[1], sha1[2], sha1[3], sha1[4], sha1[5], sha1[6], sha1[7],
    ])
}

fn parse_hex_sha1(hex: &str) -> Option<[u8; 20]> {
    let bytes = hex.as_bytes();
    if bytes.len() != 40 {
        return None;
    }
    let mut out = [0_u8; 20];
    for (i, pair) in bytes.chunks_exact(2).enumerate() {
        let digit = |c: u8| char::from(c).to_digit(16);
        let (hi, lo) = (digit(pair[0])?, digit(pair[1])?);
        *out.get_mut(i)? = u8::try_from(hi * 16 + lo).ok()?;
    }
    Some(out)
}

impl BreachFilter {
    /// Builds a filter from lines of `HEX` or `HEX:count` (40 hexadecimal digits of SHA-1, any
    /// case). Blank lines are skipped.
    ///
    /// # Errors
    ///
    /// [`Error::BreachList`] naming the first bad line (not 40 hex digits, a bad count, longer
    /// than [`MAX_BREACH_LINE_BYTES`]), or if there are too many hashes or the filter can't be
    /// built.
    pub fn from_hash_lines(text: &str) -> Result<Self> {
        let mut keys = Vec::new();
        for (index, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() {
                continue;
            }
            let bad = |reason| Error::BreachList {
                line: index + 1,
                reason,
            };
            if line.len() > MAX_BREACH_LINE_BYTES {
                return Err(bad("line too long"));
            }
            let (hex, count) = line.split_once(':').unwrap_or((line, "1"));
            let sha1 = parse_hex_sha1(hex).ok_or(bad("expected 40 hexadecimal digits"))?;
            count
                .parse::<u64>()
                .map_err(|_| bad("the count is not a number"))?;
            if keys.len() == MAX_BREACH_HASHES {
                return Err(bad("too many hashes"));
            }
            keys.push(key(&sha1));
        }
        keys.sort_unstable();
        keys.dedup();
        let hashes = u64::try_from(keys.len()).unwrap_or(u64::MAX);
        let filter = BinaryFuse16::try_from(&keys).map_err(|_| Error::BreachList {
            line: 0,
            reason: "the filter could not be built",
        })?;
        Ok(Self { filter, hashes })
    }

    /// Whether the SHA-1 is (probably) in the set: never a false negative, false positives under
    /// [`BREACH_FILTER_MAX_FALSE_POSITIVE_RATE`].
    #[must_use]
    pub fn contains(&self, sha1: &[u8; 20]) -> bool {
        self.filter.contains(&key(sha1))
    }

    /// How many distinct hashes it was built from.
    #[must_use]
    pub fn hashes(&self) -> u64 {
        self.hashes
    }

    /// The filter as bytes, to save and [load](Self::from_bytes) later.
    #[must_use]
    pub fn to_bytes(&self) -> Vec<u8> {
        let d = &self.filter.descriptor;
        let mut out = Vec::with_capacity(HEADER_BYTES + self.filter.fingerprints.len() * 2);
        out.extend_from_slice(MAGIC);
        out.push(FORMAT_VERSION);
        out.extend_from_slice(&d.seed.to_le_bytes());
        out.extend_from_slice(&d.segment_length.to_le_bytes());
        out.extend_from_slice(&d.segment_length_mask.to_le_bytes());
        out.extend_from_slice(&d.segment_count_length.to_le_bytes());
        out.extend_from_slice(&self.hashes.to_le_bytes());
        for fp in &*self.filter.fingerprints {
            out.extend_from_slice(&fp.to_le_bytes());
        }
        out
    }

    /// Loads a filter saved by [`to_bytes`](Self::to_bytes).
    ///
    /// # Errors
    ///
    /// [`Error::BreachList`] if the bytes are not a filter of this format (wrong magic or version,
    /// truncated, or a descriptor inconsistent with the fingerprints).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        let bad = |reason| Error::BreachList { line: 0, reason };
        let (header, body) = bytes
            .split_at_checked(HEADER_BYTES)
            .ok_or(bad("not a breach filter: too short"))?;
        let (magic, rest) = header.split_at(MAGIC.len());
        if magic != MAGIC {
            return Err(bad("not a breach filter"));
        }
        let [version, rest @ ..] = rest else {
            return Err(bad("not a breach filter: too short"));
        };
        if *version != FORMAT_VERSION {
            return Err(bad("unsupported breach filter version"));
        }
        let u32_at = |at: usize| -> Result<u32> {
            let b = rest.get(at..at + 4).ok_or(bad("truncated header"))?;
            Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        };
        let u64_at = |at: usize| -> Result<u64> {
            let b = rest.get(at..at + 8).ok_or(bad("truncated header"))?;
            Ok(u64::from_le_bytes(
                b.try_into().map_err(|_| bad("truncated header"))?,
            ))
        };
        let descriptor = Descriptor {
            seed: u64_at(0)?,
            segment_length: u32_at(8)?,
            segment_length_mask: u32_at(12)?,
            segment_count_length: u32_at(16)?,
        };
        let hashes = u64_at(20)?;
        if body.len() % 2 != 0 {
            return Err(bad("truncated fingerprints"));
        }
        // The descriptor must be one `xorf` itself builds, or a lookup could index past the
        // fingerprints: whole segments, at least one, and exactly two more segments of slack.
        let d = &descriptor;
        let fingerprints = u64::try_from(body.len() / 2).unwrap_or(u64::MAX);
        let (segment, count_length) = (
            u64::from(d.segment_length),
            u64::from(d.segment_count_length),
        );
        let consistent = d.segment_length.is_power_of_two()
            && d.segment_length_mask == d.segment_length - 1
            && count_length >= segment
            && count_length % segment == 0
            && fingerprints == count_length + 2 * segment
            && fingerprints <= u64::from(u32::MAX);
        if !consistent {
            return Err(bad("inconsistent breach filter"));
        }
        let fingerprints = body
            .chunks_exact(2)
            .map(|b| u16::from_le_bytes([b[0], b[1]]))
            .collect();
        Ok(Self {
            filter: BinaryFuse16 {
                descriptor,
                fingerprints,
            },
            hashes,
        })
    }
}

impl std::fmt::Debug for BreachFilter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BreachFilter")
            .field("hashes", &self.hashes)
            .field("fingerprints", &self.filter.fingerprints.len())
            .finish()
    }
}

impl BreachOracle for BreachFilter {
    async fn check(&self, sha1: &[u8; 20]) -> Result<Breached> {
        Ok(if self.contains(sha1) {
            Breached::Yes { count: None }
        } else {
            Breached::No
        })
    }
}
