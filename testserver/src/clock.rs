//! Wall clock in milliseconds since the Unix epoch.

use std::time::{SystemTime, UNIX_EPOCH};

/// Current time in ms since the epoch (0 if the clock is before 1970).
pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}
