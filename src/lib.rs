//! libzizq: a Zizq job-queue client behind a C ABI.
//!
//! The boundary (`ffi`) calls into the protocol layer (`api`, `stream`) and
//! the machinery (`client`, `transport`, `take`, `runtime`). See
//! `include/zizq.h` for the C API and the README for the architecture.

#![deny(unsafe_op_in_unsafe_fn)]

pub mod api;
pub mod client;
pub mod codec;
pub mod error;
pub mod ffi;
pub mod runtime;
pub mod seek;
pub mod stream;
pub mod take;
pub mod transport;
pub mod worker;
