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
//!
//! The ports' contracts, in short (each trait says them whole): a [`VoteRepository`] MUST apply
//! a ballot with [`count`] in one transaction, so that a track becomes ready exactly once however
//! votes arrive; [`PlayerLeases`] MUST give a room's lease to one holder at a time (one
//! conditional update); a [`VoteRateLimiter`] MUST hold one budget across processes. [`memory`]
//! has in-process implementations of the repositories, and `examples/embedded_party.rs` runs a
//! whole party with them (`cargo run -p soiree-voting --example embedded_party`).
//!
//! ```
//! use soiree_voting::{Choice, Standing, Vote, count};
//!
//! // Two likes are needed. The first like leaves the track a candidate...
//! let first = count(None, Standing::NEW, Choice::Cast(Vote::Like), 2).unwrap();
//! assert!(!first.became_ready);
//! // ...the second makes it ready, once.
//! let second = count(None, first.standing, Choice::Cast(Vote::Like), 2).unwrap();
//! assert!(second.became_ready);
//! // A voter changing their mind later does not make it ready again.
//! let changed = count(Some(Vote::Like), second.standing, Choice::Cast(Vote::Dislike), 2).unwrap();
//! assert!(!changed.became_ready);
//! // Retracting a vote one never cast is refused.
//! assert!(count(None, changed.standing, Choice::Retract, 2).is_err());
//! ```

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
pub use error::{
    CastVoteError, PlayedTracksError, RetractVoteError, SearchTracksError, SkipError, SuggestError,
};
pub use player::{
    BACKOFF, Decision, HOST_BACKOFF, HostPlayback, LEASE, LONGEST_WAIT, LOOKAHEAD, Look,
    LoopMemory, PartyPlayer, Wake, decide,
};
pub use ports::{
    GuestVote, GuestVoter, PlayedTracks, PlayerLeases, RecordBallotError, RoomPlayer, TrackCatalog,
    TrackDetails, TrackSource, VoteRateLimiter, VoteRepository,
};
pub use queue::{QueueEntry, RoomTrack, next_ready, order_queue, played_in_order, playing};
pub use service::{HostedRoom, RoomSnapshot, SkipTally, VotingPorts, VotingService};
pub use tracks::TrackDirectory;
