//! [`RangeOracle`]: the k-anonymity range protocol of the public breach corpus — only the first
//! five hexadecimal digits of a password's SHA-1 leave the server.

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use acctsec_core::BoxError;
use zeroize::Zeroizing;

use crate::breach::{BreachOracle, Breached};
use crate::{Error, Result};

/// The longest range response accepted, bytes (real ones are about 30 KiB).
pub const MAX_RANGE_RESPONSE_BYTES: usize = 1024 * 1024;
/// The default time the transport may take for one range: 2 seconds.
pub const DEFAULT_RANGE_TIMEOUT: Duration = Duration::from_secs(2);
/// The most entries one range response may hold (real ones hold about 800 to 1,000, padding
/// included).
pub const MAX_RANGE_ENTRIES: usize = 4096;
/// The default size of the range cache: 16 MiB (a few hundred real ranges).
pub const DEFAULT_RANGE_CACHE_BYTES: usize = 16 * 1024 * 1024;
/// Bytes a cached entry costs, counted generously (a 35-character suffix, a count, the map's
/// overhead).
const ENTRY_COST_BYTES: usize = 96;

/// The host's HTTP client for the range API: given a five-digit upper-case hexadecimal prefix,
/// returns the response body — lines of `SUFFIX:COUNT`, the 35 remaining hexadecimal digits of
/// each breached SHA-1 with that prefix and how often it was seen (entries with a count of 0 are
/// padding). It must give up after `timeout`, stop reading a body at
/// [`MAX_RANGE_RESPONSE_BYTES`] (the oracle refuses longer ones, but only a transport can avoid
/// holding them), and should ask the service to pad responses.
pub trait RangeTransport: Send + Sync {
    /// Fetches the range for `prefix`.
    ///
    /// # Errors
    ///
    /// Whatever the transport met; the oracle reports it as
    /// [`Error::BreachCheckUnavailable`].
    fn fetch(
        &self,
        prefix: &str,
        timeout: Duration,
    ) -> impl Future<Output = std::result::Result<String, BoxError>> + Send;
}

type Range = Arc<HashMap<String, u64>>;

#[derive(Default)]
struct Cache {
    ranges: HashMap<String, Range>,
    order: VecDeque<String>,
    bytes: usize,
}

fn cost(range: &Range) -> usize {
    (range.len() + 1) * ENTRY_COST_BYTES
}

/// A [`BreachOracle`] over the range protocol, with a cache of ranges already fetched, bounded in
/// bytes.
/// Only the first five hexadecimal digits of a password's SHA-1 are sent; the match is made here.
///
/// Whether an unreachable service lets passwords through is the caller's explicit choice:
/// [`Policy::evaluate_with_breach`](crate::Policy::evaluate_with_breach) takes a
/// [`BreachFailure`](crate::BreachFailure).
pub struct RangeOracle<T> {
    transport: T,
    timeout: Duration,
    capacity_bytes: usize,
    cache: Mutex<Cache>,
}

impl<T> fmt::Debug for RangeOracle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RangeOracle")
            .field("timeout", &self.timeout)
            .field("capacity_bytes", &self.capacity_bytes)
            .finish_non_exhaustive()
    }
}

impl<T: RangeTransport> RangeOracle<T> {
    /// An oracle with [`DEFAULT_RANGE_TIMEOUT`] and a cache of [`DEFAULT_RANGE_CACHE_BYTES`].
    #[must_use]
    pub fn new(transport: T) -> Self {
        Self {
            transport,
            timeout: DEFAULT_RANGE_TIMEOUT,
            capacity_bytes: DEFAULT_RANGE_CACHE_BYTES,
            cache: Mutex::new(Cache::default()),
        }
    }

    /// Sets the time the transport may take for one range.
    #[must_use]
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The transport.
    #[must_use]
    pub fn transport(&self) -> &T {
        &self.transport
    }

    /// Sets how many bytes of ranges are kept, oldest evicted first (0 turns the cache off).
    #[must_use]
    pub fn with_cache_bytes(mut self, bytes: usize) -> Self {
        self.capacity_bytes = bytes;
        self
    }

    fn cached(&self, prefix: &str) -> Option<Range> {
        let cache = self.cache.lock().unwrap_or_else(PoisonError::into_inner);
        cache.ranges.get(prefix).cloned()
    }

    fn remember(&self, prefix: &str, range: Range) {
        let size = cost(&range);
        if size > self.capacity_bytes {
            return;
        }
        let mut cache = self.cache.lock().unwrap_or_else(PoisonError::into_inner);
        match cache.ranges.insert(prefix.to_owned(), range) {
            Some(previous) => cache.bytes -= cost(&previous),
            None => cache.order.push_back(prefix.to_owned()),
        }
        cache.bytes += size;
        while cache.bytes > self.capacity_bytes {
            let Some(oldest) = cache.order.pop_front() else {
                break;
            };
            if let Some(evicted) = cache.ranges.remove(&oldest) {
                cache.bytes -= cost(&evicted);
            }
        }
    }
}

/// Parses a range body into suffix → count, ignoring padding (count 0).
fn parse_range(body: &str) -> Result<Range> {
    if body.len() > MAX_RANGE_RESPONSE_BYTES {
        return Err(Error::BreachCheckUnavailable);
    }
    let mut range = HashMap::new();
    let lines = body.lines().map(str::trim).filter(|line| !line.is_empty());
    for (entries, line) in lines.enumerate() {
        if entries == MAX_RANGE_ENTRIES {
            return Err(Error::BreachCheckUnavailable);
        }
        let (suffix, count) = line.split_once(':').ok_or(Error::BreachCheckUnavailable)?;
        if suffix.len() != 35 || !suffix.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(Error::BreachCheckUnavailable);
        }
        let count: u64 = count
            .trim()
            .parse()
            .map_err(|_| Error::BreachCheckUnavailable)?;
        if count > 0 {
            range.insert(suffix.to_ascii_uppercase(), count);
        }
    }
    Ok(Arc::new(range))
}

impl<T: RangeTransport> BreachOracle for RangeOracle<T> {
    async fn check(&self, sha1: &[u8; 20]) -> Result<Breached> {
        const DIGITS: &[u8; 16] = b"0123456789ABCDEF";
        // The password's full hash: only its first five digits leave the process; wiped after.
        let mut hex = Zeroizing::new(String::with_capacity(40));
        for b in sha1 {
            hex.push(char::from(DIGITS[usize::from(b >> 4)]));
            hex.push(char::from(DIGITS[usize::from(b & 0xf)]));
        }
        let (prefix, suffix) = hex.split_at(5);
        let range = match self.cached(prefix) {
            Some(range) => range,
            None => {
                let body = self
                    .transport
                    .fetch(prefix, self.timeout)
                    .await
                    .map_err(|_| Error::BreachCheckUnavailable)?;
                let range = parse_range(&body)?;
                self.remember(prefix, Arc::clone(&range));
                range
            }
        };
        Ok(match range.get(suffix) {
            Some(count) => Breached::Yes {
                count: Some(*count),
            },
            None => Breached::No,
        })
    }
}
