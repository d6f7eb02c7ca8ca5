//! `GET /jobs/take` (§5.4): validates the request and starts a stream task.

use std::collections::BTreeSet;
use std::sync::atomic::Ordering;

use hyper::header::{HeaderValue, CACHE_CONTROL, CONTENT_TYPE};
use hyper::Response;
use tokio::sync::mpsc;

use super::body::Body;
use super::negotiate::stream_accept;
use super::respond::{self, Resp};
use super::Req;
use crate::codec::StreamFormat;
use crate::query::{closed, comma_set, form_pairs};
use crate::take::{run_stream, StreamTask};

/// Frames buffered between the stream task and the connection.
const CHANNEL_FRAMES: usize = 64;

pub(super) fn parse_query(q: &str) -> Result<(usize, Option<BTreeSet<String>>), String> {
    let vals = closed(form_pairs(q), &["prefetch", "queue"])?;
    let prefetch = match vals[0].as_deref() {
        None => 1,
        Some(s) => s.parse::<usize>().map_err(|e| format!("prefetch: {e}"))?,
    };
    let queues = vals[1].as_deref().and_then(comma_set);
    Ok((prefetch, queues))
}

pub fn take(r: &Req, head: bool) -> Resp {
    let Some(fmt) = stream_accept(&r.headers) else {
        return respond::not_acceptable(&respond::STREAM_SUPPORTED);
    };
    let (prefetch, queues) = match parse_query(&r.query) {
        Ok(x) => x,
        Err(e) => return respond::text(400, &format!("Failed to deserialize query string: {e}")),
    };
    let mut resp = Response::new(Body::empty());
    let h = resp.headers_mut();
    h.insert(CONTENT_TYPE, HeaderValue::from_static(fmt.content_type()));
    if fmt == StreamFormat::Sse {
        h.insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    }
    if head || r.app.is_shutting_down() {
        return resp;
    }
    let (tx, rx) = mpsc::channel(CHANNEL_FRAMES);
    let (sid, notify, close) = r.app.store.lock().register_stream(prefetch, queues);
    r.app.stats.take_streams.fetch_add(1, Ordering::SeqCst);
    tokio::spawn(run_stream(StreamTask {
        app: r.app.clone(),
        sid,
        notify,
        close,
        fmt,
        tx,
    }));
    *resp.body_mut() = Body::Stream(rx);
    resp
}
