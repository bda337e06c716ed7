//! Time as the session-state code reads it: the real clock by default, a
//! manual one that tests set and advance through the library API
//! ([`crate::app::Embedded::start_with_clock`]).
//!
//! Leases keep the real clock (their TTLs are wall-clock promises to
//! running agents); the state code paths — `created_at`, `last_used_at`,
//! expiry on read and the sweeper — use this one.

use std::sync::atomic::{AtomicI64, Ordering};

/// A source of unix seconds.
pub trait Clock: Send + Sync + 'static {
    /// Unix seconds now.
    fn now(&self) -> i64;
}

/// The system clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> i64 {
        crate::now()
    }
}

/// A clock that moves only when told to (tests).
#[derive(Debug)]
pub struct ManualClock(AtomicI64);

impl ManualClock {
    /// A clock reading `at`.
    pub fn new(at: i64) -> Self {
        Self(AtomicI64::new(at))
    }

    /// A clock reading the real time now.
    pub fn starting_now() -> Self {
        Self::new(crate::now())
    }

    /// Sets the time.
    pub fn set(&self, at: i64) {
        self.0.store(at, Ordering::SeqCst);
    }

    /// Moves the time forward by `secs`.
    pub fn advance(&self, secs: i64) {
        self.0.fetch_add(secs, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> i64 {
        self.0.load(Ordering::SeqCst)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_clock_moves_only_when_told() {
        let clock = ManualClock::new(100);
        assert_eq!(clock.now(), 100);
        clock.advance(5);
        assert_eq!(clock.now(), 105);
        clock.set(7);
        assert_eq!(clock.now(), 7);
    }
}
