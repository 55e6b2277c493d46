//! Password policy evaluation: any password and context words are judged without panicking.
#![no_main]

use acctsec_core::Password;
use acctsec_policy::{Context, Policy};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (words, password) = text.split_once('\n').unwrap_or(("", text));
    let context = Context::new().with_user_words(words).with_site_words(words);
    let _ = Policy::default().evaluate(&Password::new(password), &context);
    let _ = Policy::insecure_classic().evaluate(&Password::new(password), &Context::new());
});
