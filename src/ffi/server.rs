//! Header section: Server: health, version, queues, reset, page links, any request.
//!
//! Server-level operations, page links and the generic request.

use super::client::{call_buf, call_unit, client_arg, result_arg, zizq_client};
use super::error::zizq_error;
use super::{boundary, bytes_arg, str_arg, write_buf, zizq_buf};
use crate::api::server;
use crate::error::zizq_status;
use std::ffi::c_char;

/// `*out`: `{"status": "ok"}`.
///
/// After an unknown outcome a retry is safe (a read).
/// # Safety
/// Any pointer may be NULL; otherwise `client` is a live client, `out` and
/// `err` are writable.
#[no_mangle]
pub unsafe extern "C" fn zizq_health(
    client: *const zizq_client,
    out: *mut zizq_buf,
    err: *mut *mut zizq_error,
) -> zizq_status {
    // SAFETY: `client`, `out` and `err` are valid or NULL as `call_buf` requires (# Safety
    // above).
    unsafe { call_buf(client, out, err, server::health) }
}

/// `*out`: `{"version": "<semver>"}`.
///
/// After an unknown outcome a retry is safe (a read).
/// # Safety
/// Any pointer may be NULL; otherwise `client` is a live client, `out` and
/// `err` are writable.
#[no_mangle]
pub unsafe extern "C" fn zizq_server_version(
    client: *const zizq_client,
    out: *mut zizq_buf,
    err: *mut *mut zizq_error,
) -> zizq_status {
    // SAFETY: `client`, `out` and `err` are valid or NULL as `call_buf` requires (# Safety
    // above).
    unsafe { call_buf(client, out, err, server::server_version) }
}

/// `*out`: `{"queues": [names]}`.
///
/// After an unknown outcome a retry is safe (a read).
/// # Safety
/// Any pointer may be NULL; otherwise `client` is a live client, `out` and
/// `err` are writable.
#[no_mangle]
pub unsafe extern "C" fn zizq_get_queues(
    client: *const zizq_client,
    out: *mut zizq_buf,
    err: *mut *mut zizq_error,
) -> zizq_status {
    // SAFETY: `client`, `out` and `err` are valid or NULL as `call_buf` requires (# Safety
    // above).
    unsafe { call_buf(client, out, err, server::get_queues) }
}

/// Delete every cron group and every job on the server (`POST /reset`).
///
/// After an unknown outcome a retry is safe.
/// # Safety
/// Any pointer may be NULL; otherwise `client` is a live client, `err` is
/// writable.
#[no_mangle]
pub unsafe extern "C" fn zizq_erase_all_data(
    client: *const zizq_client,
    err: *mut *mut zizq_error,
) -> zizq_status {
    // SAFETY: `client` and `err` are valid or NULL as `call_unit` requires (# Safety
    // above).
    unsafe { call_unit(client, err, server::erase_all_data) }
}

/// GET a server path, typically a `pages.next`/`pages.prev` link, and
/// return the document. A URL pointing at another server is refused
/// (`ZIZQ_E_INVALID_ARG`).
///
/// After an unknown outcome a retry is safe (a read).
/// # Safety
/// Any pointer may be NULL; otherwise `client` is a live client, `path` is NUL-
/// terminated, `out` and `err` are writable.
#[no_mangle]
pub unsafe extern "C" fn zizq_get_path(
    client: *const zizq_client,
    path: *const c_char,
    out: *mut zizq_buf,
    err: *mut *mut zizq_error,
) -> zizq_status {
    // SAFETY: `client`, `out` and `err` are valid or NULL as `call_buf` requires; `path`
    // NULL or a NUL-terminated string (# Safety above).
    unsafe {
        call_buf(client, out, err, |c| {
            server::get_path(c, str_arg(path, "path")?)
        })
    }
}

/// Send any request. `method`: e.g. `"GET"`; `path`: starting with `/`,
/// query included; `body` may be NULL (no body; otherwise it is sent with the
/// client's content type). On success (any HTTP answer) `*http_status`
/// receives the status and `*out` the raw body; only transport failures are
/// errors.
///
/// After an unknown outcome a retry counts as safe (retryable) for every
/// method but POST, which could create something twice. On a deferred client
/// `http_status` and `out` are not used (the completion carries both).
/// # Safety
/// Any pointer may be NULL; otherwise `client` is a live client, `method` is
/// NUL-terminated, `path` is NUL-terminated, `body` holds `body_len` readable
/// bytes, `http_status`, `out` and `err` are writable.
#[no_mangle]
pub unsafe extern "C" fn zizq_request(
    client: *const zizq_client,
    method: *const c_char,
    path: *const c_char,
    body: *const u8,
    body_len: usize,
    http_status: *mut u16,
    out: *mut zizq_buf,
    err: *mut *mut zizq_error,
) -> zizq_status {
    boundary(err, || {
        // SAFETY: `client` is NULL or a live client, `method` and `path` NULL
        // or NUL-terminated strings, `body` NULL or `body_len` readable bytes,
        // `http_status` and `out` NULL or writable (# Safety above).
        let client = unsafe { client_arg(client) }?;
        // SAFETY: as above.
        let (method, path, body, http_status, out) = unsafe {
            (
                str_arg(method, "method")?,
                str_arg(path, "path")?,
                if body.is_null() {
                    None
                } else {
                    Some(bytes::Bytes::copy_from_slice(bytes_arg(
                        body, body_len, "body",
                    )?))
                },
                result_arg(client, http_status)?,
                result_arg(client, out)?,
            )
        };
        let (status, reply) = client.run(|c| server::request(c, method, path, body))?;
        let blocking = "a blocking call has its outputs";
        http_status.expect(blocking).write(status);
        write_buf(out.expect(blocking), reply);
        Ok(())
    })
}
