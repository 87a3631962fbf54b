//! What people see of the room's tracks: names, artists, artwork, stored once per track and
//! shared by every room, page and event.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::Duration;
use soiree_kernel::{Clock, TrackInfo, TrackRef, TtlCache};

use crate::ports::TrackDetails;

/// How long known details are kept in memory (they do not change).
const KNOWN_FOR: Duration = Duration::minutes(30);
/// How many tracks are kept in memory at most.
const CAPACITY: usize = 100_000;

/// Details of tracks, from memory when they were read recently, else from storage.
#[derive(Debug)]
pub struct TrackDirectory {
    store: Arc<dyn TrackDetails>,
    clock: Arc<dyn Clock>,
    known: TtlCache<TrackRef, TrackInfo>,
}

impl TrackDirectory {
    /// A directory over `store`.
    pub fn new(store: Arc<dyn TrackDetails>, clock: Arc<dyn Clock>) -> Self {
        Self {
            store,
            clock,
            known: TtlCache::new(KNOWN_FOR, CAPACITY),
        }
    }

    /// The details known of `tracks` (tracks nobody described yet are left out).
    pub async fn get(&self, tracks: &[TrackRef]) -> anyhow::Result<HashMap<TrackRef, TrackInfo>> {
        let now = self.clock.now();
        let mut found = HashMap::new();
        let mut missing = Vec::new();
        for track in tracks {
            match self.known.get(track, now) {
                Some(info) => {
                    found.insert(track.clone(), info);
                }
                None if !missing.contains(track) => missing.push(track.clone()),
                None => {}
            }
        }
        if !missing.is_empty() {
            for info in self.store.details(&missing).await? {
                self.known.insert(info.track.clone(), info.clone(), now);
                found.insert(info.track.clone(), info);
            }
        }
        Ok(found)
    }

    /// Whether `track` has been described.
    pub async fn knows(&self, track: &TrackRef) -> anyhow::Result<bool> {
        Ok(self
            .get(std::slice::from_ref(track))
            .await?
            .contains_key(track))
    }

    /// Stores what a provider said of tracks.
    pub async fn remember(&self, details: &[TrackInfo]) -> anyhow::Result<()> {
        if details.is_empty() {
            return Ok(());
        }
        self.store.remember(details).await?;
        let now = self.clock.now();
        for info in details {
            self.known.insert(info.track.clone(), info.clone(), now);
        }
        Ok(())
    }
}
