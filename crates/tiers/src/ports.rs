//! The ports: the counter rate limits spend through, where tiers are kept, and what the
//! domains that spend quotas ask.

use std::time::Duration;

use async_trait::async_trait;

use soiree_kernel::{Tier, UserId};

use crate::quota::{Overrides, Standing};
use crate::rate::RateKey;
use crate::service::TierChange;

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

/// Where accounts' tiers, overrides and the record of their changes are kept.
#[async_trait]
pub trait TierBook: Send + Sync + std::fmt::Debug {
    /// The account's tier and overrides; `None` when there is no such account.
    async fn assignment(&self, user: UserId) -> anyhow::Result<Option<(Tier, Overrides)>>;

    /// Sets the account's tier and overrides to `change.to` and `change.overrides` and records
    /// the change, in one transaction. MUST answer `false`, changing nothing, when there is no
    /// such account.
    async fn record(&self, change: &TierChange) -> anyhow::Result<bool>;

    /// The account's recorded changes, the latest first, at most `limit`.
    async fn changes(&self, user: UserId, limit: u32) -> anyhow::Result<Vec<TierChange>>;
}

/// What the domains that spend a quota ask: the limits that apply to an account now.
#[async_trait]
pub trait QuotaBook: Send + Sync + std::fmt::Debug {
    /// The account's standing. MUST answer the tier table's Free limits for an account it does
    /// not know (so that a vanished account is never treated as unlimited).
    async fn standing(&self, user: UserId) -> anyhow::Result<Standing>;
}
