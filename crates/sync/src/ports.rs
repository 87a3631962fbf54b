//! What the sync needs from the outside world. The app implements [`LikesSource`] with the
//! connections' likes reader and [`LikesLibrary`] with the library; `soiree-storage` implements
//! [`SyncRepository`]; [`crate::memory`] holds in-process versions.

use async_trait::async_trait;
use chrono::TimeDelta;
use soiree_kernel::{Timestamp, UserId};

use crate::model::{
    Liked, LikesPage, PageFailure, PersonSync, RunId, RunResult, SyncKey, SyncPreferences,
    SyncState,
};

/// A person's likes on a service.
#[async_trait]
pub trait LikesSource: Send + Sync + std::fmt::Debug {
    /// The page of `key`'s likes at `cursor` (`None`: the newest), newest first. One call is
    /// one request to the service (or none, when the connection cannot give a token).
    async fn page(&self, key: &SyncKey, cursor: Option<&str>) -> Result<LikesPage, PageFailure>;
}

/// Where likes go: the person's library.
#[async_trait]
pub trait LikesLibrary: Send + Sync + std::fmt::Debug {
    /// New likes of `user`.
    async fn arrived(&self, user: UserId, likes: &[Liked]) -> anyhow::Result<()>;

    /// Likes `user` took back (their addresses).
    async fn left(&self, user: UserId, uris: &[String]) -> anyhow::Result<()>;
}

/// The sync's state, likes and runs.
#[async_trait]
pub trait SyncRepository: Send + Sync + std::fmt::Debug {
    /// Makes a state for every connected person and service that has none, due at `at` plus
    /// its [`crate::spread_offset`] in `interval`; how many it made. MUST make at most one per
    /// key, whatever the number of processes doing it at once.
    async fn enrol_connected(&self, at: Timestamp, interval: TimeDelta) -> anyhow::Result<u64>;

    /// Up to `limit` states due at `now` (their `next_run_at` passed) that no live lease holds,
    /// each now leased to `holder` until `now + lease`. MUST hand each state to one holder at a
    /// time, whatever the number of processes claiming at once (`FOR UPDATE SKIP LOCKED`), and
    /// give a state whose lease expired (its holder died) to the next claimer.
    async fn claim_due(
        &self,
        now: Timestamp,
        holder: &str,
        lease: TimeDelta,
        limit: u32,
    ) -> anyhow::Result<Vec<SyncState>>;

    /// Saves a run's place (and a paused run's `next_run_at`), renewing the lease until
    /// `lease_until`; `false` when `holder` no longer holds it (the run must stop).
    async fn save(
        &self,
        state: &SyncState,
        holder: &str,
        lease_until: Timestamp,
    ) -> anyhow::Result<bool>;

    /// Gives the lease up (the state stays as saved).
    async fn release(&self, key: &SyncKey, holder: &str) -> anyhow::Result<()>;

    /// Keeps a page's likes, each marked as seen by `run`: returns the ones `key` did not have
    /// (a few statements per page, not one per like). A like kept already takes the download
    /// address the page gives it, if it had none.
    async fn keep_likes(
        &self,
        key: &SyncKey,
        run: RunId,
        likes: &[Liked],
        at: Timestamp,
    ) -> anyhow::Result<Vec<Liked>>;

    /// Removes `key`'s likes that `run` did not see (a full read is over): their addresses.
    async fn drop_unseen(&self, key: &SyncKey, run: RunId) -> anyhow::Result<Vec<String>>;

    /// Ends a run: stores `state` (no run under way), records `result`, releases the lease; in
    /// one step.
    async fn finish(
        &self,
        state: &SyncState,
        result: &RunResult,
        holder: &str,
    ) -> anyhow::Result<()>;

    /// Makes `user`'s states due at `now` (and, with `full`, their next run a full read), and
    /// starts their sync again if it stopped; how many. A run waiting out a rate limit keeps
    /// waiting.
    async fn request_now(&self, user: UserId, now: Timestamp, full: bool) -> anyhow::Result<u64>;

    /// `user`'s states.
    async fn states_of(&self, user: UserId) -> anyhow::Result<Vec<SyncState>>;

    /// `key`'s last `limit` runs, newest first.
    async fn runs_of(&self, key: &SyncKey, limit: u32) -> anyhow::Result<Vec<RunResult>>;

    /// How many likes `key` has kept.
    async fn likes_count(&self, key: &SyncKey) -> anyhow::Result<u64>;

    /// The runs that ended at or after `since`, summed per person (one query).
    async fn activity(&self, since: Timestamp) -> anyhow::Result<Vec<PersonSync>>;

    /// Every like kept of `user`, by service, newest first (their data export).
    async fn likes_of(&self, user: UserId) -> anyhow::Result<Vec<(String, Liked)>>;

    /// `user`'s preferences (the defaults when they set none).
    async fn preferences(&self, user: UserId) -> anyhow::Result<SyncPreferences>;

    /// Stores `user`'s preferences, leaving their other settings as they are.
    async fn set_preferences(
        &self,
        user: UserId,
        preferences: SyncPreferences,
    ) -> anyhow::Result<()>;
}
