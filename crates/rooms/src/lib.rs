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
//!
//! The ports' contracts, in short (each trait says them whole): a [`RoomRepository`] MUST give
//! each event the room's next sequence number with no gap or repeat, and hold a room's capacity
//! and a host's open rooms when many join or create at once, across processes; [`HostAllowances`]
//! MUST answer the most restrictive allowance when it cannot tell. [`memory`] has in-process
//! implementations of every port.
//!
//! ```
//! # use std::sync::Arc;
//! # use soiree_kernel::{SystemClock, UserId};
//! # use soiree_rooms::memory::{FixedAllowance, InMemoryRooms, RecordingSink, StaticDirectory};
//! # use soiree_rooms::{GuestSource, LikeThreshold, Member, NewRoom, Nickname, RoomOptions, RoomsService};
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! let events = RecordingSink::default();
//! let rooms = RoomsService::new(
//!     Arc::new(InMemoryRooms::default()),
//!     Arc::new(StaticDirectory::default()),
//!     Arc::new(FixedAllowance::default()),
//!     Arc::new(events.clone()),
//!     Arc::new(SystemClock),
//! );
//! let host = Member { user_id: UserId::generate(), display_name: "Grace".into() };
//! let new = NewRoom { name: None, like_threshold: LikeThreshold::Fixed(3), options: RoomOptions::default() };
//! let (room, _host) = rooms.create(&host, new).await.unwrap();
//! // Guests join with the code as people type it; a second "Ada" becomes "Ada 2".
//! let code = room.code.as_str().to_ascii_lowercase();
//! let code = soiree_rooms::RoomCode::parse(&code).unwrap();
//! let nickname = || Nickname::parse("Ada").unwrap();
//! let (_, first, _) = rooms.join_as_guest(&code, nickname(), GuestSource::new("a")).await.unwrap();
//! let (_, second, _) = rooms.join_as_guest(&code, nickname(), GuestSource::new("b")).await.unwrap();
//! assert_eq!(first.display_name.as_str(), "Ada");
//! assert_eq!(second.display_name.as_str(), "Ada 2");
//! assert_eq!(events.names(), ["participant_joined", "participant_joined"]);
//! # });
//! ```

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
    AdmitError, Capacity, CastVote, EventSink, HostAllowance, HostAllowances, InsertRoomError,
    MemberDirectory, PersonalRoomData, RoomRepository,
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
