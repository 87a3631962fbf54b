//! Votes, skips and suggestions.

use std::sync::Arc;

use soiree_kernel::{Clock, TrackRef};
use soiree_rooms::{Identity, Participant, Room, RoomEventKind, RoomsService, TrackState, Viewer};
use tracing::instrument;

use crate::error::VoteError;
use crate::model::{RoomTrack, Tally, Vote, VoteOutcome};
use crate::player::PartyPlayer;
use crate::ports::{TrackSource, VoteRateLimiter, VoteRepository};

/// Votes over a [`VoteRepository`], on rooms from a [`RoomsService`].
#[derive(Debug)]
pub struct VotingService {
    rooms: Arc<RoomsService>,
    votes: Arc<dyn VoteRepository>,
    tracks: Arc<dyn TrackSource>,
    limiter: Arc<dyn VoteRateLimiter>,
    player: Arc<PartyPlayer>,
    clock: Arc<dyn Clock>,
}

impl VotingService {
    /// Wires the service.
    pub fn new(
        rooms: Arc<RoomsService>,
        votes: Arc<dyn VoteRepository>,
        tracks: Arc<dyn TrackSource>,
        limiter: Arc<dyn VoteRateLimiter>,
        player: Arc<PartyPlayer>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            rooms,
            votes,
            tracks,
            limiter,
            player,
            clock,
        }
    }

    async fn voter(&self, room: &Room, viewer: Viewer) -> Result<Participant, VoteError> {
        if !room.is_open() {
            return Err(soiree_rooms::RoomError::Closed.into());
        }
        let participant = self.rooms.participant(room, viewer).await?;
        if participant.identity == Identity::Guest {
            self.limiter
                .check(room.id, participant.id, room.options.guest_votes_per_2min)
                .map_err(|retry_after| VoteError::RateLimited { retry_after })?;
        }
        Ok(participant)
    }

    /// The track's state and the likes needed now.
    async fn assess(&self, room: &Room, track: &TrackRef) -> Result<(TrackState, u32), VoteError> {
        let present = self.rooms.present_count(room).await?;
        let state = self
            .votes
            .track(room.id, track)
            .await?
            .map_or(TrackState::Candidate, |entry| entry.state);
        Ok((state, room.like_threshold.required_likes(present)))
    }

    /// Casts (or changes) the caller's vote. When likes reach the threshold, the track becomes
    /// ready, exactly once (VO-1): `play` is true for the one vote that did it.
    #[instrument(skip(self, room), fields(room = %room.code))]
    pub async fn vote(
        &self,
        room: &Room,
        viewer: Viewer,
        track: &TrackRef,
        vote: Vote,
    ) -> Result<VoteOutcome, VoteError> {
        let participant = self.voter(room, viewer).await?;
        let tally = self
            .votes
            .cast(room.id, participant.id, track, vote, self.clock.now())
            .await?;
        let (mut state, like_threshold) = self.assess(room, track).await?;
        let mut play = false;
        if state == TrackState::Candidate && tally.likes >= like_threshold {
            play = self
                .votes
                .transition(
                    room.id,
                    track,
                    TrackState::Candidate,
                    TrackState::Ready,
                    self.clock.now(),
                )
                .await?;
            if play {
                state = TrackState::Ready;
            } else {
                state = self
                    .votes
                    .track(room.id, track)
                    .await?
                    .map_or(state, |entry| entry.state);
            }
        }
        self.tallied(room, track, tally, like_threshold, state)
            .await?;
        if play {
            self.rooms
                .emit(
                    room.id,
                    RoomEventKind::TrackReady {
                        track: track.clone(),
                    },
                )
                .await?;
            self.player.nudge(room.id);
        }
        Ok(VoteOutcome {
            tally,
            like_threshold,
            play,
            state,
        })
    }

    /// Retracts the caller's vote. A track that became ready stays ready.
    pub async fn retract(
        &self,
        room: &Room,
        viewer: Viewer,
        track: &TrackRef,
    ) -> Result<VoteOutcome, VoteError> {
        let participant = self.voter(room, viewer).await?;
        let tally = self
            .votes
            .retract(room.id, participant.id, track)
            .await?
            .ok_or(VoteError::NoVote)?;
        let (state, like_threshold) = self.assess(room, track).await?;
        self.tallied(room, track, tally, like_threshold, state)
            .await?;
        Ok(VoteOutcome {
            tally,
            like_threshold,
            play: false,
            state,
        })
    }

    async fn tallied(
        &self,
        room: &Room,
        track: &TrackRef,
        tally: Tally,
        like_threshold: u32,
        state: TrackState,
    ) -> Result<(), VoteError> {
        let kind = RoomEventKind::VoteTallied {
            track: track.clone(),
            likes: tally.likes,
            dislikes: tally.dislikes,
            like_threshold,
            state,
        };
        self.rooms.emit(room.id, kind).await?;
        Ok(())
    }

    /// The room's queue: playing, then ready in play order, then candidates by net score.
    pub async fn queue(&self, room: &Room, viewer: Viewer) -> Result<Vec<RoomTrack>, VoteError> {
        self.rooms.participant(room, viewer).await?;
        Ok(self.votes.queue(room.id).await?)
    }

    /// Votes to skip the playing track; at the threshold, the host's player moves on (once).
    pub async fn skip(&self, room: &Room, viewer: Viewer) -> Result<(u32, u32), VoteError> {
        let participant = self.voter(room, viewer).await?;
        let playing = self
            .votes
            .queue(room.id)
            .await?
            .into_iter()
            .find(|entry| entry.state == TrackState::Playing)
            .ok_or(VoteError::NothingPlaying)?;
        let skips = self
            .votes
            .cast_skip(room.id, participant.id, &playing.track)
            .await?;
        let needed = room
            .like_threshold
            .required_likes(self.rooms.present_count(room).await?);
        self.rooms
            .emit(
                room.id,
                RoomEventKind::SkipTallied {
                    track: playing.track.clone(),
                    skips,
                    needed,
                },
            )
            .await?;
        if skips >= needed {
            self.player.skip(room, &playing.track).await?;
        }
        Ok((skips, needed))
    }

    /// Suggests a random track from the caller's liked tracks, with the caller's like.
    pub async fn suggest(
        &self,
        room: &Room,
        viewer: Viewer,
    ) -> Result<(TrackRef, VoteOutcome), VoteError> {
        let participant = self.rooms.participant(room, viewer).await?;
        let Identity::User(user) = participant.identity else {
            return Err(VoteError::GuestCannotSuggest);
        };
        let track = self
            .tracks
            .random_liked(user)
            .await
            .map_err(VoteError::Provider)?
            .ok_or(VoteError::NoLikedTracks)?;
        let outcome = self.vote(room, viewer, &track, Vote::Like).await?;
        Ok((track, outcome))
    }
}

#[cfg(test)]
#[path = "service_tests.rs"]
mod tests;
