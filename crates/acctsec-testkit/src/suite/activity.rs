//! [`ActivityLog`] contract cases.

use std::collections::BTreeSet;

use acctsec_core::store::{MAX_ACTIVITY_PAGE, RecordedEvent};
use acctsec_core::{
    ActivityLog, ClientInfo, Detail, DeviceDigest, DeviceId, SecurityEvent, SecurityEventKind,
};

use super::{t, user};

fn event(u: u64, at: i64, kind: SecurityEventKind) -> SecurityEvent {
    SecurityEvent::new(user(u), kind, t(at), ClientInfo::new())
}

/// A user with no events gets an empty page and no cursor.
pub async fn empty_log_gives_empty_page<S: ActivityLog>(store: S) {
    let page = store.page(&user(1), None, 10).await.expect("page");
    assert!(page.events.is_empty());
    assert_eq!(page.next, None);
}

/// An appended event comes back exactly as given, with the id `append` returned.
pub async fn append_round_trips_event<S: ActivityLog>(store: S) {
    let client = ClientInfo::new()
        .with_ip("2001:db8::7".parse().expect("ip"))
        .with_user_agent("Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0")
        .with_device(DeviceDigest::of(
            &user(1),
            &DeviceId::new("dev-1").expect("device id"),
        ));
    let e = SecurityEvent::new(user(1), SecurityEventKind::SignInSucceeded, t(1000), client)
        .with_detail(Detail::new("new_device,new_country"));
    let id = store.append(&e).await.expect("append");
    let page = store.page(&user(1), None, 10).await.expect("page");
    assert_eq!(page.events, vec![RecordedEvent::new(id, e)]);
}

/// Following `next` visits every event of the user exactly once, newest first by `(at, id)`,
/// including events appended out of time order and events sharing a timestamp.
pub async fn pages_are_newest_first_without_gaps_or_repeats<S: ActivityLog>(store: S) {
    let mut mine = BTreeSet::new();
    // 23 events over 8 distinct seconds, appended in a scrambled order, interleaved with another
    // user's events.
    for i in 0..23_i64 {
        let at = 1000 + (i * 7) % 8;
        mine.insert(
            store
                .append(&event(1, at, SecurityEventKind::SignInFailed))
                .await
                .expect("append"),
        );
        store
            .append(&event(2, at, SecurityEventKind::SignInFailed))
            .await
            .expect("append");
    }
    let mut seen = Vec::new();
    let mut cursor = None;
    for _ in 0..10 {
        let page = store.page(&user(1), cursor, 5).await.expect("page");
        assert!(page.events.len() <= 5);
        seen.extend(page.events);
        cursor = page.next;
        if cursor.is_none() {
            break;
        }
    }
    assert_eq!(cursor, None, "paging must end");
    let ids: Vec<_> = seen.iter().map(|r| r.id).collect();
    assert_eq!(
        ids.iter().copied().collect::<BTreeSet<_>>(),
        mine,
        "no gaps"
    );
    assert_eq!(ids.len(), mine.len(), "no repeats");
    assert!(
        seen.iter().all(|r| r.event.user == user(1)),
        "only this user's events"
    );
    let keys: Vec<_> = seen.iter().map(RecordedEvent::cursor).collect();
    assert!(
        keys.windows(2).all(|w| w[0] > w[1]),
        "newest first by (at, id)"
    );
}

/// The page size is clamped to `1..=MAX_ACTIVITY_PAGE`.
pub async fn page_limit_is_clamped<S: ActivityLog>(store: S) {
    for i in 0..MAX_ACTIVITY_PAGE + 5 {
        let at = 1000 + i64::try_from(i).expect("small");
        store
            .append(&event(1, at, SecurityEventKind::SignInSucceeded))
            .await
            .expect("append");
    }
    let huge = store.page(&user(1), None, usize::MAX).await.expect("page");
    assert_eq!(huge.events.len(), MAX_ACTIVITY_PAGE);
    assert!(huge.next.is_some());
    let zero = store.page(&user(1), None, 0).await.expect("page");
    assert_eq!(zero.events.len(), 1);
}
