//! A fixed-window rate limiter per key (client address, token id). It
//! guards one replica; the database-backed limits (leases) are elsewhere.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Counts events per key in one-minute windows.
pub struct RateLimiter {
    per_minute: u32,
    windows: Mutex<HashMap<String, (Instant, u32)>>,
}

impl RateLimiter {
    /// A limiter allowing `per_minute` events per key (0 = unlimited).
    pub fn new(per_minute: u32) -> Self {
        Self {
            per_minute,
            windows: Mutex::new(HashMap::new()),
        }
    }

    fn with_window<T>(&self, key: &str, f: impl FnOnce(&mut (Instant, u32)) -> T) -> T {
        let mut windows = self.windows.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        if windows.len() > 100_000 {
            windows.retain(|_, (start, _)| now.duration_since(*start) < Duration::from_secs(60));
        }
        let window = windows.entry(key.to_owned()).or_insert((now, 0));
        if now.duration_since(window.0) >= Duration::from_secs(60) {
            *window = (now, 0);
        }
        f(window)
    }

    /// Seconds until `key` may act again, if it is over the limit.
    pub fn blocked(&self, key: &str) -> Option<u64> {
        if self.per_minute == 0 {
            return None;
        }
        self.with_window(key, |(start, count)| {
            (*count >= self.per_minute)
                .then(|| 60u64.saturating_sub(start.elapsed().as_secs()).max(1))
        })
    }

    /// Counts one event for `key`.
    pub fn hit(&self, key: &str) {
        self.with_window(key, |(_, count)| *count = count.saturating_add(1));
    }

    /// Counts one event and says whether it is over the limit.
    pub fn check(&self, key: &str) -> Option<u64> {
        let blocked = self.blocked(key);
        if blocked.is_none() {
            self.hit(key);
        }
        blocked
    }
}
