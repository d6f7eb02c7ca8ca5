//! The fast shape check of bulk enqueue documents: whatever it accepts, the
//! full check accepts too (it stands in for it on the hot path).
#![no_main]

use libfuzzer_sys::fuzz_target;
use zizq::codec::Format;
use zizq::fuzzing::{check_bulk, is_bulk_enqueue};

fuzz_target!(|data: &[u8]| {
    let Some((&flags, doc)) = data.split_first() else {
        return;
    };
    let format = if flags & 1 == 0 {
        Format::Json
    } else {
        Format::Msgpack
    };
    let full = check_bulk(format, doc);
    if is_bulk_enqueue(format, doc) {
        assert!(
            full.is_ok(),
            "the fast check accepted what the full check rejects: {full:?}"
        );
    }
});
