//! The room use cases that change a room: create, join, leave, remove, change, close. Each takes
//! the room's code and the caller, finds the room, checks that the caller may do what they ask,
//! and answers with that operation's own error. Finding rooms and callers, and reading a room, are
//! in `access.rs`.

use std::sync::Arc;

use chrono::Duration;
use soiree_kernel::{Clock, TtlCache, UserId};
use tracing::instrument;

use crate::error::{
    CloseRoomError, CreateRoomError, JoinError, KickError, LeaveError, ReadRoomError,
    UpdateRoomError,
};
use crate::event::{RoomEvent, RoomEventKind};
use crate::participant::{GuestSource, GuestToken, Identity, Nickname, Participant, ParticipantId};
use crate::ports::{
    AdmitError, Capacity, EventSink, HostAllowances, InsertRoomError, MemberDirectory,
    RoomRepository,
};
use crate::room::{Room, RoomCode, RoomId, RoomName};
use crate::threshold::{LikeThreshold, RoomOptions};

/// How long after their last sign of life a participant still counts as present.
pub const PRESENCE_WINDOW: Duration = Duration::minutes(3);
/// How long a room read by code is reused. A change made by this process is seen at once; one
/// made by another process within this time. Votes check that the room is open in their own
/// transaction, so a closed room never takes one; a socket is opened only after a fresh read.
const ROOM_CACHE_TTL: Duration = Duration::seconds(1);
/// How long a participant is reused before it is read again.
const PARTICIPANT_CACHE_TTL: Duration = Duration::seconds(2);
/// How long the count of those present is reused (it moves on the scale of minutes).
const PRESENCE_CACHE_TTL: Duration = Duration::seconds(1);
/// How many entries each cache holds at most.
const CACHE_CAPACITY: usize = 100_000;

/// A new room, already parsed.
#[derive(Debug, Clone)]
pub struct NewRoom {
    /// Optional name.
    pub name: Option<RoomName>,
    /// Likes needed.
    pub like_threshold: LikeThreshold,
    /// Guest rules.
    pub options: RoomOptions,
}

/// A host's changes; `None` leaves a field alone.
#[derive(Debug, Clone, Default)]
pub struct RoomChanges {
    /// New name.
    pub name: Option<RoomName>,
    /// New threshold.
    pub like_threshold: Option<LikeThreshold>,
    /// Whether guests may join.
    pub guests_allowed: Option<bool>,
    /// Guest vote rate.
    pub guest_votes_per_2min: Option<u32>,
    /// A new guest cap (`Some(None)` lifts it).
    pub max_guests: Option<Option<u32>>,
}

/// An account as the room needs it.
#[derive(Debug, Clone)]
pub struct Member {
    /// The account.
    pub user_id: UserId,
    /// The name to show.
    pub display_name: String,
}

/// Who is asking.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Viewer {
    /// A signed-in account.
    User(UserId),
    /// A guest of this room.
    Guest(ParticipantId),
}

/// A participant as a viewer sees them: the email only for the host.
#[derive(Debug, Clone)]
pub struct ParticipantView {
    /// The participant.
    pub participant: Participant,
    /// Whether this is the host.
    pub is_host: bool,
    /// The account's email, shown to the host only.
    pub email: Option<String>,
}

/// Rooms over a [`RoomRepository`].
#[derive(Debug)]
pub struct RoomsService {
    pub(crate) repository: Arc<dyn RoomRepository>,
    pub(crate) directory: Arc<dyn MemberDirectory>,
    pub(crate) allowances: Arc<dyn HostAllowances>,
    pub(crate) sink: Arc<dyn EventSink>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) rooms: TtlCache<RoomCode, Room>,
    pub(crate) participants: TtlCache<(RoomId, Viewer), Participant>,
    pub(crate) guests: TtlCache<(RoomId, String), ParticipantId>,
    pub(crate) presence: TtlCache<RoomId, u32>,
}

impl RoomsService {
    /// Wires the service.
    pub fn new(
        repository: Arc<dyn RoomRepository>,
        directory: Arc<dyn MemberDirectory>,
        allowances: Arc<dyn HostAllowances>,
        sink: Arc<dyn EventSink>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            repository,
            directory,
            allowances,
            sink,
            clock,
            rooms: TtlCache::new(ROOM_CACHE_TTL, CACHE_CAPACITY),
            participants: TtlCache::new(PARTICIPANT_CACHE_TTL, CACHE_CAPACITY),
            // A token's participant never changes; whether that participant is still active
            // is checked through the participant cache.
            guests: TtlCache::new(Duration::minutes(10), CACHE_CAPACITY),
            presence: TtlCache::new(PRESENCE_CACHE_TTL, CACHE_CAPACITY),
        }
    }

    /// Creates a room; its host is its first participant. A host may have as many rooms open
    /// at once as their tier allows.
    #[instrument(skip_all, fields(host = %host.user_id))]
    pub async fn create(
        &self,
        host: &Member,
        new: NewRoom,
    ) -> Result<(Room, Participant), CreateRoomError> {
        let allowance = self.allowances.allowance(host.user_id).await?;
        let now = self.clock.now();
        for _ in 0..10 {
            let room = Room {
                id: RoomId::generate(),
                code: RoomCode::generate(),
                name: new.name.clone(),
                host: host.user_id,
                like_threshold: new.like_threshold,
                options: new.options,
                closed_at: None,
                created_at: now,
            };
            let participant = Participant {
                id: ParticipantId::generate(),
                room_id: room.id,
                identity: Identity::User(host.user_id),
                display_name: Nickname::shortened(&host.display_name),
                joined_at: now,
                left_at: None,
                kicked: false,
                last_seen_at: now,
                source: None,
            };
            match self
                .repository
                .insert_room(&room, &participant, allowance.open_rooms)
                .await
            {
                Ok(()) => {
                    tracing::info!(room = %room.code, "room created");
                    return Ok((room, participant));
                }
                Err(InsertRoomError::CodeTaken) => continue,
                Err(InsertRoomError::TooManyOpen) => {
                    return Err(CreateRoomError::TooManyOpenRooms {
                        tier: allowance.tier,
                        limit: allowance.open_rooms.unwrap_or(u32::MAX),
                    });
                }
                Err(InsertRoomError::Unknown(error)) => return Err(error.into()),
            }
        }
        Err(CreateRoomError::NoFreeCode)
    }

    /// Joins (or rejoins) with an account.
    #[instrument(skip_all, fields(room = %code))]
    pub async fn join_as_user(
        &self,
        code: &RoomCode,
        member: &Member,
    ) -> Result<(Room, Participant), JoinError> {
        let room = self.open_room_to_join(code).await?;
        let now = self.clock.now();
        let participant = match self
            .repository
            .participant_for_user(room.id, member.user_id)
            .await?
        {
            Some(existing) if existing.kicked => return Err(JoinError::Removed),
            Some(existing) if existing.is_active() => return Ok((room, existing)),
            Some(returning) => Participant {
                left_at: None,
                last_seen_at: now,
                display_name: Nickname::shortened(&member.display_name),
                ..returning
            },
            None => Participant {
                id: ParticipantId::generate(),
                room_id: room.id,
                identity: Identity::User(member.user_id),
                display_name: Nickname::shortened(&member.display_name),
                joined_at: now,
                left_at: None,
                kicked: false,
                last_seen_at: now,
                source: None,
            },
        };
        let participant = self.admit(&room, &participant, None).await?;
        Ok((room, participant))
    }

    /// Joins as a guest; returns the guest's token (shown once).
    #[instrument(skip_all, fields(room = %code))]
    pub async fn join_as_guest(
        &self,
        code: &RoomCode,
        nickname: Nickname,
        source: GuestSource,
    ) -> Result<(Room, Participant, GuestToken), JoinError> {
        let room = self.open_room_to_join(code).await?;
        if !room.options.guests_allowed {
            return Err(JoinError::GuestsNotAllowed);
        }
        let now = self.clock.now();
        let token = GuestToken::generate();
        let participant = Participant {
            id: ParticipantId::generate(),
            room_id: room.id,
            identity: Identity::Guest,
            display_name: nickname,
            joined_at: now,
            left_at: None,
            kicked: false,
            last_seen_at: now,
            source: Some(source),
        };
        let token_hash = GuestToken::hash_of(token.expose());
        let participant = self.admit(&room, &participant, Some(&token_hash)).await?;
        Ok((room, participant, token))
    }

    /// Stores a joining participant if the room has room for them; a guest's nickname is made
    /// distinct from everyone's in the room (the host's included) as it is stored.
    async fn admit(
        &self,
        room: &Room,
        participant: &Participant,
        guest_token_hash: Option<&str>,
    ) -> Result<Participant, JoinError> {
        let allowance = self.allowances.allowance(room.host).await?;
        let capacity = Capacity {
            people: allowance.people_per_room,
            guests: room.options.max_guests,
        };
        let (participant, event) = self
            .repository
            .admit_participant(participant, guest_token_hash, self.clock.now(), capacity)
            .await
            .map_err(|error| match error {
                AdmitError::Full => JoinError::Full {
                    limit: capacity.people.unwrap_or(u32::MAX),
                },
                AdmitError::NoGuestPlaces => JoinError::NoGuestPlaces {
                    limit: capacity.guests.unwrap_or(u32::MAX),
                },
                AdmitError::Unknown(error) => JoinError::Unknown(error),
            })?;
        self.forget_participant(room, &participant);
        self.sink.appended(room.id, &[event]);
        Ok(participant)
    }

    async fn open_room_to_join(&self, code: &RoomCode) -> Result<Room, JoinError> {
        let room = self.find(code).await?.ok_or(JoinError::NotFound)?;
        if !room.is_open() {
            return Err(JoinError::Closed);
        }
        Ok(room)
    }

    /// Stores a participant with its event, forgets what was cached of them, and announces it.
    async fn store_participant(
        &self,
        room: &Room,
        participant: &Participant,
        guest_token_hash: Option<&str>,
        event: RoomEventKind,
    ) -> anyhow::Result<()> {
        let now = self.clock.now();
        let event = self
            .repository
            .save_participant(participant, guest_token_hash, event, now)
            .await?;
        self.forget_participant(room, participant);
        self.sink.appended(room.id, &[event]);
        Ok(())
    }

    /// Forgets what was cached of a participant and of who is present.
    fn forget_participant(&self, room: &Room, participant: &Participant) {
        let viewer = match participant.identity {
            Identity::User(user) => Viewer::User(user),
            Identity::Guest => Viewer::Guest(participant.id),
        };
        self.participants.remove(&(room.id, viewer));
        self.presence.remove(&room.id);
    }

    /// Leaves the room.
    pub async fn leave(&self, code: &RoomCode, viewer: Viewer) -> Result<(), LeaveError> {
        let room = self.find(code).await?.ok_or(LeaveError::NotFound)?;
        let participant = self
            .active_participant(&room, viewer)
            .await?
            .ok_or(LeaveError::NotParticipant)?;
        let left = Participant {
            left_at: Some(self.clock.now()),
            ..participant
        };
        let event = RoomEventKind::ParticipantLeft {
            participant_id: left.id,
            kicked: false,
        };
        self.store_participant(&room, &left, None, event).await?;
        Ok(())
    }

    /// Everyone in the room now, for a participant to see; emails only for the host.
    pub async fn participants(
        &self,
        code: &RoomCode,
        viewer: Viewer,
    ) -> Result<Vec<ParticipantView>, ReadRoomError> {
        let access = self.access(code, viewer).await?;
        let viewer_is_host = access.is_host();
        let room = access.room();
        let mut views = Vec::new();
        for participant in self
            .repository
            .participants(room.id)
            .await?
            .into_iter()
            .filter(Participant::is_active)
        {
            let is_host = participant.identity == Identity::User(room.host);
            let email = match (viewer_is_host, participant.identity) {
                (true, Identity::User(user)) => self.directory.email(user).await?,
                _ => None,
            };
            views.push(ParticipantView {
                participant,
                is_host,
                email,
            });
        }
        Ok(views)
    }

    /// Removes a participant (host only); they cannot join again.
    pub async fn kick(
        &self,
        code: &RoomCode,
        viewer: Viewer,
        target: ParticipantId,
    ) -> Result<(), KickError> {
        let room = self.find(code).await?.ok_or(KickError::NotFound)?;
        if viewer != Viewer::User(room.host) {
            return Err(KickError::NotHost);
        }
        let participant = self
            .repository
            .participant(room.id, target)
            .await?
            .filter(Participant::is_active)
            .filter(|participant| participant.identity != Identity::User(room.host))
            .ok_or(KickError::NoSuchParticipant)?;
        let removed = Participant {
            left_at: Some(self.clock.now()),
            kicked: true,
            ..participant
        };
        let event = RoomEventKind::ParticipantLeft {
            participant_id: target,
            kicked: true,
        };
        self.store_participant(&room, &removed, None, event).await?;
        Ok(())
    }

    /// Changes the name, threshold or options (host only).
    pub async fn update(
        &self,
        code: &RoomCode,
        viewer: Viewer,
        changes: RoomChanges,
    ) -> Result<Room, UpdateRoomError> {
        let room = self.find(code).await?.ok_or(UpdateRoomError::NotFound)?;
        if viewer != Viewer::User(room.host) {
            return Err(UpdateRoomError::NotHost);
        }
        if !room.is_open() {
            return Err(UpdateRoomError::Closed);
        }
        let mut updated = room.clone();
        if let Some(name) = changes.name {
            updated.name = Some(name);
        }
        if let Some(threshold) = changes.like_threshold {
            updated.like_threshold = threshold;
        }
        if let Some(allowed) = changes.guests_allowed {
            updated.options.guests_allowed = allowed;
        }
        if let Some(rate) = changes.guest_votes_per_2min {
            updated.options.guest_votes_per_2min = rate;
        }
        if let Some(cap) = changes.max_guests {
            updated.options.max_guests = cap;
        }
        self.store_room(&updated, RoomEventKind::RoomUpdated)
            .await?;
        Ok(updated)
    }

    /// Closes the room (host only); everyone is told. Closing a closed room changes nothing.
    pub async fn close(&self, code: &RoomCode, viewer: Viewer) -> Result<Room, CloseRoomError> {
        let room = self.find(code).await?.ok_or(CloseRoomError::NotFound)?;
        if viewer != Viewer::User(room.host) {
            return Err(CloseRoomError::NotHost);
        }
        if !room.is_open() {
            return Ok(room);
        }
        let closed = Room {
            closed_at: Some(self.clock.now()),
            ..room
        };
        self.store_room(&closed, RoomEventKind::RoomClosed).await?;
        Ok(closed)
    }

    async fn store_room(&self, room: &Room, event: RoomEventKind) -> anyhow::Result<()> {
        let event = self
            .repository
            .save_room(room, event, self.clock.now())
            .await?;
        self.rooms.remove(&room.code);
        self.sink.appended(room.id, &[event]);
        Ok(())
    }

    /// Appends an event that goes with no stored change, and hands it to the live delivery.
    pub async fn emit(&self, room: RoomId, kind: RoomEventKind) -> anyhow::Result<RoomEvent> {
        let event = self
            .repository
            .append_event(room, self.clock.now(), kind)
            .await?;
        self.sink.appended(room, std::slice::from_ref(&event));
        Ok(event)
    }

    /// Hands events stored by another port (a vote and its tally) to the live delivery.
    pub fn announce(&self, room: RoomId, events: &[RoomEvent]) {
        if !events.is_empty() {
            self.sink.appended(room, events);
        }
    }
}

#[cfg(test)]
#[path = "service_tests.rs"]
mod tests;
