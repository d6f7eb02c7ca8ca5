//! libzizq: a Zizq job-queue client behind a C ABI.
//!
//! The boundary (`ffi`) calls into the protocol layer (`api`, `stream`) and
//! the machinery (`client`, `transport`, `take`, `worker`, `ready`, `runtime`). See
//! `include/zizq.h` for the C API and the README for the architecture.

#![deny(unsafe_op_in_unsafe_fn)]

pub mod api;
pub mod client;
pub mod codec;
pub mod completion;
pub mod error;
pub mod ffi;
pub mod observe;
pub mod options;
pub(crate) mod ready;
pub mod runtime;
pub mod seek;
pub mod stream;
pub mod take;
pub mod transport;
pub mod worker;

/// Entry points for the fuzz targets in `fuzz/` that are not otherwise
/// public. Not part of the API.
#[doc(hidden)]
pub mod fuzzing {
    use crate::codec::Format;

    /// The fast shape check of a bulk enqueue document.
    pub fn is_bulk_enqueue(format: Format, doc: &[u8]) -> bool {
        crate::api::shape::is_bulk_enqueue(format, doc)
    }

    /// The full check the fast one stands in for: the document as the
    /// full path would send it (durations in milliseconds).
    pub fn bulk_body(format: Format, doc: &[u8]) -> crate::error::Result<serde_json::Value> {
        crate::api::jobs::bulk_body(format, doc).map(serde_json::Value::Object)
    }
}
