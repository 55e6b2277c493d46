// Migration from legacy formats: bcrypt, scrypt, PBKDF2 (PHC, passlib and Django), and Django's
// argon2$ and bcrypt_sha256$.

use acctsec_core::rng::SystemRng;
use acctsec_hash::{Error, Hasher, RehashReason, Verified};

use super::{pw, stored, tsv_vectors};

fn vectors() -> Vec<(String, String)> {
    tsv_vectors(include_str!("../../../../testdata/legacy-vectors.tsv"))
}

#[test]
fn every_legacy_vector_verifies_and_asks_for_a_rehash() {
    let hasher = Hasher::new().unwrap();
    let vectors = vectors();
    assert_eq!(vectors.len(), 12);
    for (password, hash) in &vectors {
        let h = stored(hash);
        if password.len() > 72 {
            continue; // the truncation case has its own test
        }
        assert_eq!(
            hasher.verify(&pw(password), &h).unwrap(),
            Verified::ValidNeedsRehash(RehashReason::Algorithm),
            "{hash}"
        );
        let wrong = format!("{password}?");
        if wrong.len() <= 72 {
            assert_eq!(
                hasher.verify(&pw(&wrong), &h).unwrap(),
                Verified::Invalid,
                "{hash}"
            );
        }
    }
}

/// Each password matches its hash and asks for a rehash; with one more character it does not.
fn each_matches_and_asks_for_a_rehash(hasher: &Hasher, vectors: &[(String, String)]) {
    for (password, hash) in vectors {
        let h = stored(hash);
        assert_eq!(
            hasher.verify(&pw(password), &h).unwrap(),
            Verified::ValidNeedsRehash(RehashReason::Algorithm),
            "{hash}"
        );
        assert_eq!(
            hasher.verify(&pw(&format!("{password}?")), &h).unwrap(),
            Verified::Invalid,
            "{hash}"
        );
    }
}

/// Hashes written by passlib itself: `$pbkdf2$`, `$pbkdf2-sha256$` and `$pbkdf2-sha512$`, with
/// bare rounds and passlib's adapted base64.
#[test]
fn passlib_pbkdf2_hashes_verify_and_ask_for_a_rehash() {
    let hasher = Hasher::new().unwrap();
    let vectors = tsv_vectors(include_str!("../../../../testdata/passlib-vectors.tsv"));
    assert_eq!(vectors.len(), 9);
    each_matches_and_asks_for_a_rehash(&hasher, &vectors);
    // Damage in any field is malformed; too many rounds is hostile, refused before the work.
    let (_, good) = &vectors[0];
    let fields: Vec<&str> = good.split('$').collect();
    let with = |i: usize, value: &str| {
        let mut f = fields.clone();
        f[i] = value;
        f.join("$")
    };
    for (bad, err) in [
        (with(2, "0"), Error::MalformedHash),
        (with(2, "+29000"), Error::MalformedHash),
        (with(2, "99999999999"), Error::MalformedHash),
        (with(3, ""), Error::MalformedHash),
        (with(3, "sa!t"), Error::MalformedHash),
        (with(4, &fields[4][..20]), Error::MalformedHash),
        (format!("{good}$extra"), Error::MalformedHash),
        (with(2, "2000001"), Error::HostileParameters),
    ] {
        assert_eq!(hasher.verify(&pw("x"), &stored(&bad)), Err(err), "{bad}");
    }
}

/// Hashes written by Django's own hashers: `argon2$` (at Django's parameters and at OWASP's) and
/// `bcrypt_sha256$`, a password over bcrypt's 72 bytes among them.
#[test]
fn django_argon2_and_bcrypt_sha256_hashes_verify_and_ask_for_a_rehash() {
    let hasher = Hasher::new().unwrap();
    let vectors = tsv_vectors(include_str!("../../../../testdata/django-vectors.tsv"));
    assert_eq!(vectors.len(), 6);
    assert!(
        vectors
            .iter()
            .any(|(p, h)| p.len() > 72 && h.starts_with("bcrypt_sha256$"))
    );
    each_matches_and_asks_for_a_rehash(&hasher, &vectors);
    // The wrapped string is checked as strictly as a plain one; a prefix is taken once.
    let (_, argon) = vectors
        .iter()
        .find(|(_, h)| h.starts_with("argon2$"))
        .unwrap();
    for (bad, err) in [
        (format!("argon2{argon}"), Error::MalformedHash),
        (
            argon.replace("argon2$argon2id$", "argon2$scrypt$"),
            Error::MalformedHash,
        ),
        (
            argon.replace("m=102400", "m=9999999"),
            Error::HostileParameters,
        ),
        ("bcrypt_sha256$$2x$06$abc".to_owned(), Error::MalformedHash),
        (
            "bcrypt_sha256$$2b$31$abc".to_owned(),
            Error::HostileParameters,
        ),
    ] {
        assert_eq!(hasher.verify(&pw("x"), &stored(&bad)), Err(err), "{bad}");
    }
}

#[test]
fn migration_ends_in_a_current_hash() {
    let hasher = Hasher::new().unwrap();
    let (password, old) = vectors().into_iter().next().unwrap();
    assert!(old.starts_with("pbkdf2_sha256$"));
    let verdict = hasher.verify(&pw(&password), &stored(&old)).unwrap();
    assert_eq!(verdict, Verified::ValidNeedsRehash(RehashReason::Algorithm));
    let new = hasher.hash(&pw(&password), &mut SystemRng).unwrap();
    assert_eq!(
        hasher.verify(&pw(&password), &new).unwrap(),
        Verified::Valid
    );
}

#[test]
fn bcrypt_never_lets_two_passwords_share_a_hash() {
    let hasher = Hasher::new().unwrap();
    let vectors = vectors();
    // A password of exactly 72 bytes is whole to bcrypt: it verifies.
    let (p72, h72) = vectors.iter().find(|(p, _)| p.len() == 72).unwrap();
    assert_eq!(
        hasher.verify(&pw(p72), &stored(h72)).unwrap(),
        Verified::ValidNeedsRehash(RehashReason::Algorithm)
    );
    // A hash an old system made from the first 72 bytes of an 80-byte password: bcrypt alone would
    // accept the 80-byte password and every other one with the same first 72 bytes. Only the
    // 72 bytes that were really hashed verify here; anything longer is refused.
    let (p80, h80) = vectors.iter().find(|(p, _)| p.len() == 80).unwrap();
    let h80 = stored(h80);
    assert_eq!(hasher.verify(&pw(p80), &h80).unwrap(), Verified::Invalid);
    assert_eq!(
        hasher
            .verify(&pw(&format!("{}OTHER", &p80[..72])), &h80)
            .unwrap(),
        Verified::Invalid
    );
    assert_eq!(
        hasher.verify(&pw(&p80[..72]), &h80).unwrap(),
        Verified::ValidNeedsRehash(RehashReason::Algorithm)
    );
    // bcrypt keys Blowfish with the password and a zero byte, repeated: `q` and `q\0`, or `ab`
    // and `ab\0ab`, are one key to it. A password holding a zero byte never verifies.
    let q = "q".repeat(71);
    for (password, twin) in [
        (q.clone(), format!("{q}\0")),
        ("ab".into(), "ab\0ab".into()),
    ] {
        let hash = stored(&bcrypt::hash(&password, 4).unwrap());
        assert!(
            bcrypt::verify(&twin, hash.as_str()).unwrap(),
            "bcrypt alone accepts the twin"
        );
        assert_eq!(
            hasher.verify(&pw(&password), &hash).unwrap(),
            Verified::ValidNeedsRehash(RehashReason::Algorithm)
        );
        assert_eq!(
            hasher.verify(&pw(&twin), &hash).unwrap(),
            Verified::Invalid,
            "{twin:?}"
        );
    }
}

#[test]
fn legacy_costs_over_the_ceilings_are_refused_before_any_work() {
    let hasher = Hasher::new().unwrap();
    for (hash, err) in [
        // bcrypt cost 31: 2^31 rounds would take days.
        (
            "$2b$31$052Wbc3p/nrDpMAp1Slz0OUlw827ir2uGQdjNYxumPRvkSckFxQDm",
            Error::HostileParameters,
        ),
        (
            "$2b$16$052Wbc3p/nrDpMAp1Slz0OUlw827ir2uGQdjNYxumPRvkSckFxQDm",
            Error::HostileParameters,
        ),
        (
            "pbkdf2_sha256$4294967295$salt$KvNABliGty8pXUwfoH0DmJn8sr+wOBf2anvR5SaKqak=",
            Error::HostileParameters,
        ),
        (
            "$pbkdf2-sha256$i=2000001,l=32$cGhjLXBia2RmMi1zYWx0IQ$0pv58XoK1EUXmatjV/QuCq7txZNOTA171IWPcdm9noA",
            Error::HostileParameters,
        ),
        // scrypt: log2 N = 127 (its memory overflows 128 bits), log2 N = 40 (a terabyte), and
        // N = 2^20 with r = 8 (1 GiB, over 256 MiB).
        (
            "$scrypt$ln=127,r=8,p=1$c2NyeXB0LXNhbHQtMTZieQ$mEWnaOMj6qpJGkivNtePiCRhirRmFCDISGZ77kbGDCU",
            Error::HostileParameters,
        ),
        (
            "$scrypt$ln=40,r=8,p=1$c2NyeXB0LXNhbHQtMTZieQ$mEWnaOMj6qpJGkivNtePiCRhirRmFCDISGZ77kbGDCU",
            Error::HostileParameters,
        ),
        (
            "$scrypt$ln=20,r=8,p=1$c2NyeXB0LXNhbHQtMTZieQ$mEWnaOMj6qpJGkivNtePiCRhirRmFCDISGZ77kbGDCU",
            Error::HostileParameters,
        ),
        (
            "$scrypt$ln=14,r=4294967295,p=1$c2NyeXB0LXNhbHQtMTZieQ$mEWnaOMj6qpJGkivNtePiCRhirRmFCDISGZ77kbGDCU",
            Error::HostileParameters,
        ),
        (
            "$scrypt$ln=14,r=8,p=17$c2NyeXB0LXNhbHQtMTZieQ$mEWnaOMj6qpJGkivNtePiCRhirRmFCDISGZ77kbGDCU",
            Error::HostileParameters,
        ),
        // Within every single ceiling (128 MiB, log2 N 17, 16 lanes), but 16 lanes of it are
        // 4 GiB of work: over 8 times the current argon2id's 38 MiB.
        (
            "$scrypt$ln=17,r=8,p=16$c2NyeXB0LXNhbHQtMTZieQ$mEWnaOMj6qpJGkivNtePiCRhirRmFCDISGZ77kbGDCU",
            Error::HostileParameters,
        ),
    ] {
        assert_eq!(
            hasher.verify(&pw("hunter42"), &stored(hash)),
            Err(err),
            "{hash}"
        );
    }
}

#[test]
fn malformed_legacy_hashes_are_malformed() {
    let hasher = Hasher::new().unwrap();
    for hash in [
        "pbkdf2_sha256$1000$salt",
        "pbkdf2_sha256$1000$salt$hash$extra",
        "pbkdf2_sha256$0$salt$KvNABliGty8pXUwfoH0DmJn8sr+wOBf2anvR5SaKqak=",
        "pbkdf2_sha256$1000$$KvNABliGty8pXUwfoH0DmJn8sr+wOBf2anvR5SaKqak=",
        "pbkdf2_sha256$x$salt$KvNABliGty8pXUwfoH0DmJn8sr+wOBf2anvR5SaKqak=",
        "pbkdf2_sha256$1000$salt$not-base64!",
        "pbkdf2_sha256$1000$salt$AAAA",
        "$pbkdf2-sha256$i=1000,x=1$cGhjLXBia2RmMi1zYWx0IQ$0pv58XoK1EUXmatjV/QuCq7txZNOTA171IWPcdm9noA",
        "$pbkdf2-sha256$i=1000,l=16$cGhjLXBia2RmMi1zYWx0IQ$0pv58XoK1EUXmatjV/QuCq7txZNOTA171IWPcdm9noA",
        "$scrypt$ln=14,r=8$c2NyeXB0LXNhbHQtMTZieQ$mEWnaOMj6qpJGkivNtePiCRhirRmFCDISGZ77kbGDCU",
        "$scrypt$ln=14,r=0,p=1$c2NyeXB0LXNhbHQtMTZieQ$mEWnaOMj6qpJGkivNtePiCRhirRmFCDISGZ77kbGDCU",
        "$2b$xx$052Wbc3p/nrDpMAp1Slz0OUlw827ir2uGQdjNYxumPRvkSckFxQDm",
        "$2b$10$tooshort",
    ] {
        assert_eq!(
            hasher.verify(&pw("hunter42"), &stored(hash)),
            Err(Error::MalformedHash),
            "{hash}"
        );
    }
    // The crypt_blowfish bug-compatible $2x$ variant is not accepted.
    let x = stored("$2x$10$052Wbc3p/nrDpMAp1Slz0OUlw827ir2uGQdjNYxumPRvkSckFxQDm");
    assert!(hasher.verify(&pw("hunter42"), &x).is_err());
}
