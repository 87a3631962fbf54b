//! In-process implementations of the rooms ports, for tests, examples and embedders.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use async_trait::async_trait;
use soiree_kernel::{Tier, Timestamp, UserId};

use crate::event::{RoomEvent, RoomEventKind};
use crate::participant::Nickname;
use crate::participant::{Identity, Participant, ParticipantId};
use crate::ports::{
    AdmitError, Capacity, CastVote, EventSink, HostAllowance, HostAllowances, InsertRoomError,
    MemberDirectory, PersonalRoomData, RoomRepository,
};
use crate::room::{Room, RoomCode, RoomId};

#[derive(Debug, Default)]
struct State {
    rooms: HashMap<RoomId, Room>,
    participants: Vec<(Participant, Option<String>)>,
    events: HashMap<RoomId, Vec<RoomEvent>>,
}

impl State {
    fn append(&mut self, room: RoomId, at: Timestamp, kind: RoomEventKind) -> RoomEvent {
        let events = self.events.entry(room).or_default();
        let event = RoomEvent {
            seq: events.len() as u64 + 1,
            at,
            kind,
        };
        events.push(event.clone());
        event
    }
}

/// Rooms in memory. Cloning shares the store.
#[derive(Debug, Default, Clone)]
pub struct InMemoryRooms {
    state: Arc<Mutex<State>>,
}

impl InMemoryRooms {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Whether the room exists and is open (for in-memory adapters of other ports that must
    /// check it atomically with their own change).
    pub fn is_open(&self, room: RoomId) -> bool {
        self.lock().rooms.get(&room).is_some_and(Room::is_open)
    }

    /// Whether the participant is in the room now.
    pub fn is_active(&self, room: RoomId, participant: ParticipantId) -> bool {
        self.lock()
            .participants
            .iter()
            .any(|(p, _)| p.room_id == room && p.id == participant && p.is_active())
    }

    /// Appends events to a room's log, numbered after the last one.
    pub fn append_all(
        &self,
        room: RoomId,
        at: Timestamp,
        kinds: Vec<RoomEventKind>,
    ) -> Vec<RoomEvent> {
        let mut state = self.lock();
        kinds
            .into_iter()
            .map(|kind| state.append(room, at, kind))
            .collect()
    }
}

#[async_trait]
impl RoomRepository for InMemoryRooms {
    async fn insert_room(
        &self,
        room: &Room,
        host: &Participant,
        open_rooms: Option<u32>,
    ) -> Result<(), InsertRoomError> {
        let mut state = self.lock();
        if state
            .rooms
            .values()
            .any(|existing| existing.code == room.code)
        {
            return Err(InsertRoomError::CodeTaken);
        }
        let open = state
            .rooms
            .values()
            .filter(|existing| existing.host == room.host && existing.is_open())
            .count();
        if open_rooms.is_some_and(|most| open >= most as usize) {
            return Err(InsertRoomError::TooManyOpen);
        }
        state.rooms.insert(room.id, room.clone());
        state.participants.push((host.clone(), None));
        Ok(())
    }

    async fn room_by_code(&self, code: &RoomCode) -> anyhow::Result<Option<Room>> {
        Ok(self
            .lock()
            .rooms
            .values()
            .find(|room| &room.code == code)
            .cloned())
    }

    async fn room(&self, id: RoomId) -> anyhow::Result<Option<Room>> {
        Ok(self.lock().rooms.get(&id).cloned())
    }

    async fn save_room(
        &self,
        room: &Room,
        event: RoomEventKind,
        at: Timestamp,
    ) -> anyhow::Result<RoomEvent> {
        let mut state = self.lock();
        state.rooms.insert(room.id, room.clone());
        Ok(state.append(room.id, at, event))
    }

    async fn participants(&self, room: RoomId) -> anyhow::Result<Vec<Participant>> {
        Ok(self
            .lock()
            .participants
            .iter()
            .filter(|(p, _)| p.room_id == room)
            .map(|(p, _)| p.clone())
            .collect())
    }

    async fn participant(
        &self,
        room: RoomId,
        id: ParticipantId,
    ) -> anyhow::Result<Option<Participant>> {
        Ok(self
            .lock()
            .participants
            .iter()
            .find(|(p, _)| p.room_id == room && p.id == id)
            .map(|(p, _)| p.clone()))
    }

    async fn participant_for_user(
        &self,
        room: RoomId,
        user: UserId,
    ) -> anyhow::Result<Option<Participant>> {
        let state = self.lock();
        let found = state
            .participants
            .iter()
            .find(|(p, _)| p.room_id == room && p.identity == Identity::User(user));
        Ok(found.map(|(p, _)| p.clone()))
    }

    async fn rooms_of_user(
        &self,
        user: UserId,
        limit: u32,
    ) -> anyhow::Result<Vec<(Room, Participant)>> {
        let state = self.lock();
        let mut found: Vec<(Room, Participant)> = state
            .participants
            .iter()
            .filter(|(p, _)| p.identity == Identity::User(user))
            .filter_map(|(p, _)| Some((state.rooms.get(&p.room_id)?.clone(), p.clone())))
            .collect();
        found.sort_by_key(|(_, participant)| std::cmp::Reverse(participant.last_seen_at));
        found.truncate(limit as usize);
        Ok(found)
    }

    async fn participant_for_guest(
        &self,
        room: RoomId,
        token_hash: &str,
    ) -> anyhow::Result<Option<Participant>> {
        let state = self.lock();
        let found = state
            .participants
            .iter()
            .find(|(p, hash)| p.room_id == room && hash.as_deref() == Some(token_hash));
        Ok(found.map(|(p, _)| p.clone()))
    }

    async fn save_participant(
        &self,
        participant: &Participant,
        guest_token_hash: Option<&str>,
        event: RoomEventKind,
        at: Timestamp,
    ) -> anyhow::Result<RoomEvent> {
        let mut state = self.lock();
        match state
            .participants
            .iter_mut()
            .find(|(p, _)| p.id == participant.id)
        {
            Some((stored, _)) => *stored = participant.clone(),
            None => state
                .participants
                .push((participant.clone(), guest_token_hash.map(str::to_owned))),
        }
        Ok(state.append(participant.room_id, at, event))
    }

    async fn admit_participant(
        &self,
        participant: &Participant,
        guest_token_hash: Option<&str>,
        at: Timestamp,
        capacity: Capacity,
    ) -> Result<(Participant, RoomEvent), AdmitError> {
        let mut state = self.lock();
        let others: Vec<&Participant> = state
            .participants
            .iter()
            .map(|(p, _)| p)
            .filter(|p| p.room_id == participant.room_id && p.is_active() && p.id != participant.id)
            .collect();
        let guests = others
            .iter()
            .filter(|p| p.identity == Identity::Guest)
            .count();
        capacity.admits(
            others.len() as u64,
            guests as u64,
            participant.identity == Identity::Guest,
        )?;
        let mut admitted = participant.clone();
        if admitted.identity == Identity::Guest {
            let taken: Vec<String> = others
                .iter()
                .map(|p| p.display_name.as_str().to_lowercase())
                .collect();
            admitted.display_name = admitted.display_name.distinct_from(&taken);
        }
        match state
            .participants
            .iter_mut()
            .find(|(p, _)| p.id == admitted.id)
        {
            Some((stored, _)) => *stored = admitted.clone(),
            None => state
                .participants
                .push((admitted.clone(), guest_token_hash.map(str::to_owned))),
        }
        let event = state.append(admitted.room_id, at, RoomEventKind::joined(&admitted));
        Ok((admitted, event))
    }

    async fn touch(
        &self,
        room: RoomId,
        participants: &[ParticipantId],
        at: Timestamp,
    ) -> anyhow::Result<()> {
        let mut state = self.lock();
        for (stored, _) in state
            .participants
            .iter_mut()
            .filter(|(p, _)| p.room_id == room && participants.contains(&p.id))
        {
            stored.last_seen_at = at;
        }
        Ok(())
    }

    async fn present_count(&self, room: RoomId, since: Timestamp) -> anyhow::Result<u32> {
        let state = self.lock();
        let people: std::collections::HashSet<String> = state
            .participants
            .iter()
            .filter(|(p, _)| p.room_id == room && p.is_active() && p.last_seen_at >= since)
            .map(|(p, _)| {
                p.source
                    .as_ref()
                    .map_or_else(|| p.id.to_string(), |source| source.as_str().to_owned())
            })
            .collect();
        Ok(u32::try_from(people.len()).unwrap_or(u32::MAX))
    }

    async fn append_event(
        &self,
        room: RoomId,
        at: Timestamp,
        kind: RoomEventKind,
    ) -> anyhow::Result<RoomEvent> {
        Ok(self.lock().append(room, at, kind))
    }

    async fn events_after(
        &self,
        room: RoomId,
        after: u64,
        limit: u32,
    ) -> anyhow::Result<Vec<RoomEvent>> {
        let state = self.lock();
        let events = state.events.get(&room).into_iter().flatten();
        Ok(events
            .filter(|event| event.seq > after)
            .take(limit as usize)
            .cloned()
            .collect())
    }

    async fn last_seq(&self, room: RoomId) -> anyhow::Result<u64> {
        Ok(self
            .lock()
            .events
            .get(&room)
            .map_or(0, |events| events.len() as u64))
    }
}

/// A directory that knows the emails it is given.
#[derive(Debug, Default, Clone)]
pub struct StaticDirectory {
    emails: Arc<Mutex<HashMap<UserId, String>>>,
}

impl StaticDirectory {
    /// Records an account's email.
    pub fn insert(&self, user: UserId, email: &str) {
        self.emails
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(user, email.to_owned());
    }
}

#[async_trait]
impl MemberDirectory for StaticDirectory {
    async fn email(&self, user: UserId) -> anyhow::Result<Option<String>> {
        Ok(self
            .emails
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&user)
            .cloned())
    }
}

/// A sink that remembers every event it is told about.
#[derive(Debug, Default, Clone)]
pub struct RecordingSink {
    events: Arc<Mutex<Vec<(RoomId, RoomEvent)>>>,
}

impl RecordingSink {
    /// The names of the recorded events, in order.
    pub fn names(&self) -> Vec<&'static str> {
        self.events
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .map(|(_, event)| event.kind.name())
            .collect()
    }

    /// The recorded events.
    pub fn events(&self) -> Vec<RoomEvent> {
        self.events
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .map(|(_, event)| event.clone())
            .collect()
    }
}

impl EventSink for RecordingSink {
    fn appended(&self, room: RoomId, events: &[RoomEvent]) {
        self.events
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .extend(events.iter().map(|event| (room, event.clone())));
    }
}

/// Gives every host the same allowance (by default, no limit).
#[derive(Debug, Clone, Copy)]
pub struct FixedAllowance(pub HostAllowance);

impl Default for FixedAllowance {
    fn default() -> Self {
        Self(HostAllowance {
            tier: Tier::Vip,
            open_rooms: None,
            people_per_room: None,
        })
    }
}

#[async_trait]
impl HostAllowances for FixedAllowance {
    async fn allowance(&self, _host: UserId) -> anyhow::Result<HostAllowance> {
        Ok(self.0)
    }
}

/// Rooms in memory hold no ballots (the voting crate's store does): no votes to list.
#[async_trait]
impl PersonalRoomData for InMemoryRooms {
    async fn rooms_of(&self, user: UserId) -> anyhow::Result<Vec<(Room, Participant)>> {
        self.rooms_of_user(user, u32::MAX).await
    }

    async fn votes_of(&self, _user: UserId) -> anyhow::Result<Vec<CastVote>> {
        Ok(Vec::new())
    }

    async fn anonymise(&self, user: UserId) -> anyhow::Result<u64> {
        let mut state = self.lock();
        let mut changed = 0;
        for (participant, token) in state
            .participants
            .iter_mut()
            .filter(|(participant, _)| participant.identity == Identity::User(user))
        {
            participant.identity = Identity::Guest;
            participant.display_name = Nickname::erased(participant.id);
            *token = None;
            changed += 1;
        }
        Ok(changed)
    }
}
