//! What an email says about the device behind a request: a browser and a system from a fixed
//! list, never the client's own text. A user agent is whatever the requester sent; echoed into a
//! genuine email to someone else ("verify your account at `https://evil.example`"), it would be a
//! phishing line in a message the victim has every reason to trust.

/// Browsers, by a token their user agents carry, in the order to test them (Edge and Opera also
/// say Chrome, Chrome also says Safari).
const BROWSERS: [(&str, &str); 7] = [
    ("Edg/", "Edge"),
    ("OPR/", "Opera"),
    ("SamsungBrowser/", "Samsung Internet"),
    ("Firefox/", "Firefox"),
    ("FxiOS/", "Firefox"),
    ("Chrome/", "Chrome"),
    ("Safari/", "Safari"),
];

/// Systems, likewise (Android also says Linux, iOS also says Mac OS X).
const SYSTEMS: [(&str, &str); 7] = [
    ("Windows", "Windows"),
    ("Android", "Android"),
    ("iPhone", "iOS"),
    ("iPad", "iOS"),
    ("CrOS", "ChromeOS"),
    ("Mac OS X", "macOS"),
    ("Linux", "Linux"),
];

fn first_known<'a>(ua: &str, table: &[(&str, &'a str)]) -> Option<&'a str> {
    table
        .iter()
        .find(|(token, _)| ua.contains(token))
        .map(|(_, name)| *name)
}

/// "Firefox on Linux", "Chrome", "a browser on Windows", or `None` when nothing on the lists is
/// recognised. Every word comes from the lists above.
pub(crate) fn summary(user_agent: &str) -> Option<String> {
    match (
        first_known(user_agent, &BROWSERS),
        first_known(user_agent, &SYSTEMS),
    ) {
        (Some(browser), Some(system)) => Some(format!("{browser} on {system}")),
        (Some(browser), None) => Some(browser.to_owned()),
        (None, Some(system)) => Some(format!("a browser on {system}")),
        (None, None) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::summary;

    #[test]
    fn known_browsers_and_systems_are_named_and_nothing_else_is_repeated() {
        let cases = [
            (
                "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
                Some("Firefox on Linux"),
            ),
            (
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36 Edg/130.0.0.0",
                Some("Edge on Windows"),
            ),
            (
                "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
                Some("Safari on iOS"),
            ),
            (
                "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Mobile Safari/537.36",
                Some("Chrome on Android"),
            ),
            ("curl/8.5.0", None),
            ("Account locked. Verify at https://evil.example now", None),
        ];
        for (ua, want) in cases {
            assert_eq!(summary(ua).as_deref(), want, "{ua}");
        }
        let sneaky = summary("Firefox/1 Linux — verify at https://evil.example").unwrap();
        assert_eq!(sneaky, "Firefox on Linux");
    }
}
