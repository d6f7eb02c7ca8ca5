//! The event queue: what the core did that an operator would want to know,
//! as structured events, kept in a bounded queue until the host pulls them
//! on its own thread (no callback ever runs on a library thread).

use crate::error::{Error, Result};
use crate::ready::{Readiness, Ready};
use serde::Deserialize;
use serde_json::{Map, Value};
use std::collections::VecDeque;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

/// Most events a client keeps; the oldest go first, and are counted.
pub const MAX_EVENTS: usize = 1024;

/// How much an event matters. The client option `log_level` keeps events at
/// its level and above (`off` keeps none).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Debug,
    Info,
    Warn,
    Error,
    Off,
}

impl Level {
    fn name(self) -> &'static str {
        match self {
            Level::Debug => "debug",
            Level::Info => "info",
            Level::Warn => "warn",
            Level::Error => "error",
            Level::Off => "off",
        }
    }
}

/// Named values that go with an event (url, queue, delay_ms, status, count…).
pub type Fields = Vec<(&'static str, Value)>;

/// One event.
#[derive(Clone, Debug)]
pub struct Event {
    /// Milliseconds since the Unix epoch.
    pub time_ms: u64,
    pub level: Level,
    /// Where it happened: `transport`, `take`, `worker` or `events`.
    pub area: &'static str,
    /// What happened, e.g. `reconnect_scheduled`; stable, for filtering.
    pub kind: &'static str,
    pub message: String,
    pub fields: Fields,
}

impl Event {
    /// The map handed to the host (see `zizq_client_next_events`).
    pub fn to_value(&self) -> Value {
        let mut map = Map::new();
        map.insert("time_ms".into(), self.time_ms.into());
        map.insert("level".into(), self.level.name().into());
        map.insert("area".into(), self.area.into());
        map.insert("kind".into(), self.kind.into());
        map.insert("message".into(), self.message.clone().into());
        let fields = self
            .fields
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect();
        map.insert("fields".into(), Value::Object(fields));
        Value::Object(map)
    }
}

struct Queue {
    events: VecDeque<Event>,
    /// Events dropped since the host last read: reported as an event.
    dropped: u64,
    dropped_total: u64,
    closed: bool,
    /// `wakeup` was called: the next `next` returns at once.
    woken: bool,
}

impl Readiness for Queue {
    /// Exactly while `next` would return at once.
    fn is_ready(&self) -> bool {
        !self.events.is_empty() || self.dropped > 0 || self.closed || self.woken
    }
}

/// A client's events.
pub struct Events {
    min: Level,
    queue: Ready<Queue>,
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

impl Events {
    pub fn new(min: Level) -> Result<Events> {
        Ok(Events {
            min,
            queue: Ready::new(Queue {
                events: VecDeque::new(),
                dropped: 0,
                dropped_total: 0,
                closed: false,
                woken: false,
            })?,
        })
    }

    /// Whether events at `level` are kept.
    pub fn enabled(&self, level: Level) -> bool {
        level >= self.min
    }

    /// Record an event; `build` (message and fields) runs only if `level` is
    /// kept. Never blocks for long: a full queue drops its oldest event.
    pub fn emit(
        &self,
        level: Level,
        area: &'static str,
        kind: &'static str,
        build: impl FnOnce() -> (String, Fields),
    ) {
        if !self.enabled(level) {
            return;
        }
        let (message, fields) = build();
        let event = Event {
            time_ms: now_ms(),
            level,
            area,
            kind,
            message,
            fields,
        };
        self.queue.update(|q| {
            if q.events.len() == MAX_EVENTS {
                q.events.pop_front();
                q.dropped += 1;
                q.dropped_total += 1;
            }
            q.events.push_back(event);
        });
    }

    /// Up to `max` events (0 = every queued one), waiting until `deadline`
    /// (None = no limit) for the first; empty after the deadline or a
    /// `wakeup`. Events dropped since the last call come first, as one
    /// `events.dropped` warning. Once the client is closed
    /// and every event read: `ZIZQ_E_CLOSED`.
    pub fn next(&self, max: usize, deadline: Option<Instant>) -> Result<Vec<Event>> {
        let max = if max == 0 { usize::MAX } else { max };
        let found = self.queue.wait(deadline, |q| {
            let mut out = Vec::new();
            if q.dropped > 0 {
                let count = std::mem::take(&mut q.dropped);
                out.push(Event {
                    time_ms: now_ms(),
                    level: Level::Warn,
                    area: "events",
                    kind: "dropped",
                    message: format!(
                        "{count} event(s) dropped: the host did not read events as fast as they came"
                    ),
                    fields: vec![("count", count.into())],
                });
            }
            let n = max.saturating_sub(out.len()).min(q.events.len());
            out.extend(q.events.drain(..n));
            if !out.is_empty() {
                return Some(Ok(out));
            }
            if q.closed {
                return Some(Err(Error::closed()));
            }
            std::mem::take(&mut q.woken).then(|| Ok(Vec::new()))
        });
        found.unwrap_or_else(|| Ok(Vec::new()))
    }

    /// Make the current (or next) `next` return at once, with what is queued
    /// (possibly nothing): how a reader thread is told to stop.
    pub fn wakeup(&self) {
        self.queue.update(|q| q.woken = true);
    }

    /// The client closed: readers return what is queued, then `ZIZQ_E_CLOSED`.
    pub fn close(&self) {
        self.queue.update(|q| q.closed = true);
    }

    /// Readable exactly while `next` would return at once.
    pub fn fd(&self) -> i32 {
        self.queue.fd()
    }

    /// Queued events now.
    pub fn len(&self) -> usize {
        self.queue.lock().events.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Events dropped since the client was created.
    pub fn dropped_total(&self) -> u64 {
        self.queue.lock().dropped_total
    }
}
