//! Header section: Document helpers: transcoding, reading one value by path.
//!
//! Small document helpers for C programs, which have no JSON or MessagePack
//! library of their own at hand: transcoding, and reading one value by path.

use super::client::zizq_format;
use super::error::zizq_error;
use super::{boundary, bytes_arg, out_arg, str_arg, write_buf, zizq_buf};
use crate::codec::{self, Format};
use crate::error::{zizq_status, Error, Result, Status};
use crate::seek::{seek, Found, Want};
use serde_json::Value;
use std::ffi::c_char;

fn format_arg(format: i32) -> Result<Format> {
    match format {
        f if f == zizq_format::ZIZQ_FORMAT_JSON as i32 => Ok(Format::Json),
        f if f == zizq_format::ZIZQ_FORMAT_MSGPACK as i32 => Ok(Format::Msgpack),
        other => Err(Error::invalid(format!("unknown format {other}"))),
    }
}

/// Find the value (or the length) at `path` in `doc`, skipping the rest.
///
/// # Safety
/// `doc` must be NULL or point to `len` readable bytes, `path` NULL or a
/// NUL-terminated string, both valid for the call.
unsafe fn find(
    format: i32,
    doc: *const u8,
    len: usize,
    path: *const c_char,
    want: Want,
) -> Result<Found> {
    let format = format_arg(format)?;
    // SAFETY: as our contract requires of `doc`, `len` and `path`.
    let (doc, path) = unsafe { (bytes_arg(doc, len, "doc")?, str_arg(path, "path")?) };
    match seek(format, doc, path, want)? {
        Found::Missing => Err(Error::new(
            Status::ZIZQ_E_NOT_FOUND,
            format!("no value at path {path:?}"),
        )),
        found => Ok(found),
    }
}

/// [`find`] for a value.
///
/// # Safety
/// As for [`find`].
unsafe fn find_value(
    format: i32,
    doc: *const u8,
    len: usize,
    path: *const c_char,
) -> Result<Value> {
    // SAFETY: the same contract as ours.
    match unsafe { find(format, doc, len, path, Want::Value) }? {
        Found::Value(value) => Ok(value),
        _ => unreachable!("Want::Value finds a value"),
    }
}

/// Re-encode a document from format `from` to format `to` (`zizq_format`
/// values), e.g. MessagePack to JSON for printing, or JSON written by hand
/// to a MessagePack client's format. With `from == to` the document is
/// checked and copied unchanged.
/// # Safety
/// Any pointer may be NULL; otherwise `doc` holds `doc_len` readable bytes,
/// `out` and `err` are writable.
#[no_mangle]
pub unsafe extern "C" fn zizq_doc_transcode(
    from: i32,
    to: i32,
    doc: *const u8,
    doc_len: usize,
    out: *mut zizq_buf,
    err: *mut *mut zizq_error,
) -> zizq_status {
    boundary(err, || {
        let (from, to) = (format_arg(from)?, format_arg(to)?);
        // SAFETY: `doc` is NULL or `doc_len` readable bytes, `out` NULL or
        // writable (# Safety above).
        let (doc, out) = unsafe { (bytes_arg(doc, doc_len, "doc")?, out_arg(out, "out")?) };
        write_buf(out, codec::reencode(from, to, doc)?.into());
        Ok(())
    })
}

/// Read the string at `path` in `doc` (dotted keys, numeric segments index
/// arrays: `"pages.next"`, `"jobs.0.id"`) into `*out` (UTF-8, no NUL).
/// `ZIZQ_E_NOT_FOUND` if there is nothing at `path`, `ZIZQ_E_INVALID_ARG` if
/// the value is not a string (null included).
/// # Safety
/// Any pointer may be NULL; otherwise `doc` holds `doc_len` readable bytes,
/// `path` is NUL-terminated, `out` and `err` are writable.
#[no_mangle]
pub unsafe extern "C" fn zizq_doc_get_str(
    format: i32,
    doc: *const u8,
    doc_len: usize,
    path: *const c_char,
    out: *mut zizq_buf,
    err: *mut *mut zizq_error,
) -> zizq_status {
    boundary(err, || {
        // SAFETY: `out` is NULL or writable, `doc` NULL or `doc_len`
        // readable bytes, `path` NULL or a NUL-terminated string (# Safety
        // above).
        let (out, value) = unsafe {
            (
                out_arg(out, "out")?,
                find_value(format, doc, doc_len, path)?,
            )
        };
        match value {
            Value::String(s) => {
                write_buf(out, s.into_bytes().into());
                Ok(())
            }
            other => Err(Error::invalid(format!(
                "the value is {}, not a string",
                codec::kind(&other)
            ))),
        }
    })
}

/// Read the integer at `path` in `doc` into `*out`.
/// # Safety
/// Any pointer may be NULL; otherwise `doc` holds `doc_len` readable bytes,
/// `path` is NUL-terminated, `out` and `err` are writable.
#[no_mangle]
pub unsafe extern "C" fn zizq_doc_get_int(
    format: i32,
    doc: *const u8,
    doc_len: usize,
    path: *const c_char,
    out: *mut i64,
    err: *mut *mut zizq_error,
) -> zizq_status {
    boundary(err, || {
        // SAFETY: `out` is NULL or writable, `doc` NULL or `doc_len`
        // readable bytes, `path` NULL or a NUL-terminated string (# Safety
        // above).
        let (out, value) = unsafe {
            (
                out_arg(out, "out")?,
                find_value(format, doc, doc_len, path)?,
            )
        };
        out.write(value.as_i64().ok_or_else(|| {
            Error::invalid(format!(
                "the value is {}, not an integer",
                codec::kind(&value)
            ))
        })?);
        Ok(())
    })
}

/// Number of elements of the array (or entries of the map) at `path`.
/// # Safety
/// Any pointer may be NULL; otherwise `doc` holds `doc_len` readable bytes,
/// `path` is NUL-terminated, `out` and `err` are writable.
#[no_mangle]
pub unsafe extern "C" fn zizq_doc_get_len(
    format: i32,
    doc: *const u8,
    doc_len: usize,
    path: *const c_char,
    out: *mut usize,
    err: *mut *mut zizq_error,
) -> zizq_status {
    boundary(err, || {
        // SAFETY: `out` is NULL or writable, `doc` NULL or `doc_len`
        // readable bytes, `path` NULL or a NUL-terminated string (# Safety
        // above).
        let (out, found) = unsafe {
            (
                out_arg(out, "out")?,
                find(format, doc, doc_len, path, Want::Len)?,
            )
        };
        out.write(match found {
            Found::Len(n) => n,
            Found::NotContainer(kind) => {
                return Err(Error::invalid(format!(
                    "the value is {kind}, not an array or a map"
                )))
            }
            _ => unreachable!("Want::Len finds a length"),
        });
        Ok(())
    })
}
