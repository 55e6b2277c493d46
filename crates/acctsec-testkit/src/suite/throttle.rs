//! [`ThrottleStore`] contract cases.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use acctsec_core::store::{ThrottleCounter, ThrottleDecision};
use acctsec_core::{ThrottleKey, ThrottleStore};

use super::{RACERS, race, t};

const MINUTE: Duration = Duration::from_secs(60);

fn key(name: &str) -> ThrottleKey {
    ThrottleKey::new(name).expect("fixture key is valid")
}

/// A key never hit has no counter.
pub async fn get_unknown_is_none<S: ThrottleStore>(store: S) {
    assert_eq!(store.get(&key("never"), t(1000)).await.expect("get"), None);
}

/// Hits within one window count up from one; the window ends `window` after the first hit.
pub async fn hits_count_up_within_window<S: ThrottleStore>(store: S) {
    let k = key("login:a");
    for (n, at) in [(1, 1000), (2, 1010), (3, 1059)] {
        let c = store.hit(&k, MINUTE, t(at)).await.expect("hit");
        assert_eq!(c, ThrottleCounter::new(n, t(1060)));
    }
    let seen = store.get(&k, t(1059)).await.expect("get");
    assert_eq!(seen, Some(ThrottleCounter::new(3, t(1060))));
}

/// The window is judged by the `now` passed in: from `resets_at` on the counter is gone and the
/// next hit opens a new window.
pub async fn window_follows_now<S: ThrottleStore>(store: S) {
    let k = key("login:b");
    store.hit(&k, MINUTE, t(1000)).await.expect("hit");
    store.hit(&k, MINUTE, t(1001)).await.expect("hit");
    assert_eq!(store.get(&k, t(1060)).await.expect("get"), None);
    let fresh = store.hit(&k, MINUTE, t(1060)).await.expect("hit");
    assert_eq!(fresh, ThrottleCounter::new(1, t(1120)));
}

/// `check` allows `limit` hits per window, then says how long to wait.
pub async fn check_limits_with_retry_after<S: ThrottleStore>(store: S) {
    let k = key("reset:c");
    for remaining in [2, 1, 0] {
        let d = store.check(&k, 3, MINUTE, t(1000)).await.expect("check");
        assert_eq!(d, ThrottleDecision::Allowed { remaining });
    }
    let d = store.check(&k, 3, MINUTE, t(1015)).await.expect("check");
    assert_eq!(
        d,
        ThrottleDecision::Limited {
            retry_after: Duration::from_secs(45)
        }
    );
}

/// Concurrent hits on one key are all counted, each caller seeing a distinct count, and exactly
/// `limit` of them are allowed.
pub async fn concurrent_hits_are_counted_exactly<S: ThrottleStore + 'static>(store: S) {
    let store = Arc::new(store);
    let k = key("stuffing:d");
    let counts = race(&store, |s, _| {
        let k = k.clone();
        async move { s.hit(&k, MINUTE, t(1000)).await.expect("hit").count }
    })
    .await;
    let racers = u64::try_from(RACERS).expect("small");
    let distinct: BTreeSet<u64> = counts.into_iter().collect();
    assert_eq!(
        distinct,
        (1..=racers).collect(),
        "every hit must get its own count"
    );
    let total = store.get(&k, t(1000)).await.expect("get").map(|c| c.count);
    assert_eq!(total, Some(racers));

    let limited = key("stuffing:e");
    let decisions = race(&store, |s, _| {
        let limited = limited.clone();
        async move { s.check(&limited, 10, MINUTE, t(1000)).await.expect("check") }
    })
    .await;
    let allowed = decisions.iter().filter(|d| d.is_allowed()).count();
    assert_eq!(
        allowed, 10,
        "exactly the limit may pass among {RACERS} racing checks"
    );
}

/// Keys are independent, and `clear` forgets one key.
pub async fn clear_forgets_one_key<S: ThrottleStore>(store: S) {
    let (a, b) = (key("k:a"), key("k:b"));
    store.hit(&a, MINUTE, t(1000)).await.expect("hit");
    store.hit(&a, MINUTE, t(1000)).await.expect("hit");
    store.hit(&b, MINUTE, t(1000)).await.expect("hit");
    store.clear(&a).await.expect("clear");
    assert_eq!(store.get(&a, t(1001)).await.expect("get"), None);
    assert_eq!(
        store.get(&b, t(1001)).await.expect("get"),
        Some(ThrottleCounter::new(1, t(1060)))
    );
    assert_eq!(store.hit(&a, MINUTE, t(1002)).await.expect("hit").count, 1);
}
