//! The room use cases.

use std::sync::Arc;

use chrono::Duration;
use soiree_kernel::{Clock, UserId};
use tracing::instrument;

use crate::error::RoomError;
use crate::model::{
    GuestToken, Identity, LikeThreshold, Nickname, Participant, ParticipantId, Room, RoomCode,
    RoomEvent, RoomEventKind, RoomId, RoomName, RoomOptions,
};
use crate::ports::{EventSink, InsertRoomError, MemberDirectory, RoomRepository};

/// How long after their last sign of life a participant still counts as present.
pub const PRESENCE_WINDOW: Duration = Duration::minutes(3);

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
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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
    repository: Arc<dyn RoomRepository>,
    directory: Arc<dyn MemberDirectory>,
    sink: Arc<dyn EventSink>,
    clock: Arc<dyn Clock>,
}

/// An account's display name as a room nickname: shortened to 40 characters, or "Guest" if
/// nothing printable is left.
fn shortened(name: &str) -> Nickname {
    let short: String = name
        .trim()
        .chars()
        .filter(|c| !c.is_control())
        .take(40)
        .collect();
    Nickname::parse(&short).unwrap_or_else(|_| Nickname::guest())
}

impl RoomsService {
    /// Wires the service.
    pub fn new(
        repository: Arc<dyn RoomRepository>,
        directory: Arc<dyn MemberDirectory>,
        sink: Arc<dyn EventSink>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            repository,
            directory,
            sink,
            clock,
        }
    }

    /// Creates a room; its host is its first participant.
    #[instrument(skip_all, fields(host = %host.user_id))]
    pub async fn create(
        &self,
        host: &Member,
        new: NewRoom,
    ) -> Result<(Room, Participant), RoomError> {
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
                display_name: shortened(&host.display_name),
                joined_at: now,
                left_at: None,
                kicked: false,
                last_seen_at: now,
            };
            match self.repository.insert_room(&room, &participant).await {
                Ok(()) => {
                    tracing::info!(room = %room.code, "room created");
                    return Ok((room, participant));
                }
                Err(InsertRoomError::CodeTaken) => continue,
                Err(InsertRoomError::Unknown(error)) => return Err(error.into()),
            }
        }
        Err(RoomError::NoFreeCode)
    }

    /// The room with this code, open or closed.
    pub async fn room(&self, code: &RoomCode) -> Result<Room, RoomError> {
        self.repository
            .room_by_code(code)
            .await?
            .ok_or(RoomError::NotFound)
    }

    /// The caller's active participation, or [`RoomError::NotParticipant`]. Records a sign of life.
    pub async fn participant(&self, room: &Room, viewer: Viewer) -> Result<Participant, RoomError> {
        let found = match viewer {
            Viewer::User(user) => self.repository.participant_for_user(room.id, user).await?,
            Viewer::Guest(id) => self.repository.participant(room.id, id).await?,
        };
        let mut participant = found
            .filter(Participant::is_active)
            .ok_or(RoomError::NotParticipant)?;
        let now = self.clock.now();
        if now - participant.last_seen_at >= Duration::seconds(30) {
            self.repository.touch(room.id, participant.id, now).await?;
            participant.last_seen_at = now;
        }
        Ok(participant)
    }

    /// The guest behind a presented guest token, if active in this room.
    pub async fn guest(
        &self,
        room: &Room,
        presented_token: &str,
    ) -> Result<Participant, RoomError> {
        let participant = self
            .repository
            .participant_for_guest(room.id, &GuestToken::hash_of(presented_token))
            .await?
            .ok_or(RoomError::NotParticipant)?;
        self.participant(room, Viewer::Guest(participant.id)).await
    }

    /// Joins (or rejoins) with an account.
    #[instrument(skip_all, fields(room = %code))]
    pub async fn join_as_user(
        &self,
        code: &RoomCode,
        member: &Member,
    ) -> Result<(Room, Participant), RoomError> {
        let room = self.room(code).await?;
        if !room.is_open() {
            return Err(RoomError::Closed);
        }
        let now = self.clock.now();
        match self
            .repository
            .participant_for_user(room.id, member.user_id)
            .await?
        {
            Some(existing) if existing.kicked => Err(RoomError::Removed),
            Some(existing) if existing.is_active() => Ok((room, existing)),
            Some(mut returning) => {
                returning.left_at = None;
                returning.last_seen_at = now;
                returning.display_name = shortened(&member.display_name);
                self.repository.update_participant(&returning).await?;
                self.emit(room.id, joined(&returning)).await?;
                Ok((room, returning))
            }
            None => {
                let participant = Participant {
                    id: ParticipantId::generate(),
                    room_id: room.id,
                    identity: Identity::User(member.user_id),
                    display_name: shortened(&member.display_name),
                    joined_at: now,
                    left_at: None,
                    kicked: false,
                    last_seen_at: now,
                };
                self.repository
                    .insert_participant(&participant, None)
                    .await?;
                self.emit(room.id, joined(&participant)).await?;
                Ok((room, participant))
            }
        }
    }

    /// Joins as a guest; returns the guest's token (shown once).
    #[instrument(skip_all, fields(room = %code))]
    pub async fn join_as_guest(
        &self,
        code: &RoomCode,
        nickname: Nickname,
    ) -> Result<(Room, Participant, GuestToken), RoomError> {
        let room = self.room(code).await?;
        if !room.is_open() {
            return Err(RoomError::Closed);
        }
        if !room.options.guests_allowed {
            return Err(RoomError::GuestsNotAllowed);
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
        };
        self.repository
            .insert_participant(&participant, Some(&GuestToken::hash_of(token.expose())))
            .await?;
        self.emit(room.id, joined(&participant)).await?;
        Ok((room, participant, token))
    }

    /// Leaves the room.
    pub async fn leave(&self, room: &Room, viewer: Viewer) -> Result<(), RoomError> {
        let mut participant = self.participant(room, viewer).await?;
        participant.left_at = Some(self.clock.now());
        self.repository.update_participant(&participant).await?;
        self.emit(
            room.id,
            RoomEventKind::ParticipantLeft {
                participant_id: participant.id,
                kicked: false,
            },
        )
        .await?;
        Ok(())
    }

    /// Everyone in the room now, for a participant to see; emails only for the host.
    pub async fn participants(
        &self,
        room: &Room,
        viewer: Viewer,
    ) -> Result<Vec<ParticipantView>, RoomError> {
        self.participant(room, viewer).await?;
        let viewer_is_host = viewer == Viewer::User(room.host);
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

    /// Participants present now (active, seen within [`PRESENCE_WINDOW`]).
    pub async fn present_count(&self, room: &Room) -> Result<u32, RoomError> {
        Ok(self
            .repository
            .present_count(room.id, self.clock.now() - PRESENCE_WINDOW)
            .await?)
    }

    fn require_host(room: &Room, viewer: Viewer) -> Result<(), RoomError> {
        (viewer == Viewer::User(room.host))
            .then_some(())
            .ok_or(RoomError::NotHost)
    }

    /// Removes a participant (host only); they cannot join again.
    pub async fn kick(
        &self,
        room: &Room,
        viewer: Viewer,
        target: ParticipantId,
    ) -> Result<(), RoomError> {
        Self::require_host(room, viewer)?;
        let mut participant = self
            .repository
            .participant(room.id, target)
            .await?
            .filter(Participant::is_active)
            .ok_or(RoomError::NoSuchParticipant)?;
        if participant.identity == Identity::User(room.host) {
            return Err(RoomError::NoSuchParticipant);
        }
        participant.left_at = Some(self.clock.now());
        participant.kicked = true;
        self.repository.update_participant(&participant).await?;
        self.emit(
            room.id,
            RoomEventKind::ParticipantLeft {
                participant_id: target,
                kicked: true,
            },
        )
        .await?;
        Ok(())
    }

    /// Changes the name, threshold or options (host only).
    pub async fn update(
        &self,
        room: &Room,
        viewer: Viewer,
        changes: RoomChanges,
    ) -> Result<Room, RoomError> {
        Self::require_host(room, viewer)?;
        if !room.is_open() {
            return Err(RoomError::Closed);
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
        self.repository.update_room(&updated).await?;
        self.emit(room.id, RoomEventKind::RoomUpdated).await?;
        Ok(updated)
    }

    /// Closes the room (host only); everyone is told.
    pub async fn close(&self, room: &Room, viewer: Viewer) -> Result<Room, RoomError> {
        Self::require_host(room, viewer)?;
        if !room.is_open() {
            return Ok(room.clone());
        }
        let mut closed = room.clone();
        closed.closed_at = Some(self.clock.now());
        self.repository.update_room(&closed).await?;
        self.emit(room.id, RoomEventKind::RoomClosed).await?;
        Ok(closed)
    }

    /// Appends an event and hands it to the live delivery.
    pub async fn emit(&self, room: RoomId, kind: RoomEventKind) -> Result<RoomEvent, RoomError> {
        let event = self
            .repository
            .append_event(room, self.clock.now(), kind)
            .await?;
        self.sink.appended(room, &event);
        Ok(event)
    }

    /// Events after `seq` (for a client catching up after a reconnect).
    pub async fn events_after(
        &self,
        room: &Room,
        seq: u64,
        limit: u32,
    ) -> Result<Vec<RoomEvent>, RoomError> {
        Ok(self.repository.events_after(room.id, seq, limit).await?)
    }

    /// The room's last event number, for snapshots.
    pub async fn last_seq(&self, room: &Room) -> Result<u64, RoomError> {
        Ok(self.repository.last_seq(room.id).await?)
    }
}

fn joined(participant: &Participant) -> RoomEventKind {
    RoomEventKind::ParticipantJoined {
        participant_id: participant.id,
        display_name: participant.display_name.as_str().to_owned(),
    }
}

#[cfg(test)]
#[path = "service_tests.rs"]
mod tests;
