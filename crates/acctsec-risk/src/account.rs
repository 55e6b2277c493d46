//! [`AccountRisk`]: everything the risk engine keeps for one account — the rules' [`Profile`] and
//! the model's [`UserModel`] — as one value for the host's profile store.

use acctsec_core::store::ProfileData;

use crate::bytes::Reader;
use crate::compact::{MAX_USER_MODEL_ENCODED_BYTES, UserModel};
use crate::profile::{MAX_PROFILE_ENCODED_BYTES, Profile};
use crate::{Error, Result};

const FORMAT_VERSION: u8 = 1;

/// The most bytes a stored [`AccountRisk`] takes: 1,801 (a version byte, the profile's length,
/// at most 840 for the profile and 958 for the model).
pub const MAX_ACCOUNT_RISK_BYTES: usize =
    1 + 2 + MAX_PROFILE_ENCODED_BYTES + MAX_USER_MODEL_ENCODED_BYTES;

/// Everything the risk engine keeps for one account, stored as one [`ProfileData`] so the profile
/// store's compare-and-swap covers both halves. With the `serde` feature it also serialises, as
/// the same checked bytes.
///
/// ```
/// use acctsec_risk::AccountRisk;
///
/// let state = AccountRisk::new();
/// let stored = state.to_data()?;
/// assert_eq!(AccountRisk::from_data(&stored)?, state);
/// # Ok::<(), acctsec_risk::Error>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct AccountRisk {
    /// The rules' memory: countries, devices, the last place.
    pub profile: Profile,
    /// The model's counts.
    pub model: UserModel,
}

impl AccountRisk {
    /// An empty state.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// The stored form, at most [`MAX_ACCOUNT_RISK_BYTES`].
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] never in practice: both halves are bounded.
    pub fn to_data(&self) -> Result<ProfileData> {
        let too_large = |_| Error::Invalid("account risk", "too large");
        let profile = self.profile.to_data()?;
        let profile = profile.as_bytes();
        let length = u16::try_from(profile.len()).map_err(too_large)?;
        let mut out = Vec::with_capacity(MAX_ACCOUNT_RISK_BYTES);
        out.push(FORMAT_VERSION);
        out.extend_from_slice(&length.to_le_bytes());
        out.extend_from_slice(profile);
        out.extend_from_slice(&self.model.to_bytes());
        ProfileData::new(out).map_err(|_| Error::Invalid("account risk", "too large"))
    }

    /// Reads the stored form. Each half carries its own format version; state stored in an
    /// older format does not read, and the host starts the account again from
    /// [`new`](Self::new): its sign-ins then count as having no history (Medium) until it has
    /// some again.
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] if the bytes are longer than [`MAX_ACCOUNT_RISK_BYTES`], of another
    /// version, truncated, or either half does not read.
    pub fn from_data(data: &ProfileData) -> Result<Self> {
        Self::from_bytes(data.as_bytes())
    }

    fn from_bytes(bytes: &[u8]) -> Result<Self> {
        let mut r = Reader::open(
            bytes,
            "account risk",
            MAX_ACCOUNT_RISK_BYTES,
            FORMAT_VERSION,
        )?;
        let length = usize::from(r.u16()?);
        let profile = Profile::from_bytes(r.take(length)?)?;
        Ok(Self {
            profile,
            model: UserModel::from_bytes(r.rest())?,
        })
    }
}

#[cfg(feature = "serde")]
impl serde::Serialize for AccountRisk {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let data = self.to_data().map_err(serde::ser::Error::custom)?;
        serializer.serialize_bytes(data.as_bytes())
    }
}

#[cfg(feature = "serde")]
impl<'de> serde::Deserialize<'de> for AccountRisk {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Bytes;

        impl<'de> serde::de::Visitor<'de> for Bytes {
            type Value = AccountRisk;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(
                    f,
                    "a stored account risk state of at most {MAX_ACCOUNT_RISK_BYTES} bytes"
                )
            }

            fn visit_bytes<E: serde::de::Error>(self, bytes: &[u8]) -> Result<AccountRisk, E> {
                AccountRisk::from_bytes(bytes).map_err(E::custom)
            }

            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<AccountRisk, A::Error> {
                let mut bytes =
                    Vec::with_capacity(MAX_ACCOUNT_RISK_BYTES.min(seq.size_hint().unwrap_or(0)));
                while let Some(byte) = seq.next_element::<u8>()? {
                    if bytes.len() == MAX_ACCOUNT_RISK_BYTES {
                        return Err(serde::de::Error::custom(Error::Invalid(
                            "account risk",
                            "too large",
                        )));
                    }
                    bytes.push(byte);
                }
                AccountRisk::from_bytes(&bytes).map_err(serde::de::Error::custom)
            }
        }

        deserializer.deserialize_bytes(Bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compact::{ModelKey, Population};
    use crate::geo::CountryCode;
    use acctsec_core::{DeviceDigest, DeviceId, Timestamp, UserId};

    fn full() -> AccountRisk {
        let mut state = AccountRisk::new();
        let mut population = Population::with_widths(ModelKey::new([2; 16]), 10, 10).unwrap();
        for i in 0..200_i64 {
            let code = format!("A{}", char::from(b'A' + (i % 26) as u8));
            let cookie = DeviceId::new(format!("device-{i:04}-0123456789abcdef")).unwrap();
            let device = DeviceDigest::of(&UserId::from(1_u64), &cookie);
            let at = Timestamp::from_unix_secs(i * 3600);
            state
                .profile
                .learn(CountryCode::new(&code).ok(), Some(&device), None, at);
            let ip = format!("10.0.{i}.1");
            let hashed = population.hash([&ip, &code, &code], [&ip, &ip, &code, &code]);
            population.learn(&mut state.model, &hashed, at);
        }
        state
    }

    #[test]
    fn both_halves_round_trip_within_the_bound() {
        let state = full();
        let data = state.to_data().unwrap();
        assert!(data.as_bytes().len() <= MAX_ACCOUNT_RISK_BYTES);
        assert!(data.as_bytes().len() > 1_400, "{}", data.as_bytes().len());
        assert_eq!(AccountRisk::from_data(&data).unwrap(), state);
        let bad = |bytes: Vec<u8>| AccountRisk::from_data(&ProfileData::new(bytes).unwrap());
        let mut version = data.as_bytes().to_vec();
        version[0] = 9;
        assert_eq!(
            bad(version),
            Err(Error::Invalid("account risk", "unknown format version"))
        );
        assert_eq!(
            bad(vec![]),
            Err(Error::Invalid("account risk", "truncated"))
        );
        assert_eq!(
            bad(vec![1, 0xff, 0xff]),
            Err(Error::Invalid("account risk", "truncated"))
        );
        assert_eq!(
            bad(vec![0; MAX_ACCOUNT_RISK_BYTES + 1]),
            Err(Error::Invalid("account risk", "too large"))
        );
        // The model half is full (958 bytes): one more byte is too much for it.
        let mut model = data.as_bytes().to_vec();
        model.push(0);
        assert_eq!(bad(model), Err(Error::Invalid("user model", "too large")));
    }

    #[cfg(feature = "serde")]
    #[test]
    fn serde_carries_the_checked_bytes() {
        let state = full();
        let json = serde_json::to_string(&state).unwrap();
        assert_eq!(serde_json::from_str::<AccountRisk>(&json).unwrap(), state);
        assert!(serde_json::from_str::<AccountRisk>("[1,0,0]").is_err());
        let long = format!("[{}]", vec!["0"; MAX_ACCOUNT_RISK_BYTES + 1].join(","));
        let err = serde_json::from_str::<AccountRisk>(&long).unwrap_err();
        assert!(err.to_string().contains("too large"), "{err}");
    }
}
