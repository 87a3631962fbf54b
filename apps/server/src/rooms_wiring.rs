//! The app's side of party rooms: adapters that satisfy the rooms and voting ports with the users
//! and connections services, the in-process event hub, and the loop that runs each room's player.

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use async_trait::async_trait;
use governor::clock::{Clock as _, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use soiree_connections::{PlayRequest, PlayerService};
use soiree_kernel::{Clock, TrackRef, UserId};
use soiree_rooms::{EventSink, MemberDirectory, ParticipantId, RoomEvent, RoomId, RoomRepository};
use soiree_storage::SqlRoomStore;
use soiree_users::UsersService;
use soiree_voting::{
    HostPlayback, PartyPlayer, PlaybackProblem, RoomPlayer, TrackSource, VoteRateLimiter,
};
use tokio::sync::{Notify, broadcast};

use crate::api::describe_player_failure;

/// Account emails, for the host's participant list.
#[derive(Debug)]
pub(crate) struct UsersDirectory(pub(crate) Arc<UsersService>);

#[async_trait]
impl MemberDirectory for UsersDirectory {
    async fn email(&self, user: UserId) -> anyhow::Result<Option<String>> {
        Ok(self
            .0
            .user(user)
            .await?
            .and_then(|user| user.email)
            .map(|email| email.as_str().to_owned()))
    }
}

/// The host's Spotify player and liked tracks, as rooms use them.
#[derive(Debug)]
pub(crate) struct SpotifyForRooms(pub(crate) Arc<PlayerService>);

fn problem(error: &soiree_connections::PlayerCommandError) -> PlaybackProblem {
    let described = describe_player_failure(error);
    PlaybackProblem {
        code: described.code.to_owned(),
        message: described.detail,
    }
}

#[async_trait]
impl RoomPlayer for SpotifyForRooms {
    async fn playback(&self, host: UserId) -> Result<Option<HostPlayback>, PlaybackProblem> {
        let playback = self
            .0
            .playback(host)
            .await
            .map_err(|error| problem(&error))?;
        Ok(playback.map(|playback| HostPlayback {
            track: playback
                .item
                .as_ref()
                .and_then(|item| TrackRef::parse(&item.uri).ok()),
            is_playing: playback.is_playing,
            progress_ms: playback.progress_ms.unwrap_or(0),
            duration_ms: playback.item.map_or(0, |item| item.duration_ms),
        }))
    }

    async fn play(&self, host: UserId, track: &TrackRef) -> Result<(), PlaybackProblem> {
        let request = PlayRequest {
            uris: vec![track.as_str().to_owned()],
            device_id: None,
        };
        self.0
            .play(host, request)
            .await
            .map_err(|error| problem(&error))
    }

    async fn enqueue(&self, host: UserId, track: &TrackRef) -> Result<(), PlaybackProblem> {
        self.0
            .queue(host, track.as_str().to_owned())
            .await
            .map_err(|error| problem(&error))
    }

    async fn pause(&self, host: UserId) -> Result<(), PlaybackProblem> {
        self.0.pause(host).await.map_err(|error| problem(&error))
    }
}

#[async_trait]
impl TrackSource for SpotifyForRooms {
    async fn random_liked(&self, user: UserId) -> Result<Option<TrackRef>, PlaybackProblem> {
        let uri = self
            .0
            .random_liked(user)
            .await
            .map_err(|error| problem(&error))?;
        Ok(uri.and_then(|uri| TrackRef::parse(&uri).ok()))
    }
}

/// One room's limiter, keyed by guest.
type GuestLimiter = DefaultKeyedRateLimiter<ParticipantId>;

/// Guests' vote limits: a token bucket per guest (governor's GCRA), refilled evenly over two
/// minutes, per room at the room's rate. Limits are per process: with several processes a guest
/// whose requests are spread over them gets each one's allowance.
#[derive(Debug, Default)]
pub(crate) struct GuestVoteLimiter {
    rooms: Mutex<HashMap<RoomId, (u32, Arc<GuestLimiter>)>>,
}

impl VoteRateLimiter for GuestVoteLimiter {
    fn check(
        &self,
        room: RoomId,
        participant: ParticipantId,
        per_two_minutes: u32,
    ) -> Result<(), Duration> {
        let burst = NonZeroU32::new(per_two_minutes).unwrap_or(NonZeroU32::MIN);
        let limiter = {
            let mut rooms = self.rooms.lock().unwrap_or_else(PoisonError::into_inner);
            let entry = rooms.entry(room).or_insert_with(|| {
                (
                    0,
                    Arc::new(RateLimiter::keyed(Quota::per_minute(NonZeroU32::MIN))),
                )
            });
            if entry.0 != per_two_minutes {
                let period = Duration::from_secs(120) / burst.get();
                let quota = Quota::with_period(period)
                    .unwrap_or_else(|| Quota::per_minute(NonZeroU32::MIN))
                    .allow_burst(burst);
                *entry = (per_two_minutes, Arc::new(RateLimiter::keyed(quota)));
            }
            Arc::clone(&entry.1)
        };
        limiter
            .check_key(&participant)
            .map_err(|not_until| not_until.wait_time_from(DefaultClock::default().now()))
    }
}

/// Live delivery of room events to this process's WebSockets.
///
/// Delivery is an ordered pump: whatever announces new events (an append in this process, or a
/// PostgreSQL notification from another), the hub reads the room's events after the last one it
/// delivered, from the event log, and broadcasts them in order. So every subscriber sees every
/// event once, in sequence, whichever process took the vote.
#[derive(Debug, Clone)]
pub(crate) struct EventHub {
    inner: Arc<HubInner>,
}

#[derive(Debug)]
struct HubInner {
    store: Arc<dyn RoomRepository>,
    channels: Mutex<HashMap<RoomId, RoomChannel>>,
}

#[derive(Debug, Clone)]
struct RoomChannel {
    sender: broadcast::Sender<RoomEvent>,
    /// The last event broadcast; held while pumping, so pumps of one room take turns.
    delivered: Arc<tokio::sync::Mutex<u64>>,
}

/// Events a subscriber may fall behind by before it is dropped (a slow client must not slow the room).
const CHANNEL_CAPACITY: usize = 256;

impl EventHub {
    pub(crate) fn new(store: Arc<dyn RoomRepository>) -> Self {
        Self {
            inner: Arc::new(HubInner {
                store,
                channels: Mutex::new(HashMap::new()),
            }),
        }
    }

    /// Live events of a room from now on (events already in the log are the caller's to read).
    pub(crate) async fn subscribe(
        &self,
        room: RoomId,
    ) -> anyhow::Result<broadcast::Receiver<RoomEvent>> {
        if let Some(channel) = self.inner.channel(room) {
            return Ok(channel.sender.subscribe());
        }
        let last = self.inner.store.last_seq(room).await?;
        let mut channels = self
            .inner
            .channels
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let channel = channels.entry(room).or_insert_with(|| RoomChannel {
            sender: broadcast::channel(CHANNEL_CAPACITY).0,
            delivered: Arc::new(tokio::sync::Mutex::new(last)),
        });
        Ok(channel.sender.subscribe())
    }

    /// New events were appended to a room's log (here or in another process).
    pub(crate) fn trigger(&self, room: RoomId) {
        let inner = Arc::clone(&self.inner);
        tokio::spawn(async move { inner.pump(room).await });
    }
}

impl HubInner {
    fn channel(&self, room: RoomId) -> Option<RoomChannel> {
        self.channels
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&room)
            .cloned()
    }

    async fn pump(&self, room: RoomId) {
        let Some(channel) = self.channel(room) else {
            return;
        };
        let mut delivered = channel.delivered.lock().await;
        let events = match self.store.events_after(room, *delivered, 1_000).await {
            Ok(events) => events,
            Err(error) => {
                tracing::warn!(
                    error = format!("{error:#}"),
                    "reading room events for live delivery failed"
                );
                return;
            }
        };
        for event in events {
            *delivered = event.seq;
            if channel.sender.send(event).is_err() {
                // Nobody listens any more.
                self.channels
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .remove(&room);
                return;
            }
        }
    }
}

impl EventSink for EventHub {
    fn appended(&self, room: RoomId, _event: &RoomEvent) {
        self.trigger(room);
    }
}

/// Forwards other processes' announcements of new room events to the hub (PostgreSQL only).
pub(crate) fn spawn_event_listener(
    mut listener: soiree_storage::RoomEventListener,
    hub: EventHub,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            match listener.next().await {
                Ok(room) => hub.trigger(room),
                Err(error) => {
                    tracing::warn!(
                        error = format!("{error:#}"),
                        "room event listener interrupted; retrying"
                    );
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }
        }
    })
}

/// How often every open room is looked at.
const SWEEP: Duration = Duration::from_secs(2);
/// How long a lease on a room's player lasts without renewal.
const LEASE: chrono::Duration = chrono::Duration::seconds(10);

/// Runs the player of every open room whose lease this process holds: every two seconds, and at
/// once when a room asks (a track became ready). The lease (one row per room) gives each room to
/// one process at a time and moves when a process stops renewing it.
pub(crate) fn spawn_party_loop(
    store: SqlRoomStore,
    party: Arc<PartyPlayer>,
    clock: Arc<dyn Clock>,
    wake: Arc<Notify>,
) -> tokio::task::JoinHandle<()> {
    let holder = format!("{}-{}", std::process::id(), uuid::Uuid::now_v7().simple());
    tokio::spawn(async move {
        loop {
            tokio::select! {
                () = tokio::time::sleep(SWEEP) => {}
                () = wake.notified() => {}
            }
            let rooms = match store.open_rooms().await {
                Ok(rooms) => rooms,
                Err(error) => {
                    tracing::warn!(
                        error = format!("{error:#}"),
                        "listing rooms for the player loop failed"
                    );
                    continue;
                }
            };
            for room in rooms {
                let now = clock.now();
                match store.claim_lease(room.id, &holder, now, now + LEASE).await {
                    Ok(true) => {
                        if let Err(error) = party.tick(&room).await {
                            tracing::warn!(room = %room.code, error = %error, "room player tick failed");
                        }
                    }
                    Ok(false) => {}
                    Err(error) => {
                        tracing::warn!(error = format!("{error:#}"), "claiming a room lease failed")
                    }
                }
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use soiree_kernel::{SystemClock, UserId};
    use soiree_rooms::memory::{InMemoryRooms, StaticDirectory};
    use soiree_rooms::{LikeThreshold, Member, NewRoom, RoomEventKind, RoomOptions, RoomsService};
    use tokio::sync::broadcast::error::RecvError;

    use super::*;

    async fn room_with_hub() -> (EventHub, Arc<RoomsService>, RoomId) {
        let store = Arc::new(InMemoryRooms::default());
        let hub = EventHub::new(store.clone());
        let rooms = Arc::new(RoomsService::new(
            store,
            Arc::new(StaticDirectory::default()),
            Arc::new(hub.clone()),
            Arc::new(SystemClock),
        ));
        let host = Member {
            user_id: UserId::generate(),
            display_name: "Host".into(),
        };
        let new = NewRoom {
            name: None,
            like_threshold: LikeThreshold::Fixed(1),
            options: RoomOptions::default(),
        };
        let (room, _) = rooms.create(&host, new).await.unwrap();
        (hub, rooms, room.id)
    }

    /// Waits (polling, with a deadline) until the receiver has something.
    async fn next(receiver: &mut broadcast::Receiver<RoomEvent>) -> Result<RoomEvent, RecvError> {
        tokio::time::timeout(Duration::from_secs(10), receiver.recv())
            .await
            .expect("an event or a lag within the deadline")
    }

    #[tokio::test]
    async fn events_arrive_once_and_in_order_from_the_log() {
        let (hub, rooms, room) = room_with_hub().await;
        let mut receiver = hub.subscribe(room).await.unwrap();
        for _ in 0..5 {
            rooms.emit(room, RoomEventKind::RoomUpdated).await.unwrap();
        }
        // An announcement from another process for events already delivered adds nothing.
        hub.trigger(room);
        let mut seqs = Vec::new();
        for _ in 0..5 {
            seqs.push(next(&mut receiver).await.unwrap().seq);
        }
        assert_eq!(seqs, [1, 2, 3, 4, 5]);
        rooms.emit(room, RoomEventKind::RoomClosed).await.unwrap();
        assert_eq!(
            next(&mut receiver).await.unwrap().seq,
            6,
            "no repeats: the next one is new"
        );
    }

    #[tokio::test]
    async fn a_subscriber_that_falls_too_far_behind_is_told_so_instead_of_slowing_the_room() {
        let (hub, rooms, room) = room_with_hub().await;
        let mut slow = hub.subscribe(room).await.unwrap();
        for _ in 0..(CHANNEL_CAPACITY + 50) {
            rooms.emit(room, RoomEventKind::RoomUpdated).await.unwrap();
        }
        let mut fast = hub.subscribe(room).await.unwrap();
        rooms.emit(room, RoomEventKind::RoomClosed).await.unwrap();
        // The room went on regardless; the slow subscriber lagged (its socket is then closed).
        let outcome = loop {
            match next(&mut slow).await {
                Ok(_) => continue,
                other => break other,
            }
        };
        assert!(matches!(outcome, Err(RecvError::Lagged(_))), "{outcome:?}");
        // A subscriber that keeps reading reaches the newest event (skipping what it missed if
        // it, too, joined while older events were still being pumped).
        loop {
            match next(&mut fast).await {
                Ok(event) if event.kind == RoomEventKind::RoomClosed => break,
                Ok(_) | Err(RecvError::Lagged(_)) => {}
                Err(RecvError::Closed) => panic!("the channel closed before room_closed"),
            }
        }
    }
}
