//! What an operator reads: who is near or over their limits (upgrade candidates), and the
//! server's activity over a period.

use async_trait::async_trait;
use soiree_kernel::{Tier, Timestamp, UserId};

use crate::limits::Limit;

/// Where a use stands against its limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum QuotaStatus {
    /// Below 80 % of the limit, or no limit.
    Fine,
    /// At 80 % or more, below the limit.
    Near,
    /// At the limit: nothing more of that kind.
    At,
    /// Above the limit (after a downgrade or a lowered override): what is there stays, nothing
    /// new until it is under.
    Over,
}

impl QuotaStatus {
    /// Where `used` stands against `limit`.
    pub fn of(limit: Limit, used: u64) -> Self {
        match limit {
            Limit::Unlimited => QuotaStatus::Fine,
            Limit::AtMost(most) if used > most => QuotaStatus::Over,
            Limit::AtMost(most) if used == most => QuotaStatus::At,
            // 80 % or more, in whole numbers: used * 5 >= most * 4.
            Limit::AtMost(most) if u128::from(used) * 5 >= u128::from(most) * 4 => {
                QuotaStatus::Near
            }
            Limit::AtMost(_) => QuotaStatus::Fine,
        }
    }

    /// A stable name: `fine`, `near`, `at`, `over`.
    pub fn as_str(self) -> &'static str {
        match self {
            QuotaStatus::Fine => "fine",
            QuotaStatus::Near => "near",
            QuotaStatus::At => "at",
            QuotaStatus::Over => "over",
        }
    }

    /// Whether someone standing here is worth offering a higher tier.
    pub fn suggests_upgrade(self) -> bool {
        self != QuotaStatus::Fine
    }
}

/// What an account uses now, of what its limits count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Usage {
    /// Rooms open with the account as host.
    pub open_rooms: u64,
    /// People in the account's fullest open room.
    pub fullest_room: u64,
    /// Playlists the account keeps.
    pub playlists: u64,
    /// Bytes of audio the account uploaded.
    pub storage_bytes: u64,
    /// API requests in the current hour's window, when the counts are shared (PostgreSQL);
    /// `None` when they live in the server process.
    pub api_requests_this_hour: Option<u64>,
}

/// The server's activity over a period.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Activity {
    /// Accounts per tier, now.
    pub accounts_by_tier: Vec<(Tier, u64)>,
    /// Operators, now.
    pub operators: u64,
    /// Accounts registered in the period.
    pub new_accounts: u64,
    /// Accounts with a session used in the period.
    pub active_accounts: u64,
    /// Rooms created in the period.
    pub rooms_created: u64,
    /// Rooms open now.
    pub rooms_open: u64,
    /// People who joined a room in the period (guests included).
    pub room_joins: u64,
    /// Votes cast or changed in the period.
    pub votes: u64,
    /// Provider connections now, per provider and status (`connected`, `needs_reconnect`, ...).
    pub connections: Vec<(String, String, u64)>,
    /// Failed logins in the period.
    pub failed_logins: u64,
    /// Tier changes in the period.
    pub tier_changes: u64,
    /// What was counted in the period, by name, for the whole server (token refreshes and
    /// connection attempts by provider and outcome, HTTP refusals and errors).
    pub counts: Vec<(String, u64)>,
    /// The accounts that met the most server errors (5xx) and refusals (4xx) in the period, at
    /// most ten: `(account, errors, refusals)`.
    pub errors_by_account: Vec<(UserId, u64, u64)>,
}

/// How many there are now: what a metrics scrape reads, in a few cheap statements.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Census {
    /// Accounts per tier (every tier, zero included).
    pub accounts_by_tier: Vec<(Tier, u64)>,
    /// Rooms open.
    pub rooms_open: u64,
}

/// Reads what the reports need.
#[async_trait]
pub trait UsageReports: Send + Sync + std::fmt::Debug {
    /// What `user` uses now.
    async fn usage(&self, user: UserId) -> anyhow::Result<Usage>;

    /// The server's activity since `since`.
    async fn activity(&self, since: Timestamp) -> anyhow::Result<Activity>;

    /// How many accounts (by tier) and open rooms there are now. It MUST be cheap (it is read at
    /// every metrics scrape): a grouped count and a count, no scan of votes or events.
    async fn census(&self) -> anyhow::Result<Census>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn where_a_use_stands() {
        let cases = [
            (Limit::AtMost(10), 0, QuotaStatus::Fine),
            (Limit::AtMost(10), 7, QuotaStatus::Fine),
            (Limit::AtMost(10), 8, QuotaStatus::Near),
            (Limit::AtMost(10), 10, QuotaStatus::At),
            (Limit::AtMost(10), 11, QuotaStatus::Over),
            (Limit::AtMost(3), 2, QuotaStatus::Fine),
            (Limit::AtMost(3), 3, QuotaStatus::At),
            (Limit::AtMost(0), 0, QuotaStatus::At),
            (Limit::AtMost(u64::MAX), u64::MAX - 1, QuotaStatus::Near),
            (Limit::Unlimited, u64::MAX, QuotaStatus::Fine),
        ];
        for (limit, used, status) in cases {
            assert_eq!(QuotaStatus::of(limit, used), status, "{used} of {limit}");
        }
        assert!(!QuotaStatus::Fine.suggests_upgrade());
        assert!(QuotaStatus::Over.suggests_upgrade());
    }
}
