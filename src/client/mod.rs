//! The client: the shared transport, and the one request path every
//! operation goes through (timeouts, close, status checks, response format).

mod options;

pub use options::ClientOptions;

use crate::codec::{self, Format};
use crate::completion::{CompletionQueue, Outcome};
use crate::error::{Error, Repeat, Result, Status};
use crate::observe::{Observer, RequestOutcome};
use crate::runtime;
use crate::transport::{Endpoint, Pool, Reply};
use bytes::Bytes;
use hyper::Method;
use serde_json::{Map, Value};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

/// A Zizq client. Cheap to clone; every clone shares the connections and
/// the cancellation scope. [`Client::derive`] makes a handle with a scope of
/// its own.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
    scope: Arc<Scope>,
    /// Set on the handle [`Client::block`] gives its operation: the state of
    /// that call's request, so that a cancelled call can say whether its
    /// outcome is unknown. Other handles track each request on its own.
    flight: Option<Arc<Flight>>,
    /// Set on a deferred handle ([`Client::defer`]): calls start on the
    /// runtime and finish in this queue instead of blocking.
    completions: Option<CompletionQueue>,
}

/// Whether a request may have reached the server without its answer having
/// been read, and what repeating it would do.
struct Flight {
    in_flight: AtomicBool,
    repeat: std::sync::Mutex<Repeat>,
}

impl Flight {
    fn new() -> Flight {
        Flight {
            in_flight: AtomicBool::new(false),
            repeat: std::sync::Mutex::new(Repeat::Safe),
        }
    }

    /// `err`, marked as happening after sending if the request was in flight.
    fn mark(&self, err: Error) -> Error {
        if self.in_flight.load(Ordering::SeqCst) {
            let repeat = *self.repeat.lock().unwrap_or_else(|p| p.into_inner());
            err.after_sending(repeat)
        } else {
            err
        }
    }
}

/// A group of operations that can be cancelled together while later ones
/// run normally: `cancel` cancels the current token and starts a new one
/// under the same parent. Used for the calls made through one handle, and
/// for the take streams of a client.
struct Scope {
    parent: CancellationToken,
    current: std::sync::Mutex<CancellationToken>,
}

impl Scope {
    fn under(parent: CancellationToken) -> Scope {
        Scope {
            current: std::sync::Mutex::new(parent.child_token()),
            parent,
        }
    }

    fn token(&self) -> CancellationToken {
        self.current
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    fn cancel(&self) {
        let mut current = self.current.lock().unwrap_or_else(|p| p.into_inner());
        std::mem::replace(&mut *current, self.parent.child_token()).cancel();
    }
}

struct Inner {
    options: ClientOptions,
    pool: Pool,
    /// Events and figures, shared with the pool, take streams and workers.
    observer: Arc<Observer>,
    /// Cancelled by `close`: wakes every request and stream of this client.
    closed: CancellationToken,
    /// The take streams of this client (under `closed`): `close_streams`.
    streams: Scope,
}

impl Client {
    /// Create a client. Must be called where the runtime can be used (the
    /// transport is set up lazily; nothing connects here).
    pub fn new(url: &str, options: ClientOptions) -> Result<Client> {
        let endpoint = Arc::new(Endpoint::parse(url, options.connect_timeout, &options.tls)?);
        let observer = Arc::new(Observer::new(options.log_level)?);
        let pool = Pool::new(
            endpoint,
            options.connections,
            options.http2,
            options.keepalive(),
            observer.clone(),
        );
        let closed = CancellationToken::new();
        Ok(Client {
            inner: Arc::new(Inner {
                options,
                pool,
                observer,
                streams: Scope::under(closed.clone()),
                closed,
            }),
            scope: Arc::new(Scope::under(CancellationToken::new())),
            flight: None,
            completions: None,
        })
    }

    pub fn options(&self) -> &ClientOptions {
        &self.inner.options
    }

    /// The wire format.
    pub fn format(&self) -> Format {
        self.inner.options.format
    }

    /// The format of the documents the host passes and receives.
    pub fn documents(&self) -> Format {
        self.inner
            .options
            .documents
            .unwrap_or(self.inner.options.format)
    }

    /// A host document (already checked to decode) as a request body.
    pub fn to_wire(&self, doc: &[u8]) -> Result<Bytes> {
        let doc = Bytes::copy_from_slice(doc);
        if self.documents() == self.format() {
            return Ok(doc);
        }
        codec::transcode(self.documents(), self.format(), doc)
    }

    pub fn base_url(&self) -> String {
        self.inner.pool.endpoint().base_url()
    }

    pub fn endpoint(&self) -> &Arc<Endpoint> {
        self.inner.pool.endpoint()
    }

    /// The client's events and figures.
    pub fn observer(&self) -> &Arc<Observer> {
        &self.inner.observer
    }

    /// The figures as a document for the host (`zizq_client_stats`).
    pub fn stats(&self) -> Bytes {
        let observer = &self.inner.observer;
        self.document(&observer.stats.snapshot(observer.events.dropped_total()))
    }

    pub fn closed_token(&self) -> &CancellationToken {
        &self.inner.closed
    }

    /// A handle sharing this client's connections and options, whose calls
    /// can be cancelled on their own (`cancel`); closing the client closes it.
    pub fn derive(&self) -> Client {
        Client {
            inner: self.inner.clone(),
            scope: Arc::new(Scope::under(CancellationToken::new())),
            flight: None,
            completions: self.completions.clone(),
        }
    }

    /// A derived handle whose calls never block: each starts on the runtime
    /// and finishes in `queue` (see [`Client::block`]).
    pub fn defer(&self, queue: CompletionQueue) -> Client {
        Client {
            completions: Some(queue),
            ..self.derive()
        }
    }

    /// Whether calls through this handle finish in a completion queue.
    pub fn is_deferred(&self) -> bool {
        self.completions.is_some()
    }

    /// Run an operation of the API (validation on this thread, then
    /// `block`). On a deferred handle a result the operation had without the
    /// server is queued as a completion too, so every call that passed its
    /// checks answers the same way: `ZIZQ_PENDING`.
    pub fn run<T: Into<Outcome>>(&self, op: impl FnOnce(&Client) -> Result<T>) -> Result<T> {
        let value = op(self)?;
        match &self.completions {
            None => Ok(value),
            Some(queue) => Err(Error::pending(queue.finished(value.into())?)),
        }
    }

    /// Make the calls in progress through this handle (and its clones) fail
    /// with `ZIZQ_E_CANCELLED`. Later calls run normally.
    pub fn cancel(&self) {
        self.scope.cancel();
    }

    /// A token for a new take stream: cancelled by `close_streams` or `close`.
    pub fn stream_token(&self) -> CancellationToken {
        self.inner.streams.token().child_token()
    }

    /// End every take stream of this client, including those still
    /// connecting; the client stays usable. Workers are not affected.
    pub fn close_streams(&self) {
        self.inner.streams.cancel();
    }

    pub fn is_closed(&self) -> bool {
        self.inner.closed.is_cancelled()
    }

    /// Close: cancel in-flight requests and streams and drop connections.
    pub fn close(&self) {
        self.inner.closed.cancel();
        self.inner.pool.close();
        self.inner.observer.events.close();
    }

    /// Full request path: base URL prefix + `path` (already encoded).
    pub fn full_path(&self, path: &str) -> String {
        format!("{}{}", self.endpoint().prefix, path)
    }

    /// Send one request with the client's format headers and read timeout.
    /// Any status is returned; see [`Client::expect`]. `repeat` says what
    /// repeating the request would do: it decides whether a failure after
    /// the request was sent is retryable.
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<Bytes>,
        repeat: Repeat,
    ) -> Result<Reply> {
        if self.is_closed() {
            return Err(Error::closed());
        }
        let flight = self
            .flight
            .clone()
            .unwrap_or_else(|| Arc::new(Flight::new()));
        *flight.repeat.lock().unwrap_or_else(|p| p.into_inner()) = repeat;
        let content_type = self.format().content_type();
        let full = self.full_path(path);
        // Bodiless requests send only Accept: some proxies reject a
        // Content-Type without a body.
        let with_body = [("accept", content_type), ("content-type", content_type)];
        let headers = if body.is_some() {
            &with_body[..]
        } else {
            &with_body[..1]
        };
        let body = body.unwrap_or_default();
        let sent = body.len();
        let started = std::time::Instant::now();
        let exchange = self.inner.pool.request(
            method,
            &full,
            headers,
            body,
            self.inner.options.read_timeout,
            &flight.in_flight,
        );
        let result = tokio::select! {
            biased;
            _ = self.inner.closed.cancelled() => Err(Error::closed()),
            result = exchange => result,
        };
        let outcome = match &result {
            Ok(reply) => Some((RequestOutcome::of_status(reply.status), reply.body.len())),
            Err(err) if err.status == Status::ZIZQ_E_TIMEOUT => Some((RequestOutcome::TimedOut, 0)),
            Err(err) if err.status == Status::ZIZQ_E_CLOSED => None,
            Err(_) => Some((RequestOutcome::Failed, 0)),
        };
        if let Some((outcome, received)) = outcome {
            let stats = &self.inner.observer.stats;
            stats.record(outcome, started, sent, received);
        }
        result.map_err(|err| flight.mark(err))
    }

    /// Turn a reply into its body (in the host's document format) if its
    /// status is one of `expected`, else into the matching error.
    pub fn expect(&self, reply: Reply, expected: &[u16]) -> Result<Bytes> {
        if expected.contains(&reply.status) {
            if reply.body.is_empty() {
                return Ok(reply.body);
            }
            let from = reply.format.unwrap_or(self.format());
            return codec::transcode(from, self.documents(), reply.body).map_err(|mut e| {
                e.message = format!("undecodable response: {}", e.message);
                e
            });
        }
        Err(response_error(reply))
    }

    /// `send` + `expect`.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<Bytes>,
        expected: &[u16],
        repeat: Repeat,
    ) -> Result<Bytes> {
        let reply = self.send(method, path, body, repeat).await?;
        self.expect(reply, expected)
    }

    /// A document for the host, in its document format.
    pub fn document(&self, value: &Value) -> Bytes {
        codec::encode(self.documents(), value).into()
    }

    /// A request body, in the wire format.
    pub fn encode(&self, value: &Value) -> Bytes {
        codec::encode(self.format(), value).into()
    }

    pub fn encode_map(&self, map: Map<String, Value>) -> Bytes {
        self.encode(&Value::Object(map))
    }

    /// Decode a response document (as [`Client::expect`] returns it).
    pub fn decode(&self, body: &[u8]) -> Result<Value> {
        codec::decode(self.documents(), body)
    }

    /// Run an operation to completion from a host thread. The handle's
    /// cancellation scope is captured now, so a `cancel` racing with the
    /// start of the call still interrupts it. On a deferred handle the
    /// operation starts instead and this returns `ZIZQ_PENDING` with its
    /// ticket; its result, exactly this function's, goes to the queue.
    pub fn block<T, F, Fut>(&self, op: F) -> Result<T>
    where
        F: FnOnce(Client) -> Fut,
        Fut: std::future::Future<Output = Result<T>> + Send + 'static,
        T: Into<Outcome> + Send + 'static,
    {
        if self.is_closed() {
            return Err(Error::closed());
        }
        let cancelled = self.scope.token();
        let flight = Arc::new(Flight::new());
        // Boxed once here: the wrappers below then move a pointer, not the
        // whole request state machine.
        let work = Box::pin(op(Client {
            flight: Some(flight.clone()),
            completions: None,
            ..self.clone()
        }));
        let marks = flight.clone();
        let guarded = async move {
            tokio::select! {
                biased;
                _ = cancelled.cancelled() => Err(flight.mark(Error::new(
                    Status::ZIZQ_E_CANCELLED,
                    "the call was cancelled",
                ))),
                result = work => result,
            }
        };
        match &self.completions {
            None => runtime::block_on(guarded),
            Some(queue) => {
                let ticket = queue
                    .start(async move { guarded.await.map(Into::into) }, move |err| {
                        marks.mark(err)
                    })?;
                Err(Error::pending(ticket))
            }
        }
    }
}

/// The error for a response whose status the operation did not expect.
pub fn response_error(reply: Reply) -> Error {
    Error::from_response(reply.status, reply.format, reply.body)
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("url", &self.base_url())
            .field("format", &self.format())
            .finish()
    }
}
