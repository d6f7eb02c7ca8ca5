//! Status codes and the error value every layer of the core returns.
//!
//! `Status` is the C ABI's `zizq_status`: its numbers are part of the ABI and are
//! never reused. `Error` carries the detail a host needs to decide what to do:
//! the HTTP status (if a response was received), the server's message, the raw
//! body, whether the outcome is unknown and whether a retry is safe and could
//! help.

use crate::codec::{self, Format};
use bytes::Bytes;
use std::ffi::CStr;
use std::fmt;

/// Result of every fallible libzizq call. Values are stable and never reused.
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum zizq_status {
    /// Success.
    ZIZQ_OK = 0,
    /// A required pointer argument was NULL.
    ZIZQ_E_NULL_ARG = 1,
    /// An argument or option is invalid (bad URL, invalid UTF-8, unknown key...).
    ZIZQ_E_INVALID_ARG = 2,
    /// A document could not be decoded (malformed JSON/MessagePack input or response).
    ZIZQ_E_DECODE = 3,
    /// The server answered 404 Not Found.
    ZIZQ_E_NOT_FOUND = 4,
    /// The server answered another 4xx status.
    ZIZQ_E_CLIENT = 5,
    /// The server answered a 5xx status.
    ZIZQ_E_SERVER = 6,
    /// The connection could not be made or was lost.
    ZIZQ_E_CONNECTION = 7,
    /// The operation did not finish in time (connect, read or stream idle timeout).
    ZIZQ_E_TIMEOUT = 8,
    /// TLS configuration or handshake failure.
    ZIZQ_E_TLS = 9,
    /// The take stream failed (non-200 answer, corrupt framing, truncated frame).
    ZIZQ_E_STREAM = 10,
    /// The handle was closed.
    ZIZQ_E_CLOSED = 11,
    /// The operation was cancelled.
    ZIZQ_E_CANCELLED = 12,
    /// The handle was created in another process (this process is a fork child).
    ZIZQ_E_FORKED = 13,
    /// A bug inside libzizq was caught at the C boundary.
    ZIZQ_E_PANIC = 14,
    /// The server answered a status the operation does not expect (e.g. 3xx).
    ZIZQ_E_UNEXPECTED_STATUS = 15,
    /// A stream frame exceeded the configured maximum size.
    ZIZQ_E_FRAME_TOO_LARGE = 16,
    /// The handle is already in use by another thread where only one is allowed.
    ZIZQ_E_BUSY = 17,
    /// The server ended the take stream cleanly.
    ZIZQ_E_STREAM_ENDED = 18,
    /// The library could not get a system resource it needs (its I/O
    /// threads, an event descriptor); it may pass.
    ZIZQ_E_RESOURCE = 19,
    /// Not a failure: the call started on a deferred client and its result
    /// will come as a completion (ticket: `zizq_last_ticket`).
    ZIZQ_PENDING = 20,
}

pub use zizq_status as Status;

/// Whether a failure with a given status may pass on its own, before the
/// HTTP status and an unknown outcome are weighed (`Error::retryable`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transience {
    /// The cause may pass: connection loss, timeouts, 5xx, a server that
    /// ended the stream.
    Transient,
    /// Transient unless the server answered with a 4xx refusal.
    UnlessRefused,
    /// Retrying the same call fails the same way, except on a 408 or 429
    /// answer.
    Permanent,
}

/// What kind of failure a status reports (in the ABI description: the
/// variant's name in snake case, e.g. `not_found`). The shims map each kind to one
/// exception class (Ruby `ArgumentError`, `Zizq::NotFoundError`...), reading
/// the statuses' kinds from the ABI description (`zizq_abi_description`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Category {
    /// Success (`ZIZQ_OK`).
    Ok,
    /// A bad argument or option from the caller.
    Argument,
    /// A document that could not be decoded.
    Decode,
    /// The server answered 404.
    NotFound,
    /// The server answered another 4xx.
    Client,
    /// The server answered 5xx.
    Server,
    /// The server answered a status the operation does not expect.
    Response,
    /// No usable connection: refused, lost, timed out, TLS, closed, cancelled.
    Connection,
    /// The take stream failed, ended or is busy.
    Stream,
    /// A failure inside libzizq or its process (panic, fork, a system
    /// resource it could not get).
    Internal,
}

/// The per-status facts, one row per `zizq_status` constant: its
/// description, its transience and its category. The enum above stays written out because
/// cbindgen reads the source, not macro expansions; the table's matches are
/// exhaustive, so a constant missing here or unknown to the enum does not
/// compile, and the names come from the constants themselves.
macro_rules! status_table {
    ($($status:ident => $description:literal, $transience:ident, $category:ident;)*) => {
        impl zizq_status {
            /// Every status, in the order of the table.
            pub const ALL: &[zizq_status] = &[$(zizq_status::$status),*];

            /// The constant's name, e.g. `"ZIZQ_E_NOT_FOUND"`.
            pub fn name(self) -> &'static CStr {
                match self {
                    $(zizq_status::$status => const {
                        static_cstr(concat!(stringify!($status), "\0"))
                    },)*
                }
            }

            /// A short English description.
            pub fn describe(self) -> &'static CStr {
                match self {
                    $(zizq_status::$status => const {
                        static_cstr(concat!($description, "\0"))
                    },)*
                }
            }

            /// Whether a failure with this status may pass on its own.
            pub fn transience(self) -> Transience {
                match self {
                    $(zizq_status::$status => Transience::$transience,)*
                }
            }

            /// The kind of failure, which picks a shim's exception class.
            pub fn category(self) -> Category {
                match self {
                    $(zizq_status::$status => Category::$category,)*
                }
            }
        }
    };
}

/// A NUL-terminated literal as a `CStr`, checked at compile time.
const fn static_cstr(text: &'static str) -> &'static CStr {
    match CStr::from_bytes_with_nul(text.as_bytes()) {
        Ok(s) => s,
        Err(_) => panic!("a status name or description holds a NUL byte"),
    }
}

status_table! {
    ZIZQ_OK => "success", Permanent, Ok;
    ZIZQ_E_NULL_ARG => "a required pointer argument was NULL", Permanent, Argument;
    ZIZQ_E_INVALID_ARG => "invalid argument", Permanent, Argument;
    ZIZQ_E_DECODE => "document could not be decoded", Permanent, Decode;
    ZIZQ_E_NOT_FOUND => "not found", Permanent, NotFound;
    ZIZQ_E_CLIENT => "client error response", Permanent, Client;
    ZIZQ_E_SERVER => "server error response", Transient, Server;
    ZIZQ_E_CONNECTION => "connection failed", Transient, Connection;
    ZIZQ_E_TIMEOUT => "timed out", Transient, Connection;
    ZIZQ_E_TLS => "TLS failure", Permanent, Connection;
    ZIZQ_E_STREAM => "take stream failure", UnlessRefused, Stream;
    ZIZQ_E_CLOSED => "handle is closed", Permanent, Connection;
    ZIZQ_E_CANCELLED => "operation cancelled", Permanent, Connection;
    ZIZQ_E_FORKED => "handle belongs to the parent process", Permanent, Internal;
    ZIZQ_E_PANIC => "internal error (panic caught)", Permanent, Internal;
    ZIZQ_E_UNEXPECTED_STATUS => "unexpected HTTP status", Permanent, Response;
    ZIZQ_E_FRAME_TOO_LARGE => "stream frame too large", Permanent, Stream;
    ZIZQ_E_BUSY => "handle is busy", Permanent, Stream;
    ZIZQ_E_STREAM_ENDED => "stream ended by the server", Transient, Stream;
    ZIZQ_E_RESOURCE => "a system resource is unavailable", Transient, Internal;
    ZIZQ_PENDING => "started; the result comes as a completion", Permanent, Ok;
}

impl zizq_status {
    /// The status with this value, if there is one.
    pub fn from_i32(value: i32) -> Option<zizq_status> {
        Self::ALL.iter().copied().find(|s| *s as i32 == value)
    }
}

/// What repeating a request does, as declared by the operation that sends it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Repeat {
    /// A repeat does no harm: reads, deletes by id, acks and nacks (a repeat
    /// answers 404/422), updates that set values, cron PUTs.
    Safe,
    /// A repeat may do the work twice: enqueue, bulk enqueue, a raw POST.
    Duplicates,
}

/// An error with everything the caller may want to know.
#[derive(Clone, Debug)]
pub struct Error {
    pub status: Status,
    /// HTTP status of the response that caused the error, 0 if none.
    pub http_status: u16,
    pub message: String,
    /// Raw response body, if a response was received.
    pub body: Option<Bytes>,
    /// The format of `body` when it is a JSON or MessagePack document.
    pub body_format: Option<Format>,
    /// `Some` when the request may have reached the server and no answer
    /// says what happened, with what repeating that request would do.
    pub unknown_outcome: Option<Repeat>,
}

pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    pub fn new(status: Status, message: impl Into<String>) -> Self {
        Error {
            status,
            http_status: 0,
            message: message.into(),
            body: None,
            body_format: None,
            unknown_outcome: None,
        }
    }

    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(Status::ZIZQ_E_INVALID_ARG, message)
    }

    /// A system resource the library needs could not be had.
    pub fn resource(message: impl Into<String>) -> Self {
        Self::new(Status::ZIZQ_E_RESOURCE, message)
    }

    pub fn decode(message: impl Into<String>) -> Self {
        Self::new(Status::ZIZQ_E_DECODE, message)
    }

    /// Not a failure: a deferred call started under `ticket`.
    pub fn pending(ticket: u64) -> Self {
        Self::new(Status::ZIZQ_PENDING, format!("started as ticket {ticket}"))
    }

    pub fn closed() -> Self {
        Self::new(Status::ZIZQ_E_CLOSED, "handle is closed")
    }

    /// Error for an HTTP response with an unexpected status code, whose
    /// body came with `content_type` (if it named a document format).
    pub fn from_response(http_status: u16, content_type: Option<Format>, body: Bytes) -> Self {
        let document = codec::error_document(content_type, &body);
        let message = codec::error_message(document.as_ref().map(|(_, d)| d), &body, http_status);
        let status = match http_status {
            404 => Status::ZIZQ_E_NOT_FOUND,
            400..=499 => Status::ZIZQ_E_CLIENT,
            500..=599 => Status::ZIZQ_E_SERVER,
            _ => Status::ZIZQ_E_UNEXPECTED_STATUS,
        };
        Error {
            status,
            http_status,
            message,
            body: Some(body),
            body_format: document.map(|(format, _)| format),
            unknown_outcome: None,
        }
    }

    /// Mark the error as happening after the request may have reached the
    /// server (written, no answer), for an operation whose repeat does
    /// `repeat`.
    pub fn after_sending(mut self, repeat: Repeat) -> Self {
        if self.unknown_outcome.is_none() {
            self.message
                .push_str(" (the request was sent: the server may have acted on it)");
        }
        self.unknown_outcome = Some(repeat);
        self
    }

    /// Whether the request may have reached the server with no answer
    /// saying what happened.
    pub fn outcome_unknown(&self) -> bool {
        self.unknown_outcome.is_some()
    }

    /// Whether retrying this same call is safe and could succeed. Transport
    /// failures, timeouts, 5xx, 408 and 429 are transient, other 4xx
    /// permanent; after an unknown outcome only operations whose repeat is
    /// harmless may be retried (a repeated enqueue could enqueue twice).
    pub fn retryable(&self) -> bool {
        if self.unknown_outcome == Some(Repeat::Duplicates) {
            return false;
        }
        match self.status.transience() {
            Transience::Transient => true,
            Transience::UnlessRefused => self.http_status == 0 || self.http_status >= 500,
            Transience::Permanent => matches!(self.http_status, 408 | 429),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.http_status != 0 {
            write!(f, "{} (HTTP {})", self.message, self.http_status)
        } else {
            f.write_str(&self.message)
        }
    }
}

impl std::error::Error for Error {}

#[cfg(test)]
mod tests {
    use super::*;

    /// The table lists every value from 0 up without a gap, in value order,
    /// so `from_i32` and the C header's enum agree.
    #[test]
    fn the_table_lists_every_status_in_value_order() {
        for (i, status) in zizq_status::ALL.iter().enumerate() {
            assert_eq!(*status as usize, i, "{:?}", status);
            assert_eq!(zizq_status::from_i32(i as i32), Some(*status));
            assert_eq!(status.name().to_str().unwrap(), format!("{status:?}"));
        }
        assert_eq!(zizq_status::from_i32(zizq_status::ALL.len() as i32), None);
        assert_eq!(zizq_status::from_i32(-1), None);
    }
}
