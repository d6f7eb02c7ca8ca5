//! Read one value out of an encoded document by path (`"pages.next"`,
//! `"jobs.0.id"`) without building the rest of it: everything off the path
//! is skipped by the parser, so reading a page's link or length costs a scan
//! of its bytes, not a tree of thousands of jobs.

use crate::codec::Format;
use crate::error::{Error, Result};
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::Value;
use std::fmt;

/// What to read at the end of the path.
#[derive(Clone, Copy)]
pub enum Want {
    /// The value itself.
    Value,
    /// The number of elements of an array or entries of a map.
    Len,
}

/// What was at the end of the path.
#[derive(Debug, PartialEq)]
pub enum Found {
    Missing,
    Value(Value),
    Len(usize),
    /// `Want::Len` of a value that is neither an array nor a map.
    NotContainer(&'static str),
}

/// Find `path` in `bytes`. Segments are map keys, or array indexes when
/// numeric; the empty path is the whole document. The whole document must
/// still be well formed (trailing bytes included).
pub fn seek(format: Format, bytes: &[u8], path: &str, want: Want) -> Result<Found> {
    let segments: Vec<&str> = if path.is_empty() {
        Vec::new()
    } else {
        path.split('.').collect()
    };
    let seek = Seek {
        path: &segments,
        want,
    };
    match format {
        Format::Json => {
            let mut de = serde_json::Deserializer::from_slice(bytes);
            let found = seek
                .deserialize(&mut de)
                .and_then(|found| de.end().map(|()| found));
            found.map_err(|e| Error::decode(format!("invalid JSON: {e}")))
        }
        Format::Msgpack => {
            let mut rest = bytes;
            let found = seek
                .deserialize(&mut rmp_serde::Deserializer::new(&mut rest))
                .map_err(|e| Error::decode(format!("invalid MessagePack: {e}")))?;
            if rest.is_empty() {
                Ok(found)
            } else {
                Err(Error::decode("invalid MessagePack: trailing bytes"))
            }
        }
    }
}

struct Seek<'p> {
    path: &'p [&'p str],
    want: Want,
}

impl<'de> DeserializeSeed<'de> for Seek<'_> {
    type Value = Found;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<Found, D::Error> {
        match (self.path.is_empty(), self.want) {
            (true, Want::Value) => Value::deserialize(d).map(Found::Value),
            (true, Want::Len) => d.deserialize_any(Count),
            (false, _) => d.deserialize_any(self),
        }
    }
}

/// Walking a container on the path; a scalar on the path means "missing".
impl<'de> Visitor<'de> for Seek<'_> {
    type Value = Found;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a document")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> std::result::Result<Found, A::Error> {
        let (key, rest) = (self.path[0], &self.path[1..]);
        let mut found = Found::Missing;
        while let Some(matches) = map.next_key_seed(KeyIs(key))? {
            if matches && found == Found::Missing {
                found = map.next_value_seed(Seek {
                    path: rest,
                    want: self.want,
                })?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(found)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> std::result::Result<Found, A::Error> {
        let index = self.path[0].parse::<usize>().ok();
        let mut found = Found::Missing;
        let mut i = 0;
        loop {
            let step = if Some(i) == index {
                seq.next_element_seed(Seek {
                    path: &self.path[1..],
                    want: self.want,
                })?
                .map(|f| found = f)
            } else {
                seq.next_element::<IgnoredAny>()?.map(drop)
            };
            if step.is_none() {
                return Ok(found);
            }
            i += 1;
        }
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> std::result::Result<Found, E> {
        Ok(Found::Missing)
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> std::result::Result<Found, E> {
        Ok(Found::Missing)
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> std::result::Result<Found, E> {
        Ok(Found::Missing)
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> std::result::Result<Found, E> {
        Ok(Found::Missing)
    }
    fn visit_str<E: de::Error>(self, _: &str) -> std::result::Result<Found, E> {
        Ok(Found::Missing)
    }
    fn visit_unit<E: de::Error>(self) -> std::result::Result<Found, E> {
        Ok(Found::Missing)
    }
    fn visit_none<E: de::Error>(self) -> std::result::Result<Found, E> {
        Ok(Found::Missing)
    }
}

/// Compares a map key with the wanted one without allocating it.
struct KeyIs<'k>(&'k str);

impl<'de> DeserializeSeed<'de> for KeyIs<'_> {
    type Value = bool;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<bool, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for KeyIs<'_> {
    type Value = bool;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a map key")
    }

    fn visit_str<E: de::Error>(self, key: &str) -> std::result::Result<bool, E> {
        Ok(key == self.0)
    }
    /// A MessagePack bin key. `codec::decode` refuses it (bin has no JSON
    /// form), but a seek only reads: it compares the bytes.
    fn visit_bytes<E: de::Error>(self, key: &[u8]) -> std::result::Result<bool, E> {
        Ok(key == self.0.as_bytes())
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> std::result::Result<bool, E> {
        Ok(false)
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> std::result::Result<bool, E> {
        Ok(false)
    }
}

/// Counts the elements of the container at the end of the path.
struct Count;

impl<'de> Visitor<'de> for Count {
    type Value = Found;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array or a map")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> std::result::Result<Found, A::Error> {
        let mut n = 0;
        while seq.next_element::<IgnoredAny>()?.is_some() {
            n += 1;
        }
        Ok(Found::Len(n))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> std::result::Result<Found, A::Error> {
        let mut n = 0;
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {
            n += 1;
        }
        Ok(Found::Len(n))
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> std::result::Result<Found, E> {
        Ok(Found::NotContainer("a boolean"))
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> std::result::Result<Found, E> {
        Ok(Found::NotContainer("a number"))
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> std::result::Result<Found, E> {
        Ok(Found::NotContainer("a number"))
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> std::result::Result<Found, E> {
        Ok(Found::NotContainer("a number"))
    }
    fn visit_str<E: de::Error>(self, _: &str) -> std::result::Result<Found, E> {
        Ok(Found::NotContainer("a string"))
    }
    fn visit_unit<E: de::Error>(self) -> std::result::Result<Found, E> {
        Ok(Found::NotContainer("null"))
    }
    fn visit_none<E: de::Error>(self) -> std::result::Result<Found, E> {
        Ok(Found::NotContainer("null"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::encode;
    use serde_json::json;

    fn both(v: &Value, path: &str, want: Want) -> Found {
        let from_json = seek(Format::Json, &encode(Format::Json, v), path, want).unwrap();
        let from_mp = seek(Format::Msgpack, &encode(Format::Msgpack, v), path, want).unwrap();
        assert_eq!(from_json, from_mp, "{path}");
        from_json
    }

    #[test]
    fn finds_values_and_lengths_by_path() {
        let v = json!({"jobs": [{"id": "a"}, {"id": "b", "x": {"y": [1, 2]}}],
                       "pages": {"next": null, "self": "/jobs"}});
        assert_eq!(both(&v, "jobs.1.id", Want::Value), Found::Value(json!("b")));
        assert_eq!(
            both(&v, "pages.next", Want::Value),
            Found::Value(Value::Null)
        );
        assert_eq!(both(&v, "jobs", Want::Len), Found::Len(2));
        assert_eq!(both(&v, "pages", Want::Len), Found::Len(2));
        assert_eq!(both(&v, "jobs.1.x.y", Want::Len), Found::Len(2));
        assert_eq!(both(&v, "", Want::Value), Found::Value(v.clone()));
        assert_eq!(both(&v, "jobs.7.id", Want::Value), Found::Missing);
        assert_eq!(both(&v, "jobs.x", Want::Value), Found::Missing);
        assert_eq!(both(&v, "pages.self.z", Want::Value), Found::Missing);
        assert_eq!(
            both(&v, "pages.self", Want::Len),
            Found::NotContainer("a string")
        );
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_stack_overflow() {
        let depth = 200_000;
        let mut mp = vec![0x91u8; depth];
        mp.push(0x01);
        assert!(seek(Format::Msgpack, &mp, "0.0", Want::Value).is_err());
        assert!(seek(Format::Msgpack, &mp, "", Want::Len).is_err());
        let json = format!("{}1{}", "[".repeat(depth), "]".repeat(depth));
        assert!(seek(Format::Json, json.as_bytes(), "0.0", Want::Value).is_err());
        assert!(crate::codec::reencode(Format::Json, Format::Msgpack, json.as_bytes()).is_err());
    }

    #[test]
    fn still_rejects_malformed_documents() {
        assert!(seek(Format::Json, b"{\"a\": 1} x", "a", Want::Value).is_err());
        assert!(seek(Format::Json, b"{\"a\": [1,", "a", Want::Len).is_err());
        assert!(seek(
            Format::Msgpack,
            &[0x81, 0xa1, b'a', 0x01, 0x00],
            "a",
            Want::Value
        )
        .is_err());
        assert!(seek(Format::Msgpack, &[0x92, 0x01], "", Want::Len).is_err());
    }

    /// Found by fuzz/fuzz_targets/seek.rs, when `codec::decode` still took
    /// a bin map key for a string: a seek past one failed. It reads past
    /// it, though decoding refuses it now.
    #[test]
    fn reads_past_a_bin_map_key() {
        let doc = [0x82, 0xa4, b'j', b'o', b'b', b's', 0x02, 0xc4, 0x00, 0x33];
        assert!(crate::codec::decode(Format::Msgpack, &doc).is_err());
        assert_eq!(
            seek(Format::Msgpack, &doc, "jobs", Want::Value).unwrap(),
            Found::Value(json!(2))
        );
    }
}
