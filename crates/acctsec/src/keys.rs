//! The throttle keys the flows use, in one place, so the sign-in guard and the reset flow clear
//! and count the same counters. Addresses are keyed by a digest of their normalised form, so a
//! throttle store (a Redis, say) holds no email address.

use std::net::IpAddr;

use acctsec_core::{ClientInfo, Email, ThrottleKey, UserId, feed_parts};
use sha2::{Digest, Sha256};

/// The digest of a normalised address that throttle keys carry: 16 bytes of SHA-256, in hex.
fn address_digest(email: &Email) -> String {
    let mut h = Sha256::new();
    h.update(b"acctsec/v1/throttle-address");
    feed_parts(|b| h.update(b), [email.normalized().as_bytes()]);
    h.finalize()[..16]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A client's source for throttling: its IPv4 address (also when a dual-stack listener reports
/// it IPv4-mapped), or its IPv6 /64 (one customer's network), or `unknown` — the host must set
/// the client's address, or every request without one shares a bucket.
fn source(client: &ClientInfo) -> String {
    match client.ip().map(|ip| ip.to_canonical()) {
        Some(IpAddr::V4(v4)) => v4.to_string(),
        Some(IpAddr::V6(v6)) => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
        None => "unknown".to_owned(),
    }
}

/// Makes a key from parts that are always within bounds: a fixed ASCII prefix and a digest, an
/// address or a user id (at most 128 bytes, no control characters), under the 256-byte bound.
fn key(text: String) -> ThrottleKey {
    ThrottleKey::new(text).expect("a fixed prefix and a bounded id make a valid throttle key")
}

/// Reset requests for one address.
#[must_use]
pub fn reset_address(email: &Email) -> ThrottleKey {
    key(format!("reset:addr:{}", address_digest(email)))
}

/// Reset requests from one source.
#[must_use]
pub fn reset_source(client: &ClientInfo) -> ThrottleKey {
    key(format!("reset:src:{}", source(client)))
}

/// Reset requests in all.
#[must_use]
pub fn reset_global() -> ThrottleKey {
    key("reset:global".to_owned())
}

/// Failed sign-ins on one account; a reset or password change clears it.
#[must_use]
pub fn sign_in_account(user: &UserId) -> ThrottleKey {
    key(format!("signin:acct:{user}"))
}

/// Attempts at the current password in one account's change forms (password and email), from
/// one source: every attempt counts, a right one clears it.
#[must_use]
pub fn change_attempts(user: &UserId, client: &ClientInfo) -> ThrottleKey {
    key(format!("change:src:{}:{user}", source(client)))
}

/// Distinct wrong current passwords on one account, from anywhere: the ceiling after which only
/// a reset (which clears it) lets the owner change the password or address again.
#[must_use]
pub fn change_ceiling(user: &UserId) -> ThrottleKey {
    key(format!("change:acct:{user}"))
}

/// Email-change requests of one account.
#[must_use]
pub fn email_change_account(user: &UserId) -> ThrottleKey {
    key(format!("email:acct:{user}"))
}

/// Email-change requests naming one new address.
#[must_use]
pub fn email_change_address(email: &Email) -> ThrottleKey {
    key(format!("email:addr:{}", address_digest(email)))
}

/// Refused completions through one reset link (by the first half of its digest).
#[must_use]
pub fn reset_failures(digest: &acctsec_core::TokenDigest) -> ThrottleKey {
    let hex: String = digest.as_bytes()[..16]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    key(format!("reset:fail:{hex}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_hold_no_address_and_group_ipv6_by_64() {
        let email = Email::parse("Ana@Example.com").unwrap();
        let k = reset_address(&email);
        assert!(!k.as_str().contains("ana"), "{k}");
        assert_eq!(k, reset_address(&Email::parse("ana@example.com").unwrap()));
        let a = ClientInfo::new().with_ip("2001:db8:1:2:aaaa::1".parse().unwrap());
        let b = ClientInfo::new().with_ip("2001:db8:1:2:bbbb::9".parse().unwrap());
        assert_eq!(reset_source(&a), reset_source(&b));
        // A dual-stack listener reports IPv4 clients IPv4-mapped: each keeps its own bucket.
        let mapped = ClientInfo::new().with_ip("::ffff:198.51.100.7".parse().unwrap());
        let other = ClientInfo::new().with_ip("::ffff:203.0.113.9".parse().unwrap());
        assert_eq!(reset_source(&mapped).as_str(), "reset:src:198.51.100.7");
        assert_ne!(reset_source(&mapped), reset_source(&other));
        assert_eq!(
            reset_source(&ClientInfo::new()).as_str(),
            "reset:src:unknown"
        );
        let long = UserId::new("x".repeat(acctsec_core::MAX_USER_ID_BYTES)).unwrap();
        assert!(sign_in_account(&long).as_str().ends_with('x'));
    }
}
