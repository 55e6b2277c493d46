// Hashing and verification: known answers, interoperability with the reference C
// implementation, rehash decisions, peppers, bounded input and hostile stored hashes.

use acctsec_core::StoredPasswordHash;
use acctsec_core::rng::SystemRng;
use acctsec_hash::{
    Argon2Params, Ceilings, Error, Hasher, MAX_CEILING_BCRYPT_COST, MAX_CEILING_PBKDF2_ROUNDS,
    MAX_PASSWORD_BYTES, Pepper, PepperRing, RehashReason, Verified,
};
use acctsec_testkit::Scripted;
use proptest::prelude::*;

use super::{pw, stored, tsv_vectors};

/// Cheap parameters so property tests run quickly; production defaults are tested separately.
fn cheap() -> Hasher {
    Hasher::builder()
        .with_params(Argon2Params::new(64, 1, 1).unwrap())
        .insecure_allow_weak_params()
        .build()
        .unwrap()
}

fn vectors() -> Vec<(String, String)> {
    tsv_vectors(include_str!("../../../../testdata/argon2-cli-vectors.tsv"))
}

#[test]
fn rfc_9106_argon2id_vector() {
    // RFC 9106 §5.3: the Argon2 implementation we build on, with secret and associated data.
    let params = argon2::ParamsBuilder::new()
        .m_cost(32)
        .t_cost(3)
        .p_cost(4)
        .data(argon2::AssociatedData::new(&[0x04; 12]).unwrap())
        .output_len(32)
        .build()
        .unwrap();
    let ctx = argon2::Argon2::new_with_secret(
        &[0x03; 8],
        argon2::Algorithm::Argon2id,
        argon2::Version::V0x13,
        params,
    )
    .unwrap();
    let mut out = [0_u8; 32];
    ctx.hash_password_into(&[0x01; 32], &[0x02; 16], &mut out)
        .unwrap();
    let expected = [
        0x0d, 0x64, 0x0d, 0xf5, 0x8d, 0x78, 0x76, 0x6c, 0x08, 0xc0, 0x37, 0xa3, 0x4a, 0x8b, 0x53,
        0xc9, 0xd0, 0x1e, 0xf0, 0x45, 0x2d, 0x75, 0xb6, 0x5e, 0xb5, 0x25, 0x20, 0xe9, 0x6b, 0x01,
        0xe6, 0x59,
    ];
    assert_eq!(out, expected);
}

#[test]
fn hashes_made_by_the_reference_implementation_verify() {
    let hasher = Hasher::new().unwrap();
    let vectors = vectors();
    assert_eq!(vectors.len(), 9);
    for (password, phc) in &vectors {
        // Salt, memory and passes decide: below the current ones asks for a rehash.
        let fields: Vec<&str> = phc.split('$').collect();
        let salt_bytes = fields[4].len() * 3 / 4;
        let below = ["m=12288", "m=4096", "t=1,"]
            .iter()
            .any(|p| fields[3].contains(p));
        let expected = if phc.starts_with("$argon2i$")
            || phc.starts_with("$argon2d$")
            || phc.contains("$v=16$")
        {
            Verified::ValidNeedsRehash(RehashReason::Algorithm)
        } else if below || salt_bytes < 16 {
            Verified::ValidNeedsRehash(RehashReason::Parameters)
        } else {
            Verified::Valid
        };
        let got = hasher.verify(&pw(password), &stored(phc)).unwrap();
        assert_eq!(got, expected, "{phc}");
        let wrong = hasher
            .verify(&pw(&format!("{password}!")), &stored(phc))
            .unwrap();
        assert_eq!(wrong, Verified::Invalid, "{phc}");
    }
}

#[test]
fn our_hashes_are_what_the_reference_implementation_makes() {
    let (password, expected) = vectors().pop().unwrap();
    assert_eq!(password, "acctsec interop");
    let hasher = Hasher::new().unwrap();
    let ours = hasher
        .hash(&pw(&password), &mut Scripted::bytes(b"acctsec-salt-16b"))
        .unwrap();
    assert_eq!(ours.as_str(), expected);
}

#[test]
fn defaults_are_owasp_and_hashes_round_trip() {
    let hasher = Hasher::new().unwrap();
    let h = hasher
        .hash(&pw("correct horse battery staple"), &mut SystemRng)
        .unwrap();
    assert!(
        h.as_str().starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
        "{}",
        h.as_str()
    );
    assert_eq!(
        hasher
            .verify(&pw("correct horse battery staple"), &h)
            .unwrap(),
        Verified::Valid
    );
    assert_eq!(
        hasher
            .verify(&pw("correct horse battery stapl"), &h)
            .unwrap(),
        Verified::Invalid
    );
    // Verifying again reuses a pooled buffer: results must not change.
    assert_eq!(
        hasher
            .verify(&pw("correct horse battery staple"), &h)
            .unwrap(),
        Verified::Valid
    );
    let h2 = hasher
        .hash(&pw("correct horse battery staple"), &mut SystemRng)
        .unwrap();
    assert_ne!(h, h2, "fresh salt every time");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn verify_of_hash_is_valid_and_other_passwords_are_invalid(a in "\\PC{0,40}", b in "\\PC{0,40}") {
        let hasher = cheap();
        let h = hasher.hash(&pw(&a), &mut SystemRng).unwrap();
        prop_assert_eq!(hasher.verify(&pw(&a), &h).unwrap(), Verified::Valid);
        if a != b {
            prop_assert_eq!(hasher.verify(&pw(&b), &h).unwrap(), Verified::Invalid);
        }
    }

    #[test]
    fn arbitrary_stored_hashes_never_panic(s in "\\$argon2(id|i|d)\\$v=(19|16)\\$[a-z0-9=,]{0,40}\\$[A-Za-z0-9+/]{0,30}\\$[A-Za-z0-9+/]{0,50}|[!-~]{1,120}") {
        let hasher = cheap();
        if let Ok(h) = StoredPasswordHash::new(s) {
            let _ = hasher.verify(&pw("x"), &h);
        }
    }
}

#[test]
fn rehash_reasons() {
    let hasher = Hasher::new().unwrap();
    // Weak parameters are allowed here only to make the old hashes a host may hold.
    let make = |m, t| {
        Hasher::builder()
            .with_params(Argon2Params::new(m, t, 1).unwrap())
            .insecure_allow_weak_params()
            .build()
            .unwrap()
            .hash(&pw("pw"), &mut SystemRng)
            .unwrap()
    };
    // Stronger in every dimension: kept (rehashing would lower its cost).
    // OWASP's equivalent configurations, more memory with fewer passes or the reverse, are
    // kept too: replacing m = 46 MiB, t = 1 with the default would lower its cost.
    for (m, t) in [
        (19_456, 3),
        (47_104, 2),
        (47_104, 1),
        (12_288, 3),
        (9_216, 4),
        (7_168, 5),
        (65_536, 1),
        (6_144, 6),
    ] {
        assert_eq!(
            hasher.verify(&pw("pw"), &make(m, t)).unwrap(),
            Verified::Valid,
            "m={m} t={t}"
        );
    }
    // Below OWASP's least memory for their passes, or under its work beyond five passes:
    // replaced.
    for (m, t) in [
        (19_456, 1),
        (46_080, 1),
        (12_288, 2),
        (4_096, 3),
        (9_215, 4),
        (5_120, 6),
        (4_096, 8),
    ] {
        assert_eq!(
            hasher.verify(&pw("pw"), &make(m, t)).unwrap(),
            Verified::ValidNeedsRehash(RehashReason::Parameters),
            "m={m} t={t}"
        );
    }
    // A host above OWASP's floor replaces its equivalents: at m = 64 MiB, t = 3, all five are
    // weaker, and a hash of the same memory with one pass fewer is too.
    let raised = Hasher::builder()
        .with_params(Argon2Params::new(65_536, 3, 1).unwrap())
        .build()
        .unwrap();
    for (m, t) in [
        (47_104, 1),
        (19_456, 2),
        (12_288, 3),
        (7_168, 5),
        (65_536, 2),
    ] {
        assert_eq!(
            raised.verify(&pw("pw"), &make(m, t)).unwrap(),
            Verified::ValidNeedsRehash(RehashReason::Parameters),
            "m={m} t={t}"
        );
    }
    // A salt shorter than 16 bytes (the C tool's vector uses 12).
    let short_salt = stored(
        "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHQxMjM0$PmDUt05Fvn2450RiLmLYq/GAsAAQo9EURB1g5CzVqWI",
    );
    assert_eq!(
        hasher.verify(&pw("hunter42"), &short_salt).unwrap(),
        Verified::ValidNeedsRehash(RehashReason::Parameters)
    );
}

#[test]
fn equal_time_paths_do_equal_work() {
    let hasher = Hasher::new().unwrap();
    let current = hasher
        .hash(&pw("the real password"), &mut SystemRng)
        .unwrap();
    let old = Hasher::builder()
        .with_params(Argon2Params::new(4096, 3, 1).unwrap())
        .insecure_allow_weak_params()
        .build()
        .unwrap()
        .hash(&pw("the real password"), &mut SystemRng)
        .unwrap();
    let work = |f: &dyn Fn()| {
        let before = hasher.memory().work_kib;
        f();
        hasher.memory().work_kib - before
    };
    let current_work = hasher.params().work_kib();
    let wrong = pw("a wrong guess");
    assert_eq!(
        work(&|| assert!(!hasher.verify(&wrong, &current).unwrap().is_valid())),
        current_work
    );
    assert_eq!(
        work(&|| assert!(!hasher.verify_unknown(&wrong).unwrap().is_valid())),
        current_work
    );
    // An outdated hash: its own work plus the padding adds up to a current hash's.
    assert_eq!(
        work(&|| assert!(!hasher.verify(&wrong, &old).unwrap().is_valid())),
        current_work
    );
    // A corrupt row does the unknown-user work before it reports the error.
    let corrupt = stored(
        "$argon2id$v=19$m=19456,t=2,p=1,x=1$c29tZXNhbHQxMjM0$PmDUt05Fvn2450RiLmLYq/GAsAAQo9EURB1g5CzVqWI",
    );
    assert_eq!(
        work(&|| assert_eq!(hasher.verify(&wrong, &corrupt), Err(Error::MalformedHash))),
        current_work
    );
    // A salt under Argon2's minimum (4 bytes of 8): refused as corrupt after the unknown-user
    // work, which counts once.
    let short_salt =
        stored("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$PmDUt05Fvn2450RiLmLYq/GAsAAQo9EURB1g5CzVqWI");
    assert_eq!(
        work(&|| assert!(hasher.verify(&wrong, &short_salt).is_err())),
        current_work
    );
    // All of it in one reused buffer of the current size.
    let per_hash = usize::try_from(hasher.params().m_kib()).unwrap() * 1024;
    assert_eq!(hasher.memory().peak_bytes, per_hash);
}

#[test]
fn peppers_rotate_and_are_required() {
    let old = Pepper::new(b"k1", &[0x11; 32]).unwrap();
    let new = Pepper::new(b"k2", &[0x22; 32]).unwrap();
    let before = Hasher::builder()
        .with_peppers(PepperRing::new(old.clone()))
        .build()
        .unwrap();
    let after = Hasher::builder()
        .with_peppers(PepperRing::new(new).with_accepted(old).unwrap())
        .build()
        .unwrap();
    let plain = Hasher::new().unwrap();

    let h_old = before.hash(&pw("pw"), &mut SystemRng).unwrap();
    assert!(h_old.as_str().contains(",keyid=azE$"), "{}", h_old.as_str());
    assert_eq!(before.verify(&pw("pw"), &h_old).unwrap(), Verified::Valid);
    assert_eq!(
        after.verify(&pw("pw"), &h_old).unwrap(),
        Verified::ValidNeedsRehash(RehashReason::Pepper)
    );
    assert_eq!(
        after.verify(&pw("nope"), &h_old).unwrap(),
        Verified::Invalid
    );
    let h_new = after.hash(&pw("pw"), &mut SystemRng).unwrap();
    assert_eq!(after.verify(&pw("pw"), &h_new).unwrap(), Verified::Valid);
    assert_eq!(before.verify(&pw("pw"), &h_new), Err(Error::UnknownPepper));
    assert_eq!(plain.verify(&pw("pw"), &h_new), Err(Error::UnknownPepper));

    // A hash without a pepper, under a hasher with one: valid, to be rehashed with the pepper.
    let h_plain = plain.hash(&pw("pw"), &mut SystemRng).unwrap();
    assert_eq!(
        after.verify(&pw("pw"), &h_plain).unwrap(),
        Verified::ValidNeedsRehash(RehashReason::Pepper)
    );
    // The same id with another secret does not verify: the pepper really is mixed in.
    let impostor = Hasher::builder()
        .with_peppers(PepperRing::new(Pepper::new(b"k2", &[0x33; 32]).unwrap()))
        .build()
        .unwrap();
    assert_eq!(
        impostor.verify(&pw("pw"), &h_new).unwrap(),
        Verified::Invalid
    );

    assert_eq!(Pepper::new(b"", &[0; 32]).err(), Some(Error::InvalidPepper));
    assert_eq!(
        Pepper::new(b"123456789", &[0; 32]).err(),
        Some(Error::InvalidPepper)
    );
    assert_eq!(
        Pepper::new(b"k", &[0; 31]).err(),
        Some(Error::InvalidPepper)
    );
    let dup = PepperRing::new(Pepper::new(b"k", &[1; 32]).unwrap())
        .with_accepted(Pepper::new(b"k", &[2; 32]).unwrap());
    assert_eq!(dup.err(), Some(Error::InvalidPepper));
}

#[test]
fn oversized_passwords_are_refused_not_truncated() {
    let hasher = cheap();
    let at_cap = "a".repeat(MAX_PASSWORD_BYTES);
    let h = hasher.hash(&pw(&at_cap), &mut SystemRng).unwrap();
    assert_eq!(hasher.verify(&pw(&at_cap), &h).unwrap(), Verified::Valid);
    let over = "a".repeat(MAX_PASSWORD_BYTES + 1);
    assert_eq!(
        hasher.hash(&pw(&over), &mut SystemRng).err(),
        Some(Error::PasswordTooLong)
    );
    assert_eq!(hasher.verify(&pw(&over), &h), Err(Error::PasswordTooLong));
    assert_eq!(
        hasher.verify_unknown(&pw(&over)),
        Err(Error::PasswordTooLong)
    );
}

#[test]
fn hostile_stored_hashes_are_refused_before_allocating() {
    let hasher = Hasher::new().unwrap();
    let salt_and_hash = "$c29tZXNhbHQxMjM0$PmDUt05Fvn2450RiLmLYq/GAsAAQo9EURB1g5CzVqWI";
    // 4 TiB of memory or four billion passes: computing either would abort or hang the test, so
    // an error here shows nothing was allocated or run.
    for params in [
        "m=4294967295,t=2,p=1",
        "m=19456,t=4294967295,p=1",
        "m=262145,t=1,p=1",
        "m=19456,t=33,p=1",
        "m=19456,t=2,p=17",
    ] {
        let h = stored(&format!("$argon2id$v=19${params}{salt_and_hash}"));
        assert_eq!(
            hasher.verify(&pw("hunter42"), &h),
            Err(Error::HostileParameters),
            "{params}"
        );
    }
    let long_output = format!(
        "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHQxMjM0${}",
        "A".repeat(86)
    );
    let tight = Hasher::builder()
        .with_ceilings(Ceilings {
            output_bytes: 32,
            ..Ceilings::default()
        })
        .build()
        .unwrap();
    assert_eq!(
        tight.verify(&pw("x"), &stored(&long_output)),
        Err(Error::HostileParameters)
    );
    // More than eight times the current work, though each parameter is within its ceiling.
    let heavy = stored(
        "$argon2id$v=19$m=19456,t=32,p=16$c29tZXNhbHQxMjM0$PmDUt05Fvn2450RiLmLYq/GAsAAQo9EURB1g5CzVqWI",
    );
    assert_eq!(
        hasher.verify(&pw("hunter42"), &heavy),
        Err(Error::HostileParameters)
    );
    // Nothing sized by a hostile hash was ever allocated: the most memory held is one buffer of
    // the current size (the unknown-user work each refusal does).
    let per_hash = usize::try_from(hasher.params().m_kib()).unwrap() * 1024;
    assert_eq!(hasher.memory().peak_bytes, per_hash);
    // Exactly eight times the current work is still computed.
    let at_ceiling = stored(
        "$argon2id$v=19$m=19456,t=16,p=1$c29tZXNhbHQxMjM0$PmDUt05Fvn2450RiLmLYq/GAsAAQo9EURB1g5CzVqWI",
    );
    assert_eq!(
        hasher.verify(&pw("hunter42"), &at_ceiling).unwrap(),
        Verified::Invalid
    );
    // Ceilings themselves are bounded.
    for absurd in [
        Ceilings {
            m_kib: u32::MAX,
            ..Ceilings::default()
        },
        Ceilings {
            bcrypt_cost: MAX_CEILING_BCRYPT_COST + 1,
            ..Ceilings::default()
        },
        Ceilings {
            pbkdf2_rounds: MAX_CEILING_PBKDF2_ROUNDS + 1,
            ..Ceilings::default()
        },
    ] {
        assert_eq!(
            Hasher::builder().with_ceilings(absurd).build().err(),
            Some(Error::InvalidParameters)
        );
    }
    let highest = Ceilings {
        bcrypt_cost: MAX_CEILING_BCRYPT_COST,
        pbkdf2_rounds: MAX_CEILING_PBKDF2_ROUNDS,
        ..Ceilings::default()
    };
    assert!(Hasher::builder().with_ceilings(highest).build().is_ok());
}

#[test]
fn malformed_and_foreign_hashes_get_their_own_errors() {
    let hasher = Hasher::new().unwrap();
    for (h, err) in [
        (
            "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHQxMjM0",
            Error::MalformedHash,
        ),
        (
            "$argon2id$v=19$m=19456,t=2$c29tZXNhbHQxMjM0$PmDUt05Fvn2450RiLmLYq/GAsAAQo9EURB1g5CzVqWI",
            Error::MalformedHash,
        ),
        (
            "$argon2id$v=19$m=19456,t=2,p=1,data=AAAA$c29tZXNhbHQxMjM0$PmDUt05Fvn2450RiLmLYq/GAsAAQo9EURB1g5CzVqWI",
            Error::MalformedHash,
        ),
        (
            "$argon2id$v=18$m=19456,t=2,p=1$c29tZXNhbHQxMjM0$PmDUt05Fvn2450RiLmLYq/GAsAAQo9EURB1g5CzVqWI",
            Error::MalformedHash,
        ),
        (
            "$argon2id$v=19$m=1,t=2,p=1$c29tZXNhbHQxMjM0$PmDUt05Fvn2450RiLmLYq/GAsAAQo9EURB1g5CzVqWI",
            Error::MalformedHash,
        ),
        (
            "$pbkdf2-sha384$i=1000$c29tZXNhbHQxMjM0$PmDUt05Fvn2450RiLmLYq/GAsAAQo9EURB1g5CzVqWI",
            Error::UnsupportedAlgorithm,
        ),
        (
            "$argon2id$v=19$m=19456,m=19456,t=2,p=1$c29tZXNhbHQxMjM0$PmDUt05Fvn2450RiLmLYq/GAsAAQo9EURB1g5CzVqWI",
            Error::MalformedHash,
        ),
        (
            "$argon2id$v=19$m=19456,t=2,p=1,keyid=$c29tZXNhbHQxMjM0$PmDUt05Fvn2450RiLmLYq/GAsAAQo9EURB1g5CzVqWI",
            Error::MalformedHash,
        ),
        (
            "5baa61e4c9b93f3f0682250b6cf8331b7ee68fd8",
            Error::MalformedHash,
        ),
        // Formats named by an identifier this crate does not run are unsupported, not damaged:
        // Django's older hashers, crypt's SHA-512 and MD5.
        (
            "pbkdf2_sha1$260000$seasalt$KvNABliGty8pXUwfoH0DmJn8sr+w=",
            Error::UnsupportedAlgorithm,
        ),
        (
            "md5$seasalt$5f4dcc3b5aa765d61d8327deb882cf99",
            Error::UnsupportedAlgorithm,
        ),
        (
            "$6$rounds=5000$saltsalt$abcdefghijklmnopqrstuvwxyz0123456789./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz01",
            Error::UnsupportedAlgorithm,
        ),
        (
            "$1$saltsalt$qjXMvbEw8oaL.CzflDugX/",
            Error::UnsupportedAlgorithm,
        ),
        // A damaged row of a format we run stays malformed.
        ("$argon2id$v=19$broken", Error::MalformedHash),
    ] {
        assert_eq!(hasher.verify(&pw("hunter42"), &stored(h)), Err(err), "{h}");
    }
}

#[test]
fn builder_refuses_weak_or_out_of_ceiling_parameters() {
    let weak = Argon2Params::new(7_168, 4, 1).unwrap();
    assert_eq!(
        Hasher::builder()
            .with_params(weak)
            .build()
            .err()
            .map(|e| e.to_string()),
        Some(Error::WeakParameters.to_string())
    );
    let owasp_cheapest = Argon2Params::new(7_168, 5, 1).unwrap();
    assert!(
        Hasher::builder()
            .with_params(owasp_cheapest)
            .build()
            .is_ok()
    );
    let huge = Argon2Params::new(512 * 1024, 2, 1).unwrap();
    assert!(matches!(
        Hasher::builder().with_params(huge).build(),
        Err(Error::HostileParameters)
    ));
    assert_eq!(
        Argon2Params::new(4, 1, 1).err(),
        Some(Error::InvalidParameters)
    );
}

#[test]
fn unknown_users_are_invalid_with_or_without_a_pepper() {
    let peppered = Hasher::builder()
        .with_peppers(PepperRing::new(Pepper::new(b"k1", &[9; 32]).unwrap()))
        .build()
        .unwrap();
    for hasher in [Hasher::new().unwrap(), peppered] {
        for guess in ["", "password", "acctsec unknown user", "harden"] {
            let before = hasher.memory().work_kib;
            assert_eq!(
                hasher.verify_unknown(&pw(guess)).unwrap(),
                Verified::Invalid
            );
            assert_eq!(
                hasher.memory().work_kib - before,
                hasher.params().work_kib()
            );
        }
    }
}

#[test]
fn debug_shows_no_secret() {
    let pepper = Pepper::new(b"k1", &[0x7E; 32]).unwrap();
    let hasher = Hasher::builder()
        .with_peppers(PepperRing::new(pepper.clone()))
        .build()
        .unwrap();
    let dbg = format!("{pepper:?} {hasher:?} {:?}", pw("hunter2"));
    for leak in ["126, 126", "7e7e", "7E7E", "hunter2"] {
        assert!(!dbg.contains(leak), "Debug leaks {leak:?}: {dbg}");
    }
    assert!(dbg.contains("Password(..)"), "{dbg}");
}
