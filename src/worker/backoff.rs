//! Reconnect and retry delays.

use std::time::Duration;

/// Exponential backoff with "equal jitter": half the delay is fixed, half random.
pub(super) struct Backoff {
    min: Duration,
    max: Duration,
    attempt: u32,
}

impl Backoff {
    pub(super) fn new(min: Duration, max: Duration) -> Self {
        Backoff {
            min,
            max,
            attempt: 0,
        }
    }

    pub(super) fn reset(&mut self) {
        self.attempt = 0;
    }

    pub(super) fn is_fresh(&self) -> bool {
        self.attempt == 0
    }

    pub(super) fn next_delay(&mut self) -> Duration {
        let exp = self
            .min
            .saturating_mul(1u32 << self.attempt.min(20))
            .min(self.max);
        self.attempt = self.attempt.saturating_add(1);
        let half = exp / 2;
        half + half.mul_f64(rand::random::<f64>())
    }
}
