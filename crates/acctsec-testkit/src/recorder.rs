use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

/// A store that notes the name of every operation called on it, then forwards it to the store
/// it wraps — to show that two paths of a flow do the same kind and number of store operations
/// (the reset request does, whether the address has an account or not). Clones share one list.
///
/// ```
/// use acctsec_core::{ThrottleKey, ThrottleStore, Timestamp};
/// use acctsec_testkit::{MemoryStore, Recorder};
/// use std::time::Duration;
///
/// # acctsec_testkit::block_on(async {
/// let store = Recorder::new(MemoryStore::new());
/// let key = ThrottleKey::new("k")?;
/// store.hit(&key, Duration::from_secs(60), Timestamp::from_unix_secs(0)).await?;
/// store.get(&key, Timestamp::from_unix_secs(1)).await?;
/// assert_eq!(store.take_ops(), ["throttle.hit", "throttle.get"]);
/// assert!(store.take_ops().is_empty());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct Recorder<S> {
    inner: S,
    ops: Arc<Mutex<Vec<&'static str>>>,
}

impl<S> Recorder<S> {
    /// Wraps `inner`, with an empty list.
    pub fn new(inner: S) -> Self {
        Self {
            inner,
            ops: Arc::default(),
        }
    }

    /// The wrapped store.
    pub fn inner(&self) -> &S {
        &self.inner
    }

    fn ops(&self) -> MutexGuard<'_, Vec<&'static str>> {
        self.ops.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The operations noted since the last call, in order, as `trait.method` names; the list
    /// starts again empty.
    pub fn take_ops(&self) -> Vec<&'static str> {
        std::mem::take(&mut *self.ops())
    }

    fn note(&self, op: &'static str) {
        self.ops().push(op);
    }
}

/// Implements a store trait for `Recorder<S>`: each method notes `prefix.method`, then forwards.
/// Called for every store trait, from core's one list of their methods.
macro_rules! recorded {
    ($trait:path, $prefix:literal { $(fn $name:ident(&self $(, $arg:ident: $ty:ty)* $(,)?) -> $out:ty;)* }) => {
        impl<S: $trait> $trait for Recorder<S> {
            $(
                fn $name(&self $(, $arg: $ty)*) -> impl ::std::future::Future<Output = $out> + Send {
                    self.note(concat!($prefix, ".", stringify!($name)));
                    self.inner.$name($($arg),*)
                }
            )*
        }
    };
}

acctsec_core::__for_each_store_trait!(recorded);
