//! Saved breach filters: any bytes load or are refused without panicking, and a loaded filter
//! answers lookups without panicking (its descriptor can't send a lookup out of bounds).
#![no_main]

use acctsec_policy::BreachFilter;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(filter) = BreachFilter::from_bytes(data) {
        for i in 0..64_u8 {
            let mut sha1 = [i; 20];
            sha1[0] = i.wrapping_mul(37);
            let _ = filter.contains(&sha1);
        }
    }
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = BreachFilter::from_hash_lines(text);
    }
});
