//! `zizq-testserver`: an in-memory HTTP server that behaves like the Zizq
//! job-queue server 0.6.1 at the HTTP level, with fault injection.
//!
//! Use it from Rust tests:
//!
//! ```no_run
//! let server = zizq_testserver::TestServer::start_default().unwrap();
//! let url = server.url(); // http://127.0.0.1:PORT
//! server.control().set_delay_ms(50);
//! drop(server); // shuts down
//! ```

mod app;
mod clock;
mod codec;
mod config;
mod cost;
mod cron;
mod faults;
mod http;
mod ids;
mod jq;
mod model;
mod names;
mod pagination;
mod query;
mod server;
mod store;
mod take;
mod tls;
mod validate;

pub mod cli;

/// Entry points for the fuzz targets in `fuzz/`: the server's decoding of
/// request bodies, query strings and paths, without a server. Not part of
/// the API.
#[doc(hidden)]
pub mod fuzzing {
    use crate::codec::Format;

    /// Decode `body` (JSON, else MessagePack) as every request body type.
    pub fn decode_bodies(json: bool, body: &[u8]) {
        let fmt = if json { Format::Json } else { Format::Msgpack };
        crate::http::decode_bodies(fmt, body);
    }

    /// Resolve `path` and parse `query` as every endpoint does.
    pub fn parse_request_line(path: &str, query: &str) {
        crate::http::parse_request_line(path, query);
    }
}

use std::io;
use std::net::SocketAddr;
use std::thread::JoinHandle;
use std::time::Duration;

pub use app::{Control, ControlState, RuntimeConfig};
pub use config::{parse_duration, Config, Tier, TlsConfig};
pub use cost::CostProfile;
pub use faults::{FailRule, FaultsView};
pub use server::Server;

/// Version reported by `GET /version`.
pub const PROTOCOL_VERSION: &str = http_version();

const fn http_version() -> &'static str {
    "0.6.1"
}

/// A server running on its own thread with its own tokio runtime.
pub struct TestServer {
    url: String,
    addr: SocketAddr,
    control: Control,
    thread: Option<JoinHandle<()>>,
}

impl TestServer {
    /// Start a server bound to `config.host:config.port` (default
    /// 127.0.0.1:0). Works from plain `#[test]`s and from inside another
    /// tokio runtime.
    pub fn start(config: Config) -> io::Result<TestServer> {
        let (tx, rx) = std::sync::mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("zizq-testserver".into())
            .spawn(move || {
                let rt = match tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .thread_name("zizq-testserver-rt")
                    .enable_all()
                    .build()
                {
                    Ok(rt) => rt,
                    Err(e) => {
                        let _ = tx.send(Err(e));
                        return;
                    }
                };
                rt.block_on(async move {
                    match Server::bind(&config).await {
                        Err(e) => {
                            let _ = tx.send(Err(e));
                        }
                        Ok(server) => {
                            let _ =
                                tx.send(Ok((server.url(), server.local_addr(), server.control())));
                            server.run().await;
                        }
                    }
                });
                rt.shutdown_timeout(Duration::from_secs(2));
            })?;
        match rx.recv() {
            Ok(Ok((url, addr, control))) => Ok(TestServer {
                url,
                addr,
                control,
                thread: Some(thread),
            }),
            Ok(Err(e)) => {
                let _ = thread.join();
                Err(e)
            }
            Err(_) => {
                let _ = thread.join();
                Err(io::Error::other("test server thread exited"))
            }
        }
    }

    /// Start with `Config::default()`.
    pub fn start_default() -> io::Result<TestServer> {
        TestServer::start(Config::default())
    }

    /// Base URL, e.g. `http://127.0.0.1:41234`.
    pub fn url(&self) -> String {
        self.url.clone()
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Fault/control handle (usable without HTTP).
    pub fn control(&self) -> Control {
        self.control.clone()
    }

    /// Stop the server and wait for its thread.
    pub fn shutdown(mut self) {
        self.stop();
    }

    fn stop(&mut self) {
        self.control.shutdown();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.stop();
    }
}
