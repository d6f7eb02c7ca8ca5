//! JSON and MessagePack documents: decoding, encoding, transcoding, and the
//! small accessors the API layer needs. Documents are held as
//! `serde_json::Value` (with key order preserved) because every document the
//! protocol accepts must be representable as JSON anyway.

mod msgpack_json;

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
            // What has no JSON form is refused first, by the one check the
            // streamed conversions use too: rmp-serde alone would take a
            // bin map key holding UTF-8, unless it is a map's first key.
            validate(Format::Msgpack, bytes)?;
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
        // What has a JSON form is what the server accepts (no bin, ext,
        // non-string keys or invalid UTF-8).
        Format::Msgpack => msgpack_json::transcode(bytes, &mut std::io::sink())
            .map_err(|e| Error::decode(format!("invalid MessagePack: {e}"))),
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

/// Re-encode `bytes` from `from` to `to`, streaming, without building the
/// document. The same format is validated and copied as is. MessagePack
/// with no JSON form (bin, ext, non-string keys) is refused.
pub fn reencode(from: Format, to: Format, bytes: &[u8]) -> Result<Vec<u8>> {
    if from == to {
        return validate(from, bytes).map(|()| bytes.to_vec());
    }
    let mut out = Vec::with_capacity(bytes.len() + bytes.len() / 4);
    match from {
        Format::Json => {
            let mut de = serde_json::Deserializer::from_slice(bytes);
            serde_transcode::transcode(&mut de, &mut rmp_serde::Serializer::new(&mut out))
                .map_err(|e| Error::decode(format!("invalid JSON: {e}")))?;
            de.end()
                .map_err(|e| Error::decode(format!("invalid JSON: {e}")))?;
        }
        Format::Msgpack => msgpack_json::transcode(bytes, &mut out)
            .map_err(|e| Error::decode(format!("invalid MessagePack: {e}")))?,
    }
    Ok(out)
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
            assert_eq!(
                from_msgpack.is_ok(),
                reencode(Format::Msgpack, Format::Json, &msgpack).is_ok(),
                "depth {depth}"
            );
            if let Ok(value) = from_msgpack {
                assert_eq!(
                    decode(Format::Json, &encode(Format::Json, &value)).ok(),
                    Some(value)
                );
            }
        }
    }

    /// Random MessagePack for `msgpack_streams_into_json_like_a_value_would`:
    /// every marker, with now and then what has no JSON form.
    struct Gen(u64);

    impl Gen {
        fn next(&mut self, below: u64) -> u64 {
            self.0 = self
                .0
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (self.0 >> 33) % below
        }

        fn str(&mut self, out: &mut Vec<u8>, text: &[u8]) {
            match (text.len(), self.next(3)) {
                (n @ 0..=31, 0) => out.push(0xa0 | n as u8),
                (n @ 0..=255, 1) => out.extend([0xd9, n as u8]),
                (n, _) => {
                    out.push(0xdb);
                    out.extend((n as u32).to_be_bytes());
                }
            }
            out.extend(text);
        }

        fn value(&mut self, out: &mut Vec<u8>, depth: u32) {
            const TEXTS: [&[u8]; 6] = [
                b"",
                b"a",
                b"id",
                "\u{e9}\n\"\u{1f600}".as_bytes(),
                b"\x00\x1f",
                b"\xff",
            ];
            let n = self.next(1 << 40);
            match self.next(if depth > 3 { 14 } else { 18 }) {
                0 => out.push(n as u8 & 0x7f),
                1 => out.push(0xe0 | n as u8),
                2 => out.push([0xc0, 0xc2, 0xc3][n as usize % 3]),
                3 => out.extend([0xcc, n as u8]),
                4 => out.extend([[0xcd].as_slice(), &(n as u16).to_be_bytes()].concat()),
                5 => out.extend([[0xce].as_slice(), &(n as u32).to_be_bytes()].concat()),
                6 => out.extend([[0xcf].as_slice(), &(n << 24).to_be_bytes()].concat()),
                7 => out.extend(
                    [
                        [0xd0 + (n % 4) as u8].as_slice(),
                        &[0xff; 8][..1 << (n % 4)],
                    ]
                    .concat(),
                ),
                8 => out.extend([[0xd3].as_slice(), &(-(n as i64)).to_be_bytes()].concat()),
                9 => {
                    let f = [0.1, -2.5e300, f64::NAN, f64::INFINITY, 1e-7, 0.0][n as usize % 6];
                    out.extend([[0xcb].as_slice(), &f.to_be_bytes()].concat());
                }
                10 => {
                    let f = [0.1f32, -3.25, f32::NAN, 16777217.0][n as usize % 4];
                    out.extend([[0xca].as_slice(), &f.to_be_bytes()].concat());
                }
                11..=13 => {
                    let text = TEXTS[n as usize % TEXTS.len()];
                    self.str(out, text);
                }
                14 | 15 => {
                    let len = self.next(4) as u8;
                    out.push(0x90 | len);
                    (0..len).for_each(|_| self.value(out, depth + 1));
                }
                16 => {
                    let len = self.next(4) as u8;
                    out.extend([0xde, 0, len]);
                    for key in 0..len {
                        if self.next(40) == 0 {
                            out.push(key); // an integer key
                        } else if self.next(40) == 0 {
                            out.extend([0xc4, 1, b'a' + key]); // a bin key
                        } else {
                            self.str(out, format!("k{key}").as_bytes());
                        }
                        self.value(out, depth + 1);
                    }
                }
                _ => match self.next(40) {
                    0 => out.extend([0xc4, 1, 0]), // bin
                    1 => out.extend([0xd4, 1, 0]), // ext
                    2 => out.push(0xc1),
                    _ => out.extend([0x81, 0xa1, b'x', 0x92, 0x01, 0xc0]),
                },
            }
        }
    }

    #[test]
    fn msgpack_streams_into_json_like_a_value_would() {
        let mut gen = Gen(7);
        let (mut good, mut bad) = (0, 0);
        for _ in 0..20_000 {
            let mut doc = Vec::new();
            gen.value(&mut doc, 0);
            match gen.next(20) {
                0 => doc.truncate(doc.len() - 1),
                1 => doc.push(0xc0),
                _ => {}
            }
            let via_value = decode(Format::Msgpack, &doc).map(|v| encode(Format::Json, &v));
            let streamed = reencode(Format::Msgpack, Format::Json, &doc);
            assert_eq!(
                streamed.as_ref().ok(),
                via_value.as_ref().ok(),
                "{doc:02x?}"
            );
            assert_eq!(validate(Format::Msgpack, &doc).is_ok(), via_value.is_ok());
            if via_value.is_ok() {
                good += 1;
            } else {
                bad += 1;
            }
        }
        assert!(
            good > 5_000 && bad > 2_000,
            "{good} accepted, {bad} refused"
        );
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
        // A bin key, even holding UTF-8 and after a string key.
        let bin_key = [0x82, 0xa1, b'a', 0x01, 0xc4, 0x01, b'b', 0x02];
        assert!(decode(Format::Msgpack, &bin_key).is_err());
        assert!(reencode(Format::Msgpack, Format::Json, &bin_key).is_err());
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
