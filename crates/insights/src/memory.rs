//! In-process [`ListeningRecord`], [`Tastes`] and [`RecommendationSwitch`], for tests, examples
//! and embedders: one store of signals per person.

use std::collections::{BTreeMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use async_trait::async_trait;
use soiree_kernel::UserId;

use crate::model::{Heard, RoomsSummary, Signal, SignalKind, Taste};
use crate::ports::{ListeningRecord, RecommendationSwitch, Tastes};

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

#[derive(Debug, Default)]
struct Stored {
    signals: BTreeMap<UserId, Vec<Signal>>,
    rooms: BTreeMap<UserId, RoomsSummary>,
    switched_off: HashSet<UserId>,
}

/// Signals, rooms and switches in memory. Cloning shares them.
#[derive(Debug, Default, Clone)]
pub struct InMemoryInsights {
    stored: Arc<Mutex<Stored>>,
}

impl InMemoryInsights {
    /// Records that `user` did `signal`.
    pub fn record(&self, user: UserId, signal: Signal) {
        lock(&self.stored)
            .signals
            .entry(user)
            .or_default()
            .push(signal);
    }

    /// Sets `user`'s rooms.
    pub fn set_rooms(&self, user: UserId, rooms: RoomsSummary) {
        lock(&self.stored).rooms.insert(user, rooms);
    }
}

fn taste(signals: &[Signal]) -> Vec<Heard> {
    let mut seen = HashSet::new();
    signals
        .iter()
        .filter(|signal| matches!(signal.kind, SignalKind::Liked | SignalKind::VotedUp))
        .filter(|signal| seen.insert(signal.track.uri.clone()))
        .map(|signal| signal.track.clone())
        .collect()
}

#[async_trait]
impl ListeningRecord for InMemoryInsights {
    async fn signals(&self, user: UserId) -> anyhow::Result<Vec<Signal>> {
        Ok(lock(&self.stored)
            .signals
            .get(&user)
            .cloned()
            .unwrap_or_default())
    }

    async fn rooms(&self, user: UserId, recent: u32) -> anyhow::Result<RoomsSummary> {
        let mut rooms = lock(&self.stored)
            .rooms
            .get(&user)
            .cloned()
            .unwrap_or_default();
        rooms
            .recent
            .truncate(usize::try_from(recent).unwrap_or(usize::MAX));
        Ok(rooms)
    }
}

#[async_trait]
impl Tastes for InMemoryInsights {
    async fn taste_of(&self, user: UserId) -> anyhow::Result<Vec<Heard>> {
        Ok(taste(
            lock(&self.stored)
                .signals
                .get(&user)
                .map_or(&[][..], Vec::as_slice),
        ))
    }

    async fn neighbours(&self, user: UserId, limit: u32) -> anyhow::Result<Vec<Taste>> {
        let stored = lock(&self.stored);
        let mine: HashSet<String> = stored
            .signals
            .get(&user)
            .map(|signals| taste(signals).into_iter().map(|track| track.uri).collect())
            .unwrap_or_default();
        let mut found: Vec<(usize, Taste)> = stored
            .signals
            .iter()
            .filter(|(person, _)| **person != user && !stored.switched_off.contains(*person))
            .map(|(_, signals)| Taste {
                uris: taste(signals).into_iter().map(|track| track.uri).collect(),
            })
            .map(|taste| {
                let shared = taste.uris.iter().filter(|uri| mine.contains(*uri)).count();
                (shared, taste)
            })
            .filter(|(shared, _)| *shared > 0)
            .collect();
        found.sort_by_key(|(shared, _)| std::cmp::Reverse(*shared));
        found.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
        Ok(found.into_iter().map(|(_, taste)| taste).collect())
    }

    async fn describe(&self, uris: &[String]) -> anyhow::Result<Vec<Heard>> {
        let stored = lock(&self.stored);
        let mut found: Vec<Heard> = Vec::new();
        for uri in uris {
            let known = stored
                .signals
                .values()
                .flatten()
                .find(|signal| signal.track.uri == *uri);
            if let Some(signal) = known {
                found.push(signal.track.clone());
            }
        }
        Ok(found)
    }
}

#[async_trait]
impl RecommendationSwitch for InMemoryInsights {
    async fn is_on(&self, user: UserId) -> anyhow::Result<bool> {
        Ok(!lock(&self.stored).switched_off.contains(&user))
    }

    async fn set(&self, user: UserId, on: bool) -> anyhow::Result<()> {
        let mut stored = lock(&self.stored);
        if on {
            stored.switched_off.remove(&user);
        } else {
            stored.switched_off.insert(user);
        }
        Ok(())
    }
}
