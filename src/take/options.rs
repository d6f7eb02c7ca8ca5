//! Take options: which queues, how many unacknowledged jobs, the worker id.

use crate::api::query_string;
use crate::codec;
use crate::error::{Error, Result};
use serde_json::Value;

/// What to take: `{"prefetch": n, "queues": [...], "worker_id": "..."}`.
#[derive(Clone, Debug, Default)]
pub struct TakeOptions {
    pub prefetch: u64,
    pub queues: Vec<String>,
    pub worker_id: Option<String>,
}

impl TakeOptions {
    pub fn parse(map: &serde_json::Map<String, Value>, what: &str) -> Result<TakeOptions> {
        let mut options = TakeOptions {
            prefetch: 1,
            ..Default::default()
        };
        for (key, value) in map {
            match (key.as_str(), value) {
                (_, Value::Null) => {}
                ("prefetch", Value::Number(n)) if n.is_u64() => {
                    options.prefetch = n.as_u64().unwrap_or(1)
                }
                ("queues", Value::String(q)) => options.queues = vec![q.clone()],
                ("queues", Value::Array(items)) => {
                    options.queues = items
                        .iter()
                        .map(|q| match q {
                            Value::String(q) if !q.contains(',') && !q.is_empty() => Ok(q.clone()),
                            _ => Err(Error::invalid(format!(
                                "{what}: `queues` must hold non-empty names without ','"
                            ))),
                        })
                        .collect::<Result<_>>()?
                }
                ("worker_id", Value::String(id)) => options.worker_id = Some(id.clone()),
                _ => {
                    return Err(Error::invalid(format!(
                        "{what}: invalid option `{key}` ({})",
                        codec::kind(value)
                    )))
                }
            }
        }
        Ok(options)
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
