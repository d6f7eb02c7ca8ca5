//! The server's address, parsed once from the base URL, and connection setup.

use super::tls::TlsConfigs;
use super::{io_error, timeout_error, Io, TlsOptions};
use crate::error::{Error, Result, Status};
use hyper::Uri;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpStream;

/// Where the server lives and how to connect to it.
pub struct Endpoint {
    pub scheme: &'static str,
    /// Host as written in the URL (IPv6 without brackets).
    pub host: String,
    pub port: u16,
    /// `host:port` as sent in `Host` / `:authority`.
    pub authority: String,
    /// Path prefix of the base URL without trailing `/` (usually empty).
    pub prefix: String,
    pub connect_timeout: Duration,
    tls: Option<TlsConfigs>,
}

/// Which TLS application protocol to offer.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Alpn {
    /// `h2` then `http/1.1`: ordinary requests.
    Requests,
    /// `http/1.1` only: take streams.
    Stream,
}

impl Endpoint {
    pub fn parse(url: &str, connect_timeout: Duration, tls: &TlsOptions) -> Result<Endpoint> {
        let trimmed = url.trim().trim_end_matches('/');
        let uri: Uri = trimmed
            .parse()
            .map_err(|e| Error::invalid(format!("invalid URL {url:?}: {e}")))?;
        let scheme = match uri.scheme_str() {
            Some("http") => "http",
            Some("https") => "https",
            Some(other) => {
                return Err(Error::invalid(format!(
                    "invalid URL {url:?}: unsupported scheme {other:?} (use http or https)"
                )))
            }
            None => {
                return Err(Error::invalid(format!(
                    "invalid URL {url:?}: missing scheme (e.g. http://127.0.0.1:7890)"
                )))
            }
        };
        let authority = uri
            .authority()
            .ok_or_else(|| Error::invalid(format!("invalid URL {url:?}: missing host")))?;
        if authority.as_str().contains('@') {
            return Err(Error::invalid(format!(
                "invalid URL {url:?}: credentials in URLs are not supported"
            )));
        }
        let host = authority
            .host()
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_string();
        if host.is_empty() {
            return Err(Error::invalid(format!("invalid URL {url:?}: missing host")));
        }
        if uri.query().is_some() {
            return Err(Error::invalid(format!(
                "invalid URL {url:?}: a base URL cannot have a query"
            )));
        }
        let port = authority
            .port_u16()
            .unwrap_or(if scheme == "https" { 443 } else { 80 });
        let tls = if scheme == "https" {
            Some(TlsConfigs::build(tls)?)
        } else {
            if tls.is_configured() {
                return Err(Error::invalid(
                    "TLS options were given but the URL scheme is http (use https://)",
                ));
            }
            None
        };
        Ok(Endpoint {
            scheme,
            authority: authority.as_str().to_string(),
            host,
            port,
            prefix: uri.path().trim_end_matches('/').to_string(),
            connect_timeout,
            tls,
        })
    }

    pub fn is_tls(&self) -> bool {
        self.tls.is_some()
    }

    /// Base URL as normalised (scheme, authority, prefix).
    pub fn base_url(&self) -> String {
        format!("{}://{}{}", self.scheme, self.authority, self.prefix)
    }

    /// Open a TCP (and TLS) connection. Returns the stream and whether HTTP/2
    /// was negotiated by ALPN (always false without TLS).
    pub async fn connect(self: &Arc<Self>, alpn: Alpn) -> Result<(Box<dyn Io>, bool)> {
        let timeout = self.connect_timeout;
        let work = self.connect_inner(alpn);
        match tokio::time::timeout(timeout, work).await {
            Ok(result) => result,
            Err(_) => Err(timeout_error(
                &format!("connecting to {}", self.authority),
                timeout,
            )),
        }
    }

    async fn connect_inner(&self, alpn: Alpn) -> Result<(Box<dyn Io>, bool)> {
        let tcp = TcpStream::connect((self.host.as_str(), self.port))
            .await
            .map_err(|e| io_error(&format!("cannot connect to {}", self.authority), e))?;
        let _ = tcp.set_nodelay(true);
        let Some(tls) = &self.tls else {
            return Ok((Box::new(tcp), false));
        };
        let name = rustls::pki_types::ServerName::try_from(self.host.clone()).map_err(|e| {
            Error::new(
                Status::ZIZQ_E_TLS,
                format!("invalid TLS server name {:?}: {e}", self.host),
            )
        })?;
        let connector = tls.connector(alpn);
        let stream = connector.connect(name, tcp).await.map_err(|e| {
            let mut err = io_error(&format!("TLS handshake with {}", self.authority), e);
            if err.status == Status::ZIZQ_E_CONNECTION {
                // A handshake that fails at the transport level is still a TLS
                // failure from the caller's point of view.
                err.status = Status::ZIZQ_E_TLS;
            }
            err
        })?;
        let h2 = stream.get_ref().1.alpn_protocol() == Some(b"h2");
        Ok((Box::new(stream), h2))
    }
}
