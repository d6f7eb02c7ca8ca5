//! Server configuration and duration parsing.

use std::time::Duration;

use crate::cost::CostProfile;

/// Licence tier emulated by the server.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Tier {
    /// No licence: unique jobs, batches, cron and mTLS are refused.
    Free,
    /// Pro licence: everything enabled.
    #[default]
    Pro,
}

impl Tier {
    pub fn parse(s: &str) -> Option<Tier> {
        match s {
            "free" => Some(Tier::Free),
            "pro" => Some(Tier::Pro),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Tier::Free => "free",
            Tier::Pro => "pro",
        }
    }
}

/// PEM material for TLS.
#[derive(Clone, Debug)]
pub struct TlsConfig {
    /// Server certificate chain (PEM).
    pub cert_pem: Vec<u8>,
    /// Server private key (PEM: PKCS#8, RSA or EC).
    pub key_pem: Vec<u8>,
    /// When set, clients must present a certificate chaining to one of
    /// these CA certificates (PEM). Requires tier pro.
    pub client_ca_pem: Option<Vec<u8>>,
}

/// Server configuration. All fields are public; `Default` matches the
/// reference server's defaults (except the bind address/port).
#[derive(Clone, Debug)]
pub struct Config {
    /// Bind host (default `127.0.0.1`).
    pub host: String,
    /// Bind port (default 0 = ephemeral).
    pub port: u16,
    pub tier: Tier,
    pub heartbeat_interval: Duration,
    /// Server-wide in-flight cap, 0 = unlimited.
    pub global_in_flight_limit: usize,
    pub default_retry_limit: u32,
    pub default_backoff_exponent: f32,
    pub default_backoff_base: Duration,
    pub default_backoff_jitter: Duration,
    pub default_completed_job_retention: Duration,
    pub default_dead_job_retention: Duration,
    /// Fixed value in `[0,1)` for the backoff jitter factor; `None` = random.
    pub backoff_random: Option<f64>,
    pub tls: Option<TlsConfig>,
    /// The real server's cost shape (`--cost-profile`); the default answers
    /// at once.
    pub cost: CostProfile,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            host: "127.0.0.1".to_string(),
            port: 0,
            tier: Tier::Pro,
            heartbeat_interval: Duration::from_secs(3),
            global_in_flight_limit: 1024,
            default_retry_limit: 25,
            default_backoff_exponent: 4.0,
            default_backoff_base: Duration::from_secs(15),
            default_backoff_jitter: Duration::from_secs(30),
            default_completed_job_retention: Duration::ZERO,
            default_dead_job_retention: Duration::from_secs(7 * 24 * 3600),
            backoff_random: None,
            tls: None,
            cost: CostProfile::default(),
        }
    }
}

/// Parse plain milliseconds (`1500`) or humantime-like strings
/// (`500ms`, `3s`, `2m`, `1h`, `7d`, `1h30m`).
pub fn parse_duration(s: &str) -> Option<Duration> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    if let Ok(ms) = s.parse::<u64>() {
        return Some(Duration::from_millis(ms));
    }
    let mut total: u128 = 0;
    let mut rest = s;
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        if digits == 0 {
            return None;
        }
        let n: u128 = rest[..digits].parse().ok()?;
        rest = rest[digits..].trim_start();
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c.is_whitespace())
            .unwrap_or(rest.len());
        let unit = &rest[..unit_len];
        rest = rest[unit_len..].trim_start();
        let mult: u128 = match unit {
            "ms" | "msec" | "millis" => 1,
            "s" | "sec" | "secs" | "second" | "seconds" => 1000,
            "m" | "min" | "mins" | "minute" | "minutes" => 60_000,
            "h" | "hr" | "hrs" | "hour" | "hours" => 3_600_000,
            "d" | "day" | "days" => 86_400_000,
            "w" | "week" | "weeks" => 604_800_000,
            _ => return None,
        };
        total = total.checked_add(n.checked_mul(mult)?)?;
    }
    Some(Duration::from_millis(u64::try_from(total).ok()?))
}

/// Duration as whole milliseconds, saturating.
pub fn ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("1500"), Some(Duration::from_millis(1500)));
        assert_eq!(parse_duration("500ms"), Some(Duration::from_millis(500)));
        assert_eq!(parse_duration("3s"), Some(Duration::from_secs(3)));
        assert_eq!(parse_duration("7d"), Some(Duration::from_secs(604800)));
        assert_eq!(parse_duration("1h30m"), Some(Duration::from_secs(5400)));
        assert_eq!(parse_duration("x"), None);
        assert_eq!(parse_duration("5y"), None);
    }
}
