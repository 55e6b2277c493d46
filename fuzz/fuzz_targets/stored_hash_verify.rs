//! Stored-hash parsing and verification: any stored text is verified, refused or reported without
//! panicking, and never computed beyond the ceilings.
#![no_main]

use std::sync::OnceLock;

use acctsec_core::{Password, StoredPasswordHash};
use acctsec_hash::{Argon2Params, Ceilings, Hasher};
use libfuzzer_sys::fuzz_target;

fn hasher() -> &'static Hasher {
    static HASHER: OnceLock<Hasher> = OnceLock::new();
    HASHER.get_or_init(|| {
        // Small ceilings keep each run fast; what matters is that nothing panics.
        let ceilings = Ceilings {
            m_kib: 256,
            t: 2,
            p: 2,
            bcrypt_cost: 5,
            pbkdf2_rounds: 2_000,
            scrypt_log_n: 8,
            ..Ceilings::default()
        };
        let params = Argon2Params::new(64, 1, 1).unwrap_or_default();
        Hasher::builder()
            .with_params(params)
            .insecure_allow_weak_params()
            .with_ceilings(ceilings)
            // No idle buffers: the peak is then the largest single computation, which the
            // assertion below bounds (a kept 64 KiB buffer beside a 256 KiB one would pass the
            // ceiling without any computation doing so).
            .with_max_idle_buffers(0)
            .build()
            .unwrap_or_else(|e| panic!("fuzz hasher: {e}"))
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (password, stored) = text.split_once('\n').unwrap_or(("password", text));
    if let Ok(stored) = StoredPasswordHash::new(stored) {
        let _ = hasher().verify(&Password::new(password), &stored);
        // Argon2 never ran over more than the memory ceiling.
        assert!(
            hasher().memory().peak_bytes <= 256 * 1024,
            "over the ceiling"
        );
        // Debug shows the algorithm, not the salt or hash after it: the same whatever the last
        // field holds (compared by changing it, so text that happens to spell Debug's own words
        // is no false alarm).
        if let Some((head, tail)) = stored.as_str().rsplit_once('$')
            && head.contains('$')
            && !tail.is_empty()
        {
            let other = if tail.starts_with('A') { "B" } else { "A" };
            let altered = format!("{head}${}", other.repeat(tail.len()));
            if let Ok(altered) = StoredPasswordHash::new(altered) {
                assert_eq!(format!("{stored:?}"), format!("{altered:?}"));
            }
        }
    }
});
