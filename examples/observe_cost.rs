//! What keeping a client's figures and events costs a request.
//!
//!   cargo run --release --example observe_cost
//!
//! 1. The recording alone, as `Client::send` does it for every request (two
//!    clock reads, the counters and the latency histogram), in a tight loop.
//! 2. Whole requests (`GET /health`) against the in-process zizq-testserver
//!    (instant mode), with the same recording included, for scale.
//! 3. An event at a level the client does not keep (the common case for
//!    debug events), and one that is kept, in a queue that stays full.

use std::time::{Duration, Instant};
use zizq::client::{Client, ClientOptions};
use zizq::observe::{Level, Observer, RequestOutcome};

fn per_op(n: u32, took: Duration) -> f64 {
    took.as_nanos() as f64 / n as f64
}

fn main() {
    let observer = Observer::new(Level::Info).expect("observer");
    let n = 5_000_000;
    let start = Instant::now();
    for _ in 0..n {
        let began = Instant::now();
        observer.stats.record(RequestOutcome::Ok, began, 120, 240);
    }
    let record_ns = per_op(n, start.elapsed());
    println!("recording one request: {record_ns:.1} ns");

    let server = zizq_testserver::TestServer::start_default().expect("test server");
    let client = Client::new(&server.url(), ClientOptions::default()).expect("client");
    zizq::api::server::health(&client).expect("health");
    let requests = 20_000;
    let start = Instant::now();
    for _ in 0..requests {
        zizq::api::server::health(&client).expect("health");
    }
    let request_ns = per_op(requests, start.elapsed());
    println!(
        "one GET /health (in-process test server, one thread): {:.1} µs; recording is {:.2}% of it",
        request_ns / 1000.0,
        100.0 * record_ns / request_ns
    );

    let start = Instant::now();
    for _ in 0..n {
        observer
            .events
            .emit(Level::Debug, "transport", "bench", || {
                (String::from("not kept"), Vec::new())
            });
    }
    println!(
        "an event below the client's level: {:.1} ns",
        per_op(n, start.elapsed())
    );
    let kept = 1_000_000;
    let start = Instant::now();
    for i in 0..kept {
        observer.events.emit(Level::Warn, "transport", "bench", || {
            (format!("event {i}"), vec![("count", i.into())])
        });
    }
    println!(
        "an event kept (queue full, oldest dropped): {:.1} ns; queue holds {}, {} dropped",
        per_op(kept, start.elapsed()),
        observer.events.len(),
        observer.events.dropped_total()
    );
}
