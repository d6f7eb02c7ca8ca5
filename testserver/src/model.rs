//! Job data model and the typed request/response objects of the protocol.
//!
//! Output structs declare their fields in the exact key order of the spec
//! (§3.5-3.7) and skip unset optional fields, so JSON and MessagePack
//! encodings match the reference server byte for byte.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

/// Job status (§3.4), declared in canonical order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Status {
    Scheduled,
    Ready,
    InFlight,
    Completed,
    Dead,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Scheduled => "scheduled",
            Status::Ready => "ready",
            Status::InFlight => "in_flight",
            Status::Completed => "completed",
            Status::Dead => "dead",
        }
    }

    pub fn parse(s: &str) -> Option<Status> {
        Some(match s {
            "scheduled" => Status::Scheduled,
            "ready" => Status::Ready,
            "in_flight" => Status::InFlight,
            "completed" => Status::Completed,
            "dead" => Status::Dead,
            _ => return None,
        })
    }

    pub fn is_terminal(self) -> bool {
        matches!(self, Status::Completed | Status::Dead)
    }
}

impl Serialize for Status {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// Scope of a unique key (§9.9).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    Queued,
    Active,
    Exists,
}

impl Scope {
    pub fn parse(s: &str) -> Option<Scope> {
        Some(match s {
            "queued" => Scope::Queued,
            "active" => Scope::Active,
            "exists" => Scope::Exists,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Queued => "queued",
            Scope::Active => "active",
            Scope::Exists => "exists",
        }
    }

    /// Whether a job in `status` conflicts with a request of this scope.
    pub fn covers(self, status: Status) -> bool {
        match self {
            Scope::Queued => matches!(status, Status::Scheduled | Status::Ready),
            Scope::Active => matches!(status, Status::Scheduled | Status::Ready | Status::InFlight),
            Scope::Exists => true,
        }
    }
}

impl Serialize for Scope {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// Backoff parameters (§3.6); all three keys required.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Backoff {
    pub exponent: f32,
    pub base_ms: u32,
    pub jitter_ms: u32,
}

/// Retention parameters (§3.6).
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Retention {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub completed_ms: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dead_ms: Option<u64>,
}

/// Batch parameters (§3.6, §9.10).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BatchSpec {
    pub key: String,
    pub when: String,
    pub fold: String,
}

/// Error record (§3.7).
#[derive(Clone, Debug, Serialize)]
pub struct ErrorRecord {
    pub attempt: u32,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backtrace: Option<String>,
    pub dequeued_at: u64,
    pub failed_at: u64,
}

/// A stored job.
#[derive(Clone, Debug)]
pub struct Job {
    pub id: u128,
    pub id_str: String,
    pub type_: String,
    pub queue: String,
    pub priority: u16,
    pub status: Status,
    pub payload: Value,
    pub ready_at: u64,
    pub attempts: u32,
    pub retry_limit: Option<u32>,
    pub backoff: Option<Backoff>,
    pub dequeued_at: Option<u64>,
    pub failed_at: Option<u64>,
    pub retention: Option<Retention>,
    pub purge_at: Option<u64>,
    pub completed_at: Option<u64>,
    pub unique_key: Option<String>,
    pub unique_while: Option<Scope>,
    pub batch: Option<BatchSpec>,
    pub errors: Vec<ErrorRecord>,
    /// Take stream currently holding this job (only while in flight).
    pub owner: Option<u64>,
}

impl Job {
    /// Visible unless its `purge_at` has passed.
    pub fn visible(&self, now: u64) -> bool {
        self.purge_at.is_none_or(|p| p > now)
    }

    /// Owned output view (§3.5).
    pub fn out(&self, with_payload: bool) -> JobOut {
        JobOut {
            id: self.id_str.clone(),
            type_: self.type_.clone(),
            queue: self.queue.clone(),
            priority: self.priority,
            status: self.status,
            payload: with_payload.then(|| self.payload.clone()),
            ready_at: self.ready_at,
            attempts: self.attempts,
            retry_limit: self.retry_limit,
            backoff: self.backoff,
            dequeued_at: self.dequeued_at,
            failed_at: self.failed_at,
            retention: self.retention,
            purge_at: self.purge_at,
            completed_at: self.completed_at,
            unique_key: self.unique_key.clone(),
            unique_while: self.unique_while,
            duplicate: None,
            folded: None,
            batch: self.batch.clone(),
        }
    }

    /// Output view for enqueue responses (no payload, with flags).
    pub fn enqueue_out(&self, duplicate: bool, folded: bool) -> JobOut {
        let mut o = self.out(false);
        o.duplicate = Some(duplicate);
        o.folded = Some(folded);
        o
    }
}

/// Job object as sent on the wire, keys in spec order.
#[derive(Clone, Debug, Serialize)]
pub struct JobOut {
    pub id: String,
    #[serde(rename = "type")]
    pub type_: String,
    pub queue: String,
    pub priority: u16,
    pub status: Status,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payload: Option<Value>,
    pub ready_at: u64,
    pub attempts: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_limit: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backoff: Option<Backoff>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dequeued_at: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failed_at: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retention: Option<Retention>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub purge_at: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub completed_at: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unique_key: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unique_while: Option<Scope>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duplicate: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub folded: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub batch: Option<BatchSpec>,
}

/// Deserialize a field that distinguishes "absent" (outer `None` via
/// `#[serde(default)]`) from `null` (`Some(None)`).
pub fn double_option<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

/// Enqueue request object (§5.2).
#[derive(Clone, Debug, Deserialize)]
pub struct EnqueueReq {
    #[serde(rename = "type")]
    pub type_: String,
    pub queue: String,
    pub payload: Value,
    #[serde(default)]
    pub priority: Option<u16>,
    #[serde(default)]
    pub ready_at: Option<u64>,
    #[serde(default)]
    pub retry_limit: Option<u32>,
    #[serde(default)]
    pub backoff: Option<Backoff>,
    #[serde(default)]
    pub retention: Option<Retention>,
    #[serde(default)]
    pub unique_key: Option<String>,
    #[serde(default)]
    pub unique_while: Option<String>,
    #[serde(default)]
    pub batch: Option<BatchSpec>,
}

/// Bulk enqueue request (§5.3).
#[derive(Debug, Deserialize)]
pub struct BulkEnqueueReq {
    pub jobs: Vec<EnqueueReq>,
}

/// Bulk ack request (§5.6).
#[derive(Debug, Deserialize)]
pub struct BulkAckReq {
    pub ids: Vec<String>,
}

/// Failure report (§5.7).
#[derive(Debug, Deserialize)]
pub struct FailureReq {
    pub message: String,
    #[serde(default)]
    pub error_type: Option<String>,
    #[serde(default)]
    pub backtrace: Option<String>,
    #[serde(default)]
    pub retry_at: Option<u64>,
    #[serde(default)]
    pub kill: bool,
}

/// Retention merge patch (§8).
#[derive(Clone, Debug, Default, Deserialize)]
pub struct RetentionPatch {
    #[serde(default, deserialize_with = "double_option")]
    pub completed_ms: Option<Option<u64>>,
    #[serde(default, deserialize_with = "double_option")]
    pub dead_ms: Option<Option<u64>>,
}

/// Patch object (§8): outer `None` = absent, `Some(None)` = null.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct PatchReq {
    #[serde(default, deserialize_with = "double_option")]
    pub queue: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    pub priority: Option<Option<u16>>,
    #[serde(default, deserialize_with = "double_option")]
    pub ready_at: Option<Option<u64>>,
    #[serde(default, deserialize_with = "double_option")]
    pub retry_limit: Option<Option<u32>>,
    #[serde(default, deserialize_with = "double_option")]
    pub backoff: Option<Option<Backoff>>,
    #[serde(default, deserialize_with = "double_option")]
    pub retention: Option<Option<RetentionPatch>>,
}

/// `{"error": "..."}`.
#[derive(Serialize)]
pub struct ErrorBody<'a> {
    pub error: &'a str,
}

/// `{"error": "...", "supported": [...]}` (406/415).
#[derive(Serialize)]
pub struct UnsupportedBody<'a> {
    pub error: &'a str,
    pub supported: &'a [&'a str],
}

/// Pagination links (§6); `next`/`prev` are explicit nulls.
#[derive(Debug, Serialize)]
pub struct Pages {
    #[serde(rename = "self")]
    pub self_: String,
    pub next: Option<String>,
    pub prev: Option<String>,
}

/// `GET /jobs` response.
#[derive(Serialize)]
pub struct JobsPage {
    pub jobs: Vec<JobOut>,
    pub pages: Pages,
}

/// `GET /jobs/{id}/errors` response.
#[derive(Serialize)]
pub struct ErrorsPage {
    pub errors: Vec<ErrorRecord>,
    pub pages: Pages,
}
