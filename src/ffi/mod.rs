//! Header section: Versions, status names and buffers.
//!
//! The C ABI. Every `extern "C"` item lives in this folder, grouped by area.
//! Nothing here holds logic beyond argument checks, conversions and the
//! panic boundary: each export calls one function of the core.

#![allow(non_camel_case_types)]

pub mod client;
pub mod completion;
pub mod crons;
pub mod doc;
pub mod error;
pub mod jobs;
pub mod observe;
pub mod parser;
pub mod server;
pub mod take;
pub mod worker;

use crate::error::{zizq_status, Error, Result, Status};
use crate::runtime;
use error::zizq_error;
use std::ffi::{c_char, CStr};
use std::panic::{catch_unwind, AssertUnwindSafe};

/// Version of the C ABI described by this header. Bindings refuse a library
/// whose `zizq_abi_version()` differs from the value they were written for.
pub const ZIZQ_ABI_VERSION: u32 = 1;

/// Run an export body behind the panic boundary. On failure the status is
/// returned and, if `err` is not NULL, `*err` receives a new error object;
/// `ZIZQ_PENDING` (a deferred call started) is returned without one.
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
        // A deferred call that started: nothing failed, no error to give.
        Err(e) if e.status == Status::ZIZQ_PENDING => Status::ZIZQ_PENDING,
        Err(e) => {
            let status = e.status;
            // SAFETY: every export taking `err` requires it to be NULL or
            // writable storage for one pointer (its `# Safety` section).
            if let Ok(out) = unsafe { out_arg(err, "err") } {
                new_handle(out, zizq_error::new(e));
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
/// `ptr` must be NULL or point to a NUL-terminated string that stays valid
/// and unchanged for `'a`.
pub(crate) unsafe fn str_arg<'a>(ptr: *const c_char, name: &str) -> Result<&'a str> {
    if ptr.is_null() {
        return Err(Error::new(
            Status::ZIZQ_E_NULL_ARG,
            format!("`{name}` must not be NULL"),
        ));
    }
    // SAFETY: not NULL (checked above), so by this function's contract a
    // NUL-terminated string that lives for 'a.
    unsafe { CStr::from_ptr(ptr) }
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
    // SAFETY: the same contract as ours.
    let value = unsafe { str_arg(ptr, name) }?;
    if value.is_empty() {
        return Err(Error::invalid(format!("`{name}` must not be empty")));
    }
    Ok(value)
}

/// Borrow a `(pointer, length)` byte argument; a zero length may come with NULL.
///
/// # Safety
/// `ptr` must be NULL or point to `len` readable bytes that stay valid and
/// unchanged for `'a`.
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
    // SAFETY: not NULL and `len` > 0, so by this function's contract `len`
    // readable bytes that live for 'a (a C array never exceeds isize::MAX).
    Ok(unsafe { std::slice::from_raw_parts(ptr, len) })
}

/// An output parameter checked to be non-NULL: writing through it is safe.
/// The old contents are never read or dropped (the caller's storage may be
/// uninitialised).
pub(crate) struct Out<'a, T>(&'a mut std::mem::MaybeUninit<T>);

impl<T> Out<'_, T> {
    pub(crate) fn write(self, value: T) {
        self.0.write(value);
    }
}

/// Check an output pointer.
///
/// # Safety
/// `ptr` must be NULL or point to storage for a `T`, writable and aligned,
/// that nothing else accesses for `'a`.
pub(crate) unsafe fn out_arg<'a, T>(ptr: *mut T, name: &str) -> Result<Out<'a, T>> {
    // SAFETY: by this function's contract a non-NULL `ptr` is writable,
    // aligned and ours for 'a; MaybeUninit makes no claim on its contents.
    match unsafe { ptr.cast::<std::mem::MaybeUninit<T>>().as_mut() } {
        Some(slot) => Ok(Out(slot)),
        None => Err(Error::new(
            Status::ZIZQ_E_NULL_ARG,
            format!("output `{name}` must not be NULL"),
        )),
    }
}

/// A type handed to C as an opaque handle: a `Box` given away by
/// [`new_handle`], borrowed by [`handle`] or [`live_handle`], taken back by
/// [`free_handle`].
pub(crate) trait Handle: Sized {
    /// The fork generation (`runtime::generation`) of the process that
    /// created the handle, if its state belongs to that process's runtime;
    /// `None` for plain data, usable in any process.
    fn generation(&self) -> Option<u64> {
        None
    }
}

/// Give `value` to C as a new handle in `*out`.
pub(crate) fn new_handle<T: Handle>(out: Out<'_, *mut T>, value: T) {
    out.write(Box::into_raw(Box::new(value)));
}

/// Borrow a handle, or `None` for NULL.
///
/// # Safety
/// `ptr` must be NULL or a handle of type `T` made by [`new_handle`] and not
/// yet freed, and stay so for `'a`.
pub(crate) unsafe fn borrow<'a, T: Handle>(ptr: *const T) -> Option<&'a T> {
    // SAFETY: by this function's contract a non-NULL `ptr` is a live `Box`
    // allocation; handles are only ever read through shared references.
    unsafe { ptr.as_ref() }
}

/// Borrow a handle argument.
///
/// # Safety
/// As for [`borrow`].
pub(crate) unsafe fn handle<'a, T: Handle>(ptr: *const T, name: &str) -> Result<&'a T> {
    // SAFETY: the same contract as ours.
    unsafe { borrow(ptr) }.ok_or_else(|| {
        Error::new(
            Status::ZIZQ_E_NULL_ARG,
            format!("`{name}` must not be NULL"),
        )
    })
}

/// Borrow a handle argument that belongs to this process: a handle inherited
/// across `fork()` is refused (`ZIZQ_E_FORKED`) before any of its locks is
/// touched.
///
/// # Safety
/// As for [`handle`].
pub(crate) unsafe fn live_handle<'a, T: Handle>(ptr: *const T, name: &str) -> Result<&'a T> {
    // SAFETY: the same contract as ours.
    let handle = unsafe { handle(ptr, name) }?;
    if let Some(created) = handle.generation() {
        runtime::check_fork(created)?;
    }
    Ok(handle)
}

/// Release a handle; NULL is ignored. In a fork child the handle of a parent
/// process is leaked instead: its tasks, locks and connections belong to the
/// parent's runtime, which does not run here, and dropping them could block
/// or touch the parent's sockets.
///
/// # Safety
/// `ptr` must be NULL or a handle made by [`new_handle`] and not yet freed;
/// no other call may use it during or after this one.
pub(crate) unsafe fn free_handle<T: Handle>(ptr: *mut T) {
    infallible((), || {
        if ptr.is_null() {
            return;
        }
        // SAFETY: by this function's contract `ptr` is the `Box` given away
        // by `new_handle`, and nobody uses it any more.
        let boxed = unsafe { Box::from_raw(ptr) };
        if let Some(created) = boxed.generation() {
            if runtime::check_fork(created).is_err() {
                std::mem::forget(boxed);
            }
        }
    })
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

/// The ABI of this library, described as JSON (UTF-8, NUL-terminated, static
/// storage; never NULL): statuses (`value`, `name`, `description`,
/// `category`, `transience`, `retryable`), enums, struct fields in order with
/// their C types, opaque handle types, callback types, every function's
/// signature, integer constants, the keys of the client (`client`, `tls`),
/// take and worker option documents (`options`) and the keys of
/// `zizq_worker_stats` (`worker_stats`) and `zizq_client_stats`
/// (`client_stats`). Language bindings read it at load
/// time so that they describe exactly the library they loaded; the same text
/// is installed beside the header as `zizq.abi.json`.
#[no_mangle]
pub extern "C" fn zizq_abi_description() -> *const c_char {
    ABI_DESCRIPTION.as_ptr()
}

/// `include/zizq.abi.json`, which build.rs writes from the sources before
/// this crate compiles.
const ABI_DESCRIPTION: &CStr = match CStr::from_bytes_with_nul(
    concat!(
        include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/include/zizq.abi.json"
        )),
        "\0"
    )
    .as_bytes(),
) {
    Ok(s) => s,
    Err(_) => panic!("the ABI description holds a NUL byte"),
};

/// The name of a status constant, e.g. `"ZIZQ_E_NOT_FOUND"`; `"ZIZQ_UNKNOWN"`
/// for values this library does not define. Never NULL; static storage.
#[no_mangle]
pub extern "C" fn zizq_status_name(status: i32) -> *const c_char {
    Status::from_i32(status)
        .map_or(c"ZIZQ_UNKNOWN", Status::name)
        .as_ptr()
}

/// A short English description of a status. Never NULL; static storage.
#[no_mangle]
pub extern "C" fn zizq_status_str(status: i32) -> *const c_char {
    Status::from_i32(status)
        .map_or(c"unknown status", Status::describe)
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

/// Write `bytes` to the output buffer `out`.
pub(crate) fn write_buf(out: Out<'_, zizq_buf>, bytes: bytes::Bytes) {
    out.write(zizq_buf::from_bytes(bytes));
}

/// Release a buffer returned by libzizq and reset it to empty. NULL, or a
/// buffer that is already empty, is ignored.
/// # Safety
/// `buf` is NULL or a buffer filled by libzizq (or emptied by this function).
#[no_mangle]
pub unsafe extern "C" fn zizq_buf_free(buf: *mut zizq_buf) {
    infallible((), || {
        // SAFETY: by this function's contract `buf` is NULL or a
        // `zizq_buf` that nothing else accesses during the call.
        let Some(buf) = (unsafe { buf.as_mut() }) else {
            return;
        };
        if !buf.data.is_null() {
            // SAFETY: a non-empty buffer is one `from_bytes` filled from a
            // leaked Vec with exactly these data/len/cap, not yet freed (the
            // contract; freeing resets it to empty, so a second free is a
            // no-op).
            drop(unsafe { Vec::from_raw_parts(buf.data, buf.len, buf.cap) });
        }
        *buf = zizq_buf::empty();
    })
}
