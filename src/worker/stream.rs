//! The take stream task: reconnection with backoff and health probes,
//! delivering jobs into the handout queue.

use super::backoff::Backoff;
use super::stats::{add, get};
use super::Inner;
use crate::error::{Error, Repeat, Status};
use crate::observe::{Gauge, Level};
use crate::stream::FrameParser;
use crate::take::{self, Job, JobSink};
use hyper::Method;
use std::sync::Arc;
use std::time::Duration;

/// Delivers one connection's jobs into the handout queue.
struct Sink<'a> {
    inner: &'a Inner,
    epoch: u64,
}

impl JobSink for Sink<'_> {
    async fn wait_for_space(&self) {
        loop {
            let notified = self.inner.space.notified();
            if self.inner.handout().jobs.len() < self.inner.max_buffered {
                return;
            }
            notified.await;
        }
    }

    fn deliver(&self, jobs: Vec<Job>) {
        let n = jobs.len();
        let mut h = self.inner.handout();
        if h.epoch != self.epoch {
            return;
        }
        h.jobs.extend(jobs);
        h.wake_one();
        drop(h);
        add(&self.inner.counters.taken, n as u64);
    }
}

/// Keep a take stream open and its jobs flowing until shutdown, or until the
/// client is closed: the take connection is the worker's own, so closing the
/// client must end it here.
pub(super) async fn stream_loop(inner: Arc<Inner>) {
    let closed = inner.client.closed_token().clone();
    tokio::select! {
        _ = closed.cancelled() => inner.fail(Error::closed()),
        _ = take_until_shutdown(&inner) => {}
    }
}

async fn take_until_shutdown(inner: &Arc<Inner>) {
    let client = &inner.client;
    let options = &inner.options;
    let path = client.full_path(&options.take.path());
    let mut backoff = Backoff::new(options.backoff_min, options.backoff_max);
    // Until a probe finds the server answering, a failure is taken for an
    // outage, whose end should cut the grown reconnect delay short.
    let mut awaiting_return = true;
    loop {
        let opened = tokio::select! {
            _ = inner.stop_taking.cancelled() => return,
            opened = take::open(client, &path, options.take.worker_id.as_deref(), &inner.abandon) => opened,
        };
        let delay = match opened {
            Ok(mut connection) => {
                backoff.reset();
                awaiting_return = true;
                inner.server_back.notify_waiters();
                let reconnect = get(&inner.counters.connects) > 0;
                if reconnect {
                    add(&inner.counters.reconnects, 1);
                }
                add(&inner.counters.connects, 1);
                inner.event(Level::Info, "stream_connected", || {
                    let what = if reconnect {
                        "reconnected"
                    } else {
                        "connected"
                    };
                    (
                        format!("take stream {what} to {}", client.base_url()),
                        vec![
                            ("url", client.base_url().into()),
                            ("reconnect", reconnect.into()),
                        ],
                    )
                });
                let _open = Gauge::up(client.observer(), |s| &s.take_streams);
                let sink = Sink {
                    epoch: inner.new_epoch(),
                    inner,
                };
                let mut parser =
                    FrameParser::new(client.format(), client.options().max_frame_bytes);
                let idle = client.options().stream_idle_timeout;
                let ended = tokio::select! {
                    _ = inner.stop_taking.cancelled() => None,
                    outcome = take::pump(&sink, &mut connection, &mut parser, idle, client.documents()) => Some(outcome),
                };
                let Some(outcome) = ended else {
                    // Shutting down: hold the connection until outcomes are flushed.
                    inner.close_stream.cancelled().await;
                    return;
                };
                drop(connection);
                inner.new_epoch();
                let err = outcome.err().unwrap_or_else(Error::closed);
                if err.status == Status::ZIZQ_E_CLOSED {
                    inner.fail(err);
                    return;
                }
                inner.record_error(&err);
                // A clean end (e.g. a server restart) reconnects at once the
                // first time; repeated failures back off.
                let delay = if err.status == Status::ZIZQ_E_STREAM_ENDED && backoff.is_fresh() {
                    backoff.next_delay();
                    Duration::ZERO
                } else {
                    backoff.next_delay()
                };
                reconnect_scheduled(inner, "take stream lost", &err, delay);
                delay
            }
            Err(err) => {
                add(&inner.counters.connect_failures, 1);
                let permanent = err.status == Status::ZIZQ_E_CLOSED
                    || (400..500).contains(&err.http_status)
                    || err.status == Status::ZIZQ_E_TLS;
                if permanent {
                    inner.fail(err);
                    return;
                }
                inner.record_error(&err);
                let delay = backoff.next_delay();
                reconnect_scheduled(inner, "take stream could not connect", &err, delay);
                delay
            }
        };
        let returned = tokio::select! {
            _ = inner.stop_taking.cancelled() => return,
            returned = wait_to_reconnect(inner, delay, &mut awaiting_return) => returned,
        };
        if returned {
            // The outage is over: if the server still refuses the stream,
            // back off from the initial step again.
            backoff.reset();
            inner.server_back.notify_waiters();
        }
    }
}

fn reconnect_scheduled(inner: &Inner, what: &str, err: &Error, delay: Duration) {
    inner.event(Level::Warn, "reconnect_scheduled", || {
        let delay_ms = delay.as_millis() as u64;
        (
            format!("{what} ({}); reconnecting in {delay_ms} ms", err.message),
            vec![
                ("url", inner.client.base_url().into()),
                ("delay_ms", delay_ms.into()),
                ("reason", err.message.clone().into()),
                ("http_status", err.http_status.into()),
            ],
        )
    });
}

/// Wait `delay` before the next take attempt. A wait longer than one initial
/// backoff step probes the server every step (one health request at a time)
/// and ends as soon as a probe finds the server answering while
/// `awaiting_return`: the worker is back within about a step of the server,
/// while a server that stays down sees only paced, cheap probes, and one that
/// answers probes but refuses the stream gets the full backoff. Returns
/// whether a probe ended the wait.
async fn wait_to_reconnect(inner: &Inner, delay: Duration, awaiting_return: &mut bool) -> bool {
    let step = inner.options.backoff_min;
    let deadline = tokio::time::Instant::now() + delay;
    let mut next_probe = tokio::time::Instant::now() + step;
    while next_probe < deadline {
        tokio::time::sleep_until(next_probe).await;
        next_probe += step;
        match tokio::time::timeout_at(deadline, probe(inner)).await {
            Ok(true) if *awaiting_return => {
                *awaiting_return = false;
                return true;
            }
            Ok(true) => {}
            Ok(false) => *awaiting_return = true,
            Err(_) => return false,
        }
        // A slow probe delays the next one rather than overlapping it.
        next_probe = next_probe.max(tokio::time::Instant::now());
    }
    tokio::time::sleep_until(deadline).await;
    false
}

/// Whether the server answers a health request (the client's read timeout
/// bounds it).
async fn probe(inner: &Inner) -> bool {
    add(&inner.counters.probes, 1);
    matches!(
        inner.client.send(Method::GET, "/health", None, Repeat::Safe).await,
        Ok(reply) if (200..300).contains(&reply.status)
    )
}
