//! Network reputation: whether an address belongs to an anonymiser (Tor, a VPN or proxy
//! service) or a hosting provider — the host's plug point [`NetworkReputation`], and
//! [`RangeReputation`], which answers from lists of address ranges the host keeps current.

use std::net::IpAddr;

use crate::{Error, Result};

/// What is known of an address's network.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Reputation {
    /// Tor, a VPN or a proxy service: whoever signs in hides where they are.
    pub anonymiser: bool,
    /// A hosting or cloud provider: rarely where people sign in from, often where tools run.
    pub hosting: bool,
}

impl Reputation {
    /// Whether either applies (the [`Signals::anonymising_network`] signal).
    ///
    /// [`Signals::anonymising_network`]: crate::Signals::anonymising_network
    #[must_use]
    pub const fn is_anonymising(self) -> bool {
        self.anonymiser || self.hosting
    }
}

/// The host's network-reputation source: a plug point (a commercial feed, a Tor exit list, the
/// cloud providers' published ranges).
pub trait NetworkReputation: Send + Sync {
    /// What is known of `ip`'s network; the default for an address it knows nothing about.
    fn reputation(&self, ip: IpAddr) -> Reputation;
}

/// The most ranges a [`RangeReputation`] list holds.
pub const MAX_REPUTATION_RANGES: usize = 1_000_000;
/// The longest line read from a range list, bytes.
const MAX_RANGE_LINE_BYTES: usize = 256;

/// Sorted, merged, inclusive ranges of addresses, IPv4 as IPv4-mapped IPv6.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Ranges(Vec<(u128, u128)>);

impl Ranges {
    fn parse(text: &str, list: List) -> Result<Self> {
        let mut ranges = Vec::new();
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        for (i, line) in text.lines().enumerate() {
            let row = |reason| Error::Row {
                line: i + 1,
                reason,
            };
            let line = line.split('#').next().unwrap_or_default().trim();
            if line.is_empty() {
                continue;
            }
            if line.len() > MAX_RANGE_LINE_BYTES {
                return Err(row(list.reason(Problem::TooLong)));
            }
            if ranges.len() == MAX_REPUTATION_RANGES {
                return Err(Error::Invalid(
                    list.name(),
                    "more ranges than MAX_REPUTATION_RANGES",
                ));
            }
            ranges.push(range(line).map_err(|p| row(list.reason(p)))?);
        }
        ranges.sort_unstable();
        let mut merged: Vec<(u128, u128)> = Vec::with_capacity(ranges.len());
        for (start, end) in ranges {
            match merged.last_mut() {
                Some(last) if start <= last.1.saturating_add(1) => last.1 = last.1.max(end),
                _ => merged.push((start, end)),
            }
        }
        merged.shrink_to_fit();
        Ok(Self(merged))
    }

    fn contains(&self, ip: IpAddr) -> bool {
        let x = key(ip);
        let after = self.0.partition_point(|&(start, _)| start <= x);
        after
            .checked_sub(1)
            .and_then(|i| self.0.get(i))
            .is_some_and(|&(_, end)| x <= end)
    }
}

/// An address as a number, IPv4 mapped into IPv6 (`::ffff:a.b.c.d`).
fn key(ip: IpAddr) -> u128 {
    match ip {
        IpAddr::V4(v4) => u128::from(v4.to_ipv6_mapped()),
        IpAddr::V6(v6) => u128::from(v6),
    }
}

/// Which list a line is in, for error messages.
#[derive(Debug, Clone, Copy)]
enum List {
    Anonymisers,
    Hosting,
}

/// What is wrong with a line.
#[derive(Debug, Clone, Copy)]
enum Problem {
    TooLong,
    NotARange,
    HostBits,
}

impl List {
    const fn name(self) -> &'static str {
        match self {
            Self::Anonymisers => "anonymiser list",
            Self::Hosting => "hosting list",
        }
    }

    const fn reason(self, problem: Problem) -> &'static str {
        match (self, problem) {
            (Self::Anonymisers, Problem::TooLong) => "anonymiser list: line too long",
            (Self::Anonymisers, Problem::NotARange) => {
                "anonymiser list: expected an address or a CIDR range"
            }
            (Self::Anonymisers, Problem::HostBits) => {
                "anonymiser list: address bits set past the prefix length"
            }
            (Self::Hosting, Problem::TooLong) => "hosting list: line too long",
            (Self::Hosting, Problem::NotARange) => {
                "hosting list: expected an address or a CIDR range"
            }
            (Self::Hosting, Problem::HostBits) => {
                "hosting list: address bits set past the prefix length"
            }
        }
    }
}

/// `a.b.c.d`, `a.b.c.d/n`, an IPv6 address, or one with `/n`; the prefix length in plain digits,
/// and the address its network's first (`192.0.2.7/8` is refused as a likely typo).
fn range(text: &str) -> std::result::Result<(u128, u128), Problem> {
    let (address, prefix) = match text.split_once('/') {
        Some((address, prefix)) => {
            let digits = !prefix.is_empty()
                && prefix.len() <= 3
                && prefix.bytes().all(|b| b.is_ascii_digit())
                && (prefix == "0" || !prefix.starts_with('0'));
            let n = prefix.parse::<u32>().ok().filter(|_| digits);
            (address, Some(n.ok_or(Problem::NotARange)?))
        }
        None => (text, None),
    };
    let ip: IpAddr = address.parse().map_err(|_| Problem::NotARange)?;
    let (bits, offset) = match ip {
        IpAddr::V4(_) => (32, 96),
        IpAddr::V6(_) => (128, 0),
    };
    let prefix = prefix.unwrap_or(bits);
    if prefix > bits {
        return Err(Problem::NotARange);
    }
    let host_bits = 128 - (offset + prefix);
    let mask = u128::MAX
        .checked_shr(128 - host_bits)
        .filter(|_| host_bits > 0)
        .unwrap_or(0);
    let start = key(ip);
    if start & mask != 0 {
        return Err(Problem::HostBits);
    }
    Ok((start, start | mask))
}

/// [`NetworkReputation`] from lists of address ranges the host keeps current: one address or
/// CIDR range a line (IPv4 or IPv6; `#` starts a comment), as Tor's exit list and the cloud
/// providers' published ranges can be written. At most [`MAX_REPUTATION_RANGES`] ranges each;
/// lookups are a binary search over merged ranges. IPv4 addresses are matched as IPv4-mapped
/// IPv6 (`::ffff:a.b.c.d`), so an IPv6 range covering `::ffff:0:0/96` (such as `::/0`) covers
/// every IPv4 address too.
///
/// ```
/// use acctsec_risk::{NetworkReputation, RangeReputation};
///
/// let lists = RangeReputation::new(
///     "# Tor exits\n192.0.2.7\n2001:db8:7::1\n",
///     "198.51.100.0/24  # a hosting provider\n",
/// )?;
/// assert!(lists.reputation("192.0.2.7".parse()?).anonymiser);
/// assert!(lists.reputation("198.51.100.200".parse()?).hosting);
/// assert!(!lists.reputation("203.0.113.1".parse()?).is_anonymising());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RangeReputation {
    anonymisers: Ranges,
    hosting: Ranges,
}

impl RangeReputation {
    /// Reads the anonymiser and hosting lists.
    ///
    /// # Errors
    ///
    /// [`Error::Row`] with the line number and the list, for a line that is not an address or a
    /// range, has address bits set past its prefix length, or is over 256 bytes before its
    /// comment; [`Error::Invalid`] for a list of more than [`MAX_REPUTATION_RANGES`].
    pub fn new(anonymisers: &str, hosting: &str) -> Result<Self> {
        Ok(Self {
            anonymisers: Ranges::parse(anonymisers, List::Anonymisers)?,
            hosting: Ranges::parse(hosting, List::Hosting)?,
        })
    }
}

impl NetworkReputation for RangeReputation {
    fn reputation(&self, ip: IpAddr) -> Reputation {
        Reputation {
            anonymiser: self.anonymisers.contains(ip),
            hosting: self.hosting.contains(ip),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn ranges_cover_exactly_their_addresses() {
        let lists = RangeReputation::new(
            "10.0.0.0/8\n192.0.2.7\n2001:db8::/32\n\n  # comment only\n0.0.0.0/0 # everything v4\n",
            "198.51.100.0/25\n198.51.100.128/25\n::/0\n",
        )
        .unwrap();
        // Adjacent /25s merge into one /24; the v4 /0 swallows the other v4 ranges.
        assert_eq!(lists.hosting.0.len(), 1, "::/0 covers all");
        assert_eq!(lists.anonymisers.0.len(), 2);
        for a in ["10.1.2.3", "255.255.255.255", "0.0.0.0", "2001:db8:ffff::1"] {
            assert!(lists.reputation(ip(a)).anonymiser, "{a}");
        }
        assert!(!lists.reputation(ip("2001:db9::1")).anonymiser);
        assert!(lists.reputation(ip("::1")).hosting);

        let narrow = RangeReputation::new("192.0.2.0/31\n", "").unwrap();
        assert!(narrow.reputation(ip("192.0.2.1")).anonymiser);
        assert!(!narrow.reputation(ip("192.0.2.2")).anonymiser);
        assert!(!narrow.reputation(ip("192.0.1.255")).anonymiser);
        // An IPv4 address and its IPv6-mapped form are one address.
        assert!(narrow.reputation(ip("::ffff:192.0.2.0")).anonymiser);
        assert_eq!(
            RangeReputation::default().reputation(ip("1.1.1.1")),
            Reputation::default()
        );
    }

    #[test]
    fn bad_lists_are_refused_with_the_line_and_the_list() {
        let not_a_range = "anonymiser list: expected an address or a CIDR range";
        let host_bits = "anonymiser list: address bits set past the prefix length";
        for (text, line, reason) in [
            ("10.0.0.0/33", 1, not_a_range),
            ("1.2.3.4\nnot an address", 2, not_a_range),
            ("1.2.3.4/x", 1, not_a_range),
            ("\n\n::/129", 3, not_a_range),
            ("1.2.3.4/-1", 1, not_a_range),
            ("10.0.0.0/+8", 1, not_a_range),
            ("10.0.0.0/08", 1, not_a_range),
            ("10.0.0.0/", 1, not_a_range),
            // Typos that would flag a whole network.
            ("192.0.2.7/8", 1, host_bits),
            ("2001:db8::1/32", 1, host_bits),
        ] {
            assert_eq!(
                RangeReputation::new(text, ""),
                Err(Error::Row { line, reason }),
                "{text}"
            );
        }
        assert_eq!(
            RangeReputation::new("", &"1".repeat(300)),
            Err(Error::Row {
                line: 1,
                reason: "hosting list: line too long"
            })
        );
        // A byte-order mark, CRLF line ends and long comments are fine.
        let text = format!(
            "\u{feff}192.0.2.0/24\r\n10.0.0.0/8 # {}\r\n",
            "x".repeat(400)
        );
        let lists = RangeReputation::new(&text, "").unwrap();
        assert!(lists.reputation(ip("192.0.2.9")).anonymiser);
        assert!(lists.reputation(ip("10.9.9.9")).anonymiser);
        // Ranges up to the last address merge and match.
        let top = RangeReputation::new("ffff:ffff:ffff:ffff::/64\nffff:ffff:ffff:fffe::/64\n", "")
            .unwrap();
        assert_eq!(top.anonymisers.0, [(u128::MAX - (1 << 65) + 1, u128::MAX)]);
        assert!(
            top.reputation(ip("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"))
                .anonymiser
        );
        assert!(!top.reputation(ip("ffff:ffff:ffff:fffd::1")).anonymiser);
    }

    proptest! {
        #[test]
        fn any_text_reads_or_is_refused_without_panicking(text in "[0-9a-f:./# \n-]{0,200}|\\PC{0,100}") {
            if let Ok(lists) = RangeReputation::new(&text, &text) {
                let _ = lists.reputation(ip("192.0.2.1"));
                // Merged ranges are sorted and disjoint.
                prop_assert!(lists.anonymisers.0.windows(2).all(|w| w[0].1 < w[1].0));
                prop_assert!(lists.anonymisers.0.iter().all(|r| r.0 <= r.1));
            }
        }

        #[test]
        fn membership_matches_a_plain_scan(
            cidrs in prop::collection::vec((any::<u32>(), 0_u32..=32), 0..20),
            probes in prop::collection::vec(any::<u32>(), 0..50),
        ) {
            let prefix_mask = |n: u32| u32::MAX.checked_shl(32 - n).unwrap_or(0);
            // Networks written as their first address (the parser refuses host bits).
            let cidrs: Vec<(u32, u32)> = cidrs.iter().map(|&(a, n)| (a & prefix_mask(n), n)).collect();
            let text: String = cidrs
                .iter()
                .map(|(a, n)| format!("{}/{n}\n", std::net::Ipv4Addr::from(*a)))
                .collect();
            let lists = RangeReputation::new(&text, "").unwrap();
            let probes = probes.iter().copied().chain(cidrs.iter().map(|(a, _)| *a));
            for p in probes {
                let inside = cidrs.iter().any(|&(a, n)| a == p & prefix_mask(n));
                prop_assert_eq!(
                    lists.reputation(IpAddr::V4(p.into())).anonymiser,
                    inside,
                    "{}", std::net::Ipv4Addr::from(p)
                );
            }
        }
    }
}
