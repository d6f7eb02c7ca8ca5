//! The client: options, the shared transport, and the one request path every
//! operation goes through (timeouts, close, status checks, response format).

use crate::codec::{self, Format};
use crate::error::{Error, Repeat, Result, Status};
use crate::options::{self, Bounded, Millis};
use crate::runtime;
use crate::stream::ZIZQ_DEFAULT_MAX_FRAME;
use crate::transport::{Endpoint, KeepAlive, Pool, Reply, TlsOptions};
use bytes::Bytes;
use hyper::Method;
use serde::Deserialize;
use serde_json::{Map, Value};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// Client options, given to `zizq_client_new` as a JSON document.
#[derive(Clone, Debug)]
pub struct ClientOptions {
    pub format: Format,
    pub read_timeout: Duration,
    pub stream_idle_timeout: Duration,
    pub connect_timeout: Duration,
    /// HTTP/2 keep-alive PING interval and answer timeout of request
    /// connections; `None` follows `read_timeout`.
    pub keepalive_interval: Option<Duration>,
    pub keepalive_timeout: Option<Duration>,
    /// Number of HTTP/2 connections shared by requests.
    pub connections: usize,
    /// Use HTTP/2 for requests (prior knowledge on http://, ALPN on https://).
    pub http2: bool,
    pub max_frame_bytes: usize,
    pub tls: TlsOptions,
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            format: Format::Msgpack,
            read_timeout: Duration::from_secs(30),
            stream_idle_timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(10),
            keepalive_interval: None,
            keepalive_timeout: None,
            connections: 1,
            http2: true,
            max_frame_bytes: ZIZQ_DEFAULT_MAX_FRAME,
            tls: TlsOptions::default(),
        }
    }
}

/// The client options document, as `zizq_client_new` takes it (JSON).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ClientOptionsDoc {
    format: Option<Format>,
    read_timeout_ms: Option<Millis>,
    stream_idle_timeout_ms: Option<Millis>,
    connect_timeout_ms: Option<Millis>,
    keepalive_interval_ms: Option<Millis>,
    keepalive_timeout_ms: Option<Millis>,
    connections: Option<Bounded<1, 64>>,
    http2: Option<bool>,
    max_frame_bytes: Option<Bounded<64, { 1 << 32 }>>,
    tls: Option<TlsOptionsDoc>,
}

/// The `tls` map of the client options. `ca`, `client_cert` and
/// `client_key` hold PEM text (recognised by its armour) or a file path, so
/// that shims need not tell them apart; the `_pem` / `_file` keys say which.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, expecting = "a map of TLS options")]
struct TlsOptionsDoc {
    ca: Option<String>,
    ca_pem: Option<String>,
    ca_file: Option<String>,
    client_cert: Option<String>,
    client_cert_pem: Option<String>,
    client_cert_file: Option<String>,
    client_key: Option<String>,
    client_key_pem: Option<String>,
    client_key_file: Option<String>,
}

impl ClientOptions {
    /// Parse the JSON options document (empty input = defaults). Null values
    /// mean "default".
    pub fn from_json(bytes: &[u8]) -> Result<ClientOptions> {
        let map = codec::decode_args(Format::Json, bytes)
            .map_err(|e| Error::invalid(format!("client options: {}", e.message)))?;
        let doc: ClientOptionsDoc = options::from_map(map, "client options")?;
        let defaults = ClientOptions::default();
        let duration = |ms: Option<Millis>, default| ms.map_or(default, |Millis(d)| d);
        Ok(ClientOptions {
            format: doc.format.unwrap_or(defaults.format),
            read_timeout: duration(doc.read_timeout_ms, defaults.read_timeout),
            stream_idle_timeout: duration(doc.stream_idle_timeout_ms, defaults.stream_idle_timeout),
            connect_timeout: duration(doc.connect_timeout_ms, defaults.connect_timeout),
            keepalive_interval: doc.keepalive_interval_ms.map(|Millis(d)| d),
            keepalive_timeout: doc.keepalive_timeout_ms.map(|Millis(d)| d),
            connections: doc
                .connections
                .map_or(defaults.connections, |Bounded(n)| n as usize),
            http2: doc.http2.unwrap_or(defaults.http2),
            max_frame_bytes: doc
                .max_frame_bytes
                .map_or(defaults.max_frame_bytes, |Bounded(n)| n as usize),
            tls: doc.tls.map(tls_options).transpose()?.unwrap_or_default(),
        })
    }

    /// Keep-alive of request connections: by default a silent connection
    /// is pinged after `read_timeout` and given `read_timeout` to answer.
    pub fn keepalive(&self) -> KeepAlive {
        KeepAlive {
            interval: self.keepalive_interval.unwrap_or(self.read_timeout),
            timeout: self.keepalive_timeout.unwrap_or(self.read_timeout),
        }
    }
}

/// The TLS options, each source given once: `ca` or `ca_pem`/`ca_file`...
fn tls_options(doc: TlsOptionsDoc) -> Result<TlsOptions> {
    fn either(
        key: &str,
        any: Option<String>,
        pem: Option<String>,
        file: Option<String>,
    ) -> Result<(Option<String>, Option<String>)> {
        match any {
            None => Ok((pem, file)),
            Some(_) if pem.is_some() || file.is_some() => Err(Error::invalid(format!(
                "TLS options: give `{key}` or `{key}_pem`/`{key}_file`, not both"
            ))),
            Some(v) if v.contains("-----BEGIN") => Ok((Some(v), None)),
            Some(v) => Ok((None, Some(v))),
        }
    }
    let (ca_pem, ca_file) = either("ca", doc.ca, doc.ca_pem, doc.ca_file)?;
    let (client_cert_pem, client_cert_file) = either(
        "client_cert",
        doc.client_cert,
        doc.client_cert_pem,
        doc.client_cert_file,
    )?;
    let (client_key_pem, client_key_file) = either(
        "client_key",
        doc.client_key,
        doc.client_key_pem,
        doc.client_key_file,
    )?;
    Ok(TlsOptions {
        ca_pem,
        ca_file,
        client_cert_pem,
        client_cert_file,
        client_key_pem,
        client_key_file,
    })
}

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
        let pool = Pool::new(
            endpoint,
            options.connections,
            options.http2,
            options.keepalive(),
        );
        let closed = CancellationToken::new();
        Ok(Client {
            inner: Arc::new(Inner {
                options,
                pool,
                streams: Scope::under(closed.clone()),
                closed,
            }),
            scope: Arc::new(Scope::under(CancellationToken::new())),
            flight: None,
        })
    }

    pub fn options(&self) -> &ClientOptions {
        &self.inner.options
    }

    pub fn format(&self) -> Format {
        self.inner.options.format
    }

    pub fn base_url(&self) -> String {
        self.inner.pool.endpoint().base_url()
    }

    pub fn endpoint(&self) -> &Arc<Endpoint> {
        self.inner.pool.endpoint()
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
        let exchange = self.inner.pool.request(
            method,
            &full,
            headers,
            body.unwrap_or_default(),
            self.inner.options.read_timeout,
            &flight.in_flight,
        );
        let result = tokio::select! {
            biased;
            _ = self.inner.closed.cancelled() => Err(Error::closed()),
            result = exchange => result,
        };
        result.map_err(|err| flight.mark(err))
    }

    /// Turn a reply into its body (in the client's format) if its status is
    /// one of `expected`, else into the matching error.
    pub fn expect(&self, reply: Reply, expected: &[u16]) -> Result<Bytes> {
        if expected.contains(&reply.status) {
            if reply.body.is_empty() {
                return Ok(reply.body);
            }
            let from = reply.format.unwrap_or(self.format());
            return codec::transcode(from, self.format(), reply.body).map_err(|mut e| {
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

    /// Encode a document in the client's format.
    pub fn encode(&self, value: &Value) -> Bytes {
        codec::encode(self.format(), value).into()
    }

    pub fn encode_map(&self, map: Map<String, Value>) -> Bytes {
        self.encode(&Value::Object(map))
    }

    /// Decode a response document.
    pub fn decode(&self, body: &[u8]) -> Result<Value> {
        codec::decode(self.format(), body)
    }

    /// Run an operation to completion from a host thread. The handle's
    /// cancellation scope is captured now, so a `cancel` racing with the
    /// start of the call still interrupts it.
    pub fn block<T, F, Fut>(&self, op: F) -> Result<T>
    where
        F: FnOnce(Client) -> Fut,
        Fut: std::future::Future<Output = Result<T>> + Send + 'static,
        T: Send + 'static,
    {
        if self.is_closed() {
            return Err(Error::closed());
        }
        let cancelled = self.scope.token();
        let flight = Arc::new(Flight::new());
        let work = op(Client {
            flight: Some(flight.clone()),
            ..self.clone()
        });
        runtime::block_on(async move {
            tokio::select! {
                biased;
                _ = cancelled.cancelled() => Err(flight.mark(Error::new(
                    Status::ZIZQ_E_CANCELLED,
                    "the call was cancelled",
                ))),
                result = work => result,
            }
        })
    }
}

/// The error for a response whose status the operation did not expect.
pub fn response_error(reply: Reply) -> Error {
    let message = codec::error_message(reply.format, &reply.body, reply.status);
    Error::from_response(reply.status, message, reply.body)
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("url", &self.base_url())
            .field("format", &self.format())
            .finish()
    }
}
