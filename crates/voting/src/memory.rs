//! An in-process [`VoteRepository`], for tests, examples and embedders.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use async_trait::async_trait;
use soiree_kernel::{Timestamp, TrackRef};
use soiree_rooms::{ParticipantId, RoomId, TrackState};

use crate::model::{QueueEntry, RoomTrack, Tally, Vote, order_queue};
use crate::ports::VoteRepository;

#[derive(Debug, Default)]
struct State {
    /// Gives arrivals and readiness a total order, even at one instant.
    counter: u64,
    tracks: HashMap<(RoomId, TrackRef), QueueEntry>,
    votes: HashMap<(RoomId, TrackRef), HashMap<ParticipantId, Vote>>,
    skips: HashMap<(RoomId, TrackRef), HashSet<ParticipantId>>,
}

/// Votes and room tracks in memory. Cloning shares the store.
#[derive(Debug, Default, Clone)]
pub struct InMemoryVotes {
    state: Arc<Mutex<State>>,
}

impl InMemoryVotes {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

fn tally(votes: Option<&HashMap<ParticipantId, Vote>>) -> Tally {
    votes
        .into_iter()
        .flatten()
        .fold(Tally::default(), |tally, (_, vote)| match vote {
            Vote::Like => Tally {
                likes: tally.likes + 1,
                ..tally
            },
            Vote::Dislike => Tally {
                dislikes: tally.dislikes + 1,
                ..tally
            },
        })
}

#[async_trait]
impl VoteRepository for InMemoryVotes {
    async fn cast(
        &self,
        room: RoomId,
        participant: ParticipantId,
        track: &TrackRef,
        vote: Vote,
        _at: Timestamp,
    ) -> anyhow::Result<Tally> {
        let mut state = self.lock();
        let key = (room, track.clone());
        if !state.tracks.contains_key(&key) {
            state.counter += 1;
            let arrived = state.counter;
            let entry = RoomTrack {
                track: track.clone(),
                state: TrackState::Candidate,
                tally: Tally::default(),
                ready_at: None,
                added_by: Some(participant),
            };
            state.tracks.insert(
                key.clone(),
                QueueEntry {
                    track: entry,
                    arrived: arrived as i64,
                    ready_order: None,
                },
            );
        }
        state
            .votes
            .entry(key.clone())
            .or_default()
            .insert(participant, vote);
        let counted = tally(state.votes.get(&key));
        if let Some(entry) = state.tracks.get_mut(&key) {
            entry.track.tally = counted;
        }
        Ok(counted)
    }

    async fn retract(
        &self,
        room: RoomId,
        participant: ParticipantId,
        track: &TrackRef,
    ) -> anyhow::Result<Option<Tally>> {
        let mut state = self.lock();
        let key = (room, track.clone());
        let removed = state
            .votes
            .get_mut(&key)
            .and_then(|votes| votes.remove(&participant));
        if removed.is_none() {
            return Ok(None);
        }
        let counted = tally(state.votes.get(&key));
        if let Some(entry) = state.tracks.get_mut(&key) {
            entry.track.tally = counted;
        }
        Ok(Some(counted))
    }

    async fn transition(
        &self,
        room: RoomId,
        track: &TrackRef,
        from: TrackState,
        to: TrackState,
        at: Timestamp,
    ) -> anyhow::Result<bool> {
        let mut state = self.lock();
        state.counter += 1;
        let order = state.counter;
        match state.tracks.get_mut(&(room, track.clone())) {
            Some(entry) if entry.track.state == from => {
                entry.track.state = to;
                if to == TrackState::Ready {
                    entry.track.ready_at = Some(at);
                    entry.ready_order = Some(order as i64);
                }
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    async fn track(&self, room: RoomId, track: &TrackRef) -> anyhow::Result<Option<RoomTrack>> {
        Ok(self
            .lock()
            .tracks
            .get(&(room, track.clone()))
            .map(|entry| entry.track.clone()))
    }

    async fn queue(&self, room: RoomId) -> anyhow::Result<Vec<RoomTrack>> {
        let state = self.lock();
        let entries = state
            .tracks
            .iter()
            .filter(|((owner, _), _)| *owner == room)
            .map(|(_, entry)| entry.clone())
            .collect();
        Ok(order_queue(entries))
    }

    async fn cast_skip(
        &self,
        room: RoomId,
        participant: ParticipantId,
        track: &TrackRef,
    ) -> anyhow::Result<u32> {
        let mut state = self.lock();
        let skips = state.skips.entry((room, track.clone())).or_default();
        skips.insert(participant);
        Ok(u32::try_from(skips.len()).unwrap_or(u32::MAX))
    }
}
