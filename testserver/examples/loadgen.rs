//! Enqueue load generator: many concurrent HTTP/2 (h2c) streams over a few
//! connections, `POST /jobs` with a JSON body; prints requests per second.
//!
//! ```text
//! loadgen [--url http://127.0.0.1:PORT] [--connections 2] [--concurrency 256]
//!         [--seconds 5]
//! ```
//! Without `--url` it starts an in-process server.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http2;
use hyper::Request;
use hyper_util::rt::{TokioExecutor, TokioIo};

struct Args {
    url: Option<String>,
    connections: usize,
    concurrency: usize,
    seconds: u64,
}

fn parse_args() -> Args {
    let mut a = Args {
        url: None,
        connections: 2,
        concurrency: 256,
        seconds: 5,
    };
    let argv: Vec<String> = std::env::args().skip(1).collect();
    let mut i = 0;
    while i < argv.len() {
        let v = argv.get(i + 1).cloned().unwrap_or_default();
        match argv[i].as_str() {
            "--url" => a.url = Some(v),
            "--connections" => a.connections = v.parse().expect("--connections N"),
            "--concurrency" => a.concurrency = v.parse().expect("--concurrency N"),
            "--seconds" => a.seconds = v.parse().expect("--seconds N"),
            other => {
                eprintln!("unknown argument {other}");
                std::process::exit(2);
            }
        }
        i += 2;
    }
    a
}

fn main() {
    let args = parse_args();
    let _server;
    let url = match &args.url {
        Some(u) => u.clone(),
        None => {
            let s = zizq_testserver::TestServer::start_default().expect("server");
            let u = s.url();
            _server = s;
            u
        }
    };
    let host = url
        .strip_prefix("http://")
        .expect("loadgen speaks h2c: use an http:// URL")
        .trim_end_matches('/')
        .to_string();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(run(args, host));
}

async fn run(args: Args, host: String) {
    let body = Bytes::from_static(
        br#"{"type":"bench","queue":"load","payload":{"user_id":12345,"action":"send_email","tags":["a","b"]}}"#,
    );
    let uri: hyper::Uri = format!("http://{host}/jobs").parse().expect("uri");
    let ok = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let mut senders = Vec::new();
    for _ in 0..args.connections.max(1) {
        let tcp = tokio::net::TcpStream::connect(&host)
            .await
            .expect("connect");
        let _ = tcp.set_nodelay(true);
        let (sender, conn) = http2::Builder::new(TokioExecutor::new())
            .initial_stream_window_size(1 << 20)
            .initial_connection_window_size(1 << 24)
            .handshake::<_, Full<Bytes>>(TokioIo::new(tcp))
            .await
            .expect("h2 handshake");
        tokio::spawn(conn);
        senders.push(sender);
    }
    let deadline = Instant::now() + Duration::from_secs(args.seconds);
    let start = Instant::now();
    let mut tasks = Vec::new();
    for i in 0..args.concurrency.max(1) {
        let mut sender = senders[i % senders.len()].clone();
        let (body, uri, ok, failed) = (body.clone(), uri.clone(), ok.clone(), failed.clone());
        tasks.push(tokio::spawn(async move {
            while Instant::now() < deadline {
                let req = Request::post(uri.clone())
                    .header("content-type", "application/json")
                    .body(Full::new(body.clone()))
                    .expect("request");
                if sender.ready().await.is_err() {
                    failed.fetch_add(1, Ordering::Relaxed);
                    return;
                }
                match sender.send_request(req).await {
                    Ok(resp) => {
                        let status = resp.status().as_u16();
                        let _ = resp.into_body().collect().await;
                        if status == 201 {
                            ok.fetch_add(1, Ordering::Relaxed);
                        } else {
                            failed.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                    Err(_) => {
                        failed.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
        }));
    }
    for t in tasks {
        let _ = t.await;
    }
    let secs = start.elapsed().as_secs_f64();
    let n = ok.load(Ordering::Relaxed);
    println!(
        "{n} enqueues in {secs:.2}s over {} h2c connection(s), {} concurrent streams: {:.0} requests/sec ({} failed)",
        args.connections,
        args.concurrency,
        n as f64 / secs,
        failed.load(Ordering::Relaxed)
    );
}
