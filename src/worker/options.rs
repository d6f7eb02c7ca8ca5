//! Worker options, from a document in the client's document format.

use crate::codec::{self, Format};
use crate::error::{Error, Result};
use crate::options::{self, Bounded};
use crate::take::{Queues, TakeOptions};
use serde::Deserialize;
use std::time::Duration;

/// Worker options, from a document in the client's document format.
#[derive(Clone, Debug)]
pub struct WorkerOptions {
    pub take: TakeOptions,
    pub max_ack_batch: usize,
    pub ack_concurrency: usize,
    pub backoff_min: Duration,
    pub backoff_max: Duration,
    pub shutdown_timeout: Duration,
}

/// The worker options document of `zizq_worker_new`: the take options
/// (with another prefetch default) and the worker's own.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WorkerOptionsDoc {
    queues: Option<Queues>,
    prefetch: Option<Bounded<0, { u64::MAX }>>,
    concurrency: Option<Bounded<1, 100_000>>,
    worker_id: Option<String>,
    max_ack_batch: Option<Bounded<1, 1000>>,
    ack_concurrency: Option<Bounded<1, 64>>,
    backoff_min_ms: Option<Bounded<1, 3_600_000>>,
    backoff_max_ms: Option<Bounded<1, 3_600_000>>,
    shutdown_timeout_ms: Option<Bounded<0, 86_400_000>>,
}

impl WorkerOptions {
    /// Parse a worker options document in `format` (empty = defaults).
    pub fn parse(format: Format, doc: &[u8]) -> Result<WorkerOptions> {
        let what = "worker options";
        let doc: WorkerOptionsDoc = options::from_map(codec::decode_args(format, doc)?, what)?;
        let millis = |ms: Option<u64>, default| Duration::from_millis(ms.unwrap_or(default));
        // How many host threads or fibers handle jobs: without a `prefetch`,
        // the server may send each of them two (one running, one waiting),
        // or 10 in all to a worker that does not say.
        let default_prefetch = doc.concurrency.map_or(10, |Bounded(n)| 2 * n);
        let options = WorkerOptions {
            take: TakeOptions::new(
                doc.prefetch.map(|Bounded(n)| n),
                doc.queues,
                doc.worker_id,
                default_prefetch,
            ),
            max_ack_batch: doc.max_ack_batch.map_or(1000, |Bounded(n)| n as usize),
            ack_concurrency: doc.ack_concurrency.map_or(4, |Bounded(n)| n as usize),
            backoff_min: millis(doc.backoff_min_ms.map(|Bounded(n)| n), 500),
            backoff_max: millis(doc.backoff_max_ms.map(|Bounded(n)| n), 30_000),
            shutdown_timeout: millis(doc.shutdown_timeout_ms.map(|Bounded(n)| n), 30_000),
        };
        if options.backoff_min > options.backoff_max {
            return Err(Error::invalid(
                "worker options: `backoff_min_ms` exceeds `backoff_max_ms`",
            ));
        }
        Ok(options)
    }
}
