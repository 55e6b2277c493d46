//! The one list of every store trait's methods, from which the forwarding impls here and the
//! testkit's `Recorder` are both written.

/// Calls `$callback!` once per store trait with the trait's path, a short name for it and the
/// signature of every method, so code that must implement every method of every store (forwarding
/// through pointers, recording calls) is written once and cannot miss one.
#[doc(hidden)]
#[macro_export]
macro_rules! __for_each_store_trait {
    ($callback:ident) => {
        $callback!($crate::AccountStore, "account" {
            fn find_by_email(&self, email: &$crate::Email) -> ::std::result::Result<::std::option::Option<$crate::Account>, $crate::StoreError>;
            fn find_by_id(&self, id: &$crate::UserId) -> ::std::result::Result<::std::option::Option<$crate::Account>, $crate::StoreError>;
            fn replace_password_hash(&self, id: &$crate::UserId, expected_version: u64, hash: &$crate::StoredPasswordHash, end_sessions: bool) -> ::std::result::Result<::std::option::Option<$crate::PasswordReplaced>, $crate::StoreError>;
            fn upgrade_password_hash(&self, id: &$crate::UserId, expected_version: u64, hash: &$crate::StoredPasswordHash) -> ::std::result::Result<::std::option::Option<u64>, $crate::StoreError>;
            fn replace_email(&self, id: &$crate::UserId, expected_version: u64, email: &$crate::Email) -> ::std::result::Result<::std::option::Option<u64>, $crate::StoreError>;
            fn end_sessions(&self, id: &$crate::UserId) -> ::std::result::Result<::std::option::Option<u64>, $crate::StoreError>;
            fn set_anti_phishing_phrase(&self, id: &$crate::UserId, phrase: ::std::option::Option<&$crate::Detail>) -> ::std::result::Result<::std::option::Option<u64>, $crate::StoreError>;
        });
        $callback!($crate::TokenStore, "token" {
            fn insert(&self, record: &$crate::TokenRecord, now: $crate::Timestamp) -> ::std::result::Result<(), $crate::StoreError>;
            fn take(&self, digest: &$crate::TokenDigest, now: $crate::Timestamp) -> ::std::result::Result<::std::option::Option<$crate::TokenRecord>, $crate::StoreError>;
            fn peek(&self, digest: &$crate::TokenDigest, now: $crate::Timestamp) -> ::std::result::Result<::std::option::Option<$crate::TokenRecord>, $crate::StoreError>;
            fn revoke_all(&self, user: &$crate::UserId, purpose: &$crate::Purpose) -> ::std::result::Result<u64, $crate::StoreError>;
            fn revoke_user(&self, user: &$crate::UserId) -> ::std::result::Result<u64, $crate::StoreError>;
            fn purge_expired(&self, now: $crate::Timestamp, limit: usize) -> ::std::result::Result<u64, $crate::StoreError>;
        });
        $callback!($crate::ThrottleStore, "throttle" {
            fn hit(&self, key: &$crate::ThrottleKey, window: ::std::time::Duration, now: $crate::Timestamp) -> ::std::result::Result<$crate::ThrottleCounter, $crate::StoreError>;
            fn get(&self, key: &$crate::ThrottleKey, now: $crate::Timestamp) -> ::std::result::Result<::std::option::Option<$crate::ThrottleCounter>, $crate::StoreError>;
            fn hit_distinct(&self, key: &$crate::ThrottleKey, member: &$crate::MemberDigest, window: ::std::time::Duration, now: $crate::Timestamp) -> ::std::result::Result<$crate::DistinctCounter, $crate::StoreError>;
            fn distinct(&self, key: &$crate::ThrottleKey, now: $crate::Timestamp) -> ::std::result::Result<::std::option::Option<$crate::DistinctCounter>, $crate::StoreError>;
            fn clear(&self, key: &$crate::ThrottleKey) -> ::std::result::Result<(), $crate::StoreError>;
            fn purge_expired(&self, now: $crate::Timestamp, limit: usize) -> ::std::result::Result<u64, $crate::StoreError>;
            fn record_and_decide(&self, key: &$crate::ThrottleKey, limit: u64, window: ::std::time::Duration, now: $crate::Timestamp) -> ::std::result::Result<$crate::ThrottleDecision, $crate::StoreError>;
        });
        $callback!($crate::ActivityLog, "activity" {
            fn append(&self, event: &$crate::SecurityEvent) -> ::std::result::Result<$crate::EventId, $crate::StoreError>;
            fn page(&self, user: &$crate::UserId, after: ::std::option::Option<$crate::ActivityCursor>, limit: usize) -> ::std::result::Result<$crate::ActivityPage, $crate::StoreError>;
            fn purge_before(&self, before: $crate::Timestamp, limit: usize) -> ::std::result::Result<u64, $crate::StoreError>;
            fn forget_user(&self, user: &$crate::UserId, limit: usize) -> ::std::result::Result<u64, $crate::StoreError>;
        });
        $callback!($crate::ProfileStore, "profile" {
            fn load(&self, user: &$crate::UserId) -> ::std::result::Result<::std::option::Option<$crate::VersionedProfile>, $crate::StoreError>;
            fn save(&self, user: &$crate::UserId, expected_version: ::std::option::Option<u64>, data: &$crate::ProfileData) -> ::std::result::Result<u64, $crate::StoreError>;
            fn remove(&self, user: &$crate::UserId) -> ::std::result::Result<bool, $crate::StoreError>;
        });
        $callback!($crate::Outbox, "outbox" {
            fn enqueue(&self, message: &$crate::OutboxMessage, now: $crate::Timestamp) -> ::std::result::Result<$crate::Enqueued, $crate::StoreError>;
            fn claim(&self, now: $crate::Timestamp, lease_for: ::std::time::Duration, limit: usize) -> ::std::result::Result<::std::vec::Vec<$crate::ClaimedMessage>, $crate::StoreError>;
            fn extend(&self, lease: &$crate::Lease, until: $crate::Timestamp) -> ::std::result::Result<$crate::Lease, $crate::StoreError>;
            fn mark_sent(&self, lease: &$crate::Lease, receipt: &$crate::Detail, now: $crate::Timestamp) -> ::std::result::Result<(), $crate::StoreError>;
            fn retry(&self, lease: &$crate::Lease, at: $crate::Timestamp, error: &$crate::Detail) -> ::std::result::Result<(), $crate::StoreError>;
            fn dead_letter(&self, lease: &$crate::Lease, reason: &$crate::Detail, now: $crate::Timestamp) -> ::std::result::Result<(), $crate::StoreError>;
            fn requeue(&self, id: $crate::OutboxId, now: $crate::Timestamp) -> ::std::result::Result<bool, $crate::StoreError>;
            fn record_delivery(&self, id: $crate::OutboxId, report: &$crate::DeliveryReport, now: $crate::Timestamp) -> ::std::result::Result<bool, $crate::StoreError>;
            fn get(&self, id: $crate::OutboxId) -> ::std::result::Result<::std::option::Option<$crate::OutboxEntry>, $crate::StoreError>;
            fn find_by_key(&self, key: &$crate::IdempotencyKey) -> ::std::result::Result<::std::option::Option<$crate::OutboxEntry>, $crate::StoreError>;
            fn for_user(&self, user: &$crate::UserId, limit: usize) -> ::std::result::Result<::std::vec::Vec<$crate::OutboxEntry>, $crate::StoreError>;
            fn dead_letters(&self, after: ::std::option::Option<$crate::OutboxId>, limit: usize) -> ::std::result::Result<::std::vec::Vec<$crate::OutboxEntry>, $crate::StoreError>;
            fn purge_finished(&self, before: $crate::Timestamp, limit: usize) -> ::std::result::Result<u64, $crate::StoreError>;
        });
        $callback!($crate::PasswordHistory, "history" {
            fn push(&self, user: &$crate::UserId, hash: &$crate::StoredPasswordHash, keep: usize, now: $crate::Timestamp) -> ::std::result::Result<(), $crate::StoreError>;
            fn recent(&self, user: &$crate::UserId, limit: usize) -> ::std::result::Result<::std::vec::Vec<$crate::StoredPasswordHash>, $crate::StoreError>;
            fn forget(&self, user: &$crate::UserId) -> ::std::result::Result<u64, $crate::StoreError>;
        });
    };
}
