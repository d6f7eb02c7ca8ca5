//! Worker options, from a document in the client's format.

use crate::codec;
use crate::error::{Error, Result};
use crate::take::TakeOptions;
use serde_json::{Map, Value};
use std::time::Duration;

/// Worker options, from a document in the client's format.
#[derive(Clone, Debug)]
pub struct WorkerOptions {
    pub take: TakeOptions,
    pub max_ack_batch: usize,
    pub ack_concurrency: usize,
    pub backoff_min: Duration,
    pub backoff_max: Duration,
    pub shutdown_timeout: Duration,
}

const OPTION_KEYS: &[&str] = &[
    "queues",
    "prefetch",
    "concurrency",
    "worker_id",
    "max_ack_batch",
    "ack_concurrency",
    "backoff_min_ms",
    "backoff_max_ms",
    "shutdown_timeout_ms",
];

impl WorkerOptions {
    pub fn parse(map: &Map<String, Value>) -> Result<WorkerOptions> {
        codec::check_keys(map, OPTION_KEYS, "worker options")?;
        let mut take_map = Map::new();
        for key in ["queues", "prefetch", "worker_id"] {
            if let Some(v) = map.get(key) {
                take_map.insert(key.into(), v.clone());
            }
        }
        let mut take = TakeOptions::parse(&take_map, "worker options")?;
        let int = |key: &str, default: u64, min: u64, max: u64| -> Result<u64> {
            match map.get(key) {
                None | Some(Value::Null) => Ok(default),
                Some(v) => v
                    .as_u64()
                    .filter(|n| (min..=max).contains(n))
                    .ok_or_else(|| {
                        Error::invalid(format!(
                            "worker option `{key}` must be an integer between {min} and {max}"
                        ))
                    }),
            }
        };
        // How many host threads or fibers handle jobs: without a `prefetch`,
        // the server may send each of them two (one running, one waiting),
        // or 10 in all to a worker that does not say.
        let concurrency = map
            .get("concurrency")
            .is_some_and(|v| !v.is_null())
            .then(|| int("concurrency", 1, 1, 100_000))
            .transpose()?;
        if map.get("prefetch").is_none_or(|v| v.is_null()) {
            take.prefetch = concurrency.map_or(10, |n| 2 * n);
        }
        let options = WorkerOptions {
            take,
            max_ack_batch: int("max_ack_batch", 1000, 1, 1000)? as usize,
            ack_concurrency: int("ack_concurrency", 4, 1, 64)? as usize,
            backoff_min: Duration::from_millis(int("backoff_min_ms", 500, 1, 3_600_000)?),
            backoff_max: Duration::from_millis(int("backoff_max_ms", 30_000, 1, 3_600_000)?),
            shutdown_timeout: Duration::from_millis(int(
                "shutdown_timeout_ms",
                30_000,
                0,
                86_400_000,
            )?),
        };
        if options.backoff_min > options.backoff_max {
            return Err(Error::invalid(
                "worker option `backoff_min_ms` exceeds `backoff_max_ms`",
            ));
        }
        Ok(options)
    }
}
