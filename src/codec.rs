//! JSON and MessagePack documents: decoding, encoding, transcoding, and the
//! small accessors the API layer needs. Documents are held as
//! `serde_json::Value` (with key order preserved) because every document the
//! protocol accepts must be representable as JSON anyway.

use crate::error::{Error, Result};
use serde::de::IgnoredAny;
use serde_json::{Map, Value};

/// Wire format of a client: the encoding of request bodies, responses and
/// stream frames.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Json,
    Msgpack,
}

impl Format {
    pub fn parse(name: &str) -> Result<Format> {
        match name {
            "json" => Ok(Format::Json),
            "msgpack" => Ok(Format::Msgpack),
            other => Err(Error::invalid(format!(
                "unknown format {other:?} (expected \"json\" or \"msgpack\")"
            ))),
        }
    }

    /// The format's name in documents: `"json"` or `"msgpack"`.
    pub fn name(self) -> &'static str {
        match self {
            Format::Json => "json",
            Format::Msgpack => "msgpack",
        }
    }

    /// Content type of request and response bodies.
    pub fn content_type(self) -> &'static str {
        match self {
            Format::Json => "application/json",
            Format::Msgpack => "application/msgpack",
        }
    }

    /// `Accept` value of the take stream.
    pub fn stream_accept(self) -> &'static str {
        match self {
            Format::Json => "application/x-ndjson",
            Format::Msgpack => "application/vnd.zizq.msgpack-stream",
        }
    }

    /// Format named by a response `Content-Type`, if it names one.
    pub fn from_content_type(value: &str) -> Option<Format> {
        if value.contains("msgpack") {
            Some(Format::Msgpack)
        } else if value.contains("json") {
            Some(Format::Json)
        } else {
            None
        }
    }
}

/// A format named in an option document (`"json"` or `"msgpack"`).
impl<'de> serde::Deserialize<'de> for Format {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let name = String::deserialize(d)?;
        Format::parse(&name).map_err(|e| serde::de::Error::custom(e.message))
    }
}

/// rmp-serde's depth limit that lets through exactly the nesting serde_json
/// accepts (127 levels of arrays and maps).
const MAX_DEPTH: usize = 128;

/// Decode a whole document. Trailing bytes are an error in both formats.
pub fn decode(format: Format, bytes: &[u8]) -> Result<Value> {
    match format {
        Format::Json => {
            serde_json::from_slice(bytes).map_err(|e| Error::decode(format!("invalid JSON: {e}")))
        }
        Format::Msgpack => {
            let mut rest: &[u8] = bytes;
            let mut de = rmp_serde::Deserializer::new(&mut rest);
            // As deep as serde_json goes, so that whatever decodes here can
            // be written as JSON and read back (rmp-serde allows 1024).
            de.set_max_depth(MAX_DEPTH);
            let value: Value = serde::Deserialize::deserialize(&mut de)
                .map_err(|e| Error::decode(format!("invalid MessagePack: {e}")))?;
            if rest.is_empty() {
                Ok(value)
            } else {
                Err(Error::decode("invalid MessagePack: trailing bytes"))
            }
        }
    }
}

/// Check that `bytes` hold exactly one well-formed document, without building it.
pub fn validate(format: Format, bytes: &[u8]) -> Result<()> {
    match format {
        Format::Json => serde_json::from_slice::<IgnoredAny>(bytes)
            .map(|_| ())
            .map_err(|e| Error::decode(format!("invalid JSON: {e}"))),
        Format::Msgpack => {
            // Decoding into a JSON value also rejects what the server rejects
            // (bin, ext, non-string keys, invalid UTF-8).
            decode(Format::Msgpack, bytes).map(|_| ())
        }
    }
}

pub fn encode(format: Format, value: &Value) -> Vec<u8> {
    match format {
        // Serializing a `Value` cannot fail.
        Format::Json => serde_json::to_vec(value).unwrap_or_default(),
        Format::Msgpack => rmp_serde::to_vec(value).unwrap_or_default(),
    }
}

/// Re-encode a document from one format to another (no-op when equal).
pub fn transcode(from: Format, to: Format, bytes: bytes::Bytes) -> Result<bytes::Bytes> {
    if from == to {
        return Ok(bytes);
    }
    reencode(from, to, &bytes).map(Into::into)
}

/// Re-encode `bytes` from `from` to `to`. The same format is validated and
/// copied as is. JSON is streamed straight into MessagePack (the common
/// case: documents written by hand as JSON for a MessagePack client);
/// MessagePack goes through a `Value` so that what JSON cannot hold (bin,
/// ext, non-string keys) is refused.
pub fn reencode(from: Format, to: Format, bytes: &[u8]) -> Result<Vec<u8>> {
    match (from, to) {
        _ if from == to => validate(from, bytes).map(|()| bytes.to_vec()),
        (Format::Json, Format::Msgpack) => {
            let mut de = serde_json::Deserializer::from_slice(bytes);
            let mut out = Vec::with_capacity(bytes.len());
            serde_transcode::transcode(&mut de, &mut rmp_serde::Serializer::new(&mut out))
                .map_err(|e| Error::decode(format!("invalid JSON: {e}")))?;
            de.end()
                .map_err(|e| Error::decode(format!("invalid JSON: {e}")))?;
            Ok(out)
        }
        _ => Ok(encode(to, &decode(from, bytes)?)),
    }
}

/// Decode an argument document that must be a map; `None`/empty input means `{}`.
pub fn decode_args(format: Format, bytes: &[u8]) -> Result<Map<String, Value>> {
    if bytes.is_empty() {
        return Ok(Map::new());
    }
    match decode(format, bytes)? {
        Value::Object(map) => Ok(map),
        Value::Null => Ok(Map::new()),
        other => Err(Error::invalid(format!(
            "expected a map of arguments, got {}",
            kind(&other)
        ))),
    }
}

/// Reject keys outside `allowed`, naming the operation in the message.
pub fn check_keys(map: &Map<String, Value>, allowed: &[&str], what: &str) -> Result<()> {
    match map.keys().find(|k| !allowed.contains(&k.as_str())) {
        Some(key) => Err(Error::invalid(format!(
            "unknown key `{key}` for {what} (allowed: {})",
            allowed.join(", ")
        ))),
        None => Ok(()),
    }
}

/// Remove keys whose value is null (the seed's `.compact`).
pub fn compact(map: &mut Map<String, Value>) {
    map.retain(|_, v| !v.is_null());
}

pub fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "a map",
    }
}

/// The document an error response body holds, with its format: the body's
/// content type is tried first, then either format (the server answers some
/// refusals in a format other than the one asked for). `None` for an empty
/// or text body.
pub fn error_document(content_type: Option<Format>, body: &[u8]) -> Option<(Format, Value)> {
    if body.is_empty() {
        return None;
    }
    content_type
        .into_iter()
        .chain([Format::Json, Format::Msgpack])
        .find_map(|f| decode(f, body).ok().map(|value| (f, value)))
}

/// A human message for an error response: the `error` field of its document
/// (see [`error_document`]), else the body as text, else `HTTP <status>`.
pub fn error_message(document: Option<&Value>, body: &[u8], http_status: u16) -> String {
    if let Some(Value::String(msg)) = document.and_then(|d| d.get("error")) {
        return msg.clone();
    }
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    if text.is_empty() || text.len() > 1000 {
        format!("HTTP {http_status}")
    } else {
        text.to_string()
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn both_formats_nest_as_deep_as_each_other() {
        for depth in 120..135 {
            let json = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
            let msgpack = [vec![0x91u8; depth - 1], vec![0x90]].concat();
            let from_json = decode(Format::Json, json.as_bytes());
            let from_msgpack = decode(Format::Msgpack, &msgpack);
            assert_eq!(from_json.is_ok(), from_msgpack.is_ok(), "depth {depth}");
            if let Ok(value) = from_msgpack {
                assert_eq!(
                    decode(Format::Json, &encode(Format::Json, &value)).ok(),
                    Some(value)
                );
            }
        }
    }
    use super::*;
    use serde_json::json;

    #[test]
    fn msgpack_round_trip_preserves_order_and_ints() {
        let v = json!({"b": 1, "a": [300, -2, 1.5, null, true], "z": "s"});
        let bytes = encode(Format::Msgpack, &v);
        assert_eq!(bytes[0], 0x83);
        let back = decode(Format::Msgpack, &bytes).unwrap();
        assert_eq!(back, v);
        let keys: Vec<_> = back.as_object().unwrap().keys().cloned().collect();
        assert_eq!(keys, ["b", "a", "z"]);
    }

    #[test]
    fn json_streams_into_msgpack_like_a_value_would() {
        let text = br#"{"jobs":[{"type":"t","n":-3,"big":18446744073709551615,"f":1.5,"s":"\u00e9\n","z":null,"b":[true,false,{}]}]}"#;
        let v: Value = serde_json::from_slice(text).unwrap();
        let streamed = reencode(Format::Json, Format::Msgpack, text).unwrap();
        assert_eq!(streamed, encode(Format::Msgpack, &v));
        assert!(reencode(Format::Json, Format::Msgpack, b"{\"a\":1} x").is_err());
        assert!(reencode(Format::Json, Format::Msgpack, b"{\"a\":").is_err());
        assert!(reencode(Format::Json, Format::Msgpack, b"\"\xff\"").is_err());
    }

    #[test]
    fn rejects_bin_and_trailing_bytes() {
        assert!(decode(Format::Msgpack, &[0xc4, 0x01, 0x00]).is_err());
        assert!(decode(Format::Msgpack, &[0x01, 0x02]).is_err());
        assert!(decode(Format::Json, b"{} x").is_err());
        assert!(decode(Format::Json, b"\"\xff\"").is_err());
    }

    #[test]
    fn error_message_sources() {
        let message = |content_type, body: &[u8], status| {
            let document = error_document(content_type, body);
            error_message(document.as_ref().map(|(_, d)| d), body, status)
        };
        assert_eq!(
            message(Some(Format::Json), br#"{"error":"nope"}"#, 400),
            "nope"
        );
        let mp = encode(Format::Msgpack, &json!({"error": "mp"}));
        assert_eq!(message(None, &mp, 400), "mp");
        assert_eq!(message(None, b"plain text", 400), "plain text");
        assert_eq!(message(None, b"", 503), "HTTP 503");
    }

    /// The body's content type is believed first; a body in the other
    /// format, or with none, is recognised all the same.
    #[test]
    fn error_documents_say_their_format() {
        let mp = encode(Format::Msgpack, &json!({"error": "mp"}));
        assert_eq!(
            error_document(Some(Format::Json), &mp).map(|(f, _)| f),
            Some(Format::Msgpack)
        );
        assert_eq!(
            error_document(Some(Format::Msgpack), br#"{"error":"j"}"#).map(|(f, _)| f),
            Some(Format::Json)
        );
        assert_eq!(error_document(None, b"plain text"), None);
        assert_eq!(error_document(Some(Format::Json), b""), None);
    }

    /// Found by fuzz/fuzz_targets/doc_transcode.rs: serde_json's default
    /// float parsing may land one unit in the last place off, so a
    /// MessagePack float changed on its way through JSON.
    #[test]
    fn json_floats_parse_to_the_nearest_double() {
        let text = "3.474024883935477e-39";
        let nearest: f64 = text.parse().unwrap();
        assert_eq!(
            decode(Format::Json, text.as_bytes()).unwrap(),
            json!(nearest)
        );
        assert_eq!(
            reencode(Format::Json, Format::Msgpack, text.as_bytes()).unwrap(),
            encode(Format::Msgpack, &json!(nearest))
        );
        let mp = encode(Format::Msgpack, &json!(nearest));
        let back = reencode(
            Format::Json,
            Format::Msgpack,
            &reencode(Format::Msgpack, Format::Json, &mp).unwrap(),
        );
        assert_eq!(back.unwrap(), mp);
    }
}
