//! Accounts' tiers: what applies to each (the table with its overrides), and changing it, every
//! change recorded.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::Duration;
use soiree_kernel::{Clock, Tier, Timestamp, TtlCache, UserId};
use tracing::instrument;

use crate::limits::TierTable;
use crate::ports::{QuotaBook, TierBook};
use crate::quota::{Overrides, Standing};
use crate::report::{Usage, UsageReports};

/// How long an account's standing is reused before it is read again. A change made by this
/// process applies at once; one made by another process within this time.
const STANDING_TTL: Duration = Duration::seconds(5);
const CACHE_CAPACITY: usize = 100_000;

/// Who changed an account's tier or overrides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangedBy {
    /// The account itself (self-service, where the operator allows it).
    Account,
    /// An operator, through the operator API.
    Operator(UserId),
    /// The command line (`soiree provision-users`, run by whoever runs the server).
    CommandLine,
}

impl ChangedBy {
    /// A stable name for the record: `account`, `operator` or `command_line`.
    pub fn kind(&self) -> &'static str {
        match self {
            ChangedBy::Account => "account",
            ChangedBy::Operator(_) => "operator",
            ChangedBy::CommandLine => "command_line",
        }
    }
}

/// One recorded change of an account's tier or overrides.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TierChange {
    /// The account.
    pub user: UserId,
    /// Its tier before.
    pub from: Tier,
    /// Its tier after.
    pub to: Tier,
    /// Its overrides after.
    pub overrides: Overrides,
    /// Who made the change.
    pub by: ChangedBy,
    /// Why, in the changer's words.
    pub reason: Option<String>,
    /// When.
    pub at: Timestamp,
}

impl TierChange {
    /// Whether the tier went down (Free is the lowest, VIP the highest).
    pub fn is_downgrade(&self) -> bool {
        rank(self.to) < rank(self.from)
    }
}

fn rank(tier: Tier) -> u8 {
    match tier {
        Tier::Free => 0,
        Tier::Premium => 1,
        Tier::Enterprise => 2,
        Tier::Vip => 3,
    }
}

/// Why a tier could not be changed.
#[derive(Debug, thiserror::Error)]
pub enum ChangeTierError {
    /// No such account.
    #[error("no account has this id")]
    UnknownAccount,
    /// The operator has not allowed people to choose their own tier.
    #[error("this server does not let people choose their own tier; ask the operator to change it")]
    SelfServiceClosed,
    /// Storage failed.
    #[error(transparent)]
    Unknown(#[from] anyhow::Error),
}

/// Why an account's standing could not be read.
#[derive(Debug, thiserror::Error)]
pub enum StandingError {
    /// No such account.
    #[error("no account has this id")]
    UnknownAccount,
    /// Storage failed.
    #[error(transparent)]
    Unknown(#[from] anyhow::Error),
}

/// An account's standing with what it uses and how it came to be, as the account and operators
/// see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Overview {
    /// What applies.
    pub standing: Standing,
    /// What is used of it now.
    pub usage: Usage,
    /// The latest changes first, at most twenty.
    pub changes: Vec<TierChange>,
}

/// Tiers and what they allow.
#[derive(Debug)]
pub struct TiersService {
    table: TierTable,
    book: Arc<dyn TierBook>,
    reports: Arc<dyn UsageReports>,
    clock: Arc<dyn Clock>,
    standings: TtlCache<UserId, Standing>,
}

impl TiersService {
    /// Wires the service.
    pub fn new(
        table: TierTable,
        book: Arc<dyn TierBook>,
        reports: Arc<dyn UsageReports>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            table,
            book,
            reports,
            clock,
            standings: TtlCache::new(STANDING_TTL, CACHE_CAPACITY),
        }
    }

    /// The tier table in force.
    pub fn table(&self) -> &TierTable {
        &self.table
    }

    /// What applies to an account now.
    pub async fn standing_of(&self, user: UserId) -> Result<Standing, StandingError> {
        let now = self.clock.now();
        if let Some(standing) = self.standings.get(&user, now) {
            return Ok(standing);
        }
        let (tier, overrides) = self
            .book
            .assignment(user)
            .await?
            .ok_or(StandingError::UnknownAccount)?;
        let standing = self.compose(tier, overrides);
        self.standings.insert(user, standing, now);
        Ok(standing)
    }

    fn compose(&self, tier: Tier, overrides: Overrides) -> Standing {
        Standing {
            tier,
            limits: overrides.apply(self.table.tier(tier)),
            overrides,
        }
    }

    /// Moves an account to another tier. An account may move itself only where the operator
    /// allows self-service. On a downgrade nothing is deleted: what is above the new quotas stays
    /// and nothing new of that kind can be made until it is under them again. Setting the tier
    /// an account already has changes and records nothing.
    #[instrument(skip_all, fields(user = %user, to = %to, by = by.kind()))]
    pub async fn change_tier(
        &self,
        user: UserId,
        to: Tier,
        by: ChangedBy,
        reason: Option<String>,
    ) -> Result<Standing, ChangeTierError> {
        if by == ChangedBy::Account && !self.table.self_service {
            return Err(ChangeTierError::SelfServiceClosed);
        }
        let (from, overrides) = self
            .book
            .assignment(user)
            .await?
            .ok_or(ChangeTierError::UnknownAccount)?;
        if from != to {
            self.record(user, from, to, overrides, by, reason).await?;
        }
        Ok(self.compose(to, overrides))
    }

    /// Replaces an account's overrides (an operator's or the command line's decision).
    #[instrument(skip_all, fields(user = %user, by = by.kind()))]
    pub async fn set_overrides(
        &self,
        user: UserId,
        overrides: Overrides,
        by: ChangedBy,
        reason: Option<String>,
    ) -> Result<Standing, ChangeTierError> {
        if by == ChangedBy::Account {
            return Err(ChangeTierError::SelfServiceClosed);
        }
        let (tier, before) = self
            .book
            .assignment(user)
            .await?
            .ok_or(ChangeTierError::UnknownAccount)?;
        if before != overrides {
            self.record(user, tier, tier, overrides, by, reason).await?;
        }
        Ok(self.compose(tier, overrides))
    }

    async fn record(
        &self,
        user: UserId,
        from: Tier,
        to: Tier,
        overrides: Overrides,
        by: ChangedBy,
        reason: Option<String>,
    ) -> Result<(), ChangeTierError> {
        let change = TierChange {
            user,
            from,
            to,
            overrides,
            by,
            reason,
            at: self.clock.now(),
        };
        if !self.book.record(&change).await? {
            return Err(ChangeTierError::UnknownAccount);
        }
        self.standings.remove(&user);
        tracing::info!(
            from = %from,
            downgrade = change.is_downgrade(),
            overrides = %overrides,
            "tier changed"
        );
        Ok(())
    }

    /// An account's standing, what it uses, and its latest changes.
    pub async fn overview(&self, user: UserId) -> Result<Overview, StandingError> {
        let standing = self.standing_of(user).await?;
        let usage = self.reports.usage(user).await?;
        let changes = self.book.changes(user, 20).await?;
        Ok(Overview {
            standing,
            usage,
            changes,
        })
    }

    /// An account's recorded changes, the latest first.
    pub async fn history(&self, user: UserId, limit: u32) -> anyhow::Result<Vec<TierChange>> {
        self.book.changes(user, limit).await
    }
}

#[async_trait]
impl QuotaBook for TiersService {
    async fn standing(&self, user: UserId) -> anyhow::Result<Standing> {
        match self.standing_of(user).await {
            Ok(standing) => Ok(standing),
            Err(StandingError::UnknownAccount) => {
                Ok(self.compose(Tier::Free, Overrides::default()))
            }
            Err(StandingError::Unknown(error)) => Err(error),
        }
    }
}

#[cfg(test)]
#[path = "service_tests.rs"]
mod tests;
