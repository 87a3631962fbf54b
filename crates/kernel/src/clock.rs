//! Time as a port, so that expiry rules can be tested without waiting.

use std::sync::{Arc, Mutex, PoisonError};

use chrono::{DateTime, Duration, SubsecRound, Utc};

/// An instant in UTC. Every timestamp in Soirée's domain is one of these.
pub type Timestamp = DateTime<Utc>;

/// Where the domain reads the current time.
///
/// Services take an `Arc<dyn Clock>` instead of calling `Utc::now()` so that timeouts (idle and
/// absolute session limits, throttling windows, token expiry) can be tested by moving a
/// [`ManualClock`] forward.
///
/// Contract: `now` MUST be monotonic enough that a later call never returns an earlier instant
/// within one process, and MUST be cheap (it is called on every authenticated request).
pub trait Clock: Send + Sync + std::fmt::Debug {
    /// The current instant.
    fn now(&self) -> Timestamp;
}

/// The wall clock, to the microsecond: the finest resolution both SQLite and PostgreSQL keep, so
/// that an instant survives a round trip through storage unchanged.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        Utc::now().trunc_subsecs(6)
    }
}

/// A clock that only moves when told to; for tests and simulations.
///
/// Clones share the same instant, so a test can keep one handle and give another to a service.
#[derive(Debug, Clone)]
pub struct ManualClock {
    now: Arc<Mutex<Timestamp>>,
}

impl ManualClock {
    /// A clock standing still at `start`.
    pub fn starting_at(start: Timestamp) -> Self {
        Self {
            now: Arc::new(Mutex::new(start)),
        }
    }

    /// Moves the clock forward (or backward, with a negative duration) by `by`.
    pub fn advance(&self, by: Duration) {
        let mut now = self.now.lock().unwrap_or_else(PoisonError::into_inner);
        *now += by;
    }

    /// Puts the clock at `instant`.
    pub fn set(&self, instant: Timestamp) {
        *self.now.lock().unwrap_or_else(PoisonError::into_inner) = instant;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Timestamp {
        *self.now.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_clock_clones_share_one_instant() {
        let start = DateTime::from_timestamp(1_700_000_000, 0).unwrap_or_default();
        let clock = ManualClock::starting_at(start);
        let handle = clock.clone();
        handle.advance(Duration::minutes(90));
        assert_eq!(clock.now(), start + Duration::minutes(90));
    }
}
