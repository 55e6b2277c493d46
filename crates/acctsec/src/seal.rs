//! [`MailSeal`]: the outbox's confidentiality. Messages are sealed by the flows and opened only
//! by the worker, so a copy of the database holds no usable reset link or code.

use std::fmt;

use acctsec_core::rng::TryCryptoRng;
use acctsec_core::{OutboxMessage, SealedContent, feed_parts};
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::{Error, Result};

/// The sealed format's version, its first byte.
const SEAL_VERSION: u8 = 1;
/// XChaCha20's nonce: long enough to draw at random for every message without counting.
const NONCE_BYTES: usize = 24;

/// The key that seals outbox content: XChaCha20-Poly1305 with a random 192-bit nonce per message,
/// authenticated together with the message's key, kind, recipient, user and correlation, so
/// sealed content copied onto another row (another recipient) does not open. The flows seal with
/// it and the worker opens with it; keep it outside the database, as the token keys are.
/// `Debug` prints nothing of it.
#[derive(Clone)]
pub struct MailSeal(XChaCha20Poly1305);

impl MailSeal {
    /// A seal from a 32-byte secret.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidKey`] if `secret` is not exactly 32 bytes.
    pub fn from_bytes(secret: &[u8]) -> Result<Self> {
        let key: Zeroizing<[u8; 32]> = Zeroizing::new(
            secret
                .try_into()
                .map_err(|_| Error::InvalidKey("the mail seal key must be 32 bytes"))?,
        );
        Ok(Self(XChaCha20Poly1305::new(&(*key).into())))
    }

    /// Seals `plain` for the outbox row described by `row` (its content is ignored).
    pub(crate) fn seal<R: TryCryptoRng + ?Sized>(
        &self,
        row: &OutboxMessage,
        plain: &[u8],
        rng: &mut R,
    ) -> Result<SealedContent> {
        let mut nonce = [0_u8; NONCE_BYTES];
        rng.try_fill_bytes(&mut nonce)
            .map_err(|_| Error::Randomness)?;
        let aad = associated_data(row);
        let sealed = self
            .0
            .encrypt(
                &XNonce::from(nonce),
                Payload {
                    msg: plain,
                    aad: &aad,
                },
            )
            .map_err(|_| Error::Seal)?;
        let mut out = Vec::with_capacity(1 + NONCE_BYTES + sealed.len());
        out.push(SEAL_VERSION);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        SealedContent::new(out).map_err(|_| Error::MessageTooLarge)
    }

    /// Opens the content of an outbox row; `None` if it was not sealed by this key for this row.
    pub(crate) fn open(&self, row: &OutboxMessage) -> Option<Zeroizing<Vec<u8>>> {
        let bytes = row.content.as_bytes();
        let (&version, rest) = bytes.split_first()?;
        if version != SEAL_VERSION || rest.len() < NONCE_BYTES {
            return None;
        }
        let (nonce, sealed) = rest.split_at(NONCE_BYTES);
        let nonce = XNonce::from(<[u8; NONCE_BYTES]>::try_from(nonce).ok()?);
        let aad = associated_data(row);
        self.0
            .decrypt(
                &nonce,
                Payload {
                    msg: sealed,
                    aad: &aad,
                },
            )
            .ok()
            .map(Zeroizing::new)
    }
}

/// What the seal binds the content to: everything about the row a tamperer could change to
/// redirect the message.
fn associated_data(row: &OutboxMessage) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(b"acctsec/v1/outbox-seal");
    feed_parts(
        |b| h.update(b),
        [
            row.key.as_str().as_bytes(),
            row.kind.code().as_bytes(),
            row.to.as_str().as_bytes(),
            row.user
                .as_ref()
                .map_or(&b""[..], |u| u.as_str().as_bytes()),
        ],
    );
    h.finalize().into()
}

impl fmt::Debug for MailSeal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MailSeal(..)")
    }
}
