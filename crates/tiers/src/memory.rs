//! Counting in this process: for one server on the embedded default, and for tests.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use async_trait::async_trait;

use crate::ports::RateCounter;
use crate::rate::RateKey;

/// Counts in a map, forgetting ended windows as it goes.
#[derive(Debug, Default)]
pub struct InMemoryRateCounter {
    /// Per key: its window's start and length (seconds), and the hits in it.
    windows: Mutex<HashMap<RateKey, (i64, i64, u64)>>,
}

#[async_trait]
impl RateCounter for InMemoryRateCounter {
    async fn hit(&self, key: &RateKey, window_start: i64, window: Duration) -> anyhow::Result<u64> {
        let length = i64::try_from(window.as_secs()).unwrap_or(i64::MAX);
        let mut windows = self.windows.lock().unwrap_or_else(PoisonError::into_inner);
        // A key holds its current window only: an older one has ended.
        let entry = windows
            .entry(key.clone())
            .or_insert((window_start, length, 0));
        if entry.0 != window_start {
            *entry = (window_start, length, 0);
        }
        entry.2 += 1;
        let count = entry.2;
        // Windows that have ended go (now is at least this window's start), so the map does not
        // grow without end.
        if windows.len() > 100_000 {
            windows.retain(|_, (start, length, _)| start.saturating_add(*length) > window_start);
        }
        Ok(count)
    }
}
