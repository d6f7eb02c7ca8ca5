//! Client options, given to `zizq_client_new` as a JSON document.

use crate::codec::{self, Format};
use crate::error::{Error, Result};
use crate::stream::ZIZQ_DEFAULT_MAX_FRAME;
use crate::transport::{KeepAlive, TlsOptions};
use serde_json::Value;
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
