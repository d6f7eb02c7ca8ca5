//! Reading a take connection: connect, then parse frames into a sink.

use super::Job;
use crate::client::Client;
use crate::codec::Format;
use crate::error::{Error, Result, Status};
use crate::stream::FrameParser;
use crate::transport::{open_take_stream, report_connect_failure, TakeConnection};
use http_body_util::BodyExt;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

pub(crate) async fn open(
    client: &Client,
    path: &str,
    worker_id: Option<&str>,
    cancel: &CancellationToken,
) -> Result<TakeConnection> {
    let timeout = client.options().connect_timeout + client.options().read_timeout;
    let opened = tokio::select! {
        _ = cancel.cancelled() => Err(Error::closed()),
        result = open_take_stream(
            client.endpoint(),
            path,
            client.format().stream_accept(),
            worker_id,
            timeout,
        ) => result,
    };
    if let Err(err) = &opened {
        if err.status == Status::ZIZQ_E_TLS {
            report_connect_failure(client.observer(), client.endpoint(), err);
        }
    }
    opened
}

/// Where a stream reader delivers jobs.
pub(crate) trait JobSink: Sync {
    /// Resolves when the sink accepts more jobs (backpressure).
    fn wait_for_space(&self) -> impl std::future::Future<Output = ()> + Send;
    fn deliver(&self, jobs: Vec<Job>);
}

/// Read frames into `sink` until the stream fails, ends or goes silent for
/// longer than `idle`. Always returns an error saying why it stopped.
/// Job documents are handed over in `documents`, the host's format.
pub(crate) async fn pump<S: JobSink>(
    sink: &S,
    connection: &mut TakeConnection,
    parser: &mut FrameParser,
    idle: Duration,
    documents: Format,
) -> Result<()> {
    let format = parser.format();
    loop {
        sink.wait_for_space().await;
        let frame = match tokio::time::timeout(idle, connection.body.frame()).await {
            Err(_) => {
                return Err(Error::new(
                    Status::ZIZQ_E_TIMEOUT,
                    format!(
                        "take stream silent for {} ms (no jobs or heartbeats); presumed dead",
                        idle.as_millis()
                    ),
                ))
            }
            Ok(None) => {
                parser.finish()?;
                return Err(Error::new(
                    Status::ZIZQ_E_STREAM_ENDED,
                    "the server ended the take stream",
                ));
            }
            Ok(Some(Err(e))) => return Err(crate::transport::hyper_error("take stream failed", e)),
            Ok(Some(Ok(frame))) => frame,
        };
        let Ok(data) = frame.into_data() else {
            continue; // trailers
        };
        parser.feed(&data);
        let mut jobs = Vec::new();
        let mut failure = None;
        loop {
            match parser.next_frame() {
                Ok(Some(doc)) => match Job::from_frame(format, doc)
                    .and_then(|job| job.into_format(format, documents))
                {
                    Ok(job) => jobs.push(job),
                    Err(e) => {
                        failure = Some(stream_error(e));
                        break;
                    }
                },
                Ok(None) => break,
                Err(e) => {
                    failure = Some(stream_error(e));
                    break;
                }
            }
        }
        if !jobs.is_empty() {
            sink.deliver(jobs);
        }
        if let Some(err) = failure {
            return Err(err);
        }
    }
}

/// A bad frame breaks the stream: report it as a stream failure while
/// keeping oversize frames distinguishable.
fn stream_error(mut err: Error) -> Error {
    if err.status == Status::ZIZQ_E_DECODE {
        err.status = Status::ZIZQ_E_STREAM;
    }
    err
}
