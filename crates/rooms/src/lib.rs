//! Party rooms: a host creates a room with a 6-character join code; people join with their
//! account or as guests with a nickname and a room-scoped token; the host removes people, changes
//! the like threshold and closes the room; every change is an event with a per-room sequence
//! number, so that clients can follow live and catch up after a reconnect.
//!
//! Votes, the queue and playback live in `soiree-voting`, which builds on this crate. This crate
//! knows nothing of HTTP, WebSockets, JSON, an async runtime or a database: [`RoomRepository`] is
//! its storage port, [`MemberDirectory`] tells it account emails, and [`EventSink`] is told about
//! every event. [`RoomsService`] is the entry point; every operation takes the room's code and the
//! caller ([`Viewer`]) and checks what the caller may do before it reads or changes anything.

mod access;
mod error;
mod event;
pub mod memory;
mod participant;
mod ports;
mod room;
mod service;
mod threshold;

pub use access::{RoomAccess, RoomOfMember};
pub use error::{
    AuthenticateGuestError, CloseRoomError, CreateRoomError, FollowRoomError, JoinError, KickError,
    LeaveError, ReadRoomError, UpdateRoomError,
};
pub use event::{PlaybackFailure, RoomEvent, RoomEventKind, TrackState};
pub use participant::{
    GuestSource, GuestToken, Identity, InvalidNickname, Nickname, Participant, ParticipantId,
};
pub use ports::{
    AdmitError, Capacity, EventSink, HostAllowance, HostAllowances, InsertRoomError,
    MemberDirectory, RoomRepository,
};
pub use room::{
    CODE_ALPHABET, CODE_LENGTH, InvalidRoomCode, InvalidRoomName, Room, RoomCode, RoomId, RoomName,
};
pub use service::{
    Member, NewRoom, PRESENCE_WINDOW, ParticipantView, RoomChanges, RoomsService, Viewer,
};
pub use threshold::{
    InvalidGuestCap, InvalidGuestRate, InvalidThreshold, LikeThreshold, RoomOptions,
};
