//! Job endpoints: enqueue, queries, updates, deletes, acks, failures and
//! error records. Each function validates its arguments on the calling thread,
//! then blocks until the server answered.

use super::filters::{self, Filters, LIST_KEYS, WHERE_KEYS};
use super::{args, count_field, durations, enc, query_string, required_str, shape};
use crate::client::Client;
use crate::codec;
use crate::error::{Error, Repeat, Result};
use bytes::Bytes;
use hyper::Method;
use serde_json::{json, Map, Value};

/// The keys of an enqueue document, in this order: `type` and `queue`
/// (strings) and `payload` are required (`shape` relies on the order).
pub(super) const ENQUEUE_KEYS: &[&str] = &[
    "type",
    "queue",
    "payload",
    "priority",
    "ready_at",
    "retry_limit",
    "backoff",
    "retention",
    "unique_key",
    "unique_while",
    "batch",
];
const UPDATE_KEYS: &[&str] = &[
    "queue",
    "priority",
    "ready_at",
    "retry_limit",
    "backoff",
    "retention",
];
const FAILURE_KEYS: &[&str] = &["message", "error_type", "backtrace", "retry_at", "kill"];
const ERROR_LIST_KEYS: &[&str] = &["from", "order", "limit"];

/// Check one enqueue map; `what` names it in messages.
fn check_enqueue(map: &Map<String, Value>, what: &str) -> Result<()> {
    codec::check_keys(map, ENQUEUE_KEYS, what)?;
    required_str(map, "type", what)?;
    required_str(map, "queue", what)?;
    if !map.contains_key("payload") {
        return Err(Error::invalid(format!(
            "{what}: `payload` is required (it may be null)"
        )));
    }
    Ok(())
}

/// `POST /jobs`: the enqueue document is sent as given when the fast shape
/// check passes (the hot path), else checked in full and re-encoded (its
/// durations in seconds rewritten, or another wire format).
pub fn enqueue(client: &Client, doc: &[u8]) -> Result<Bytes> {
    let body = if shape::is_enqueue(client.documents(), doc) {
        client.to_wire(doc)?
    } else {
        let mut map = codec::decode_args(client.documents(), doc)?;
        check_enqueue(&map, "enqueue")?;
        durations::to_wire(&mut map, "enqueue")?;
        client.encode_map(map)
    };
    client.block(move |c| async move {
        c.call(
            Method::POST,
            "/jobs",
            Some(body),
            &[200, 201],
            Repeat::Duplicates,
        )
        .await
    })
}

/// `POST /jobs/bulk` with `{"jobs": [...]}`: sent as given when the fast
/// shape check passes (the hot path), else checked in full and re-encoded.
pub fn enqueue_bulk(client: &Client, doc: &[u8]) -> Result<Bytes> {
    let body = if shape::is_bulk_enqueue(client.documents(), doc) {
        client.to_wire(doc)?
    } else {
        client.encode_map(bulk_body(client.documents(), doc)?)
    };
    client.block(move |c| async move {
        c.call(
            Method::POST,
            "/jobs/bulk",
            Some(body),
            &[200, 201],
            Repeat::Duplicates,
        )
        .await
    })
}

/// The full check of a bulk enqueue document, naming what is wrong; the
/// document with its durations in milliseconds.
pub(crate) fn bulk_body(format: codec::Format, doc: &[u8]) -> Result<Map<String, Value>> {
    let mut map = codec::decode_args(format, doc)?;
    codec::check_keys(&map, &["jobs"], "enqueue_bulk")?;
    let Some(Value::Array(jobs)) = map.get_mut("jobs") else {
        return Err(Error::invalid("enqueue_bulk: `jobs` must be an array"));
    };
    for (i, job) in jobs.iter_mut().enumerate() {
        let what = format!("enqueue_bulk: jobs[{i}]");
        let job = job
            .as_object_mut()
            .ok_or_else(|| Error::invalid(format!("{what} must be a map")))?;
        check_enqueue(job, &what)?;
        durations::to_wire(job, &what)?;
    }
    Ok(map)
}

pub fn get_job(client: &Client, id: &str) -> Result<Bytes> {
    let path = format!("/jobs/{}", enc(id));
    client
        .block(move |c| async move { c.call(Method::GET, &path, None, &[200], Repeat::Safe).await })
}

/// `GET /jobs`; an empty multi-value filter answers an empty page locally.
pub fn list_jobs(client: &Client, doc: &[u8]) -> Result<Bytes> {
    let map = args(client, doc, LIST_KEYS, "list_jobs")?;
    match filters::build(&map)? {
        Filters::MatchesNothing => Ok(client.document(&json!({"jobs": [], "pages": {}}))),
        Filters::Params(params) => {
            let path = format!("/jobs{}", query_string(&params));
            client.block(move |c| async move {
                c.call(Method::GET, &path, None, &[200], Repeat::Safe).await
            })
        }
    }
}

/// `GET /jobs/count`; an empty multi-value filter counts 0 locally.
pub fn count_jobs(client: &Client, doc: &[u8]) -> Result<i64> {
    let map = args(client, doc, WHERE_KEYS, "count_jobs")?;
    let Filters::Params(params) = filters::build(&map)? else {
        return Ok(0);
    };
    let path = format!("/jobs/count{}", query_string(&params));
    client.block(move |c| async move {
        let body = c
            .call(Method::GET, &path, None, &[200], Repeat::Safe)
            .await?;
        count_field(&c, &body, "count")
    })
}

/// Validate a patch map: absent = unchanged, null = reset to the server
/// default, except `queue` and `priority`, which cannot be reset.
fn check_patch(map: &Map<String, Value>, what: &str) -> Result<()> {
    codec::check_keys(map, UPDATE_KEYS, what)?;
    for key in ["queue", "priority"] {
        if map.get(key).is_some_and(Value::is_null) {
            return Err(Error::invalid(format!(
                "{what}: `{key}` cannot be reset (null); omit it to leave it unchanged"
            )));
        }
    }
    Ok(())
}

/// `PATCH /jobs/{id}` with the patch document as given.
pub fn update_job(client: &Client, id: &str, doc: &[u8]) -> Result<Bytes> {
    let mut map = codec::decode_args(client.documents(), doc)?;
    check_patch(&map, "update_job")?;
    durations::to_wire(&mut map, "update_job")?;
    let body = client.encode_map(map);
    let path = format!("/jobs/{}", enc(id));
    client.block(move |c| async move {
        c.call(Method::PATCH, &path, Some(body), &[200], Repeat::Safe)
            .await
    })
}

/// Split `{"where": {...}, "apply": {...}}`-style arguments.
fn where_filters(map: &Map<String, Value>, what: &str) -> Result<Filters> {
    let filter = match map.get("where") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(m)) => m.clone(),
        Some(other) => {
            return Err(Error::invalid(format!(
                "{what}: `where` must be a map, got {}",
                codec::kind(other)
            )))
        }
    };
    codec::check_keys(&filter, WHERE_KEYS, &format!("{what} where"))?;
    filters::build(&filter)
}

/// `PATCH /jobs?filters` with `{"where": {...}, "apply": {...}}`; returns the
/// number of jobs patched.
pub fn update_all_jobs(client: &Client, doc: &[u8]) -> Result<i64> {
    let map = args(client, doc, &["where", "apply"], "update_all_jobs")?;
    let mut apply = match map.get("apply") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(m)) => m.clone(),
        Some(other) => {
            return Err(Error::invalid(format!(
                "update_all_jobs: `apply` must be a map, got {}",
                codec::kind(other)
            )))
        }
    };
    check_patch(&apply, "update_all_jobs apply")?;
    durations::to_wire(&mut apply, "update_all_jobs apply")?;
    let Filters::Params(params) = where_filters(&map, "update_all_jobs")? else {
        return Ok(0);
    };
    let body = client.encode_map(apply);
    let path = format!("/jobs{}", query_string(&params));
    client.block(move |c| async move {
        let reply = c
            .call(Method::PATCH, &path, Some(body), &[200], Repeat::Safe)
            .await?;
        count_field(&c, &reply, "patched")
    })
}

pub fn delete_job(client: &Client, id: &str) -> Result<()> {
    let path = format!("/jobs/{}", enc(id));
    client.block(move |c| async move {
        c.call(Method::DELETE, &path, None, &[200, 204], Repeat::Safe)
            .await
            .map(drop)
    })
}

/// `DELETE /jobs?filters` with `{"where": {...}}`; returns the number deleted.
pub fn delete_all_jobs(client: &Client, doc: &[u8]) -> Result<i64> {
    let map = args(client, doc, &["where"], "delete_all_jobs")?;
    let Filters::Params(params) = where_filters(&map, "delete_all_jobs")? else {
        return Ok(0);
    };
    let path = format!("/jobs{}", query_string(&params));
    client.block(move |c| async move {
        let reply = c
            .call(Method::DELETE, &path, None, &[200], Repeat::Safe)
            .await?;
        count_field(&c, &reply, "deleted")
    })
}

/// Path of one job's acknowledgement.
pub(crate) fn success_path(id: &str) -> String {
    format!("/jobs/{}/success", enc(id))
}

/// Path of a bulk acknowledgement.
pub(crate) const BULK_SUCCESS_PATH: &str = "/jobs/success";

/// Path of one job's failure report (nack).
pub(crate) fn failure_path(id: &str) -> String {
    format!("/jobs/{}/failure", enc(id))
}

pub fn report_success(client: &Client, id: &str) -> Result<()> {
    let path = success_path(id);
    client.block(move |c| async move {
        c.call(Method::POST, &path, None, &[204], Repeat::Safe)
            .await
            .map(drop)
    })
}

/// Body of a bulk ack.
pub fn bulk_ack_body(client: &Client, ids: &[&str]) -> Bytes {
    client.encode(&json!({ "ids": ids }))
}

/// How many ids of a bulk acknowledgement the server's 422 answer lists as
/// not in flight (0 if the answer does not say).
pub(crate) fn bulk_ack_not_found(format: codec::Format, reply: &[u8]) -> usize {
    codec::decode(format, reply)
        .ok()
        .and_then(|v| v.get("not_found").and_then(Value::as_array).map(Vec::len))
        .unwrap_or(0)
}

/// `POST /jobs/success`. Accepts an array of ids or `{"ids": [...]}`; a 422
/// (some ids were not in flight) counts as success, as in the seed.
pub fn report_success_bulk(client: &Client, doc: &[u8]) -> Result<()> {
    let value = codec::decode(client.documents(), doc)?;
    let ids = match &value {
        Value::Array(ids) => ids,
        Value::Object(map) => {
            codec::check_keys(map, &["ids"], "report_success_bulk")?;
            match map.get("ids") {
                Some(Value::Array(ids)) => ids,
                _ => {
                    return Err(Error::invalid(
                        "report_success_bulk: `ids` must be an array",
                    ))
                }
            }
        }
        _ => {
            return Err(Error::invalid(
                "report_success_bulk: expected an array of ids",
            ))
        }
    };
    let ids = ids
        .iter()
        .map(|id| {
            id.as_str()
                .filter(|id| !id.is_empty())
                .ok_or_else(|| Error::invalid("report_success_bulk: ids must be non-empty strings"))
        })
        .collect::<Result<Vec<_>>>()?;
    let body = bulk_ack_body(client, &ids);
    client.block(move |c| async move {
        c.call(
            Method::POST,
            BULK_SUCCESS_PATH,
            Some(body),
            &[204, 422],
            Repeat::Safe,
        )
        .await
        .map(drop)
    })
}

/// Build the failure body: `message` required; null fields and `kill: false`
/// are left out, as in the seed.
pub fn failure_body(client: &Client, doc: &[u8]) -> Result<Bytes> {
    let mut map = args(client, doc, FAILURE_KEYS, "report_failure")?;
    required_str(&map, "message", "report_failure")?;
    codec::compact(&mut map);
    match map.get("kill") {
        Some(Value::Bool(false)) => {
            map.remove("kill");
        }
        Some(Value::Bool(true)) | None => {}
        Some(_) => return Err(Error::invalid("report_failure: `kill` must be a boolean")),
    }
    Ok(client.encode_map(map))
}

/// `POST /jobs/{id}/failure`; returns the updated job.
pub fn report_failure(client: &Client, id: &str, doc: &[u8]) -> Result<Bytes> {
    let body = failure_body(client, doc)?;
    let path = failure_path(id);
    client.block(move |c| async move {
        c.call(Method::POST, &path, Some(body), &[200], Repeat::Safe)
            .await
    })
}

/// `GET /jobs/{id}/errors` with `{"from", "order", "limit"}`.
pub fn list_errors(client: &Client, id: &str, doc: &[u8]) -> Result<Bytes> {
    let map = args(client, doc, ERROR_LIST_KEYS, "list_errors")?;
    let mut params = Vec::new();
    for key in ERROR_LIST_KEYS {
        match map.get(*key) {
            None | Some(Value::Null) => {}
            Some(Value::Number(n)) if n.is_u64() => params.push((*key, n.to_string())),
            Some(Value::String(s)) if *key == "order" => params.push((*key, s.clone())),
            Some(other) => {
                return Err(Error::invalid(format!(
                    "list_errors: invalid `{key}` ({})",
                    codec::kind(other)
                )))
            }
        }
    }
    let path = format!("/jobs/{}/errors{}", enc(id), query_string(&params));
    client
        .block(move |c| async move { c.call(Method::GET, &path, None, &[200], Repeat::Safe).await })
}

pub fn get_error(client: &Client, id: &str, attempt: u32) -> Result<Bytes> {
    let path = format!("/jobs/{}/errors/{attempt}", enc(id));
    client
        .block(move |c| async move { c.call(Method::GET, &path, None, &[200], Repeat::Safe).await })
}
