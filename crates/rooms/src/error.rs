//! One error enum per kind of operation; the HTTP layer maps them to statuses.

/// Why a room operation was refused.
#[derive(Debug, thiserror::Error)]
pub enum RoomError {
    /// No room has this code.
    #[error("no room has this code; check it with the host")]
    NotFound,
    /// The room was closed by its host.
    #[error("this room is closed")]
    Closed,
    /// Only the host may do this.
    #[error("only the room's host may do this")]
    NotHost,
    /// The caller has not joined the room (or left it).
    #[error("join the room first")]
    NotParticipant,
    /// Guests may not join this room.
    #[error("this room is for signed-in people only; log in and join again")]
    GuestsNotAllowed,
    /// The host removed this person.
    #[error("the host removed you from this room")]
    Removed,
    /// No such participant in the room.
    #[error("no such participant in this room")]
    NoSuchParticipant,
    /// A fresh code could not be found (practically impossible).
    #[error("could not find a free room code; try again")]
    NoFreeCode,
    /// Storage failed.
    #[error(transparent)]
    Unknown(#[from] anyhow::Error),
}
