//! One error enum per operation, each listing exactly what that operation can refuse; the HTTP
//! layer alone maps them to statuses.

/// Why a room could not be created.
#[derive(Debug, thiserror::Error)]
pub enum CreateRoomError {
    /// No free code was found in several tries (practically impossible).
    #[error("could not find a free room code; try again")]
    NoFreeCode,
    /// The host has as many open rooms as their tier allows.
    #[error(
        "your tier ({tier}) allows {limit} open rooms; close a room you host, or ask the operator for a higher tier"
    )]
    TooManyOpenRooms {
        /// The host's tier.
        tier: soiree_kernel::Tier,
        /// Rooms open at once it allows.
        limit: u32,
    },
    /// Storage failed.
    #[error(transparent)]
    Unknown(#[from] anyhow::Error),
}

/// Why joining was refused.
#[derive(Debug, thiserror::Error)]
pub enum JoinError {
    /// No room has this code.
    #[error("no room has this code; check it with the host")]
    NotFound,
    /// The room was closed by its host.
    #[error("this room is closed")]
    Closed,
    /// Guests may not join this room.
    #[error("this room is for signed-in people only; log in and join again")]
    GuestsNotAllowed,
    /// The host removed this person.
    #[error("the host removed you from this room")]
    Removed,
    /// The room holds as many people as its host's tier allows.
    #[error("this room is full ({limit} people); ask the host to make room")]
    Full {
        /// People it takes.
        limit: u32,
    },
    /// The room holds as many guests as its host allows.
    #[error("this room takes no more guests ({limit}); sign in to join, or ask the host")]
    NoGuestPlaces {
        /// Guests it takes.
        limit: u32,
    },
    /// Storage failed.
    #[error(transparent)]
    Unknown(#[from] anyhow::Error),
}

/// Why a guest token was not accepted for a room.
#[derive(Debug, thiserror::Error)]
pub enum AuthenticateGuestError {
    /// No active guest of the room has this token (or no room has this code).
    #[error("this guest token is not valid in this room; join again")]
    UnknownGuest,
    /// Storage failed.
    #[error(transparent)]
    Unknown(#[from] anyhow::Error),
}

/// Why reading a room (its snapshot, participants, queue or events) was refused.
#[derive(Debug, thiserror::Error)]
pub enum ReadRoomError {
    /// No room has this code.
    #[error("no room has this code; check it with the host")]
    NotFound,
    /// The caller has not joined the room (or left it).
    #[error("join the room first")]
    NotParticipant,
    /// Storage failed.
    #[error(transparent)]
    Unknown(#[from] anyhow::Error),
}

/// Why following a room's live events was refused.
#[derive(Debug, thiserror::Error)]
pub enum FollowRoomError {
    /// No room has this code.
    #[error("no room has this code; check it with the host")]
    NotFound,
    /// The room was closed by its host.
    #[error("this room is closed")]
    Closed,
    /// The caller has not joined the room (or left it).
    #[error("join the room first")]
    NotParticipant,
    /// Storage failed.
    #[error(transparent)]
    Unknown(#[from] anyhow::Error),
}

/// Why leaving was refused.
#[derive(Debug, thiserror::Error)]
pub enum LeaveError {
    /// No room has this code.
    #[error("no room has this code; check it with the host")]
    NotFound,
    /// The caller is not in the room.
    #[error("you are not in this room")]
    NotParticipant,
    /// Storage failed.
    #[error(transparent)]
    Unknown(#[from] anyhow::Error),
}

/// Why removing a participant was refused.
#[derive(Debug, thiserror::Error)]
pub enum KickError {
    /// No room has this code.
    #[error("no room has this code; check it with the host")]
    NotFound,
    /// Only the host may remove people.
    #[error("only the room's host may do this")]
    NotHost,
    /// No such participant is in the room (the host cannot remove themself).
    #[error("no such participant in this room")]
    NoSuchParticipant,
    /// Storage failed.
    #[error(transparent)]
    Unknown(#[from] anyhow::Error),
}

/// Why changing a room was refused.
#[derive(Debug, thiserror::Error)]
pub enum UpdateRoomError {
    /// No room has this code.
    #[error("no room has this code; check it with the host")]
    NotFound,
    /// Only the host may change the room.
    #[error("only the room's host may do this")]
    NotHost,
    /// The room was closed by its host.
    #[error("this room is closed")]
    Closed,
    /// Storage failed.
    #[error(transparent)]
    Unknown(#[from] anyhow::Error),
}

/// Why closing a room was refused.
#[derive(Debug, thiserror::Error)]
pub enum CloseRoomError {
    /// No room has this code.
    #[error("no room has this code; check it with the host")]
    NotFound,
    /// Only the host may close the room.
    #[error("only the room's host may do this")]
    NotHost,
    /// Storage failed.
    #[error(transparent)]
    Unknown(#[from] anyhow::Error),
}
