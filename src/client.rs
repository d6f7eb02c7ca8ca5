//! The client: options, the shared transport, and the one request path every
//! operation goes through (timeouts, close, status checks, response format).

use crate::codec::{self, Format};
use crate::error::{Error, Repeat, Result, Status};
use crate::runtime;
use crate::stream::ZIZQ_DEFAULT_MAX_FRAME;
use crate::transport::{Endpoint, KeepAlive, Pool, Reply, TlsOptions};
use bytes::Bytes;
use hyper::Method;
use serde_json::{Map, Value};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// Client options, given to `zizq_client_new` as a JSON document.
#[derive(Clone, Debug)]
pub struct ClientOptions {
    /// The wire format: what requests and the take stream speak.
    pub format: Format,
    /// The format of the documents the host passes and receives; `None`
    /// follows `format`. A host without a MessagePack library can speak
    /// MessagePack on the wire and hand JSON over the C boundary.
    pub documents: Option<Format>,
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
            documents: None,
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

const OPTION_KEYS: &[&str] = &[
    "format",
    "documents",
    "read_timeout_ms",
    "stream_idle_timeout_ms",
    "connect_timeout_ms",
    "keepalive_interval_ms",
    "keepalive_timeout_ms",
    "connections",
    "http2",
    "max_frame_bytes",
    "tls",
];
const TLS_KEYS: &[&str] = &[
    "ca",
    "client_cert",
    "client_key",
    "ca_pem",
    "ca_file",
    "client_cert_pem",
    "client_cert_file",
    "client_key_pem",
    "client_key_file",
];

impl ClientOptions {
    /// Parse the JSON options document (empty input = defaults). Null values
    /// mean "default".
    pub fn from_json(bytes: &[u8]) -> Result<ClientOptions> {
        let mut options = ClientOptions::default();
        let map = codec::decode_args(Format::Json, bytes)
            .map_err(|e| Error::invalid(format!("client options: {}", e.message)))?;
        codec::check_keys(&map, OPTION_KEYS, "client options")?;
        for (key, value) in &map {
            if value.is_null() {
                continue;
            }
            match key.as_str() {
                "format" => options.format = Format::parse(str_option(key, value)?)?,
                "documents" => options.documents = Some(Format::parse(str_option(key, value)?)?),
                "read_timeout_ms" => options.read_timeout = duration_option(key, value)?,
                "stream_idle_timeout_ms" => {
                    options.stream_idle_timeout = duration_option(key, value)?
                }
                "connect_timeout_ms" => options.connect_timeout = duration_option(key, value)?,
                "keepalive_interval_ms" => {
                    options.keepalive_interval = Some(duration_option(key, value)?)
                }
                "keepalive_timeout_ms" => {
                    options.keepalive_timeout = Some(duration_option(key, value)?)
                }
                "connections" => {
                    options.connections = uint_option(key, value, 1, 64)? as usize;
                }
                "http2" => {
                    options.http2 = value
                        .as_bool()
                        .ok_or_else(|| Error::invalid("option `http2` must be a boolean"))?
                }
                "max_frame_bytes" => {
                    options.max_frame_bytes = uint_option(key, value, 64, 1 << 32)? as usize
                }
                "tls" => options.tls = tls_options(value)?,
                _ => unreachable!("keys checked above"),
            }
        }
        Ok(options)
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

fn str_option<'a>(key: &str, value: &'a Value) -> Result<&'a str> {
    value
        .as_str()
        .ok_or_else(|| Error::invalid(format!("option `{key}` must be a string")))
}

fn uint_option(key: &str, value: &Value, min: u64, max: u64) -> Result<u64> {
    value
        .as_u64()
        .filter(|n| (min..=max).contains(n))
        .ok_or_else(|| {
            Error::invalid(format!(
                "option `{key}` must be an integer between {min} and {max}"
            ))
        })
}

fn duration_option(key: &str, value: &Value) -> Result<Duration> {
    let ms = value
        .as_f64()
        .filter(|ms| ms.is_finite() && *ms > 0.0 && *ms < 1e12)
        .ok_or_else(|| {
            Error::invalid(format!(
                "option `{key}` must be a positive number of milliseconds"
            ))
        })?;
    Ok(Duration::from_micros((ms * 1000.0) as u64))
}

fn tls_options(value: &Value) -> Result<TlsOptions> {
    let map = value
        .as_object()
        .ok_or_else(|| Error::invalid("option `tls` must be a map"))?;
    codec::check_keys(map, TLS_KEYS, "TLS options")?;
    let get = |key: &str| -> Result<Option<String>> {
        match map.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(Error::invalid(format!(
                "TLS option `{key}` must be a string"
            ))),
        }
    };
    // `ca`, `client_cert`, `client_key`: PEM text (recognised by its
    // armour) or a file path, so that shims need not tell them apart.
    let either = |key: &str| -> Result<(Option<String>, Option<String>)> {
        let (pem, file) = (get(&format!("{key}_pem"))?, get(&format!("{key}_file"))?);
        match get(key)? {
            None => Ok((pem, file)),
            Some(_) if pem.is_some() || file.is_some() => Err(Error::invalid(format!(
                "TLS options: give `{key}` or `{key}_pem`/`{key}_file`, not both"
            ))),
            Some(v) if v.contains("-----BEGIN") => Ok((Some(v), None)),
            Some(v) => Ok((None, Some(v))),
        }
    };
    let (ca_pem, ca_file) = either("ca")?;
    let (client_cert_pem, client_cert_file) = either("client_cert")?;
    let (client_key_pem, client_key_file) = either("client_key")?;
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
