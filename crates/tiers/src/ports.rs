//! The port rate limits spend through.

use std::time::Duration;

use async_trait::async_trait;

use crate::rate::RateKey;

/// Counts hits in fixed windows of time.
#[async_trait]
pub trait RateCounter: Send + Sync + std::fmt::Debug {
    /// Adds one hit to `key` in the window that starts at `window_start` (seconds since the Unix
    /// epoch) and lasts `window`, and answers how many hits that window holds now, this one
    /// included.
    ///
    /// MUST be atomic: `n` hits made at once, by any number of processes that share the store,
    /// answer `n` different counts, so that exactly as many requests as the limit get through.
    /// MAY forget a window once it has ended.
    async fn hit(&self, key: &RateKey, window_start: i64, window: Duration) -> anyhow::Result<u64>;
}
