//! Content negotiation (§2): Accept and Content-Type substring rules.

use hyper::header::{ACCEPT, CONTENT_TYPE};
use hyper::HeaderMap;

use crate::codec::{Format, StreamFormat};

fn contains(hay: &[u8], needle: &str) -> bool {
    hay.windows(needle.len()).any(|w| w == needle.as_bytes())
}

/// Response format for ordinary endpoints; `None` = 406.
pub fn accept(headers: &HeaderMap) -> Option<Format> {
    let Some(v) = headers.get(ACCEPT) else {
        return Some(Format::Json);
    };
    let v = v.as_bytes();
    if contains(v, "application/msgpack") {
        Some(Format::Msgpack)
    } else if contains(v, "application/json") || contains(v, "*/*") {
        Some(Format::Json)
    } else {
        None
    }
}

/// Format for error bodies when Accept could not be honoured (415 etc.).
pub fn error_format(headers: &HeaderMap) -> Format {
    match headers.get(ACCEPT) {
        Some(v) if contains(v.as_bytes(), "application/msgpack") => Format::Msgpack,
        _ => Format::Json,
    }
}

/// Request body format; `None` = 415.
pub fn content_type(headers: &HeaderMap) -> Option<Format> {
    let Some(v) = headers.get(CONTENT_TYPE) else {
        return Some(Format::Json);
    };
    let v = v.as_bytes();
    if contains(v, "application/msgpack") {
        Some(Format::Msgpack)
    } else if contains(v, "application/json") {
        Some(Format::Json)
    } else {
        None
    }
}

/// Framing for `GET /jobs/take`; `None` = 406.
pub fn stream_accept(headers: &HeaderMap) -> Option<StreamFormat> {
    let Some(v) = headers.get(ACCEPT) else {
        return Some(StreamFormat::Ndjson);
    };
    let v = v.as_bytes();
    if contains(v, "text/event-stream") {
        Some(StreamFormat::Sse)
    } else if contains(v, "application/vnd.zizq.msgpack-stream")
        || contains(v, "application/msgpack")
    {
        Some(StreamFormat::Msgpack)
    } else if contains(v, "application/x-ndjson")
        || contains(v, "application/json")
        || contains(v, "*/*")
    {
        Some(StreamFormat::Ndjson)
    } else {
        None
    }
}
