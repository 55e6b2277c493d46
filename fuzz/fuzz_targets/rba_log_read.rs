//! Login logs: any bytes after the data set's header are read row by row without panicking, every
//! row is either a record or an error naming its line, and reading ends.
#![no_main]

use std::io::Cursor;

use acctsec_risk::{Error, RBA_COLUMNS, RbaReader};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut text = RBA_COLUMNS.join(",").into_bytes();
    text.push(b'\n');
    text.extend_from_slice(data);
    let Ok(reader) = RbaReader::new(Cursor::new(text)) else {
        return;
    };
    let mut last_line = 1;
    for row in reader.take(100_000) {
        if let Err(Error::Row { line, .. }) = row {
            assert!(line > last_line, "line numbers only grow");
            last_line = line;
        }
    }
});
