//! Option documents (of `zizq_client_new`, `zizq_take_open` and
//! `zizq_worker_new`): each is a `#[derive(Deserialize)]` struct that refuses
//! unknown keys, read here from a decoded map, then validated by its owner.
//! The value types below carry their ranges, so a bad value is refused with
//! a message naming its key. `build.rs` reads the structs' field names into
//! the ABI description (`include/zizq.abi.json`).

use crate::error::{Error, Result};
use serde::de::{DeserializeOwned, Error as _};
use serde::{Deserialize, Deserializer};
use serde_json::{Map, Value};
use std::time::Duration;

/// Deserialize an option document from its decoded map. A null value means
/// "default" (every field is an `Option`). Errors are `ZIZQ_E_INVALID_ARG`
/// and start with `what` (e.g. "client options").
pub fn from_map<T: DeserializeOwned>(map: Map<String, Value>, what: &str) -> Result<T> {
    serde_path_to_error::deserialize(Value::Object(map)).map_err(|e| {
        let path = e.path().to_string();
        let message = e.into_inner().to_string();
        // serde reports a key the struct refuses as "unknown field `k`,
        // expected one of ..."; said in the words of the rest of the API.
        match message.strip_prefix("unknown field ") {
            Some(rest) => match path.rsplit_once('.') {
                Some((parent, _)) => {
                    Error::invalid(format!("{what}: unknown key {rest} (in `{parent}`)"))
                }
                None => Error::invalid(format!("{what}: unknown key {rest}")),
            },
            None => Error::invalid(format!("{what}: option `{path}`: {message}")),
        }
    })
}

/// An integer option in `MIN..=MAX`.
#[derive(Clone, Copy, Debug)]
pub struct Bounded<const MIN: u64, const MAX: u64>(pub u64);

impl<'de, const MIN: u64, const MAX: u64> Deserialize<'de> for Bounded<MIN, MAX> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let refuse = || match MAX {
            u64::MAX => D::Error::custom(format!("must be an integer of at least {MIN}")),
            _ => D::Error::custom(format!("must be an integer between {MIN} and {MAX}")),
        };
        let n = u64::deserialize(d).map_err(|_| refuse())?;
        if (MIN..=MAX).contains(&n) {
            Ok(Bounded(n))
        } else {
            Err(refuse())
        }
    }
}

/// A positive duration given in (possibly fractional) milliseconds.
#[derive(Clone, Copy, Debug)]
pub struct Millis(pub Duration);

impl<'de> Deserialize<'de> for Millis {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let refuse = || D::Error::custom("must be a positive number of milliseconds");
        let ms = f64::deserialize(d).map_err(|_| refuse())?;
        if ms.is_finite() && ms > 0.0 && ms < 1e12 {
            Ok(Millis(Duration::from_micros((ms * 1000.0) as u64)))
        } else {
            Err(refuse())
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::client::ClientOptions;
    use crate::codec::{encode, Format};
    use crate::take::TakeOptions;
    use crate::worker::WorkerOptions;
    use serde_json::json;

    /// The error message of a take and a worker options document, in
    /// both formats (they must agree).
    fn refusals(doc: serde_json::Value) -> (String, String) {
        let mut messages = [Format::Json, Format::Msgpack].map(|format| {
            let bytes = encode(format, &doc);
            let take = TakeOptions::parse(format, &bytes, "take_open").unwrap_err();
            let worker = WorkerOptions::parse(format, &bytes).unwrap_err();
            (take.message, worker.message)
        });
        assert_eq!(messages[0], messages[1], "{doc}");
        std::mem::take(&mut messages[0])
    }

    #[test]
    fn unknown_keys_are_refused_by_name() {
        let (take, worker) = refusals(json!({"prefetch": 1, "colour": "red"}));
        assert!(
            take.starts_with("take_open: unknown key `colour`"),
            "{take}"
        );
        assert!(
            worker.starts_with("worker options: unknown key `colour`"),
            "{worker}"
        );
        assert!(
            worker.contains("`max_ack_batch`"),
            "lists the keys: {worker}"
        );
        let client = ClientOptions::from_json(br#"{"tls": {"ca_pm": "x"}}"#).unwrap_err();
        assert!(
            client.message.contains("unknown key `ca_pm`") && client.message.contains("`tls`"),
            "{}",
            client.message
        );
    }

    #[test]
    fn bad_values_name_their_key() {
        let (take, worker) = refusals(json!({"queues": ["a,b"]}));
        assert!(
            take.starts_with("take_open: option `queues`: must be"),
            "{take}"
        );
        assert!(
            worker.starts_with("worker options: option `queues`"),
            "{worker}"
        );
        let (take, _) = refusals(json!({"prefetch": -1}));
        assert!(take.contains("option `prefetch`"), "{take}");
        let (_, worker) = refusals(json!({"max_ack_batch": 1001}));
        assert!(worker.contains("`max_ack_batch`: must be an integer between 1 and 1000"));
        let (_, worker) = refusals(json!({"backoff_min_ms": 10, "backoff_max_ms": 5}));
        assert!(worker.contains("`backoff_min_ms` exceeds `backoff_max_ms`"));
        for (doc, needle) in [
            (
                r#"{"connections": 65}"#,
                "option `connections`: must be an integer between 1 and 64",
            ),
            (
                r#"{"read_timeout_ms": "1"}"#,
                "option `read_timeout_ms`: must be a positive",
            ),
            (r#"{"http2": 1}"#, "option `http2`: invalid type"),
            (r#"{"format": "xml"}"#, "option `format`: unknown format"),
            (r#"{"tls": 1}"#, "expected a map of TLS options"),
            (r#"{"tls": {"ca_pem": 1}}"#, "option `tls.ca_pem`"),
        ] {
            let err = ClientOptions::from_json(doc.as_bytes()).unwrap_err();
            assert!(err.message.contains(needle), "{doc}: {}", err.message);
        }
    }

    #[test]
    fn nulls_and_empty_documents_mean_defaults() {
        for format in [Format::Json, Format::Msgpack] {
            let nulls = encode(format, &json!({"prefetch": null, "queues": null}));
            assert_eq!(TakeOptions::parse(format, &nulls, "t").unwrap().prefetch, 1);
            assert_eq!(
                WorkerOptions::parse(format, &nulls).unwrap().take.prefetch,
                10
            );
            assert_eq!(
                WorkerOptions::parse(format, b"").unwrap().max_ack_batch,
                1000
            );
            let queues = encode(format, &json!({"queues": "one", "prefetch": 0}));
            let take = TakeOptions::parse(format, &queues, "t").unwrap();
            assert_eq!((take.queues, take.prefetch), (vec!["one".to_string()], 0));
        }
        let client = ClientOptions::from_json(br#"{"connections": null, "read_timeout_ms": 1.5}"#);
        let client = client.unwrap();
        assert_eq!(client.connections, 1);
        assert_eq!(client.read_timeout, std::time::Duration::from_micros(1500));
    }
}
