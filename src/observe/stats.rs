//! A client's figures: request counters by outcome, retries, open
//! connections and take streams, bytes, and request latency percentiles over
//! a sliding window. Cheap enough to leave on: a request costs two clock
//! reads and a handful of relaxed atomic additions.

use serde::Serialize;
use serde_json::Value;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// How a request ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RequestOutcome {
    /// A 1xx–3xx answer.
    Ok,
    /// A 4xx answer.
    ClientError,
    /// A 5xx answer.
    ServerError,
    /// No answer: the connection failed.
    Failed,
    /// No answer within the read timeout.
    TimedOut,
}

impl RequestOutcome {
    pub fn of_status(status: u16) -> RequestOutcome {
        match status {
            400..=499 => RequestOutcome::ClientError,
            500.. => RequestOutcome::ServerError,
            _ => RequestOutcome::Ok,
        }
    }
}

/// The counters of one client.
pub struct Stats {
    requests: [AtomicU64; 5],
    /// Requests sent again on a new connection after theirs failed.
    pub retries: AtomicU64,
    pub open_connections: AtomicI64,
    pub take_streams: AtomicI64,
    bytes_out: AtomicU64,
    bytes_in: AtomicU64,
    latency: Latency,
}

impl Default for Stats {
    fn default() -> Self {
        Stats {
            requests: Default::default(),
            retries: AtomicU64::new(0),
            open_connections: AtomicI64::new(0),
            take_streams: AtomicI64::new(0),
            bytes_out: AtomicU64::new(0),
            bytes_in: AtomicU64::new(0),
            latency: Latency::new(),
        }
    }
}

/// The map `zizq_client_stats` returns; its keys are listed in the ABI
/// description (`build.rs` reads this struct), which the Go shim checks.
#[derive(Serialize)]
struct ClientStats {
    requests: u64,
    requests_ok: u64,
    requests_client_error: u64,
    requests_server_error: u64,
    requests_failed: u64,
    timeouts: u64,
    retries: u64,
    open_connections: i64,
    take_streams: i64,
    bytes_out: u64,
    bytes_in: u64,
    latency_window_ms: u64,
    latency_samples: u64,
    latency_p50_ms: Option<f64>,
    latency_p90_ms: Option<f64>,
    latency_p99_ms: Option<f64>,
    events_dropped: u64,
}

fn get(counter: &AtomicU64) -> u64 {
    counter.load(Ordering::Relaxed)
}

impl Stats {
    /// One request that just finished: its outcome, when it started, the
    /// bytes of its body and of its answer's body.
    pub fn record(&self, outcome: RequestOutcome, started: Instant, sent: usize, received: usize) {
        self.requests[outcome as usize].fetch_add(1, Ordering::Relaxed);
        self.bytes_out.fetch_add(sent as u64, Ordering::Relaxed);
        self.bytes_in.fetch_add(received as u64, Ordering::Relaxed);
        if outcome != RequestOutcome::Failed && outcome != RequestOutcome::TimedOut {
            let now = Instant::now();
            self.latency
                .record(now, now.saturating_duration_since(started));
        }
    }

    /// The figures as a map; `events_dropped` comes from the event queue.
    pub fn snapshot(&self, events_dropped: u64) -> Value {
        let count = |o: RequestOutcome| get(&self.requests[o as usize]);
        let (samples, percentiles) = self.latency.percentiles(&[0.50, 0.90, 0.99]);
        let stats = ClientStats {
            requests: self.requests.iter().map(get).sum(),
            requests_ok: count(RequestOutcome::Ok),
            requests_client_error: count(RequestOutcome::ClientError),
            requests_server_error: count(RequestOutcome::ServerError),
            requests_failed: count(RequestOutcome::Failed),
            timeouts: count(RequestOutcome::TimedOut),
            retries: get(&self.retries),
            open_connections: self.open_connections.load(Ordering::Relaxed),
            take_streams: self.take_streams.load(Ordering::Relaxed),
            bytes_out: get(&self.bytes_out),
            bytes_in: get(&self.bytes_in),
            latency_window_ms: SLOT.as_millis() as u64 * SLOTS as u64,
            latency_samples: samples,
            latency_p50_ms: percentiles[0],
            latency_p90_ms: percentiles[1],
            latency_p99_ms: percentiles[2],
            events_dropped,
        };
        // Serializing plain fields cannot fail.
        serde_json::to_value(stats).unwrap_or_default()
    }
}

/// The sliding window: `SLOTS` histograms of `SLOT` each, reused in turn;
/// percentiles read the histograms of the last `SLOTS` periods (the current
/// one included), so the window spans between 50 and 60 seconds.
const SLOT: Duration = Duration::from_secs(10);
const SLOTS: usize = 6;
/// Four buckets per power of two of microseconds (about 19% wide), from
/// 0 µs to about 9 minutes; slower requests land in the last bucket.
const BUCKETS: usize = 112;

struct Slot {
    /// Which period (`Latency::period`) the counts belong to; 0 = none yet.
    period: AtomicU64,
    counts: [AtomicU64; BUCKETS],
}

struct Latency {
    start: Instant,
    slots: [Slot; SLOTS],
}

/// The bucket of a latency in microseconds.
fn bucket(us: u64) -> usize {
    if us < 4 {
        return us as usize;
    }
    let exp = 63 - us.leading_zeros() as usize; // >= 2
    let mantissa = ((us >> (exp - 2)) & 3) as usize;
    (4 * (exp - 1) + mantissa).min(BUCKETS - 1)
}

/// The middle of a bucket, in milliseconds.
fn bucket_middle_ms(b: usize) -> f64 {
    if b < 4 {
        return b as f64 / 1000.0;
    }
    let exp = b / 4 + 1;
    let low = ((4 + b % 4) as u64) << (exp - 2);
    let width = 1u64 << (exp - 2);
    (low as f64 + width as f64 / 2.0) / 1000.0
}

impl Latency {
    fn new() -> Latency {
        Latency {
            start: Instant::now(),
            slots: std::array::from_fn(|_| Slot {
                period: AtomicU64::new(0),
                counts: std::array::from_fn(|_| AtomicU64::new(0)),
            }),
        }
    }

    /// The period of `now`, counted from 1.
    fn period(&self, now: Instant) -> u64 {
        now.saturating_duration_since(self.start).as_secs() / SLOT.as_secs() + 1
    }

    fn record(&self, now: Instant, took: Duration) {
        let period = self.period(now);
        let slot = &self.slots[period as usize % SLOTS];
        let seen = slot.period.load(Ordering::Relaxed);
        // The first request of a period clears the slot's old counts. A
        // request recorded concurrently with the clearing may be lost: the
        // figures are a sample, not an account.
        if seen != period
            && slot
                .period
                .compare_exchange(seen, period, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
        {
            for count in &slot.counts {
                count.store(0, Ordering::Relaxed);
            }
        }
        let us = took.as_micros().min(u64::MAX as u128) as u64;
        slot.counts[bucket(us)].fetch_add(1, Ordering::Relaxed);
    }

    /// The number of samples in the window and each quantile's latency in
    /// milliseconds (None without samples).
    fn percentiles(&self, quantiles: &[f64]) -> (u64, Vec<Option<f64>>) {
        let now = self.period(Instant::now());
        let mut counts = [0u64; BUCKETS];
        for slot in &self.slots {
            let period = slot.period.load(Ordering::Relaxed);
            if period != 0 && period + (SLOTS as u64) > now {
                for (sum, count) in counts.iter_mut().zip(&slot.counts) {
                    *sum += count.load(Ordering::Relaxed);
                }
            }
        }
        let total: u64 = counts.iter().sum();
        let values = quantiles
            .iter()
            .map(|q| {
                if total == 0 {
                    return None;
                }
                let rank = ((q * total as f64).ceil() as u64).max(1);
                let mut seen = 0;
                counts.iter().enumerate().find_map(|(b, c)| {
                    seen += c;
                    (seen >= rank).then(|| bucket_middle_ms(b))
                })
            })
            .collect();
        (total, values)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_ordered_and_bounded() {
        let mut last = 0;
        for us in 0..100_000u64 {
            let b = bucket(us);
            assert!(b >= last && b < BUCKETS);
            last = b;
        }
        assert_eq!(bucket(u64::MAX), BUCKETS - 1);
        // A bucket's middle lies in the bucket.
        for us in [5u64, 100, 1_000, 12_345, 1_000_000] {
            let mid_us = (bucket_middle_ms(bucket(us)) * 1000.0) as u64;
            assert_eq!(bucket(mid_us), bucket(us));
        }
    }

    #[test]
    fn percentiles_follow_the_samples() {
        let stats = Stats::default();
        let now = Instant::now();
        for ms in 1..=100u64 {
            stats.latency.record(now, Duration::from_millis(ms));
            stats.record(RequestOutcome::ClientError, now, 10, 20);
        }
        let s = stats.snapshot(0);
        assert_eq!(s["requests"], 100);
        assert_eq!(s["requests_client_error"], 100);
        assert_eq!(s["bytes_out"], 1000);
        assert_eq!(s["latency_samples"], 200);
        let p50 = s["latency_p50_ms"].as_f64().unwrap();
        let p99 = s["latency_p99_ms"].as_f64().unwrap();
        // Half the samples are the (near zero) ones `record` measured.
        assert!(p50 <= 2.0, "{p50}");
        assert!((85.0..=120.0).contains(&p99), "{p99}");
    }
}
