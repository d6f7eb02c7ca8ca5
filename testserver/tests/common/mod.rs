//! Test helpers: start a server, plain hyper clients (HTTP/1.1, h2c, TLS),
//! take-stream readers and polling helpers.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::client::conn::{http1, http2};
use hyper::{HeaderMap, Method, Request};
use hyper_util::rt::{TokioExecutor, TokioIo};
use serde_json::Value;
use tokio::net::TcpStream;

#[allow(unused_imports)]
pub use zizq_testserver::{Config, TestServer, Tier};

/// Config used by most tests: short heartbeats.
pub fn cfg() -> Config {
    Config {
        heartbeat_interval: Duration::from_millis(100),
        ..Config::default()
    }
}

pub fn start(config: Config) -> TestServer {
    TestServer::start(config).expect("server starts")
}

pub fn addr_of(s: &TestServer) -> SocketAddr {
    s.addr()
}

/// A response with its whole body.
#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Resp {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("body is not JSON ({e}): {:?}", self.text()))
    }
    pub fn msgpack(&self) -> Value {
        rmp_serde::from_slice(&self.body).expect("body is msgpack")
    }
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
    }
    pub fn error(&self) -> String {
        self.json()["error"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    }
}

enum Sender {
    H1(http1::SendRequest<Full<Bytes>>),
    H2(http2::SendRequest<Full<Bytes>>),
}

/// A client bound to one connection.
pub struct Client {
    sender: Sender,
    pub addr: SocketAddr,
}

impl Client {
    pub async fn h1(addr: SocketAddr) -> Client {
        let tcp = TcpStream::connect(addr).await.expect("connect");
        tcp.set_nodelay(true).expect("nodelay");
        let (sender, conn) = http1::handshake(TokioIo::new(tcp))
            .await
            .expect("h1 handshake");
        tokio::spawn(conn);
        Client {
            sender: Sender::H1(sender),
            addr,
        }
    }

    pub async fn h2(addr: SocketAddr) -> Client {
        let tcp = TcpStream::connect(addr).await.expect("connect");
        tcp.set_nodelay(true).expect("nodelay");
        let (sender, conn) = http2::handshake(TokioExecutor::new(), TokioIo::new(tcp))
            .await
            .expect("h2 handshake");
        tokio::spawn(conn);
        Client {
            sender: Sender::H2(sender),
            addr,
        }
    }

    /// Send a request and return the response head with a streaming body.
    pub async fn send(
        &mut self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<Vec<u8>>,
    ) -> hyper::Response<Incoming> {
        let uri = match self.sender {
            Sender::H1(_) => path.to_string(),
            Sender::H2(_) => format!("http://{}{}", self.addr, path),
        };
        let mut b = Request::builder()
            .method(Method::from_bytes(method.as_bytes()).expect("method"))
            .uri(uri);
        if let Sender::H1(_) = self.sender {
            b = b.header("host", self.addr.to_string());
        }
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        let req = b
            .body(Full::new(Bytes::from(body.unwrap_or_default())))
            .expect("request");
        let fut = match &mut self.sender {
            Sender::H1(s) => {
                s.ready().await.expect("ready");
                s.send_request(req)
            }
            Sender::H2(s) => {
                s.ready().await.expect("ready");
                return tokio::time::timeout(Duration::from_secs(10), s.send_request(req))
                    .await
                    .expect("response in time")
                    .expect("response");
            }
        };
        tokio::time::timeout(Duration::from_secs(10), fut)
            .await
            .expect("response in time")
            .expect("response")
    }

    pub async fn req(
        &mut self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<Vec<u8>>,
    ) -> Resp {
        let resp = self.send(method, path, headers, body).await;
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let body = tokio::time::timeout(Duration::from_secs(10), resp.into_body().collect())
            .await
            .expect("body in time")
            .expect("body")
            .to_bytes();
        Resp {
            status,
            headers,
            body,
        }
    }

    pub async fn get(&mut self, path: &str) -> Resp {
        self.req("GET", path, &[], None).await
    }

    pub async fn delete(&mut self, path: &str) -> Resp {
        self.req("DELETE", path, &[], None).await
    }

    pub async fn json(&mut self, method: &str, path: &str, body: &Value) -> Resp {
        self.req(
            method,
            path,
            &[("content-type", "application/json")],
            Some(serde_json::to_vec(body).expect("json")),
        )
        .await
    }

    pub async fn post(&mut self, path: &str, body: &Value) -> Resp {
        self.json("POST", path, body).await
    }

    pub async fn msgpack(&mut self, method: &str, path: &str, body: &Value) -> Resp {
        self.req(
            method,
            path,
            &[
                ("content-type", "application/msgpack"),
                ("accept", "application/msgpack"),
            ],
            Some(rmp_serde::to_vec_named(body).expect("msgpack")),
        )
        .await
    }

    /// Enqueue a job and return the response JSON (asserts 201).
    pub async fn enqueue(&mut self, job: Value) -> Value {
        let r = self.post("/jobs", &job).await;
        assert_eq!(r.status, 201, "enqueue failed: {}", r.text());
        r.json()
    }

    pub async fn ack(&mut self, id: &str) -> Resp {
        self.req("POST", &format!("/jobs/{id}/success"), &[], None)
            .await
    }
}

/// An open take stream.
pub struct Take {
    pub status: u16,
    pub headers: HeaderMap,
    body: Incoming,
    buf: BytesMut,
    /// Each chunk as received (for framing checks).
    pub chunks: Vec<Bytes>,
    pub ended: bool,
    _client: Client,
}

impl Take {
    /// Open `GET path` on a fresh HTTP/1.1 connection.
    pub async fn open(addr: SocketAddr, path: &str, accept: Option<&str>) -> Take {
        Take::open_on(path, accept, Client::h1(addr).await).await
    }

    /// Open on an HTTP/2 connection.
    pub async fn open_h2(addr: SocketAddr, path: &str, accept: Option<&str>) -> Take {
        Take::open_on(path, accept, Client::h2(addr).await).await
    }

    async fn open_on(path: &str, accept: Option<&str>, mut c: Client) -> Take {
        let headers: Vec<(&str, &str)> = accept.map(|a| vec![("accept", a)]).unwrap_or_default();
        let resp = c.send("GET", path, &headers, None).await;
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        Take {
            status,
            headers,
            body: resp.into_body(),
            buf: BytesMut::new(),
            chunks: Vec::new(),
            ended: false,
            _client: c,
        }
    }

    /// Read one more chunk into the buffer; false on end/timeout.
    pub async fn pull(&mut self, timeout: Duration) -> bool {
        if self.ended {
            return false;
        }
        match tokio::time::timeout(timeout, self.body.frame()).await {
            Ok(Some(Ok(f))) => {
                if let Ok(d) = f.into_data() {
                    self.chunks.push(d.clone());
                    self.buf.extend_from_slice(&d);
                }
                true
            }
            Ok(Some(Err(_))) | Ok(None) => {
                self.ended = true;
                false
            }
            Err(_) => false,
        }
    }

    /// Raw buffered bytes.
    pub fn buffered(&self) -> &[u8] {
        &self.buf
    }

    /// Next NDJSON line (heartbeats returned as `None` inside `Some`).
    pub async fn next_line(&mut self, timeout: Duration) -> Option<Option<Value>> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(pos) = self.buf.iter().position(|&b| b == b'\n') {
                let line = self.buf.split_to(pos + 1);
                let line = &line[..pos];
                if line.is_empty() {
                    return Some(None);
                }
                return Some(Some(serde_json::from_slice(line).expect("json line")));
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() || !self.pull(left).await {
                return None;
            }
        }
    }

    /// Next job from NDJSON, skipping heartbeats.
    pub async fn next_job(&mut self, timeout: Duration) -> Option<Value> {
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.next_line(left).await? {
                Some(v) => return Some(v),
                None => continue,
            }
        }
    }

    /// Next msgpack-stream frame (`None` inside = heartbeat).
    pub async fn next_mp_frame(&mut self, timeout: Duration) -> Option<Option<Value>> {
        let deadline = Instant::now() + timeout;
        loop {
            if self.buf.len() >= 4 {
                let n = u32::from_be_bytes([self.buf[0], self.buf[1], self.buf[2], self.buf[3]])
                    as usize;
                if n == 0 {
                    let _ = self.buf.split_to(4);
                    return Some(None);
                }
                if self.buf.len() >= 4 + n {
                    let _ = self.buf.split_to(4);
                    let data = self.buf.split_to(n);
                    return Some(Some(rmp_serde::from_slice(&data).expect("msgpack frame")));
                }
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() || !self.pull(left).await {
                return None;
            }
        }
    }

    /// Collect `n` jobs (NDJSON), panicking on timeout.
    pub async fn jobs(&mut self, n: usize) -> Vec<Value> {
        let mut v = Vec::new();
        while v.len() < n {
            match self.next_job(Duration::from_secs(5)).await {
                Some(j) => v.push(j),
                None => panic!("expected {n} jobs, got {}", v.len()),
            }
        }
        v
    }

    /// Wait until the server ends the stream.
    pub async fn wait_end(&mut self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        while !self.ended {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return false;
            }
            self.pull(left).await;
        }
        true
    }

    /// Assert no job arrives within `d` (heartbeats allowed).
    pub async fn expect_no_job(&mut self, d: Duration) {
        if let Some(j) = self.next_job(d).await {
            panic!("unexpected job: {j}");
        }
    }
}

/// Poll `f` until it returns true (10 s timeout).
pub async fn eventually<F, Fut>(what: &str, mut f: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if f().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("timed out waiting for: {what}");
}

/// Simple job body.
pub fn job(queue: &str, payload: Value) -> Value {
    serde_json::json!({"type": "t", "queue": queue, "payload": payload})
}

/// Install the ring crypto provider once (for client TLS configs).
pub fn crypto() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}
