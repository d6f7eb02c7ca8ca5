//! The C ABI. Every `extern "C"` item lives in this folder, grouped by area.
//! Nothing here holds logic beyond argument checks, conversions and the
//! panic boundary: each export calls one function of the core.

#![allow(non_camel_case_types)]
// The safety contract of every export is the C API convention set out in
// include/preamble.h (valid or NULL pointers, borrowed inputs, one free).
#![allow(clippy::missing_safety_doc)]

pub mod client;
pub mod crons;
pub mod doc;
pub mod error;
pub mod jobs;
pub mod parser;
pub mod server;
pub mod take;
pub mod worker;

use crate::error::{zizq_status, Error, Result, Status};
use error::zizq_error;
use std::ffi::{c_char, CStr};
use std::panic::{catch_unwind, AssertUnwindSafe};

/// Version of the C ABI described by this header. Shims refuse a library
/// whose `zizq_abi_version()` differs from the value they were written for.
pub const ZIZQ_ABI_VERSION: u32 = 1;

/// Run an export body behind the panic boundary. On failure the status is
/// returned and, if `err` is not NULL, `*err` receives a new error object.
pub(crate) fn boundary<F>(err: *mut *mut zizq_error, body: F) -> zizq_status
where
    F: FnOnce() -> Result<()>,
{
    let outcome = catch_unwind(AssertUnwindSafe(body)).unwrap_or_else(|panic| {
        let what = panic
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".into());
        Err(Error::new(
            Status::ZIZQ_E_PANIC,
            format!("internal error in libzizq: {what}"),
        ))
    });
    match outcome {
        Ok(()) => Status::ZIZQ_OK,
        Err(e) => {
            let status = e.status;
            if !err.is_null() {
                // SAFETY: the caller passes a valid `zizq_error **` or NULL.
                unsafe { *err = zizq_error::boxed(e) };
            }
            status
        }
    }
}

/// Panic boundary for exports that return a plain value instead of a status.
pub(crate) fn infallible<T, F: FnOnce() -> T>(default: T, body: F) -> T {
    catch_unwind(AssertUnwindSafe(body)).unwrap_or(default)
}

/// Borrow a NUL-terminated UTF-8 string argument.
///
/// # Safety
/// `ptr` must be NULL or point to a NUL-terminated string valid for the call.
pub(crate) unsafe fn str_arg<'a>(ptr: *const c_char, name: &str) -> Result<&'a str> {
    if ptr.is_null() {
        return Err(Error::new(
            Status::ZIZQ_E_NULL_ARG,
            format!("`{name}` must not be NULL"),
        ));
    }
    CStr::from_ptr(ptr)
        .to_str()
        .map_err(|e| Error::invalid(format!("`{name}` is not valid UTF-8: {e}")))
}

/// Borrow an id or a name that becomes one path segment (job id, cron group
/// or entry name): a string argument that must not be empty, since an empty
/// segment would address another resource (`/jobs/` instead of a job).
///
/// # Safety
/// As for [`str_arg`].
pub(crate) unsafe fn segment_arg<'a>(ptr: *const c_char, name: &str) -> Result<&'a str> {
    let value = str_arg(ptr, name)?;
    if value.is_empty() {
        return Err(Error::invalid(format!("`{name}` must not be empty")));
    }
    Ok(value)
}

/// Borrow a `(pointer, length)` byte argument; a zero length may come with NULL.
///
/// # Safety
/// `ptr` must be NULL or point to `len` readable bytes valid for the call.
pub(crate) unsafe fn bytes_arg<'a>(ptr: *const u8, len: usize, name: &str) -> Result<&'a [u8]> {
    if len == 0 {
        return Ok(&[]);
    }
    if ptr.is_null() {
        return Err(Error::new(
            Status::ZIZQ_E_NULL_ARG,
            format!("`{name}` must not be NULL when its length is {len}"),
        ));
    }
    Ok(std::slice::from_raw_parts(ptr, len))
}

/// Borrow a handle argument.
///
/// # Safety
/// `ptr` must be NULL or a live handle of type `T` created by this library.
pub(crate) unsafe fn handle<'a, T>(ptr: *const T, name: &str) -> Result<&'a T> {
    ptr.as_ref().ok_or_else(|| {
        Error::new(
            Status::ZIZQ_E_NULL_ARG,
            format!("`{name}` must not be NULL"),
        )
    })
}

/// Check an output pointer.
pub(crate) fn out_arg<T>(ptr: *mut T, name: &str) -> Result<()> {
    if ptr.is_null() {
        Err(Error::new(
            Status::ZIZQ_E_NULL_ARG,
            format!("output `{name}` must not be NULL"),
        ))
    } else {
        Ok(())
    }
}

/// Version string of the library and its main dependencies.
#[no_mangle]
pub extern "C" fn zizq_version() -> *const c_char {
    static VERSION: &CStr = match CStr::from_bytes_with_nul(
        concat!(
            "libzizq/",
            env!("CARGO_PKG_VERSION"),
            " (hyper/1, h2, rustls/0.23, tokio/1)\0"
        )
        .as_bytes(),
    ) {
        Ok(s) => s,
        Err(_) => c"libzizq",
    };
    VERSION.as_ptr()
}

/// The ABI version of this library (`ZIZQ_ABI_VERSION` of its header).
#[no_mangle]
pub extern "C" fn zizq_abi_version() -> u32 {
    ZIZQ_ABI_VERSION
}

/// The name of a status constant, e.g. `"ZIZQ_E_NOT_FOUND"`; `"ZIZQ_UNKNOWN"`
/// for values this library does not define. Never NULL; static storage.
#[no_mangle]
pub extern "C" fn zizq_status_name(status: i32) -> *const c_char {
    infallible(c"ZIZQ_UNKNOWN".as_ptr(), || {
        status_from_i32(status).map_or(c"ZIZQ_UNKNOWN".as_ptr(), |s| static_cstr(s.name()))
    })
}

/// A short English description of a status. Never NULL; static storage.
#[no_mangle]
pub extern "C" fn zizq_status_str(status: i32) -> *const c_char {
    infallible(c"unknown status".as_ptr(), || {
        status_from_i32(status).map_or(c"unknown status".as_ptr(), |s| static_cstr(s.describe()))
    })
}

fn status_from_i32(value: i32) -> Option<Status> {
    use Status::*;
    const ALL: [Status; 19] = [
        ZIZQ_OK,
        ZIZQ_E_NULL_ARG,
        ZIZQ_E_INVALID_ARG,
        ZIZQ_E_DECODE,
        ZIZQ_E_NOT_FOUND,
        ZIZQ_E_CLIENT,
        ZIZQ_E_SERVER,
        ZIZQ_E_CONNECTION,
        ZIZQ_E_TIMEOUT,
        ZIZQ_E_TLS,
        ZIZQ_E_STREAM,
        ZIZQ_E_CLOSED,
        ZIZQ_E_CANCELLED,
        ZIZQ_E_FORKED,
        ZIZQ_E_PANIC,
        ZIZQ_E_UNEXPECTED_STATUS,
        ZIZQ_E_FRAME_TOO_LARGE,
        ZIZQ_E_BUSY,
        ZIZQ_E_STREAM_ENDED,
    ];
    ALL.into_iter().find(|s| *s as i32 == value)
}

/// Interned NUL-terminated copies of static names (built once per name).
fn static_cstr(s: &'static str) -> *const c_char {
    use once_cell::sync::Lazy;
    use std::collections::HashMap;
    use std::sync::Mutex;
    static CACHE: Lazy<Mutex<HashMap<&'static str, &'static CStr>>> =
        Lazy::new(|| Mutex::new(HashMap::new()));
    let mut cache = CACHE.lock().unwrap_or_else(|p| p.into_inner());
    cache
        .entry(s)
        .or_insert_with(|| {
            let owned = std::ffi::CString::new(s).unwrap_or_default();
            Box::leak(owned.into_boxed_c_str())
        })
        .as_ptr()
}

/// A byte buffer allocated by libzizq. Read `data[0..len]`; release it with
/// `zizq_buf_free`. Never pass it to `free()`.
#[repr(C)]
pub struct zizq_buf {
    /// The bytes (NULL when `len` is 0 and nothing was allocated).
    pub data: *mut u8,
    /// Number of bytes.
    pub len: usize,
    /// Allocation size; private to libzizq.
    pub cap: usize,
}

impl zizq_buf {
    pub(crate) fn from_bytes(bytes: bytes::Bytes) -> zizq_buf {
        let vec: Vec<u8> = bytes.into();
        let mut vec = std::mem::ManuallyDrop::new(vec);
        zizq_buf {
            data: vec.as_mut_ptr(),
            len: vec.len(),
            cap: vec.capacity(),
        }
    }

    pub(crate) fn empty() -> zizq_buf {
        zizq_buf {
            data: std::ptr::null_mut(),
            len: 0,
            cap: 0,
        }
    }
}

/// Write `bytes` to the output buffer `out` (checked non-NULL by the caller).
pub(crate) fn write_buf(out: *mut zizq_buf, bytes: bytes::Bytes) {
    // SAFETY: callers check `out` with `out_arg` first.
    unsafe { *out = zizq_buf::from_bytes(bytes) };
}

/// Release a buffer returned by libzizq and reset it to empty. NULL, or a
/// buffer that is already empty, is ignored.
#[no_mangle]
pub unsafe extern "C" fn zizq_buf_free(buf: *mut zizq_buf) {
    infallible((), || {
        let Some(buf) = buf.as_mut() else { return };
        if !buf.data.is_null() {
            // SAFETY: data/len/cap come from a Vec leaked by `from_bytes`.
            drop(Vec::from_raw_parts(buf.data, buf.len, buf.cap));
        }
        *buf = zizq_buf::empty();
    })
}
