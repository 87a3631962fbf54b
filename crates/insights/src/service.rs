//! The use cases: a person's insights, their recommendations, their switch.

use std::collections::HashMap;
use std::sync::Arc;

use soiree_kernel::{Clock, UserId};

use crate::model::{Heard, Insights, Recommendation};
use crate::ports::{ListeningRecord, RecommendationSwitch, Tastes};
use crate::rules::{recommend, summarize};

/// How much insights show.
#[derive(Debug, Clone)]
pub struct InsightsConfig {
    /// How many weeks of history (12).
    pub weeks: usize,
    /// How many top artists and tracks (10).
    pub top: usize,
    /// How many recent rooms (10).
    pub recent_rooms: u32,
    /// How many other people's tastes a recommendation weighs at most (200).
    pub neighbours: u32,
}

impl Default for InsightsConfig {
    fn default() -> Self {
        Self {
            weeks: 12,
            top: 10,
            recent_rooms: 10,
            neighbours: 200,
        }
    }
}

/// Why insights could not be made.
#[derive(Debug, thiserror::Error)]
pub enum InsightsError {
    /// Storage failed.
    #[error(transparent)]
    Unknown(#[from] anyhow::Error),
}

/// Why there are no recommendations.
#[derive(Debug, thiserror::Error)]
pub enum RecommendError {
    /// The person switched recommendations off.
    #[error("recommendations are switched off in your settings")]
    SwitchedOff,
    /// Storage failed.
    #[error(transparent)]
    Unknown(#[from] anyhow::Error),
}

/// Why the switch could not be changed.
#[derive(Debug, thiserror::Error)]
pub enum SwitchError {
    /// Storage failed.
    #[error(transparent)]
    Unknown(#[from] anyhow::Error),
}

/// Insights and recommendations over their ports.
#[derive(Debug)]
pub struct InsightsService {
    record: Arc<dyn ListeningRecord>,
    tastes: Arc<dyn Tastes>,
    switch: Arc<dyn RecommendationSwitch>,
    clock: Arc<dyn Clock>,
    config: InsightsConfig,
}

impl InsightsService {
    /// Wires the service.
    pub fn new(
        record: Arc<dyn ListeningRecord>,
        tastes: Arc<dyn Tastes>,
        switch: Arc<dyn RecommendationSwitch>,
        clock: Arc<dyn Clock>,
        config: InsightsConfig,
    ) -> Self {
        Self {
            record,
            tastes,
            switch,
            clock,
            config,
        }
    }

    /// `user`'s insights: totals, top artists and tracks, the last weeks, rooms.
    pub async fn insights(&self, user: UserId) -> Result<Insights, InsightsError> {
        let signals = self.record.signals(user).await?;
        let (totals, top_artists, top_tracks, weeks) = summarize(
            &signals,
            self.clock.now(),
            self.config.weeks,
            self.config.top,
        );
        let rooms = self.record.rooms(user, self.config.recent_rooms).await?;
        Ok(Insights {
            totals,
            top_artists,
            top_tracks,
            weeks,
            rooms,
        })
    }

    /// Up to `limit` tracks for `user`, each with its reason; refused when they switched
    /// recommendations off.
    pub async fn recommendations(
        &self,
        user: UserId,
        limit: usize,
    ) -> Result<Vec<Recommendation>, RecommendError> {
        self.recommendations_where(user, limit, &|_| true).await
    }

    /// Up to `limit` of `user`'s recommendations whose address `fits` (a room takes only what
    /// its host's service plays and what it has not queued yet), best first.
    pub async fn recommendations_where(
        &self,
        user: UserId,
        limit: usize,
        fits: &(dyn Fn(&str) -> bool + Sync),
    ) -> Result<Vec<Recommendation>, RecommendError> {
        if !self.switch.is_on(user).await? {
            return Err(RecommendError::SwitchedOff);
        }
        let mine = self.tastes.taste_of(user).await?;
        if mine.is_empty() {
            return Ok(Vec::new());
        }
        let others = self.tastes.neighbours(user, self.config.neighbours).await?;
        let chosen = recommend(&mine, &others, limit, fits);
        let uris: Vec<String> = chosen.iter().map(|found| found.uri.clone()).collect();
        let described: HashMap<String, Heard> = self
            .tastes
            .describe(&uris)
            .await?
            .into_iter()
            .map(|track| (track.uri.clone(), track))
            .collect();
        Ok(chosen
            .into_iter()
            .map(|found| Recommendation {
                track: described.get(&found.uri).cloned().unwrap_or_else(|| Heard {
                    title: found.uri.clone(),
                    uri: found.uri,
                    artists: Vec::new(),
                }),
                people: found.people,
                because: found.because,
            })
            .collect())
    }

    /// Whether `user` takes part in recommendations.
    pub async fn recommendations_on(&self, user: UserId) -> Result<bool, SwitchError> {
        Ok(self.switch.is_on(user).await?)
    }

    /// Turns `user`'s recommendations on or off (off also keeps their taste out of others').
    pub async fn switch_recommendations(&self, user: UserId, on: bool) -> Result<(), SwitchError> {
        Ok(self.switch.set(user, on).await?)
    }
}

#[cfg(test)]
#[path = "service_tests.rs"]
mod tests;
