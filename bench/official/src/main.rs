//! `throughput` on the official Rust client (crate `zizq` 0.6).
//!
//! The same program as `examples-c/throughput.c`, step for step, so that
//! `bench/run.sh` can run the two side by side against one server:
//!
//! * environment: `ZIZQ_URL` (http://127.0.0.1:7890), `ZIZQ_FORMAT`
//!   (`msgpack` | `json`, default msgpack), `JOB_COUNT` (10000),
//!   `CONCURRENCY` (25), `PREFETCH` (2 x CONCURRENCY);
//! * delete leftover jobs on queue `throughput_bench`;
//! * bulk-enqueue JOB_COUNT jobs (`type` "bench", payload `{"n": i}`) in
//!   chunks of 1000, one request at a time;
//! * scan them with `list_jobs`, 2000 per page, following `pages.next`
//!   (the crate's `stream()` does the page following);
//! * run the crate's own `Worker` with CONCURRENCY handlers and PREFETCH;
//!   each handler just counts the job (the worker acks it, in bulk);
//!   when JOB_COUNT jobs were handled the worker is shut down, which
//!   drains in-flight handlers and flushes every pending ack.
//!
//! Prints exactly three lines:
//!   Enqueued N jobs in S.SSs (R jobs/sec)
//!   Scanned N jobs in S.SSs (R jobs/sec)
//!   Dequeued N jobs in S.SSs (R jobs/sec)

use std::convert::Infallible;
use std::error::Error;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use futures_util::TryStreamExt;
use serde::{Deserialize, Serialize};
use tokio::sync::Notify;
use zizq::{Client, Format, Job, JobKind, Worker};

const QUEUE: &str = "throughput_bench";
const CHUNK: u64 = 1000;
const PAGE: u16 = 2000;

/// The benchmark job: `{"type":"bench","queue":"throughput_bench","payload":{"n":i}}`.
#[derive(Serialize, Deserialize)]
struct BenchJob {
    n: u64,
}

impl JobKind for BenchJob {
    const NAME: &'static str = "bench";
    const QUEUE: &'static str = QUEUE;
}

fn env_num<T: std::str::FromStr>(name: &str, fallback: T) -> Result<T, Box<dyn Error>> {
    match std::env::var(name) {
        Ok(v) if !v.is_empty() => v
            .parse()
            .map_err(|_| format!("throughput: invalid {name}: {v:?}").into()),
        _ => Ok(fallback),
    }
}

fn report(verb: &str, n: u64, secs: f64) {
    println!("{verb} {n} jobs in {secs:.2}s ({:.0} jobs/sec)", n as f64 / secs);
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let url = std::env::var("ZIZQ_URL").unwrap_or_else(|_| "http://127.0.0.1:7890".to_string());
    let format = match std::env::var("ZIZQ_FORMAT").as_deref() {
        Ok("json") => Format::Json,
        Ok("msgpack") | Ok("") | Err(_) => Format::MessagePack,
        Ok(other) => return Err(format!("throughput: unknown ZIZQ_FORMAT {other:?}").into()),
    };
    let count: u64 = env_num("JOB_COUNT", 10_000)?;
    let concurrency: usize = env_num("CONCURRENCY", 25)?;
    let prefetch: usize = env_num("PREFETCH", 2 * concurrency)?;
    if count < 1 || concurrency < 1 {
        return Err("throughput: invalid JOB_COUNT/CONCURRENCY/PREFETCH".into());
    }

    let client = Client::builder().url(&url).format(format).build()?;

    // 1. Clean up leftovers.
    client.delete_all_jobs().queue([QUEUE]).await?;

    // 2. Bulk enqueue in chunks of 1000.
    let t0 = Instant::now();
    let mut start = 0;
    while start < count {
        let end = (start + CHUNK).min(count);
        let mut bulk = client.enqueue_bulk();
        for n in start..end {
            bulk.push(client.enqueue(BenchJob { n }));
        }
        bulk.await?;
        start = end;
    }
    report("Enqueued", count, t0.elapsed().as_secs_f64());

    // 3. Scan, 2000 per page.
    let t0 = Instant::now();
    let mut scanned = 0u64;
    {
        let mut jobs = client.list_jobs().queue([QUEUE]).limit(PAGE).stream();
        while jobs.try_next().await?.is_some() {
            scanned += 1;
        }
    }
    report("Scanned", scanned, t0.elapsed().as_secs_f64());

    // 4. Dequeue with the crate's worker.
    let handled = Arc::new(AtomicU64::new(0));
    let done = Arc::new(Notify::new());
    let t0 = Instant::now();
    let worker = Worker::builder()
        .client(client.clone())
        .concurrency(concurrency)
        .prefetch(prefetch)
        .queues([QUEUE])
        .handler({
            let handled = handled.clone();
            let done = done.clone();
            move |_job: Job| {
                let handled = handled.clone();
                let done = done.clone();
                async move {
                    if handled.fetch_add(1, Ordering::AcqRel) + 1 == count {
                        done.notify_one();
                    }
                    Ok::<(), Infallible>(())
                }
            }
        })
        .build()?;
    worker.run(async move { done.notified().await }).await?;
    report("Dequeued", handled.load(Ordering::Acquire), t0.elapsed().as_secs_f64());

    Ok(())
}
