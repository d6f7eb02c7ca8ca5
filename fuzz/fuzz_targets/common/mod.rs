//! Helpers shared by the fuzz targets.

use bytes::Bytes;
use zizq::codec::{self, Format};
use zizq::error::Status;
use zizq::ffi::client::zizq_format;
use zizq::ffi::error::{zizq_error, zizq_error_free, zizq_error_status};
use zizq::ffi::parser::{
    zizq_frames, zizq_frames_free, zizq_frames_get, zizq_frames_len, zizq_parser_feed,
    zizq_parser_finish, zizq_parser_free, zizq_parser_new,
};
use zizq::stream::FrameParser;
use zizq::take::Job;

/// Cut `data` into chunks of 1 to 16 bytes, their sizes drawn from `seed`.
pub fn chunks(data: &[u8], seed: u8) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let mut state = u32::from(seed) | 1;
    let mut rest = data;
    while !rest.is_empty() {
        state = state.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        let n = (1 + (state >> 16) as usize % 16).min(rest.len());
        let (head, tail) = rest.split_at(n);
        out.push(head);
        rest = tail;
    }
    out
}

/// What a `FrameParser` made of a stream.
#[derive(Debug, PartialEq)]
pub struct Outcome {
    pub frames: Vec<Bytes>,
    /// The framing error that stopped it, if any.
    pub error: Option<Status>,
    /// `finish` after the last chunk (or after the error).
    pub finish: Option<Status>,
}

/// Feed `chunks` to a `FrameParser`, taking every frame after each chunk,
/// and check what every frame must be.
pub fn frame(format: Format, max_frame: usize, chunks: &[&[u8]]) -> Outcome {
    let mut parser = FrameParser::new(format, max_frame);
    let mut frames = Vec::new();
    let mut error = None;
    'feed: for chunk in chunks {
        parser.feed(chunk);
        loop {
            match parser.next_frame() {
                Ok(Some(frame)) => {
                    assert!(!frame.is_empty(), "heartbeats are skipped");
                    assert!(frame.len() <= max_frame, "frame over the maximum");
                    if format == Format::Json {
                        assert!(!frame.contains(&b'\n'));
                        assert!(!frame[0].is_ascii_whitespace());
                        assert!(!frame[frame.len() - 1].is_ascii_whitespace());
                    }
                    // The take stream's reading of a job frame.
                    let _ = Job::from_frame(format, frame.clone());
                    frames.push(frame);
                }
                Ok(None) => break,
                Err(err) => {
                    assert_eq!(
                        parser.next_frame().map_err(|e| e.status).err(),
                        Some(err.status),
                        "failure is sticky"
                    );
                    error = Some(err.status);
                    break 'feed;
                }
            }
        }
    }
    let finish = parser.finish().err().map(|e| e.status);
    if error.is_some() {
        assert_eq!(finish, error, "finish reports the framing error");
    }
    Outcome {
        frames,
        error,
        finish,
    }
}

/// The same stream through the exported `zizq_parser_*` functions, which
/// also check each frame: they must hand over the frames up to the first
/// malformed one, then report the first failure.
pub fn check_exported_parser(format: Format, max_frame: usize, chunks: &[&[u8]], rust: &Outcome) {
    let valid = rust
        .frames
        .iter()
        .take_while(|f| codec::validate(format, f).is_ok())
        .count();
    let expected_failure = if valid < rust.frames.len() {
        Some(Status::ZIZQ_E_DECODE)
    } else {
        rust.error.or(rust.finish)
    };
    let format_arg = zizq_format::from(format) as i32;
    unsafe {
        let mut parser = std::ptr::null_mut();
        let mut err: *mut zizq_error = std::ptr::null_mut();
        assert_eq!(
            zizq_parser_new(format_arg, max_frame, &mut parser, &mut err),
            Status::ZIZQ_OK
        );
        let mut got: Vec<Vec<u8>> = Vec::new();
        let mut failure = None;
        for chunk in chunks {
            let mut out: *mut zizq_frames = std::ptr::null_mut();
            let status = zizq_parser_feed(parser, chunk.as_ptr(), chunk.len(), &mut out, &mut err);
            if status != Status::ZIZQ_OK {
                assert_eq!(zizq_error_status(err), status);
                zizq_error_free(err);
                err = std::ptr::null_mut();
                assert!(out.is_null());
                failure = Some(status);
                break;
            }
            for i in 0..zizq_frames_len(out) {
                let (mut data, mut len) = (std::ptr::null(), 0usize);
                assert_eq!(
                    zizq_frames_get(out, i, &mut data, &mut len),
                    Status::ZIZQ_OK
                );
                got.push(std::slice::from_raw_parts(data, len).to_vec());
            }
            zizq_frames_free(out);
        }
        let finish = zizq_parser_finish(parser, &mut err);
        if finish != Status::ZIZQ_OK {
            zizq_error_free(err);
        }
        zizq_parser_free(parser);
        let finish = (finish != Status::ZIZQ_OK).then_some(finish);
        if let Some(status) = failure {
            assert_eq!(Some(status), expected_failure);
        }
        assert_eq!(finish, expected_failure);
        assert_eq!(got.len(), valid);
        for (a, b) in got.iter().zip(&rust.frames) {
            assert_eq!(&a[..], &b[..]);
        }
    }
}

/// The whole check of one stream input: byte 0 picks the maximum frame
/// size (small, so that the limit is reached), byte 1 the chunking.
pub fn check_stream(format: Format, data: &[u8]) {
    let [size, seed, stream @ ..] = data else {
        return;
    };
    let max_frame = 1 + usize::from(*size) * 4;
    let whole = frame(format, max_frame, &[stream]);
    let pieces = chunks(stream, *seed);
    let chunked = frame(format, max_frame, &pieces);
    assert_eq!(whole, chunked, "the chunking changed the frames");
    check_exported_parser(format, max_frame, &pieces, &whole);
}
