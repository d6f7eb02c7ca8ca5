//! Robustness: 10,000 random/mutated requests must never crash the server
//! or produce a 5xx, and garbage on raw sockets must be survived.

mod common;

use std::time::Duration;

use common::*;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const METHODS: [&str; 7] = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"];
const PATHS: [&str; 20] = [
    "/health",
    "/version",
    "/queues",
    "/reset",
    "/jobs",
    "/jobs/bulk",
    "/jobs/take",
    "/jobs/success",
    "/jobs/count",
    "/jobs/{}",
    "/jobs/{}/success",
    "/jobs/{}/failure",
    "/jobs/{}/errors",
    "/jobs/{}/errors/{}",
    "/crons",
    "/crons/{}",
    "/crons/{}/entries",
    "/crons/{}/entries/{}",
    "/{}",
    "/jobs/{}/{}",
];
const KEYS: [&str; 16] = [
    "from", "order", "limit", "status", "queue", "type", "id", "priority", "ready_at", "attempts",
    "filter", "prefetch", "bogus", "", "%ff", "x+y",
];
const CTYPES: [Option<&str>; 6] = [
    None,
    Some("application/json"),
    Some("application/msgpack"),
    Some("text/plain"),
    Some("application/json; charset=utf-8"),
    Some("garbage/\u{1}"),
];
const ACCEPTS: [Option<&str>; 7] = [
    None,
    Some("application/json"),
    Some("application/msgpack"),
    Some("*/*"),
    Some(""),
    Some("text/event-stream"),
    Some("application/vnd.zizq.msgpack-stream"),
];

fn pick<'a, T>(r: &mut StdRng, v: &'a [T]) -> &'a T {
    &v[r.random_range(0..v.len())]
}

fn segment(r: &mut StdRng, ids: &[String]) -> String {
    match r.random_range(0..8) {
        0 if !ids.is_empty() => pick(r, ids).clone(),
        1 => r.random_range(0..10u32).to_string(),
        2 => "%ff%fe".into(),
        3 => "%E2%9C%93".into(),
        4 => "a%2Cb".into(),
        5 => "x".repeat(r.random_range(1..300)),
        6 => "zzzzzzzzzzzzzzzzzzzzzzzzz".into(),
        _ => format!("s{}", r.random::<u32>()),
    }
}

fn value(r: &mut StdRng, depth: u32) -> Value {
    match r.random_range(0..if depth > 2 { 5 } else { 8 }) {
        0 => Value::Null,
        1 => json!(r.random::<bool>()),
        2 => json!(r.random::<i64>()),
        3 => json!(r.random::<f64>() * 1e6),
        4 => json!(pick(
            r,
            &["", "q", "a,b", "*", "\u{0}", "ünï", ".n == 1", "(", "$new"]
        )
        .to_string()),
        5 => Value::Array(
            (0..r.random_range(0..4))
                .map(|_| value(r, depth + 1))
                .collect(),
        ),
        _ => {
            let mut m = serde_json::Map::new();
            for _ in 0..r.random_range(0..6) {
                let k = pick(
                    r,
                    &[
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
                        "jobs",
                        "ids",
                        "message",
                        "kill",
                        "retry_at",
                        "paused",
                        "entries",
                        "name",
                        "expression",
                        "timezone",
                        "job",
                        "key",
                        "when",
                        "fold",
                        "exponent",
                        "base_ms",
                        "jitter_ms",
                    ],
                );
                m.insert(k.to_string(), value(r, depth + 1));
            }
            Value::Object(m)
        }
    }
}

fn body(r: &mut StdRng) -> Option<Vec<u8>> {
    match r.random_range(0..7) {
        0 => None,
        1 => Some(
            (0..r.random_range(0..64))
                .map(|_| r.random::<u8>())
                .collect(),
        ),
        2 => Some(rmp_serde::to_vec_named(&value(r, 0)).unwrap()),
        3 => {
            let mut b = serde_json::to_vec(&value(r, 0)).unwrap();
            if !b.is_empty() {
                let i = r.random_range(0..b.len());
                b[i] = r.random();
            }
            Some(b)
        }
        4 => Some(
            serde_json::to_vec(&json!({"type":"t","queue":"fz","payload":value(r, 1),
            "priority": r.random_range(0..70000u32)}))
            .unwrap(),
        ),
        _ => Some(serde_json::to_vec(&value(r, 0)).unwrap()),
    }
}

fn path(r: &mut StdRng, ids: &[String]) -> String {
    let tpl = *pick(r, &PATHS);
    let mut p = String::new();
    for (i, part) in tpl.split("{}").enumerate() {
        if i > 0 {
            p.push_str(&segment(r, ids));
        }
        p.push_str(part);
    }
    if r.random_bool(0.5) {
        let q: Vec<String> = (0..r.random_range(1..4))
            .map(|_| format!("{}={}", pick(r, &KEYS), segment(r, ids)))
            .collect();
        p.push('?');
        p.push_str(&q.join("&"));
    }
    p
}

async fn worker(addr: std::net::SocketAddr, seed: u64, n: usize) -> usize {
    let mut r = StdRng::seed_from_u64(seed);
    let mut c = Client::h2(addr).await;
    let mut ids: Vec<String> = Vec::new();
    let mut done = 0;
    for _ in 0..n {
        let m = *pick(&mut r, &METHODS);
        let p = path(&mut r, &ids);
        let mut headers = Vec::new();
        if let Some(ct) = pick(&mut r, &CTYPES) {
            if !ct.contains('\u{1}') {
                headers.push(("content-type", *ct));
            }
        }
        if let Some(a) = pick(&mut r, &ACCEPTS) {
            headers.push(("accept", *a));
        }
        let b = body(&mut r);
        if p.starts_with("/jobs/take") && m == "GET" {
            // a real stream never ends: check the head and drop it
            let resp = c.send(m, &p, &headers, b).await;
            assert!(resp.status().as_u16() < 500);
            done += 1;
            continue;
        }
        let resp = c.req(m, &p, &headers, b).await;
        assert!(
            resp.status < 500,
            "{m} {p} -> {} {}",
            resp.status,
            resp.text()
        );
        if resp.status == 201 && p == "/jobs" {
            if let Ok(v) = serde_json::from_slice::<Value>(&resp.body) {
                if let Some(id) = v["id"].as_str() {
                    ids.push(id.to_string());
                }
            }
        }
        done += 1;
    }
    done
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_random_requests() {
    let mut config = cfg();
    config.global_in_flight_limit = 0;
    let s = start(config);
    let addr = s.addr();
    let tasks: Vec<_> = (0..8u64)
        .map(|i| tokio::spawn(worker(addr, 0x5eed + i, 1250)))
        .collect();
    let mut total = 0;
    for t in tasks {
        total += t.await.expect("worker did not panic");
    }
    assert_eq!(total, 10_000);
    let mut c = Client::h1(addr).await;
    assert_eq!(c.get("/health").await.status, 200);
    assert!(
        c.get("/_testserver/state").await.json()["requests"]
            .as_u64()
            .unwrap()
            >= 10_000
    );
}

#[tokio::test]
async fn garbage_on_raw_sockets() {
    let s = start(cfg());
    let mut r = StdRng::seed_from_u64(7);
    let mut cases: Vec<Vec<u8>> = vec![
        b"GET /health HTTP/1.1\r\nhost: x\r\naccept: \xff\xfe\r\n\r\n".to_vec(),
        b"GET /jobs/%ff HTTP/1.1\r\nhost: x\r\n\r\n".to_vec(),
        b"POST /jobs HTTP/1.1\r\nhost: x\r\ncontent-length: 99999999999\r\n\r\n{}".to_vec(),
        b"POST /jobs HTTP/1.1\r\nhost: x\r\ncontent-type: \x80\r\ncontent-length: 2\r\n\r\n{}"
            .to_vec(),
        b"GARBAGE\r\n\r\n".to_vec(),
        b"GET / HTTP/9.9\r\n\r\n".to_vec(),
        b"GET /jobs/take?prefetch=18446744073709551616 HTTP/1.1\r\nhost: x\r\n\r\n".to_vec(),
        b"GET /jobs?filter=%ff%fe HTTP/1.1\r\nhost: x\r\n\r\n".to_vec(),
        b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x00\x09garbage".to_vec(),
        b"GET /health HTTP/1.1\r\nUpgrade: h2c\r\nConnection: Upgrade\r\nhost: x\r\n\r\n".to_vec(),
    ];
    for _ in 0..200 {
        cases.push(
            (0..r.random_range(1..200))
                .map(|_| r.random::<u8>())
                .collect(),
        );
    }
    for case in cases {
        let mut sock = tokio::net::TcpStream::connect(s.addr()).await.unwrap();
        let _ = sock.write_all(&case).await;
        let _ = sock.shutdown().await;
        let mut buf = Vec::new();
        let _ = tokio::time::timeout(Duration::from_secs(2), sock.read_to_end(&mut buf)).await;
        if buf.starts_with(b"HTTP/1.1 5") {
            panic!(
                "5xx for {:?}: {}",
                String::from_utf8_lossy(&case),
                String::from_utf8_lossy(&buf)
            );
        }
    }
    let mut c = Client::h1(s.addr()).await;
    assert_eq!(c.get("/health").await.status, 200);
    // Upgrade: h2c is answered as HTTP/1.1
    let mut sock = tokio::net::TcpStream::connect(s.addr()).await.unwrap();
    sock.write_all(b"GET /health HTTP/1.1\r\nUpgrade: h2c\r\nConnection: Upgrade, HTTP2-Settings\r\nHTTP2-Settings: AAMAAABkAAQAAP__\r\nhost: x\r\n\r\n").await.unwrap();
    let mut buf = vec![0u8; 512];
    let n = tokio::time::timeout(Duration::from_secs(2), sock.read(&mut buf))
        .await
        .unwrap()
        .unwrap();
    assert!(
        buf[..n].starts_with(b"HTTP/1.1 200 OK"),
        "{}",
        String::from_utf8_lossy(&buf[..n])
    );
}
