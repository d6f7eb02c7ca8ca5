//! The shutdown order: stop taking, let handed-out jobs finish, flush
//! outcomes, and only then close the stream.

use super::stats::get;
use super::{lock, Worker};
use crate::error::{Error, Result, Status};
use crate::observe::Level;
use crate::runtime;
use std::time::{Duration, Instant};

impl Worker {
    /// Stop in the safe order within `timeout` (None = the configured
    /// shutdown timeout). `ZIZQ_E_TIMEOUT` if handed-out jobs were not
    /// resolved or outcomes not flushed in time (see `stats`).
    pub fn shutdown(&self, timeout: Option<Duration>) -> Result<()> {
        let inner = &self.inner;
        let deadline = Instant::now() + timeout.unwrap_or(inner.options.shutdown_timeout);
        let Some((stream, acks)) = lock(&self.tasks).take() else {
            return Ok(()); // already shut down
        };
        // 1. Stop taking; waiting threads get ZIZQ_E_CLOSED.
        inner.stop_taking.cancel();
        let outstanding = inner.handout.update(|h| {
            h.stopping = true;
            h.outstanding.len() as u64
        });
        inner.event(Level::Info, "draining", || {
            (
                format!("worker draining: {outstanding} job(s) still running"),
                vec![("outstanding", outstanding.into())],
            )
        });
        // 2. Let handed-out jobs finish. Once the client is closed their
        // outcomes cannot be sent, and the server requeues them anyway.
        inner.handout.wait(Some(deadline), |h| {
            (h.outstanding.is_empty() || inner.client.is_closed()).then_some(())
        });
        let unresolved = if inner.client.is_closed() {
            0
        } else {
            inner.handout().outstanding.len()
        };
        // 3. Flush every queued ack and nack.
        lock(&inner.outcomes).take();
        let remaining = deadline.saturating_duration_since(Instant::now());
        let abandon = inner.abandon.clone();
        let flushed = runtime::block_on(async move {
            let mut acks = acks;
            let flushed = tokio::time::timeout(remaining, &mut acks).await.is_ok();
            if !flushed {
                abandon.cancel();
                let _ = tokio::time::timeout(Duration::from_secs(1), &mut acks).await;
                acks.abort();
            }
            Ok(flushed)
        })?;
        // 4. Only now close the stream.
        inner.close_stream.cancel();
        let _ = runtime::block_on(async move {
            let mut stream = stream;
            if tokio::time::timeout(Duration::from_secs(2), &mut stream)
                .await
                .is_err()
            {
                stream.abort();
            }
            Ok(())
        });
        inner.handout.update(|h| {
            h.stopped = true;
            h.jobs.clear();
        });
        let pending = get(&inner.counters.pending);
        let clean = unresolved == 0 && flushed;
        inner.event(
            if clean { Level::Info } else { Level::Warn },
            "stopped",
            || {
                let message = if clean {
                    "worker stopped".to_string()
                } else {
                    format!("worker stopped with {unresolved} job(s) unresolved and {pending} outcome(s) not delivered")
                };
                (
                    message,
                    vec![("unresolved", unresolved.into()), ("undelivered", pending.into())],
                )
            },
        );
        if !clean {
            let err = Error::new(
                Status::ZIZQ_E_TIMEOUT,
                format!(
                    "shutdown timed out: {unresolved} handed-out job(s) unresolved, {} outcome(s) not delivered",
                    get(&inner.counters.pending)
                ),
            );
            inner.record_error(&err);
            return Err(err);
        }
        Ok(())
    }
}
