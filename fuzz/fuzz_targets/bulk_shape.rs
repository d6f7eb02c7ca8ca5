//! The fast shape check of bulk enqueue documents: whatever it accepts, the
//! full check accepts too and sends unchanged (the fast path stands in for
//! it on the hot path and sends the document as given).
#![no_main]

use libfuzzer_sys::fuzz_target;
use zizq::codec::{self, Format};
use zizq::fuzzing::{bulk_body, is_bulk_enqueue};

fuzz_target!(|data: &[u8]| {
    let Some((&flags, doc)) = data.split_first() else {
        return;
    };
    let format = if flags & 1 == 0 {
        Format::Json
    } else {
        Format::Msgpack
    };
    let full = bulk_body(format, doc);
    if is_bulk_enqueue(format, doc) {
        let full = full.expect("the fast check accepted what the full check rejects");
        let given = codec::decode(format, doc).expect("an accepted document decodes");
        assert_eq!(full, given, "the full path would have rewritten it");
    }
});
