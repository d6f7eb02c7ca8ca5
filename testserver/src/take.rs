//! Take-stream task: dispatches jobs, heartbeats, fault hooks, requeue.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use bytes::Bytes;
use tokio::sync::{mpsc, Notify};
use tokio::time::{sleep_until, Instant};

use crate::app::App;
use crate::clock::now_ms;
use crate::codec::StreamFormat;

/// Everything a stream task owns.
pub struct StreamTask {
    pub app: Arc<App>,
    pub sid: u64,
    pub notify: Arc<Notify>,
    pub close: Arc<Notify>,
    pub fmt: StreamFormat,
    pub tx: mpsc::Sender<Bytes>,
}

/// Unregisters the stream (requeueing its in-flight jobs) however the
/// task ends.
struct Guard {
    app: Arc<App>,
    sid: u64,
}

impl Drop for Guard {
    fn drop(&mut self) {
        self.app.store.lock().unregister_stream(self.sid);
        self.app.stats.take_streams.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Why a send did not complete.
enum Stop {
    Gone,
}

impl StreamTask {
    /// Send one frame, giving up if the client leaves or we are told to stop.
    async fn send(
        &self,
        frame: Bytes,
        shutdown: &mut tokio::sync::watch::Receiver<bool>,
    ) -> Result<(), Stop> {
        tokio::select! {
            r = self.tx.send(frame) => r.map_err(|_| Stop::Gone),
            _ = self.close.notified() => Err(Stop::Gone),
            _ = crate::app::stopped(shutdown) => Err(Stop::Gone),
        }
    }
}

pub async fn run_stream(task: StreamTask) {
    let _guard = Guard {
        app: task.app.clone(),
        sid: task.sid,
    };
    let app = task.app.clone();
    let hb = app.heartbeat;
    let mut shutdown = app.shutdown_rx();
    let mut deadline = Instant::now() + hb;
    let mut written: u64 = 0;
    loop {
        if *shutdown.borrow() {
            return;
        }
        let limit = app.faults.close_after();
        if limit > 0 && written >= limit {
            return;
        }
        let max = if limit > 0 {
            usize::try_from(limit - written).unwrap_or(usize::MAX)
        } else {
            usize::MAX
        };
        let batch = app.store.lock().take_batch(task.sid, max, now_ms());
        if !batch.is_empty() {
            // Dispatch is a state change: the jobs go out once it is committed.
            app.commit(batch.len()).await;
            for job in &batch {
                let frame = task.fmt.frame(job);
                if app.faults.take_truncate() {
                    let _ = task.send(task.fmt.truncated(&frame), &mut shutdown).await;
                    return;
                }
                let frame = if app.faults.take_corrupt() {
                    task.fmt.corrupt_frame()
                } else {
                    frame
                };
                if task.send(frame, &mut shutdown).await.is_err() {
                    return;
                }
                written += 1;
                if limit > 0 && written >= limit {
                    return;
                }
            }
            deadline = Instant::now() + hb;
            continue;
        }
        tokio::select! {
            _ = task.notify.notified() => {}
            _ = sleep_until(deadline) => {
                if app.faults.heartbeats() {
                    if let Err(mpsc::error::TrySendError::Closed(_)) =
                        task.tx.try_send(task.fmt.heartbeat())
                    {
                        return;
                    }
                }
                deadline = Instant::now() + hb;
            }
            _ = task.tx.closed() => return,
            _ = task.close.notified() => return,
            _ = crate::app::stopped(&mut shutdown) => return,
        }
    }
}
