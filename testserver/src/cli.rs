//! Command-line parsing for the `zizq-testserver` binary.

use std::time::Duration;

use crate::config::{parse_duration, Config, Tier, TlsConfig};
use crate::cost::CostProfile;

pub const USAGE: &str = "usage: zizq-testserver [--port N] [--host H] [--tier free|pro]
       [--heartbeat-interval DUR] [--global-in-flight-limit N]
       [--tls-cert FILE --tls-key FILE [--tls-client-ca FILE]]
       [--default-retry-limit N] [--default-backoff-exponent F]
       [--default-backoff-base DUR] [--default-backoff-jitter DUR]
       [--default-completed-job-retention DUR] [--default-dead-job-retention DUR]
       [--backoff-random F] [--cost-profile reference[,KEY=MICROS...]]
       [--exit-on-stdin-eof]
DUR is milliseconds or a string like 500ms, 3s, 7d, 1h.
--cost-profile gives the server a real Zizq server's cost shape (for
benchmarks); KEY is request_cpu, enqueue_cpu_per_job, read_wait,
commit_cpu, commit_cpu_per_job, commit_wait, completion_cpu,
completion_cpu_per_job, completion_wait or completion_wait_per_job.";

/// Parsed command line.
#[derive(Debug)]
pub struct Cli {
    pub config: Config,
    pub exit_on_stdin_eof: bool,
}

fn dur(flag: &str, v: &str) -> Result<Duration, String> {
    parse_duration(v).ok_or_else(|| format!("invalid duration for {flag}: {v}"))
}

fn num<T: std::str::FromStr>(flag: &str, v: &str) -> Result<T, String> {
    v.parse()
        .map_err(|_| format!("invalid value for {flag}: {v}"))
}

/// Parse arguments (without the program name). PEM files are read here.
pub fn parse(args: &[String]) -> Result<Cli, String> {
    let mut c = Config::default();
    let mut exit_on_eof = false;
    let (mut cert, mut key, mut ca) = (None, None, None);
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        let (name, inline) = match flag.split_once('=') {
            Some((n, v)) if n.starts_with("--") => (n, Some(v.to_string())),
            _ => (flag.as_str(), None),
        };
        if name == "--exit-on-stdin-eof" {
            exit_on_eof = true;
            continue;
        }
        let known = [
            "--port",
            "--host",
            "--tier",
            "--heartbeat-interval",
            "--global-in-flight-limit",
            "-l",
            "--tls-cert",
            "--tls-key",
            "--tls-client-ca",
            "--default-retry-limit",
            "--default-backoff-exponent",
            "--default-backoff-base",
            "--default-backoff-jitter",
            "--default-completed-job-retention",
            "--default-dead-job-retention",
            "--backoff-random",
            "--cost-profile",
        ];
        if !known.contains(&name) {
            return Err(format!("unknown flag: {flag}"));
        }
        let v = match inline {
            Some(v) => v,
            None => it
                .next()
                .cloned()
                .ok_or_else(|| format!("missing value for {name}"))?,
        };
        match name {
            "--port" => c.port = num(name, &v)?,
            "--host" => c.host = v,
            "--tier" => c.tier = Tier::parse(&v).ok_or_else(|| format!("invalid tier: {v}"))?,
            "--heartbeat-interval" => c.heartbeat_interval = dur(name, &v)?,
            "--global-in-flight-limit" | "-l" => c.global_in_flight_limit = num(name, &v)?,
            "--tls-cert" => cert = Some(v),
            "--tls-key" => key = Some(v),
            "--tls-client-ca" => ca = Some(v),
            "--default-retry-limit" => c.default_retry_limit = num(name, &v)?,
            "--default-backoff-exponent" => {
                let e: f32 = num(name, &v)?;
                if !e.is_finite() {
                    return Err(format!("invalid value for {name}: {v}"));
                }
                c.default_backoff_exponent = e;
            }
            "--default-backoff-base" => c.default_backoff_base = dur(name, &v)?,
            "--default-backoff-jitter" => c.default_backoff_jitter = dur(name, &v)?,
            "--default-completed-job-retention" => {
                c.default_completed_job_retention = dur(name, &v)?
            }
            "--default-dead-job-retention" => c.default_dead_job_retention = dur(name, &v)?,
            "--backoff-random" => {
                let r: f64 = num(name, &v)?;
                if !(0.0..=1.0).contains(&r) {
                    return Err(format!("--backoff-random must be in [0, 1]: {v}"));
                }
                c.backoff_random = Some(r);
            }
            "--cost-profile" => c.cost = CostProfile::parse(&v)?,
            _ => return Err(format!("unknown flag: {flag}")),
        }
    }
    match (cert, key) {
        (None, None) => {
            if ca.is_some() {
                return Err("--tls-client-ca requires --tls-cert and --tls-key".into());
            }
        }
        (Some(cert), Some(key)) => {
            let read = |p: &str| std::fs::read(p).map_err(|e| format!("cannot read {p}: {e}"));
            c.tls = Some(TlsConfig {
                cert_pem: read(&cert)?,
                key_pem: read(&key)?,
                client_ca_pem: match ca {
                    Some(p) => Some(read(&p)?),
                    None => None,
                },
            });
        }
        _ => return Err("--tls-cert and --tls-key must be provided together".into()),
    }
    Ok(Cli {
        config: c,
        exit_on_stdin_eof: exit_on_eof,
    })
}
