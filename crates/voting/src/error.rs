//! One error enum per operation; the HTTP layer alone maps them to statuses.

use std::time::Duration;

use soiree_rooms::{PlaybackFailure, ReadRoomError};

/// Why a vote was refused.
#[derive(Debug, thiserror::Error)]
pub enum CastVoteError {
    /// No room has this code.
    #[error("no room has this code; check it with the host")]
    NotFound,
    /// The caller has not joined the room (or left it).
    #[error("join the room first")]
    NotParticipant,
    /// The room was closed by its host.
    #[error("this room is closed")]
    Closed,
    /// A guest voted too often.
    #[error("too many votes; wait {} seconds", .retry_after.as_secs().max(1))]
    RateLimited {
        /// How long until the next vote is accepted.
        retry_after: Duration,
    },
    /// Storage failed.
    #[error(transparent)]
    Unknown(#[from] anyhow::Error),
}

/// Why a retraction was refused.
#[derive(Debug, thiserror::Error)]
pub enum RetractVoteError {
    /// No room has this code.
    #[error("no room has this code; check it with the host")]
    NotFound,
    /// The caller has not joined the room (or left it).
    #[error("join the room first")]
    NotParticipant,
    /// The room was closed by its host.
    #[error("this room is closed")]
    Closed,
    /// A guest voted too often.
    #[error("too many votes; wait {} seconds", .retry_after.as_secs().max(1))]
    RateLimited {
        /// How long until the next vote is accepted.
        retry_after: Duration,
    },
    /// The caller has no vote on this track.
    #[error("you have no vote on this track")]
    NoVote,
    /// Storage failed.
    #[error(transparent)]
    Unknown(#[from] anyhow::Error),
}

/// Why a skip vote was refused.
#[derive(Debug, thiserror::Error)]
pub enum SkipError {
    /// No room has this code.
    #[error("no room has this code; check it with the host")]
    NotFound,
    /// The caller has not joined the room (or left it).
    #[error("join the room first")]
    NotParticipant,
    /// The room was closed by its host.
    #[error("this room is closed")]
    Closed,
    /// A guest voted too often.
    #[error("too many votes; wait {} seconds", .retry_after.as_secs().max(1))]
    RateLimited {
        /// How long until the next vote is accepted.
        retry_after: Duration,
    },
    /// Skip votes need a playing track.
    #[error("nothing is playing in this room")]
    NothingPlaying,
    /// Storage failed.
    #[error(transparent)]
    Unknown(#[from] anyhow::Error),
}

/// Why a suggestion was refused.
#[derive(Debug, thiserror::Error)]
pub enum SuggestError {
    /// No room has this code.
    #[error("no room has this code; check it with the host")]
    NotFound,
    /// The caller has not joined the room (or left it).
    #[error("join the room first")]
    NotParticipant,
    /// The room was closed by its host.
    #[error("this room is closed")]
    Closed,
    /// Suggestions come from an account's liked tracks; guests have none.
    #[error("sign in and connect a provider to suggest from your liked tracks")]
    GuestCannotSuggest,
    /// The account has no liked tracks to suggest from.
    #[error("your account has no liked tracks to suggest")]
    NoLikedTracks,
    /// The caller's provider could not be asked.
    #[error(transparent)]
    Provider(PlaybackFailure),
    /// Storage failed.
    #[error(transparent)]
    Unknown(#[from] anyhow::Error),
}

/// Why a search of the host's catalogue was refused.
#[derive(Debug, thiserror::Error)]
pub enum SearchTracksError {
    /// No room has this code.
    #[error("no room has this code; check it with the host")]
    NotFound,
    /// The caller has not joined the room (or left it).
    #[error("join the room first")]
    NotParticipant,
    /// The room was closed by its host.
    #[error("this room is closed")]
    Closed,
    /// The host's provider could not be asked.
    #[error(transparent)]
    Provider(PlaybackFailure),
    /// Storage failed.
    #[error(transparent)]
    Unknown(#[from] anyhow::Error),
}

macro_rules! from_read_room_error {
    ($($operation:ident),+) => {
        $(impl From<ReadRoomError> for $operation {
            fn from(error: ReadRoomError) -> Self {
                match error {
                    ReadRoomError::NotFound => Self::NotFound,
                    ReadRoomError::NotParticipant => Self::NotParticipant,
                    ReadRoomError::Unknown(error) => Self::Unknown(error),
                }
            }
        })+
    };
}

from_read_room_error!(
    CastVoteError,
    RetractVoteError,
    SkipError,
    SuggestError,
    SearchTracksError
);

/// Why a room's played tracks could not be read.
#[derive(Debug, thiserror::Error)]
pub enum PlayedTracksError {
    /// No room has this code.
    #[error("no room has this code; check it with the host")]
    NotFound,
    /// Only the host keeps the party's tracks.
    #[error("only the room's host can save its party")]
    NotHost,
    /// Storage failed.
    #[error(transparent)]
    Unknown(#[from] anyhow::Error),
}
