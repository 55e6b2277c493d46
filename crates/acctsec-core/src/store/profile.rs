use std::fmt;
use std::future::Future;

use crate::error::{Error, StoreError};
use crate::ids::UserId;

/// The most bytes of one stored risk profile.
pub const MAX_PROFILE_BYTES: usize = 16 * 1024;

/// An opaque serialised risk profile, at most [`MAX_PROFILE_BYTES`]. Its `Debug` shows only the
/// length: profiles describe where and how a person signs in.
#[derive(Clone, PartialEq, Eq)]
pub struct ProfileData(Vec<u8>);

impl ProfileData {
    /// Checks the size bound.
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] if `bytes` is longer than [`MAX_PROFILE_BYTES`].
    pub fn new(bytes: Vec<u8>) -> Result<Self, Error> {
        if bytes.len() > MAX_PROFILE_BYTES {
            return Err(Error::invalid("risk profile", "too large"));
        }
        Ok(Self(bytes))
    }

    /// The bytes.
    #[must_use]
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for ProfileData {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ProfileData({} bytes)", self.0.len())
    }
}

/// A stored profile with its version.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct VersionedProfile {
    /// Starts at 1 and increases by one with every save.
    pub version: u64,
    /// The profile.
    pub data: ProfileData,
}

impl VersionedProfile {
    /// A versioned profile.
    #[must_use]
    pub const fn new(version: u64, data: ProfileData) -> Self {
        Self { version, data }
    }
}

/// Per-user risk profiles as opaque versioned bytes.
///
/// Contract:
/// - [`load`](Self::load) of an unknown user is `Ok(None)`;
/// - [`save`](Self::save) is a compare-and-swap: with `expected_version = None` it creates the
///   profile at version 1 and is a conflict if one exists; with `Some(v)` it replaces the profile
///   only if its version is still `v`, storing version `v + 1`; otherwise (including when there
///   is no profile) it is a conflict and changes nothing. Of concurrent saves against one version,
///   exactly one succeeds;
/// - [`remove`](Self::remove) deletes a profile (when an account is deleted).
pub trait ProfileStore: Send + Sync {
    /// The user's profile.
    ///
    /// # Errors
    ///
    /// A [`StoreError`] if the store failed.
    fn load(
        &self,
        user: &UserId,
    ) -> impl Future<Output = Result<Option<VersionedProfile>, StoreError>> + Send;

    /// Saves the profile against `expected_version`; returns the new version.
    ///
    /// # Errors
    ///
    /// A conflict if the version moved on (or the profile exists when `None` was expected);
    /// another [`StoreError`] if the store failed.
    fn save(
        &self,
        user: &UserId,
        expected_version: Option<u64>,
        data: &ProfileData,
    ) -> impl Future<Output = Result<u64, StoreError>> + Send;

    /// Deletes the user's profile; returns whether there was one.
    ///
    /// # Errors
    ///
    /// A [`StoreError`] if the store failed.
    fn remove(&self, user: &UserId) -> impl Future<Output = Result<bool, StoreError>> + Send;
}
