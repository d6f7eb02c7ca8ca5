//! Header section: Clients: create, derive, cancel, close, free.
//!
//! Client handles: create, inspect, close, free.

use super::error::zizq_error;
use super::{
    borrow, boundary, bytes_arg, free_handle, handle, infallible, live_handle, new_handle, out_arg,
    str_arg, write_buf, zizq_buf, Handle, Out,
};
use crate::client::{Client, ClientOptions};
use crate::codec::Format;
use crate::error::{zizq_status, Result};
use crate::runtime;
use std::ffi::c_char;

/// A document format: of a client's wire and documents, of a parser, of a
/// transcoding.
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum zizq_format {
    /// Not a document: only `zizq_error_body_format` returns it (for an
    /// absent, empty or text body); refused wherever a format is expected.
    ZIZQ_FORMAT_NONE = 0,
    ZIZQ_FORMAT_JSON = 1,
    ZIZQ_FORMAT_MSGPACK = 2,
}

impl From<Format> for zizq_format {
    fn from(f: Format) -> Self {
        match f {
            Format::Json => zizq_format::ZIZQ_FORMAT_JSON,
            Format::Msgpack => zizq_format::ZIZQ_FORMAT_MSGPACK,
        }
    }
}

/// A connection to one Zizq server. Thread safe: share one client between
/// all threads of a process. Created by `zizq_client_new`, closed by
/// `zizq_client_close`, released by `zizq_client_free`.
pub struct zizq_client {
    pub(crate) client: Client,
    pub(crate) generation: u64,
}

impl Handle for zizq_client {
    fn generation(&self) -> Option<u64> {
        Some(self.generation)
    }
}

/// Borrow a client argument that belongs to this process.
///
/// # Safety
/// `ptr` must be NULL or a client not yet freed, for `'a`.
pub(crate) unsafe fn client_arg<'a>(ptr: *const zizq_client) -> Result<&'a Client> {
    // SAFETY: the same contract as ours.
    Ok(&unsafe { live_handle(ptr, "client") }?.client)
}

/// Create a client for the server at `url` (e.g. `"http://127.0.0.1:7890"`;
/// `https://` enables TLS).
///
/// `options` is a JSON object (may be NULL/empty for defaults):
/// `format` (`"msgpack"` default, or `"json"`): what the client speaks to the
/// server; `documents` (default: as `format`): the encoding of every document
/// passed to and returned by this client (options documents, arguments,
/// results, jobs), so a host with only a JSON library can pass JSON to a
/// client that speaks MessagePack on the wire, libzizq converting (only
/// `zizq_request` sends and returns bytes as given); `read_timeout_ms` (30000);
/// `stream_idle_timeout_ms` (30000); `connect_timeout_ms` (10000);
/// `keepalive_interval_ms` and `keepalive_timeout_ms` (both `read_timeout_ms`
/// by default): a request connection silent for the interval, idle or not,
/// is sent an HTTP/2 PING and closed if the answer takes longer than the
/// timeout (a request that times out retires its connection at once);
/// `connections` (1): HTTP/2 connections shared by requests; `http2` (true);
/// `max_frame_bytes` (64 MiB): largest accepted stream frame;
/// `tls`: `{ca_pem | ca_file, client_cert_pem | client_cert_file,
/// client_key_pem | client_key_file}` (PEM text or file paths), or `ca`,
/// `client_cert`, `client_key`: PEM text when it holds `-----BEGIN`, else
/// a file path; `log_level` (`"info"`): the least level of the events kept
/// for `zizq_client_next_events` (`"debug"`, `"info"`, `"warn"`, `"error"`,
/// or `"off"` for none).
///
/// Nothing connects yet: the first request opens the connection. On success
/// `*out` receives the client.
/// # Safety
/// Any pointer may be NULL; otherwise `url` is NUL-terminated, `options` holds
/// `options_len` readable bytes, `out` and `err` are writable.
#[no_mangle]
pub unsafe extern "C" fn zizq_client_new(
    url: *const c_char,
    options: *const u8,
    options_len: usize,
    out: *mut *mut zizq_client,
    err: *mut *mut zizq_error,
) -> zizq_status {
    boundary(err, || {
        // SAFETY: `url` is NULL or a NUL-terminated string, `options` NULL or
        // `options_len` readable bytes (# Safety above).
        let (url, options) = unsafe {
            (
                str_arg(url, "url")?,
                bytes_arg(options, options_len, "options")?,
            )
        };
        let options = ClientOptions::from_json(options)?;
        // SAFETY: `out` is NULL or writable (# Safety above).
        let out = unsafe { out_arg(out, "out") }?;
        let generation = runtime::generation();
        // Make sure the runtime exists before any call needs it.
        runtime::runtime()?;
        let client = Client::new(url, options)?;
        new_handle(out, zizq_client { client, generation });
        Ok(())
    })
}

/// Close the client: every call in progress on it (in any thread) returns
/// `ZIZQ_E_CLOSED` promptly, its take streams and workers stop, connections
/// are dropped, and later calls return `ZIZQ_E_CLOSED`. Never blocks.
/// Idempotent. The handle stays valid until `zizq_client_free`.
/// Returns `ZIZQ_OK`, or `ZIZQ_E_NULL_ARG` for NULL; in a fork child it does
/// nothing. No `err` argument: those statuses say all there is to say.
/// # Safety
/// `client` is NULL or a live client.
#[no_mangle]
pub unsafe extern "C" fn zizq_client_close(client: *const zizq_client) -> zizq_status {
    boundary(std::ptr::null_mut(), || {
        // SAFETY: `client` is NULL or a live client (# Safety above).
        let client = unsafe { handle(client, "client") }?;
        if runtime::check_fork(client.generation).is_ok() {
            client.client.close();
        }
        Ok(())
    })
}

/// Release the handle. Call it once, after every other call on this client
/// has returned. NULL is ignored. Take streams and workers created from it
/// hold their own reference and keep working until they are freed; the
/// connections close when nothing uses them any more. Freeing a deferred
/// client (`zizq_client_defer`) cancels its running calls.
/// # Safety
/// `client` may be NULL; otherwise it is a live client, used by no other call
/// during or after this one.
#[no_mangle]
pub unsafe extern "C" fn zizq_client_free(client: *mut zizq_client) {
    // SAFETY: `client` is NULL or a client given up by the caller.
    unsafe {
        // The running calls of a deferred client are its own: they stop
        // with it rather than finish for a handle nobody holds.
        if let Some(c) = borrow(client) {
            if c.client.is_deferred() && runtime::check_fork(c.generation).is_ok() {
                c.client.cancel();
            }
        }
        free_handle(client)
    }
}

/// A new handle that shares `client`'s connections and options but has its
/// own cancellation scope: `zizq_client_cancel` on it interrupts only the
/// calls made through it (e.g. one per Go context or per request). Closing
/// `client` closes it too. Release it with `zizq_client_free`.
/// # Safety
/// Any pointer may be NULL; otherwise `client` is a live client, `out` and
/// `err` are writable.
#[no_mangle]
pub unsafe extern "C" fn zizq_client_derive(
    client: *const zizq_client,
    out: *mut *mut zizq_client,
    err: *mut *mut zizq_error,
) -> zizq_status {
    boundary(err, || {
        // SAFETY: `client` is NULL or a live client (# Safety above).
        let parent = unsafe { live_handle(client, "client") }?;
        let derived = parent.client.derive();
        // SAFETY: `out` is NULL or writable (# Safety above).
        let out = unsafe { out_arg(out, "out") }?;
        new_handle(
            out,
            zizq_client {
                client: derived,
                generation: parent.generation,
            },
        );
        Ok(())
    })
}

/// Interrupt the calls in progress through this handle, from any thread:
/// they return `ZIZQ_E_CANCELLED` promptly. Later calls run normally. Take
/// streams and workers are not affected (close them instead).
/// Returns `ZIZQ_OK`, `ZIZQ_E_NULL_ARG` for NULL or `ZIZQ_E_FORKED` in a
/// fork child. No `err` argument: those statuses say all there is to say.
/// # Safety
/// `client` is NULL or a live client.
#[no_mangle]
pub unsafe extern "C" fn zizq_client_cancel(client: *const zizq_client) -> zizq_status {
    boundary(std::ptr::null_mut(), || {
        // SAFETY: `client` is NULL or a live client (# Safety above).
        unsafe { client_arg(client) }?.cancel();
        Ok(())
    })
}

/// End every take stream of this client (opened through it or any handle
/// derived from it), including those still connecting, and keep the client
/// usable (the Ruby client's `cleanup_internal_clients`). A waiting
/// `zizq_take_next` returns `ZIZQ_E_CLOSED`, `zizq_take_jobs` returns;
/// workers are not affected. Any thread.
/// Returns `ZIZQ_OK`, `ZIZQ_E_NULL_ARG` for NULL or `ZIZQ_E_FORKED` in a
/// fork child. No `err` argument: those statuses say all there is to say.
/// # Safety
/// `client` is NULL or a live client.
#[no_mangle]
pub unsafe extern "C" fn zizq_client_close_streams(client: *const zizq_client) -> zizq_status {
    boundary(std::ptr::null_mut(), || {
        // SAFETY: `client` is NULL or a live client (# Safety above).
        unsafe { client_arg(client) }?.close_streams();
        Ok(())
    })
}

/// The client's wire format.
/// # Safety
/// `client` is NULL or a live client.
#[no_mangle]
pub unsafe extern "C" fn zizq_client_format(client: *const zizq_client) -> zizq_format {
    infallible(zizq_format::ZIZQ_FORMAT_MSGPACK, || {
        // SAFETY: `client` is NULL or a live client (# Safety above).
        unsafe { borrow(client) }.map_or(zizq_format::ZIZQ_FORMAT_MSGPACK, |c| {
            c.client.format().into()
        })
    })
}

/// The format of the documents the client takes and returns (its
/// `documents` option; by default its wire format).
/// # Safety
/// `client` is NULL or a live client.
#[no_mangle]
pub unsafe extern "C" fn zizq_client_document_format(client: *const zizq_client) -> zizq_format {
    infallible(zizq_format::ZIZQ_FORMAT_MSGPACK, || {
        // SAFETY: `client` is NULL or a live client (# Safety above).
        unsafe { borrow(client) }.map_or(zizq_format::ZIZQ_FORMAT_MSGPACK, |c| {
            c.client.documents().into()
        })
    })
}

/// The normalised base URL (no trailing `/`), as UTF-8 bytes in `*out`.
/// # Safety
/// Any pointer may be NULL; otherwise `client` is a live client, `out` and
/// `err` are writable.
#[no_mangle]
pub unsafe extern "C" fn zizq_client_url(
    client: *const zizq_client,
    out: *mut zizq_buf,
    err: *mut *mut zizq_error,
) -> zizq_status {
    boundary(err, || {
        // SAFETY: `client` is NULL or a live client, `out` NULL or writable
        // (# Safety above).
        let (client, out) = unsafe { (handle(client, "client")?, out_arg(out, "out")?) };
        write_buf(out, client.client.base_url().into_bytes().into());
        Ok(())
    })
}

/// Export body for calls that answer a document in `*out`. On a deferred
/// client the call starts instead (`ZIZQ_PENDING`) and `out` is not used: it
/// may be NULL.
///
/// # Safety
/// `client` must be NULL or a client not yet freed; `out` and `err` NULL or
/// writable.
pub(crate) unsafe fn call_buf(
    client: *const zizq_client,
    out: *mut zizq_buf,
    err: *mut *mut zizq_error,
    op: impl FnOnce(&Client) -> Result<bytes::Bytes>,
) -> zizq_status {
    boundary(err, || {
        // SAFETY: the pointers are valid or NULL by our contract.
        let client = unsafe { client_arg(client) }?;
        // SAFETY: `out` is NULL or writable by our contract.
        let out = unsafe { result_arg(client, out) }?;
        let bytes = client.run(op)?;
        write_buf(out.expect("a blocking call has its output"), bytes);
        Ok(())
    })
}

/// Export body for calls that answer a count in `*out`.
///
/// # Safety
/// As for [`call_buf`].
pub(crate) unsafe fn call_count(
    client: *const zizq_client,
    out: *mut i64,
    err: *mut *mut zizq_error,
    op: impl FnOnce(&Client) -> Result<i64>,
) -> zizq_status {
    boundary(err, || {
        // SAFETY: the pointers are valid or NULL by our contract.
        let client = unsafe { client_arg(client) }?;
        // SAFETY: `out` is NULL or writable by our contract.
        let out = unsafe { result_arg(client, out) }?;
        let count = client.run(op)?;
        out.expect("a blocking call has its output").write(count);
        Ok(())
    })
}

/// Export body for calls that answer nothing.
///
/// # Safety
/// `client` must be NULL or a client not yet freed; `err` NULL or writable.
pub(crate) unsafe fn call_unit(
    client: *const zizq_client,
    err: *mut *mut zizq_error,
    op: impl FnOnce(&Client) -> Result<()>,
) -> zizq_status {
    // SAFETY: `client` is valid or NULL by our contract.
    boundary(err, || unsafe { client_arg(client) }?.run(op))
}

/// The output argument of a call: required on a blocking client, unused
/// (None) on a deferred one, whose result comes as a completion.
///
/// # Safety
/// As for [`out_arg`].
pub(crate) unsafe fn result_arg<'a, T>(client: &Client, out: *mut T) -> Result<Option<Out<'a, T>>> {
    if client.is_deferred() {
        return Ok(None);
    }
    // SAFETY: the same contract as ours.
    Ok(Some(unsafe { out_arg(out, "out") }?))
}
