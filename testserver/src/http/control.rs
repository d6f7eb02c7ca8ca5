//! Control API under `/_testserver/` (JSON only, never faulted).

use std::sync::Arc;

use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper::{Method, Request};
use serde_json::{json, Value};

use super::respond::{self, Resp};
use crate::app::{App, Control};
use crate::codec::Format;
use crate::config::Tier;

async fn json_body(req: Request<Incoming>) -> Result<Value, String> {
    let bytes = req
        .into_body()
        .collect()
        .await
        .map(|c| c.to_bytes())
        .map_err(|e| format!("cannot read body: {e}"))?;
    serde_json::from_slice(&bytes).map_err(|e| format!("invalid JSON: {e}"))
}

fn bad(msg: &str) -> Resp {
    respond::error(400, Format::Json, msg)
}

fn ok<T: serde::Serialize>(v: &T) -> Resp {
    respond::obj(200, Format::Json, v)
}

/// Apply `{"tier":..., "backoff_random":...}`.
fn apply_config(c: &Control, v: &Value) -> Result<(), String> {
    let obj = v.as_object().ok_or("config must be a JSON object")?;
    let mut tier = None;
    let mut random = None;
    for (k, val) in obj {
        match k.as_str() {
            "tier" => {
                let t = val
                    .as_str()
                    .and_then(Tier::parse)
                    .ok_or("tier must be \"free\" or \"pro\"")?;
                tier = Some(t);
            }
            "backoff_random" => {
                let r = match val {
                    Value::Null => None,
                    Value::Number(n) => match n.as_f64() {
                        Some(f) if (0.0..=1.0).contains(&f) => Some(f),
                        _ => return Err("backoff_random must be in [0, 1]".into()),
                    },
                    _ => return Err("backoff_random must be a number or null".into()),
                };
                random = Some(r);
            }
            other => return Err(format!("unknown config key: {other}")),
        }
    }
    if let Some(t) = tier {
        c.set_tier(t);
    }
    if let Some(r) = random {
        c.set_backoff_random(r);
    }
    Ok(())
}

pub async fn handle(app: Arc<App>, req: Request<Incoming>) -> Resp {
    let control = Control::new(app);
    let path = req.uri().path().to_string();
    let method = req.method().clone();
    match (method, path.as_str()) {
        (Method::GET | Method::HEAD, "/_testserver/state") => ok(&control.state()),
        (Method::GET | Method::HEAD, "/_testserver/faults") => ok(&control.faults()),
        (Method::PUT, "/_testserver/faults") => match json_body(req).await {
            Ok(v) => match control.set_faults_json(&v) {
                Ok(view) => ok(&view),
                Err(e) => bad(&e),
            },
            Err(e) => bad(&e),
        },
        (Method::DELETE, "/_testserver/faults") => {
            control.clear_faults();
            ok(&json!({}))
        }
        (Method::POST, "/_testserver/close_streams") => {
            let closed = control.close_streams();
            ok(&json!({ "closed": closed }))
        }
        (Method::GET | Method::HEAD, "/_testserver/config") => ok(&control.config()),
        (Method::PUT, "/_testserver/config") => match json_body(req).await {
            Ok(v) => match apply_config(&control, &v) {
                Ok(()) => ok(&control.config()),
                Err(e) => bad(&e),
            },
            Err(e) => bad(&e),
        },
        _ => respond::error(404, Format::Json, "not found"),
    }
}
