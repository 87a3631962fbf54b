//! Live delivery of room events to this process's WebSockets.
//!
//! Each event is turned into its JSON text once and shared by every socket of the room. Events
//! appended by this process are handed over at once, in order; whenever numbers do not follow on
//! (another process appended, PostgreSQL announced it, or two appends here raced), the hub reads
//! the room's log after the last event it delivered. So every subscriber sees every event once,
//! in sequence, whichever process took the vote. Delivery runs in a task of the hub's own, so
//! that the request which stored an event answers at once instead of first waking every socket
//! of the room.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use soiree_kernel::{TrackInfo, TrackRef};
use soiree_rooms::{EventSink, ParticipantId, RoomEvent, RoomEventKind, RoomId, RoomRepository};
use soiree_voting::TrackDirectory;
use tokio::sync::broadcast;

use crate::api::event_json;

/// Events a subscriber may fall behind by before it is dropped (a slow client must not slow the
/// room; it reconnects and catches up from the log).
pub(crate) const CHANNEL_CAPACITY: usize = 256;
/// The most events one read of the log delivers.
const PUMP_BATCH: u32 = 1_000;

/// An event as sockets send it: its text, made once.
#[derive(Debug)]
pub(crate) struct WireEvent {
    /// Its number in the room's log.
    pub(crate) seq: u64,
    /// The JSON message.
    pub(crate) text: String,
    kind: RoomEventKind,
}

impl WireEvent {
    fn new(event: &RoomEvent, info: Option<&TrackInfo>) -> Self {
        Self {
            seq: event.seq,
            text: event_json(event, info).to_string(),
            kind: event.kind.clone(),
        }
    }

    /// Whether this event ends the live feed of `participant` (they left or were removed, or
    /// the room closed).
    pub(crate) fn ends_feed_of(&self, participant: ParticipantId) -> bool {
        self.kind.ends_feed_of(participant)
    }
}

/// The live events of the rooms this process serves.
#[derive(Debug, Clone)]
pub(crate) struct EventHub {
    inner: Arc<HubInner>,
}

#[derive(Debug)]
struct HubInner {
    store: Arc<dyn RoomRepository>,
    directory: Arc<TrackDirectory>,
    channels: Mutex<HashMap<RoomId, Arc<Channel>>>,
    /// Events stored by this process, on their way to the delivery task.
    outbox: tokio::sync::mpsc::UnboundedSender<(RoomId, Vec<RoomEvent>)>,
}

#[derive(Debug)]
struct Channel {
    sender: broadcast::Sender<Arc<WireEvent>>,
    /// The last event broadcast.
    delivered: Mutex<u64>,
    /// One read of the log at a time.
    reading: tokio::sync::Mutex<()>,
    /// Sockets open per participant, for presence.
    listening: Mutex<HashMap<ParticipantId, usize>>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Channel {
    /// Broadcasts the events that follow on from the last one delivered; returns false when one
    /// is missing before them (the log must be read).
    fn deliver(&self, events: Vec<Arc<WireEvent>>) -> bool {
        let mut delivered = lock(&self.delivered);
        for event in events {
            if event.seq <= *delivered {
                continue;
            }
            if event.seq != *delivered + 1 {
                return false;
            }
            *delivered = event.seq;
            // Nobody listening is fine: the channel goes when its last subscriber does.
            let _ = self.sender.send(event);
        }
        true
    }
}

/// A socket's subscription to a room's live events; dropping it ends it.
/// Sockets one participant may have open on one process at once (a phone, a laptop, a TV
/// screen, and some to spare); a socket costs memory, and one guest once opened 300.
pub(crate) const SOCKETS_PER_PARTICIPANT: usize = 5;

#[derive(Debug)]
pub(crate) struct Subscription {
    pub(crate) events: broadcast::Receiver<Arc<WireEvent>>,
    room: RoomId,
    participant: ParticipantId,
    channel: Arc<Channel>,
    hub: Arc<HubInner>,
}

impl Drop for Subscription {
    fn drop(&mut self) {
        {
            let mut listening = lock(&self.channel.listening);
            if let Some(count) = listening.get_mut(&self.participant) {
                *count -= 1;
                if *count == 0 {
                    listening.remove(&self.participant);
                }
            }
        }
        let mut channels = lock(&self.hub.channels);
        // This subscription's receiver is still counted until the fields drop.
        if self.channel.sender.receiver_count() <= 1
            && channels
                .get(&self.room)
                .is_some_and(|channel| Arc::ptr_eq(channel, &self.channel))
        {
            channels.remove(&self.room);
        }
    }
}

impl EventHub {
    /// A hub reading missed events from `store` and tracks' details from `directory`; starts its
    /// delivery task on the current runtime.
    pub(crate) fn new(store: Arc<dyn RoomRepository>, directory: Arc<TrackDirectory>) -> Self {
        let (outbox, mut deliveries) = tokio::sync::mpsc::unbounded_channel();
        let hub = Self {
            inner: Arc::new(HubInner {
                store,
                directory,
                channels: Mutex::new(HashMap::new()),
                outbox,
            }),
        };
        // The task holds the hub weakly, so that it ends with the hub.
        let weak = Arc::downgrade(&hub.inner);
        tokio::spawn(async move {
            while let Some((room, events)) = deliveries.recv().await {
                let Some(inner) = weak.upgrade() else {
                    return;
                };
                let hub = EventHub { inner };
                hub.deliver(room, &events).await;
            }
        });
        hub
    }

    async fn deliver(&self, room: RoomId, events: &[RoomEvent]) {
        let Some(channel) = self.inner.channel(room) else {
            return;
        };
        let prepared = self.inner.prepare(events).await;
        if !channel.deliver(prepared) {
            self.read_log(room);
        }
    }

    /// Live events of a room from now on, for `participant` (events already in the log are the
    /// caller's to read, after subscribing, so that nothing falls between the two). `None` when
    /// the participant already has [`SOCKETS_PER_PARTICIPANT`] sockets open here.
    pub(crate) async fn subscribe(
        &self,
        room: RoomId,
        participant: ParticipantId,
    ) -> anyhow::Result<Option<Subscription>> {
        let existing = lock(&self.inner.channels).get(&room).cloned();
        let channel = match existing {
            Some(channel) => channel,
            None => {
                let last = self.inner.store.last_seq(room).await?;
                let mut channels = lock(&self.inner.channels);
                Arc::clone(channels.entry(room).or_insert_with(|| {
                    Arc::new(Channel {
                        sender: broadcast::channel(CHANNEL_CAPACITY).0,
                        delivered: Mutex::new(last),
                        reading: tokio::sync::Mutex::new(()),
                        listening: Mutex::new(HashMap::new()),
                    })
                }))
            }
        };
        {
            let mut listening = lock(&channel.listening);
            let open = listening.entry(participant).or_default();
            if *open >= SOCKETS_PER_PARTICIPANT {
                return Ok(None);
            }
            *open += 1;
        }
        Ok(Some(Subscription {
            events: channel.sender.subscribe(),
            room,
            participant,
            channel,
            hub: Arc::clone(&self.inner),
        }))
    }

    /// Another process announced that a room's log reached `last_seq`.
    pub(crate) fn announced(&self, room: RoomId, last_seq: u64) {
        let Some(channel) = self.inner.channel(room) else {
            return;
        };
        if *lock(&channel.delivered) < last_seq {
            self.read_log(room);
        }
    }

    fn read_log(&self, room: RoomId) {
        let inner = Arc::clone(&self.inner);
        tokio::spawn(async move { inner.read_log(room).await });
    }

    /// Who listens in each room now (for presence: an open socket is a sign of life).
    pub(crate) fn listening(&self) -> Vec<(RoomId, Vec<ParticipantId>)> {
        let channels: Vec<(RoomId, Arc<Channel>)> = lock(&self.inner.channels)
            .iter()
            .map(|(room, channel)| (*room, Arc::clone(channel)))
            .collect();
        channels
            .into_iter()
            .map(|(room, channel)| (room, lock(&channel.listening).keys().copied().collect()))
            .collect()
    }
}

impl HubInner {
    /// The events' texts, each with the details of its track when they are known.
    async fn prepare(&self, events: &[RoomEvent]) -> Vec<Arc<WireEvent>> {
        let tracks: Vec<TrackRef> = events
            .iter()
            .filter_map(|event| event.kind.track().cloned())
            .collect();
        let details = self.directory.get(&tracks).await.unwrap_or_else(|error| {
            tracing::warn!(
                error = format!("{error:#}"),
                "reading track details for events failed"
            );
            Default::default()
        });
        events
            .iter()
            .map(|event| {
                let info = event.kind.track().and_then(|track| details.get(track));
                Arc::new(WireEvent::new(event, info))
            })
            .collect()
    }

    fn channel(&self, room: RoomId) -> Option<Arc<Channel>> {
        lock(&self.channels).get(&room).cloned()
    }

    async fn read_log(&self, room: RoomId) {
        let Some(channel) = self.channel(room) else {
            return;
        };
        let _turn = channel.reading.lock().await;
        loop {
            let after = *lock(&channel.delivered);
            let events = match self.store.events_after(room, after, PUMP_BATCH).await {
                Ok(events) => events,
                Err(error) => {
                    tracing::warn!(
                        error = format!("{error:#}"),
                        "reading room events for live delivery failed"
                    );
                    return;
                }
            };
            let full = events.len() == PUMP_BATCH as usize;
            channel.deliver(self.prepare(&events).await);
            if !full {
                return;
            }
        }
    }
}

impl EventSink for EventHub {
    fn appended(&self, room: RoomId, events: &[RoomEvent]) {
        // Nobody listens to this room here: nothing to hand over.
        if self.inner.channel(room).is_none() {
            return;
        }
        // The task ends only with the hub, so sending cannot fail while the hub is in use.
        let _ = self.inner.outbox.send((room, events.to_vec()));
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use soiree_kernel::{SystemClock, UserId};
    use soiree_rooms::memory::{InMemoryRooms, StaticDirectory};
    use soiree_rooms::{LikeThreshold, Member, NewRoom, RoomOptions, RoomsService};
    use tokio::sync::broadcast::error::RecvError;

    use super::*;

    async fn room_with_hub() -> (EventHub, Arc<RoomsService>, RoomId, InMemoryRooms) {
        let store = InMemoryRooms::default();
        let directory = Arc::new(TrackDirectory::new(
            Arc::new(soiree_voting::memory::InMemoryTrackDetails::default()),
            Arc::new(SystemClock),
        ));
        let hub = EventHub::new(Arc::new(store.clone()), directory);
        let rooms = Arc::new(RoomsService::new(
            Arc::new(store.clone()),
            Arc::new(StaticDirectory::default()),
            Arc::new(soiree_rooms::memory::FixedAllowance::default()),
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
        (hub, rooms, room.id, store)
    }

    /// Waits, with a deadline, until the receiver has something.
    async fn next(
        receiver: &mut broadcast::Receiver<Arc<WireEvent>>,
    ) -> Result<Arc<WireEvent>, RecvError> {
        tokio::time::timeout(Duration::from_secs(10), receiver.recv())
            .await
            .expect("an event or a lag within the deadline")
    }

    #[tokio::test]
    async fn events_arrive_once_in_order_and_serialised_once_for_every_socket() {
        let (hub, rooms, room, _) = room_with_hub().await;
        let mut first = hub
            .subscribe(room, ParticipantId::generate())
            .await
            .unwrap()
            .unwrap();
        let mut second = hub
            .subscribe(room, ParticipantId::generate())
            .await
            .unwrap()
            .unwrap();
        for _ in 0..5 {
            rooms.emit(room, RoomEventKind::RoomUpdated).await.unwrap();
        }
        // An announcement from another process for events already delivered adds nothing.
        hub.announced(room, 5);
        let mut seqs = Vec::new();
        for _ in 0..5 {
            let one = next(&mut first.events).await.unwrap();
            let other = next(&mut second.events).await.unwrap();
            assert!(Arc::ptr_eq(&one, &other), "one text for every socket");
            assert!(one.text.contains("\"room_updated\""));
            seqs.push(one.seq);
        }
        assert_eq!(seqs, [1, 2, 3, 4, 5]);
        rooms.emit(room, RoomEventKind::RoomClosed).await.unwrap();
        let closed = next(&mut first.events).await.unwrap();
        assert_eq!(closed.seq, 6, "no repeats: the next one is new");
        assert!(closed.ends_feed_of(ParticipantId::generate()));
    }

    #[tokio::test]
    async fn events_another_process_appended_are_read_from_the_log_in_order() {
        let (hub, rooms, room, store) = room_with_hub().await;
        let mut subscription = hub
            .subscribe(room, ParticipantId::generate())
            .await
            .unwrap()
            .unwrap();
        // Another process appends two events straight to storage and announces them.
        let at = chrono::Utc::now();
        store.append_all(
            room,
            at,
            vec![RoomEventKind::RoomUpdated, RoomEventKind::RoomUpdated],
        );
        // This process's next event arrives before the announcement: a gap, so the log is read.
        rooms.emit(room, RoomEventKind::RoomUpdated).await.unwrap();
        hub.announced(room, 3);
        let mut seqs = Vec::new();
        for _ in 0..3 {
            seqs.push(next(&mut subscription.events).await.unwrap().seq);
        }
        assert_eq!(seqs, [1, 2, 3]);
    }

    #[tokio::test]
    async fn a_subscriber_that_falls_too_far_behind_is_told_so_instead_of_slowing_the_room() {
        let (hub, rooms, room, _) = room_with_hub().await;
        let mut slow = hub
            .subscribe(room, ParticipantId::generate())
            .await
            .unwrap()
            .unwrap();
        for _ in 0..(CHANNEL_CAPACITY + 50) {
            rooms.emit(room, RoomEventKind::RoomUpdated).await.unwrap();
        }
        // Delivery runs in the hub's own task: let it hand everything over before reading.
        let channel = hub.inner.channel(room).unwrap();
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while *lock(&channel.delivered) < CHANNEL_CAPACITY as u64 + 50 {
            assert!(
                std::time::Instant::now() < deadline,
                "delivery within the deadline"
            );
            tokio::task::yield_now().await;
        }
        // The room went on regardless; the slow subscriber lagged (its socket is then closed).
        let outcome = loop {
            match next(&mut slow.events).await {
                Ok(_) => continue,
                other => break other,
            }
        };
        assert!(matches!(outcome, Err(RecvError::Lagged(_))), "{outcome:?}");
        // A subscriber that keeps up gets the next event.
        let mut fast = hub
            .subscribe(room, ParticipantId::generate())
            .await
            .unwrap()
            .unwrap();
        rooms.emit(room, RoomEventKind::RoomClosed).await.unwrap();
        let newest = next(&mut fast.events).await.unwrap();
        assert_eq!(newest.seq, CHANNEL_CAPACITY as u64 + 51);
    }

    #[tokio::test]
    async fn presence_counts_each_listener_once_and_forgets_them_when_they_go() {
        let (hub, _, room, _) = room_with_hub().await;
        let ada = ParticipantId::generate();
        let first = hub.subscribe(room, ada).await.unwrap().unwrap();
        let second = hub.subscribe(room, ada).await.unwrap().unwrap();
        assert_eq!(hub.listening(), [(room, vec![ada])]);
        drop(first);
        assert_eq!(hub.listening(), [(room, vec![ada])]);
        drop(second);
        assert!(
            hub.listening().is_empty(),
            "the room's channel goes with its last listener"
        );
    }

    #[tokio::test]
    async fn a_participant_has_at_most_a_few_sockets_open() {
        let (hub, _, room, _) = room_with_hub().await;
        let ada = ParticipantId::generate();
        let mut open = Vec::new();
        for _ in 0..SOCKETS_PER_PARTICIPANT {
            open.push(hub.subscribe(room, ada).await.unwrap().unwrap());
        }
        assert!(hub.subscribe(room, ada).await.unwrap().is_none());
        // Someone else is not affected, and closing one makes a place.
        assert!(
            hub.subscribe(room, ParticipantId::generate())
                .await
                .unwrap()
                .is_some()
        );
        open.pop();
        assert!(hub.subscribe(room, ada).await.unwrap().is_some());
    }
}
