//! What voting needs from the outside world.

use std::time::Duration;

use async_trait::async_trait;
use soiree_kernel::{Timestamp, TrackRef, UserId};
use soiree_rooms::{ParticipantId, RoomId, TrackState};

use crate::model::{HostPlayback, PlaybackProblem, RoomTrack, Tally, Vote};

/// Votes and the room's tracks.
#[async_trait]
pub trait VoteRepository: Send + Sync + std::fmt::Debug {
    /// Records `participant`'s vote on `track` (replacing an earlier one; the track becomes a
    /// candidate of the room if new) and returns the track's tally after it. MUST keep one vote
    /// per participant and track, so that concurrent votes tally to the number of distinct voters.
    async fn cast(
        &self,
        room: RoomId,
        participant: ParticipantId,
        track: &TrackRef,
        vote: Vote,
        at: Timestamp,
    ) -> anyhow::Result<Tally>;

    /// Removes the vote; returns the tally after it, or `None` if there was no vote.
    async fn retract(
        &self,
        room: RoomId,
        participant: ParticipantId,
        track: &TrackRef,
    ) -> anyhow::Result<Option<Tally>>;

    /// Moves a track from `from` to `to`. MUST be one conditional update, returning `Ok(true)`
    /// for exactly one caller when several race (a track becomes ready once; VO-1).
    async fn transition(
        &self,
        room: RoomId,
        track: &TrackRef,
        from: TrackState,
        to: TrackState,
        at: Timestamp,
    ) -> anyhow::Result<bool>;

    /// One of the room's tracks.
    async fn track(&self, room: RoomId, track: &TrackRef) -> anyhow::Result<Option<RoomTrack>>;

    /// Tracks not yet played: the playing one, then ready ones in the order they became ready
    /// (ties by net score), then candidates by net score.
    async fn queue(&self, room: RoomId) -> anyhow::Result<Vec<RoomTrack>>;

    /// Records a skip vote on `track`; returns how many participants voted to skip it.
    async fn cast_skip(
        &self,
        room: RoomId,
        participant: ParticipantId,
        track: &TrackRef,
    ) -> anyhow::Result<u32>;
}

/// A participant's own music, for suggestions.
#[async_trait]
pub trait TrackSource: Send + Sync + std::fmt::Debug {
    /// A random track from the account's liked tracks on its connected provider.
    async fn random_liked(&self, user: UserId) -> Result<Option<TrackRef>, PlaybackProblem>;
}

/// The host's player, as rooms use it.
#[async_trait]
pub trait RoomPlayer: Send + Sync + std::fmt::Debug {
    /// What the host's player is doing (`None` when nothing is loaded).
    async fn playback(&self, host: UserId) -> Result<Option<HostPlayback>, PlaybackProblem>;
    /// Plays one track now.
    async fn play(&self, host: UserId, track: &TrackRef) -> Result<(), PlaybackProblem>;
    /// Adds one track after the current one.
    async fn enqueue(&self, host: UserId, track: &TrackRef) -> Result<(), PlaybackProblem>;
    /// Pauses.
    async fn pause(&self, host: UserId) -> Result<(), PlaybackProblem>;
}

/// Rate limits on guests' votes.
pub trait VoteRateLimiter: Send + Sync + std::fmt::Debug {
    /// Whether `participant` may vote now, at `per_two_minutes` votes per two minutes; if not,
    /// how long until it may.
    fn check(
        &self,
        room: RoomId,
        participant: ParticipantId,
        per_two_minutes: u32,
    ) -> Result<(), Duration>;
}
