//! JSON / MessagePack encoding of responses and decoding of request bodies.

use bytes::Bytes;
use serde::de::DeserializeOwned;
use serde::Serialize;

/// Body format of an ordinary request or response.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Json,
    Msgpack,
}

impl Format {
    pub fn content_type(self) -> &'static str {
        match self {
            Format::Json => "application/json",
            Format::Msgpack => "application/msgpack",
        }
    }
}

const FALLBACK_JSON: &[u8] = br#"{"error":"internal server error"}"#;

/// Encode a value; msgpack maps use string keys ("named" encoding).
pub fn encode<T: Serialize + ?Sized>(fmt: Format, value: &T) -> Bytes {
    let out = match fmt {
        Format::Json => serde_json::to_vec(value).map_err(|_| ()),
        Format::Msgpack => rmp_serde::to_vec_named(value).map_err(|_| ()),
    };
    match out {
        Ok(v) => Bytes::from(v),
        Err(()) => match fmt {
            Format::Json => Bytes::from_static(FALLBACK_JSON),
            // fixmap(1) "error" -> "internal server error"
            Format::Msgpack => {
                let mut v = vec![0x81, 0xa5];
                v.extend_from_slice(b"error");
                v.push(0xb5);
                v.extend_from_slice(b"internal server error");
                Bytes::from(v)
            }
        },
    }
}

/// Decode a request body, with the reference server's error prefixes.
pub fn decode<T: DeserializeOwned>(fmt: Format, body: &[u8]) -> Result<T, String> {
    match fmt {
        Format::Json => serde_json::from_slice(body).map_err(|e| format!("invalid JSON: {e}")),
        Format::Msgpack => {
            rmp_serde::from_slice(body).map_err(|e| format!("invalid MessagePack: {e}"))
        }
    }
}

/// Framing of a take stream (§2.6).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StreamFormat {
    Ndjson,
    Msgpack,
    Sse,
}

impl StreamFormat {
    pub fn content_type(self) -> &'static str {
        match self {
            StreamFormat::Ndjson => "application/x-ndjson",
            StreamFormat::Msgpack => "application/vnd.zizq.msgpack-stream",
            StreamFormat::Sse => "text/event-stream",
        }
    }

    /// Heartbeat frame bytes.
    pub fn heartbeat(self) -> Bytes {
        match self {
            StreamFormat::Ndjson => Bytes::from_static(b"\n"),
            StreamFormat::Msgpack => Bytes::from_static(&[0, 0, 0, 0]),
            StreamFormat::Sse => Bytes::from_static(b": heartbeat\n\n"),
        }
    }

    /// A complete job frame.
    pub fn frame<T: Serialize>(self, job: &T) -> Bytes {
        match self {
            StreamFormat::Ndjson => {
                let mut v = encode(Format::Json, job).to_vec();
                v.push(b'\n');
                Bytes::from(v)
            }
            StreamFormat::Msgpack => {
                let body = encode(Format::Msgpack, job);
                let len = u32::try_from(body.len()).unwrap_or(u32::MAX);
                let mut v = Vec::with_capacity(body.len() + 4);
                v.extend_from_slice(&len.to_be_bytes());
                v.extend_from_slice(&body);
                Bytes::from(v)
            }
            StreamFormat::Sse => {
                let body = encode(Format::Json, job);
                let mut v = Vec::with_capacity(body.len() + 8);
                v.extend_from_slice(b"data: ");
                v.extend_from_slice(&body);
                v.extend_from_slice(b"\n\n");
                Bytes::from(v)
            }
        }
    }

    /// A frame with valid framing but undecodable content (fault injection).
    pub fn corrupt_frame(self) -> Bytes {
        match self {
            StreamFormat::Ndjson => Bytes::from_static(b"{not json\n"),
            StreamFormat::Msgpack => {
                let mut v = 16u32.to_be_bytes().to_vec();
                v.extend_from_slice(&[0xc1; 16]);
                Bytes::from(v)
            }
            StreamFormat::Sse => Bytes::from_static(b"data: {not json\n\n"),
        }
    }

    /// The first part of `frame`, cut so that it can never be completed.
    pub fn truncated(self, frame: &Bytes) -> Bytes {
        let half = (frame.len() / 2).max(1).min(frame.len());
        match self {
            // keep the length header (promising the full frame) and half the data
            StreamFormat::Msgpack => frame.slice(..half.max(5).min(frame.len().saturating_sub(1))),
            _ => frame.slice(..half.min(frame.len().saturating_sub(1))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn smallest_ints_and_f32() {
        #[derive(Serialize)]
        struct T {
            a: u16,
            b: u32,
            c: u64,
            f: f32,
        }
        let v = encode(
            Format::Msgpack,
            &T {
                a: 32768,
                b: 0,
                c: 1_795_865_687_590,
                f: 2.0,
            },
        );
        assert_eq!(&v[..3], &[0x84, 0xa1, b'a']);
        assert_eq!(&v[3..6], &[0xcd, 0x80, 0x00]);
        assert_eq!(&v[6..9], &[0xa1, b'b', 0x00]);
        assert_eq!(v[11], 0xcf);
        assert_eq!(v[22], 0xca);
        let j = encode(
            Format::Json,
            &T {
                a: 1,
                b: 2,
                c: 3,
                f: 2.0,
            },
        );
        assert_eq!(&j[..], br#"{"a":1,"b":2,"c":3,"f":2.0}"#);
    }
}
