//! The request pool: a few HTTP/2 connections (prior knowledge on http://,
//! ALPN on https://) shared by every ordinary request, so calls from many host
//! threads are multiplexed as streams instead of queueing behind a lock.
//! Falls back to pooled HTTP/1.1 connections when HTTP/2 is disabled or the
//! TLS server does not offer it.

use super::endpoint::Alpn;
use super::{hyper_error, timeout_error, Body, Endpoint, KeepAlive};
use crate::codec::Format;
use crate::error::{Error, Result, Status};
use crate::observe::{Gauge, Level, Observer};
use bytes::Bytes;
use http_body_util::BodyExt;
use hyper::client::conn::{http1, http2, TrySendError};
use hyper::{Method, Request, Response};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::task::AbortHandle;
use tokio::time::Instant;

/// Most idle HTTP/1.1 connections kept for reuse.
const MAX_IDLE_HTTP1: usize = 32;

/// An HTTP/2 connection in the pool.
struct Slot {
    id: u64,
    sender: http2::SendRequest<Body>,
}

/// A sender taken from the pool, with where it came from.
struct Lease {
    index: usize,
    id: u64,
    sender: http2::SendRequest<Body>,
}

/// A complete response.
pub struct Reply {
    pub status: u16,
    /// Format named by the response `Content-Type`, if any.
    pub format: Option<Format>,
    pub body: Bytes,
}

pub struct Pool {
    endpoint: Arc<Endpoint>,
    slots: Vec<tokio::sync::Mutex<Option<Slot>>>,
    /// Source of connection ids, so a failed request retires only the
    /// connection it used.
    connection_ids: AtomicU64,
    next: AtomicUsize,
    /// Use HTTP/1.1 for requests (configured, or the TLS server chose it).
    http1: AtomicBool,
    idle_http1: Mutex<Vec<http1::SendRequest<Body>>>,
    keepalive: KeepAlive,
    /// Connection driver tasks, aborted when the client closes.
    tasks: Mutex<Vec<AbortHandle>>,
    closed: AtomicBool,
    observer: Arc<Observer>,
}

impl Pool {
    pub fn new(
        endpoint: Arc<Endpoint>,
        connections: usize,
        http2: bool,
        keepalive: KeepAlive,
        observer: Arc<Observer>,
    ) -> Pool {
        Pool {
            endpoint,
            slots: (0..connections.max(1))
                .map(|_| tokio::sync::Mutex::new(None))
                .collect(),
            next: AtomicUsize::new(0),
            connection_ids: AtomicU64::new(0),
            http1: AtomicBool::new(!http2),
            idle_http1: Mutex::new(Vec::new()),
            keepalive,
            tasks: Mutex::new(Vec::new()),
            closed: AtomicBool::new(false),
            observer,
        }
    }

    pub fn endpoint(&self) -> &Arc<Endpoint> {
        &self.endpoint
    }

    /// Drop every connection; later requests fail with `ZIZQ_E_CLOSED`.
    pub fn close(&self) {
        self.closed.store(true, Ordering::SeqCst);
        for task in lock(&self.tasks).drain(..) {
            task.abort();
        }
        lock(&self.idle_http1).clear();
    }

    /// Send one request and read the whole response within `timeout`.
    ///
    /// `in_flight` is set while the request may have reached the server
    /// without its answer having been read: a failure then leaves the
    /// outcome unknown. A request that never left (its connection had died
    /// before it was written) is sent again on a new connection, whatever
    /// its method; GET and HEAD are sent again after any connection failure,
    /// since repeating them is harmless. A request that fails or times out
    /// retires its HTTP/2 connection, so that a connection that stopped
    /// answering is not used again.
    pub async fn request(
        &self,
        method: Method,
        path_and_query: &str,
        headers: &[(&'static str, &str)],
        body: Bytes,
        timeout: Duration,
        in_flight: &AtomicBool,
    ) -> Result<Reply> {
        let deadline = Instant::now() + timeout;
        let harmless = method == Method::GET || method == Method::HEAD;
        let mut last = None;
        for attempt in 0..2 {
            if self.closed.load(Ordering::SeqCst) {
                return Err(Error::closed());
            }
            let exchange = Exchange {
                method: method.clone(),
                path_and_query,
                headers,
                body: body.clone(),
                deadline,
                timeout,
                in_flight,
            };
            let result = if self.http1.load(Ordering::Relaxed) {
                self.http1_request(exchange).await
            } else {
                match tokio::time::timeout_at(deadline, self.http2_sender()).await {
                    Err(_) => Err(exchange.timed_out()),
                    Ok(Err(err)) => Err(err),
                    Ok(Ok(Some(lease))) => self.http2_request(lease, exchange).await,
                    Ok(Ok(None)) => self.http1_request(exchange).await,
                }
            };
            match result {
                Err(err)
                    if err.status == Status::ZIZQ_E_CONNECTION
                        && (harmless || !in_flight.load(Ordering::SeqCst)) =>
                {
                    if attempt == 0 {
                        self.observer.stats.retries.fetch_add(1, Ordering::Relaxed);
                        self.observer
                            .events
                            .emit(Level::Info, "transport", "request_retried", || {
                                (
                                    format!(
                                        "{method} {path_and_query} sent again on a new connection: {}",
                                        err.message
                                    ),
                                    vec![
                                        ("url", self.endpoint.base_url().into()),
                                        ("method", method.as_str().into()),
                                        ("path", path_and_query.into()),
                                        ("reason", err.message.clone().into()),
                                    ],
                                )
                            });
                    }
                    last = Some(err)
                }
                other => return other,
            }
        }
        Err(last.unwrap_or_else(Error::closed))
    }

    async fn http2_request(&self, mut lease: Lease, exchange: Exchange<'_>) -> Result<Reply> {
        let uri = format!(
            "{}://{}{}",
            self.endpoint.scheme, self.endpoint.authority, exchange.path_and_query
        );
        let timed_out = exchange.timed_out();
        let in_flight = exchange.in_flight;
        let request = build(exchange.method, &uri, exchange.headers, None, exchange.body)?;
        let sent = async {
            let response = send(lease.sender.try_send_request(request), in_flight).await?;
            collect(response).await
        };
        let outcome = tokio::time::timeout_at(exchange.deadline, sent)
            .await
            .unwrap_or(Err(timed_out));
        match &outcome {
            Ok(_) => in_flight.store(false, Ordering::SeqCst),
            Err(_) => {
                // Retire the connection, so that the next request opens a
                // fresh one instead of finding this one dead or silent (a
                // timeout may mean the peer is gone without a FIN or RST).
                // Requests still running on it finish on their own.
                let mut slot = self.slots[lease.index].lock().await;
                if slot.as_ref().is_some_and(|s| s.id == lease.id) {
                    *slot = None;
                    drop(slot);
                    if let Err(err) = &outcome {
                        self.retired(lease.id, err);
                    }
                }
            }
        }
        outcome
    }

    /// A ready HTTP/2 sender, or `None` when HTTP/1.1 must be used.
    async fn http2_sender(&self) -> Result<Option<Lease>> {
        let index = self.next.fetch_add(1, Ordering::Relaxed) % self.slots.len();
        for _ in 0..2 {
            let mut slot = self.slots[index].lock().await;
            let (id, mut sender) = match slot.as_ref() {
                Some(s) if !s.sender.is_closed() => (s.id, s.sender.clone()),
                _ => {
                    *slot = None;
                    let Some(sender) = self.connect_http2().await? else {
                        return Ok(None);
                    };
                    let id = self.connection_ids.fetch_add(1, Ordering::Relaxed);
                    *slot = Some(Slot {
                        id,
                        sender: sender.clone(),
                    });
                    (id, sender)
                }
            };
            drop(slot);
            // A connection that died since its last use fails here, before the
            // request is sent, so connecting again is safe.
            if sender.ready().await.is_ok() {
                return Ok(Some(Lease { index, id, sender }));
            }
        }
        Err(Error::new(
            Status::ZIZQ_E_CONNECTION,
            "the HTTP/2 connection closed",
        ))
    }

    fn retired(&self, id: u64, err: &Error) {
        self.observer
            .events
            .emit(Level::Warn, "transport", "connection_retired", || {
                (
                    format!(
                        "HTTP/2 connection {id} to {} retired after a failed request: {}",
                        self.endpoint.authority, err.message
                    ),
                    vec![
                        ("url", self.endpoint.base_url().into()),
                        ("connection", id.into()),
                        ("reason", err.message.clone().into()),
                    ],
                )
            });
    }

    /// Connect (TCP, TLS), reporting a failure as an event.
    async fn connect(&self, alpn: Alpn) -> Result<(Box<dyn super::Io>, bool)> {
        let connected = self.endpoint.connect(alpn).await;
        if let Err(err) = &connected {
            report_connect_failure(&self.observer, &self.endpoint, err);
        }
        connected
    }

    /// A connection's driver task: counts it as open while it runs and
    /// reports how it ended (an aborted task, on close, reports nothing).
    fn drive<C>(&self, protocol: &'static str, connection: C)
    where
        C: std::future::Future<Output = std::result::Result<(), hyper::Error>> + Send + 'static,
    {
        let observer = self.observer.clone();
        let url = self.endpoint.base_url();
        observer
            .events
            .emit(Level::Info, "transport", "connection_opened", || {
                (
                    format!("{protocol} connection to {url} opened"),
                    vec![("url", url.clone().into()), ("protocol", protocol.into())],
                )
            });
        self.track(tokio::spawn(async move {
            let _open = Gauge::up(&observer, |s| &s.open_connections);
            let ended = connection.await;
            let (level, reason) = match &ended {
                Ok(()) => (Level::Info, "no longer used".to_string()),
                Err(e) => (Level::Warn, e.to_string()),
            };
            observer
                .events
                .emit(level, "transport", "connection_closed", || {
                    (
                        format!("{protocol} connection to {url} closed: {reason}"),
                        vec![
                            ("url", url.clone().into()),
                            ("protocol", protocol.into()),
                            ("reason", reason.clone().into()),
                        ],
                    )
                });
        }));
    }

    /// Open a request connection; `None` when TLS negotiated HTTP/1.1 instead.
    async fn connect_http2(&self) -> Result<Option<http2::SendRequest<Body>>> {
        let (io, negotiated_h2) = self.connect(Alpn::Requests).await?;
        if self.endpoint.is_tls() && !negotiated_h2 {
            // The server chose HTTP/1.1: keep this connection for that path.
            self.http1.store(true, Ordering::Relaxed);
            let sender = self.http1_handshake(io).await?;
            lock(&self.idle_http1).push(sender);
            return Ok(None);
        }
        let mut builder = http2::Builder::new(TokioExecutor::new());
        builder
            .timer(TokioTimer::new())
            .initial_stream_window_size(4 << 20)
            .initial_connection_window_size(16 << 20)
            .keep_alive_interval(self.keepalive.interval)
            .keep_alive_timeout(self.keepalive.timeout)
            // Idle connections are checked too, so that a connection that
            // died while unused is found before a request waits on it.
            .keep_alive_while_idle(true);
        let (sender, connection) = builder
            .handshake(TokioIo::new(io))
            .await
            .map_err(|e| hyper_error("HTTP/2 handshake failed", e))?;
        self.drive("HTTP/2", connection);
        Ok(Some(sender))
    }

    async fn http1_handshake(&self, io: Box<dyn super::Io>) -> Result<http1::SendRequest<Body>> {
        let (sender, connection) = http1::handshake(TokioIo::new(io))
            .await
            .map_err(|e| hyper_error("HTTP/1.1 handshake failed", e))?;
        self.drive("HTTP/1.1", connection);
        Ok(sender)
    }

    async fn http1_request(&self, exchange: Exchange<'_>) -> Result<Reply> {
        let timed_out = exchange.timed_out();
        let in_flight = exchange.in_flight;
        let deadline = exchange.deadline;
        let attempt = async {
            let mut sender = loop {
                let idle = lock(&self.idle_http1).pop();
                match idle {
                    Some(mut sender) => {
                        if sender.ready().await.is_ok() {
                            break sender;
                        }
                    }
                    None => {
                        // Offer only http/1.1 here: this path exists for
                        // servers that do not speak HTTP/2.
                        let (io, _) = self.connect(Alpn::Stream).await?;
                        break self.http1_handshake(io).await?;
                    }
                }
            };
            let request = build(
                exchange.method,
                exchange.path_and_query,
                exchange.headers,
                Some(&self.endpoint.authority),
                exchange.body,
            )?;
            let response = send(sender.try_send_request(request), in_flight).await?;
            let reply = collect(response).await?;
            // A connection is reused only after a complete exchange: one that
            // failed or timed out is dropped here, which closes it.
            if !sender.is_closed() && !self.closed.load(Ordering::SeqCst) {
                let mut idle = lock(&self.idle_http1);
                if idle.len() < MAX_IDLE_HTTP1 {
                    idle.push(sender);
                }
            }
            Ok(reply)
        };
        let outcome = tokio::time::timeout_at(deadline, attempt)
            .await
            .unwrap_or(Err(timed_out));
        if outcome.is_ok() {
            in_flight.store(false, Ordering::SeqCst);
        }
        outcome
    }

    fn track(&self, task: tokio::task::JoinHandle<()>) {
        let mut tasks = lock(&self.tasks);
        tasks.retain(|t| !t.is_finished());
        tasks.push(task.abort_handle());
        if self.closed.load(Ordering::SeqCst) {
            task.abort();
        }
    }
}

/// One request attempt's parts.
struct Exchange<'a> {
    method: Method,
    path_and_query: &'a str,
    headers: &'a [(&'static str, &'a str)],
    body: Bytes,
    deadline: Instant,
    /// The whole request's time limit, for the message.
    timeout: Duration,
    in_flight: &'a AtomicBool,
}

impl Exchange<'_> {
    fn timed_out(&self) -> Error {
        timeout_error(&format!("request {}", self.path_and_query), self.timeout)
    }
}

/// Hand a request to its connection. `in_flight` is set for the time the
/// request may be on its way; it is restored when hyper gives the request
/// back, which it does only when nothing of it was written.
async fn send(
    sent: impl std::future::Future<
        Output = std::result::Result<Response<hyper::body::Incoming>, TrySendError<Request<Body>>>,
    >,
    in_flight: &AtomicBool,
) -> Result<Response<hyper::body::Incoming>> {
    let before = in_flight.swap(true, Ordering::SeqCst);
    sent.await.map_err(|mut e| {
        if e.take_message().is_some() {
            in_flight.store(before, Ordering::SeqCst);
        }
        hyper_error("request failed", e.into_error())
    })
}

/// Report a failed connect: TLS failures as errors (they will not heal on
/// their own), others as warnings.
pub(crate) fn report_connect_failure(observer: &Observer, endpoint: &Endpoint, err: &Error) {
    let (level, kind) = if err.status == Status::ZIZQ_E_TLS {
        (Level::Error, "tls_failed")
    } else {
        (Level::Warn, "connect_failed")
    };
    observer.events.emit(level, "transport", kind, || {
        (
            err.message.clone(),
            vec![
                ("url", endpoint.base_url().into()),
                (
                    "status",
                    err.status.name().to_str().unwrap_or_default().into(),
                ),
            ],
        )
    });
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn build(
    method: Method,
    uri: &str,
    headers: &[(&'static str, &str)],
    host: Option<&str>,
    body: Bytes,
) -> Result<Request<Body>> {
    let mut builder = Request::builder().method(method).uri(uri);
    if let Some(host) = host {
        builder = builder.header("host", host);
    }
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    builder
        .body(Body::new(body))
        .map_err(|e| Error::invalid(format!("cannot build request for {uri:?}: {e}")))
}

/// Read a whole response.
pub(super) async fn collect(response: Response<hyper::body::Incoming>) -> Result<Reply> {
    let status = response.status().as_u16();
    let format = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .and_then(Format::from_content_type);
    let body = response
        .into_body()
        .collect()
        .await
        .map_err(|e| hyper_error("reading the response failed", e))?
        .to_bytes();
    Ok(Reply {
        status,
        format,
        body,
    })
}
