//! What a client tells its operator: events (a bounded queue the host pulls
//! from its own thread, `events.rs`) and figures (counters and a latency
//! histogram, `stats.rs`). One `Observer` per client, shared by its derived
//! handles, take streams, workers and connections.

mod events;
mod stats;

pub use events::{Event, Events, Fields, Level, MAX_EVENTS};
pub use stats::{RequestOutcome, Stats};

use crate::error::Result;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

/// A client's events and figures.
pub struct Observer {
    pub events: Events,
    pub stats: Stats,
}

impl Observer {
    /// Events at `level` and above are kept.
    pub fn new(level: Level) -> Result<Observer> {
        Ok(Observer {
            events: Events::new(level)?,
            stats: Stats::default(),
        })
    }
}

/// Counts one open connection or take stream for as long as it lives
/// (dropped when the connection's task ends or is aborted).
pub struct Gauge {
    observer: Arc<Observer>,
    counter: fn(&Stats) -> &AtomicI64,
}

impl Gauge {
    pub fn up(observer: &Arc<Observer>, counter: fn(&Stats) -> &AtomicI64) -> Gauge {
        counter(&observer.stats).fetch_add(1, Ordering::Relaxed);
        Gauge {
            observer: observer.clone(),
            counter,
        }
    }
}

impl Drop for Gauge {
    fn drop(&mut self) {
        (self.counter)(&self.observer.stats).fetch_sub(1, Ordering::Relaxed);
    }
}
