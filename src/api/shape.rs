//! A fast check that a bulk enqueue document has the shape the API layer
//! demands, without building it: the hot path of bulk enqueue. A document
//! that fails it is checked again the slow way, which names the problem.

use crate::codec::Format;
use serde::de::{self, Deserializer, IgnoredAny, Visitor};
use serde::Deserialize;
use std::fmt;

/// `{"jobs": [enqueue map, ...]}` and nothing else.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Bulk {
    #[serde(rename = "jobs")]
    _jobs: Vec<Job>,
}

/// An enqueue map: `type`, `queue` (strings) and `payload` (anything,
/// null included) are required; the other keys are the server's to check.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Job {
    #[serde(rename = "type")]
    _kind: Str,
    #[serde(rename = "queue")]
    _queue: Str,
    #[serde(rename = "payload")]
    _payload: IgnoredAny,
    #[serde(rename = "priority", default)]
    _priority: IgnoredAny,
    #[serde(rename = "ready_at", default)]
    _ready_at: IgnoredAny,
    #[serde(rename = "retry_limit", default)]
    _retry_limit: IgnoredAny,
    #[serde(rename = "backoff", default)]
    _backoff: IgnoredAny,
    #[serde(rename = "retention", default)]
    _retention: IgnoredAny,
    #[serde(rename = "unique_key", default)]
    _unique_key: IgnoredAny,
    #[serde(rename = "unique_while", default)]
    _unique_while: IgnoredAny,
    #[serde(rename = "batch", default)]
    _batch: IgnoredAny,
}

/// A string, checked but not kept.
struct Str;

impl<'de> Deserialize<'de> for Str {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Str, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Str;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_str<E: de::Error>(self, _: &str) -> Result<Str, E> {
                Ok(Str)
            }
        }
        d.deserialize_str(V)
    }
}

/// True when `doc` is certainly a well-formed bulk enqueue document.
pub fn is_bulk_enqueue(format: Format, doc: &[u8]) -> bool {
    match format {
        Format::Json => serde_json::from_slice::<Bulk>(doc).is_ok(),
        Format::Msgpack => {
            let mut rest = doc;
            Bulk::deserialize(&mut rmp_serde::Deserializer::new(&mut rest)).is_ok()
                && rest.is_empty()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::encode;
    use serde_json::json;

    fn check(v: serde_json::Value) -> bool {
        let json = is_bulk_enqueue(Format::Json, &encode(Format::Json, &v));
        let mp = is_bulk_enqueue(Format::Msgpack, &encode(Format::Msgpack, &v));
        assert_eq!(json, mp, "{v}");
        json
    }

    #[test]
    fn accepts_only_complete_enqueue_maps() {
        assert!(check(json!({"jobs": []})));
        assert!(check(json!({"jobs": [
            {"type": "t", "queue": "q", "payload": null},
            {"type": "t", "queue": "q", "payload": {"n": 1}, "priority": 3, "batch": {"key": "k"}}
        ]})));
        assert!(!check(json!({})));
        assert!(!check(json!({"jobs": {}})));
        assert!(!check(json!({"jobs": [], "extra": 1})));
        assert!(!check(json!({"jobs": [{"type": "t", "queue": "q"}]})));
        assert!(!check(
            json!({"jobs": [{"type": 1, "queue": "q", "payload": 1}]})
        ));
        assert!(!check(
            json!({"jobs": [{"type": "t", "queue": "q", "payload": 1, "typo": 1}]})
        ));
        assert!(!check(json!({"jobs": [1]})));
        assert!(!is_bulk_enqueue(Format::Json, b"{\"jobs\": []} trailing"));
        assert!(!is_bulk_enqueue(
            Format::Msgpack,
            &[0x81, 0xa4, b'j', b'o', b'b', b's', 0x90, 0x00]
        ));
    }
}
