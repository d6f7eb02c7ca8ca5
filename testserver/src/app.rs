//! Shared application state and the public `Control` handle.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use tokio::sync::watch;

use crate::config::{Config, Tier};
use crate::cost::{Cost, Lane};
use crate::faults::{FailRule, Faults, FaultsView};
use crate::store::Store;

/// Counters reported by `GET /_testserver/state`.
#[derive(Default)]
pub struct Stats {
    pub connections: AtomicUsize,
    pub take_streams: AtomicUsize,
    pub requests: AtomicU64,
    /// Requests by method and route pattern, for benchmarks (no string is
    /// built per request; the state's names are made when it is read).
    pub by_kind: parking_lot::Mutex<HashMap<(hyper::Method, &'static str), u64>>,
}

/// Everything a request handler needs.
pub struct App {
    pub store: Store,
    pub faults: Faults,
    pub stats: Stats,
    pub heartbeat: Duration,
    /// The cost model, when a cost profile is set.
    pub cost: Option<Cost>,
    shutdown: watch::Sender<bool>,
}

impl App {
    pub fn new(config: &Config) -> Arc<App> {
        let (shutdown, _) = watch::channel(false);
        Arc::new(App {
            store: Store::new(config),
            faults: Faults::default(),
            stats: Stats::default(),
            heartbeat: config.heartbeat_interval.max(Duration::from_millis(1)),
            cost: Cost::start(config.cost),
            shutdown,
        })
    }

    pub fn shutdown_rx(&self) -> watch::Receiver<bool> {
        self.shutdown.subscribe()
    }

    pub fn is_shutting_down(&self) -> bool {
        *self.shutdown.borrow()
    }

    pub fn trigger_shutdown(&self) {
        self.shutdown.send_replace(true);
    }

    pub fn is_pro(&self) -> bool {
        self.store.lock().pro
    }

    /// Under a cost profile, spend the CPU of decoding `jobs` enqueued jobs.
    pub fn charge_enqueue(&self, jobs: usize) {
        if let Some(cost) = &self.cost {
            cost.charge_enqueue(jobs);
        }
    }

    /// Under a cost profile, wait until `changes` state changes are
    /// committed by the journal lane; at once otherwise.
    pub async fn commit(&self, changes: usize) {
        if let Some(cost) = &self.cost {
            cost.commit(Lane::Journal, changes).await;
        }
    }

    /// As `commit`, for acks and nacks: the completion lane.
    pub async fn commit_completions(&self, changes: usize) {
        if let Some(cost) = &self.cost {
            cost.commit(Lane::Completions, changes).await;
        }
    }
}

/// Server state as reported by the control API.
#[derive(Clone, Debug, Serialize)]
pub struct ControlState {
    pub connections: usize,
    pub take_streams: usize,
    pub in_flight: usize,
    pub requests: u64,
    /// Requests by `METHOD /route` (routes with their parameters elided).
    pub requests_by_kind: BTreeMap<String, u64>,
    /// Journal group commits made and the state changes they carried
    /// (both 0 without a cost profile).
    pub commits: u64,
    pub committed_changes: u64,
    /// The same for the completion lane (acks and nacks).
    pub completion_commits: u64,
    pub completed_changes: u64,
    pub faults: FaultsView,
}

/// Runtime configuration reported by `PUT /_testserver/config`.
#[derive(Clone, Debug, Serialize)]
pub struct RuntimeConfig {
    pub tier: &'static str,
    pub backoff_random: Option<f64>,
}

/// Cheap clonable handle to the fault/control state of a running server.
/// Every method has the same semantics as the HTTP control API.
#[derive(Clone)]
pub struct Control {
    pub(crate) app: Arc<App>,
}

impl Control {
    pub(crate) fn new(app: Arc<App>) -> Control {
        Control { app }
    }

    /// `GET /_testserver/state`.
    pub fn state(&self) -> ControlState {
        let in_flight = self.app.store.lock().in_flight;
        let counts = |lane| {
            self.app
                .cost
                .as_ref()
                .map_or((0, 0), |c| c.lane_counts(lane))
        };
        let (commits, committed_changes) = counts(Lane::Journal);
        let (completion_commits, completed_changes) = counts(Lane::Completions);
        ControlState {
            connections: self.app.stats.connections.load(Ordering::SeqCst),
            take_streams: self.app.stats.take_streams.load(Ordering::SeqCst),
            in_flight,
            requests: self.app.stats.requests.load(Ordering::SeqCst),
            requests_by_kind: self
                .app
                .stats
                .by_kind
                .lock()
                .iter()
                .map(|((method, route), n)| (format!("{method} {route}"), *n))
                .collect(),
            commits,
            committed_changes,
            completion_commits,
            completed_changes,
            faults: self.app.faults.view(),
        }
    }

    /// Current faults.
    pub fn faults(&self) -> FaultsView {
        self.app.faults.view()
    }

    /// `PUT /_testserver/faults` with a JSON object.
    pub fn set_faults_json(&self, v: &serde_json::Value) -> Result<FaultsView, String> {
        self.app.faults.apply_json(v)
    }

    /// `DELETE /_testserver/faults`.
    pub fn clear_faults(&self) {
        self.app.faults.clear();
    }

    pub fn set_delay_ms(&self, ms: u64) {
        self.app.faults.set_delay_ms(ms);
    }

    /// Fail the next `count` matching requests (-1 = until cleared).
    pub fn fail_requests(&self, status: u16, count: i64, method: Option<&str>, path: Option<&str>) {
        self.app.faults.set_fail_requests(Some(FailRule {
            status,
            count,
            method: method.map(str::to_string),
            path: path.map(str::to_string),
        }));
    }

    pub fn set_heartbeats(&self, on: bool) {
        self.app.faults.set_heartbeats(on);
    }

    pub fn close_streams_after_jobs(&self, n: u64) {
        self.app.faults.set_close_streams_after_jobs(n);
    }

    pub fn reset_connections(&self, n: u64) {
        self.app.faults.set_reset_connections(n);
    }

    /// Swallow the next `n` protocol requests (-1: all until cleared): each
    /// one's connection stops being served but stays open; 0 clears the
    /// fault and closes those connections.
    pub fn blackhole(&self, n: i64) {
        self.app.faults.set_blackhole(n);
    }

    pub fn corrupt_next_frame(&self, on: bool) {
        self.app.faults.set_corrupt_next_frame(on);
    }

    pub fn truncate_next_frame(&self, on: bool) {
        self.app.faults.set_truncate_next_frame(on);
    }

    /// `POST /_testserver/close_streams`: returns how many were closed.
    pub fn close_streams(&self) -> usize {
        self.app.store.lock().close_all_streams()
    }

    pub fn set_tier(&self, tier: Tier) {
        let mut st = self.app.store.lock();
        st.pro = tier == Tier::Pro;
        // cron firing may resume
        st.sched_wake_now();
    }

    /// Fixed jitter factor in `[0,1]`, or `None` for real randomness.
    pub fn set_backoff_random(&self, v: Option<f64>) {
        self.app.store.lock().backoff_random = v;
    }

    pub fn config(&self) -> RuntimeConfig {
        let st = self.app.store.lock();
        RuntimeConfig {
            tier: if st.pro { "pro" } else { "free" },
            backoff_random: st.backoff_random,
        }
    }

    /// Ask the server to stop (streams are closed, jobs requeued).
    pub fn shutdown(&self) {
        self.app.trigger_shutdown();
    }
}

/// Resolves once shutdown has been requested.
pub async fn stopped(rx: &mut watch::Receiver<bool>) {
    let _ = rx.wait_for(|v| *v).await.map(|_| ());
}
