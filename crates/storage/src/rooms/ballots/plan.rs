//! What a group of ballots does, worked out from what storage holds before it: pure, so that both
//! engines (SQLite and PostgreSQL) apply the same rules, and testable without a database.

use std::collections::{BTreeMap, HashMap, HashSet};

use soiree_kernel::Timestamp;
use soiree_rooms::{RoomEvent, RoomId};
use soiree_voting::{Ballot, RecordBallotError, Recorded, Standing, Vote, VoteOutcome, count};
use uuid::Uuid;

/// A track as stored or as it will be written: its standing and the columns that order it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct TrackRow {
    pub(super) standing: Standing,
    pub(super) added_by: Option<Uuid>,
    pub(super) created_at: Timestamp,
    pub(super) ready_at: Option<Timestamp>,
    pub(super) ready_order: Option<i64>,
}

/// A participant's vote as it will be written (`vote: None`: removed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct VoteWrite {
    pub(super) vote: Option<Vote>,
    pub(super) at: Timestamp,
    /// Whether a row exists to replace or remove.
    pub(super) stored: bool,
}

pub(super) type TrackKey = (RoomId, String);
pub(super) type VoteKey = (RoomId, Uuid, String);

/// What the group found stored, read once its rooms are locked.
#[derive(Debug, Default)]
pub(super) struct Stored {
    /// The open rooms of the group, with their last event number.
    pub(super) last_seq: HashMap<RoomId, i64>,
    /// The group's voters who are still in their rooms.
    pub(super) active: HashSet<Uuid>,
    pub(super) tracks: HashMap<TrackKey, TrackRow>,
    pub(super) votes: HashMap<VoteKey, Vote>,
}

/// What the group will write.
#[derive(Debug, Default)]
pub(super) struct Writes {
    pub(super) tracks: BTreeMap<TrackKey, TrackRow>,
    pub(super) votes: BTreeMap<VoteKey, VoteWrite>,
    pub(super) events: BTreeMap<RoomId, Vec<RoomEvent>>,
    /// The rooms' last event numbers after the group.
    pub(super) last_seq: BTreeMap<RoomId, i64>,
    /// Rooms where a track became ready, and when first.
    pub(super) woken: BTreeMap<RoomId, Timestamp>,
}

/// The ballots' results, in order, and what to write for them.
pub(super) fn plan(
    ballots: &[&Ballot],
    stored: &Stored,
) -> (Vec<Result<Recorded, RecordBallotError>>, Writes) {
    let mut writes = Writes::default();
    let results = ballots
        .iter()
        .map(|ballot| apply(stored, &mut writes, ballot))
        .collect();
    (results, writes)
}

/// Applies one ballot to what is stored and what the group wrote before it.
fn apply(
    stored: &Stored,
    writes: &mut Writes,
    ballot: &Ballot,
) -> Result<Recorded, RecordBallotError> {
    let room = ballot.room;
    let participant = ballot.participant.as_uuid();
    let Some(last) = writes
        .last_seq
        .get(&room)
        .or_else(|| stored.last_seq.get(&room))
        .copied()
    else {
        return Err(RecordBallotError::RoomClosed);
    };
    if !stored.active.contains(&participant) {
        return Err(RecordBallotError::NotParticipant);
    }
    let track_key = (room, ballot.track.as_str().to_owned());
    let vote_key = (room, participant, ballot.track.as_str().to_owned());
    let track = writes
        .tracks
        .get(&track_key)
        .or_else(|| stored.tracks.get(&track_key))
        .cloned()
        .unwrap_or(TrackRow {
            standing: Standing::NEW,
            added_by: Some(participant),
            created_at: ballot.at,
            ready_at: None,
            ready_order: None,
        });
    let previous = match writes.votes.get(&vote_key) {
        Some(written) => written.vote,
        None => stored.votes.get(&vote_key).copied(),
    };
    let counted = count(previous, track.standing, ballot.choice, ballot.likes_needed)
        .map_err(|_| RecordBallotError::NoVote)?;
    let mut seq = last;
    let events: Vec<RoomEvent> = counted
        .events(&ballot.track, ballot.likes_needed)
        .into_iter()
        .map(|kind| {
            seq += 1;
            RoomEvent {
                seq: u64::try_from(seq).unwrap_or_default(),
                at: ballot.at,
                kind,
            }
        })
        .collect();
    let mut track = TrackRow {
        standing: counted.standing,
        ..track
    };
    if counted.became_ready {
        // The number of its `track_ready` event orders readiness: unique and increasing per
        // room, without another read.
        track.ready_at = Some(ballot.at);
        track.ready_order = Some(seq);
        writes.woken.entry(room).or_insert(ballot.at);
    }
    writes.tracks.insert(track_key, track);
    let stored_vote = stored.votes.contains_key(&vote_key)
        || writes
            .votes
            .get(&vote_key)
            .is_some_and(|written| written.stored);
    writes.votes.insert(
        vote_key,
        VoteWrite {
            vote: counted.vote,
            at: ballot.at,
            stored: stored_vote,
        },
    );
    writes.last_seq.insert(room, seq);
    writes
        .events
        .entry(room)
        .or_default()
        .extend(events.iter().cloned());
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

#[cfg(test)]
mod tests {
    use soiree_kernel::TrackRef;
    use soiree_rooms::{ParticipantId, TrackState};
    use soiree_voting::Choice;

    use super::*;

    fn ballot(room: RoomId, voter: ParticipantId, track: u8, choice: Choice) -> Ballot {
        Ballot {
            room,
            participant: voter,
            track: TrackRef::parse(&format!("spotify:track:{track:0>22}"))
                .unwrap_or_else(|_| unreachable!()),
            choice,
            likes_needed: 2,
            at: Timestamp::default(),
        }
    }

    #[test]
    fn a_group_counts_each_ballot_on_top_of_the_ones_before_it() {
        let room = RoomId::generate();
        let (ada, bob, gone) = (
            ParticipantId::generate(),
            ParticipantId::generate(),
            ParticipantId::generate(),
        );
        let closed = RoomId::generate();
        let stored = Stored {
            last_seq: HashMap::from([(room, 10)]),
            active: HashSet::from([ada.as_uuid(), bob.as_uuid()]),
            ..Stored::default()
        };
        let like = Choice::Cast(Vote::Like);
        let ballots = [
            ballot(room, ada, 1, like),
            ballot(room, ada, 1, Choice::Retract),
            ballot(room, ada, 1, Choice::Retract),
            ballot(room, ada, 1, like),
            ballot(room, bob, 1, like),
            ballot(room, gone, 1, like),
            ballot(closed, ada, 1, like),
        ];
        let refs: Vec<&Ballot> = ballots.iter().collect();
        let (results, writes) = plan(&refs, &stored);
        let summary: Vec<_> = results
            .iter()
            .map(|result| match result {
                Ok(recorded) => Ok((
                    recorded.outcome.tally.likes,
                    recorded.outcome.play,
                    recorded
                        .events
                        .iter()
                        .map(|event| event.seq)
                        .collect::<Vec<_>>(),
                )),
                Err(error) => Err(error.to_string()),
            })
            .collect();
        assert_eq!(
            summary,
            [
                Ok((1, false, vec![11])),
                Ok((0, false, vec![12])),
                Err("you have no vote on this track".to_owned()),
                Ok((1, false, vec![13])),
                Ok((2, true, vec![14, 15])),
                Err("join the room first".to_owned()),
                Err("this room is closed".to_owned()),
            ]
        );
        let key = (room, refs[0].track.as_str().to_owned());
        assert_eq!(writes.tracks[&key].standing.state, TrackState::Ready);
        assert_eq!(
            writes.tracks[&key].ready_order,
            Some(15),
            "ordered by its track_ready event"
        );
        assert_eq!(writes.last_seq[&room], 15);
        assert_eq!(writes.events[&room].len(), 5);
        assert!(writes.woken.contains_key(&room));
        assert!(
            !writes.votes[&(room, ada.as_uuid(), key.1.clone())].stored,
            "never stored before this group"
        );
    }
}
