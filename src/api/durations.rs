//! The two shapes of a job's `backoff` and `retention`, defined once for
//! every host: the seed's resources present durations in seconds
//! (`{exponent, base, jitter}`, `{completed, dead}`), the server takes
//! integer milliseconds (`{exponent, base_ms, jitter_ms}`,
//! `{completed_ms, dead_ms}`). Enqueue documents, patches and cron job
//! templates may use either shape; the seconds shape is rewritten here.

use crate::error::{Error, Result};
use serde_json::{Map, Number, Value};

/// Seconds keys and the milliseconds keys they become.
const BACKOFF: &[(&str, &str)] = &[("base", "base_ms"), ("jitter", "jitter_ms")];
const RETENTION: &[(&str, &str)] = &[("completed", "completed_ms"), ("dead", "dead_ms")];

/// Every seconds key of either map: a document holding none of them at
/// the top of its `backoff` or `retention` map goes to the server as given.
pub(crate) const SECONDS_KEYS: &[&str] = &["base", "jitter", "completed", "dead"];

/// Rewrite the seconds shape of `job`'s `backoff` and `retention` (a job,
/// a patch or a cron job template) into milliseconds. Returns whether
/// anything changed; `what` names the document in errors.
pub fn to_wire(job: &mut Map<String, Value>, what: &str) -> Result<bool> {
    let mut changed = false;
    if let Some(Value::Object(backoff)) = job.get_mut("backoff") {
        if has_seconds(backoff, BACKOFF) {
            // As the seed: the seconds shape is complete, missing parts 0.
            for (seconds, _) in BACKOFF {
                backoff.entry(*seconds).or_insert(Value::from(0));
            }
            backoff.entry("exponent").or_insert(Value::from(0.0));
            rename(backoff, BACKOFF, &format!("{what}: backoff"))?;
            changed = true;
        }
    }
    if let Some(Value::Object(retention)) = job.get_mut("retention") {
        if has_seconds(retention, RETENTION) {
            rename(retention, RETENTION, &format!("{what}: retention"))?;
            changed = true;
        }
    }
    Ok(changed)
}

fn has_seconds(map: &Map<String, Value>, keys: &[(&str, &str)]) -> bool {
    keys.iter().any(|(seconds, _)| map.contains_key(*seconds))
}

/// Replace each seconds key by its milliseconds key; null stays null (it
/// removes that part in an update).
fn rename(map: &mut Map<String, Value>, keys: &[(&str, &str)], what: &str) -> Result<()> {
    for (seconds, millis) in keys {
        let Some(value) = map.remove(*seconds) else {
            continue;
        };
        if map.contains_key(*millis) {
            return Err(Error::invalid(format!(
                "{what}: give `{seconds}` (seconds) or `{millis}` (milliseconds), not both"
            )));
        }
        let converted = match value {
            Value::Null => Value::Null,
            Value::Number(n) => Value::Number(milliseconds(&n).ok_or_else(|| {
                Error::invalid(format!("{what}: `{seconds}` must be 0 or more seconds"))
            })?),
            other => {
                return Err(Error::invalid(format!(
                    "{what}: `{seconds}` must be a number of seconds, got {}",
                    crate::codec::kind(&other)
                )))
            }
        };
        map.insert((*millis).to_string(), converted);
    }
    Ok(())
}

/// Whole milliseconds of a non-negative number of seconds (truncated, as
/// the seed does).
fn milliseconds(seconds: &Number) -> Option<Number> {
    if let Some(whole) = seconds.as_u64() {
        return whole.checked_mul(1000).map(Number::from);
    }
    let seconds = seconds.as_f64()?;
    let millis = (seconds * 1000.0).trunc();
    (0.0..u64::MAX as f64)
        .contains(&millis)
        .then(|| Number::from(millis as u64))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn wire(job: Value) -> Result<Value> {
        let Value::Object(mut map) = job else {
            unreachable!()
        };
        to_wire(&mut map, "job")?;
        Ok(Value::Object(map))
    }

    #[test]
    fn seconds_become_milliseconds() {
        assert_eq!(
            wire(json!({"backoff": {"exponent": 2, "base": 1.5, "jitter": 0.25}})).unwrap(),
            json!({"backoff": {"exponent": 2, "base_ms": 1500, "jitter_ms": 250}})
        );
        assert_eq!(
            wire(json!({"backoff": {"base": 3}})).unwrap(),
            json!({"backoff": {"exponent": 0.0, "base_ms": 3000, "jitter_ms": 0}})
        );
        assert_eq!(
            wire(json!({"retention": {"completed": 60, "dead": null}})).unwrap(),
            json!({"retention": {"completed_ms": 60000, "dead_ms": null}})
        );
    }

    #[test]
    fn the_wire_shape_and_other_values_pass_unchanged() {
        for job in [
            json!({"backoff": {"exponent": 2, "base_ms": 10, "jitter_ms": 5}}),
            json!({"retention": {"dead_ms": 5}, "backoff": null}),
            json!({"backoff": "not a map", "retention": 7}),
        ] {
            let Value::Object(mut map) = job.clone() else {
                unreachable!()
            };
            assert!(!to_wire(&mut map, "job").unwrap());
            assert_eq!(Value::Object(map), job);
        }
    }

    #[test]
    fn mixed_or_invalid_durations_are_refused() {
        for job in [
            json!({"backoff": {"base": 1, "base_ms": 1000}}),
            json!({"retention": {"dead": "soon"}}),
            json!({"retention": {"completed": -1}}),
        ] {
            let err = wire(job.clone()).unwrap_err();
            assert_eq!(
                err.status,
                crate::error::Status::ZIZQ_E_INVALID_ARG,
                "{job}"
            );
        }
    }
}
