//! The sync's use cases: run what is due, ask for a run now, show where a person's sync stands.

use std::sync::Arc;

use chrono::TimeDelta;
use futures_util::StreamExt as _;
use soiree_kernel::{Clock, UserId};

use crate::model::{
    FullRead, Marker, Outcome, PageFailure, RunProgress, RunResult, SyncMode, SyncPreferences,
    SyncState, SyncStatus,
};
use crate::ports::{LikesLibrary, LikesSource, SyncRepository};
use crate::rules::{next_run_after, take_new};

/// How the sync runs.
#[derive(Debug, Clone)]
pub struct SyncConfig {
    /// How often each person is synced (`SOIREE_SYNC_INTERVAL`, 30 minutes).
    pub interval: TimeDelta,
    /// How often a run reads everything, to notice unlikes (a week).
    pub full_every: TimeDelta,
    /// The longest rate-limit wait honoured as asked; a longer `Retry-After` is cut to this.
    pub longest_wait: TimeDelta,
    /// How long a claimed run is held without a word from its process (then another takes it).
    pub lease: TimeDelta,
    /// How many people one pass takes at most.
    pub per_pass: u32,
    /// How many of them are synced at the same time.
    pub at_once: usize,
    /// How many runs are shown with the status.
    pub runs_shown: u32,
}

impl Default for SyncConfig {
    fn default() -> Self {
        Self {
            interval: TimeDelta::minutes(30),
            full_every: TimeDelta::days(7),
            longest_wait: TimeDelta::hours(6),
            lease: TimeDelta::minutes(2),
            per_pass: 16,
            at_once: 4,
            runs_shown: 10,
        }
    }
}

/// The sync over its ports.
#[derive(Debug)]
pub struct SyncService {
    likes: Arc<dyn LikesSource>,
    store: Arc<dyn SyncRepository>,
    library: Arc<dyn LikesLibrary>,
    clock: Arc<dyn Clock>,
    config: SyncConfig,
    holder: String,
}

/// Why preferences were refused.
#[derive(Debug, thiserror::Error)]
pub enum PreferencesError {
    /// More often than the server syncs.
    #[error("the sync cannot run more often than every {least} minutes on this server")]
    TooOften {
        /// The shortest interval, in minutes.
        least: u32,
    },
    /// Less often than once a week, or full reads further apart than 90 days.
    #[error("sync at least once a week (10080 minutes), full reads at least every 90 days")]
    TooRare,
    /// Storage failed.
    #[error(transparent)]
    Unknown(#[from] anyhow::Error),
}

/// The longest interval a person may choose (a week), in minutes.
const RAREST_MINUTES: u32 = 7 * 24 * 60;

/// The longest period between full reads a person may choose, in days.
const RAREST_FULL_DAYS: u32 = 90;

/// How a run's reading ended: likes removed and the outcome, to record; or `None` when it
/// paused (rate limit) or lost its lease, with nothing more to do now.
type Read = Option<(u32, Outcome)>;

impl SyncService {
    /// Wires the service. `holder` names this process in leases (unique per process).
    pub fn new(
        likes: Arc<dyn LikesSource>,
        store: Arc<dyn SyncRepository>,
        library: Arc<dyn LikesLibrary>,
        clock: Arc<dyn Clock>,
        config: SyncConfig,
        holder: impl Into<String>,
    ) -> Self {
        Self {
            likes,
            store,
            library,
            clock,
            config,
            holder: holder.into(),
        }
    }

    /// The configuration.
    pub fn config(&self) -> &SyncConfig {
        &self.config
    }

    /// Enrols people newly connected, then runs what is due (each claimed run to its end or its
    /// pause); how many runs it took up.
    pub async fn run_due(&self) -> anyhow::Result<usize> {
        let now = self.clock.now();
        self.store
            .enrol_connected(now, self.config.interval)
            .await?;
        let claimed = self
            .store
            .claim_due(now, &self.holder, self.config.lease, self.config.per_pass)
            .await?;
        let count = claimed.len();
        // A few people at a time, so that one long first sync does not hold the others.
        let released: Vec<anyhow::Result<()>> = futures_util::stream::iter(claimed)
            .map(|state| async move {
                let key = state.key.clone();
                match self.advance(state).await {
                    Ok(()) => Ok(()),
                    Err(error) => {
                        tracing::warn!(user = %key.user, service = %key.service, error = %format!("{error:#}"), "a sync run failed; it is tried again at its next turn");
                        self.store.release(&key, &self.holder).await
                    }
                }
            })
            .buffer_unordered(self.config.at_once.max(1))
            .collect()
            .await;
        released.into_iter().collect::<anyhow::Result<()>>()?;
        Ok(count)
    }

    /// Makes `user`'s sync due now (`full`: reading everything, to notice unlikes); how many
    /// services that is.
    pub async fn request_now(&self, user: UserId, full: bool) -> anyhow::Result<u64> {
        let now = self.clock.now();
        // A service connected a moment ago is enrolled now, not at the loop's next pass.
        self.store
            .enrol_connected(now, self.config.interval)
            .await?;
        self.store.request_now(user, now, full).await
    }

    /// `user`'s sync preferences.
    pub async fn preferences(&self, user: UserId) -> anyhow::Result<SyncPreferences> {
        self.store.preferences(user).await
    }

    /// Sets `user`'s sync preferences: an interval no shorter than the server's and at most a
    /// week, full reads at most 90 days apart. Their next run stays where it is; the ones after
    /// follow the new interval.
    pub async fn set_preferences(
        &self,
        user: UserId,
        preferences: SyncPreferences,
    ) -> Result<(), PreferencesError> {
        let least = self.least_minutes();
        if let Some(minutes) = preferences.every_minutes {
            if minutes < least {
                return Err(PreferencesError::TooOften { least });
            }
            if minutes > RAREST_MINUTES {
                return Err(PreferencesError::TooRare);
            }
        }
        if let FullRead::EveryDays(days) = preferences.full_read
            && !(1..=RAREST_FULL_DAYS).contains(&days)
        {
            return Err(PreferencesError::TooRare);
        }
        Ok(self.store.set_preferences(user, preferences).await?)
    }

    /// The server's interval in whole minutes (rounded up): the shortest a person may choose.
    pub fn least_minutes(&self) -> u32 {
        let seconds = self.config.interval.num_seconds().max(60);
        u32::try_from((seconds + 59) / 60).unwrap_or(u32::MAX)
    }

    /// Every like kept of `user`, by service (their data export).
    pub async fn likes(&self, user: UserId) -> anyhow::Result<Vec<(String, crate::model::Liked)>> {
        self.store.likes_of(user).await
    }

    /// Where `user`'s sync stands on each service, with the last runs.
    pub async fn status(&self, user: UserId) -> anyhow::Result<Vec<SyncStatus>> {
        let mut statuses = Vec::new();
        for state in self.store.states_of(user).await? {
            let runs = self
                .store
                .runs_of(&state.key, self.config.runs_shown)
                .await?;
            let likes = self.store.likes_count(&state.key).await?;
            statuses.push(SyncStatus { state, likes, runs });
        }
        statuses.sort_by(|a, b| a.state.key.service.cmp(&b.state.key.service));
        Ok(statuses)
    }

    /// Carries a claimed run on: starts it if none is under way, reads page after page (saving
    /// its place after each), and records it when it ends.
    async fn advance(&self, mut state: SyncState) -> anyhow::Result<()> {
        let now = self.clock.now();
        let preferences = self.store.preferences(state.key.user).await?;
        let mut run = match state.run.take() {
            Some(run) => run,
            None => {
                let full_every = match preferences.full_read {
                    FullRead::Default => Some(self.config.full_every),
                    FullRead::EveryDays(days) => Some(TimeDelta::days(i64::from(days))),
                    FullRead::WhenAsked => None,
                };
                let full = state.full_requested
                    || state.newest.is_none()
                    || state.last_full_at.is_none()
                    || full_every.is_some_and(|every| {
                        state.last_full_at.is_some_and(|at| at + every <= now)
                    });
                RunProgress::start(
                    if full {
                        SyncMode::Full
                    } else {
                        SyncMode::Incremental
                    },
                    now,
                )
            }
        };
        run.waiting_until = None;
        match self.read_pages(&mut state, &mut run).await? {
            None => Ok(()),
            Some((removed, outcome)) => {
                let interval = preferences
                    .every_minutes
                    .map_or(self.config.interval, |minutes| {
                        TimeDelta::minutes(i64::from(minutes))
                    })
                    .max(self.config.interval);
                self.record(state, run, removed, outcome, interval).await
            }
        }
    }

    async fn read_pages(
        &self,
        state: &mut SyncState,
        run: &mut RunProgress,
    ) -> anyhow::Result<Read> {
        let key = state.key.clone();
        loop {
            run.requests += 1;
            let page = match self.likes.page(&key, run.cursor.as_deref()).await {
                Ok(page) => page,
                Err(PageFailure::RateLimited { retry_after }) => {
                    let wait = TimeDelta::from_std(retry_after)
                        .unwrap_or(self.config.longest_wait)
                        .min(self.config.longest_wait)
                        .max(TimeDelta::seconds(1));
                    let until = self.clock.now() + wait;
                    run.rate_limit_waits += 1;
                    run.waiting_until = Some(until);
                    tracing::info!(user = %key.user, service = %key.service, wait_s = wait.num_seconds(), pages = run.pages, "sync paused by the service's rate limit; it resumes where it stopped");
                    state.next_run_at = until;
                    state.run = Some(run.clone());
                    if self.store.save(state, &self.holder, until).await? {
                        self.store.release(&key, &self.holder).await?;
                    }
                    return Ok(None);
                }
                Err(PageFailure::NeedsReconnect(reason)) => {
                    return Ok(Some((0, Outcome::Stopped(reason))));
                }
                Err(PageFailure::NotConnected) => {
                    let reason = "not connected any more".to_owned();
                    return Ok(Some((0, Outcome::Stopped(reason))));
                }
                Err(PageFailure::Unavailable(reason)) => {
                    return Ok(Some((0, Outcome::Failed(reason))));
                }
            };
            run.pages += 1;
            if run.newest.is_none() {
                run.newest = page.tracks.first().map(Marker::of);
            }
            let (fresh, reached_seen) = match run.mode {
                SyncMode::Incremental => take_new(&page.tracks, state.newest.as_ref()),
                SyncMode::Full => (page.tracks.len(), false),
            };
            let now = self.clock.now();
            let kept = self
                .store
                .keep_likes(&key, run.id, &page.tracks[..fresh], now)
                .await?;
            if !kept.is_empty() {
                self.library.arrived(key.user, &kept).await?;
                run.added += u32::try_from(kept.len()).unwrap_or(u32::MAX);
            }
            if reached_seen || page.next.is_none() || page.tracks.is_empty() {
                let removed = if run.mode == SyncMode::Full {
                    let gone = self.store.drop_unseen(&key, run.id).await?;
                    if !gone.is_empty() {
                        self.library.left(key.user, &gone).await?;
                    }
                    u32::try_from(gone.len()).unwrap_or(u32::MAX)
                } else {
                    0
                };
                return Ok(Some((removed, Outcome::Finished)));
            }
            run.cursor = page.next;
            state.run = Some(run.clone());
            if !self
                .store
                .save(state, &self.holder, now + self.config.lease)
                .await?
            {
                tracing::warn!(user = %key.user, service = %key.service, "a sync run's lease was lost; another process carries it on");
                return Ok(None);
            }
        }
    }

    async fn record(
        &self,
        mut state: SyncState,
        run: RunProgress,
        removed: u32,
        outcome: Outcome,
        interval: TimeDelta,
    ) -> anyhow::Result<()> {
        let now = self.clock.now();
        let result = RunResult {
            key: state.key.clone(),
            id: run.id,
            mode: run.mode,
            started_at: run.started_at,
            finished_at: now,
            pages: run.pages,
            requests: run.requests,
            added: run.added,
            removed,
            rate_limit_waits: run.rate_limit_waits,
            outcome: outcome.clone(),
        };
        state.run = None;
        state.next_run_at = next_run_after(state.next_run_at, interval, now);
        match &outcome {
            Outcome::Finished => {
                // A full read knows the newest like for sure (none, when nothing is liked); an
                // incremental one only when it found something.
                if run.newest.is_some() || run.mode == SyncMode::Full {
                    state.newest = run.newest;
                }
                if run.mode == SyncMode::Full {
                    state.last_full_at = Some(now);
                    state.full_requested = false;
                }
                state.stopped = None;
            }
            Outcome::Stopped(reason) => state.stopped = Some(reason.clone()),
            Outcome::Failed(_) => {}
        }
        tracing::info!(
            user = %state.key.user, service = %state.key.service, mode = run.mode.as_str(),
            outcome = outcome.as_str(), pages = run.pages, requests = run.requests,
            added = run.added, removed, "sync run ended"
        );
        self.store.finish(&state, &result, &self.holder).await
    }
}

#[cfg(test)]
#[path = "service_tests.rs"]
mod tests;
