//! A fast check that an enqueue document (one job, or a bulk one) has the
//! shape the API layer demands, without building it: the hot path of
//! enqueue. A document that fails it is checked again the slow way, which
//! names the problem.

use super::durations::SECONDS_KEYS;
use super::jobs::ENQUEUE_KEYS;
use crate::codec::Format;
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use std::fmt;

// Every visitor below takes one kind of value and asks for it with
// `deserialize_any`: serde's derived structs would also take arrays and
// integer keys, and rmp-serde's `deserialize_seq` takes bin data as a
// sequence of bytes. Every value is checked as the full check's decoding
// checks it: what JSON cannot hold (bin, ext, non-string keys, numbers out
// of range) is refused here too, so that nothing skips the full check that
// it would fail.

/// `{"jobs": [enqueue map, ...]}` and nothing else.
struct Bulk;

impl<'de> Deserialize<'de> for Bulk {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Bulk, D::Error> {
        d.deserialize_any(Bulk)
    }
}

impl<'de> Visitor<'de> for Bulk {
    type Value = Bulk;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a bulk enqueue map")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Bulk, A::Error> {
        let mut jobs = false;
        while map.next_key_seed(Key(&["jobs"]))?.is_some() {
            if jobs {
                return Err(de::Error::duplicate_field("jobs"));
            }
            map.next_value::<Jobs>()?;
            jobs = true;
        }
        if jobs {
            Ok(Bulk)
        } else {
            Err(de::Error::missing_field("jobs"))
        }
    }
}

/// The array of enqueue maps.
struct Jobs;

impl<'de> Deserialize<'de> for Jobs {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Jobs, D::Error> {
        d.deserialize_any(Jobs)
    }
}

impl<'de> Visitor<'de> for Jobs {
    type Value = Jobs;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array of enqueue maps")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Jobs, A::Error> {
        while seq.next_element::<Job>()?.is_some() {}
        Ok(Jobs)
    }
}

/// An enqueue map: `type`, `queue` (strings) and `payload` (anything,
/// null included) are required; the other keys are the server's to check.
struct Job;

impl<'de> Deserialize<'de> for Job {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Job, D::Error> {
        d.deserialize_any(Job)
    }
}

impl<'de> Visitor<'de> for Job {
    type Value = Job;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an enqueue map")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Job, A::Error> {
        let mut seen = [false; ENQUEUE_KEYS.len()];
        while let Some(i) = map.next_key_seed(Key(ENQUEUE_KEYS))? {
            if std::mem::replace(&mut seen[i], true) {
                return Err(de::Error::duplicate_field(ENQUEUE_KEYS[i]));
            }
            match ENQUEUE_KEYS[i] {
                "type" | "queue" => {
                    map.next_value::<Str>()?;
                }
                // Durations in seconds are rewritten by the full path.
                "backoff" | "retention" => {
                    map.next_value::<Durations>()?;
                }
                _ => {
                    map.next_value::<Plain>()?;
                }
            }
        }
        match seen[..3].iter().position(|s| !s) {
            Some(i) => Err(de::Error::missing_field(ENQUEUE_KEYS[i])),
            None => Ok(Job),
        }
    }
}

/// A string map key among the given names; its index.
struct Key(&'static [&'static str]);

impl<'de> DeserializeSeed<'de> for Key {
    type Value = usize;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<usize, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Key {
    type Value = usize;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a string key")
    }

    fn visit_str<E: de::Error>(self, key: &str) -> Result<usize, E> {
        self.0
            .iter()
            .position(|k| *k == key)
            .ok_or_else(|| de::Error::unknown_field(key, self.0))
    }
}

/// A string, checked but not kept.
struct Str;

impl<'de> Deserialize<'de> for Str {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Str, D::Error> {
        d.deserialize_any(Str)
    }
}

impl<'de> Visitor<'de> for Str {
    type Value = Str;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a string")
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<Str, E> {
        Ok(Str)
    }
}

/// Any value a JSON document can hold, checked but not kept; with
/// `NO_SECONDS`, a map holding a key of the seconds shape of durations at
/// its top is refused.
struct Checked<const NO_SECONDS: bool>;
type Plain = Checked<false>;
type Durations = Checked<true>;

impl<'de, const NO_SECONDS: bool> Deserialize<'de> for Checked<NO_SECONDS> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(Checked)
    }
}

impl<'de, const NO_SECONDS: bool> Visitor<'de> for Checked<NO_SECONDS> {
    type Value = Checked<NO_SECONDS>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a value JSON can hold")
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self, E> {
        Ok(Checked)
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self, E> {
        Ok(Checked)
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self, E> {
        Ok(Checked)
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self, E> {
        Ok(Checked)
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<Self, E> {
        Ok(Checked)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self, E> {
        Ok(Checked)
    }
    fn visit_none<E: de::Error>(self) -> Result<Self, E> {
        Ok(Checked)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self, D::Error> {
        Self::deserialize(d)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self, A::Error> {
        while seq.next_element::<Plain>()?.is_some() {}
        Ok(Checked)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self, A::Error> {
        let refused: &[&str] = if NO_SECONDS { SECONDS_KEYS } else { &[] };
        while map.next_key_seed(NotIn(refused))?.is_some() {
            map.next_value::<Plain>()?;
        }
        Ok(Checked)
    }
}

/// A string map key that is none of the given names.
struct NotIn(&'static [&'static str]);

impl<'de> DeserializeSeed<'de> for NotIn {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for NotIn {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a string key")
    }

    fn visit_str<E: de::Error>(self, key: &str) -> Result<(), E> {
        match self.0.contains(&key) {
            true => Err(de::Error::custom(format_args!("`{key}` is rewritten"))),
            false => Ok(()),
        }
    }
}

/// True when `doc` is certainly a well-formed bulk enqueue document.
pub fn is_bulk_enqueue(format: Format, doc: &[u8]) -> bool {
    has_shape::<Bulk>(format, doc)
}

/// True when `doc` is certainly a well-formed enqueue document (one job).
pub fn is_enqueue(format: Format, doc: &[u8]) -> bool {
    has_shape::<Job>(format, doc)
}

/// Whether `doc` is exactly one `T`, with nothing after it.
fn has_shape<T: for<'de> Deserialize<'de>>(format: Format, doc: &[u8]) -> bool {
    match format {
        Format::Json => serde_json::from_slice::<T>(doc).is_ok(),
        Format::Msgpack => {
            let mut rest = doc;
            T::deserialize(&mut rmp_serde::Deserializer::new(&mut rest)).is_ok() && rest.is_empty()
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
        // Durations in seconds are left to the full path, which rewrites them.
        let job = |extra: serde_json::Value| {
            let mut job = json!({"type": "t", "queue": "q", "payload": 1});
            job.as_object_mut()
                .unwrap()
                .extend(extra.as_object().unwrap().clone());
            json!({ "jobs": [job] })
        };
        assert!(check(job(
            json!({"backoff": {"exponent": 1, "base_ms": 5, "jitter_ms": 1}})
        )));
        assert!(check(job(
            json!({"retention": {"dead_ms": 5}, "payload": {"base": 1}})
        )));
        assert!(!check(job(json!({"backoff": {"exponent": 1, "base": 5}}))));
        assert!(!check(job(json!({"retention": {"dead": 5}}))));
        assert!(!is_bulk_enqueue(Format::Json, b"{\"jobs\": []} trailing"));
        assert!(!is_bulk_enqueue(
            Format::Msgpack,
            &[0x81, 0xa4, b'j', b'o', b'b', b's', 0x90, 0x00]
        ));
    }

    #[test]
    fn one_job_has_the_shape_of_a_bulk_element() {
        let single = |v: serde_json::Value| {
            let json = is_enqueue(Format::Json, &encode(Format::Json, &v));
            let mp = is_enqueue(Format::Msgpack, &encode(Format::Msgpack, &v));
            assert_eq!(json, mp, "{v}");
            // The same verdict as for a bulk document holding it.
            assert_eq!(json, check(json!({ "jobs": [v.clone()] })), "{v}");
            json
        };
        assert!(single(
            json!({"type": "t", "queue": "q", "payload": {"n": 1}})
        ));
        assert!(single(
            json!({"type": "t", "queue": "q", "payload": null, "priority": 1})
        ));
        assert!(!single(json!({"type": "t", "queue": "q"})));
        assert!(!single(
            json!({"type": "t", "queue": "q", "payload": 1, "x": 1})
        ));
        assert!(!single(
            json!({"type": "t", "queue": "q", "payload": 1, "backoff": {"base": 1}})
        ));
        assert!(!single(json!([1])));
        assert!(!is_enqueue(
            Format::Json,
            b"{\"type\":\"t\",\"queue\":\"q\",\"payload\":1} x"
        ));
    }

    /// The property fuzz/fuzz_targets/bulk_shape.rs checks. Serde's derived
    /// structs take arrays and field indexes for maps, rmp-serde reads bin
    /// as a sequence, and `IgnoredAny` takes what the full check's decoding
    /// refuses, so documents the full check rejects skipped it.
    #[test]
    fn accepts_nothing_the_full_check_rejects() {
        let json: &[&[u8]] = &[
            br#"[[]]"#,
            br#"{"jobs":[["t","q",null]]}"#,
            br#"{"jobs":[{"type":"t","queue":"q","payload":1e400}]}"#,
            br#"{"jobs":[{"type":"t","queue":"q","payload":null,"type":1}]}"#,
        ];
        let msgpack: &[&[u8]] = &[
            // {0: []}: a field index for a key
            &[0x81, 0x00, 0x90],
            // {"jobs": bin8(0)}: rmp-serde reads bin as a sequence of bytes
            &[0x81, 0xa4, b'j', b'o', b'b', b's', 0xc4, 0x00],
            // {bin8("jobs"): []}
            &[0x81, 0xc4, 0x04, b'j', b'o', b'b', b's', 0x90],
            // {"jobs": [["t", "q", nil]]}
            &[
                0x81, 0xa4, b'j', b'o', b'b', b's', 0x91, 0x93, 0xa1, b't', 0xa1, b'q', 0xc0,
            ],
            // {"jobs": [{"type": "t", "queue": "q", "payload": bin8(1)}]}
            &[
                0x81, 0xa4, b'j', b'o', b'b', b's', 0x91, 0x83, 0xa4, b't', b'y', b'p', b'e', 0xa1,
                b't', 0xa5, b'q', b'u', b'e', b'u', b'e', 0xa1, b'q', 0xa7, b'p', b'a', b'y', b'l',
                b'o', b'a', b'd', 0xc4, 0x01, 0x00,
            ],
        ];
        for (format, docs) in [(Format::Json, json), (Format::Msgpack, msgpack)] {
            for doc in docs {
                assert!(
                    crate::api::jobs::bulk_body(format, doc).is_err(),
                    "{format:?} {doc:?}"
                );
                assert!(!is_bulk_enqueue(format, doc), "{format:?} {doc:?}");
            }
        }
    }
}
