//! What the rooms domain needs from the outside world.
//!
//! Every change of a room or a participant is stored together with the event that announces it
//! (one transaction), so that the log never misses a change and never announces one that was not
//! stored.

use async_trait::async_trait;
use soiree_kernel::{Tier, Timestamp, UserId};

use crate::event::{RoomEvent, RoomEventKind};
use crate::participant::{Participant, ParticipantId};
use crate::room::{Room, RoomCode, RoomId};

/// Why a room could not be stored.
#[derive(Debug, thiserror::Error)]
pub enum InsertRoomError {
    /// Another room has this code.
    #[error("the room code is taken")]
    CodeTaken,
    /// The host would have more open rooms than allowed.
    #[error("the host has as many open rooms as allowed")]
    TooManyOpen,
    /// Anything else.
    #[error(transparent)]
    Unknown(#[from] anyhow::Error),
}

/// Rooms, participants and each room's event log.
#[async_trait]
pub trait RoomRepository: Send + Sync + std::fmt::Debug {
    /// Stores a new room with its host as first participant. MUST return
    /// [`InsertRoomError::CodeTaken`] when the code is in use (a unique index), and
    /// [`InsertRoomError::TooManyOpen`], storing nothing, when the host would then have more than
    /// `open_rooms` open rooms (`None`: no limit). The count MUST hold when one host creates many
    /// rooms at once, through any number of processes.
    async fn insert_room(
        &self,
        room: &Room,
        host: &Participant,
        open_rooms: Option<u32>,
    ) -> Result<(), InsertRoomError>;

    /// The room with this code.
    async fn room_by_code(&self, code: &RoomCode) -> anyhow::Result<Option<Room>>;

    /// The room with this id.
    async fn room(&self, id: RoomId) -> anyhow::Result<Option<Room>>;

    /// Replaces the name, threshold, options and closing time, and appends `event`, in one
    /// transaction.
    async fn save_room(
        &self,
        room: &Room,
        event: RoomEventKind,
        at: Timestamp,
    ) -> anyhow::Result<RoomEvent>;

    /// Every participant who ever joined, in joining order.
    async fn participants(&self, room: RoomId) -> anyhow::Result<Vec<Participant>>;

    /// One participant.
    async fn participant(
        &self,
        room: RoomId,
        id: ParticipantId,
    ) -> anyhow::Result<Option<Participant>>;

    /// The participant of an account, active or not.
    async fn participant_for_user(
        &self,
        room: RoomId,
        user: UserId,
    ) -> anyhow::Result<Option<Participant>>;

    /// The rooms an account has joined (hosted ones included), with its participation, the most
    /// recently active first, at most `limit`.
    async fn rooms_of_user(
        &self,
        user: UserId,
        limit: u32,
    ) -> anyhow::Result<Vec<(Room, Participant)>>;

    /// The guest whose token hashes to `token_hash`.
    async fn participant_for_guest(
        &self,
        room: RoomId,
        token_hash: &str,
    ) -> anyhow::Result<Option<Participant>>;

    /// Stores a participant, new (a guest with its token hash) or changed (`left_at`, `kicked`,
    /// `last_seen_at`, display name), and appends `event`, in one transaction.
    async fn save_participant(
        &self,
        participant: &Participant,
        guest_token_hash: Option<&str>,
        event: RoomEventKind,
        at: Timestamp,
    ) -> anyhow::Result<RoomEvent>;

    /// Stores a participant who joins (new, or returning after leaving) with the event
    /// [`RoomEventKind::joined`], like [`save_participant`](Self::save_participant), but only if
    /// the room then holds no more active participants than `capacity.people` and no more active
    /// guests than `capacity.guests`; otherwise stores nothing. A guest takes the first of its
    /// nickname's [`candidates`](crate::Nickname::candidates) no active participant has (case
    /// aside); a store may look names up by [`key`](crate::Nickname::key_of).
    /// Answers the participant as stored. MUST hold when many join at once, through any number of
    /// processes: the names read, the counts and the store are one transaction under the room's
    /// lock.
    async fn admit_participant(
        &self,
        participant: &Participant,
        guest_token_hash: Option<&str>,
        at: Timestamp,
        capacity: Capacity,
    ) -> Result<(Participant, RoomEvent), AdmitError>;

    /// Records a sign of life of several participants at once.
    async fn touch(
        &self,
        room: RoomId,
        participants: &[ParticipantId],
        at: Timestamp,
    ) -> anyhow::Result<()>;

    /// People present: active participants seen at or after `since`, guests who share a
    /// [`GuestSource`](crate::GuestSource) counted once (one phone or one script is one person).
    async fn present_count(&self, room: RoomId, since: Timestamp) -> anyhow::Result<u32>;

    /// Appends an event that goes with no stored change (or whose change another port stored).
    /// MUST give it the next sequence number of the room (1, 2, ...), with no gaps or repeats
    /// even when several processes append at once; every method that appends follows the same
    /// rule.
    async fn append_event(
        &self,
        room: RoomId,
        at: Timestamp,
        kind: RoomEventKind,
    ) -> anyhow::Result<RoomEvent>;

    /// Events with `seq > after`, oldest first, at most `limit`.
    async fn events_after(
        &self,
        room: RoomId,
        after: u64,
        limit: u32,
    ) -> anyhow::Result<Vec<RoomEvent>>;

    /// The sequence number of the room's last event (0 before any).
    async fn last_seq(&self, room: RoomId) -> anyhow::Result<u64>;
}

/// Account details the rooms domain shows (emails, to the host only).
#[async_trait]
pub trait MemberDirectory: Send + Sync + std::fmt::Debug {
    /// The email address of an account, if it has one.
    async fn email(&self, user: UserId) -> anyhow::Result<Option<String>>;
}

/// Told about appended events, to deliver them live (WebSockets, other processes).
pub trait EventSink: Send + Sync + std::fmt::Debug {
    /// Events of `room` were stored, in the order of their numbers.
    fn appended(&self, room: RoomId, events: &[RoomEvent]);
}

/// How many people a room takes at once; `None` is no limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Capacity {
    /// Active participants, the host included.
    pub people: Option<u32>,
    /// Active guests.
    pub guests: Option<u32>,
}

impl Capacity {
    /// Whether a room holding `people` active participants, `guests` of them guests, takes one
    /// more (a guest when `guest`).
    pub fn admits(&self, people: u64, guests: u64, guest: bool) -> Result<(), AdmitError> {
        if self.people.is_some_and(|most| people >= u64::from(most)) {
            return Err(AdmitError::Full);
        }
        if guest && self.guests.is_some_and(|most| guests >= u64::from(most)) {
            return Err(AdmitError::NoGuestPlaces);
        }
        Ok(())
    }
}

/// Why a participant was not admitted.
#[derive(Debug, thiserror::Error)]
pub enum AdmitError {
    /// The room holds as many people as it may.
    #[error("the room is full")]
    Full,
    /// The room holds as many guests as it may.
    #[error("the room takes no more guests")]
    NoGuestPlaces,
    /// Anything else.
    #[error(transparent)]
    Unknown(#[from] anyhow::Error),
}

/// What a host's account allows its rooms: its tier's quotas with the operator's overrides
/// (`None`: no limit).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HostAllowance {
    /// The host's tier, for the words of a refusal.
    pub tier: Tier,
    /// Rooms open at once.
    pub open_rooms: Option<u32>,
    /// People in one room at once, the host included.
    pub people_per_room: Option<u32>,
}

/// Tells what a host's account allows (the app satisfies it with the tiers service).
#[async_trait]
pub trait HostAllowances: Send + Sync + std::fmt::Debug {
    /// What `host` may have. MUST answer the most restrictive tier's allowance for an account
    /// it does not know.
    async fn allowance(&self, host: UserId) -> anyhow::Result<HostAllowance>;
}

/// A vote an account cast, as its export lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CastVote {
    /// The room's code.
    pub room: RoomCode,
    /// The track voted on (`spotify:track:…`).
    pub track_uri: String,
    /// Up (`true`) or down.
    pub like: bool,
    /// When.
    pub cast_at: Timestamp,
}

/// What the rooms hold of one account, for its export and its erasure (GD-1).
#[async_trait]
pub trait PersonalRoomData: Send + Sync + std::fmt::Debug {
    /// Every room the account hosts or joined (closed ones included), with its participation.
    async fn rooms_of(&self, user: UserId) -> anyhow::Result<Vec<(Room, Participant)>>;

    /// Every vote the account cast, oldest first.
    async fn votes_of(&self, user: UserId) -> anyhow::Result<Vec<CastVote>>;

    /// Detaches the account from its participations in other people's rooms: each becomes a
    /// nameless former participant ([`crate::Nickname::erased`]), and its votes MUST keep
    /// counting. Returns how many participations changed.
    async fn anonymise(&self, user: UserId) -> anyhow::Result<u64>;
}
