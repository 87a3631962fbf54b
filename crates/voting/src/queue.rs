//! The room's tracks in the order they play.

use soiree_kernel::{Timestamp, TrackInfo, TrackRef};
use soiree_rooms::{ParticipantId, TrackState};

use crate::ballot::Tally;

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
    /// What people see of it, once it has been described.
    pub info: Option<TrackInfo>,
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

/// The playing track of a queue, if any.
pub fn playing(queue: &[RoomTrack]) -> Option<&RoomTrack> {
    queue
        .iter()
        .find(|entry| entry.state == TrackState::Playing)
}

/// The next ready track of a queue, if any.
pub fn next_ready(queue: &[RoomTrack]) -> Option<&RoomTrack> {
    queue.iter().find(|entry| entry.state == TrackState::Ready)
}
