//! In-process [`VoteRepository`], [`PlayerLeases`], [`TrackDetails`] and [`PlayedTracks`], for
//! tests, examples and embedders.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use async_trait::async_trait;
use soiree_kernel::{Timestamp, TrackInfo, TrackRef, UserId};
use soiree_rooms::memory::InMemoryRooms;
use soiree_rooms::{ParticipantId, RoomId, TrackState};

use crate::ballot::{Ballot, Recorded, Standing, Vote, VoteOutcome, count};
use crate::player::LoopMemory;
use crate::ports::{PlayedTracks, PlayerLeases, RecordBallotError, TrackDetails, VoteRepository};
use crate::queue::{QueueEntry, RoomTrack, order_queue};

#[derive(Debug, Default, Clone)]
struct Lease {
    holder: Option<String>,
    expires_at: Option<Timestamp>,
    memory: LoopMemory,
    next_look: Option<Timestamp>,
    woken: bool,
}

#[derive(Debug, Default)]
struct State {
    /// Gives arrivals and readiness a total order, even at one instant.
    counter: u64,
    tracks: HashMap<(RoomId, TrackRef), QueueEntry>,
    votes: HashMap<(RoomId, TrackRef, ParticipantId), Vote>,
    skips: HashMap<(RoomId, TrackRef), HashSet<ParticipantId>>,
    leases: HashMap<RoomId, Lease>,
}

impl State {
    fn wake(&mut self, room: RoomId, at: Timestamp) {
        let lease = self.leases.entry(room).or_default();
        lease.woken = true;
        lease.next_look = Some(lease.next_look.map_or(at, |next| next.min(at)));
    }
}

/// Votes, room tracks and player leases in memory, next to the rooms of an [`InMemoryRooms`]
/// (whose event log ballots append to). Cloning shares the store.
#[derive(Debug, Clone)]
pub struct InMemoryVotes {
    rooms: InMemoryRooms,
    state: Arc<Mutex<State>>,
}

impl InMemoryVotes {
    /// Votes on the rooms of `rooms`.
    pub fn new(rooms: InMemoryRooms) -> Self {
        Self {
            rooms,
            state: Arc::default(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[async_trait]
impl VoteRepository for InMemoryVotes {
    async fn record(&self, ballot: Ballot) -> Result<Recorded, RecordBallotError> {
        // One lock for the whole ballot: ballots are serialised, as the port requires.
        let mut state = self.lock();
        if !self.rooms.is_open(ballot.room) {
            return Err(RecordBallotError::RoomClosed);
        }
        if !self.rooms.is_active(ballot.room, ballot.participant) {
            return Err(RecordBallotError::NotParticipant);
        }
        let key = (ballot.room, ballot.track.clone());
        let vote_key = (ballot.room, ballot.track.clone(), ballot.participant);
        let standing = state
            .tracks
            .get(&key)
            .map_or(Standing::NEW, |entry| Standing {
                tally: entry.track.tally,
                state: entry.track.state,
            });
        let previous = state.votes.get(&vote_key).copied();
        let counted = count(previous, standing, ballot.choice, ballot.likes_needed)
            .map_err(|_| RecordBallotError::NoVote)?;
        match counted.vote {
            Some(vote) => state.votes.insert(vote_key, vote),
            None => state.votes.remove(&vote_key),
        };
        state.counter += 1;
        let order = state.counter as i64;
        let entry = state.tracks.entry(key).or_insert_with(|| QueueEntry {
            track: RoomTrack {
                track: ballot.track.clone(),
                state: TrackState::Candidate,
                tally: Standing::NEW.tally,
                ready_at: None,
                added_by: Some(ballot.participant),
                info: None,
            },
            arrived: order,
            ready_order: None,
        });
        entry.track.tally = counted.standing.tally;
        if counted.became_ready {
            entry.track.state = TrackState::Ready;
            entry.track.ready_at = Some(ballot.at);
            entry.ready_order = Some(order);
            state.wake(ballot.room, ballot.at);
        }
        let kinds = counted.events(&ballot.track, ballot.likes_needed);
        let events = self.rooms.append_all(ballot.room, ballot.at, kinds);
        Ok(Recorded {
            outcome: VoteOutcome {
                tally: counted.standing.tally,
                like_threshold: ballot.likes_needed,
                play: counted.became_ready,
                state: counted.standing.state,
            },
            events,
        })
    }

    async fn transition(
        &self,
        room: RoomId,
        track: &TrackRef,
        from: TrackState,
        to: TrackState,
        _at: Timestamp,
    ) -> anyhow::Result<bool> {
        let mut state = self.lock();
        match state.tracks.get_mut(&(room, track.clone())) {
            Some(entry) if entry.track.state == from && to != TrackState::Ready => {
                entry.track.state = to;
                Ok(true)
            }
            _ => Ok(false),
        }
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

    async fn played(&self, room: RoomId) -> anyhow::Result<Vec<RoomTrack>> {
        let state = self.lock();
        let entries = state
            .tracks
            .iter()
            .filter(|((owner, _), _)| *owner == room)
            .map(|(_, entry)| entry.clone())
            .collect();
        Ok(crate::queue::played_in_order(entries))
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

#[async_trait]
impl PlayerLeases for InMemoryVotes {
    async fn release(&self, holder: &str) -> anyhow::Result<u64> {
        let mut state = self.lock();
        let mut released = 0;
        for lease in state.leases.values_mut() {
            if lease.holder.as_deref() == Some(holder) {
                lease.holder = None;
                lease.expires_at = None;
                released += 1;
            }
        }
        Ok(released)
    }

    async fn due(&self, holder: &str, now: Timestamp, limit: u32) -> anyhow::Result<Vec<RoomId>> {
        let state = self.lock();
        let mut due: Vec<(Timestamp, RoomId)> = state
            .leases
            .iter()
            .filter(|(_, lease)| {
                lease.next_look.is_some_and(|next| next <= now)
                    && (lease.holder.as_deref().is_none_or(|held| held == holder)
                        || lease.expires_at.is_none_or(|expires| expires < now))
            })
            .filter_map(|(room, lease)| lease.next_look.map(|next| (next, *room)))
            .collect();
        due.sort();
        Ok(due
            .into_iter()
            .take(limit as usize)
            .map(|(_, room)| room)
            .collect())
    }

    async fn claim(
        &self,
        room: RoomId,
        holder: &str,
        now: Timestamp,
        until: Timestamp,
    ) -> anyhow::Result<Option<LoopMemory>> {
        let mut state = self.lock();
        let lease = state.leases.entry(room).or_default();
        let free = lease.holder.as_deref().is_none_or(|held| held == holder)
            || lease.expires_at.is_none_or(|expires| expires < now);
        if !free {
            return Ok(None);
        }
        lease.holder = Some(holder.to_owned());
        lease.expires_at = Some(until);
        lease.woken = false;
        Ok(Some(lease.memory.clone()))
    }

    async fn store(
        &self,
        room: RoomId,
        holder: &str,
        memory: &LoopMemory,
        next_look: Option<Timestamp>,
        now: Timestamp,
    ) -> anyhow::Result<bool> {
        let mut state = self.lock();
        let Some(lease) = state.leases.get_mut(&room) else {
            return Ok(false);
        };
        if lease.holder.as_deref() != Some(holder) {
            return Ok(false);
        }
        let skipping = if lease.woken {
            lease.memory.skipping.clone()
        } else {
            memory.skipping.clone()
        };
        lease.memory = LoopMemory {
            skipping,
            ..memory.clone()
        };
        lease.next_look = if lease.woken { Some(now) } else { next_look };
        lease.woken = false;
        Ok(true)
    }

    async fn wake(&self, room: RoomId, at: Timestamp) -> anyhow::Result<()> {
        self.lock().wake(room, at);
        Ok(())
    }

    async fn request_skip(
        &self,
        room: RoomId,
        track: &TrackRef,
        at: Timestamp,
    ) -> anyhow::Result<()> {
        let mut state = self.lock();
        state.wake(room, at);
        if let Some(lease) = state.leases.get_mut(&room) {
            lease.memory.skipping = Some(track.clone());
        }
        Ok(())
    }
}

/// Track details in memory. Cloning shares the store.
#[derive(Debug, Default, Clone)]
pub struct InMemoryTrackDetails {
    details: Arc<Mutex<HashMap<TrackRef, TrackInfo>>>,
}

#[async_trait]
impl TrackDetails for InMemoryTrackDetails {
    async fn details(&self, tracks: &[TrackRef]) -> anyhow::Result<Vec<TrackInfo>> {
        let details = self.details.lock().unwrap_or_else(PoisonError::into_inner);
        Ok(tracks
            .iter()
            .filter_map(|track| details.get(track).cloned())
            .collect())
    }

    async fn remember(&self, infos: &[TrackInfo]) -> anyhow::Result<()> {
        let mut details = self.details.lock().unwrap_or_else(PoisonError::into_inner);
        for info in infos {
            details.insert(info.track.clone(), info.clone());
        }
        Ok(())
    }
}

/// The room tracks that started, with their hosts, in order. Cloning shares the record.
#[derive(Debug, Default, Clone)]
pub struct InMemoryPlayedTracks {
    started: Arc<Mutex<Vec<(UserId, TrackRef)>>>,
}

impl InMemoryPlayedTracks {
    /// What started so far.
    pub fn started(&self) -> Vec<(UserId, TrackRef)> {
        self.started
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

#[async_trait]
impl PlayedTracks for InMemoryPlayedTracks {
    async fn started(&self, host: UserId, track: &TrackRef) -> anyhow::Result<()> {
        self.started
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push((host, track.clone()));
        Ok(())
    }
}
