//! [`ClientInfo`]: what the host knows about the client behind a request.

use std::fmt;
use std::net::IpAddr;

use sha2::{Digest, Sha256};

use crate::ids::{Detail, DeviceId, UserId, truncate_clean};

/// The most bytes of a user-agent string that are kept.
pub const MAX_USER_AGENT_BYTES: usize = 512;

/// A user-agent string, cut to [`MAX_USER_AGENT_BYTES`] at a character boundary with control
/// characters and invisible formatting characters (bidirectional overrides, zero-width
/// characters) replaced by spaces.
///
/// User agents are client-chosen text used only as a signal (risk scoring, the activity log), so a
/// long one is shortened rather than refused: a sign-in must not fail because a browser sent an
/// unusual header. Real user agents are far shorter than the cap.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct UserAgent(String);

impl UserAgent {
    /// Cleans and bounds a raw header value.
    #[must_use]
    pub fn new(raw: &str) -> Self {
        Self(truncate_clean(raw.trim(), MAX_USER_AGENT_BYTES))
    }

    /// The (possibly shortened) text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for UserAgent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

digest_type!(
    /// A device cookie as it may be kept: SHA-256 over the account and the cookie
    /// ([`DeviceDigest::of`]). Storage and activity logs hold this, never the cookie (it may be a
    /// credential), and one device's digests under two accounts differ, so they don't link the
    /// accounts. Cookies should be long random values: a short, guessable one could be found
    /// again from its digest. Equality is constant-time; `Debug` prints none of the bytes.
    DeviceDigest
);

impl DeviceDigest {
    /// The digest of `device` as presented to `user`'s account.
    #[must_use]
    pub fn of(user: &UserId, device: &DeviceId) -> Self {
        let mut h = Sha256::new();
        h.update(b"acctsec/v1/device");
        crate::feed_parts(
            |b| h.update(b),
            [user.as_str().as_bytes(), device.as_str().as_bytes()],
        );
        Self(h.finalize().into())
    }
}

/// What the host knows about the client behind a request: its IP address (as the host's trusted
/// proxy configuration determined it), its user agent, the digest of its device cookie, and the
/// approximate place the host's geolocation put the address in (shown to the owner in emails and
/// the activity log, so "Lisbon, Portugal" rather than coordinates).
///
/// ```
/// use acctsec_core::{ClientInfo, DeviceDigest, DeviceId, UserId};
///
/// let cookie = DeviceId::new("d-81f2c4a7e9b05d36")?;
/// let client = ClientInfo::new()
///     .with_ip("203.0.113.7".parse()?)
///     .with_user_agent("Mozilla/5.0 (X11; Linux x86_64)")
///     .with_device(DeviceDigest::of(&UserId::from(7_u64), &cookie));
/// assert_eq!(client.user_agent().map(|ua| ua.as_str()), Some("Mozilla/5.0 (X11; Linux x86_64)"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct ClientInfo {
    ip: Option<IpAddr>,
    user_agent: Option<UserAgent>,
    device: Option<DeviceDigest>,
    place: Option<Detail>,
}

impl ClientInfo {
    /// A client about which nothing is known.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the approximate place, as the host's geolocation names it ("Porto, Portugal").
    #[must_use]
    pub fn with_place(mut self, place: &str) -> Self {
        self.place = Some(Detail::new(place));
        self
    }

    /// The approximate place, if the host knows it.
    #[must_use]
    pub fn place(&self) -> Option<&Detail> {
        self.place.as_ref()
    }

    /// Sets the client's IP address.
    #[must_use]
    pub fn with_ip(mut self, ip: IpAddr) -> Self {
        self.ip = Some(ip);
        self
    }

    /// Sets the user agent from a raw header value (see [`UserAgent::new`]).
    #[must_use]
    pub fn with_user_agent(mut self, raw: &str) -> Self {
        self.user_agent = Some(UserAgent::new(raw));
        self
    }

    /// Sets the device cookie's digest.
    #[must_use]
    pub fn with_device(mut self, device: DeviceDigest) -> Self {
        self.device = Some(device);
        self
    }

    /// The client's IP address, if known.
    #[must_use]
    pub fn ip(&self) -> Option<IpAddr> {
        self.ip
    }

    /// The client's user agent, if known.
    #[must_use]
    pub fn user_agent(&self) -> Option<&UserAgent> {
        self.user_agent.as_ref()
    }

    /// The device cookie's digest, if the client presented one.
    #[must_use]
    pub fn device(&self) -> Option<&DeviceDigest> {
        self.device.as_ref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn device_digests_hide_the_cookie_and_differ_per_account() {
        let cookie = DeviceId::new("d-81f2c4a7e9b05d36").unwrap();
        let (a, b) = (UserId::from(1_u64), UserId::from(2_u64));
        let digest = DeviceDigest::of(&a, &cookie);
        assert_eq!(digest, DeviceDigest::of(&a, &cookie));
        assert_ne!(
            digest,
            DeviceDigest::of(&b, &cookie),
            "accounts are not linked"
        );
        let other = DeviceId::new("d-81f2c4a7e9b05d37").unwrap();
        assert_ne!(digest, DeviceDigest::of(&a, &other));
        // Length-prefixed: moving bytes between the parts changes the digest.
        let (ab, c) = (UserId::new("ab").unwrap(), DeviceId::new("c").unwrap());
        let (a2, bc) = (UserId::new("a").unwrap(), DeviceId::new("bc").unwrap());
        assert_ne!(DeviceDigest::of(&ab, &c), DeviceDigest::of(&a2, &bc));
        let client = ClientInfo::new().with_device(digest);
        let shown = format!("{client:?}");
        assert!(
            !shown.contains("81f2") && shown.contains("DeviceDigest(..)"),
            "{shown}"
        );
    }

    #[test]
    fn user_agent_is_bounded_and_clean() {
        let long = format!("Mozilla/5.0 {}", "x".repeat(10_000));
        assert_eq!(UserAgent::new(&long).as_str().len(), MAX_USER_AGENT_BYTES);
        assert_eq!(UserAgent::new(" a\tb\u{7f} ").as_str(), "a b ");
        assert_eq!(
            UserAgent::new("Safari\u{202E}\u{200B}x").as_str(),
            "Safari  x"
        );
        // An unbalanced parenthesis, as in the RBA login data set, is kept as it is.
        let odd = "Mozilla/5.0  (iPhone; CPU iPhone OS 13_4 like Mac OS X) Gecko/20150101 (Chrome variation/248113";
        assert_eq!(UserAgent::new(odd).as_str(), odd);
    }

    #[test]
    fn debug_hides_the_device_cookie_s_digest() {
        let client = ClientInfo::new()
            .with_ip(IpAddr::from([192, 0, 2, 7]))
            .with_device(DeviceDigest::of(
                &UserId::from(1_u64),
                &DeviceId::new("cookie-5f1e9a0b77c3").unwrap(),
            ));
        let shown = format!("{client:?}");
        assert!(!shown.contains("cookie-5f1e9a0b77c3"), "{shown}");
        assert!(shown.contains("DeviceDigest(..)"), "{shown}");
        assert!(shown.contains("192.0.2.7"), "{shown}");
    }
}
