//! Verification of legacy formats, for migrating hashes from older systems. A match always asks
//! for a rehash to argon2id; each format is behind its own feature, and is refused as
//! unsupported without it. Every cost parameter is checked against the [`Ceilings`] before any
//! work is done.

use crate::params::Ceilings;
#[cfg(any(feature = "pbkdf2", feature = "scrypt"))]
use password_hash::phc::PasswordHash;
#[cfg(any(feature = "pbkdf2", feature = "scrypt"))]
use subtle::ConstantTimeEq;
#[cfg(any(feature = "bcrypt", feature = "pbkdf2", feature = "scrypt"))]
use zeroize::Zeroizing;

use crate::{Error, Result};

/// The longest password bcrypt reads: longer ones share a hash with their first 72 bytes.
pub const BCRYPT_MAX_PASSWORD_BYTES: usize = 72;

/// If `stored` is in a legacy format, whether `password` matches it; `None` if it is not.
/// `budget_kib` is the most work a stored hash may ask for ([`Ceilings::work_budget_kib`]).
pub(crate) fn verify(
    password: &[u8],
    stored: &str,
    ceilings: &Ceilings,
    budget_kib: u64,
) -> Result<Option<bool>> {
    if ["$2a$", "$2b$", "$2y$"]
        .iter()
        .any(|p| stored.starts_with(p))
    {
        return bcrypt(password, stored, ceilings).map(Some);
    }
    if let Some(rest) = stored.strip_prefix("bcrypt_sha256$") {
        return django_bcrypt_sha256(password, rest, ceilings).map(Some);
    }
    if let Some(rest) = stored.strip_prefix("pbkdf2_sha256$") {
        return django_pbkdf2(password, rest, ceilings).map(Some);
    }
    for (prefix, prf) in [
        ("$pbkdf2-sha256$", Prf::Sha256),
        ("$pbkdf2-sha512$", Prf::Sha512),
        ("$pbkdf2$", Prf::Sha1),
    ] {
        if let Some(rest) = stored.strip_prefix(prefix) {
            // passlib writes bare rounds where PHC writes `i=<rounds>`.
            return if rest.starts_with(|c: char| c.is_ascii_digit()) {
                passlib_pbkdf2(password, rest, prf, ceilings)
            } else {
                phc_pbkdf2(password, stored, prf, ceilings)
            }
            .map(Some);
        }
    }
    if stored.starts_with("$scrypt$") {
        return phc_scrypt(password, stored, ceilings, budget_kib).map(Some);
    }
    Ok(None)
}

/// bcrypt, with its key limits made explicit: a password longer than 72 bytes, or holding a zero
/// byte, never matches (after the same work as any other). bcrypt ignores everything after byte
/// 72, and keys Blowfish with the password and a zero byte repeated cyclically, so `Q` and
/// `Q\0`, or `ab` and `ab\0ab`, would be the same key: either way two different passwords
/// would verify against one hash. (A user whose old system truncated silently resets their
/// password once.)
#[cfg(feature = "bcrypt")]
fn bcrypt(password: &[u8], stored: &str, ceilings: &Ceilings) -> Result<bool> {
    let cost: u32 = stored
        .get(4..6)
        .and_then(|c| c.parse().ok())
        .ok_or(Error::MalformedHash)?;
    if cost > ceilings.bcrypt_cost {
        return Err(Error::HostileParameters);
    }
    // bcrypt reads at most 72 bytes, and a zero byte ends its key; such a password is refused
    // after the same work as any other, so the answer's speed does not show the hash is bcrypt.
    let matched = ::bcrypt::verify(password, stored).map_err(|_| Error::MalformedHash)?;
    Ok(matched && password.len() <= BCRYPT_MAX_PASSWORD_BYTES && !password.contains(&0))
}

#[cfg(not(feature = "bcrypt"))]
fn bcrypt(_: &[u8], _: &str, _: &Ceilings) -> Result<bool> {
    Err(Error::UnsupportedAlgorithm)
}

/// Django's `bcrypt_sha256$<bcrypt hash>`: bcrypt over the lowercase hex SHA-256 of the password,
/// 64 bytes, so no password is cut at bcrypt's 72.
#[cfg(feature = "bcrypt")]
fn django_bcrypt_sha256(password: &[u8], rest: &str, ceilings: &Ceilings) -> Result<bool> {
    use sha2::Digest;

    const HEX: &[u8; 16] = b"0123456789abcdef";
    if !["$2a$", "$2b$", "$2y$"].iter().any(|p| rest.starts_with(p)) {
        return Err(Error::MalformedHash);
    }
    let digest = sha2::Sha256::digest(password);
    let mut hex = Zeroizing::new([0_u8; 64]);
    for (pair, byte) in hex.chunks_exact_mut(2).zip(digest.iter()) {
        pair[0] = HEX[usize::from(byte >> 4)];
        pair[1] = HEX[usize::from(byte & 0x0f)];
    }
    bcrypt(hex.as_slice(), rest, ceilings)
}

#[cfg(not(feature = "bcrypt"))]
fn django_bcrypt_sha256(_: &[u8], _: &str, _: &Ceilings) -> Result<bool> {
    Err(Error::UnsupportedAlgorithm)
}

/// The pseudorandom function of a PBKDF2 hash: HMAC with this digest.
#[derive(Clone, Copy)]
enum Prf {
    Sha1,
    Sha256,
    Sha512,
}

/// Longest PBKDF2 output we accept, bytes.
#[cfg(feature = "pbkdf2")]
const MAX_PBKDF2_OUTPUT: usize = 64;

/// Django's `pbkdf2_sha256$<iterations>$<salt>$<base64 of the 32-byte key>`.
#[cfg(feature = "pbkdf2")]
fn django_pbkdf2(password: &[u8], rest: &str, ceilings: &Ceilings) -> Result<bool> {
    use base64ct::{Base64, Encoding};

    let mut parts = rest.split('$');
    let (Some(iterations), Some(salt), Some(hash), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(Error::MalformedHash);
    };
    let rounds: u32 = iterations.parse().map_err(|_| Error::MalformedHash)?;
    if rounds == 0 || salt.is_empty() {
        return Err(Error::MalformedHash);
    }
    if rounds > ceilings.pbkdf2_rounds {
        return Err(Error::HostileParameters);
    }
    let mut expected = [0_u8; MAX_PBKDF2_OUTPUT];
    let expected = Base64::decode(hash, &mut expected).map_err(|_| Error::MalformedHash)?;
    pbkdf2_matches(password, salt.as_bytes(), rounds, Prf::Sha256, expected)
}

/// passlib's `$pbkdf2[-sha256|-sha512]$<rounds>$<salt>$<hash>`: bare rounds, salt and hash in
/// passlib's "adapted" base64 (`.` for `+`, no padding), the hash as long as the digest.
#[cfg(feature = "pbkdf2")]
fn passlib_pbkdf2(password: &[u8], rest: &str, prf: Prf, ceilings: &Ceilings) -> Result<bool> {
    use base64ct::{Base64Unpadded, Encoding};

    fn ab64<'b>(text: &str, buf: &'b mut [u8; MAX_PBKDF2_OUTPUT]) -> Result<&'b [u8]> {
        let standard = text.replace('.', "+");
        Base64Unpadded::decode(&standard, buf).map_err(|_| Error::MalformedHash)
    }

    let mut parts = rest.split('$');
    let (Some(rounds), Some(salt), Some(hash), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(Error::MalformedHash);
    };
    if !rounds.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Error::MalformedHash);
    }
    let rounds: u32 = rounds.parse().map_err(|_| Error::MalformedHash)?;
    if rounds == 0 {
        return Err(Error::MalformedHash);
    }
    if rounds > ceilings.pbkdf2_rounds {
        return Err(Error::HostileParameters);
    }
    let (mut salt_buf, mut hash_buf) = ([0_u8; MAX_PBKDF2_OUTPUT], [0_u8; MAX_PBKDF2_OUTPUT]);
    let (salt, hash) = (ab64(salt, &mut salt_buf)?, ab64(hash, &mut hash_buf)?);
    if salt.is_empty() || hash.len() != prf.output_len() {
        return Err(Error::MalformedHash);
    }
    pbkdf2_matches(password, salt, rounds, prf, hash)
}

/// PHC `$pbkdf2-sha256$i=<rounds>[,l=<length>]$<salt>$<hash>` (or `-sha512`).
#[cfg(feature = "pbkdf2")]
fn phc_pbkdf2(password: &[u8], stored: &str, prf: Prf, ceilings: &Ceilings) -> Result<bool> {
    let phc = PasswordHash::new(stored).map_err(|_| Error::MalformedHash)?;
    let rounds = phc.params.get_decimal("i").ok_or(Error::MalformedHash)?;
    if rounds == 0
        || phc
            .params
            .iter()
            .any(|(k, _)| !matches!(k.as_str(), "i" | "l"))
    {
        return Err(Error::MalformedHash);
    }
    if rounds > ceilings.pbkdf2_rounds {
        return Err(Error::HostileParameters);
    }
    let (salt, hash) = (
        phc.salt.ok_or(Error::MalformedHash)?,
        phc.hash.ok_or(Error::MalformedHash)?,
    );
    if phc
        .params
        .get_decimal("l")
        .is_some_and(|l| l as usize != hash.len())
    {
        return Err(Error::MalformedHash);
    }
    pbkdf2_matches(password, salt.as_ref(), rounds, prf, hash.as_bytes())
}

#[cfg(feature = "pbkdf2")]
impl Prf {
    /// The digest's output length, bytes: passlib's hashes are exactly this long.
    const fn output_len(self) -> usize {
        match self {
            Self::Sha1 => 20,
            Self::Sha256 => 32,
            Self::Sha512 => 64,
        }
    }
}

#[cfg(feature = "pbkdf2")]
fn pbkdf2_matches(
    password: &[u8],
    salt: &[u8],
    rounds: u32,
    prf: Prf,
    expected: &[u8],
) -> Result<bool> {
    if expected.len() < 16 || expected.len() > MAX_PBKDF2_OUTPUT {
        return Err(Error::MalformedHash);
    }
    let mut out = Zeroizing::new([0_u8; MAX_PBKDF2_OUTPUT]);
    let out = out.get_mut(..expected.len()).ok_or(Error::MalformedHash)?;
    match prf {
        Prf::Sha1 => ::pbkdf2::pbkdf2_hmac::<sha1::Sha1>(password, salt, rounds, out),
        Prf::Sha256 => ::pbkdf2::pbkdf2_hmac::<sha2::Sha256>(password, salt, rounds, out),
        Prf::Sha512 => ::pbkdf2::pbkdf2_hmac::<sha2::Sha512>(password, salt, rounds, out),
    }
    Ok(out.ct_eq(expected).into())
}

#[cfg(not(feature = "pbkdf2"))]
fn django_pbkdf2(_: &[u8], _: &str, _: &Ceilings) -> Result<bool> {
    Err(Error::UnsupportedAlgorithm)
}

#[cfg(not(feature = "pbkdf2"))]
fn phc_pbkdf2(_: &[u8], _: &str, _: Prf, _: &Ceilings) -> Result<bool> {
    Err(Error::UnsupportedAlgorithm)
}

#[cfg(not(feature = "pbkdf2"))]
fn passlib_pbkdf2(_: &[u8], _: &str, _: Prf, _: &Ceilings) -> Result<bool> {
    Err(Error::UnsupportedAlgorithm)
}

/// PHC `$scrypt$ln=<log2 N>,r=<r>,p=<p>$<salt>$<hash>`. Its memory, 128 · r · (N + p) bytes, must
/// fit the memory ceiling, log2 N and p their own, and its work — each of the p lanes writes and
/// reads 128 · r · N bytes: r · N · p / 4 KiB traversed — the same budget as an argon2 hash's.
#[cfg(feature = "scrypt")]
fn phc_scrypt(password: &[u8], stored: &str, ceilings: &Ceilings, budget_kib: u64) -> Result<bool> {
    let phc = PasswordHash::new(stored).map_err(|_| Error::MalformedHash)?;
    let get = |name| phc.params.get_decimal(name).ok_or(Error::MalformedHash);
    let (log_n, r, p) = (get("ln")?, get("r")?, get("p")?);
    if phc.params.iter().count() != 3 || r == 0 || p == 0 {
        return Err(Error::MalformedHash);
    }
    let log_n = u8::try_from(log_n).map_err(|_| Error::HostileParameters)?;
    // Checked: with log2 N up to 255, 2^N and its products overflow even 128 bits.
    let (r128, p128) = (u128::from(r), u128::from(p));
    let n = 1_u128.checked_shl(u32::from(log_n));
    let memory_bytes = n.and_then(|n| n.checked_add(p128)?.checked_mul(r128)?.checked_mul(128));
    let work_kib = n
        .and_then(|n| n.checked_mul(r128)?.checked_mul(p128))
        .map(|w| w / 4);
    let memory_ceiling = u128::from(ceilings.m_kib) * 1024;
    if log_n > ceilings.scrypt_log_n
        || p > ceilings.p
        || memory_bytes.is_none_or(|m| m > memory_ceiling)
        || work_kib.is_none_or(|w| w > u128::from(budget_kib))
    {
        return Err(Error::HostileParameters);
    }
    let (salt, hash) = (
        phc.salt.ok_or(Error::MalformedHash)?,
        phc.hash.ok_or(Error::MalformedHash)?,
    );
    let params = ::scrypt::Params::new(log_n, r, p).map_err(|_| Error::MalformedHash)?;
    let mut out = Zeroizing::new(vec![0_u8; hash.len()]);
    ::scrypt::scrypt(password, salt.as_ref(), &params, &mut out)
        .map_err(|_| Error::MalformedHash)?;
    Ok(out.ct_eq(hash.as_bytes()).into())
}

#[cfg(not(feature = "scrypt"))]
fn phc_scrypt(_: &[u8], _: &str, _: &Ceilings, _: u64) -> Result<bool> {
    Err(Error::UnsupportedAlgorithm)
}
