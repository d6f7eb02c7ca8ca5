//! Cron endpoints (a Pro feature of the server): groups and their entries.

use super::{args, count_field, enc, required_str};
use crate::client::Client;
use crate::codec;
use crate::error::{Error, Repeat, Result};
use bytes::Bytes;
use hyper::Method;
use serde_json::{Map, Value};

const ENTRY_KEYS: &[&str] = &["name", "expression", "job", "timezone", "paused"];
const ENTRY_KEYS_NAMED_BY_PATH: &[&str] = &["expression", "job", "timezone", "paused"];

fn group_path(group: &str) -> String {
    format!("/crons/{}", enc(group))
}

fn entry_path(group: &str, entry: &str) -> String {
    format!("/crons/{}/entries/{}", enc(group), enc(entry))
}

/// Normalise an entry map into the wire shape: required fields checked,
/// the job's durations in milliseconds, nulls (timezone, paused) left out.
fn entry_body(mut map: Map<String, Value>, what: &str) -> Result<Map<String, Value>> {
    required_str(&map, "name", what)?;
    required_str(&map, "expression", what)?;
    match map.get_mut("job") {
        Some(Value::Object(job)) => {
            super::durations::to_wire(job, &format!("{what}: job"))?;
        }
        _ => return Err(Error::invalid(format!("{what}: `job` must be a map"))),
    }
    codec::compact(&mut map);
    Ok(map)
}

fn get(client: &Client, path: String) -> Result<Bytes> {
    client
        .block(move |c| async move { c.call(Method::GET, &path, None, &[200], Repeat::Safe).await })
}

fn delete(client: &Client, path: String) -> Result<()> {
    client.block(move |c| async move {
        c.call(Method::DELETE, &path, None, &[204], Repeat::Safe)
            .await
            .map(drop)
    })
}

fn send_body(
    client: &Client,
    method: Method,
    path: String,
    body: Map<String, Value>,
    expected: u16,
) -> Result<Bytes> {
    let body = client.encode_map(body);
    client.block(move |c| async move {
        c.call(method, &path, Some(body), &[expected], Repeat::Safe)
            .await
    })
}

pub fn list_cron_groups(client: &Client) -> Result<Bytes> {
    get(client, "/crons".into())
}

pub fn get_cron_group(client: &Client, group: &str) -> Result<Bytes> {
    get(client, group_path(group))
}

/// `PUT /crons/{group}` with `{"paused": bool|null, "entries": [...]}`.
pub fn replace_cron_group(client: &Client, group: &str, doc: &[u8]) -> Result<Bytes> {
    let mut map = args(client, doc, &["paused", "entries"], "replace_cron_group")?;
    let entries = match map.remove("entries") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(entries)) => entries,
        Some(_) => {
            return Err(Error::invalid(
                "replace_cron_group: `entries` must be an array",
            ))
        }
    };
    let entries = entries
        .into_iter()
        .enumerate()
        .map(|(i, entry)| {
            let what = format!("replace_cron_group: entries[{i}]");
            match entry {
                Value::Object(entry) => {
                    codec::check_keys(&entry, ENTRY_KEYS, &what)?;
                    entry_body(entry, &what).map(Value::Object)
                }
                _ => Err(Error::invalid(format!("{what} must be a map"))),
            }
        })
        .collect::<Result<Vec<_>>>()?;
    codec::compact(&mut map);
    map.insert("entries".into(), Value::Array(entries));
    send_body(client, Method::PUT, group_path(group), map, 200)
}

/// `PATCH /crons/{group}` with `{"paused": bool}`.
pub fn update_cron_group(client: &Client, group: &str, doc: &[u8]) -> Result<Bytes> {
    let mut map = args(client, doc, &["paused"], "update_cron_group")?;
    codec::compact(&mut map);
    send_body(client, Method::PATCH, group_path(group), map, 200)
}

pub fn delete_cron_group(client: &Client, group: &str) -> Result<()> {
    delete(client, group_path(group))
}

/// `DELETE /crons`; returns the number of groups deleted.
pub fn delete_all_crons(client: &Client) -> Result<i64> {
    client.block(move |c| async move {
        let body = c
            .call(Method::DELETE, "/crons", None, &[200], Repeat::Safe)
            .await?;
        count_field(&c, &body, "deleted")
    })
}

/// `POST /crons/{group}/entries`: 409 if the entry already exists.
pub fn add_cron_group_entry(client: &Client, group: &str, doc: &[u8]) -> Result<Bytes> {
    let map = args(client, doc, ENTRY_KEYS, "add_cron_group_entry")?;
    let body = entry_body(map, "add_cron_group_entry")?;
    send_body(
        client,
        Method::POST,
        format!("{}/entries", group_path(group)),
        body,
        201,
    )
}

pub fn get_cron_group_entry(client: &Client, group: &str, entry: &str) -> Result<Bytes> {
    get(client, entry_path(group, entry))
}

/// `PUT /crons/{group}/entries/{entry}`; the entry's name comes from the path.
pub fn replace_cron_group_entry(
    client: &Client,
    group: &str,
    entry: &str,
    doc: &[u8],
) -> Result<Bytes> {
    let map = args(
        client,
        doc,
        ENTRY_KEYS_NAMED_BY_PATH,
        "replace_cron_group_entry",
    )?;
    let mut named = Map::new();
    named.insert("name".into(), Value::String(entry.to_string()));
    named.extend(map);
    let body = entry_body(named, "replace_cron_group_entry")?;
    send_body(client, Method::PUT, entry_path(group, entry), body, 200)
}

/// `PATCH /crons/{group}/entries/{entry}` with `{"paused": bool}`.
pub fn update_cron_group_entry(
    client: &Client,
    group: &str,
    entry: &str,
    doc: &[u8],
) -> Result<Bytes> {
    let map = args(client, doc, &["paused"], "update_cron_group_entry")?;
    if !map.get("paused").is_some_and(Value::is_boolean) {
        return Err(Error::invalid(
            "update_cron_group_entry: `paused` must be a boolean",
        ));
    }
    send_body(client, Method::PATCH, entry_path(group, entry), map, 200)
}

pub fn delete_cron_group_entry(client: &Client, group: &str, entry: &str) -> Result<()> {
    delete(client, entry_path(group, entry))
}
