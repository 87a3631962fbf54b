//! Votes, tallies and the room's tracks.

use std::time::Duration;

use soiree_kernel::{Timestamp, TrackRef};
use soiree_rooms::{ParticipantId, TrackState};

/// A vote on a track.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Vote {
    /// Play it.
    Like,
    /// Do not.
    Dislike,
}

/// Votes on one track.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Tally {
    /// Likes.
    pub likes: u32,
    /// Dislikes.
    pub dislikes: u32,
}

impl Tally {
    /// Likes minus dislikes.
    pub fn net(&self) -> i64 {
        i64::from(self.likes) - i64::from(self.dislikes)
    }
}

/// A track in a room's queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoomTrack {
    /// The track.
    pub track: TrackRef,
    /// Where it stands.
    pub state: TrackState,
    /// Its votes.
    pub tally: Tally,
    /// When it became ready.
    pub ready_at: Option<Timestamp>,
    /// Who brought it (first vote or suggestion).
    pub added_by: Option<ParticipantId>,
}

/// A room track with what orders it in the queue: when it arrived and in which order it became
/// ready (both as increasing numbers: timestamps in microseconds, or counters).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueEntry {
    /// The track.
    pub track: RoomTrack,
    /// When (or in which order) it arrived in the room.
    pub arrived: i64,
    /// In which order it became ready.
    pub ready_order: Option<i64>,
}

/// The room's queue order: the playing track, then ready tracks by the time they became ready
/// (ties by net score, then by the order they became ready), then candidates by net score (ties
/// by arrival). Played tracks are left out.
pub fn order_queue(mut entries: Vec<QueueEntry>) -> Vec<RoomTrack> {
    let rank = |state: TrackState| match state {
        TrackState::Playing => 0,
        TrackState::Ready => 1,
        TrackState::Candidate => 2,
        TrackState::Played => 3,
    };
    entries.retain(|entry| entry.track.state != TrackState::Played);
    entries.sort_by(|a, b| {
        rank(a.track.state)
            .cmp(&rank(b.track.state))
            .then(a.track.ready_at.cmp(&b.track.ready_at))
            .then(b.track.tally.net().cmp(&a.track.tally.net()))
            .then(a.ready_order.cmp(&b.ready_order))
            .then(a.arrived.cmp(&b.arrived))
    });
    entries.into_iter().map(|entry| entry.track).collect()
}

/// What a vote did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VoteOutcome {
    /// The track's votes after this one.
    pub tally: Tally,
    /// Likes needed now.
    pub like_threshold: u32,
    /// True exactly when this vote made the track ready.
    pub play: bool,
    /// Where the track stands now.
    pub state: TrackState,
}

/// What the host's player is doing, as the room needs to know it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostPlayback {
    /// The current track, if the host's player is on a track.
    pub track: Option<TrackRef>,
    /// Playing or paused.
    pub is_playing: bool,
    /// Position in the current track.
    pub progress_ms: u64,
    /// Length of the current track.
    pub duration_ms: u64,
}

impl HostPlayback {
    /// Time left in the current track.
    pub fn remaining(&self) -> Duration {
        Duration::from_millis(self.duration_ms.saturating_sub(self.progress_ms))
    }
}

/// Why the host's player could not be used, in words the host can act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct PlaybackProblem {
    /// A stable code: `no_active_device`, `premium_required`, `needs_reconnect`, `not_connected`,
    /// `rate_limited`, `provider_unavailable`, ...
    pub code: String,
    /// What happened and what to do.
    pub message: String,
}
