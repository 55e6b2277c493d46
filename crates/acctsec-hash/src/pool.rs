//! [`HashPool`]: hashing on blocking threads with bounded permits and a bounded queue.

use std::sync::Arc;
use std::time::Duration;

use acctsec_core::rng::TryCryptoRng;
use acctsec_core::{Password, StoredPasswordHash};
use tokio::sync::{Semaphore, TryAcquireError};

use crate::{Error, Hasher, Result, Verified};

/// How many waiting callers the queue holds per permit by default: 16 (a second or so of backlog
/// at OWASP's parameters).
pub const DEFAULT_QUEUE_PER_PERMIT: usize = 16;

/// The default longest wait for a permit: 2 seconds. A sign-in that waits longer than this is
/// better answered "try again" than left hanging.
pub const DEFAULT_QUEUE_TIMEOUT: Duration = Duration::from_secs(2);

/// Runs a [`Hasher`] on tokio's blocking threads, at most `permits` hashes at once, with at most
/// `queue` callers waiting and each waiting at most `timeout`; anyone beyond gets
/// [`Error::Busy`] at once. Argon2 memory is therefore bounded however many requests arrive — a
/// login storm can't make the server allocate 19 MiB per request: at most `max(permits, max idle
/// buffers)` buffers of the current `m` (every hash that fits in one reuses it), plus, while
/// they are being verified, stored hashes with a larger `m` (at most the memory ceiling each).
///
/// Clones share one pool.
///
/// # Panics
///
/// The pool's methods use tokio's timer: they panic on a runtime built without time enabled.
///
/// ```
/// use acctsec_core::{Password, rng::SystemRng};
/// use acctsec_hash::{HashPool, Hasher, Verified};
///
/// # let runtime = tokio::runtime::Runtime::new()?;
/// # runtime.block_on(async {
/// let pool = HashPool::builder(Hasher::new()?).with_permits(2).with_queue(64).build()?;
/// let stored = pool.hash(Password::new("correct horse battery staple"), SystemRng).await?;
/// assert_eq!(pool.verify(Password::new("correct horse battery staple"), stored).await?, Verified::Valid);
/// # Ok::<(), acctsec_hash::Error>(())
/// # })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct HashPool {
    hasher: Arc<Hasher>,
    permits: Arc<Semaphore>,
    queue: Arc<Semaphore>,
    timeout: Duration,
}

/// Builds a [`HashPool`].
#[derive(Debug)]
#[must_use]
pub struct HashPoolBuilder {
    hasher: Hasher,
    permits: usize,
    queue: usize,
    timeout: Duration,
}

impl HashPoolBuilder {
    /// How many hashes may run at once (default: the number of CPUs).
    pub fn with_permits(mut self, permits: usize) -> Self {
        self.permits = permits;
        self
    }

    /// How many callers may wait for a permit (default [`DEFAULT_QUEUE_PER_PERMIT`] per permit).
    pub fn with_queue(mut self, queue: usize) -> Self {
        self.queue = queue;
        self
    }

    /// The longest a caller waits for a permit (default [`DEFAULT_QUEUE_TIMEOUT`]).
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Checks the settings.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidPool`] if permits are zero or over tokio's semaphore limit.
    pub fn build(self) -> Result<HashPool> {
        if self.permits == 0
            || self.permits > Semaphore::MAX_PERMITS
            || self.queue > Semaphore::MAX_PERMITS
        {
            return Err(Error::InvalidPool);
        }
        Ok(HashPool {
            hasher: Arc::new(self.hasher),
            permits: Arc::new(Semaphore::new(self.permits)),
            queue: Arc::new(Semaphore::new(self.queue)),
            timeout: self.timeout,
        })
    }
}

impl HashPool {
    /// Starts building a pool around `hasher`.
    pub fn builder(hasher: Hasher) -> HashPoolBuilder {
        let cpus = std::thread::available_parallelism().map_or(1, usize::from);
        HashPoolBuilder {
            hasher,
            permits: cpus,
            queue: cpus * DEFAULT_QUEUE_PER_PERMIT,
            timeout: DEFAULT_QUEUE_TIMEOUT,
        }
    }

    /// The hasher, for its statistics.
    #[must_use]
    pub fn hasher(&self) -> &Hasher {
        &self.hasher
    }

    /// Runs `job` on a blocking thread under a permit, after waiting in the bounded queue.
    async fn run<T, F>(&self, job: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Hasher) -> Result<T> + Send + 'static,
    {
        // A free permit is taken at once; only callers that must wait use a queue slot.
        let permit = match Arc::clone(&self.permits).try_acquire_owned() {
            Ok(permit) => permit,
            Err(TryAcquireError::Closed) => return Err(Error::Busy),
            Err(TryAcquireError::NoPermits) => {
                let _waiting = Arc::clone(&self.queue)
                    .try_acquire_owned()
                    .map_err(|_| Error::Busy)?;
                tokio::time::timeout(self.timeout, Arc::clone(&self.permits).acquire_owned())
                    .await
                    .map_err(|_| Error::Busy)?
                    .map_err(|_| Error::Busy)?
            }
        };
        let hasher = Arc::clone(&self.hasher);
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            job(&hasher)
        })
        .await
        .map_err(|_| Error::WorkerFailed)?
    }

    /// [`Hasher::hash`] on the pool.
    ///
    /// # Errors
    ///
    /// [`Error::Busy`] if the queue is full or the wait timed out; otherwise as [`Hasher::hash`].
    pub async fn hash<R>(&self, password: Password, mut rng: R) -> Result<StoredPasswordHash>
    where
        R: TryCryptoRng + Send + 'static,
    {
        self.run(move |h| h.hash(&password, &mut rng)).await
    }

    /// [`Hasher::verify`] on the pool.
    ///
    /// # Errors
    ///
    /// [`Error::Busy`] if the queue is full or the wait timed out; otherwise as [`Hasher::verify`].
    pub async fn verify(&self, password: Password, stored: StoredPasswordHash) -> Result<Verified> {
        self.run(move |h| h.verify(&password, &stored)).await
    }

    /// [`Hasher::verify_unknown`] on the pool.
    ///
    /// # Errors
    ///
    /// [`Error::Busy`] if the queue is full or the wait timed out; otherwise as
    /// [`Hasher::verify_unknown`].
    pub async fn verify_unknown(&self, password: Password) -> Result<Verified> {
        self.run(move |h| h.verify_unknown(&password)).await
    }
}
