//! Scheduled work that must run once per period across every process sharing a database, and
//! the sweeping of what has outlived its use.

use std::time::Duration;

use async_trait::async_trait;

use crate::clock::Timestamp;

/// Claims of scheduled jobs.
#[async_trait]
pub trait JobSchedule: Send + Sync + std::fmt::Debug {
    /// Claims the run of `job` that is due at `now`, for `holder`, and makes the job due again
    /// `every` later. MUST answer `true` to exactly one caller per due run, however many
    /// processes ask at once; a job never seen before is due at once.
    async fn claim(
        &self,
        job: &str,
        holder: &str,
        now: Timestamp,
        every: Duration,
    ) -> anyhow::Result<bool>;

    /// Records how a claimed run ended (`outcome`: a short sentence).
    async fn finished(&self, job: &str, at: Timestamp, outcome: &str) -> anyhow::Result<()>;
}

/// How long what has outlived its use is kept before it is swept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    /// Sessions after they expired or were revoked.
    pub sessions: Duration,
    /// Failed logins (the throttle looks at the last hour).
    pub login_failures: Duration,
    /// Rooms after their host closed them, with their participants, votes and events.
    pub closed_rooms: Duration,
    /// Entries of an account's security log.
    pub security_events: Duration,
}

impl Default for Retention {
    fn default() -> Self {
        const DAY: u64 = 86_400;
        Self {
            sessions: Duration::from_secs(7 * DAY),
            login_failures: Duration::from_secs(DAY),
            closed_rooms: Duration::from_secs(30 * DAY),
            security_events: Duration::from_secs(365 * DAY),
        }
    }
}

/// What a sweep removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Swept {
    /// Sessions.
    pub sessions: u64,
    /// OAuth authorizations used or expired.
    pub oauth_states: u64,
    /// Failed logins.
    pub login_failures: u64,
    /// Closed rooms.
    pub closed_rooms: u64,
    /// Ended rate-limit windows.
    pub rate_windows: u64,
    /// Security-log entries past their retention, and logins that never got their second step.
    pub security_events: u64,
}

/// Removes what has outlived its use.
#[async_trait]
pub trait Housekeeping: Send + Sync + std::fmt::Debug {
    /// Removes, as of `now`, what `retention` no longer keeps; spent OAuth states and ended
    /// rate windows at once. MUST be safe to run in several processes at once.
    async fn sweep(&self, retention: &Retention, now: Timestamp) -> anyhow::Result<Swept>;
}

/// Counts of things that happen, per day, for the operator's reports (token refreshes by
/// outcome, connection attempts, errors per account).
#[async_trait]
pub trait Tally: Send + Sync + std::fmt::Debug {
    /// Adds one to `name` for `subject` (an account id, or `""` for the whole server) on the UTC
    /// day of `at`. MUST be atomic: many adds at once, from any number of processes, all count.
    async fn add(&self, name: &str, subject: &str, at: Timestamp) -> anyhow::Result<()>;
}
