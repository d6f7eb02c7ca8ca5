//! Incremental framing of the take stream: NDJSON lines or 4-byte big-endian
//! length-prefixed MessagePack maps. Heartbeats (empty lines, zero-length
//! frames) are skipped. Memory stays bounded: a frame longer than the
//! configured maximum is rejected instead of buffered.
//!
//! The same parser serves the take stream, the worker and the exported
//! `zizq_parser_*` functions the shims use for `parse_ndjson` /
//! `parse_msgpack_stream`.

use crate::codec::Format;
use crate::error::{Error, Result, Status};
use bytes::{Buf, Bytes, BytesMut};

/// Default largest accepted stream frame (64 MiB); see `max_frame_bytes`.
pub const ZIZQ_DEFAULT_MAX_FRAME: usize = 64 * 1024 * 1024;

pub struct FrameParser {
    format: Format,
    buf: BytesMut,
    max_frame: usize,
    /// NDJSON: bytes of `buf` already searched for a newline.
    scanned: usize,
    /// Sticky failure: once the framing is broken the stream cannot resync.
    failed: Option<Error>,
}

impl FrameParser {
    pub fn new(format: Format, max_frame: usize) -> Self {
        FrameParser {
            format,
            buf: BytesMut::new(),
            max_frame: max_frame.max(1),
            scanned: 0,
            failed: None,
        }
    }

    pub fn format(&self) -> Format {
        self.format
    }

    pub fn feed(&mut self, data: &[u8]) {
        self.buf.extend_from_slice(data);
    }

    /// Next complete frame (heartbeats skipped), or `None` if more bytes are needed.
    pub fn next_frame(&mut self) -> Result<Option<Bytes>> {
        if let Some(err) = &self.failed {
            return Err(err.clone());
        }
        let result = match self.format {
            Format::Json => self.next_line(),
            Format::Msgpack => self.next_prefixed(),
        };
        if let Err(err) = &result {
            self.failed = Some(err.clone());
        }
        result
    }

    /// Call at end of input: leftover bytes mean the last frame was truncated.
    pub fn finish(&self) -> Result<()> {
        if let Some(err) = &self.failed {
            return Err(err.clone());
        }
        let leftover = match self.format {
            Format::Json => self.buf.iter().any(|b| !b.is_ascii_whitespace()),
            Format::Msgpack => !self.buf.is_empty(),
        };
        if leftover {
            Err(Error::new(
                Status::ZIZQ_E_STREAM,
                format!(
                    "stream ended inside a frame ({} bytes of a truncated frame)",
                    self.buf.len()
                ),
            ))
        } else {
            Ok(())
        }
    }

    /// Bytes held for an incomplete frame.
    pub fn buffered(&self) -> usize {
        self.buf.len()
    }

    fn too_large(&self, len: usize) -> Error {
        Error::new(
            Status::ZIZQ_E_FRAME_TOO_LARGE,
            format!(
                "stream frame of {len} bytes exceeds the maximum of {} bytes",
                self.max_frame
            ),
        )
    }

    fn next_line(&mut self) -> Result<Option<Bytes>> {
        loop {
            let Some(pos) = memchr(b'\n', &self.buf[self.scanned..]) else {
                self.scanned = self.buf.len();
                if self.buf.len() > self.max_frame {
                    return Err(self.too_large(self.buf.len()));
                }
                return Ok(None);
            };
            let end = self.scanned + pos;
            self.scanned = 0;
            if end > self.max_frame {
                return Err(self.too_large(end));
            }
            let mut line = self.buf.split_to(end + 1).freeze();
            let trimmed = trim(&line);
            if trimmed.is_empty() {
                continue; // heartbeat
            }
            let start = trimmed.as_ptr() as usize - line.as_ptr() as usize;
            let len = trimmed.len();
            line.advance(start);
            line.truncate(len);
            return Ok(Some(line));
        }
    }

    fn next_prefixed(&mut self) -> Result<Option<Bytes>> {
        loop {
            if self.buf.len() < 4 {
                return Ok(None);
            }
            let len =
                u32::from_be_bytes([self.buf[0], self.buf[1], self.buf[2], self.buf[3]]) as usize;
            if len == 0 {
                self.buf.advance(4); // heartbeat
                continue;
            }
            if len > self.max_frame {
                return Err(self.too_large(len));
            }
            if self.buf.len() < 4 + len {
                self.buf.reserve(4 + len - self.buf.len());
                return Ok(None);
            }
            self.buf.advance(4);
            return Ok(Some(self.buf.split_to(len).freeze()));
        }
    }
}

fn memchr(needle: u8, haystack: &[u8]) -> Option<usize> {
    haystack.iter().position(|&b| b == needle)
}

fn trim(bytes: &[u8]) -> &[u8] {
    let start = bytes
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(bytes.len());
    let end = bytes
        .iter()
        .rposition(|b| !b.is_ascii_whitespace())
        .map_or(start, |p| p + 1);
    &bytes[start..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn drain(p: &mut FrameParser) -> Vec<Vec<u8>> {
        let mut out = vec![];
        while let Some(f) = p.next_frame().unwrap() {
            out.push(f.to_vec());
        }
        out
    }

    #[test]
    fn ndjson_split_across_chunks_with_heartbeats() {
        let mut p = FrameParser::new(Format::Json, 1024);
        p.feed(b"\n{\"a\":");
        assert!(drain(&mut p).is_empty());
        p.feed(b"1}\r\n\n{\"b\":2}\n{\"c\"");
        assert_eq!(
            drain(&mut p),
            vec![b"{\"a\":1}".to_vec(), b"{\"b\":2}".to_vec()]
        );
        assert!(p.finish().is_err());
        p.feed(b":3}\n");
        assert_eq!(drain(&mut p), vec![b"{\"c\":3}".to_vec()]);
        assert!(p.finish().is_ok());
    }

    #[test]
    fn msgpack_frames_byte_by_byte() {
        let mut stream = vec![0, 0, 0, 0, 0, 0, 0, 2, 0x81, 0x01];
        stream.extend_from_slice(&[0, 0, 0, 1, 0xc0]);
        let mut p = FrameParser::new(Format::Msgpack, 1024);
        let mut frames = vec![];
        for b in stream {
            p.feed(&[b]);
            frames.extend(drain(&mut p));
        }
        assert_eq!(frames, vec![vec![0x81, 0x01], vec![0xc0]]);
        assert!(p.finish().is_ok());
    }

    #[test]
    fn oversized_frames_are_rejected() {
        let mut p = FrameParser::new(Format::Msgpack, 16);
        p.feed(&[0, 0, 1, 0]);
        let err = p.next_frame().unwrap_err();
        assert_eq!(err.status, Status::ZIZQ_E_FRAME_TOO_LARGE);
        assert!(p.next_frame().is_err(), "failure is sticky");

        let mut p = FrameParser::new(Format::Json, 8);
        p.feed(b"0123456789");
        assert_eq!(
            p.next_frame().unwrap_err().status,
            Status::ZIZQ_E_FRAME_TOO_LARGE
        );
    }

    #[test]
    fn truncated_msgpack_frame_reported_at_finish() {
        let mut p = FrameParser::new(Format::Msgpack, 1024);
        p.feed(&[0, 0, 0, 5, 1, 2]);
        assert!(p.next_frame().unwrap().is_none());
        assert_eq!(p.finish().unwrap_err().status, Status::ZIZQ_E_STREAM);
    }
}
