//! The test server's request decoding: every request body type in both
//! formats (byte 0), and the input as a `path?query` request line.
#![no_main]

use libfuzzer_sys::fuzz_target;
use zizq_testserver::fuzzing::{decode_bodies, parse_request_line};

fuzz_target!(|data: &[u8]| {
    let Some((&flags, rest)) = data.split_first() else {
        return;
    };
    decode_bodies(flags & 1 == 0, rest);
    if let Ok(line) = std::str::from_utf8(rest) {
        let (path, query) = line.split_once('?').unwrap_or((line, ""));
        parse_request_line(path, query);
    }
});
