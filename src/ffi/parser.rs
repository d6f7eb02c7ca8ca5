//! Header section: Stream parser (NDJSON and length-prefixed MessagePack).
//!
//! The incremental stream parser, exported so shims can offer the seed's
//! `parse_ndjson` / `parse_msgpack_stream` on the core's framing.

use super::client::zizq_format;
use super::error::zizq_error;
use super::{
    borrow, boundary, bytes_arg, free_handle, handle, infallible, new_handle, out_arg, Handle,
};
use crate::codec::{self, Format};
use crate::error::{zizq_status, Error, Status};
use crate::stream::{FrameParser, ZIZQ_DEFAULT_MAX_FRAME};
use bytes::Bytes;
use std::sync::Mutex;

/// An incremental parser of NDJSON (`ZIZQ_FORMAT_JSON`) or length-prefixed
/// MessagePack (`ZIZQ_FORMAT_MSGPACK`) streams. Heartbeats are skipped.
pub struct zizq_parser {
    state: Mutex<ParserState>,
}

struct ParserState {
    parser: FrameParser,
    /// The first error: every later call reports it again.
    failed: Option<Error>,
}

/// Complete frames returned by one `zizq_parser_feed`.
pub struct zizq_frames {
    frames: Vec<Bytes>,
}

impl Handle for zizq_parser {}
impl Handle for zizq_frames {}

/// Create a parser. `format`: a `zizq_format` value. `max_frame`: largest
/// accepted frame in bytes (0 = 64 MiB); a longer frame fails with
/// `ZIZQ_E_FRAME_TOO_LARGE` instead of being buffered.
/// # Safety
/// Any pointer may be NULL; otherwise `out` and `err` are writable.
#[no_mangle]
pub unsafe extern "C" fn zizq_parser_new(
    format: i32,
    max_frame: usize,
    out: *mut *mut zizq_parser,
    err: *mut *mut zizq_error,
) -> zizq_status {
    boundary(err, || {
        let format = match format {
            f if f == zizq_format::ZIZQ_FORMAT_JSON as i32 => Format::Json,
            f if f == zizq_format::ZIZQ_FORMAT_MSGPACK as i32 => Format::Msgpack,
            other => return Err(Error::invalid(format!("unknown format {other}"))),
        };
        // SAFETY: `out` is NULL or writable (# Safety above).
        let out = unsafe { out_arg(out, "out") }?;
        let max = if max_frame == 0 {
            ZIZQ_DEFAULT_MAX_FRAME
        } else {
            max_frame
        };
        new_handle(
            out,
            zizq_parser {
                state: Mutex::new(ParserState {
                    parser: FrameParser::new(format, max),
                    failed: None,
                }),
            },
        );
        Ok(())
    })
}

/// Feed bytes (any chunking). On `ZIZQ_OK`, `*out` receives the frames
/// completed by these bytes, or NULL when none completed. Each frame is one
/// whole document, checked to be well-formed (`ZIZQ_E_DECODE` otherwise).
/// Frames completed before a bad one are handed over first (`ZIZQ_OK`); the
/// error comes with the next call. After an error the parser stays failed:
/// every later feed or finish returns it again.
/// # Safety
/// Any pointer may be NULL; otherwise `parser` is a live parser, `data` holds
/// `len` readable bytes, `out` and `err` are writable.
#[no_mangle]
pub unsafe extern "C" fn zizq_parser_feed(
    parser: *const zizq_parser,
    data: *const u8,
    len: usize,
    out: *mut *mut zizq_frames,
    err: *mut *mut zizq_error,
) -> zizq_status {
    boundary(err, || {
        // SAFETY: `parser` is NULL or a live parser, `data` NULL or `len`
        // readable bytes, `out` NULL or writable (# Safety above).
        let (parser, data, out) = unsafe {
            (
                handle(parser, "parser")?,
                bytes_arg(data, len, "data")?,
                out_arg(out, "out")?,
            )
        };
        let mut state = parser.state.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(err) = &state.failed {
            return Err(err.clone());
        }
        let parser = &mut state.parser;
        parser.feed(data);
        let mut frames = Vec::new();
        let failure = loop {
            match parser.next_frame() {
                Ok(Some(frame)) => match codec::validate(parser.format(), &frame) {
                    Ok(()) => frames.push(frame),
                    Err(err) => break Some(err),
                },
                Ok(None) => break None,
                Err(err) => break Some(err),
            }
        };
        if let Some(err) = failure {
            state.failed = Some(err.clone());
            if frames.is_empty() {
                return Err(err);
            }
        }
        if frames.is_empty() {
            out.write(std::ptr::null_mut());
        } else {
            new_handle(out, zizq_frames { frames });
        }
        Ok(())
    })
}

/// Signal the end of input: `ZIZQ_E_STREAM` if bytes of an unfinished frame
/// remain (a truncated final frame).
/// # Safety
/// Any pointer may be NULL; otherwise `parser` is a live parser, `err` is
/// writable.
#[no_mangle]
pub unsafe extern "C" fn zizq_parser_finish(
    parser: *const zizq_parser,
    err: *mut *mut zizq_error,
) -> zizq_status {
    boundary(err, || {
        // SAFETY: `parser` is NULL or a live parser (# Safety above).
        let parser = unsafe { handle(parser, "parser") }?;
        let state = parser.state.lock().unwrap_or_else(|p| p.into_inner());
        match &state.failed {
            Some(err) => Err(err.clone()),
            None => state.parser.finish(),
        }
    })
}

/// Release a parser. NULL is ignored.
/// # Safety
/// `parser` may be NULL; otherwise it is a live parser, used by no other call
/// during or after this one.
#[no_mangle]
pub unsafe extern "C" fn zizq_parser_free(parser: *mut zizq_parser) {
    // SAFETY: `parser` is NULL or a parser given up by the caller.
    unsafe { free_handle(parser) }
}

/// Number of frames (0 for NULL).
/// # Safety
/// `frames` is NULL or a live frames object.
#[no_mangle]
pub unsafe extern "C" fn zizq_frames_len(frames: *const zizq_frames) -> usize {
    infallible(0, || {
        // SAFETY: `frames` is NULL or a live frames object (# Safety above).
        unsafe { borrow(frames) }.map_or(0, |f| f.frames.len())
    })
}

/// Frame `index`: `*data`/`*len` receive its bytes, valid until
/// `zizq_frames_free`.
/// Returns `ZIZQ_OK`, `ZIZQ_E_NULL_ARG` for a NULL argument or
/// `ZIZQ_E_INVALID_ARG` for an index out of range. No `err` argument:
/// those statuses say all there is to say.
/// # Safety
/// Any pointer may be NULL; otherwise `frames` is a live frames object, `data`
/// and `len` are writable.
#[no_mangle]
pub unsafe extern "C" fn zizq_frames_get(
    frames: *const zizq_frames,
    index: usize,
    data: *mut *const u8,
    len: *mut usize,
) -> zizq_status {
    boundary(std::ptr::null_mut(), || {
        // SAFETY: `frames` is NULL or a live frames object, `data` and `len`
        // NULL or writable (# Safety above).
        let (frames, data, len) = unsafe {
            (
                handle(frames, "frames")?,
                out_arg(data, "data")?,
                out_arg(len, "len")?,
            )
        };
        let frame = frames.frames.get(index).ok_or_else(|| {
            Error::new(
                Status::ZIZQ_E_INVALID_ARG,
                format!("frame index {index} out of range"),
            )
        })?;
        data.write(frame.as_ptr());
        len.write(frame.len());
        Ok(())
    })
}

/// Release frames. NULL is ignored.
/// # Safety
/// `frames` may be NULL; otherwise it is a live frames object, used by no other
/// call during or after this one.
#[no_mangle]
pub unsafe extern "C" fn zizq_frames_free(frames: *mut zizq_frames) {
    // SAFETY: `frames` is NULL or a frames object given up by the caller.
    unsafe { free_handle(frames) }
}
