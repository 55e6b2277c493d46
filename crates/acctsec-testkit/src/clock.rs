use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use acctsec_core::{Clock, Timestamp};

/// A clock that moves only when told to. Clones share one time.
///
/// ```
/// use acctsec_core::{Clock, Timestamp};
/// use acctsec_testkit::ManualClock;
/// use std::time::Duration;
///
/// let clock = ManualClock::new(Timestamp::from_unix_secs(1_000));
/// clock.advance(Duration::from_secs(90));
/// assert_eq!(clock.now(), Timestamp::from_unix_secs(1_090));
/// ```
#[derive(Debug, Clone)]
pub struct ManualClock(Arc<AtomicI64>);

impl ManualClock {
    /// A clock showing `start`.
    #[must_use]
    pub fn new(start: Timestamp) -> Self {
        Self(Arc::new(AtomicI64::new(start.as_unix_millis())))
    }

    /// Sets the time.
    pub fn set(&self, now: Timestamp) {
        self.0.store(now.as_unix_millis(), Ordering::SeqCst);
    }

    /// Moves the time forward by `by`.
    pub fn advance(&self, by: Duration) {
        self.set(self.now().saturating_add(by));
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Timestamp {
        Timestamp::from_unix_millis(self.0.load(Ordering::SeqCst))
    }
}
