//! Per-caller rate limit over HTTP (`TRACKER_MCP_HTTP_RATE_LIMIT`): a token bucket per
//! authenticated subject (the static token is one subject), so one caller cannot take the
//! whole server, or the trackers' own limit, from the others. Over the limit: 429 with
//! `Retry-After`.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Buckets kept before idle, full ones are dropped.
const MAX_BUCKETS: usize = 10_000;

#[derive(Debug)]
pub struct CallerLimit {
    rate: f64,
    burst: f64,
    buckets: Mutex<HashMap<String, Bucket>>,
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

impl CallerLimit {
    /// `rate` requests per second, bursts up to twice that (at least 1); `None` for 0 (off).
    #[must_use]
    pub fn new(rate: f64) -> Option<Self> {
        (rate > 0.0).then(|| Self { rate, burst: (rate * 2.0).max(1.0), buckets: Mutex::default() })
    }

    /// Take one request for `subject`, or say how long to wait.
    pub fn take(&self, subject: &str) -> Result<(), Duration> {
        self.take_at(subject, Instant::now())
    }

    fn take_at(&self, subject: &str, now: Instant) -> Result<(), Duration> {
        let Ok(mut buckets) = self.buckets.lock() else { return Ok(()) };
        if buckets.len() >= MAX_BUCKETS && !buckets.contains_key(subject) {
            let (rate, burst) = (self.rate, self.burst);
            buckets.retain(|_, b| b.tokens + now.duration_since(b.at).as_secs_f64() * rate < burst);
        }
        let bucket = buckets.entry(subject.to_owned()).or_insert(Bucket { tokens: self.burst, at: now });
        bucket.tokens =
            (bucket.tokens + now.duration_since(bucket.at).as_secs_f64() * self.rate).min(self.burst);
        bucket.at = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - bucket.tokens) / self.rate))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_caller_has_its_own_bucket_that_refills() {
        let limit = CallerLimit::new(2.0).expect("on");
        let start = Instant::now();
        for _ in 0..4 {
            assert!(limit.take_at("alice", start).is_ok(), "a burst of twice the rate");
        }
        let wait = limit.take_at("alice", start).expect_err("over the limit");
        assert!(wait > Duration::ZERO && wait <= Duration::from_millis(500), "{wait:?}");
        assert!(limit.take_at("bob", start).is_ok(), "another caller is not affected");
        assert!(limit.take_at("alice", start + Duration::from_millis(500)).is_ok(), "refilled");
        assert!(CallerLimit::new(0.0).is_none());
    }
}
