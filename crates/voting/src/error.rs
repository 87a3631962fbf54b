//! Why a voting operation was refused.

use std::time::Duration;

use soiree_rooms::RoomError;

use crate::model::PlaybackProblem;

/// Why a vote, skip or suggestion was refused.
#[derive(Debug, thiserror::Error)]
pub enum VoteError {
    /// The room refused (not found, closed, not a participant, ...).
    #[error(transparent)]
    Room(#[from] RoomError),
    /// A guest voted too often.
    #[error("too many votes; wait {} seconds", .retry_after.as_secs().max(1))]
    RateLimited {
        /// How long until the next vote is accepted.
        retry_after: Duration,
    },
    /// The caller has no vote on this track.
    #[error("you have no vote on this track")]
    NoVote,
    /// Skip votes need a playing track.
    #[error("nothing is playing in this room")]
    NothingPlaying,
    /// Suggestions come from an account's liked tracks; guests have none.
    #[error("sign in and connect a provider to suggest from your liked tracks")]
    GuestCannotSuggest,
    /// The account has no liked tracks to suggest from.
    #[error("your account has no liked tracks to suggest")]
    NoLikedTracks,
    /// The provider could not be asked.
    #[error(transparent)]
    Provider(PlaybackProblem),
    /// Storage failed.
    #[error(transparent)]
    Unknown(#[from] anyhow::Error),
}
