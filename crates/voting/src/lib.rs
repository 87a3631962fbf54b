//! Voting in party rooms: one vote per participant and track (changeable, retractable), tallies,
//! the like threshold (a count, or a share of those present), the transition to *ready* exactly
//! once, the room's own queue, skip votes on the playing track, suggestions from a participant's
//! liked tracks, and the [`PartyPlayer`] that feeds the host's player one track at a time.
//!
//! It builds on `soiree-rooms` and knows nothing of HTTP, WebSockets, JSON, an async runtime, a
//! database or a provider: [`VoteRepository`], [`PlayerLeases`], [`TrackSource`], [`RoomPlayer`]
//! and [`VoteRateLimiter`] are its ports. What a ballot does to a track is the pure [`count`],
//! which storage applies inside its transaction; what the loop does at each look is the pure
//! [`decide`].

mod ballot;
mod error;
pub mod memory;
mod player;
mod ports;
mod queue;
mod service;
mod tracks;

pub use ballot::{
    Ballot, Choice, Counted, NoVote, Recorded, Standing, Tally, Vote, VoteOutcome, count,
};
pub use error::{CastVoteError, RetractVoteError, SearchTracksError, SkipError, SuggestError};
pub use player::{
    BACKOFF, Decision, HOST_BACKOFF, HostPlayback, LEASE, LONGEST_WAIT, LOOKAHEAD, Look,
    LoopMemory, PartyPlayer, Wake, decide,
};
pub use ports::{
    GuestVote, GuestVoter, PlayerLeases, RecordBallotError, RoomPlayer, TrackCatalog, TrackDetails,
    TrackSource, VoteRateLimiter, VoteRepository,
};
pub use queue::{QueueEntry, RoomTrack, next_ready, order_queue, playing};
pub use service::{HostedRoom, RoomSnapshot, SkipTally, VotingPorts, VotingService};
pub use tracks::TrackDirectory;
