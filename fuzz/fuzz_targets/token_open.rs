//! Token decoding: any input is refused or accepted without panicking, and no change to a valid
//! token ever verifies.
#![no_main]

use std::sync::LazyLock;
use std::time::Duration;

use acctsec_core::{BindingDigest, Purpose, Timestamp, UserId};
use acctsec_testkit::Scripted;
use acctsec_token::{BindingKey, KeyRing, SigningKey, Tokens};
use libfuzzer_sys::fuzz_target;

/// What every run checks against, built once: the tokens, the binding, the valid token.
struct Setup {
    tokens: Tokens,
    binding: BindingDigest,
    original: Vec<u8>,
}

static SETUP: LazyLock<Setup> = LazyLock::new(|| {
    let key = SigningKey::from_bytes(&[1; 32]).expect("a 32-byte key");
    let binding_key = BindingKey::from_bytes(&[2; 32]).expect("a 32-byte key");
    let tokens = Tokens::new(KeyRing::new(key), binding_key);
    let binding = tokens.binding_key().bind(&UserId::from(7_u64), &[b"state"]);
    let issued = tokens
        .issue(
            &PURPOSE,
            &UserId::from(7_u64),
            &binding,
            Duration::from_secs(900),
            NOW,
            &mut Scripted::words([7]),
        )
        .expect("a token");
    let original = issued.token.expose().as_bytes().to_vec();
    Setup {
        tokens,
        binding,
        original,
    }
});

const PURPOSE: Purpose = Purpose::PASSWORD_RESET;
const NOW: Timestamp = Timestamp::from_unix_secs(1_800_000_000);

fuzz_target!(|data: &[u8]| {
    let Setup {
        tokens,
        binding,
        original,
    } = &*SETUP;
    let (purpose, binding, now) = (&PURPOSE, binding, NOW);

    // Arbitrary text: never panics.
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = tokens.verify(text, purpose, binding, now);
    }

    // A valid token changed by the input: verifies only if the change left it identical.
    let mut changed = original.clone();
    for chunk in data.chunks(2) {
        if let [at, byte] = *chunk {
            let i = usize::from(at) % changed.len();
            changed[i] = byte;
        } else if let [byte] = *chunk {
            changed.push(byte);
        }
    }
    if let Ok(text) = std::str::from_utf8(&changed) {
        let verified = tokens.verify(text, purpose, binding, now).is_ok();
        assert_eq!(verified, &changed == original, "a changed token verified");
    }
});
