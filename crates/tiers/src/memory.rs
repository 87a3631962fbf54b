//! In this process: counting for one server on the embedded default, and tiers for tests.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use async_trait::async_trait;

use soiree_kernel::{Tier, UserId};

use crate::ports::{RateCounter, TierBook};
use crate::quota::Overrides;
use crate::rate::RateKey;
use crate::service::TierChange;

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

/// One account's tier, overrides and recorded changes.
type Assignment = (Tier, Overrides, Vec<TierChange>);

/// Tiers kept in a map, for tests and embedders without a database.
#[derive(Debug, Default)]
pub struct InMemoryTierBook {
    accounts: Mutex<HashMap<UserId, Assignment>>,
}

impl InMemoryTierBook {
    /// Adds an account on `tier`.
    pub fn add(&self, user: UserId, tier: Tier) {
        self.accounts
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(user, (tier, Overrides::default(), Vec::new()));
    }
}

#[async_trait]
impl TierBook for InMemoryTierBook {
    async fn assignment(&self, user: UserId) -> anyhow::Result<Option<(Tier, Overrides)>> {
        let accounts = self.accounts.lock().unwrap_or_else(PoisonError::into_inner);
        Ok(accounts
            .get(&user)
            .map(|(tier, overrides, _)| (*tier, *overrides)))
    }

    async fn record(&self, change: &TierChange) -> anyhow::Result<bool> {
        let mut accounts = self.accounts.lock().unwrap_or_else(PoisonError::into_inner);
        let Some((tier, overrides, changes)) = accounts.get_mut(&change.user) else {
            return Ok(false);
        };
        *tier = change.to;
        *overrides = change.overrides;
        changes.push(change.clone());
        Ok(true)
    }

    async fn changes(&self, user: UserId, limit: u32) -> anyhow::Result<Vec<TierChange>> {
        let accounts = self.accounts.lock().unwrap_or_else(PoisonError::into_inner);
        Ok(accounts
            .get(&user)
            .map_or_else(Vec::new, |(_, _, changes)| {
                changes
                    .iter()
                    .rev()
                    .take(usize::try_from(limit).unwrap_or(usize::MAX))
                    .cloned()
                    .collect()
            }))
    }
}

/// Reports with nothing in use and no activity, for tests and embedders without a database.
#[derive(Debug, Default)]
pub struct NoUsage;

#[async_trait]
impl crate::report::UsageReports for NoUsage {
    async fn usage(&self, _user: UserId) -> anyhow::Result<crate::report::Usage> {
        Ok(crate::report::Usage::default())
    }

    async fn activity(
        &self,
        _since: soiree_kernel::Timestamp,
    ) -> anyhow::Result<crate::report::Activity> {
        Ok(crate::report::Activity::default())
    }

    async fn census(&self) -> anyhow::Result<crate::report::Census> {
        Ok(crate::report::Census {
            accounts_by_tier: Tier::ALL.iter().map(|tier| (*tier, 0)).collect(),
            rooms_open: 0,
        })
    }
}
