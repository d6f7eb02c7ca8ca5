//! Client options, given to `zizq_client_new` as a JSON document.

use crate::codec::{self, Format};
use crate::error::{Error, Result};
use crate::observe::Level;
use crate::options::{self, Bounded, Millis};
use crate::stream::ZIZQ_DEFAULT_MAX_FRAME;
use crate::transport::{KeepAlive, TlsOptions};
use serde::Deserialize;
use std::time::Duration;

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
    /// Events at this level and above are kept for the host to read.
    pub log_level: Level,
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
            log_level: Level::Info,
        }
    }
}

/// The client options document, as `zizq_client_new` takes it (JSON).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ClientOptionsDoc {
    format: Option<Format>,
    documents: Option<Format>,
    read_timeout_ms: Option<Millis>,
    stream_idle_timeout_ms: Option<Millis>,
    connect_timeout_ms: Option<Millis>,
    keepalive_interval_ms: Option<Millis>,
    keepalive_timeout_ms: Option<Millis>,
    connections: Option<Bounded<1, 64>>,
    http2: Option<bool>,
    max_frame_bytes: Option<Bounded<64, { 1 << 32 }>>,
    tls: Option<TlsOptionsDoc>,
    log_level: Option<Level>,
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
            documents: doc.documents,
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
            log_level: doc.log_level.unwrap_or(defaults.log_level),
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
