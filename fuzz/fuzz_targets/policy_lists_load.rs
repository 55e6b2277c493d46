//! The site's blocklist and the breach range API's answers: any text is loaded or refused
//! without panicking; a loaded blocklist holds every line it was given, and a range answer
//! found in the cache is the one first parsed.
#![no_main]

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use acctsec_core::BoxError;
use acctsec_policy::{Blocklist, BreachOracle, Breached, RangeOracle, RangeTransport};
use libfuzzer_sys::fuzz_target;

/// A transport that answers every prefix with the fuzzer's text.
struct Body(String);

impl RangeTransport for Body {
    fn fetch(
        &self,
        _prefix: &str,
        _timeout: Duration,
    ) -> impl Future<Output = Result<String, BoxError>> + Send {
        std::future::ready(Ok(self.0.clone()))
    }
}

/// Runs a future that never waits (the transport answers at once) to its end.
fn now<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(out) = future.as_mut().poll(&mut cx) {
            return out;
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(list) = Blocklist::from_lines(text) {
        let lines = text.lines().map(str::trim);
        for line in lines.filter(|l| !l.is_empty() && !l.starts_with('#')) {
            assert!(list.contains(line), "a loaded line is missing");
        }
    }
    // All zeros: prefix 00000, suffix of 35 zeros, which the fuzzer can spell.
    let oracle = RangeOracle::new(Body(text.to_owned()));
    let first = now(oracle.check(&[0; 20]));
    if let Ok(Breached::Yes { .. }) = first {
        assert!(text.contains(&"0".repeat(35)), "found without the suffix");
    }
    let again = now(oracle.check(&[0; 20]));
    assert_eq!(first.ok(), again.ok(), "the cached answer differs");
});
