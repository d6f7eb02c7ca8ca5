//! Length-prefixed MessagePack take-stream framing: the same frames whatever the chunking, every
//! frame within the limit, and the exported parser agreeing.
#![no_main]

mod common;

use libfuzzer_sys::fuzz_target;
use zizq::codec::Format;

fuzz_target!(|data: &[u8]| common::check_stream(Format::Msgpack, data));
