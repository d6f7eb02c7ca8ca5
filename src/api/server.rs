//! Server-level endpoints, page links and the generic request escape hatch.

use crate::client::Client;
use crate::error::{Error, Repeat, Result};
use bytes::Bytes;
use hyper::{Method, Uri};

fn get(client: &Client, path: String) -> Result<Bytes> {
    client
        .block(move |c| async move { c.call(Method::GET, &path, None, &[200], Repeat::Safe).await })
}

pub fn health(client: &Client) -> Result<Bytes> {
    get(client, "/health".into())
}

pub fn server_version(client: &Client) -> Result<Bytes> {
    get(client, "/version".into())
}

pub fn get_queues(client: &Client) -> Result<Bytes> {
    get(client, "/queues".into())
}

/// `POST /reset`: every cron group and every job is deleted.
pub fn erase_all_data(client: &Client) -> Result<()> {
    client.block(|c| async move {
        c.call(Method::POST, "/reset", None, &[204], Repeat::Safe)
            .await
            .map(drop)
    })
}

/// `GET` a server path such as a `pages.next` link.
pub fn get_path(client: &Client, link: &str) -> Result<Bytes> {
    get(client, link_path(client, link)?)
}

/// Turn a page link into a request path on this client's server. Absolute
/// URLs must point at the same scheme, host and port. The server inserts
/// every query value but `filter` raw (already decoded: spaces, `+`, `&`,
/// `%`, `#`, non-ASCII), so the query is re-encoded before it is sent.
pub fn link_path(client: &Client, link: &str) -> Result<String> {
    let link = &reencode_link_query(link);
    let path = if link.starts_with("http://") || link.starts_with("https://") {
        let uri: Uri = escape_link(link)
            .parse()
            .map_err(|e| Error::invalid(format!("invalid link {link:?}: {e}")))?;
        let endpoint = client.endpoint();
        let same_host = uri.scheme_str() == Some(endpoint.scheme)
            && uri.authority().is_some_and(|a| {
                a.host()
                    .trim_start_matches('[')
                    .trim_end_matches(']')
                    .eq_ignore_ascii_case(&endpoint.host)
                    && a.port_u16()
                        .unwrap_or(if endpoint.scheme == "https" { 443 } else { 80 })
                        == endpoint.port
            });
        if !same_host {
            return Err(Error::invalid(format!(
                "refusing to follow a link to another server: {link:?}"
            )));
        }
        let path = uri.path_and_query().map_or("/", |p| p.as_str());
        path.strip_prefix(endpoint.prefix.as_str())
            .filter(|rest| rest.starts_with('/'))
            .unwrap_or(path)
            .to_string()
    } else if link.starts_with('/') && !link.starts_with("//") {
        escape_link(link)
    } else {
        return Err(Error::invalid(format!(
            "a link must be a path starting with '/' or a URL on this server, got {link:?}"
        )));
    };
    Ok(path)
}

/// Query parameters of the server's page links, in the order it writes them.
const LINK_KEYS: [&str; 11] = [
    "from", "order", "limit", "status", "queue", "type", "id", "priority", "ready_at", "attempts",
    "filter",
];

/// Re-encode the query of a server page link. A value may itself contain
/// `&`, so a parameter starts only at an `&` followed by a known `key=`;
/// `filter` is the one value the server already percent-encodes.
fn reencode_link_query(link: &str) -> String {
    let Some((head, query)) = link.split_once('?') else {
        return link.to_string();
    };
    let starts_param = |rest: &str| {
        LINK_KEYS
            .iter()
            .any(|k| rest.strip_prefix(k).is_some_and(|r| r.starts_with('=')))
    };
    let mut params = Vec::new();
    let mut start = 0;
    for (i, _) in query.match_indices('&') {
        if starts_param(&query[i + 1..]) {
            params.push(&query[start..i]);
            start = i + 1;
        }
    }
    params.push(&query[start..]);
    let mut out = String::with_capacity(link.len() + 16);
    out.push_str(head);
    for (n, param) in params.iter().enumerate() {
        out.push(if n == 0 { '?' } else { '&' });
        match param.split_once('=') {
            Some(("filter", value)) => {
                out.push_str("filter=");
                out.push_str(value);
            }
            Some((key, value)) => {
                out.push_str(key);
                out.push('=');
                out.push_str(&super::enc(value));
            }
            None => out.push_str(&super::enc(param)),
        }
    }
    out
}

fn escape_link(link: &str) -> String {
    let mut out = String::with_capacity(link.len());
    for &b in link.as_bytes() {
        let keep = b > 0x20 && b < 0x7f && !b"\"<>\\^`{|}#".contains(&b);
        if keep {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Any request: returns the HTTP status and the raw body, whatever the
/// status; only transport failures are errors.
pub fn request(
    client: &Client,
    method: &str,
    path: &str,
    body: Option<Bytes>,
) -> Result<(u16, Bytes)> {
    let method = Method::from_bytes(method.as_bytes())
        .map_err(|_| Error::invalid(format!("invalid HTTP method {method:?}")))?;
    if !path.starts_with('/') || path.starts_with("//") {
        return Err(Error::invalid(format!(
            "the path must start with a single '/', got {path:?}"
        )));
    }
    let path = escape_link(path);
    // Only POST creates something new on every call in this protocol.
    let repeat = if method == Method::POST {
        Repeat::Duplicates
    } else {
        Repeat::Safe
    };
    client.block(move |c| async move {
        let reply = c.send(method, &path, body, repeat).await?;
        Ok((reply.status, reply.body))
    })
}
