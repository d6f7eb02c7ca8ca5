//! Take options: which queues, how many unacknowledged jobs, the worker id.

use crate::api::query_string;
use crate::codec::{self, Format};
use crate::error::Result;
use crate::options::{self, Bounded};
use serde::Deserialize;
use serde_json::Value;

/// What to take: `{"prefetch": n, "queues": [...], "worker_id": "..."}`.
#[derive(Clone, Debug, Default)]
pub struct TakeOptions {
    pub prefetch: u64,
    pub queues: Vec<String>,
    pub worker_id: Option<String>,
}

/// The take options document of `zizq_take_open` and `zizq_take_jobs`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TakeOptionsDoc {
    prefetch: Option<Bounded<0, { u64::MAX }>>,
    queues: Option<Queues>,
    worker_id: Option<String>,
}

/// The queues to take from: one name, or a list of them. Names are joined
/// with ',' in the take request, so they may not hold one.
#[derive(Clone, Debug, Default)]
pub struct Queues(pub Vec<String>);

impl<'de> Deserialize<'de> for Queues {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let refuse = || {
            serde::de::Error::custom(
                "must be a queue name or a list of non-empty names without ','",
            )
        };
        let names = match Value::deserialize(d)? {
            Value::String(name) => vec![name],
            Value::Array(items) => items
                .into_iter()
                .map(|item| match item {
                    Value::String(name) if !name.is_empty() && !name.contains(',') => Ok(name),
                    _ => Err(refuse()),
                })
                .collect::<std::result::Result<_, _>>()?,
            _ => return Err(refuse()),
        };
        Ok(Queues(names))
    }
}

impl TakeOptions {
    /// Parse a take options document in `format` (empty = defaults:
    /// prefetch 1, every queue). `what` names the call in errors.
    pub fn parse(format: Format, doc: &[u8], what: &str) -> Result<TakeOptions> {
        let doc: TakeOptionsDoc = options::from_map(codec::decode_args(format, doc)?, what)?;
        Ok(TakeOptions::new(
            doc.prefetch.map(|Bounded(n)| n),
            doc.queues,
            doc.worker_id,
            1,
        ))
    }

    /// Take options from their parts, `default_prefetch` standing in for a
    /// prefetch not given.
    pub fn new(
        prefetch: Option<u64>,
        queues: Option<Queues>,
        worker_id: Option<String>,
        default_prefetch: u64,
    ) -> TakeOptions {
        TakeOptions {
            prefetch: prefetch.unwrap_or(default_prefetch),
            queues: queues.unwrap_or_default().0,
            worker_id,
        }
    }

    /// `/jobs/take?prefetch=N[&queue=a,b]`
    pub fn path(&self) -> String {
        let mut params = vec![("prefetch", self.prefetch.to_string())];
        if !self.queues.is_empty() {
            params.push(("queue", self.queues.join(",")));
        }
        format!("/jobs/take{}", query_string(&params))
    }
}
