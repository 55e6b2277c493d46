//! [`Reader`]: reading the crate's stored forms field by field, each shortfall an
//! [`Error::Invalid`] naming the form.

use acctsec_core::Timestamp;

use crate::{Error, Result};

/// The times the crate stores and reads, as Unix milliseconds: 0000-01-01T00:00:00Z to
/// 9999-12-31T23:59:59.999Z.
pub(crate) const STORABLE_MILLIS: std::ops::RangeInclusive<i64> =
    -62_167_219_200_000..=253_402_300_799_999;

/// `at`, moved into [`STORABLE_MILLIS`] if outside it, so whatever is learned can be stored.
pub(crate) fn storable(at: Timestamp) -> Timestamp {
    Timestamp::from_unix_millis(
        at.as_unix_millis()
            .clamp(*STORABLE_MILLIS.start(), *STORABLE_MILLIS.end()),
    )
}

/// Reads little-endian fields from the front of a stored form.
pub(crate) struct Reader<'a> {
    rest: &'a [u8],
    what: &'static str,
}

impl<'a> Reader<'a> {
    /// A reader of `bytes`, a stored `what` (named in errors), after checking they are at most
    /// `max` bytes and start with the `version` byte.
    pub(crate) fn open(
        bytes: &'a [u8],
        what: &'static str,
        max: usize,
        version: u8,
    ) -> Result<Self> {
        if bytes.len() > max {
            return Err(Error::Invalid(what, "too large"));
        }
        let mut reader = Self { rest: bytes, what };
        if reader.u8()? != version {
            return Err(Error::Invalid(what, "unknown format version"));
        }
        Ok(reader)
    }

    pub(crate) fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        let (head, rest) = self
            .rest
            .split_at_checked(n)
            .ok_or(Error::Invalid(self.what, "truncated"))?;
        self.rest = rest;
        Ok(head)
    }

    pub(crate) fn array<const N: usize>(&mut self) -> Result<[u8; N]> {
        let what = self.what;
        self.take(N)?
            .try_into()
            .map_err(|_| Error::Invalid(what, "truncated"))
    }

    pub(crate) fn u8(&mut self) -> Result<u8> {
        let [b] = self.array::<1>()?;
        Ok(b)
    }

    pub(crate) fn u16(&mut self) -> Result<u16> {
        Ok(u16::from_le_bytes(self.array()?))
    }

    pub(crate) fn u32(&mut self) -> Result<u32> {
        Ok(u32::from_le_bytes(self.array()?))
    }

    pub(crate) fn u64(&mut self) -> Result<u64> {
        Ok(u64::from_le_bytes(self.array()?))
    }

    /// A time within [`STORABLE_MILLIS`]: one far in the future would keep an entry past every
    /// age window.
    pub(crate) fn time(&mut self) -> Result<Timestamp> {
        let millis = i64::from_le_bytes(self.array()?);
        if !STORABLE_MILLIS.contains(&millis) {
            return Err(Error::Invalid(self.what, "bad time"));
        }
        Ok(Timestamp::from_unix_millis(millis))
    }

    pub(crate) fn f64(&mut self) -> Result<f64> {
        Ok(f64::from_le_bytes(self.array()?))
    }

    /// The bytes not read yet.
    pub(crate) const fn rest(&self) -> &'a [u8] {
        self.rest
    }

    /// Ends reading: an error if anything is left.
    pub(crate) fn finish(self) -> Result<()> {
        if self.rest.is_empty() {
            Ok(())
        } else {
            Err(Error::Invalid(self.what, "trailing bytes"))
        }
    }
}
