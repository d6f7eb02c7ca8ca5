//! Network transport: where the server is, how to reach it (TCP, TLS), the
//! HTTP/2 request pool and the dedicated HTTP/1.1 take-stream connections.

mod endpoint;
mod pool;
mod take_conn;
mod tls;

pub use endpoint::Endpoint;
pub(crate) use pool::report_connect_failure;
pub use pool::{Pool, Reply};
pub use take_conn::{open_take_stream, TakeConnection};
pub use tls::TlsOptions;

use crate::error::{Error, Status};
use http_body_util::Full;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite};

/// HTTP/2 keep-alive of request connections: a PING after `interval`
/// without traffic; no answer within `timeout` closes the connection.
#[derive(Clone, Copy, Debug)]
pub struct KeepAlive {
    pub interval: Duration,
    pub timeout: Duration,
}

/// Request body type used on every connection.
pub type Body = Full<bytes::Bytes>;

/// A connected byte stream: plain TCP or TLS over TCP.
pub trait Io: AsyncRead + AsyncWrite + Unpin + Send + 'static {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send + 'static> Io for T {}

/// Map an I/O error from connecting or talking to the server.
pub(crate) fn io_error(context: &str, err: std::io::Error) -> Error {
    let tls = err
        .get_ref()
        .is_some_and(|inner| inner.downcast_ref::<rustls::Error>().is_some());
    let status = if tls {
        Status::ZIZQ_E_TLS
    } else if err.kind() == std::io::ErrorKind::TimedOut {
        Status::ZIZQ_E_TIMEOUT
    } else {
        Status::ZIZQ_E_CONNECTION
    };
    Error::new(status, format!("{context}: {err}"))
}

/// Map a hyper error from an exchange on an established connection.
pub(crate) fn hyper_error(context: &str, err: hyper::Error) -> Error {
    let mut message = format!("{context}: {err}");
    let mut source = std::error::Error::source(&err);
    while let Some(inner) = source {
        message.push_str(&format!(": {inner}"));
        source = inner.source();
    }
    Error::new(Status::ZIZQ_E_CONNECTION, message)
}

pub(crate) fn timeout_error(what: &str, after: Duration) -> Error {
    Error::new(
        Status::ZIZQ_E_TIMEOUT,
        format!("{what} timed out after {} ms", after.as_millis()),
    )
}
