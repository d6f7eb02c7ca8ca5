//! The option documents of `zizq_client_new`, `zizq_take_open` /
//! `zizq_take_jobs` and `zizq_worker_new`, and the filter maps of the
//! job listings, parsed without a runtime. Byte 0 picks the document and
//! the format.
#![no_main]

use libfuzzer_sys::fuzz_target;
use zizq::api::filters::{self, Filters, LIST_KEYS};
use zizq::client::ClientOptions;
use zizq::codec::{self, Format};
use zizq::take::TakeOptions;
use zizq::worker::WorkerOptions;

fuzz_target!(|data: &[u8]| {
    let Some((&flags, doc)) = data.split_first() else {
        return;
    };
    let format = if flags & 1 == 0 {
        Format::Json
    } else {
        Format::Msgpack
    };
    match (flags >> 1) % 4 {
        0 => {
            if let Ok(options) = ClientOptions::from_json(doc) {
                assert!((1..=64).contains(&options.connections));
                assert!(options.max_frame_bytes >= 64);
                assert!(!options.read_timeout.is_zero());
            }
        }
        1 => {
            if let Ok(options) = TakeOptions::parse(format, doc, "take_open") {
                assert!(options.path().starts_with("/jobs/take?prefetch="));
            }
        }
        2 => {
            if let Ok(options) = WorkerOptions::parse(format, doc) {
                assert!(options.backoff_min <= options.backoff_max);
                assert!((1..=1000).contains(&options.max_ack_batch));
            }
        }
        _ => {
            let Ok(map) = codec::decode_args(format, doc) else {
                return;
            };
            if codec::check_keys(&map, LIST_KEYS, "list_jobs").is_ok() {
                if let Ok(Filters::Params(params)) = filters::build(&map) {
                    let _ = zizq::api::query_string(&params);
                }
            }
        }
    }
});
