//! A vote and what it does to a track's tally: the rule every [`crate::VoteRepository`] applies
//! inside its transaction, so that storage keeps counters instead of counting votes each time.

use soiree_kernel::{Timestamp, TrackRef};
use soiree_rooms::{ParticipantId, RoomEvent, RoomEventKind, RoomId, TrackState};

/// A vote on a track.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Vote {
    /// Play it.
    Like,
    /// Do not.
    Dislike,
}

/// What a participant does with their vote on a track.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Choice {
    /// Casts (or replaces) their vote.
    Cast(Vote),
    /// Takes their vote back.
    Retract,
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

    fn with(self, vote: Option<Vote>, sign: i64) -> Self {
        let shift = |count: u32| u32::try_from((i64::from(count) + sign).max(0)).unwrap_or(count);
        match vote {
            Some(Vote::Like) => Self {
                likes: shift(self.likes),
                ..self
            },
            Some(Vote::Dislike) => Self {
                dislikes: shift(self.dislikes),
                ..self
            },
            None => self,
        }
    }
}

/// A track's counters and state, as storage keeps them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Standing {
    /// Its votes.
    pub tally: Tally,
    /// Where it stands.
    pub state: TrackState,
}

impl Standing {
    /// A track the room has not seen yet.
    pub const NEW: Standing = Standing {
        tally: Tally {
            likes: 0,
            dislikes: 0,
        },
        state: TrackState::Candidate,
    };
}

/// A participant's vote on a track, ready to be recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ballot {
    /// The room.
    pub room: RoomId,
    /// Who votes.
    pub participant: ParticipantId,
    /// On what.
    pub track: TrackRef,
    /// Cast or retract.
    pub choice: Choice,
    /// Likes the track needs now to become ready.
    pub likes_needed: u32,
    /// When.
    pub at: Timestamp,
}

/// A retraction of a vote that does not exist.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("you have no vote on this track")]
pub struct NoVote;

/// What a ballot does, before anything is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Counted {
    /// The participant's vote on the track afterwards (`None` once retracted).
    pub vote: Option<Vote>,
    /// The track afterwards.
    pub standing: Standing,
    /// Whether this ballot made the track ready (it happens once per track).
    pub became_ready: bool,
}

/// Applies `choice` to a track whose standing is `standing` and on which the participant's
/// current vote is `previous`. A cast that brings a candidate's likes to `likes_needed` makes it
/// ready; a retraction never does, and a ready track stays ready whatever happens to its votes.
pub fn count(
    previous: Option<Vote>,
    standing: Standing,
    choice: Choice,
    likes_needed: u32,
) -> Result<Counted, NoVote> {
    let vote = match choice {
        Choice::Cast(vote) => Some(vote),
        Choice::Retract if previous.is_none() => return Err(NoVote),
        Choice::Retract => None,
    };
    let tally = standing.tally.with(previous, -1).with(vote, 1);
    let became_ready = matches!(choice, Choice::Cast(_))
        && standing.state == TrackState::Candidate
        && tally.likes >= likes_needed;
    let state = if became_ready {
        TrackState::Ready
    } else {
        standing.state
    };
    Ok(Counted {
        vote,
        standing: Standing { tally, state },
        became_ready,
    })
}

impl Counted {
    /// The events that announce this ballot: the track's new tally, then, if it became ready,
    /// `track_ready`.
    pub fn events(&self, track: &TrackRef, likes_needed: u32) -> Vec<RoomEventKind> {
        let mut events = vec![RoomEventKind::VoteTallied {
            track: track.clone(),
            likes: self.standing.tally.likes,
            dislikes: self.standing.tally.dislikes,
            like_threshold: likes_needed,
            state: self.standing.state,
        }];
        if self.became_ready {
            events.push(RoomEventKind::TrackReady {
                track: track.clone(),
            });
        }
        events
    }
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

/// A ballot as stored: its outcome and the events appended with it.
#[derive(Debug, Clone, PartialEq)]
pub struct Recorded {
    /// What the ballot did.
    pub outcome: VoteOutcome,
    /// The events appended in the same transaction, in order.
    pub events: Vec<RoomEvent>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn standing(likes: u32, dislikes: u32, state: TrackState) -> Standing {
        Standing {
            tally: Tally { likes, dislikes },
            state,
        }
    }

    #[test]
    fn ballots_move_the_counters_and_readiness_happens_once() {
        use Choice::{Cast, Retract};
        use TrackState::{Candidate, Playing, Ready};
        use Vote::{Dislike, Like};
        // (previous vote, standing, choice, likes needed) → (tally after, state after, became ready)
        let cases = [
            (
                None,
                standing(0, 0, Candidate),
                Cast(Like),
                2,
                (1, 0, Candidate, false),
            ),
            (
                None,
                standing(1, 0, Candidate),
                Cast(Like),
                2,
                (2, 0, Ready, true),
            ),
            (
                Some(Like),
                standing(2, 0, Candidate),
                Cast(Like),
                2,
                (2, 0, Ready, true),
            ),
            (
                Some(Like),
                standing(2, 0, Ready),
                Cast(Like),
                2,
                (2, 0, Ready, false),
            ),
            (
                Some(Like),
                standing(1, 0, Candidate),
                Cast(Dislike),
                1,
                (0, 1, Candidate, false),
            ),
            (
                Some(Dislike),
                standing(0, 1, Candidate),
                Cast(Like),
                1,
                (1, 0, Ready, true),
            ),
            (
                Some(Like),
                standing(3, 0, Ready),
                Retract,
                1,
                (2, 0, Ready, false),
            ),
            (
                Some(Dislike),
                standing(1, 1, Candidate),
                Retract,
                1,
                (1, 0, Candidate, false),
            ),
            (
                None,
                standing(5, 0, Playing),
                Cast(Like),
                1,
                (6, 0, Playing, false),
            ),
        ];
        for (previous, before, choice, needed, (likes, dislikes, state, became_ready)) in cases {
            let counted = count(previous, before, choice, needed).unwrap();
            assert_eq!(
                (
                    counted.standing.tally,
                    counted.standing.state,
                    counted.became_ready
                ),
                (Tally { likes, dislikes }, state, became_ready),
                "{previous:?} {before:?} {choice:?} needing {needed}"
            );
        }
        assert_eq!(count(None, Standing::NEW, Choice::Retract, 1), Err(NoVote));
    }

    #[test]
    fn a_ballot_is_announced_by_its_tally_then_readiness() {
        let track = TrackRef::parse("spotify:track:4uLU6hMCjMI75M1A2tKUQC").unwrap();
        let counted = count(None, Standing::NEW, Choice::Cast(Vote::Like), 1).unwrap();
        let names: Vec<_> = counted
            .events(&track, 1)
            .iter()
            .map(RoomEventKind::name)
            .collect();
        assert_eq!(names, ["vote_tallied", "track_ready"]);
    }
}
