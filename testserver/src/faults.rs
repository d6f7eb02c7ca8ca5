//! Fault-injection state shared by the HTTP layer and take streams.

use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};

use parking_lot::Mutex;
use serde::Serialize;
use serde_json::Value;
use tokio::sync::watch;

/// Rule for `fail_requests`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FailRule {
    pub status: u16,
    /// Remaining matches; -1 = until cleared.
    pub count: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
}

impl FailRule {
    fn matches(&self, method: &str, path: &str) -> bool {
        if let Some(m) = &self.method {
            if !m.eq_ignore_ascii_case(method) {
                return false;
            }
        }
        match &self.path {
            None => true,
            Some(p) => match p.strip_suffix('*') {
                Some(prefix) => path.starts_with(prefix),
                None => p == path,
            },
        }
    }
}

/// Snapshot of all faults (the JSON object of the control API).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FaultsView {
    pub delay_ms: u64,
    pub fail_requests: Option<FailRule>,
    pub heartbeats: bool,
    pub close_streams_after_jobs: u64,
    pub reset_connections: u64,
    /// Remaining requests to swallow; -1 = every request until cleared.
    pub blackhole: i64,
    pub corrupt_next_frame: bool,
    pub truncate_next_frame: bool,
}

/// A deferred fault update (validated before any is applied).
type FaultOp = Box<dyn Fn(&Faults)>;

/// Live fault switches.
pub struct Faults {
    delay_ms: AtomicU64,
    fail: Mutex<Option<FailRule>>,
    heartbeats: AtomicBool,
    close_after: AtomicU64,
    reset: AtomicI64,
    blackhole: AtomicI64,
    /// Bumped whenever `blackhole` is cleared: blackholed connections wait
    /// for a value other than the one current when they were frozen.
    blackhole_epoch: watch::Sender<u64>,
    corrupt: AtomicBool,
    truncate: AtomicBool,
}

impl Default for Faults {
    fn default() -> Self {
        Faults {
            delay_ms: AtomicU64::new(0),
            fail: Mutex::new(None),
            heartbeats: AtomicBool::new(true),
            close_after: AtomicU64::new(0),
            reset: AtomicI64::new(0),
            blackhole: AtomicI64::new(0),
            blackhole_epoch: watch::Sender::new(0),
            corrupt: AtomicBool::new(false),
            truncate: AtomicBool::new(false),
        }
    }
}

fn as_u64(v: &Value, key: &str) -> Result<u64, String> {
    match v {
        Value::Null => Ok(0),
        Value::Bool(false) => Ok(0),
        Value::Number(n) => n
            .as_u64()
            .ok_or_else(|| format!("{key} must be a non-negative integer")),
        _ => Err(format!("{key} must be a non-negative integer")),
    }
}

fn as_bool(v: &Value, key: &str) -> Result<bool, String> {
    match v {
        Value::Null => Ok(false),
        Value::Bool(b) => Ok(*b),
        Value::Number(n) => Ok(n.as_f64().is_some_and(|f| f != 0.0)),
        _ => Err(format!("{key} must be a boolean")),
    }
}

/// A request count: a non-negative integer, or -1 for "until cleared".
fn as_count(v: &Value, key: &str) -> Result<i64, String> {
    match v {
        Value::Null | Value::Bool(false) => Ok(0),
        Value::Number(n) => n
            .as_i64()
            .filter(|n| *n >= -1)
            .ok_or_else(|| format!("{key} must be an integer >= -1")),
        _ => Err(format!("{key} must be an integer >= -1")),
    }
}

fn parse_rule(v: &Value) -> Result<Option<FailRule>, String> {
    let obj = match v {
        Value::Null | Value::Bool(false) => return Ok(None),
        Value::Number(n) if n.as_f64() == Some(0.0) => return Ok(None),
        Value::Object(o) => o,
        _ => return Err("fail_requests must be an object".into()),
    };
    let status = obj
        .get("status")
        .and_then(Value::as_u64)
        .filter(|s| (100..=999).contains(s))
        .ok_or("fail_requests.status must be an HTTP status code")?;
    let count = match obj.get("count") {
        None | Some(Value::Null) => -1,
        Some(c) => c
            .as_i64()
            .filter(|c| *c >= -1)
            .ok_or("fail_requests.count must be an integer >= -1")?,
    };
    if count == 0 {
        return Ok(None);
    }
    let text = |k: &str| -> Result<Option<String>, String> {
        match obj.get(k) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            _ => Err(format!("fail_requests.{k} must be a string")),
        }
    };
    Ok(Some(FailRule {
        status: u16::try_from(status).unwrap_or(500),
        count,
        method: text("method")?,
        path: text("path")?,
    }))
}

impl Faults {
    pub fn view(&self) -> FaultsView {
        FaultsView {
            delay_ms: self.delay_ms(),
            fail_requests: self.fail.lock().clone(),
            heartbeats: self.heartbeats(),
            close_streams_after_jobs: self.close_after(),
            reset_connections: u64::try_from(self.reset.load(Ordering::SeqCst)).unwrap_or(0),
            blackhole: self.blackhole.load(Ordering::SeqCst),
            corrupt_next_frame: self.corrupt.load(Ordering::SeqCst),
            truncate_next_frame: self.truncate.load(Ordering::SeqCst),
        }
    }

    /// Apply a JSON object of fault settings; validates everything first.
    pub fn apply_json(&self, v: &Value) -> Result<FaultsView, String> {
        let obj = v.as_object().ok_or("faults must be a JSON object")?;
        let mut ops: Vec<FaultOp> = Vec::new();
        for (k, val) in obj {
            match k.as_str() {
                "delay_ms" => {
                    let d = as_u64(val, k)?;
                    ops.push(Box::new(move |f| f.set_delay_ms(d)));
                }
                "fail_requests" => {
                    let r = parse_rule(val)?;
                    ops.push(Box::new(move |f| f.set_fail_requests(r.clone())));
                }
                "heartbeats" => {
                    let b = if val.is_null() {
                        true
                    } else {
                        as_bool(val, k)?
                    };
                    ops.push(Box::new(move |f| f.set_heartbeats(b)));
                }
                "close_streams_after_jobs" => {
                    let n = as_u64(val, k)?;
                    ops.push(Box::new(move |f| f.set_close_streams_after_jobs(n)));
                }
                "reset_connections" => {
                    let n = as_u64(val, k)?;
                    ops.push(Box::new(move |f| f.set_reset_connections(n)));
                }
                "blackhole" => {
                    let n = as_count(val, k)?;
                    ops.push(Box::new(move |f| f.set_blackhole(n)));
                }
                "corrupt_next_frame" => {
                    let b = as_bool(val, k)?;
                    ops.push(Box::new(move |f| f.set_corrupt_next_frame(b)));
                }
                "truncate_next_frame" => {
                    let b = as_bool(val, k)?;
                    ops.push(Box::new(move |f| f.set_truncate_next_frame(b)));
                }
                other => return Err(format!("unknown fault: {other}")),
            }
        }
        for op in ops {
            op(self);
        }
        Ok(self.view())
    }

    pub fn clear(&self) {
        self.set_delay_ms(0);
        self.set_fail_requests(None);
        self.set_heartbeats(true);
        self.set_close_streams_after_jobs(0);
        self.set_reset_connections(0);
        self.set_blackhole(0);
        self.set_corrupt_next_frame(false);
        self.set_truncate_next_frame(false);
    }

    pub fn set_delay_ms(&self, ms: u64) {
        self.delay_ms.store(ms, Ordering::SeqCst);
    }
    pub fn set_fail_requests(&self, rule: Option<FailRule>) {
        *self.fail.lock() = rule.filter(|r| r.count != 0);
    }
    pub fn set_heartbeats(&self, on: bool) {
        self.heartbeats.store(on, Ordering::SeqCst);
    }
    pub fn set_close_streams_after_jobs(&self, n: u64) {
        self.close_after.store(n, Ordering::SeqCst);
    }
    pub fn set_reset_connections(&self, n: u64) {
        self.reset
            .store(i64::try_from(n).unwrap_or(i64::MAX), Ordering::SeqCst);
    }
    /// Swallow the next `n` protocol requests (-1: all until cleared). 0
    /// clears the fault and releases every blackholed connection.
    pub fn set_blackhole(&self, n: i64) {
        self.blackhole.store(n.max(-1), Ordering::SeqCst);
        if n == 0 {
            self.blackhole_epoch.send_modify(|epoch| *epoch += 1);
        }
    }
    pub fn set_corrupt_next_frame(&self, on: bool) {
        self.corrupt.store(on, Ordering::SeqCst);
    }
    pub fn set_truncate_next_frame(&self, on: bool) {
        self.truncate.store(on, Ordering::SeqCst);
    }

    pub fn delay_ms(&self) -> u64 {
        self.delay_ms.load(Ordering::SeqCst)
    }
    pub fn heartbeats(&self) -> bool {
        self.heartbeats.load(Ordering::SeqCst)
    }
    pub fn close_after(&self) -> u64 {
        self.close_after.load(Ordering::SeqCst)
    }

    /// Consume one `reset_connections` token.
    pub fn take_reset(&self) -> bool {
        self.reset
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| {
                (n > 0).then(|| n - 1)
            })
            .is_ok()
    }

    /// Consume one `blackhole` request, if any: returns the epoch to pass
    /// to [`Faults::blackhole_cleared`].
    pub fn take_blackhole(&self) -> Option<u64> {
        // Read the epoch first: a clear racing with this take then releases
        // the connection instead of leaving it frozen.
        let epoch = *self.blackhole_epoch.borrow();
        self.blackhole
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| match n {
                -1 => Some(-1),
                n if n > 0 => Some(n - 1),
                _ => None,
            })
            .is_ok()
            .then_some(epoch)
    }

    /// Resolves once the blackhole fault has been cleared after `epoch`.
    pub async fn blackhole_cleared(&self, epoch: u64) {
        let mut rx = self.blackhole_epoch.subscribe();
        let _ = rx.wait_for(|current| *current != epoch).await;
    }

    pub fn take_corrupt(&self) -> bool {
        self.corrupt.swap(false, Ordering::SeqCst)
    }

    pub fn take_truncate(&self) -> bool {
        self.truncate.swap(false, Ordering::SeqCst)
    }

    /// If a fail rule matches, consume one count and return its status.
    pub fn take_fail(&self, method: &str, path: &str) -> Option<u16> {
        let mut guard = self.fail.lock();
        let rule = guard.as_mut()?;
        if !rule.matches(method, path) {
            return None;
        }
        let status = rule.status;
        if rule.count > 0 {
            rule.count -= 1;
            if rule.count == 0 {
                *guard = None;
            }
        }
        Some(status)
    }
}
