//! Party rooms: a host creates a room with a 6-character join code; people join with their
//! account or as guests with a nickname and a room-scoped token; the host removes people, changes
//! the like threshold and closes the room; every change is an event with a per-room sequence
//! number, so that clients can follow live and catch up after a reconnect.
//!
//! Votes, the queue and playback live in `soiree-voting`, which builds on this crate. This crate
//! knows nothing of HTTP, WebSockets, JSON or a database: [`RoomRepository`] is its storage port,
//! [`MemberDirectory`] tells it account emails, and [`EventSink`] is told about every event.

mod error;
pub mod memory;
mod model;
mod ports;
mod service;

pub use error::RoomError;
pub use model::{
    CODE_ALPHABET, CODE_LENGTH, GuestToken, Identity, InvalidGuestRate, InvalidNickname,
    InvalidRoomCode, InvalidRoomName, InvalidThreshold, LikeThreshold, Nickname, Participant,
    ParticipantId, Room, RoomCode, RoomEvent, RoomEventKind, RoomId, RoomName, RoomOptions,
    TrackState,
};
pub use ports::{EventSink, InsertRoomError, MemberDirectory, RoomRepository};
pub use service::{
    Member, NewRoom, PRESENCE_WINDOW, ParticipantView, RoomChanges, RoomsService, Viewer,
};
