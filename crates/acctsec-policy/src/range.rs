//! [`RangeOracle`]: the k-anonymity range protocol of the public breach corpus — only the first
//! five hexadecimal digits of a password's SHA-1 leave the server.

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use acctsec_core::BoxError;

use crate::breach::{BreachOracle, Breached};
use crate::{Error, Result};

/// The longest range response accepted, bytes (real ones are about 30 KiB).
pub const MAX_RANGE_RESPONSE_BYTES: usize = 1024 * 1024;
/// The default time the transport may take for one range: 2 seconds.
pub const DEFAULT_RANGE_TIMEOUT: Duration = Duration::from_secs(2);
/// The default number of ranges kept in the cache: 256 (about 10 MB).
pub const DEFAULT_RANGE_CACHE: usize = 256;

/// The host's HTTP client for the range API: given a five-digit upper-case hexadecimal prefix,
/// returns the response body — lines of `SUFFIX:COUNT`, the 35 remaining hexadecimal digits of
/// each breached SHA-1 with that prefix and how often it was seen (entries with a count of 0 are
/// padding). It must give up after `timeout`, and should ask the service to pad responses.
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
}

/// A [`BreachOracle`] over the range protocol, with a bounded cache of ranges already fetched.
/// Only the first five hexadecimal digits of a password's SHA-1 are sent; the match is made here.
///
/// Whether an unreachable service lets passwords through is the caller's explicit choice:
/// [`Policy::evaluate_with_breach`](crate::Policy::evaluate_with_breach) takes a
/// [`BreachFailure`](crate::BreachFailure).
pub struct RangeOracle<T> {
    transport: T,
    timeout: Duration,
    capacity: usize,
    cache: Mutex<Cache>,
}

impl<T> fmt::Debug for RangeOracle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RangeOracle")
            .field("timeout", &self.timeout)
            .field("capacity", &self.capacity)
            .finish_non_exhaustive()
    }
}

impl<T: RangeTransport> RangeOracle<T> {
    /// An oracle with [`DEFAULT_RANGE_TIMEOUT`] and a cache of [`DEFAULT_RANGE_CACHE`] ranges.
    #[must_use]
    pub fn new(transport: T) -> Self {
        Self {
            transport,
            timeout: DEFAULT_RANGE_TIMEOUT,
            capacity: DEFAULT_RANGE_CACHE,
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

    /// Sets how many ranges are kept (0 turns the cache off).
    #[must_use]
    pub fn with_cache_capacity(mut self, ranges: usize) -> Self {
        self.capacity = ranges;
        self
    }

    fn cached(&self, prefix: &str) -> Option<Range> {
        let cache = self.cache.lock().unwrap_or_else(PoisonError::into_inner);
        cache.ranges.get(prefix).cloned()
    }

    fn remember(&self, prefix: &str, range: Range) {
        if self.capacity == 0 {
            return;
        }
        let mut cache = self.cache.lock().unwrap_or_else(PoisonError::into_inner);
        if cache.ranges.insert(prefix.to_owned(), range).is_none() {
            cache.order.push_back(prefix.to_owned());
        }
        while cache.order.len() > self.capacity {
            if let Some(oldest) = cache.order.pop_front() {
                cache.ranges.remove(&oldest);
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
    for line in body.lines() {
        let line = line.trim();
        if line.is_empty() {
            continue;
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
        let hex: String = sha1.iter().map(|b| format!("{b:02X}")).collect();
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
