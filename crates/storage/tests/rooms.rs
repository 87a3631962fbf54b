//! Rooms, votes, events and leases on SQLite and PostgreSQL.

// A failing test panics; that is how it reports.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::DateTime;
use soiree_kernel::{SystemClock, Tier, TrackRef, UserId};
use soiree_rooms::memory::{RecordingSink, StaticDirectory};
use soiree_rooms::{
    LikeThreshold, Member, NewRoom, ParticipantId, RoomEventKind, RoomId, RoomOptions,
    RoomRepository as _, RoomsService, TrackState, Viewer,
};
use soiree_storage::{Database, SqlRoomStore};
use soiree_users::{PasswordHash, Profile, StoredUser, User, UserRepository as _, Username};
use soiree_voting::{
    HostPlayback, PartyPlayer, PlaybackProblem, RoomPlayer, TrackSource, Vote, VoteRateLimiter,
    VoteRepository as _, VotingService,
};
use support::test_databases;

async fn account(database: &Database) -> UserId {
    let id = UserId::generate();
    let stored = StoredUser {
        user: User {
            id,
            username: Username::parse(&format!("u{}", &id.to_string()[24..])).unwrap(),
            email: None,
            profile: Profile::default(),
            tier: Tier::Free,
            created_at: DateTime::from_timestamp(1_800_000_000, 0).unwrap(),
        },
        password_hash: PasswordHash::from_phc("$fake".into()),
    };
    database.users().insert_user(&stored).await.unwrap();
    id
}

fn track(n: u8) -> TrackRef {
    TrackRef::parse(&format!("spotify:track:{n:0>22}")).unwrap()
}

#[derive(Debug)]
struct Silent;

#[async_trait]
impl RoomPlayer for Silent {
    async fn playback(&self, _: UserId) -> Result<Option<HostPlayback>, PlaybackProblem> {
        Ok(None)
    }
    async fn play(&self, _: UserId, _: &TrackRef) -> Result<(), PlaybackProblem> {
        Ok(())
    }
    async fn enqueue(&self, _: UserId, _: &TrackRef) -> Result<(), PlaybackProblem> {
        Ok(())
    }
    async fn pause(&self, _: UserId) -> Result<(), PlaybackProblem> {
        Ok(())
    }
}

#[async_trait]
impl TrackSource for Silent {
    async fn random_liked(&self, _: UserId) -> Result<Option<TrackRef>, PlaybackProblem> {
        Ok(None)
    }
}

impl VoteRateLimiter for Silent {
    fn check(&self, _: RoomId, _: ParticipantId, _: u32) -> Result<(), Duration> {
        Ok(())
    }
}

struct Services {
    rooms: Arc<RoomsService>,
    voting: Arc<VotingService>,
    sink: RecordingSink,
}

fn services(store: &SqlRoomStore) -> Services {
    let sink = RecordingSink::default();
    let rooms = Arc::new(RoomsService::new(
        Arc::new(store.clone()),
        Arc::new(StaticDirectory::default()),
        Arc::new(sink.clone()),
        Arc::new(SystemClock),
    ));
    let party = Arc::new(PartyPlayer::new(
        rooms.clone(),
        Arc::new(store.clone()),
        Arc::new(Silent),
        Arc::new(SystemClock),
        Arc::new(|_| {}),
    ));
    let voting = Arc::new(VotingService::new(
        rooms.clone(),
        Arc::new(store.clone()),
        Arc::new(Silent),
        Arc::new(Silent),
        party,
        Arc::new(SystemClock),
    ));
    Services {
        rooms,
        voting,
        sink,
    }
}

fn new_room(threshold: LikeThreshold) -> NewRoom {
    NewRoom {
        name: None,
        like_threshold: threshold,
        options: RoomOptions::default(),
    }
}

#[tokio::test]
async fn rooms_participants_and_events_round_trip() {
    for test in test_databases().await {
        let backend = test.backend;
        let store = test.database.rooms();
        let s = services(&store);
        let host = Member {
            user_id: account(&test.database).await,
            display_name: "Host".into(),
        };
        let (room, _) = s
            .rooms
            .create(&host, new_room(LikeThreshold::share(0.5).unwrap()))
            .await
            .unwrap();
        let loaded = s.rooms.room(&room.code).await.unwrap();
        assert_eq!(loaded, room, "{backend}");
        let guest = s
            .rooms
            .join_as_guest(&room.code, soiree_rooms::Nickname::parse("Zoe").unwrap())
            .await
            .unwrap();
        assert_eq!(
            s.rooms.guest(&room, guest.2.expose()).await.unwrap().id,
            guest.1.id,
            "{backend}"
        );
        assert_eq!(s.rooms.present_count(&room).await.unwrap(), 2, "{backend}");
        s.rooms
            .leave(&room, Viewer::Guest(guest.1.id))
            .await
            .unwrap();
        assert_eq!(s.rooms.present_count(&room).await.unwrap(), 1, "{backend}");

        // Every kind of event survives storage.
        let kinds = vec![
            RoomEventKind::VoteTallied {
                track: track(1),
                likes: 2,
                dislikes: 1,
                like_threshold: 3,
                state: TrackState::Candidate,
            },
            RoomEventKind::TrackReady { track: track(1) },
            RoomEventKind::SkipTallied {
                track: track(1),
                skips: 1,
                needed: 2,
            },
            RoomEventKind::NowPlaying { track: track(1) },
            RoomEventKind::PlaybackFailed {
                track: None,
                code: "no_active_device".into(),
                message: "Open Spotify.".into(),
            },
            RoomEventKind::RoomUpdated,
            RoomEventKind::RoomClosed,
        ];
        for kind in &kinds {
            s.rooms.emit(room.id, kind.clone()).await.unwrap();
        }
        let events = store.events_after(room.id, 0, 100).await.unwrap();
        assert_eq!(
            events.iter().map(|event| event.seq).collect::<Vec<_>>(),
            (1..=9).collect::<Vec<_>>(),
            "{backend}"
        );
        assert_eq!(events[0].kind.name(), "participant_joined", "{backend}");
        assert_eq!(
            events[1].kind,
            RoomEventKind::ParticipantLeft {
                participant_id: guest.1.id,
                kicked: false
            },
            "{backend}"
        );
        assert_eq!(
            events[2..]
                .iter()
                .map(|event| event.kind.clone())
                .collect::<Vec<_>>(),
            kinds,
            "{backend}"
        );
        assert_eq!(store.last_seq(room.id).await.unwrap(), 9);
        assert_eq!(store.events_after(room.id, 7, 100).await.unwrap().len(), 2);
        test.finish().await;
    }
}

#[tokio::test]
async fn concurrent_events_get_every_number_once() {
    for test in test_databases().await {
        let store = test.database.rooms();
        let s = services(&store);
        let host = Member {
            user_id: account(&test.database).await,
            display_name: "Host".into(),
        };
        let (room, _) = s
            .rooms
            .create(&host, new_room(LikeThreshold::Fixed(1)))
            .await
            .unwrap();
        let appends = (0..20)
            .map(|_| {
                let rooms = s.rooms.clone();
                tokio::spawn(async move {
                    rooms
                        .emit(room.id, RoomEventKind::RoomUpdated)
                        .await
                        .unwrap()
                        .seq
                })
            })
            .collect::<Vec<_>>();
        let mut seqs = Vec::new();
        for append in appends {
            seqs.push(append.await.unwrap());
        }
        seqs.sort_unstable();
        assert_eq!(seqs, (1..=20).collect::<Vec<_>>(), "{}", test.backend);
        test.finish().await;
    }
}

#[tokio::test]
async fn vo_1_twenty_concurrent_voters_tally_twenty_and_exactly_one_gets_play() {
    for test in test_databases().await {
        let backend = test.backend;
        let store = test.database.rooms();
        let s = services(&store);
        let host = Member {
            user_id: account(&test.database).await,
            display_name: "Host".into(),
        };
        let (room, _) = s
            .rooms
            .create(&host, new_room(LikeThreshold::Fixed(10)))
            .await
            .unwrap();
        let mut voters = Vec::new();
        for index in 0..20 {
            let member = Member {
                user_id: account(&test.database).await,
                display_name: format!("Voter {index}"),
            };
            s.rooms.join_as_user(&room.code, &member).await.unwrap();
            voters.push(Viewer::User(member.user_id));
        }
        let votes = voters
            .into_iter()
            .map(|viewer| {
                let voting = s.voting.clone();
                let room = room.clone();
                tokio::spawn(async move {
                    voting
                        .vote(&room, viewer, &track(7), Vote::Like)
                        .await
                        .unwrap()
                        .play
                })
            })
            .collect::<Vec<_>>();
        let mut plays = 0;
        for vote in votes {
            plays += usize::from(vote.await.unwrap());
        }
        assert_eq!(plays, 1, "{backend}: play is true for exactly one vote");
        let queue = store.queue(room.id).await.unwrap();
        assert_eq!(
            (queue[0].tally.likes, queue[0].state),
            (20, TrackState::Ready),
            "{backend}"
        );
        assert_eq!(
            s.sink
                .names()
                .iter()
                .filter(|name| **name == "track_ready")
                .count(),
            1,
            "{backend}"
        );
        test.finish().await;
    }
}

#[tokio::test]
async fn the_queue_puts_ready_tracks_in_the_order_they_became_ready() {
    for test in test_databases().await {
        let store = test.database.rooms();
        let s = services(&store);
        let host = Member {
            user_id: account(&test.database).await,
            display_name: "Host".into(),
        };
        let (room, _) = s
            .rooms
            .create(&host, new_room(LikeThreshold::Fixed(1)))
            .await
            .unwrap();
        let viewer = Viewer::User(host.user_id);
        s.voting
            .vote(&room, viewer, &track(3), Vote::Like)
            .await
            .unwrap();
        s.voting
            .vote(&room, viewer, &track(1), Vote::Like)
            .await
            .unwrap();
        s.voting
            .vote(&room, viewer, &track(2), Vote::Dislike)
            .await
            .unwrap();
        let queue = s.voting.queue(&room, viewer).await.unwrap();
        let order: Vec<(TrackRef, TrackState)> = queue
            .into_iter()
            .map(|entry| (entry.track, entry.state))
            .collect();
        assert_eq!(
            order,
            [
                (track(3), TrackState::Ready),
                (track(1), TrackState::Ready),
                (track(2), TrackState::Candidate)
            ],
            "{}",
            test.backend
        );
        test.finish().await;
    }
}

#[tokio::test]
async fn a_lease_goes_to_one_holder_until_it_expires() {
    for test in test_databases().await {
        let store = test.database.rooms();
        let s = services(&store);
        let host = Member {
            user_id: account(&test.database).await,
            display_name: "Host".into(),
        };
        let (room, _) = s
            .rooms
            .create(&host, new_room(LikeThreshold::Fixed(1)))
            .await
            .unwrap();
        let now = DateTime::from_timestamp(1_900_000_000, 0).unwrap();
        let later = now + chrono::Duration::seconds(10);
        let claims = ["a", "b", "c", "d"].map(|holder| {
            let store = store.clone();
            tokio::spawn(async move {
                store
                    .claim_lease(room.id, holder, now, later)
                    .await
                    .unwrap()
            })
        });
        let mut won = 0;
        for claim in claims {
            won += usize::from(claim.await.unwrap());
        }
        assert_eq!(won, 1, "{}", test.backend);
        let expired = later + chrono::Duration::seconds(1);
        assert!(
            store
                .claim_lease(
                    room.id,
                    "e",
                    expired,
                    expired + chrono::Duration::seconds(10)
                )
                .await
                .unwrap()
        );
        assert!(
            !store
                .claim_lease(
                    room.id,
                    "a",
                    expired,
                    expired + chrono::Duration::seconds(10)
                )
                .await
                .unwrap()
        );
        assert_eq!(store.open_rooms().await.unwrap().len(), 1);
        test.finish().await;
    }
}
