//! A job read from the stream: its routing fields, without decoding the payload.

use crate::codec::{self, Format};
use crate::error::{Error, Result};
use bytes::Bytes;
use serde::Deserialize;
use std::borrow::Cow;
use std::ffi::CString;

/// One job from the stream: fields a handler needs to route it, plus the
/// raw document in the client's format.
pub struct Job {
    pub id: CString,
    pub kind: CString,
    pub queue: CString,
    pub priority: u32,
    pub attempts: u32,
    pub doc: Bytes,
}

#[derive(Deserialize)]
struct Head<'a> {
    #[serde(borrow)]
    id: Cow<'a, str>,
    #[serde(rename = "type", borrow)]
    kind: Cow<'a, str>,
    #[serde(borrow)]
    queue: Cow<'a, str>,
    #[serde(default)]
    priority: u32,
    #[serde(default)]
    attempts: u32,
}

impl Job {
    /// Read the routing fields of a job frame without decoding its payload.
    pub fn from_frame(format: Format, doc: Bytes) -> Result<Job> {
        let head: Head = match format {
            Format::Json => serde_json::from_slice(&doc)
                .map_err(|e| Error::decode(format!("invalid job frame (JSON): {e}")))?,
            Format::Msgpack => rmp_serde::from_slice(&doc)
                .map_err(|e| Error::decode(format!("invalid job frame (MessagePack): {e}")))?,
        };
        let c = |s: Cow<str>| {
            CString::new(s.as_bytes()).map_err(|_| Error::decode("job field contains a NUL byte"))
        };
        Ok(Job {
            id: c(head.id)?,
            kind: c(head.kind)?,
            queue: c(head.queue)?,
            priority: head.priority,
            attempts: head.attempts,
            doc,
        })
    }

    /// The job with its document re-encoded from the wire format `from` to
    /// the host's document format `to`.
    pub fn into_format(mut self, from: Format, to: Format) -> Result<Job> {
        if from != to {
            self.doc = codec::transcode(from, to, self.doc)?;
        }
        Ok(self)
    }

    pub fn id_str(&self) -> &str {
        self.id.to_str().unwrap_or_default()
    }
}
