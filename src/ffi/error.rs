//! Header section: Error objects.
//!
//! The error object handed to C callers through `zizq_error **err`.

use super::client::zizq_format;
use super::{borrow, free_handle, infallible, Handle};
use crate::error::{zizq_status, Error};
use std::ffi::{c_char, CString};

/// Details of a failed call. Created by libzizq, released with
/// `zizq_error_free`. Immutable: it may be read from any thread.
pub struct zizq_error {
    error: Error,
    message: CString,
}

impl zizq_error {
    pub(crate) fn new(error: Error) -> zizq_error {
        let message = CString::new(error.message.replace('\0', " ")).unwrap_or_default();
        zizq_error { error, message }
    }
}

impl Handle for zizq_error {}

/// The status of the failed call.
/// `ZIZQ_E_NULL_ARG` for NULL. It reads an error object, so it takes no
/// `err` argument.
/// # Safety
/// `err` is NULL or a live error object.
#[no_mangle]
pub unsafe extern "C" fn zizq_error_status(err: *const zizq_error) -> zizq_status {
    infallible(zizq_status::ZIZQ_E_NULL_ARG, || {
        // SAFETY: `err` is NULL or a live error object (# Safety above).
        unsafe { borrow(err) }.map_or(zizq_status::ZIZQ_E_NULL_ARG, |e| e.error.status)
    })
}

/// HTTP status of the server's answer, or 0 when no answer was received.
/// # Safety
/// `err` is NULL or a live error object.
#[no_mangle]
pub unsafe extern "C" fn zizq_error_http_status(err: *const zizq_error) -> u16 {
    infallible(0, || {
        // SAFETY: `err` is NULL or a live error object (# Safety above).
        unsafe { borrow(err) }.map_or(0, |e| e.error.http_status)
    })
}

/// Human-readable message (the server's `error` text for HTTP errors).
/// NUL-terminated UTF-8, valid until `zizq_error_free`. Never NULL.
/// # Safety
/// `err` is NULL or a live error object.
#[no_mangle]
pub unsafe extern "C" fn zizq_error_message(err: *const zizq_error) -> *const c_char {
    infallible(c"".as_ptr(), || {
        // SAFETY: `err` is NULL or a live error object (# Safety above).
        unsafe { borrow(err) }.map_or(c"".as_ptr(), |e| e.message.as_ptr())
    })
}

/// Raw body of the server's answer (JSON, MessagePack or text as sent), or
/// NULL when there was none. `*len` receives its length (0 for NULL).
/// Valid until `zizq_error_free`.
/// # Safety
/// Any pointer may be NULL; otherwise `err` is a live error object, `len` is
/// writable.
#[no_mangle]
pub unsafe extern "C" fn zizq_error_body(err: *const zizq_error, len: *mut usize) -> *const u8 {
    infallible(std::ptr::null(), || {
        // SAFETY: `err` is NULL or a live error object (# Safety above).
        let body = unsafe { borrow(err) }.and_then(|e| e.error.body.as_ref());
        // SAFETY: `len` is NULL or writable (# Safety above).
        if let Ok(len) = unsafe { super::out_arg(len, "len") } {
            len.write(body.map_or(0, |b| b.len()));
        }
        body.map_or(std::ptr::null(), |b| b.as_ptr())
    })
}

/// The format of `zizq_error_body`: `ZIZQ_FORMAT_JSON` or
/// `ZIZQ_FORMAT_MSGPACK` when the body is a document in that format (the
/// response's content type is believed first; the server answers some
/// refusals in a format other than the one asked for), `ZIZQ_FORMAT_NONE`
/// when there is no body or it is text. NULL gives `ZIZQ_FORMAT_NONE`.
/// # Safety
/// `err` is NULL or a live error object.
#[no_mangle]
pub unsafe extern "C" fn zizq_error_body_format(err: *const zizq_error) -> zizq_format {
    infallible(zizq_format::ZIZQ_FORMAT_NONE, || {
        // SAFETY: `err` is NULL or a live error object (# Safety above).
        unsafe { borrow(err) }
            .and_then(|e| e.error.body_format)
            .map_or(zizq_format::ZIZQ_FORMAT_NONE, zizq_format::from)
    })
}

/// Whether retrying this same call is safe and could succeed.
///
/// True when nothing was acted on and the cause may pass: connection
/// refused, DNS, connect or TLS handshake failures, a request that was never
/// written, a timeout before the request was sent, 5xx answers (503...), and
/// 408 and 429. True also when the outcome is unknown
/// (`zizq_error_outcome_unknown`) for an operation that is safe to repeat
/// (each function's documentation says which: reads, deletes by id, acks and
/// nacks, updates that set values, cron PUTs). False when the outcome is
/// unknown for an operation a repeat could duplicate (`zizq_enqueue`,
/// `zizq_enqueue_bulk`, `zizq_request` with POST); false for other 4xx
/// answers (404, 400, 422...), argument and decode errors, `ZIZQ_E_CLOSED`
/// and `ZIZQ_E_CANCELLED`. False for NULL.
/// # Safety
/// `err` is NULL or a live error object.
#[no_mangle]
pub unsafe extern "C" fn zizq_error_retryable(err: *const zizq_error) -> bool {
    infallible(false, || {
        // SAFETY: `err` is NULL or a live error object (# Safety above).
        unsafe { borrow(err) }.is_some_and(|e| e.error.retryable())
    })
}

/// Whether the request may have reached the server and no answer says what
/// happened: the connection was lost after the request was written, the
/// read timeout expired while waiting for the answer, or the call was
/// closed or cancelled while the request was in flight. The server may or
/// may not have acted on it. False when an answer was received, when the
/// request was never sent (connection refused, DNS, TLS, argument errors)
/// and for NULL.
/// # Safety
/// `err` is NULL or a live error object.
#[no_mangle]
pub unsafe extern "C" fn zizq_error_outcome_unknown(err: *const zizq_error) -> bool {
    infallible(false, || {
        // SAFETY: `err` is NULL or a live error object (# Safety above).
        unsafe { borrow(err) }.is_some_and(|e| e.error.outcome_unknown())
    })
}

/// Release an error object. NULL is ignored.
/// # Safety
/// `err` may be NULL; otherwise it is a live error object, used by no other
/// call during or after this one.
#[no_mangle]
pub unsafe extern "C" fn zizq_error_free(err: *mut zizq_error) {
    // SAFETY: `err` is NULL or an error object given up by the caller.
    unsafe { free_handle(err) }
}
