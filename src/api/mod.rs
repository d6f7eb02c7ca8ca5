//! The protocol, one module per endpoint family: paths, query strings,
//! client-side validation and the seed's short-circuits. Every function takes
//! and returns documents in the client's format.

pub mod crons;
pub mod durations;
pub mod filters;
pub mod jobs;
pub mod server;
pub(crate) mod shape;

use crate::codec;
use crate::error::{Error, Result};
use bytes::Bytes;
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use serde_json::{Map, Value};

/// Everything but RFC 3986 unreserved characters is escaped, in path
/// segments and query values alike.
const ESCAPED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Percent-encode one path segment (job id, cron group or entry name).
pub fn enc(segment: &str) -> String {
    utf8_percent_encode(segment, ESCAPED).to_string()
}

/// Render `?k=v&...` (empty string when there are no parameters).
pub fn query_string(params: &[(&str, String)]) -> String {
    let mut out = String::new();
    for (i, (key, value)) in params.iter().enumerate() {
        out.push(if i == 0 { '?' } else { '&' });
        out.push_str(key);
        out.push('=');
        out.push_str(&utf8_percent_encode(value, ESCAPED).to_string());
    }
    out
}

/// Decode an argument map and reject unknown keys.
pub fn args(
    client: &crate::client::Client,
    doc: &[u8],
    allowed: &[&str],
    what: &str,
) -> Result<Map<String, Value>> {
    let map = codec::decode_args(client.documents(), doc)?;
    codec::check_keys(&map, allowed, what)?;
    Ok(map)
}

/// A required string field of an argument map.
pub fn required_str<'a>(map: &'a Map<String, Value>, key: &str, what: &str) -> Result<&'a str> {
    match map.get(key) {
        Some(Value::String(s)) => Ok(s),
        Some(other) => Err(Error::invalid(format!(
            "{what}: `{key}` must be a string, got {}",
            codec::kind(other)
        ))),
        None => Err(Error::invalid(format!("{what}: `{key}` is required"))),
    }
}

/// Extract an integer field from a response document.
pub fn count_field(client: &crate::client::Client, body: &Bytes, key: &str) -> Result<i64> {
    client
        .decode(body)?
        .get(key)
        .and_then(Value::as_i64)
        .ok_or_else(|| Error::decode(format!("response has no integer `{key}`")))
}
