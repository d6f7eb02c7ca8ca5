//! Cron groups and entries (§5.19, §9.11): model, schedule, wire objects.

use std::collections::BTreeMap;

use chrono::{DateTime, Local, TimeZone, Utc};
use croner::parser::CronParser;
use croner::Cron;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::model::{Backoff, BatchSpec, EnqueueReq, Retention};

/// A parsed cron expression plus its time zone.
#[derive(Clone, Debug)]
pub struct Schedule {
    cron: Cron,
    tz: Option<chrono_tz::Tz>,
}

impl Schedule {
    /// Parse an expression and optional IANA zone (errors are 400 texts).
    pub fn parse(expression: &str, timezone: Option<&str>) -> Result<Schedule, String> {
        let cron = CronParser::new()
            .parse(expression)
            .map_err(|e| format!("invalid cron expression: {e}"))?;
        let tz = match timezone {
            None => None,
            Some(t) => Some(
                t.parse::<chrono_tz::Tz>()
                    .map_err(|_| format!("invalid timezone: {t:?}"))?,
            ),
        };
        Ok(Schedule { cron, tz })
    }

    /// First occurrence strictly after `after_ms` (second resolution).
    pub fn next_after(&self, after_ms: u64) -> Option<u64> {
        let secs = i64::try_from(after_ms / 1000).ok()?;
        let utc: DateTime<Utc> = Utc.timestamp_opt(secs, 0).single()?;
        let next_secs = match self.tz {
            Some(tz) => {
                let t = utc.with_timezone(&tz);
                self.cron.find_next_occurrence(&t, false).ok()?.timestamp()
            }
            None => {
                let t = utc.with_timezone(&Local);
                self.cron.find_next_occurrence(&t, false).ok()?.timestamp()
            }
        };
        u64::try_from(next_secs).ok()?.checked_mul(1000)
    }
}

/// Cron entry request body.
#[derive(Clone, Debug, Deserialize)]
pub struct CronEntryReq {
    pub name: String,
    pub expression: String,
    #[serde(default)]
    pub timezone: Option<String>,
    #[serde(default)]
    pub paused: Option<bool>,
    pub job: EnqueueReq,
}

/// Cron group PUT body.
#[derive(Debug, Deserialize)]
pub struct CronGroupReq {
    #[serde(default)]
    pub paused: Option<bool>,
    pub entries: Vec<CronEntryReq>,
}

/// `{"paused": bool}` (required).
#[derive(Debug, Deserialize)]
pub struct PausedReq {
    pub paused: bool,
}

/// A validated entry ready to be stored.
pub struct NewEntry {
    pub req: CronEntryReq,
    pub schedule: Schedule,
}

/// A stored cron entry.
#[derive(Clone, Debug)]
pub struct CronEntry {
    pub name: String,
    pub expression: String,
    pub timezone: Option<String>,
    pub schedule: Schedule,
    pub paused: bool,
    pub paused_at: Option<u64>,
    pub resumed_at: Option<u64>,
    pub job: EnqueueReq,
    pub next_enqueue_at: Option<u64>,
    pub last_enqueue_at: Option<u64>,
}

/// A stored cron group.
#[derive(Clone, Debug)]
pub struct CronGroup {
    pub name: String,
    pub paused: bool,
    pub paused_at: Option<u64>,
    pub resumed_at: Option<u64>,
    pub entries: BTreeMap<String, CronEntry>,
}

/// Job template as echoed in entry responses.
#[derive(Debug, Serialize)]
pub struct JobTemplateOut {
    #[serde(rename = "type")]
    pub type_: String,
    pub queue: String,
    pub priority: u16,
    pub payload: Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_limit: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backoff: Option<Backoff>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retention: Option<Retention>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unique_key: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unique_while: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub batch: Option<BatchSpec>,
}

/// Cron entry response object.
#[derive(Debug, Serialize)]
pub struct CronEntryOut {
    pub name: String,
    pub expression: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timezone: Option<String>,
    pub paused: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub paused_at: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resumed_at: Option<u64>,
    pub job: JobTemplateOut,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_enqueue_at: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_enqueue_at: Option<u64>,
}

/// Cron group response object.
#[derive(Debug, Serialize)]
pub struct CronGroupOut {
    pub name: String,
    pub paused: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub paused_at: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resumed_at: Option<u64>,
    pub entries: Vec<CronEntryOut>,
}

impl CronEntry {
    pub fn out(&self) -> CronEntryOut {
        let j = &self.job;
        let unique_while = match (&j.unique_while, &j.unique_key) {
            (Some(w), _) => Some(w.clone()),
            (None, Some(_)) => Some("queued".to_string()),
            (None, None) => None,
        };
        CronEntryOut {
            name: self.name.clone(),
            expression: self.expression.clone(),
            timezone: self.timezone.clone(),
            paused: self.paused,
            paused_at: self.paused_at,
            resumed_at: self.resumed_at,
            job: JobTemplateOut {
                type_: j.type_.clone(),
                queue: j.queue.clone(),
                priority: j.priority.unwrap_or(32768),
                payload: j.payload.clone(),
                retry_limit: j.retry_limit,
                backoff: j.backoff,
                retention: j.retention,
                unique_key: j.unique_key.clone(),
                unique_while,
                batch: j.batch.clone(),
            },
            next_enqueue_at: self.next_enqueue_at,
            last_enqueue_at: self.last_enqueue_at,
        }
    }

    /// Build an entry from a request, merging with the previous version
    /// ("smart merge" of §5.19). `name` is the stored name.
    pub fn merged(name: String, new: NewEntry, old: Option<&CronEntry>, now: u64) -> CronEntry {
        let NewEntry { req, schedule } = new;
        let (next, last) = match old {
            Some(o) if o.expression == req.expression => (o.next_enqueue_at, o.last_enqueue_at),
            Some(o) => (schedule.next_after(now), o.last_enqueue_at),
            None => (schedule.next_after(now), None),
        };
        let (paused, paused_at, resumed_at) = match old {
            None => (req.paused.unwrap_or(false), None, None),
            Some(o) => {
                let p = req.paused.unwrap_or(o.paused);
                let (mut pa, mut ra) = (o.paused_at, o.resumed_at);
                if p != o.paused {
                    if p {
                        pa = Some(now);
                    } else {
                        ra = Some(now);
                    }
                }
                (p, pa, ra)
            }
        };
        CronEntry {
            name,
            expression: req.expression,
            timezone: req.timezone,
            schedule,
            paused,
            paused_at,
            resumed_at,
            job: req.job,
            next_enqueue_at: next,
            last_enqueue_at: last,
        }
    }

    /// Set the paused flag, stamping the transition.
    pub fn set_paused(&mut self, p: bool, now: u64) {
        if p != self.paused {
            self.paused = p;
            if p {
                self.paused_at = Some(now);
            } else {
                self.resumed_at = Some(now);
            }
        }
    }
}

impl CronGroup {
    pub fn new(name: String) -> CronGroup {
        CronGroup {
            name,
            paused: false,
            paused_at: None,
            resumed_at: None,
            entries: BTreeMap::new(),
        }
    }

    /// Group output with entries in stored (name) order.
    pub fn out(&self) -> CronGroupOut {
        self.out_with(self.entries.values().map(CronEntry::out).collect())
    }

    pub fn out_with(&self, entries: Vec<CronEntryOut>) -> CronGroupOut {
        CronGroupOut {
            name: self.name.clone(),
            paused: self.paused,
            paused_at: self.paused_at,
            resumed_at: self.resumed_at,
            entries,
        }
    }

    pub fn set_paused(&mut self, p: bool, now: u64) {
        if p != self.paused {
            self.paused = p;
            if p {
                self.paused_at = Some(now);
            } else {
                self.resumed_at = Some(now);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedules() {
        let s = Schedule::parse("* * * * * *", Some("UTC")).unwrap();
        assert_eq!(s.next_after(10_500), Some(11_000));
        assert_eq!(s.next_after(10_000), Some(11_000));
        let s = Schedule::parse("0 * * * *", Some("Europe/Paris")).unwrap();
        assert_eq!(s.next_after(0), Some(3_600_000));
        let s = Schedule::parse("@daily", None).unwrap();
        assert!(s.next_after(0).is_some());
        assert!(Schedule::parse("nope", None)
            .unwrap_err()
            .starts_with("invalid cron expression: "));
        assert_eq!(
            Schedule::parse("* * * * *", Some("Mars/Base")).unwrap_err(),
            "invalid timezone: \"Mars/Base\""
        );
    }
}
