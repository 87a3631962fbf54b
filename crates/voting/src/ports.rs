//! What voting needs from the outside world.

use std::time::Duration;

use async_trait::async_trait;
use soiree_kernel::{Timestamp, TrackInfo, TrackRef, UserId};
use soiree_rooms::{GuestSource, ParticipantId, PlaybackFailure, RoomId, TrackState};

use crate::ballot::{Ballot, Recorded};
use crate::player::{HostPlayback, LoopMemory};
use crate::queue::RoomTrack;

/// Why a ballot was not recorded.
#[derive(Debug, thiserror::Error)]
pub enum RecordBallotError {
    /// The room is closed.
    #[error("this room is closed")]
    RoomClosed,
    /// The participant has left the room or was removed.
    #[error("join the room first")]
    NotParticipant,
    /// A retraction of a vote that does not exist.
    #[error("you have no vote on this track")]
    NoVote,
    /// Storage failed.
    #[error(transparent)]
    Unknown(#[from] anyhow::Error),
}

/// Votes and the room's tracks.
#[async_trait]
pub trait VoteRepository: Send + Sync + std::fmt::Debug {
    /// Records a ballot. In one transaction, so that nothing of it is stored unless all is, it
    /// MUST:
    /// - refuse it with [`RecordBallotError::RoomClosed`] if the room is closed, and with
    ///   [`RecordBallotError::NotParticipant`] if the participant is not active in the room;
    /// - read the participant's current vote on the track and the track's [`crate::Standing`]
    ///   (a track new to the room is [`crate::Standing::NEW`], added by this participant);
    /// - apply [`crate::count`] (a [`crate::NoVote`] becomes [`RecordBallotError::NoVote`]);
    /// - store the participant's new vote (or remove it) and the track's new standing, never
    ///   moving a track out of a state other than candidate (the player loop moves it on);
    /// - append [`crate::Counted::events`] to the room's log, numbered after its last event;
    /// - when the track became ready, mark the room's player loop due now (as
    ///   [`PlayerLeases::wake`] does), so that it plays even if this process stops right after.
    ///
    /// Ballots of one room MUST be serialised (across processes too), so that tallies equal the
    /// distinct voters and a track becomes ready once (VO-1). An implementation may record several
    /// ballots in one transaction (group commit), but MUST return only after theirs committed.
    async fn record(&self, ballot: Ballot) -> Result<Recorded, RecordBallotError>;

    /// Moves a track from `from` to `to` (`to` is never ready: only a ballot makes a track
    /// ready). MUST be one conditional update, returning `Ok(true)` for exactly one caller when
    /// several race.
    async fn transition(
        &self,
        room: RoomId,
        track: &TrackRef,
        from: TrackState,
        to: TrackState,
        at: Timestamp,
    ) -> anyhow::Result<bool>;

    /// Tracks not yet played: the playing one, then ready ones in the order they became ready
    /// (ties by net score), then candidates by net score ([`crate::order_queue`]).
    async fn queue(&self, room: RoomId) -> anyhow::Result<Vec<RoomTrack>>;

    /// Tracks played, in the order they became ready, then the playing one
    /// ([`crate::played_in_order`]).
    async fn played(&self, room: RoomId) -> anyhow::Result<Vec<RoomTrack>>;

    /// Records a skip vote on `track`; returns how many participants voted to skip it.
    async fn cast_skip(
        &self,
        room: RoomId,
        participant: ParticipantId,
        track: &TrackRef,
    ) -> anyhow::Result<u32>;
}

/// Who runs a room's player loop, and what the loop remembers between looks, where every process
/// sees it.
///
/// A lease gives a room's loop to one holder (a process) at a time and moves to another when the
/// holder stops renewing it. The memory travels with the room, not with the holder: what was
/// handed to the host's queue, a pending skip, a back-off after a failure.
#[async_trait]
pub trait PlayerLeases: Send + Sync + std::fmt::Debug {
    /// Rooms whose loop should look now (woken, or their next look is due) and whose lease is
    /// free, expired or already `holder`'s, at most `limit`, the longest overdue first.
    async fn due(&self, holder: &str, now: Timestamp, limit: u32) -> anyhow::Result<Vec<RoomId>>;

    /// Takes or renews the lease of `room` for `holder` until `until`, and returns the loop's
    /// memory; `None` when another holder's lease is still valid. MUST be decided by one
    /// conditional update, so that of several holders racing exactly one wins.
    async fn claim(
        &self,
        room: RoomId,
        holder: &str,
        now: Timestamp,
        until: Timestamp,
    ) -> anyhow::Result<Option<LoopMemory>>;

    /// Stores the memory and when to look next (`None`: not until woken), if `holder` still
    /// holds the lease; returns whether it did. If the room was woken since the lease was
    /// claimed, the next look MUST be now instead, and a skip requested meanwhile MUST be kept.
    async fn store(
        &self,
        room: RoomId,
        holder: &str,
        memory: &LoopMemory,
        next_look: Option<Timestamp>,
        now: Timestamp,
    ) -> anyhow::Result<bool>;

    /// Asks for a look at `room` at `at` (a track became ready, the host asked): the room becomes
    /// due then, whoever holds its lease.
    async fn wake(&self, room: RoomId, at: Timestamp) -> anyhow::Result<()>;

    /// Gives up every lease `holder` has (a process shutting down), so that another holder may
    /// claim those rooms at their next look instead of waiting for the leases to expire; returns
    /// how many. It MUST keep each loop's memory and next look as stored.
    async fn release(&self, holder: &str) -> anyhow::Result<u64>;

    /// Records that skip votes ended `track`: the loop must move the host's player on from it at
    /// its next look, which is now.
    async fn request_skip(
        &self,
        room: RoomId,
        track: &TrackRef,
        at: Timestamp,
    ) -> anyhow::Result<()>;
}

/// Where the tracks that played in rooms are remembered (the app keeps them in the host's
/// library).
#[async_trait]
pub trait PlayedTracks: Send + Sync + std::fmt::Debug {
    /// `track` reached the speakers of `host`'s room: called once per room track, when it
    /// starts. A failure is logged by the caller and never stops the room.
    async fn started(&self, host: UserId, track: &TrackRef) -> anyhow::Result<()>;
}

/// What is known of tracks (titles, artists, artwork), stored once per track.
#[async_trait]
pub trait TrackDetails: Send + Sync + std::fmt::Debug {
    /// The details stored of these tracks; tracks without any are left out.
    async fn details(&self, tracks: &[TrackRef]) -> anyhow::Result<Vec<TrackInfo>>;
    /// Stores (or replaces) details of tracks.
    async fn remember(&self, details: &[TrackInfo]) -> anyhow::Result<()>;
}

/// The host's provider catalogue, as rooms use it (the participants search it; a track added by
/// its link is described by it).
#[async_trait]
pub trait TrackCatalog: Send + Sync + std::fmt::Debug {
    /// What the host's provider says of a track; `None` when it has no such track.
    async fn describe(
        &self,
        host: UserId,
        track: &TrackRef,
    ) -> Result<Option<TrackInfo>, PlaybackFailure>;
    /// Tracks of the host's provider matching `query`, best first.
    async fn search(&self, host: UserId, query: &str) -> Result<Vec<TrackInfo>, PlaybackFailure>;
}

/// A participant's own music, for suggestions.
#[async_trait]
pub trait TrackSource: Send + Sync + std::fmt::Debug {
    /// A random track from the account's liked tracks on its connected provider.
    async fn random_liked(&self, user: UserId) -> Result<Option<TrackRef>, PlaybackFailure>;
}

/// The host's player, as rooms use it.
#[async_trait]
pub trait RoomPlayer: Send + Sync + std::fmt::Debug {
    /// What the host's player is doing (`None` when nothing is loaded).
    async fn playback(&self, host: UserId) -> Result<Option<HostPlayback>, PlaybackFailure>;
    /// Plays one track now.
    async fn play(&self, host: UserId, track: &TrackRef) -> Result<(), PlaybackFailure>;
    /// Adds one track after the current one.
    async fn enqueue(&self, host: UserId, track: &TrackRef) -> Result<(), PlaybackFailure>;
    /// Pauses.
    async fn pause(&self, host: UserId) -> Result<(), PlaybackFailure>;
    /// Whether the host has connected a provider this player can drive (a failure to tell
    /// counts as not connected).
    async fn is_connected(&self, host: UserId) -> bool;
}

/// Whose votes one guest's rate covers.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum GuestVoter {
    /// Every guest who joined the room from this source.
    Source(GuestSource),
    /// One guest (when the source is unknown).
    Participant(ParticipantId),
}

impl GuestVoter {
    /// A stable key for counting.
    pub fn key(&self) -> String {
        match self {
            GuestVoter::Source(source) => format!("source:{}", source.as_str()),
            GuestVoter::Participant(participant) => format!("guest:{participant}"),
        }
    }
}

/// Whether a guest's vote fits their rate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GuestVote {
    /// It does.
    Allowed,
    /// It does not; the voter may vote again after this long.
    Wait(Duration),
}

/// Rate limits on guests' votes.
#[async_trait]
pub trait VoteRateLimiter: Send + Sync + std::fmt::Debug {
    /// Counts one vote of `voter` in `room`, at `per_two_minutes` votes per two minutes.
    ///
    /// MUST count every process's votes of one voter together (one budget, not one per
    /// process) and hold under votes made at once: of `n` simultaneous votes beyond the rate,
    /// none is allowed.
    async fn check(
        &self,
        room: RoomId,
        voter: &GuestVoter,
        per_two_minutes: u32,
    ) -> anyhow::Result<GuestVote>;
}
