//! Job filters shared by list, count, bulk update and bulk delete: turns a
//! filter map into query parameters, and detects the empty multi-value filter
//! that, as in the seed, matches nothing and makes no request.

use crate::codec;
use crate::error::{Error, Result};
use serde_json::{Map, Value};

/// Comma-set filters: a string or an array of strings, OR-ed.
pub const MULTI_KEYS: &[&str] = &["id", "status", "queue", "type"];
/// Inclusive range filters: an integer, a `"lo..hi"` string or `[lo, hi]`.
pub const RANGE_KEYS: &[&str] = &["priority", "ready_at", "attempts"];
/// Keys accepted by `where:` maps and `count_jobs`.
pub const WHERE_KEYS: &[&str] = &[
    "id", "status", "queue", "type", "priority", "ready_at", "attempts", "filter",
];
/// Keys accepted by `list_jobs`.
pub const LIST_KEYS: &[&str] = &[
    "id", "status", "queue", "type", "priority", "ready_at", "attempts", "filter", "from", "order",
    "limit",
];

pub enum Filters {
    /// An empty multi-value filter: the answer is known to be empty.
    MatchesNothing,
    Params(Vec<(&'static str, String)>),
}

/// Build query parameters from a filter map (keys already checked; nulls
/// mean "not given").
pub fn build(map: &Map<String, Value>) -> Result<Filters> {
    let mut params = Vec::new();
    for key in LIST_KEYS {
        let Some(value) = map.get(*key) else { continue };
        if value.is_null() {
            continue;
        }
        let rendered = if MULTI_KEYS.contains(key) {
            let joined = multi_value(key, value)?;
            if joined.is_empty() {
                return Ok(Filters::MatchesNothing);
            }
            joined
        } else if RANGE_KEYS.contains(key) {
            range_value(key, value)?
        } else {
            match (*key, value) {
                ("limit", Value::Number(n)) if n.is_u64() => n.to_string(),
                ("limit", _) => return Err(Error::invalid("`limit` must be a positive integer")),
                ("order", Value::String(s)) if s == "asc" || s == "desc" => s.clone(),
                ("order", _) => return Err(Error::invalid("`order` must be \"asc\" or \"desc\"")),
                (_, Value::String(s)) => s.clone(),
                (_, other) => {
                    return Err(Error::invalid(format!(
                        "`{key}` must be a string, got {}",
                        codec::kind(other)
                    )))
                }
            }
        };
        params.push((*key, rendered));
    }
    Ok(Filters::Params(params))
}

fn multi_value(key: &str, value: &Value) -> Result<String> {
    let item = |v: &Value| -> Result<String> {
        match v {
            Value::String(s) => {
                if s.contains(',') {
                    Err(Error::invalid(format!(
                        "`{key}` value {s:?} must not contain ','"
                    )))
                } else {
                    Ok(s.clone())
                }
            }
            other => Err(Error::invalid(format!(
                "`{key}` values must be strings, got {}",
                codec::kind(other)
            ))),
        }
    };
    match value {
        Value::String(s) => Ok(s.clone()),
        Value::Array(items) => Ok(items
            .iter()
            .map(item)
            .collect::<Result<Vec<_>>>()?
            .join(",")),
        other => Err(Error::invalid(format!(
            "`{key}` must be a string or an array of strings, got {}",
            codec::kind(other)
        ))),
    }
}

fn range_value(key: &str, value: &Value) -> Result<String> {
    let bound = |v: &Value| -> Result<String> {
        match v {
            Value::Null => Ok(String::new()),
            Value::Number(n) if n.is_u64() => Ok(n.to_string()),
            other => Err(Error::invalid(format!(
                "`{key}` bounds must be non-negative integers or null, got {}",
                codec::kind(other)
            ))),
        }
    };
    match value {
        Value::Number(n) if n.is_u64() => Ok(n.to_string()),
        Value::String(s) => Ok(s.clone()),
        Value::Array(pair) if pair.len() == 2 => {
            Ok(format!("{}..{}", bound(&pair[0])?, bound(&pair[1])?))
        }
        _ => Err(Error::invalid(format!(
            "`{key}` must be an integer, a \"lo..hi\" string or a [lo, hi] array"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn params(v: Value) -> Vec<(&'static str, String)> {
        match build(v.as_object().unwrap()).unwrap() {
            Filters::Params(p) => p,
            Filters::MatchesNothing => panic!("unexpected short-circuit"),
        }
    }

    #[test]
    fn joins_and_renders() {
        let p = params(
            json!({"queue": ["a", "b"], "status": "ready", "priority": [null, 5],
                              "attempts": 2, "limit": 10, "order": "desc", "filter": ".x == 1"}),
        );
        assert_eq!(
            p,
            vec![
                ("status", "ready".to_string()),
                ("queue", "a,b".to_string()),
                ("priority", "..5".to_string()),
                ("attempts", "2".to_string()),
                ("filter", ".x == 1".to_string()),
                ("order", "desc".to_string()),
                ("limit", "10".to_string()),
            ]
        );
    }

    #[test]
    fn empty_multi_value_matches_nothing() {
        for v in [
            json!({"id": []}),
            json!({"queue": ""}),
            json!({"status": [], "type": "x"}),
        ] {
            assert!(matches!(
                build(v.as_object().unwrap()).unwrap(),
                Filters::MatchesNothing
            ));
        }
        assert!(matches!(
            build(json!({"queue": null}).as_object().unwrap()).unwrap(),
            Filters::Params(p) if p.is_empty()
        ));
    }

    #[test]
    fn rejects_bad_values() {
        for v in [
            json!({"queue": [1]}),
            json!({"queue": ["a,b"]}),
            json!({"limit": -1}),
            json!({"order": "up"}),
            json!({"priority": {"min": 1}}),
        ] {
            assert!(build(v.as_object().unwrap()).is_err(), "{v}");
        }
    }
}
