//! Finding rooms and callers, and reading a room: the checks every operation starts with, the
//! [`RoomAccess`] that proves them, and the short-lived caches that keep them off storage on
//! every request.

use chrono::Duration;

use crate::error::{AuthenticateGuestError, FollowRoomError, ReadRoomError};
use crate::event::RoomEvent;
use crate::participant::{GuestToken, Identity, Participant, ParticipantId};
use crate::room::{Room, RoomCode, RoomId};
use crate::service::{PRESENCE_WINDOW, RoomsService, Viewer};

/// A participant's sign of life is written at most this often.
const TOUCH_RESOLUTION: Duration = Duration::seconds(30);

/// Proof that a caller may read a room: the room and who the caller is in it. Only this crate
/// makes one, after checking; reads of a room's events and queue take one, so that a read cannot
/// happen without the check.
#[derive(Debug, Clone)]
pub struct RoomAccess {
    room: Room,
    participant: Participant,
}

impl RoomAccess {
    /// The room.
    pub fn room(&self) -> &Room {
        &self.room
    }
    /// The caller in the room.
    pub fn participant(&self) -> &Participant {
        &self.participant
    }
    /// Whether the caller is the room's host.
    pub fn is_host(&self) -> bool {
        self.participant.identity == Identity::User(self.room.host)
    }
}

/// A room an account is or was in, as their dashboard lists it.
#[derive(Debug, Clone)]
pub struct RoomOfMember {
    /// The room.
    pub room: Room,
    /// The account in it.
    pub participant: Participant,
    /// Whether the account hosts it.
    pub is_host: bool,
}

/// How many rooms a dashboard lists.
const RECENT_ROOMS: u32 = 20;

impl RoomsService {
    /// The rooms an account hosts or joined, the most recently active first.
    pub async fn rooms_of(&self, user: soiree_kernel::UserId) -> anyhow::Result<Vec<RoomOfMember>> {
        let found = self.repository.rooms_of_user(user, RECENT_ROOMS).await?;
        Ok(found
            .into_iter()
            .map(|(room, participant)| RoomOfMember {
                is_host: room.host == user,
                room,
                participant,
            })
            .collect())
    }

    /// The room with this code, open or closed (reused for a second).
    pub async fn find(&self, code: &RoomCode) -> anyhow::Result<Option<Room>> {
        let now = self.clock.now();
        if let Some(room) = self.rooms.get(code, now) {
            return Ok(Some(room));
        }
        let room = self.repository.room_by_code(code).await?;
        if let Some(room) = &room {
            self.rooms.insert(code.clone(), room.clone(), now);
        }
        Ok(room)
    }

    /// The room with this id, read now (for the player loop).
    pub async fn by_id(&self, id: RoomId) -> anyhow::Result<Option<Room>> {
        self.repository.room(id).await
    }

    /// The caller's active participation, if any. Records a sign of life (at most every 30 s).
    pub(crate) async fn active_participant(
        &self,
        room: &Room,
        viewer: Viewer,
    ) -> anyhow::Result<Option<Participant>> {
        let now = self.clock.now();
        let key = (room.id, viewer);
        let participant = match self.participants.get(&key, now) {
            Some(participant) => participant,
            None => {
                let found = match viewer {
                    Viewer::User(user) => {
                        self.repository.participant_for_user(room.id, user).await?
                    }
                    Viewer::Guest(id) => self.repository.participant(room.id, id).await?,
                };
                let Some(participant) = found.filter(Participant::is_active) else {
                    return Ok(None);
                };
                self.participants.insert(key, participant.clone(), now);
                participant
            }
        };
        if now - participant.last_seen_at >= TOUCH_RESOLUTION {
            self.repository
                .touch(room.id, &[participant.id], now)
                .await?;
            self.participants
                .update(&key, |cached| cached.last_seen_at = now);
        }
        Ok(Some(participant))
    }

    /// Checks that the caller is in the room (open or closed) and says who they are in it.
    pub async fn access(
        &self,
        code: &RoomCode,
        viewer: Viewer,
    ) -> Result<RoomAccess, ReadRoomError> {
        let room = self.find(code).await?.ok_or(ReadRoomError::NotFound)?;
        let participant = self
            .active_participant(&room, viewer)
            .await?
            .ok_or(ReadRoomError::NotParticipant)?;
        Ok(RoomAccess { room, participant })
    }

    /// Checks that the caller may follow the room's live events: the room is open and they are
    /// in it. The room is read afresh, so that a room closed by another process is refused.
    pub async fn follow(
        &self,
        code: &RoomCode,
        viewer: Viewer,
    ) -> Result<RoomAccess, FollowRoomError> {
        let room = self
            .repository
            .room_by_code(code)
            .await?
            .ok_or(FollowRoomError::NotFound)?;
        if !room.is_open() {
            return Err(FollowRoomError::Closed);
        }
        let participant = self
            .active_participant(&room, viewer)
            .await?
            .ok_or(FollowRoomError::NotParticipant)?;
        Ok(RoomAccess { room, participant })
    }

    /// The active guest of the room behind a presented guest token.
    pub async fn authenticate_guest(
        &self,
        code: &RoomCode,
        presented_token: &str,
    ) -> Result<Participant, AuthenticateGuestError> {
        let room = self
            .find(code)
            .await?
            .ok_or(AuthenticateGuestError::UnknownGuest)?;
        let token_hash = GuestToken::hash_of(presented_token);
        let key = (room.id, token_hash);
        let now = self.clock.now();
        let id = match self.guests.get(&key, now) {
            Some(id) => id,
            None => {
                let guest = self
                    .repository
                    .participant_for_guest(room.id, &key.1)
                    .await?
                    .ok_or(AuthenticateGuestError::UnknownGuest)?;
                self.guests.insert(key, guest.id, now);
                guest.id
            }
        };
        self.active_participant(&room, Viewer::Guest(id))
            .await?
            .ok_or(AuthenticateGuestError::UnknownGuest)
    }

    /// Participants present now (active, seen within [`PRESENCE_WINDOW`]); reused for a second.
    pub async fn present_count(&self, room: &Room) -> anyhow::Result<u32> {
        let now = self.clock.now();
        if let Some(count) = self.presence.get(&room.id, now) {
            return Ok(count);
        }
        let count = self
            .repository
            .present_count(room.id, now - PRESENCE_WINDOW)
            .await?;
        self.presence.insert(room.id, count, now);
        Ok(count)
    }

    /// Likes a track needs now: the fixed count, or the share of those present.
    pub async fn likes_needed(&self, room: &Room) -> anyhow::Result<u32> {
        let present = if room.like_threshold.depends_on_presence() {
            self.present_count(room).await?
        } else {
            0
        };
        Ok(room.like_threshold.required_likes(present))
    }

    /// Records that these participants are still there (their sockets are open), in one write.
    pub async fn still_present(
        &self,
        room: RoomId,
        participants: &[ParticipantId],
    ) -> anyhow::Result<()> {
        if participants.is_empty() {
            return Ok(());
        }
        self.repository
            .touch(room, participants, self.clock.now())
            .await
    }

    /// Events after `seq` (for a client catching up after a reconnect).
    pub async fn events_after(
        &self,
        access: &RoomAccess,
        seq: u64,
        limit: u32,
    ) -> anyhow::Result<Vec<RoomEvent>> {
        self.repository
            .events_after(access.room.id, seq, limit)
            .await
    }

    /// The room's last event number, for snapshots.
    pub async fn last_seq(&self, access: &RoomAccess) -> anyhow::Result<u64> {
        self.repository.last_seq(access.room.id).await
    }
}
