//! [`ActivityLog`] contract cases.

use std::collections::BTreeSet;

use acctsec_core::store::{ActivityCursor, MAX_ACTIVITY_PAGE, RecordedEvent};
use acctsec_core::{
    ActivityLog, Actor, ClientInfo, CorrelationId, Detail, DeviceDigest, DeviceId,
    MAX_CORRELATION_ID_BYTES, MAX_DETAIL_BYTES, MAX_OPERATOR_ID_BYTES, MAX_USER_AGENT_BYTES,
    OperatorId, SecurityEvent, SecurityEventKind, Timestamp, UserId,
};

use super::{EARLIEST, LATEST, assert_unavailable, cases, longest_user, ms, t, user};

cases!(ActivityLog;
    empty_log_gives_empty_page,
    append_round_trips_event,
    pages_are_newest_first_without_gaps_or_repeats,
    page_limit_is_clamped,
    every_kind_actor_and_optional_field_round_trips,
    times_order_to_the_millisecond_across_the_whole_range,
    purge_before_removes_older_events_oldest_first,
    forget_user_removes_only_that_user,
    longest_values_round_trip,
);

fn event(u: u64, at: i64, kind: SecurityEventKind) -> SecurityEvent {
    SecurityEvent::new(user(u), kind, t(at), ClientInfo::new())
}

/// Every event of `user`, newest first, following `next` with pages of `limit`.
async fn all_events<S: ActivityLog>(store: &S, user: &UserId, limit: usize) -> Vec<RecordedEvent> {
    let mut seen = Vec::new();
    let mut cursor = None;
    for _ in 0..1000 {
        let page = store.page(user, cursor, limit).await.expect("page");
        assert!(page.events.len() <= limit, "a page holds at most `limit`");
        seen.extend(page.events);
        cursor = page.next;
        if cursor.is_none() {
            break;
        }
    }
    assert_eq!(cursor, None, "paging must end");
    seen
}

/// The times of `user`'s events, newest first.
async fn times<S: ActivityLog>(store: &S, user: &UserId) -> Vec<Timestamp> {
    let events = all_events(store, user, MAX_ACTIVITY_PAGE).await;
    events.into_iter().map(|r| r.event.at).collect()
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
        .with_detail(Detail::new("new_device,new_country"))
        .with_correlation(CorrelationId::new("req-1").expect("correlation id"));
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
    let seen = all_events(&store, &user(1), 5).await;
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

/// Every event kind round-trips, with every actor (the owner, support with its operator and
/// reason, the system), and with each optional field absent, present but empty, and present:
/// `None` and an empty text are kept apart.
pub async fn every_kind_actor_and_optional_field_round_trips<S: ActivityLog>(store: S) {
    let device = DeviceDigest::of(&user(1), &DeviceId::new("dev-7").expect("device id"));
    let mut expected = Vec::new();
    let variants = SecurityEventKind::ALL.len() * 2;
    for i in 0..variants {
        let kind = SecurityEventKind::ALL[i / 2];
        let at = t(1000 + i64::try_from(i).expect("small"));
        let client = match i % 5 {
            0 => ClientInfo::new(),
            1 => ClientInfo::new().with_user_agent(""),
            2 => ClientInfo::new().with_ip("192.0.2.7".parse().expect("ip")),
            3 => ClientInfo::new()
                .with_ip("2001:db8::1".parse().expect("ip"))
                .with_user_agent("curl/8.5.0")
                .with_device(device),
            _ => ClientInfo::new().with_device(device),
        };
        let actor = match i % 3 {
            0 => Actor::Owner,
            1 => Actor::Support {
                operator: OperatorId::new(format!("op-{i}")).expect("operator id"),
                reason: Detail::new(if i % 2 == 0 { "" } else { "ticket 4411" }),
            },
            _ => Actor::System,
        };
        let mut e = SecurityEvent::new(user(1), kind, at, client).with_actor(actor);
        e = match i % 4 {
            1 => e.with_detail(Detail::new("")),
            2 => e.with_detail(Detail::new("new_device,new_country")),
            _ => e,
        };
        if i % 2 == 1 {
            e = e.with_correlation(CorrelationId::new(format!("req-{i}")).expect("id"));
        }
        let id = store.append(&e).await.expect("append");
        expected.push(RecordedEvent::new(id, e));
    }
    expected.reverse();
    let got = all_events(&store, &user(1), MAX_ACTIVITY_PAGE).await;
    assert_eq!(got.len(), expected.len());
    for (got, want) in got.iter().zip(&expected) {
        assert_eq!(got, want, "{} round-trips", want.event.kind);
    }
}

/// Events are ordered by their exact time: milliseconds apart, before 1970 and at both ends of
/// `Timestamp`'s range; times come back exactly and paging crosses them all.
pub async fn times_order_to_the_millisecond_across_the_whole_range<S: ActivityLog>(store: S) {
    let scrambled = [
        ms(999),
        EARLIEST,
        ms(1),
        LATEST,
        ms(-1),
        ms(1000),
        ms(0),
        ms(-2_208_988_800_000),
        ms(i64::MAX - 1),
        ms(-999),
        ms(1_001),
    ];
    for at in scrambled {
        let e = SecurityEvent::new(
            user(1),
            SecurityEventKind::SignInFailed,
            at,
            ClientInfo::new(),
        );
        store.append(&e).await.expect("append");
    }
    let mut newest_first = scrambled.to_vec();
    newest_first.sort_unstable_by(|a, b| b.cmp(a));
    let pages_of_two: Vec<_> = all_events(&store, &user(1), 2)
        .await
        .into_iter()
        .map(|r| r.event.at)
        .collect();
    assert_eq!(pages_of_two, newest_first);
    assert_eq!(times(&store, &user(1)).await, newest_first);
    let page = store
        .page(
            &user(1),
            Some(ActivityCursor {
                at: ms(0),
                id: acctsec_core::EventId(0),
            }),
            3,
        )
        .await
        .expect("page");
    let after_epoch: Vec<_> = page.events.iter().map(|r| r.event.at).collect();
    assert_eq!(after_epoch, [ms(-1), ms(-999), ms(-2_208_988_800_000)]);
}

/// `purge_before` removes events older than `before` — of every user, oldest first, at most
/// `limit` (clamped to at least one) — and keeps the rest.
pub async fn purge_before_removes_older_events_oldest_first<S: ActivityLog>(store: S) {
    let appends = [
        (1, ms(-1)),
        (1, t(20)),
        (1, ms(29_999)),
        (1, t(30)),
        (1, t(40)),
        (2, t(15)),
        (2, t(25)),
        (2, t(50)),
    ];
    for (u, at) in appends {
        let e = SecurityEvent::new(
            user(u),
            SecurityEventKind::SignInFailed,
            at,
            ClientInfo::new(),
        );
        store.append(&e).await.expect("append");
    }
    assert_eq!(store.purge_before(EARLIEST, 10).await.expect("purge"), 0);
    assert_eq!(store.purge_before(t(30), 2).await.expect("purge"), 2);
    assert_eq!(
        times(&store, &user(1)).await,
        [t(40), t(30), ms(29_999), t(20)],
        "the oldest (before 1970) went first"
    );
    assert_eq!(times(&store, &user(2)).await, [t(50), t(25)]);
    assert_eq!(
        store.purge_before(t(30), 0).await.expect("purge"),
        1,
        "a limit of 0 is clamped to 1"
    );
    assert_eq!(times(&store, &user(1)).await, [t(40), t(30), ms(29_999)]);
    assert_eq!(times(&store, &user(2)).await, [t(50), t(25)]);
    assert_eq!(
        store.purge_before(t(30), usize::MAX).await.expect("purge"),
        2
    );
    assert_eq!(store.purge_before(t(30), 100).await.expect("purge"), 0);
    assert_eq!(
        times(&store, &user(1)).await,
        [t(40), t(30)],
        "an event at `before` is not older than it"
    );
    assert_eq!(times(&store, &user(2)).await, [t(50)]);
}

/// `forget_user` removes at most `limit` (clamped to at least one) of one user's events, and no
/// other user's — not even a user whose id starts with the same characters.
pub async fn forget_user_removes_only_that_user<S: ActivityLog>(store: S) {
    for i in 0..5 {
        store
            .append(&event(1, 1000 + i, SecurityEventKind::SignInSucceeded))
            .await
            .expect("append");
    }
    let mut kept = Vec::new();
    for (u, at) in [(11, 1000), (2, 1001), (11, 999)] {
        let e = event(u, at, SecurityEventKind::SignInFailed);
        kept.push((store.append(&e).await.expect("append"), e));
    }
    assert_eq!(store.forget_user(&user(1), 2).await.expect("forget"), 2);
    assert_eq!(times(&store, &user(1)).await.len(), 3);
    assert_eq!(
        store.forget_user(&user(1), 0).await.expect("forget"),
        1,
        "a limit of 0 is clamped to 1"
    );
    assert_eq!(
        store
            .forget_user(&user(1), usize::MAX)
            .await
            .expect("forget"),
        2
    );
    assert_eq!(store.forget_user(&user(1), 100).await.expect("forget"), 0);
    let page = store.page(&user(1), None, 10).await.expect("page");
    assert!(page.events.is_empty(), "{page:?}");
    let (one, two, three) = (kept[0].clone(), kept[1].clone(), kept[2].clone());
    assert_eq!(
        all_events(&store, &user(11), 10).await,
        [
            RecordedEvent::new(one.0, one.1),
            RecordedEvent::new(three.0, three.1)
        ]
    );
    assert_eq!(
        all_events(&store, &user(2), 10).await,
        [RecordedEvent::new(two.0, two.1)]
    );
    assert_eq!(store.forget_user(&user(3), 10).await.expect("forget"), 0);
}

/// The longest values round-trip: user ids (multi-byte, two that differ only in their last
/// byte, each seeing only its own events), operator and correlation ids, details and user agents.
pub async fn longest_values_round_trip<S: ActivityLog>(store: S) {
    let (a, b) = (longest_user('a'), longest_user('b'));
    let operator = OperatorId::new("ö".repeat(MAX_OPERATOR_ID_BYTES / 2)).expect("operator id");
    let correlation = format!("{}ab", "€".repeat(MAX_CORRELATION_ID_BYTES / 3));
    assert_eq!(correlation.len(), MAX_CORRELATION_ID_BYTES);
    let correlation = CorrelationId::new(correlation).expect("correlation id");
    let detail = Detail::new(&"ß".repeat(MAX_DETAIL_BYTES));
    assert_eq!(detail.as_str().len(), MAX_DETAIL_BYTES);
    let client = ClientInfo::new().with_user_agent(&"ü".repeat(MAX_USER_AGENT_BYTES));
    let ea = SecurityEvent::new(a.clone(), SecurityEventKind::SupportAction, t(1000), client)
        .with_actor(Actor::Support {
            operator,
            reason: detail.clone(),
        })
        .with_detail(detail)
        .with_correlation(correlation);
    let eb = SecurityEvent::new(
        b.clone(),
        SecurityEventKind::SignInFailed,
        t(1001),
        ClientInfo::new(),
    );
    let ia = store.append(&ea).await.expect("append");
    let ib = store.append(&eb).await.expect("append");
    assert_eq!(
        all_events(&store, &a, 10).await,
        [RecordedEvent::new(ia, ea)]
    );
    assert_eq!(
        all_events(&store, &b, 10).await,
        [RecordedEvent::new(ib, eb)]
    );
    assert_eq!(store.forget_user(&b, 10).await.expect("forget"), 1);
    assert_eq!(times(&store, &a).await, [t(1000)]);
}

/// A store whose server is unreachable fails with `Unavailable`, a transient error.
pub async fn unreachable_server_is_unavailable<S: ActivityLog>(store: S) {
    assert_unavailable(store.page(&user(1), None, 10).await);
}
