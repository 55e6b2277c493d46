//! Reading login logs in the schema of the public "Login Data Set for Risk-Based
//! Authentication" (Wiefling et al., ACM TOPS 2022): one row per sign-in attempt, with attack
//! labels.

use std::fmt;
use std::io::{BufRead, Write};
use std::net::IpAddr;

use acctsec_core::{Timestamp, UserAgent};

use crate::geo::{CountryCode, Geo};
use crate::software::{Software, Version, WINDOWS_NAMED_VERSIONS};
use crate::{Error, Result};

/// The longest line read, bytes; a longer row is reported and skipped.
pub const MAX_RBA_LINE_BYTES: usize = 8 * 1024;
/// The most bytes skipped looking for the end of an overlong line before reading stops with
/// [`Error::Unterminated`]: 64 MiB.
const MAX_SKIP_BYTES: usize = 64 * 1024 * 1024;
/// The columns, in order.
pub const RBA_COLUMNS: [&str; 16] = [
    "index",
    "Login Timestamp",
    "User ID",
    "Round-Trip Time [ms]",
    "IP Address",
    "Country",
    "Region",
    "City",
    "ASN",
    "User Agent String",
    "Browser Name and Version",
    "OS Name and Version",
    "Device Type",
    "Login Successful",
    "Is Attack IP",
    "Is Account Takeover",
];

/// One sign-in attempt of the data set. Unknown values (`-` or empty) are `None`.
///
/// A real log's rows are personal data: `Debug` shows the row's index, time and labels, not the
/// user, address, place or user agent.
#[derive(Clone, PartialEq)]
#[non_exhaustive]
pub struct RbaRecord {
    /// The row's index.
    pub index: u64,
    /// When.
    pub at: Timestamp,
    /// The (pseudonymised, signed 64-bit) user.
    pub user: i64,
    /// Round-trip time, ms.
    pub rtt_ms: Option<f64>,
    /// The client's address (synthetic 10.x addresses in the public set).
    pub ip: IpAddr,
    /// Country.
    pub country: Option<CountryCode>,
    /// Region.
    pub region: Option<String>,
    /// City.
    pub city: Option<String>,
    /// Autonomous system number.
    pub asn: Option<u32>,
    /// The raw user agent.
    pub user_agent: UserAgent,
    /// Browser name and version, as the data set parsed it.
    pub browser: Option<String>,
    /// Operating system name and version.
    pub os: Option<String>,
    /// Device type (`mobile`, `desktop`, …).
    pub device_type: Option<String>,
    /// Whether the password was right.
    pub success: bool,
    /// Whether the address belongs to a known attacker.
    pub attack_ip: bool,
    /// Whether the attempt was an account takeover.
    pub account_takeover: bool,
}

impl fmt::Debug for RbaRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RbaRecord")
            .field("index", &self.index)
            .field("at", &self.at)
            .field("success", &self.success)
            .field("attack_ip", &self.attack_ip)
            .field("account_takeover", &self.account_takeover)
            .finish_non_exhaustive()
    }
}

impl RbaRecord {
    /// The place the row gives: its country and network (the data set has no coordinates).
    #[must_use]
    pub const fn geo(&self) -> Geo {
        Geo {
            country: self.country,
            asn: self.asn,
            location: None,
        }
    }

    /// The browser and system the row names, as a parser would give them: `Chrome 120.0.6099`
    /// is `Chrome` version `120`, `Windows XP` is `Windows` version `XP`. Any other name whose
    /// last word is not a version (`Linux`, `Other`) is all family.
    #[must_use]
    pub fn software(&self) -> Software {
        let version = |text: &Option<String>| {
            text.as_deref().map(|text| match text.rsplit_once(' ') {
                Some((family, version)) if version.starts_with(|c: char| c.is_ascii_digit()) => {
                    Version::new(family, version.split('.').next())
                }
                // Windows names some versions by words (`Windows XP`), as uap-core gives them;
                // `Windows Phone` and `Windows Mobile` are families of their own.
                _ => match text.split_once(' ') {
                    Some(("Windows", named)) if WINDOWS_NAMED_VERSIONS.contains(&named) => {
                        Version::new("Windows", Some(named))
                    }
                    _ => Version::new(text, None),
                },
            })
        };
        Software {
            browser: version(&self.browser),
            os: version(&self.os),
        }
    }

    /// Writes the record as one CSV line of the data set's schema, line break included; `-`
    /// stands for unknown values, as in the data set (so a text value of `-` or empty reads back
    /// as unknown).
    ///
    /// # Errors
    ///
    /// The writer's errors, and [`std::io::ErrorKind::InvalidData`] for a row [`RbaReader`]
    /// would not read back: a value holding a line break, a round-trip time that is negative or
    /// not finite, a time outside the years 0000 to 9999, or a line over [`MAX_RBA_LINE_BYTES`].
    pub fn write_csv<W: Write>(&self, out: &mut W) -> std::io::Result<()> {
        let invalid = |what| std::io::Error::new(std::io::ErrorKind::InvalidData, what);
        if self.rtt_ms.is_some_and(|r| !(r.is_finite() && r >= 0.0)) {
            return Err(invalid("a round-trip time that is negative or not finite"));
        }
        // The years the reader takes.
        if !crate::bytes::STORABLE_MILLIS.contains(&self.at.as_unix_millis()) {
            return Err(invalid("a time outside the years 0000 to 9999"));
        }
        let known = |v: Option<String>| v.unwrap_or_else(|| "-".to_owned());
        let at = self.at.to_string();
        let fields = [
            self.index.to_string(),
            at.trim_end_matches('Z').replacen('T', " ", 1),
            self.user.to_string(),
            self.rtt_ms.map(|r| r.to_string()).unwrap_or_default(),
            self.ip.to_string(),
            known(self.country.map(|c| c.to_string())),
            known(self.region.clone()),
            known(self.city.clone()),
            known(self.asn.map(|a| a.to_string())),
            self.user_agent.as_str().to_owned(),
            known(self.browser.clone()),
            known(self.os.clone()),
            known(self.device_type.clone()),
            flag(self.success).to_owned(),
            flag(self.attack_ip).to_owned(),
            flag(self.account_takeover).to_owned(),
        ];
        let mut line = String::with_capacity(256);
        for (i, field) in fields.iter().enumerate() {
            if field.contains(['\n', '\r']) {
                return Err(invalid("a value holds a line break"));
            }
            if i > 0 {
                line.push(',');
            }
            if field.contains([',', '"']) {
                line.push('"');
                line.push_str(&field.replace('"', "\"\""));
                line.push('"');
            } else {
                line.push_str(field);
            }
        }
        if line.len() > MAX_RBA_LINE_BYTES {
            return Err(invalid("a line over the reader's limit"));
        }
        line.push('\n');
        out.write_all(line.as_bytes())
    }
}

const fn flag(value: bool) -> &'static str {
    if value { "True" } else { "False" }
}

/// Writes the data set's header line.
///
/// # Errors
///
/// The writer's errors.
pub fn write_rba_header<W: Write>(out: &mut W) -> std::io::Result<()> {
    writeln!(out, "{}", RBA_COLUMNS.join(","))
}

/// Reads [`RbaRecord`]s from a CSV stream with the data set's header. Each row is parsed on its
/// own: a malformed row yields an error naming its line, and reading goes on with the next one.
/// An I/O error ends reading. Quoted fields follow RFC 4180 except that they may not hold line
/// breaks (the data set has none): such a row is reported as malformed.
///
/// `Debug` shows where reading is, never what was read: the log holds people's addresses.
pub struct RbaReader<R> {
    input: R,
    line: usize,
    buf: Vec<u8>,
    fields: Vec<String>,
    /// Set after an error that ends reading (an I/O failure, a line without end).
    done: bool,
}

impl<R> fmt::Debug for RbaReader<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RbaReader")
            .field("line", &self.line)
            .field("done", &self.done)
            .finish_non_exhaustive()
    }
}

impl<R: BufRead> RbaReader<R> {
    /// Reads and checks the header.
    ///
    /// # Errors
    ///
    /// [`Error::Row`] for line 1 if the header is missing or not the data set's.
    pub fn new(input: R) -> Result<Self> {
        let mut reader = Self {
            input,
            line: 0,
            buf: Vec::new(),
            fields: Vec::new(),
            done: false,
        };
        let header = reader.next_line().ok_or(Error::Row {
            line: 1,
            reason: "no header",
        })??;
        let columns = split_fields(&header, &mut reader.fields)
            .map_err(|reason| Error::Row { line: 1, reason });
        columns?;
        let names: Vec<&str> = reader
            .fields
            .iter()
            .map(|f| f.trim_start_matches('\u{feff}'))
            .collect();
        if names != RBA_COLUMNS {
            return Err(Error::Row {
                line: 1,
                reason: "not the data set's header",
            });
        }
        Ok(reader)
    }

    /// The next line as text, bounded; `None` at the end.
    fn next_line(&mut self) -> Option<Result<String>> {
        if self.done {
            return None;
        }
        self.buf.clear();
        self.line += 1;
        let line = self.line;
        // Room for the longest line and its "\r\n".
        let limit = u64::try_from(MAX_RBA_LINE_BYTES + 2).unwrap_or(u64::MAX);
        let too_long = Some(Err(Error::Row {
            line,
            reason: "line too long",
        }));
        match std::io::Read::take(&mut self.input, limit).read_until(b'\n', &mut self.buf) {
            Ok(0) => None,
            Ok(_) if self.buf.len() > MAX_RBA_LINE_BYTES && self.buf.last() != Some(&b'\n') => {
                // Skip the rest of the overlong line (within reason), then report it.
                let mut rest = Vec::new();
                let mut skipped = 0;
                loop {
                    rest.clear();
                    match std::io::Read::take(&mut self.input, limit).read_until(b'\n', &mut rest) {
                        Ok(0) => break,
                        Ok(_) if rest.last() == Some(&b'\n') => break,
                        Ok(n) => {
                            skipped += n;
                            if skipped > MAX_SKIP_BYTES {
                                self.done = true;
                                return Some(Err(Error::Unterminated { line }));
                            }
                        }
                        Err(_) => {
                            self.done = true;
                            return Some(Err(Error::Io { line }));
                        }
                    }
                }
                too_long
            }
            Ok(_) => {
                while matches!(self.buf.last(), Some(b'\n' | b'\r')) {
                    self.buf.pop();
                }
                if self.buf.len() > MAX_RBA_LINE_BYTES {
                    return too_long;
                }
                Some(
                    String::from_utf8(std::mem::take(&mut self.buf)).map_err(|_| Error::Row {
                        line,
                        reason: "not UTF-8",
                    }),
                )
            }
            Err(_) => {
                self.done = true;
                Some(Err(Error::Io { line }))
            }
        }
    }

    fn record(&mut self, text: &str) -> std::result::Result<RbaRecord, &'static str> {
        split_fields(text, &mut self.fields)?;
        let f = &self.fields;
        if f.len() != RBA_COLUMNS.len() {
            return Err("wrong number of columns");
        }
        let known = |s: &str| (!s.is_empty() && s != "-").then(|| s.to_owned());
        let flag = |s: &str| match s {
            "True" | "true" => Ok(true),
            "False" | "false" => Ok(false),
            _ => Err("expected True or False"),
        };
        Ok(RbaRecord {
            index: f[0].parse().map_err(|_| "bad index")?,
            at: f[1].parse().map_err(|_| "bad timestamp")?,
            user: f[2].parse().map_err(|_| "bad user id")?,
            rtt_ms: match f[3].as_str() {
                "" => None,
                rtt => Some(
                    rtt.parse::<f64>()
                        .ok()
                        .filter(|v| v.is_finite() && *v >= 0.0)
                        .ok_or("bad round-trip time")?,
                ),
            },
            ip: f[4].parse().map_err(|_| "bad IP address")?,
            country: match f[5].as_str() {
                "" | "-" => None,
                c => Some(CountryCode::new(c).map_err(|_| "bad country")?),
            },
            region: known(&f[6]),
            city: known(&f[7]),
            asn: match f[8].as_str() {
                "" | "-" => None,
                asn => Some(asn.parse().map_err(|_| "bad ASN")?),
            },
            user_agent: UserAgent::new(&f[9]),
            browser: known(&f[10]),
            os: known(&f[11]),
            device_type: known(&f[12]),
            success: flag(&f[13])?,
            attack_ip: flag(&f[14])?,
            account_takeover: flag(&f[15])?,
        })
    }
}

impl<R: BufRead> Iterator for RbaReader<R> {
    type Item = Result<RbaRecord>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let text = match self.next_line()? {
                Ok(text) => text,
                Err(e) => return Some(Err(e)),
            };
            if text.trim().is_empty() {
                continue;
            }
            let line = self.line;
            return Some(
                self.record(&text)
                    .map_err(|reason| Error::Row { line, reason }),
            );
        }
    }
}

/// Splits one CSV line (RFC 4180: fields in double quotes may hold commas, `""` is a quote) into
/// `out`.
fn split_fields(line: &str, out: &mut Vec<String>) -> std::result::Result<(), &'static str> {
    out.clear();
    let mut chars = line.chars().peekable();
    loop {
        let mut field = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            loop {
                match chars.next() {
                    Some('"') if chars.peek() == Some(&'"') => {
                        chars.next();
                        field.push('"');
                    }
                    Some('"') => break,
                    Some(c) => field.push(c),
                    None => return Err("unterminated quoted field"),
                }
            }
            match chars.next() {
                Some(',') => out.push(field),
                None => {
                    out.push(field);
                    return Ok(());
                }
                Some(_) => return Err("text after a quoted field"),
            }
        } else {
            loop {
                match chars.next() {
                    Some(',') => break,
                    Some('"') => return Err("quote inside an unquoted field"),
                    Some(c) => field.push(c),
                    None => {
                        out.push(field);
                        return Ok(());
                    }
                }
            }
            out.push(field);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_split_like_rfc_4180() {
        let mut out = Vec::new();
        split_fields(r#"a,"b, c","say ""hi""",,-"#, &mut out).unwrap();
        assert_eq!(out, ["a", "b, c", r#"say "hi""#, "", "-"]);
        assert_eq!(
            split_fields(r#"a,"open"#, &mut out),
            Err("unterminated quoted field")
        );
        assert_eq!(
            split_fields(r#"a,"x"y"#, &mut out),
            Err("text after a quoted field")
        );
        assert_eq!(
            split_fields(r#"a,b"c"#, &mut out),
            Err("quote inside an unquoted field")
        );
        split_fields("", &mut out).unwrap();
        assert_eq!(out, [""]);
    }

    #[test]
    fn a_row_gives_its_place_and_software_as_the_engine_takes_them() {
        let text = include_str!("../../../testdata/rba-login-sample.csv");
        let rows: Vec<RbaRecord> = RbaReader::new(text.as_bytes())
            .unwrap()
            .take(2)
            .collect::<Result<_>>()
            .unwrap();
        let [ios, android] = rows.as_slice() else {
            panic!("two rows")
        };
        let geo = ios.geo();
        assert_eq!(geo.country, Some(CountryCode::new("NO").unwrap()));
        assert_eq!((geo.asn, geo.location), (Some(29_695), None));
        // "Firefox 20.0.0.1618" on "iOS 13.4"; "Chrome Mobile 46.0.2490" on "Android 4.1".
        let software = ios.software();
        assert_eq!(software.browser, Some(Version::new("Firefox", Some("20"))));
        assert_eq!(software.os, Some(Version::new("iOS", Some("13"))));
        let software = android.software();
        assert_eq!(
            software.browser,
            Some(Version::new("Chrome Mobile", Some("46")))
        );
        assert_eq!(software.os, Some(Version::new("Android", Some("4"))));
        // A name without a version is all family; an unknown one is none.
        let mut other = ios.clone();
        other.browser = Some("Mac OS X".to_owned());
        other.os = None;
        let software = other.software();
        assert_eq!(software.browser, Some(Version::new("Mac OS X", None)));
        assert_eq!(software.os, None);
        other.os = Some("Windows XP".to_owned());
        assert_eq!(
            other.software().os,
            Some(Version::new("Windows", Some("XP")))
        );
        for family in ["Windows Phone", "Windows Mobile"] {
            other.os = Some(family.to_owned());
            assert_eq!(other.software().os, Some(Version::new(family, None)));
        }
    }
}
