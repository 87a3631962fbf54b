//! Voting in party rooms: one vote per participant and track (changeable, retractable), tallies,
//! the like threshold (a count, or a share of those present), the transition to *ready* exactly
//! once, the room's own queue, skip votes on the playing track, suggestions from a participant's
//! liked tracks, and the [`PartyPlayer`] that feeds the host's player one track at a time.
//!
//! It builds on `soiree-rooms` and knows nothing of HTTP, WebSockets, JSON, a database or a
//! provider: [`VoteRepository`], [`TrackSource`], [`RoomPlayer`] and [`VoteRateLimiter`] are its
//! ports.

mod error;
pub mod memory;
mod model;
mod player;
mod ports;
mod service;

pub use error::VoteError;
pub use model::{
    HostPlayback, PlaybackProblem, QueueEntry, RoomTrack, Tally, Vote, VoteOutcome, order_queue,
};
pub use player::{BACKOFF, Decision, LOOKAHEAD, PartyPlayer, Wake, decide};
pub use ports::{RoomPlayer, TrackSource, VoteRateLimiter, VoteRepository};
pub use service::VotingService;
