//! [`ThrottleStore`] contract cases.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use acctsec_core::store::{
    DistinctCounter, MAX_DISTINCT_MEMBERS, MemberDigest, ThrottleCounter, ThrottleDecision,
};
use acctsec_core::{ThrottleKey, ThrottleStore};

use super::{LATEST, RACERS, assert_unavailable, cases, ms, race, t};

cases!(ThrottleStore;
    get_unknown_is_none,
    hits_count_up_within_window,
    window_follows_now,
    record_and_decide_limits_with_retry_after,
    concurrent_hits_are_counted_exactly,
    clear_forgets_one_key,
    last_hit_is_the_latest_now,
    first_window_holds_whatever_later_hits_pass,
    distinct_counts_each_member_once,
    distinct_window_follows_now,
    concurrent_distinct_hits_are_all_counted,
    distinct_set_stops_growing_at_its_bound,
    clear_forgets_the_distinct_set_too,
    purge_expired_removes_only_ended_windows,
    purge_expired_honours_the_limit,
    times_keep_their_milliseconds,
    times_before_1970_and_at_the_end_of_time,
);

const MINUTE: Duration = Duration::from_secs(60);

fn key(name: &str) -> ThrottleKey {
    ThrottleKey::new(name).expect("fixture key is valid")
}

/// A member digest with a `0x00` and a byte above `0x7F`, so it must be kept as bytes.
fn member(n: u16) -> MemberDigest {
    let mut bytes = [0xA5; 32];
    bytes[..2].copy_from_slice(&n.to_be_bytes());
    bytes[2] = 0x00;
    MemberDigest::from_bytes(bytes)
}

/// A key never hit has no counter and no distinct set.
pub async fn get_unknown_is_none<S: ThrottleStore>(store: S) {
    assert_eq!(store.get(&key("never"), t(1000)).await.expect("get"), None);
    let distinct = store.distinct(&key("never"), t(1000)).await;
    assert_eq!(distinct.expect("distinct"), None);
}

/// Hits within one window count up from one; the window ends `window` after the first hit.
pub async fn hits_count_up_within_window<S: ThrottleStore>(store: S) {
    let k = key("login:a");
    for (n, at) in [(1, 1000), (2, 1010), (3, 1059)] {
        let c = store.hit(&k, MINUTE, t(at)).await.expect("hit");
        assert_eq!(c, ThrottleCounter::new(n, t(1060), t(at)));
    }
    let seen = store.get(&k, t(1059)).await.expect("get");
    assert_eq!(seen, Some(ThrottleCounter::new(3, t(1060), t(1059))));
}

/// The window is judged by the `now` passed in: from `resets_at` on the counter is gone and the
/// next hit opens a new window.
pub async fn window_follows_now<S: ThrottleStore>(store: S) {
    let k = key("login:b");
    store.hit(&k, MINUTE, t(1000)).await.expect("hit");
    store.hit(&k, MINUTE, t(1001)).await.expect("hit");
    assert_eq!(store.get(&k, t(1060)).await.expect("get"), None);
    let fresh = store.hit(&k, MINUTE, t(1060)).await.expect("hit");
    assert_eq!(fresh, ThrottleCounter::new(1, t(1120), t(1060)));
}

/// `record_and_decide` allows `limit` hits per window, then says how long to wait; every hit
/// counts, refused ones too.
pub async fn record_and_decide_limits_with_retry_after<S: ThrottleStore>(store: S) {
    let k = key("reset:c");
    for remaining in [2, 1, 0] {
        let d = store.record_and_decide(&k, 3, MINUTE, t(1000)).await;
        assert_eq!(d.expect("decide"), ThrottleDecision::Allowed { remaining });
    }
    let d = store.record_and_decide(&k, 3, MINUTE, t(1015)).await;
    assert_eq!(
        d.expect("decide"),
        ThrottleDecision::Limited {
            retry_after: Duration::from_secs(45)
        }
    );
    let d = store.record_and_decide(&k, 3, MINUTE, t(1020)).await;
    assert!(!d.expect("decide").is_allowed());
    assert_eq!(
        store.get(&k, t(1020)).await.expect("get").map(|c| c.count),
        Some(5),
        "refused hits count too"
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
        async move {
            s.record_and_decide(&limited, 10, MINUTE, t(1000))
                .await
                .expect("decide")
        }
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
        Some(ThrottleCounter::new(1, t(1000 + 60), t(1000)))
    );
    assert_eq!(store.hit(&a, MINUTE, t(1002)).await.expect("hit").count, 1);
    store
        .clear(&key("k:never"))
        .await
        .expect("clearing an unknown key");
}

/// `last_hit` is the latest `now` a hit in the window passed, whatever order hits arrive in: an
/// earlier hit arriving late (even one from before the window opened, from a skewed clock) is
/// counted but lowers neither `last_hit` nor moves `resets_at`.
pub async fn last_hit_is_the_latest_now<S: ThrottleStore>(store: S) {
    let k = key("backoff:a");
    let first = store.hit(&k, MINUTE, ms(1_000_250)).await.expect("hit");
    assert_eq!(first, ThrottleCounter::new(1, ms(1_060_250), ms(1_000_250)));
    let later = store.hit(&k, MINUTE, ms(1_020_750)).await.expect("hit");
    assert_eq!(later, ThrottleCounter::new(2, ms(1_060_250), ms(1_020_750)));
    let out_of_order = store.hit(&k, MINUTE, ms(1_010_001)).await.expect("hit");
    assert_eq!(
        out_of_order,
        ThrottleCounter::new(3, ms(1_060_250), ms(1_020_750)),
        "an earlier hit arriving late must not lower last_hit"
    );
    let skewed = store.hit(&k, MINUTE, ms(990_000)).await.expect("hit");
    assert_eq!(
        skewed,
        ThrottleCounter::new(4, ms(1_060_250), ms(1_020_750)),
        "a hit from before the window opened counts in it"
    );
    assert_eq!(
        store.get(&k, ms(1_030_000)).await.expect("get"),
        Some(ThrottleCounter::new(4, ms(1_060_250), ms(1_020_750)))
    );
}

/// The `window` of a key's first hit holds for the whole window: later hits with a longer or a
/// shorter window move `resets_at` neither way, for counters and distinct sets alike.
pub async fn first_window_holds_whatever_later_hits_pass<S: ThrottleStore>(store: S) {
    let k = key("mixed:a");
    let hour = Duration::from_secs(3600);
    let second = Duration::from_secs(1);
    store.hit(&k, MINUTE, t(1000)).await.expect("hit");
    let longer = store.hit(&k, hour, t(1010)).await.expect("hit");
    assert_eq!(longer, ThrottleCounter::new(2, t(1060), t(1010)));
    let shorter = store.hit(&k, second, t(1020)).await.expect("hit");
    assert_eq!(shorter, ThrottleCounter::new(3, t(1060), t(1020)));
    // Past where the one-second window would have ended, but inside the first window.
    let still = store.hit(&k, second, t(1030)).await.expect("hit");
    assert_eq!(still, ThrottleCounter::new(4, t(1060), t(1030)));
    assert_eq!(
        store.get(&k, t(1059)).await.expect("get").map(|c| c.count),
        Some(4)
    );
    assert_eq!(store.get(&k, t(1060)).await.expect("get"), None);
    // The next window takes the window of its own first hit.
    let next = store.hit(&k, hour, t(1060)).await.expect("hit");
    assert_eq!(next, ThrottleCounter::new(1, t(4660), t(1060)));

    let d = key("mixed:b");
    let first = store.hit_distinct(&d, &member(1), MINUTE, t(1000)).await;
    assert_eq!(first.expect("hit"), DistinctCounter::new(1, true, t(1060)));
    let longer = store.hit_distinct(&d, &member(2), hour, t(1010)).await;
    assert_eq!(longer.expect("hit"), DistinctCounter::new(2, true, t(1060)));
    let shorter = store.hit_distinct(&d, &member(3), second, t(1030)).await;
    assert_eq!(
        shorter.expect("hit"),
        DistinctCounter::new(3, true, t(1060))
    );
    let read = store.distinct(&d, t(1059)).await.expect("distinct");
    assert_eq!(read, Some(DistinctCounter::new(3, false, t(1060))));
}

/// A distinct set counts each member once; `new_member` says whether the hit brought one not
/// seen before; `distinct` reads the count without recording. Distinct sets and counters of one
/// key are separate.
pub async fn distinct_counts_each_member_once<S: ThrottleStore>(store: S) {
    let k = key("spray:a");
    let expect = [
        (1, 1, true),
        (1, 1, false),
        (2, 2, true),
        (1, 2, false),
        (3, 3, true),
    ];
    for (i, (m, distinct, new_member)) in expect.into_iter().enumerate() {
        let at = t(1000 + i64::try_from(i).expect("small"));
        let c = store.hit_distinct(&k, &member(m), MINUTE, at).await;
        assert_eq!(
            c.expect("hit"),
            DistinctCounter::new(distinct, new_member, t(1060)),
            "hit {i} (member {m})"
        );
    }
    for _ in 0..3 {
        let read = store.distinct(&k, t(1030)).await.expect("distinct");
        assert_eq!(read, Some(DistinctCounter::new(3, false, t(1060))));
    }
    let c = store.hit_distinct(&k, &member(4), MINUTE, t(1031)).await;
    assert_eq!(
        c.expect("hit"),
        DistinctCounter::new(4, true, t(1060)),
        "reading recorded nothing"
    );
    assert_eq!(
        store.get(&k, t(1031)).await.expect("get"),
        None,
        "distinct hits are not counter hits"
    );
    let counted = store.hit(&k, MINUTE, t(1032)).await.expect("hit");
    assert_eq!(counted, ThrottleCounter::new(1, t(1092), t(1032)));
    let read = store.distinct(&k, t(1032)).await.expect("distinct");
    assert_eq!(read, Some(DistinctCounter::new(4, false, t(1060))));
    let other = store.distinct(&key("spray:b"), t(1032)).await;
    assert_eq!(other.expect("distinct"), None, "keys are independent");
}

/// A distinct set's window is judged by the `now` passed in: from `resets_at` on it is gone, and
/// the next hit starts an empty set in which every member is new again.
pub async fn distinct_window_follows_now<S: ThrottleStore>(store: S) {
    let k = key("spray:c");
    for m in 1..=3 {
        store
            .hit_distinct(&k, &member(m), MINUTE, t(1000))
            .await
            .expect("hit");
    }
    let last = ms(t(1060).as_unix_millis() - 1);
    let live = store.distinct(&k, last).await.expect("distinct");
    assert_eq!(live.map(|c| c.distinct), Some(3));
    assert_eq!(store.distinct(&k, t(1060)).await.expect("distinct"), None);
    let fresh = store.hit_distinct(&k, &member(1), MINUTE, t(1060)).await;
    assert_eq!(fresh.expect("hit"), DistinctCounter::new(1, true, t(1120)));
}

/// Concurrent hits of different members are all counted; of concurrent hits of one member,
/// exactly one brings it and it is counted once.
pub async fn concurrent_distinct_hits_are_all_counted<S: ThrottleStore + 'static>(store: S) {
    let store = Arc::new(store);
    let racers = u64::try_from(RACERS).expect("small");
    let k = key("spray:d");
    let counters = race(&store, |s, i| {
        let k = k.clone();
        let m = member(u16::try_from(i).expect("small"));
        async move { s.hit_distinct(&k, &m, MINUTE, t(1000)).await.expect("hit") }
    })
    .await;
    assert!(
        counters.iter().all(|c| c.new_member),
        "every racer brought a new member"
    );
    let max = counters.iter().map(|c| c.distinct).max();
    assert_eq!(max, Some(racers), "the last hit saw every member");
    let read = store.distinct(&k, t(1000)).await.expect("distinct");
    assert_eq!(read.map(|c| c.distinct), Some(racers));

    let same = key("spray:e");
    let counters = race(&store, |s, _| {
        let same = same.clone();
        async move {
            s.hit_distinct(&same, &member(7), MINUTE, t(1000))
                .await
                .expect("hit")
        }
    })
    .await;
    let bringers = counters.iter().filter(|c| c.new_member).count();
    assert_eq!(bringers, 1, "exactly one racing hit brings the member");
    assert!(counters.iter().all(|c| c.distinct == 1), "{counters:?}");
}

/// A distinct set stops growing at `MAX_DISTINCT_MEMBERS`: the count stays there, and a member
/// already in the set is still counted once.
pub async fn distinct_set_stops_growing_at_its_bound<S: ThrottleStore>(store: S) {
    let k = key("spray:f");
    let bound = u64::try_from(MAX_DISTINCT_MEMBERS).expect("small");
    let members = u16::try_from(MAX_DISTINCT_MEMBERS).expect("small");
    for m in 0..members {
        let c = store.hit_distinct(&k, &member(m), MINUTE, t(1000)).await;
        let c = c.expect("hit");
        assert_eq!(c.distinct, u64::from(m) + 1);
        assert!(c.new_member);
    }
    for m in members..members + 5 {
        let c = store.hit_distinct(&k, &member(m), MINUTE, t(1001)).await;
        assert_eq!(
            c.expect("hit").distinct,
            bound,
            "the count stays at the bound"
        );
    }
    let again = store.hit_distinct(&k, &member(0), MINUTE, t(1002)).await;
    assert_eq!(
        again.expect("hit"),
        DistinctCounter::new(bound, false, t(1060))
    );
    let read = store.distinct(&k, t(1002)).await.expect("distinct");
    assert_eq!(read, Some(DistinctCounter::new(bound, false, t(1060))));
}

/// `clear` forgets a key's distinct set as well as its counter, and no other key's.
pub async fn clear_forgets_the_distinct_set_too<S: ThrottleStore>(store: S) {
    let (a, b) = (key("both:a"), key("both:b"));
    for k in [&a, &b] {
        store.hit(k, MINUTE, t(1000)).await.expect("hit");
        for m in [1, 2] {
            store
                .hit_distinct(k, &member(m), MINUTE, t(1000))
                .await
                .expect("hit");
        }
    }
    store.clear(&a).await.expect("clear");
    assert_eq!(store.get(&a, t(1001)).await.expect("get"), None);
    assert_eq!(store.distinct(&a, t(1001)).await.expect("distinct"), None);
    let fresh = store.hit_distinct(&a, &member(1), MINUTE, t(1002)).await;
    assert_eq!(fresh.expect("hit"), DistinctCounter::new(1, true, t(1062)));
    let kept = store.distinct(&b, t(1001)).await.expect("distinct");
    assert_eq!(kept, Some(DistinctCounter::new(2, false, t(1060))));
    let kept = store.get(&b, t(1001)).await.expect("get");
    assert_eq!(kept, Some(ThrottleCounter::new(1, t(1060), t(1000))));
}

/// A purge removes counters and distinct sets whose window ended at or before `now`, and keeps
/// live ones — a key's live distinct set too when only its counter ended, and the reverse. (A back
/// end that expires them itself may purge nothing and return 0.)
pub async fn purge_expired_removes_only_ended_windows<S: ThrottleStore>(store: S) {
    let long = Duration::from_secs(1000);
    // Ended by t(1100): counters of a and b (b exactly at it), and c's distinct set.
    store.hit(&key("p:a"), MINUTE, t(1000)).await.expect("hit");
    store.hit(&key("p:b"), MINUTE, t(1040)).await.expect("hit");
    store
        .hit_distinct(&key("p:c"), &member(1), MINUTE, t(1000))
        .await
        .expect("hit");
    // Live at t(1100): d's counter and e's distinct set.
    store.hit(&key("p:d"), long, t(1000)).await.expect("hit");
    store
        .hit_distinct(&key("p:e"), &member(1), long, t(1000))
        .await
        .expect("hit");
    // f: an ended counter with a live distinct set; g: the reverse.
    store.hit(&key("p:f"), MINUTE, t(1000)).await.expect("hit");
    store
        .hit_distinct(&key("p:f"), &member(1), long, t(1000))
        .await
        .expect("hit");
    store.hit(&key("p:g"), long, t(1000)).await.expect("hit");
    store
        .hit_distinct(&key("p:g"), &member(1), MINUTE, t(1000))
        .await
        .expect("hit");

    let purged = store.purge_expired(t(1100), 100).await.expect("purge");
    assert!(
        purged == 5 || purged == 0,
        "five windows ended at or before now, purged {purged}"
    );
    let live_counter = ThrottleCounter::new(1, t(2000), t(1000));
    let live_set = DistinctCounter::new(1, false, t(2000));
    for k in ["p:d", "p:g"] {
        let got = store.get(&key(k), t(1100)).await.expect("get");
        assert_eq!(got, Some(live_counter), "{k}'s live counter");
    }
    for k in ["p:e", "p:f"] {
        let got = store.distinct(&key(k), t(1100)).await.expect("distinct");
        assert_eq!(got, Some(live_set), "{k}'s live distinct set");
    }
    let more = store.purge_expired(t(1100), 100).await.expect("purge");
    assert_eq!(more, 0, "nothing else ended");
}

/// A purge removes at most `limit` ended counters and sets (clamped to at least one), so a
/// retention job calls it until it returns 0. (A back end that expires them itself may purge
/// nothing and return 0 every time.)
pub async fn purge_expired_honours_the_limit<S: ThrottleStore>(store: S) {
    for name in ["l:a", "l:b", "l:c"] {
        store.hit(&key(name), MINUTE, t(1000)).await.expect("hit");
    }
    for name in ["l:d", "l:e"] {
        store
            .hit_distinct(&key(name), &member(1), MINUTE, t(1000))
            .await
            .expect("hit");
    }
    let live = key("l:live");
    store
        .hit(&live, Duration::from_secs(5000), t(1000))
        .await
        .expect("hit");
    let first = store.purge_expired(t(2000), 2).await.expect("purge");
    if first == 0 {
        assert_eq!(store.purge_expired(t(2000), 100).await.expect("purge"), 0);
    } else {
        assert_eq!(first, 2, "a purge removes at most `limit`");
        let clamped = store.purge_expired(t(2000), 0).await.expect("purge");
        assert_eq!(clamped, 1, "a limit of 0 is clamped to 1");
        let rest = store
            .purge_expired(t(2000), usize::MAX)
            .await
            .expect("purge");
        assert_eq!(rest, 2, "the rest, and only the ended ones");
        assert_eq!(store.purge_expired(t(2000), 100).await.expect("purge"), 0);
    }
    let kept = store.get(&live, t(2000)).await.expect("get");
    assert_eq!(kept, Some(ThrottleCounter::new(1, t(6000), t(1000))));
}

/// Windows keep their milliseconds: a window of 1.5 s opened at `x` ms ends at `x + 1500` ms
/// exactly, for counters and distinct sets.
pub async fn times_keep_their_milliseconds<S: ThrottleStore>(store: S) {
    let k = key("ms:a");
    let window = Duration::from_millis(1500);
    let c = store.hit(&k, window, ms(1_000_250)).await.expect("hit");
    assert_eq!(c, ThrottleCounter::new(1, ms(1_001_750), ms(1_000_250)));
    let c = store.hit(&k, window, ms(1_000_999)).await.expect("hit");
    assert_eq!(c, ThrottleCounter::new(2, ms(1_001_750), ms(1_000_999)));
    let last = store.get(&k, ms(1_001_749)).await.expect("get");
    assert_eq!(
        last,
        Some(ThrottleCounter::new(2, ms(1_001_750), ms(1_000_999)))
    );
    assert_eq!(store.get(&k, ms(1_001_750)).await.expect("get"), None);
    let next = store.hit(&k, window, ms(1_001_750)).await.expect("hit");
    assert_eq!(next, ThrottleCounter::new(1, ms(1_003_250), ms(1_001_750)));

    let d = key("ms:b");
    let c = store
        .hit_distinct(&d, &member(1), window, ms(1_000_250))
        .await;
    assert_eq!(
        c.expect("hit"),
        DistinctCounter::new(1, true, ms(1_001_750))
    );
    let live = store.distinct(&d, ms(1_001_749)).await.expect("distinct");
    assert_eq!(live, Some(DistinctCounter::new(1, false, ms(1_001_750))));
    assert_eq!(
        store.distinct(&d, ms(1_001_750)).await.expect("distinct"),
        None
    );
}

/// Windows before 1970 work like any other, and a window that saturates at the end of
/// `Timestamp`'s range (a lockout of `Duration::MAX`, or a window opened near the end) holds
/// until that last instant.
pub async fn times_before_1970_and_at_the_end_of_time<S: ThrottleStore>(store: S) {
    let k = key("old:a");
    let c = store.hit(&k, MINUTE, ms(-5_000_001)).await.expect("hit");
    assert_eq!(c, ThrottleCounter::new(1, ms(-4_940_001), ms(-5_000_001)));
    let c = store.hit(&k, MINUTE, ms(-4_940_002)).await.expect("hit");
    assert_eq!(c, ThrottleCounter::new(2, ms(-4_940_001), ms(-4_940_002)));
    assert_eq!(store.get(&k, ms(-4_940_001)).await.expect("get"), None);
    let c = store.hit(&k, MINUTE, ms(-4_940_001)).await.expect("hit");
    assert_eq!(c, ThrottleCounter::new(1, ms(-4_880_001), ms(-4_940_001)));
    let d = store.hit_distinct(&k, &member(1), MINUTE, ms(-1)).await;
    assert_eq!(d.expect("hit"), DistinctCounter::new(1, true, ms(59_999)));

    let forever = key("lock:a");
    let c = store
        .hit(&forever, Duration::MAX, t(1000))
        .await
        .expect("hit");
    assert_eq!(c, ThrottleCounter::new(1, LATEST, t(1000)));
    let c = store
        .hit(&forever, MINUTE, ms(i64::MAX - 1))
        .await
        .expect("hit");
    assert_eq!(
        c,
        ThrottleCounter::new(2, LATEST, ms(i64::MAX - 1)),
        "still the first window one millisecond before its end"
    );
    assert_eq!(store.get(&forever, LATEST).await.expect("get"), None);
    let d = store
        .hit_distinct(&forever, &member(1), Duration::MAX, t(1000))
        .await;
    assert_eq!(d.expect("hit"), DistinctCounter::new(1, true, LATEST));
    let read = store
        .distinct(&forever, ms(i64::MAX - 1))
        .await
        .expect("distinct");
    assert_eq!(read, Some(DistinctCounter::new(1, false, LATEST)));

    let late = key("late:a");
    let c = store
        .hit(&late, MINUTE, ms(i64::MAX - 10))
        .await
        .expect("hit");
    assert_eq!(c, ThrottleCounter::new(1, LATEST, ms(i64::MAX - 10)));
    // Only old:a's counter and distinct set have ended one millisecond before the end of time.
    let purged = store.purge_expired(ms(i64::MAX - 1), 100).await;
    let purged = purged.expect("purge");
    assert!(
        purged == 2 || purged == 0,
        "two windows ended, purged {purged}"
    );
    let kept = store.get(&late, ms(i64::MAX - 1)).await.expect("get");
    assert_eq!(
        kept,
        Some(ThrottleCounter::new(1, LATEST, ms(i64::MAX - 10)))
    );
    let kept = store.get(&forever, ms(i64::MAX - 1)).await.expect("get");
    assert_eq!(kept.map(|c| c.count), Some(2));
}

/// A store whose server is unreachable fails with `Unavailable`, a transient error.
pub async fn unreachable_server_is_unavailable<S: ThrottleStore>(store: S) {
    assert_unavailable(store.get(&key("login:a"), t(1000)).await);
}
