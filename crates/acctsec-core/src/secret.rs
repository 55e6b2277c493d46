//! [`Password`]: a plaintext password on its way to the policy or the hasher.

use std::fmt;

use zeroize::Zeroizing;

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
