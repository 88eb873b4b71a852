//! API Gateway's throttling: a token bucket per stage and per route. A bucket holds at most
//! `burst` tokens and refills at `rate_limit` tokens a second; each request takes one, and a
//! request that finds the bucket empty is answered 429 (`THROTTLED`, which API Gateway does not
//! bill). The account default is 10,000 requests a second with a burst of 5,000.

use std::sync::Mutex;
use std::time::Instant;

/// API Gateway's account-level default rate (requests per second).
pub const DEFAULT_RATE_LIMIT: f64 = 10_000.0;
/// API Gateway's account-level default burst.
pub const DEFAULT_BURST: u64 = 5_000;

/// One bucket, shared by every data thread (a short critical section: two float updates).
#[derive(Debug)]
pub struct TokenBucket {
    rate: f64,
    burst: f64,
    inner: Mutex<Fill>,
}

#[derive(Debug)]
struct Fill {
    tokens: f64,
    at: Instant,
}

impl TokenBucket {
    /// A full bucket.
    pub fn new(rate_per_sec: f64, burst: u64) -> Self {
        let burst = burst as f64;
        Self {
            rate: rate_per_sec,
            burst,
            inner: Mutex::new(Fill {
                tokens: burst,
                at: Instant::now(),
            }),
        }
    }

    /// Takes a token if there is one.
    pub fn try_take(&self) -> bool {
        self.try_take_at(Instant::now())
    }

    fn try_take_at(&self, now: Instant) -> bool {
        let mut f = match self.inner.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        let elapsed = now.saturating_duration_since(f.at).as_secs_f64();
        f.tokens = (f.tokens + elapsed * self.rate).min(self.burst);
        f.at = now;
        if f.tokens >= 1.0 {
            f.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn burst_then_rate() {
        let b = TokenBucket::new(10.0, 5);
        let t0 = Instant::now();
        // A full bucket serves the burst at once, then refuses.
        assert_eq!((0..8).filter(|_| b.try_take_at(t0)).count(), 5);
        // 10/s: 300 ms later three more tokens (hand-computed), no more.
        let t1 = t0 + Duration::from_millis(300);
        assert_eq!((0..8).filter(|_| b.try_take_at(t1)).count(), 3);
        // A long pause refills to the burst, never beyond.
        let t2 = t1 + Duration::from_secs(60);
        assert_eq!((0..20).filter(|_| b.try_take_at(t2)).count(), 5);
    }

    #[test]
    fn zero_burst_refuses_everything() {
        let b = TokenBucket::new(100.0, 0);
        let t0 = Instant::now();
        assert!(!b.try_take_at(t0 + Duration::from_secs(1)));
    }
}
