//! Listener, connection handling (HTTP/1.1 + h2c + TLS), scheduler task.

use std::io;
use std::net::SocketAddr;
use std::os::fd::{AsRawFd, RawFd};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;
use tokio_rustls::TlsAcceptor;

use crate::app::{App, Control};
use crate::clock::now_ms;
use crate::config::{Config, Tier};

/// Per-connection context visible to request handlers.
#[derive(Default)]
pub struct ConnCtx {
    abort: Notify,
    freeze: Notify,
    /// The blackhole epoch the connection was frozen in.
    frozen_in: AtomicU64,
}

impl ConnCtx {
    /// Abort the connection (RST) instead of answering.
    pub fn abort(&self) {
        self.abort.notify_one();
    }

    /// Stop serving the connection (blackhole fault of `epoch`).
    pub fn freeze(&self, epoch: u64) {
        self.frozen_in.store(epoch, Ordering::SeqCst);
        self.freeze.notify_one();
    }
}

/// A bound, not yet running server.
pub struct Server {
    app: Arc<App>,
    listener: TcpListener,
    tls: Option<TlsAcceptor>,
    addr: SocketAddr,
}

impl Server {
    /// Validate the configuration and bind the listener.
    pub async fn bind(config: &Config) -> io::Result<Server> {
        let tls = match &config.tls {
            None => None,
            Some(t) => {
                if t.client_ca_pem.is_some() && config.tier == Tier::Free {
                    return Err(io::Error::other(
                        "cannot enable mTLS: mutual TLS requires a pro license",
                    ));
                }
                Some(TlsAcceptor::from(crate::tls::server_config(t)?))
            }
        };
        let listener = TcpListener::bind((config.host.as_str(), config.port)).await?;
        let addr = listener.local_addr()?;
        Ok(Server {
            app: App::new(config),
            listener,
            tls,
            addr,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://host:port` or `https://host:port`.
    pub fn url(&self) -> String {
        let scheme = if self.tls.is_some() { "https" } else { "http" };
        format!("{scheme}://{}", self.addr)
    }

    pub fn control(&self) -> Control {
        Control::new(self.app.clone())
    }

    /// Serve until shutdown is requested through `Control::shutdown`.
    pub async fn run(self) {
        let sched = tokio::spawn(scheduler(self.app.clone()));
        accept_loop(self.app.clone(), self.listener, self.tls).await;
        // closing streams requeues their jobs
        self.app.store.lock().close_all_streams();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(3);
        while self.app.stats.connections.load(Ordering::SeqCst) > 0
            && tokio::time::Instant::now() < deadline
        {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        sched.abort();
    }
}

async fn accept_loop(app: Arc<App>, listener: TcpListener, tls: Option<TlsAcceptor>) {
    let mut shutdown = app.shutdown_rx();
    loop {
        tokio::select! {
            r = listener.accept() => match r {
                Ok((stream, _)) => {
                    tokio::spawn(serve_conn(app.clone(), stream, tls.clone()));
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
            },
            _ = crate::app::stopped(&mut shutdown) => return,
        }
    }
}

struct ConnGuard(Arc<App>);

impl Drop for ConnGuard {
    fn drop(&mut self) {
        self.0.stats.connections.fetch_sub(1, Ordering::SeqCst);
    }
}

fn set_linger_zero(fd: RawFd) {
    let l = libc::linger {
        l_onoff: 1,
        l_linger: 0,
    };
    // SAFETY: `fd` is an open socket owned by the connection that is still
    // alive here; setsockopt only reads the provided struct.
    unsafe {
        libc::setsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_LINGER,
            &l as *const libc::linger as *const libc::c_void,
            std::mem::size_of::<libc::linger>() as libc::socklen_t,
        );
    }
}

async fn serve_conn(app: Arc<App>, stream: TcpStream, tls: Option<TlsAcceptor>) {
    app.stats.connections.fetch_add(1, Ordering::SeqCst);
    let _guard = ConnGuard(app.clone());
    let _ = stream.set_nodelay(true);
    let fd = stream.as_raw_fd();
    match tls {
        None => drive(app, fd, stream).await,
        Some(acc) => {
            let hs = tokio::time::timeout(Duration::from_secs(10), acc.accept(stream)).await;
            if let Ok(Ok(s)) = hs {
                drive(app, fd, s).await;
            }
        }
    }
}

async fn drive<I>(app: Arc<App>, fd: RawFd, io: I)
where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let ctx = Arc::new(ConnCtx::default());
    let svc_app = app.clone();
    let svc_ctx = ctx.clone();
    let svc = service_fn(move |req| crate::http::handle(svc_app.clone(), svc_ctx.clone(), req));
    let builder = auto::Builder::new(TokioExecutor::new());
    let conn = builder.serve_connection(TokioIo::new(io), svc);
    tokio::pin!(conn);
    let mut shutdown = app.shutdown_rx();
    tokio::select! {
        _ = conn.as_mut() => {}
        _ = ctx.abort.notified() => {
            set_linger_zero(fd);
        }
        _ = ctx.freeze.notified() => {
            // Blackholed: the connection is no longer polled, so nothing is
            // answered (not even HTTP/2 pings) while the socket stays open,
            // like a peer behind a dead middlebox. It closes once the fault
            // is cleared.
            let epoch = ctx.frozen_in.load(Ordering::SeqCst);
            let mut shutdown = app.shutdown_rx();
            tokio::select! {
                _ = app.faults.blackhole_cleared(epoch) => {}
                _ = crate::app::stopped(&mut shutdown) => {}
            }
        }
        _ = crate::app::stopped(&mut shutdown) => {
            conn.as_mut().graceful_shutdown();
            let _ = tokio::time::timeout(Duration::from_secs(2), conn.as_mut()).await;
        }
    }
}

/// Promotes scheduled jobs, purges expired ones and fires crons.
async fn scheduler(app: Arc<App>) {
    let notify = app.store.sched_notify.clone();
    let mut shutdown = app.shutdown_rx();
    loop {
        let now = now_ms();
        let next = app.store.lock().run_due(now);
        // re-check at least once a second (tier switches, clock drift)
        let wait = next.saturating_sub(now_ms()).min(1000);
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_millis(wait)) => {}
            _ = notify.notified() => {}
            _ = crate::app::stopped(&mut shutdown) => return,
        }
    }
}
