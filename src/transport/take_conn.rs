//! A dedicated HTTP/1.1 connection carrying one `GET /jobs/take` stream. The
//! stream is long-lived and has nothing to multiplex against, so HTTP/1.1
//! gives it a plain socket with no framing overhead.

use super::endpoint::Alpn;
use super::pool::collect;
use super::{hyper_error, timeout_error, Body, Endpoint};
use crate::error::{Error, Result, Status};
use bytes::Bytes;
use hyper::body::Incoming;
use hyper::client::conn::http1;
use hyper::Request;
use hyper_util::rt::TokioIo;
use std::sync::Arc;
use std::time::Duration;
use tokio::task::AbortHandle;

/// An open take stream. Dropping it closes the connection, which makes the
/// server requeue the jobs still in flight on it.
pub struct TakeConnection {
    pub body: Incoming,
    connection: AbortHandle,
}

impl Drop for TakeConnection {
    fn drop(&mut self) {
        self.connection.abort();
    }
}

/// Connect and send the take request; succeed once the server answered 200.
pub async fn open_take_stream(
    endpoint: &Arc<Endpoint>,
    path_and_query: &str,
    accept: &str,
    worker_id: Option<&str>,
    timeout: Duration,
) -> Result<TakeConnection> {
    let opening = async {
        let (io, _) = endpoint.connect(Alpn::Stream).await?;
        let (mut sender, connection) = http1::handshake::<_, Body>(TokioIo::new(io))
            .await
            .map_err(|e| hyper_error("HTTP/1.1 handshake failed", e))?;
        let connection = tokio::spawn(async move {
            let _ = connection.await;
        })
        .abort_handle();
        let mut request = Request::get(path_and_query)
            .header("host", endpoint.authority.as_str())
            .header("accept", accept);
        if let Some(id) = worker_id {
            request = request.header("worker-id", id);
        }
        let request = request
            .body(Body::new(Bytes::new()))
            .map_err(|e| Error::invalid(format!("invalid take request: {e}")))?;
        let response = match sender.send_request(request).await {
            Ok(response) => response,
            Err(e) => {
                connection.abort();
                return Err(hyper_error("take request failed", e));
            }
        };
        if response.status() != 200 {
            let reply = collect(response).await;
            connection.abort();
            let reply = reply?;
            let mut err = Error::from_response(reply.status, reply.format, reply.body);
            err.message = format!(
                "take stream returned HTTP {}: {}",
                reply.status, err.message
            );
            err.status = Status::ZIZQ_E_STREAM;
            return Err(err);
        }
        Ok(TakeConnection {
            body: response.into_body(),
            connection,
        })
    };
    match tokio::time::timeout(timeout, opening).await {
        Ok(result) => result,
        Err(_) => Err(timeout_error("opening the take stream", timeout)),
    }
}
