//! [`Password`]: a plaintext password on its way to the policy or the hasher.

use std::fmt;

use zeroize::Zeroizing;

/// The most bytes of password any acctsec crate accepts: the hasher refuses longer input before
/// hashing (never truncating it), and no password policy may allow more. Generous next to NIST
/// SP 800-63B-4's "at least 64 characters" (256 bytes of four-byte characters).
pub const MAX_PASSWORD_BYTES: usize = 1024;

/// A plaintext password as a person typed it. It is wiped from memory when dropped, and neither
/// `Debug` nor any other formatting prints it; the text is reachable only through
/// [`expose`](Self::expose), at the point of use.
///
/// It has no `PartialEq`: compare passwords only by hashing.
///
/// ```
/// use acctsec_core::Password;
///
/// let pw = Password::new("correct horse battery staple");
/// assert_eq!(format!("{pw:?}"), "Password(..)");
/// assert_eq!(pw.expose().len(), 28);
/// ```
#[derive(Clone)]
pub struct Password(Zeroizing<String>);

impl Password {
    /// Takes ownership of a typed password.
    #[must_use]
    pub fn new(text: impl Into<String>) -> Self {
        Self(Zeroizing::new(text.into()))
    }

    /// The text, for the one place that needs it.
    #[must_use]
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl From<String> for Password {
    fn from(text: String) -> Self {
        Self::new(text)
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(..)")
    }
}

/// Whether two 32-byte secrets (digests, MAC tags) are equal, in time that does not depend on
/// their contents.
///
/// It compares four 64-bit words with `subtle` rather than 32 single bytes: the same guarantee in
/// an eighth of the constant-time steps.
///
/// ```
/// use acctsec_core::ct_eq_32;
///
/// assert!(ct_eq_32(&[7; 32], &[7; 32]));
/// let mut other = [7; 32];
/// other[31] ^= 1;
/// assert!(!ct_eq_32(&[7; 32], &other));
/// ```
#[must_use]
pub fn ct_eq_32(a: &[u8; 32], b: &[u8; 32]) -> bool {
    subtle::ConstantTimeEq::ct_eq(&words(a)[..], &words(b)[..]).into()
}

/// Feeds `parts` to `update` (a hash or MAC's), each after its length as 8 big-endian bytes, so
/// no two different lists of parts feed the same bytes (`"ab", "c"` is not `"a", "bc"`). Every
/// digest and MAC over several values in acctsec frames them this way.
///
/// ```
/// use acctsec_core::feed_parts;
///
/// let mut fed = Vec::new();
/// feed_parts(|b| fed.extend_from_slice(b), [&b"ab"[..], b"c"]);
/// assert_eq!(fed, [0, 0, 0, 0, 0, 0, 0, 2, b'a', b'b', 0, 0, 0, 0, 0, 0, 0, 1, b'c']);
/// ```
pub fn feed_parts<'a>(mut update: impl FnMut(&[u8]), parts: impl IntoIterator<Item = &'a [u8]>) {
    for part in parts {
        update(&u64::try_from(part.len()).unwrap_or(u64::MAX).to_be_bytes());
        update(part);
    }
}

fn words(bytes: &[u8; 32]) -> [u64; 4] {
    let mut out = [0; 4];
    for (word, chunk) in out.iter_mut().zip(bytes.chunks_exact(8)) {
        let mut eight = [0; 8];
        eight.copy_from_slice(chunk);
        *word = u64::from_ne_bytes(eight);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::ct_eq_32;

    #[test]
    fn every_single_bit_difference_is_unequal() {
        let a = [0x5a_u8; 32];
        assert!(ct_eq_32(&a, &a));
        for byte in 0..32 {
            for bit in 0..8 {
                let mut b = a;
                b[byte] ^= 1 << bit;
                assert!(!ct_eq_32(&a, &b), "byte {byte} bit {bit}");
            }
        }
    }
}
