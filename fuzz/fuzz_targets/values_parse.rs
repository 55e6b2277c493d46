//! Email addresses and timestamps: parsing never panics, and what parses round-trips.
#![no_main]

use acctsec_core::{Email, Timestamp};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(email) = Email::parse(text) {
        let again =
            Email::parse(email.as_str()).unwrap_or_else(|e| panic!("display form re-parses: {e}"));
        assert_eq!(
            again.normalized(),
            email.normalized(),
            "normalisation is stable"
        );
        assert!(email.normalized().len() <= acctsec_core::MAX_EMAIL_BYTES);
    }
    if let Ok(t) = text.parse::<Timestamp>() {
        let printed = t.to_string();
        let back: Timestamp = printed
            .parse()
            .unwrap_or_else(|e| panic!("{printed} re-parses: {e}"));
        assert_eq!(back, t);
    }
});
