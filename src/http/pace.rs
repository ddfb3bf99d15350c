//! How fast the HTTP layer goes: `Retry-After`, backoff between retries, and the per-tracker
//! token bucket.

use std::hash::{BuildHasher, Hasher};
use std::time::{Duration, Instant, SystemTime};

use tokio::sync::Mutex;

/// `Retry-After` as seconds or an HTTP date.
#[must_use]
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(when.duration_since(now).unwrap_or(Duration::ZERO))
}

/// Exponential backoff with jitter: ~250 ms, ~500 ms, ~1 s ...
pub(super) fn backoff(attempt: u32) -> Duration {
    let base = 250u64 << attempt.saturating_sub(1).min(6);
    let jitter = random_u64() % (base / 2 + 1);
    Duration::from_millis(base / 2 + base / 4 + jitter)
}

fn random_u64() -> u64 {
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u128(Instant::now().elapsed().as_nanos());
    hasher.finish()
}

/// A token bucket: `rate` tokens per second, holding at most `2 × rate` (at least 1).
#[derive(Debug)]
pub struct RateLimiter {
    rate: f64,
    capacity: f64,
    state: Mutex<(f64, Instant)>,
}

impl RateLimiter {
    #[must_use]
    pub fn new(rate: f64) -> Self {
        let capacity = (rate * 2.0).max(1.0);
        Self { rate, capacity, state: Mutex::new((capacity, Instant::now())) }
    }

    /// Wait until a token is available and take it.
    pub async fn acquire(&self) {
        loop {
            let wait = {
                let mut state = self.state.lock().await;
                let now = Instant::now();
                let (tokens, last) = *state;
                let tokens = (tokens + now.duration_since(last).as_secs_f64() * self.rate).min(self.capacity);
                if tokens >= 1.0 {
                    *state = (tokens - 1.0, now);
                    return;
                }
                *state = (tokens, now);
                Duration::from_secs_f64((1.0 - tokens) / self.rate)
            };
            tokio::time::sleep(wait).await;
        }
    }
}
