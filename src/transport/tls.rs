//! rustls client configuration: trusted roots (a given CA or the webpki
//! roots), an optional client certificate for mutual TLS, and one config per
//! ALPN offer. Built once per client.

use super::endpoint::Alpn;
use crate::error::{Error, Result, Status};
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::{ClientConfig, RootCertStore};
use std::sync::Arc;
use tokio_rustls::TlsConnector;

/// TLS material, each as PEM text or a PEM file path.
#[derive(Default, Clone, Debug)]
pub struct TlsOptions {
    pub ca_pem: Option<String>,
    pub ca_file: Option<String>,
    pub client_cert_pem: Option<String>,
    pub client_cert_file: Option<String>,
    pub client_key_pem: Option<String>,
    pub client_key_file: Option<String>,
}

impl TlsOptions {
    pub fn is_configured(&self) -> bool {
        self.ca_pem.is_some()
            || self.ca_file.is_some()
            || self.client_cert_pem.is_some()
            || self.client_cert_file.is_some()
            || self.client_key_pem.is_some()
            || self.client_key_file.is_some()
    }
}

pub(super) struct TlsConfigs {
    requests: TlsConnector,
    stream: TlsConnector,
}

fn tls_error(message: String) -> Error {
    Error::new(Status::ZIZQ_E_TLS, message)
}

/// PEM text from either the inline value or the file.
fn pem_source(
    inline: &Option<String>,
    file: &Option<String>,
    what: &str,
) -> Result<Option<Vec<u8>>> {
    match (inline, file) {
        (Some(_), Some(_)) => Err(Error::invalid(format!(
            "give either the {what} PEM or its file, not both"
        ))),
        (Some(pem), None) => Ok(Some(pem.clone().into_bytes())),
        (None, Some(path)) => std::fs::read(path)
            .map(Some)
            .map_err(|e| Error::invalid(format!("cannot read {what} file {path:?}: {e}"))),
        (None, None) => Ok(None),
    }
}

fn certificates(pem: &[u8], what: &str) -> Result<Vec<CertificateDer<'static>>> {
    let certs = rustls_pemfile::certs(&mut &pem[..])
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| tls_error(format!("invalid {what} PEM: {e}")))?;
    if certs.is_empty() {
        return Err(tls_error(format!("no certificate found in the {what} PEM")));
    }
    Ok(certs)
}

impl TlsConfigs {
    pub(super) fn build(options: &TlsOptions) -> Result<TlsConfigs> {
        let mut roots = RootCertStore::empty();
        match pem_source(&options.ca_pem, &options.ca_file, "CA")? {
            Some(pem) => {
                for cert in certificates(&pem, "CA")? {
                    roots
                        .add(cert)
                        .map_err(|e| tls_error(format!("unusable CA certificate: {e}")))?;
                }
            }
            None => roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| tls_error(format!("TLS setup failed: {e}")))?
            .with_root_certificates(roots);
        let cert = pem_source(
            &options.client_cert_pem,
            &options.client_cert_file,
            "client certificate",
        )?;
        let key = pem_source(
            &options.client_key_pem,
            &options.client_key_file,
            "client key",
        )?;
        let config = match (cert, key) {
            (Some(cert), Some(key)) => {
                let chain = certificates(&cert, "client certificate")?;
                let key: PrivateKeyDer<'static> = rustls_pemfile::private_key(&mut &key[..])
                    .map_err(|e| tls_error(format!("invalid client key PEM: {e}")))?
                    .ok_or_else(|| {
                        tls_error("no private key found in the client key PEM".into())
                    })?;
                builder
                    .with_client_auth_cert(chain, key)
                    .map_err(|e| tls_error(format!("unusable client certificate/key: {e}")))?
            }
            (None, None) => builder.with_no_client_auth(),
            _ => {
                return Err(Error::invalid(
                    "mutual TLS needs both a client certificate and a client key",
                ))
            }
        };
        let with_alpn = |protocols: &[&[u8]]| {
            let mut c = config.clone();
            c.alpn_protocols = protocols.iter().map(|p| p.to_vec()).collect();
            TlsConnector::from(Arc::new(c))
        };
        Ok(TlsConfigs {
            requests: with_alpn(&[b"h2", b"http/1.1"]),
            stream: with_alpn(&[b"http/1.1"]),
        })
    }

    pub(super) fn connector(&self, alpn: Alpn) -> &TlsConnector {
        match alpn {
            Alpn::Requests => &self.requests,
            Alpn::Stream => &self.stream,
        }
    }
}
