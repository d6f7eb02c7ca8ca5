//! HTTP front: fault hooks, routing, negotiation, HEAD handling.

// Handlers return ready responses as their error type on purpose.
#![allow(clippy::result_large_err)]

mod body;
mod control;
mod crons;
mod jobs;
mod negotiate;
mod respond;
mod route;
mod take;

use std::convert::Infallible;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper::header::{HeaderValue, CONTENT_LENGTH};
use hyper::{HeaderMap, Method, Request};
use serde::de::DeserializeOwned;

pub use body::Body;
use respond::Resp;
use route::Route;

use crate::app::App;
use crate::codec::{decode, Format};
use crate::server::ConnCtx;

/// Per-request data handed to endpoint handlers.
pub(crate) struct Req {
    pub app: Arc<App>,
    pub fmt: Format,
    pub headers: HeaderMap,
    pub query: String,
    pub params: Vec<String>,
    pub body: Option<Incoming>,
}

impl Req {
    pub fn param(&self, i: usize) -> &str {
        self.params.get(i).map(String::as_str).unwrap_or("")
    }

    /// Content-Type check (415) then body decode (400).
    pub async fn body<T: DeserializeOwned>(&mut self) -> Result<T, Resp> {
        let Some(bfmt) = negotiate::content_type(&self.headers) else {
            return Err(respond::unsupported_media(self.fmt));
        };
        let bytes = match self.body.take() {
            Some(b) => match b.collect().await {
                Ok(c) => c.to_bytes(),
                Err(_) => Bytes::new(),
            },
            None => Bytes::new(),
        };
        decode(bfmt, &bytes).map_err(|e| respond::error(400, self.fmt, &e))
    }

    pub fn error(&self, code: u16, msg: &str) -> Resp {
        respond::error(code, self.fmt, msg)
    }
}

/// Entry point for every request on the listener.
pub(crate) async fn handle(
    app: Arc<App>,
    conn: Arc<ConnCtx>,
    req: Request<Incoming>,
) -> Result<hyper::Response<Body>, Infallible> {
    if req.uri().path().starts_with("/_testserver/") {
        return Ok(control::handle(app, req).await);
    }
    app.stats.requests.fetch_add(1, Ordering::Relaxed);
    if app.faults.take_reset() {
        conn.abort();
        std::future::pending::<()>().await;
    }
    if let Some(epoch) = app.faults.take_blackhole() {
        // The request has been read; it is never answered.
        conn.freeze(epoch);
        std::future::pending::<()>().await;
    }
    let delay = app.faults.delay_ms();
    if delay > 0 {
        tokio::time::sleep(Duration::from_millis(delay)).await;
    }
    if let Some(code) = app
        .faults
        .take_fail(req.method().as_str(), req.uri().path())
    {
        let fmt = negotiate::error_format(req.headers());
        return Ok(respond::error(code, fmt, "injected fault"));
    }
    let is_head = req.method() == Method::HEAD;
    let resp = route_request(app, req).await;
    Ok(if is_head { strip_body(resp) } else { resp })
}

fn strip_body(mut resp: Resp) -> Resp {
    if let Body::Full(Some(b)) = resp.body() {
        let len = b.len();
        if let Ok(v) = HeaderValue::from_str(&len.to_string()) {
            resp.headers_mut().insert(CONTENT_LENGTH, v);
        }
    }
    *resp.body_mut() = Body::empty();
    resp
}

async fn route_request(app: Arc<App>, req: Request<Incoming>) -> Resp {
    let (parts, body) = req.into_parts();
    let path = parts.uri.path().to_string();
    let Some(route) = route::resolve(&path) else {
        return match negotiate::accept(&parts.headers) {
            Some(fmt) => respond::error(404, fmt, "not found"),
            None => respond::not_acceptable(&respond::SUPPORTED),
        };
    };
    let is_take = route == Route::JobsTake;
    let fmt = if is_take {
        negotiate::accept(&parts.headers).unwrap_or(Format::Json)
    } else {
        match negotiate::accept(&parts.headers) {
            Some(f) => f,
            None => return respond::not_acceptable(&respond::SUPPORTED),
        }
    };
    let (methods, allow) = route.allowed();
    let method = if parts.method == Method::HEAD && methods.contains(&Method::GET) {
        Method::GET
    } else {
        parts.method.clone()
    };
    if !methods.contains(&method) {
        return respond::method_not_allowed(allow);
    }
    *app.stats
        .by_kind
        .lock()
        .entry((parts.method.clone(), route.pattern()))
        .or_default() += 1;
    if let Some(cost) = &app.cost {
        cost.charge_request();
        // Reads wait here; state changes wait for their commit in the
        // handler, before they apply.
        if method == Method::GET && !is_take {
            cost.read().await;
        }
    }
    let params = match route::decode_params(&route) {
        Ok(p) => p,
        Err(msg) => return respond::text(400, &msg),
    };
    let mut r = Req {
        app,
        fmt,
        headers: parts.headers,
        query: parts.uri.query().unwrap_or("").to_string(),
        params,
        body: Some(body),
    };
    let head = parts.method == Method::HEAD;
    use Route::*;
    match (route, method) {
        (Health, _) => jobs::health(&r),
        (Version, _) => jobs::version(&r),
        (Queues, _) => jobs::queues(&r),
        (Reset, _) => jobs::reset(&r),
        (Jobs, Method::GET) => jobs::list(&r),
        (Jobs, Method::POST) => jobs::enqueue(&mut r).await,
        (Jobs, Method::PATCH) => jobs::patch_many(&mut r).await,
        (Jobs, _) => jobs::delete_many(&r).await,
        (JobsBulk, _) => jobs::enqueue_bulk(&mut r).await,
        (JobsTake, _) => take::take(&r, head),
        (JobsSuccess, _) => jobs::ack_many(&mut r).await,
        (JobsCount, _) => jobs::count(&r),
        (Job(_), Method::GET) => jobs::get(&r),
        (Job(_), Method::PATCH) => jobs::patch_one(&mut r).await,
        (Job(_), _) => jobs::delete_one(&r).await,
        (JobSuccess(_), _) => jobs::ack(&r).await,
        (JobFailure(_), _) => jobs::fail(&mut r).await,
        (JobErrors(_), _) => jobs::errors(&r),
        (JobError(..), _) => jobs::error_record(&r),
        (Crons, Method::GET) => crons::list(&r),
        (Crons, _) => crons::delete_all(&r),
        (CronGroup(_), Method::GET) => crons::get_group(&r),
        (CronGroup(_), Method::PUT) => crons::put_group(&mut r).await,
        (CronGroup(_), Method::PATCH) => crons::patch_group(&mut r).await,
        (CronGroup(_), _) => crons::delete_group(&r),
        (CronEntries(_), _) => crons::post_entry(&mut r).await,
        (CronEntry(..), Method::GET) => crons::get_entry(&r),
        (CronEntry(..), Method::PUT) => crons::put_entry(&mut r).await,
        (CronEntry(..), Method::PATCH) => crons::patch_entry(&mut r).await,
        (CronEntry(..), _) => crons::delete_entry(&r),
    }
}

/// Decode `body` as every request body type, with the request-level checks
/// that follow decoding (not the jq dry runs), for the fuzz targets.
pub(crate) fn decode_bodies(fmt: Format, body: &[u8]) {
    use crate::cron::{CronEntryReq, CronGroupReq, PausedReq, Schedule};
    use crate::model::{BulkAckReq, BulkEnqueueReq, EnqueueReq, FailureReq, PatchReq};
    use crate::validate;
    let enqueue_checks = |job: &EnqueueReq| {
        let _ = validate::names(job)
            .and_then(|_| validate::while_needs_key(job))
            .and_then(|_| validate::while_word(job))
            .and_then(|_| validate::not_unique_and_batch(job));
    };
    if let Ok(job) = decode::<EnqueueReq>(fmt, body) {
        enqueue_checks(&job);
    }
    if let Ok(bulk) = decode::<BulkEnqueueReq>(fmt, body) {
        bulk.jobs.iter().for_each(enqueue_checks);
    }
    let entry_checks = |entry: &CronEntryReq| {
        if crons::check_entry(entry).is_ok() {
            let _ = Schedule::parse(&entry.expression, entry.timezone.as_deref());
        }
    };
    if let Ok(entry) = decode::<CronEntryReq>(fmt, body) {
        entry_checks(&entry);
    }
    if let Ok(group) = decode::<CronGroupReq>(fmt, body) {
        group.entries.iter().for_each(entry_checks);
    }
    let _ = decode::<BulkAckReq>(fmt, body);
    let _ = decode::<FailureReq>(fmt, body);
    let _ = decode::<PatchReq>(fmt, body);
    let _ = decode::<PausedReq>(fmt, body);
}

/// Parse `query` as every endpoint's query string and `path` as a route,
/// for the fuzz targets.
pub(crate) fn parse_request_line(path: &str, query: &str) {
    use crate::query::{closed, form_pairs, parse_order, JobFilter, FILTER_PARAMS};
    let _ = route::resolve(path);
    if let Ok(vals) = closed(form_pairs(query), &jobs::LIST_PARAMS) {
        let _ = parse_order(vals[1].as_deref());
        let _ = jobs::parse_limit(vals[2].as_deref());
        if let Ok(filter) = jobs::filter_from(&jobs::LIST_PARAMS, &vals) {
            let _ = filter.render();
        }
    }
    if let Ok(vals) = closed(form_pairs(query), &FILTER_PARAMS) {
        if let Ok(filter) = JobFilter::from_values(&vals) {
            let _ = filter.render();
        }
    }
    let _ = take::parse_query(query);
}
