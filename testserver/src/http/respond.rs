//! Response builders.

use hyper::header::{HeaderValue, ALLOW, CONTENT_TYPE};
use hyper::{Response, StatusCode};
use serde::Serialize;

use super::body::Body;
use crate::codec::{encode, Format};
use crate::model::{ErrorBody, UnsupportedBody};

pub type Resp = Response<Body>;

fn status(code: u16) -> StatusCode {
    StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

/// Encoded object with the given status.
pub fn obj<T: Serialize + ?Sized>(code: u16, fmt: Format, v: &T) -> Resp {
    let mut r = Response::new(Body::full(encode(fmt, v)));
    *r.status_mut() = status(code);
    r.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(fmt.content_type()));
    r
}

/// `{"error": msg}`.
pub fn error(code: u16, fmt: Format, msg: &str) -> Resp {
    obj(code, fmt, &ErrorBody { error: msg })
}

/// Plain-text 400 (framework rejections).
pub fn text(code: u16, msg: &str) -> Resp {
    let mut r = Response::new(Body::full(msg.to_string()));
    *r.status_mut() = status(code);
    r.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    r
}

/// Empty body without content type (204, 405).
pub fn empty(code: u16) -> Resp {
    let mut r = Response::new(Body::empty());
    *r.status_mut() = status(code);
    r
}

pub fn no_content() -> Resp {
    empty(204)
}

pub fn method_not_allowed(allow: &'static str) -> Resp {
    let mut r = empty(405);
    r.headers_mut()
        .insert(ALLOW, HeaderValue::from_static(allow));
    r
}

pub const SUPPORTED: [&str; 2] = ["application/json", "application/msgpack"];
pub const STREAM_SUPPORTED: [&str; 3] = [
    "text/event-stream",
    "application/x-ndjson",
    "application/vnd.zizq.msgpack-stream",
];

/// 406, always JSON.
pub fn not_acceptable(supported: &[&str]) -> Resp {
    obj(
        406,
        Format::Json,
        &UnsupportedBody {
            error: "not acceptable",
            supported,
        },
    )
}

/// 415, negotiated.
pub fn unsupported_media(fmt: Format) -> Resp {
    obj(
        415,
        fmt,
        &UnsupportedBody {
            error: "unsupported media type",
            supported: &SUPPORTED,
        },
    )
}
