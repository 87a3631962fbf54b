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

/// The room's tracks as they were played: those played, in the order they became ready, then
/// the one playing now (what "save this party" keeps).
pub fn played_in_order(mut entries: Vec<QueueEntry>) -> Vec<RoomTrack> {
    entries.retain(|entry| matches!(entry.track.state, TrackState::Played | TrackState::Playing));
    entries.sort_by(|a, b| {
        (a.track.state == TrackState::Playing)
            .cmp(&(b.track.state == TrackState::Playing))
            .then(a.ready_order.cmp(&b.ready_order))
            .then(a.track.ready_at.cmp(&b.track.ready_at))
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

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(id: char, state: TrackState, ready_order: Option<i64>, arrived: i64) -> QueueEntry {
        QueueEntry {
            track: RoomTrack {
                track: TrackRef::parse(&format!("spotify:track:{}", id.to_string().repeat(22)))
                    .unwrap(),
                state,
                tally: Tally::default(),
                ready_at: None,
                added_by: None,
                info: None,
            },
            arrived,
            ready_order,
        }
    }

    #[test]
    fn a_party_is_kept_in_the_order_it_played_with_the_playing_track_last() {
        let entries = vec![
            entry('a', TrackState::Playing, Some(3), 1),
            entry('b', TrackState::Played, Some(2), 2),
            entry('c', TrackState::Candidate, None, 3),
            entry('d', TrackState::Played, Some(1), 4),
            entry('e', TrackState::Ready, Some(4), 5),
        ];
        let kept: Vec<char> = played_in_order(entries)
            .iter()
            .map(|track| track.track.as_str().chars().last().unwrap())
            .collect();
        assert_eq!(kept, ['d', 'b', 'a']);
    }
}
