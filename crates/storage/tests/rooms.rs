//! Rooms, votes, events and player leases on SQLite and PostgreSQL.

// A failing test panics; that is how it reports.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::DateTime;
use soiree_kernel::{SystemClock, Tier, TrackInfo, TrackRef, UserId};
use soiree_rooms::memory::{FixedAllowance, RecordingSink, StaticDirectory};
use soiree_rooms::{
    GuestSource, LikeThreshold, Member, NewRoom, Nickname, PlaybackFailure, Room, RoomEventKind,
    RoomId, RoomOptions, RoomRepository as _, RoomsService, TrackState, Viewer,
};
use soiree_storage::{Change, Database, SqlRoomStore};
use soiree_users::{
    PasswordHash, Profile, SessionId, SessionRepository as _, StoredUser, User,
    UserRepository as _, Username,
};
use soiree_voting::{
    Ballot, Choice, GuestVote, GuestVoter, HostPlayback, LoopMemory, PartyPlayer,
    PlayerLeases as _, RecordBallotError, RoomPlayer, TrackCatalog, TrackDetails, TrackDirectory,
    TrackSource, Vote, VoteRateLimiter, VoteRepository as _, VotingPorts, VotingService,
};
use support::{TestDatabase, test_databases};

async fn account(database: &Database) -> UserId {
    let id = UserId::generate();
    let stored = StoredUser {
        user: User {
            id,
            username: Username::parse(&format!("u{}", &id.to_string()[24..])).unwrap(),
            email: None,
            profile: Profile::default(),
            tier: Tier::Free,
            operator: false,
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
    async fn playback(&self, _: UserId) -> Result<Option<HostPlayback>, PlaybackFailure> {
        Ok(None)
    }
    async fn play(&self, _: UserId, _: &TrackRef) -> Result<(), PlaybackFailure> {
        Ok(())
    }
    async fn enqueue(&self, _: UserId, _: &TrackRef) -> Result<(), PlaybackFailure> {
        Ok(())
    }
    async fn pause(&self, _: UserId) -> Result<(), PlaybackFailure> {
        Ok(())
    }
    async fn is_connected(&self, _: UserId) -> bool {
        false
    }
}

#[async_trait]
impl TrackSource for Silent {
    async fn random_liked(&self, _: UserId) -> Result<Option<TrackRef>, PlaybackFailure> {
        Ok(None)
    }
}

#[async_trait]
impl TrackCatalog for Silent {
    async fn describe(
        &self,
        _: UserId,
        _: &TrackRef,
    ) -> Result<Option<TrackInfo>, PlaybackFailure> {
        Err(PlaybackFailure::NotConnected)
    }
    async fn search(&self, _: UserId, _: &str) -> Result<Vec<TrackInfo>, PlaybackFailure> {
        Ok(Vec::new())
    }
}

#[async_trait]
impl VoteRateLimiter for Silent {
    async fn check(&self, _: RoomId, _: &GuestVoter, _: u32) -> anyhow::Result<GuestVote> {
        Ok(GuestVote::Allowed)
    }
}

/// The services of one instance over one pool.
struct Services {
    rooms: Arc<RoomsService>,
    voting: Arc<VotingService>,
    sink: RecordingSink,
}

fn services(store: &SqlRoomStore, tracks: Arc<dyn TrackDetails>) -> Services {
    let sink = RecordingSink::default();
    let rooms = Arc::new(RoomsService::new(
        Arc::new(store.clone()),
        Arc::new(StaticDirectory::default()),
        Arc::new(FixedAllowance::default()),
        Arc::new(sink.clone()),
        Arc::new(SystemClock),
    ));
    let party = Arc::new(PartyPlayer::new(
        rooms.clone(),
        Arc::new(store.clone()),
        Arc::new(store.clone()),
        Arc::new(Silent),
        Arc::new(SystemClock),
        "test",
        Arc::new(|_| {}),
    ));
    let ports = VotingPorts {
        votes: Arc::new(store.clone()),
        liked: Arc::new(Silent),
        catalog: Arc::new(Silent),
        directory: Arc::new(TrackDirectory::new(tracks, Arc::new(SystemClock))),
        limiter: Arc::new(Silent),
    };
    let voting = Arc::new(VotingService::new(
        rooms.clone(),
        ports,
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

async fn hosted_room(
    test: &TestDatabase,
    s: &Services,
    threshold: LikeThreshold,
) -> (Room, Viewer) {
    let host = Member {
        user_id: account(&test.database).await,
        display_name: "Host".into(),
    };
    let (room, _) = s.rooms.create(&host, new_room(threshold)).await.unwrap();
    (room, Viewer::User(host.user_id))
}

async fn voters(test: &TestDatabase, s: &Services, room: &Room, count: usize) -> Vec<Viewer> {
    let mut voters = Vec::new();
    for index in 0..count {
        let member = Member {
            user_id: account(&test.database).await,
            display_name: format!("Voter {index}"),
        };
        s.rooms.join_as_user(&room.code, &member).await.unwrap();
        voters.push(Viewer::User(member.user_id));
    }
    voters
}

#[tokio::test]
async fn rooms_participants_and_events_round_trip() {
    for test in test_databases().await {
        let backend = test.backend;
        let store = test.database.rooms();
        let s = services(&store, Arc::new(test.database.tracks()));
        let (room, host) = hosted_room(&test, &s, LikeThreshold::share(0.5).unwrap()).await;
        let loaded = store.room_by_code(&room.code).await.unwrap().unwrap();
        assert_eq!(loaded, room, "{backend}");
        let (_, guest, token) = s
            .rooms
            .join_as_guest(
                &room.code,
                Nickname::parse("Zoe").unwrap(),
                GuestSource::new("phone-of-zoe"),
            )
            .await
            .unwrap();
        assert_eq!(
            s.rooms
                .authenticate_guest(&room.code, token.expose())
                .await
                .unwrap()
                .id,
            guest.id,
            "{backend}"
        );
        assert_eq!(
            store.present_count(room.id, room.created_at).await.unwrap(),
            2
        );
        s.rooms
            .leave(&room.code, Viewer::Guest(guest.id))
            .await
            .unwrap();
        assert_eq!(
            store.present_count(room.id, room.created_at).await.unwrap(),
            1
        );
        let later = room.created_at + chrono::Duration::minutes(10);
        store.touch(room.id, &[], later).await.unwrap();
        let host_participant = store.participants(room.id).await.unwrap()[0].id;
        store
            .touch(room.id, &[host_participant], later)
            .await
            .unwrap();
        assert_eq!(
            store.present_count(room.id, later).await.unwrap(),
            1,
            "{backend}"
        );

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
                failure: PlaybackFailure::NoActiveDevice,
            },
            RoomEventKind::PlaybackFailed {
                track: Some(track(2)),
                failure: PlaybackFailure::RateLimited {
                    retry_after: Duration::from_secs(30),
                },
            },
            RoomEventKind::RoomUpdated,
        ];
        for kind in &kinds {
            s.rooms.emit(room.id, kind.clone()).await.unwrap();
        }
        s.rooms.close(&room.code, host).await.unwrap();
        let events = store.events_after(room.id, 0, 100).await.unwrap();
        assert_eq!(
            events.iter().map(|event| event.seq).collect::<Vec<_>>(),
            (1..=10).collect::<Vec<_>>(),
            "{backend}"
        );
        assert_eq!(events[0].kind.name(), "participant_joined", "{backend}");
        assert_eq!(
            events[1].kind,
            RoomEventKind::ParticipantLeft {
                participant_id: guest.id,
                kicked: false
            },
            "{backend}"
        );
        assert_eq!(
            events[2..9]
                .iter()
                .map(|event| event.kind.clone())
                .collect::<Vec<_>>(),
            kinds,
            "{backend}"
        );
        assert_eq!(events[9].kind, RoomEventKind::RoomClosed, "{backend}");
        assert!(
            store
                .room(room.id)
                .await
                .unwrap()
                .unwrap()
                .closed_at
                .is_some()
        );
        assert_eq!(store.last_seq(room.id).await.unwrap(), 10);
        assert_eq!(store.events_after(room.id, 8, 100).await.unwrap().len(), 2);
        test.finish().await;
    }
}

#[tokio::test]
async fn concurrent_events_and_ballots_get_every_number_once() {
    for test in test_databases().await {
        let store = test.database.rooms();
        let s = services(&store, Arc::new(test.database.tracks()));
        let (room, _) = hosted_room(&test, &s, LikeThreshold::Fixed(100)).await;
        let voters = voters(&test, &s, &room, 10).await;
        let first = store.last_seq(room.id).await.unwrap();
        let emits = (0..10).map(|_| {
            let rooms = s.rooms.clone();
            tokio::spawn(async move {
                rooms
                    .emit(room.id, RoomEventKind::RoomUpdated)
                    .await
                    .unwrap();
            })
        });
        let votes = voters.into_iter().map(|viewer| {
            let voting = s.voting.clone();
            let code = room.code.clone();
            tokio::spawn(async move {
                voting
                    .vote(&code, viewer, &track(1), Vote::Like)
                    .await
                    .unwrap();
            })
        });
        // Every task is spawned before any is awaited.
        let tasks: Vec<_> = emits.chain(votes).collect();
        for task in tasks {
            task.await.unwrap();
        }
        let seqs: Vec<u64> = store
            .events_after(room.id, first, 100)
            .await
            .unwrap()
            .iter()
            .map(|event| event.seq)
            .collect();
        assert_eq!(
            seqs,
            (first + 1..=first + 20).collect::<Vec<_>>(),
            "{}",
            test.backend
        );
        test.finish().await;
    }
}

#[tokio::test]
async fn vo_1_voters_on_two_instances_tally_exactly_and_exactly_one_gets_play() {
    for test in test_databases().await {
        let backend = test.backend;
        let store = test.database.rooms();
        let s = services(&store, Arc::new(test.database.tracks()));
        // A second pool on the same database, with its own ballot writer: a second instance.
        let second_database = Database::connect(test.database_url()).await.unwrap();
        let second = services(&second_database.rooms(), Arc::new(second_database.tracks()));
        let (room, _) = hosted_room(&test, &s, LikeThreshold::Fixed(10)).await;
        let voters = voters(&test, &s, &room, 20).await;
        let votes: Vec<_> = voters
            .into_iter()
            .enumerate()
            .map(|(index, viewer)| {
                let voting = if index % 2 == 0 {
                    s.voting.clone()
                } else {
                    second.voting.clone()
                };
                let code = room.code.clone();
                tokio::spawn(async move {
                    voting
                        .vote(&code, viewer, &track(7), Vote::Like)
                        .await
                        .unwrap()
                        .play
                })
            })
            .collect();
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
        let ready = s
            .sink
            .names()
            .iter()
            .chain(second.sink.names().iter())
            .filter(|name| **name == "track_ready")
            .count();
        assert_eq!(ready, 1, "{backend}");
        let logged = store.events_after(room.id, 0, 1000).await.unwrap();
        assert_eq!(
            logged
                .iter()
                .filter(|event| event.kind.name() == "vote_tallied")
                .count(),
            20,
            "{backend}: every vote has its event"
        );
        second_database.close().await.unwrap();
        test.finish().await;
    }
}

#[tokio::test]
async fn a_ballot_is_stored_with_its_event_or_not_at_all() {
    for test in test_databases().await {
        let backend = test.backend;
        let store = test.database.rooms();
        let s = services(&store, Arc::new(test.database.tracks()));
        let (room, host) = hosted_room(&test, &s, LikeThreshold::Fixed(2)).await;
        let participant = store.participants(room.id).await.unwrap()[0].id;
        let ballot = |choice| Ballot {
            room: room.id,
            participant,
            track: track(1),
            choice,
            likes_needed: 2,
            at: room.created_at,
        };
        let before = store.last_seq(room.id).await.unwrap();
        assert!(matches!(
            store.record(ballot(Choice::Retract)).await,
            Err(RecordBallotError::NoVote)
        ));
        assert_eq!(store.last_seq(room.id).await.unwrap(), before, "{backend}");

        let liked = store
            .record(ballot(Choice::Cast(Vote::Like)))
            .await
            .unwrap();
        assert_eq!(liked.outcome.tally.likes, 1);
        assert_eq!(liked.events.len(), 1);
        assert_eq!(liked.events[0].seq, before + 1);
        let disliked = store
            .record(ballot(Choice::Cast(Vote::Dislike)))
            .await
            .unwrap();
        assert_eq!(
            (
                disliked.outcome.tally.likes,
                disliked.outcome.tally.dislikes
            ),
            (0, 1)
        );
        let retracted = store.record(ballot(Choice::Retract)).await.unwrap();
        assert_eq!(
            (
                retracted.outcome.tally.likes,
                retracted.outcome.tally.dislikes
            ),
            (0, 0)
        );
        assert_eq!(
            store.last_seq(room.id).await.unwrap(),
            before + 3,
            "{backend}"
        );
        let logged = store.events_after(room.id, before, 10).await.unwrap();
        assert_eq!(
            logged
                .iter()
                .map(|event| event.kind.clone())
                .collect::<Vec<_>>(),
            [&liked, &disliked, &retracted].map(|recorded| recorded.events[0].kind.clone()),
            "{backend}: the log holds exactly what each ballot announced"
        );

        // A closed room and a participant who left are refused inside the transaction.
        let (_, guest, _) = s
            .rooms
            .join_as_guest(
                &room.code,
                Nickname::parse("Zoe").unwrap(),
                GuestSource::new("phone-of-zoe"),
            )
            .await
            .unwrap();
        s.rooms
            .leave(&room.code, Viewer::Guest(guest.id))
            .await
            .unwrap();
        let gone = Ballot {
            participant: guest.id,
            ..ballot(Choice::Cast(Vote::Like))
        };
        assert!(matches!(
            store.record(gone).await,
            Err(RecordBallotError::NotParticipant)
        ));
        s.rooms.close(&room.code, host).await.unwrap();
        let last = store.last_seq(room.id).await.unwrap();
        assert!(matches!(
            store.record(ballot(Choice::Cast(Vote::Like))).await,
            Err(RecordBallotError::RoomClosed)
        ));
        assert_eq!(store.last_seq(room.id).await.unwrap(), last, "{backend}");
        test.finish().await;
    }
}

#[tokio::test]
async fn the_queue_puts_ready_tracks_in_the_order_they_became_ready_and_the_loop_keeps_its_moves() {
    for test in test_databases().await {
        let store = test.database.rooms();
        let s = services(&store, Arc::new(test.database.tracks()));
        let (room, host) = hosted_room(&test, &s, LikeThreshold::Fixed(1)).await;
        for (n, vote) in [(3, Vote::Like), (1, Vote::Like), (2, Vote::Dislike)] {
            s.voting
                .vote(&room.code, host, &track(n), vote)
                .await
                .unwrap();
        }
        let order = |queue: Vec<soiree_voting::RoomTrack>| -> Vec<(TrackRef, TrackState)> {
            queue
                .into_iter()
                .map(|entry| (entry.track, entry.state))
                .collect()
        };
        assert_eq!(
            order(s.voting.queue(&room.code, host).await.unwrap()),
            [
                (track(3), TrackState::Ready),
                (track(1), TrackState::Ready),
                (track(2), TrackState::Candidate)
            ],
            "{}",
            test.backend
        );
        // The player moves track 3 on; a later vote on it does not move it back.
        let now = room.created_at;
        assert!(
            store
                .transition(
                    room.id,
                    &track(3),
                    TrackState::Ready,
                    TrackState::Playing,
                    now
                )
                .await
                .unwrap()
        );
        assert!(
            !store
                .transition(
                    room.id,
                    &track(3),
                    TrackState::Ready,
                    TrackState::Playing,
                    now
                )
                .await
                .unwrap()
        );
        s.voting
            .vote(&room.code, host, &track(3), Vote::Dislike)
            .await
            .unwrap();
        let queue = s.voting.queue(&room.code, host).await.unwrap();
        assert_eq!(
            (
                queue[0].track.clone(),
                queue[0].state,
                queue[0].tally.dislikes
            ),
            (track(3), TrackState::Playing, 1)
        );
        assert!(
            store
                .transition(
                    room.id,
                    &track(3),
                    TrackState::Candidate,
                    TrackState::Ready,
                    now
                )
                .await
                .is_err(),
            "only ballots make tracks ready"
        );
        test.finish().await;
    }
}

#[tokio::test]
async fn a_lease_goes_to_one_holder_until_it_expires_and_its_memory_stays_with_the_room() {
    for test in test_databases().await {
        let backend = test.backend;
        let store = test.database.rooms();
        let s = services(&store, Arc::new(test.database.tracks()));
        let (room, _) = hosted_room(&test, &s, LikeThreshold::Fixed(1)).await;
        let now = DateTime::from_timestamp(1_900_000_000, 0).unwrap();
        let later = now + chrono::Duration::seconds(15);
        assert!(
            store.due("a", now, 10).await.unwrap().is_empty(),
            "{backend}: not woken yet"
        );
        store.wake(room.id, now).await.unwrap();
        assert_eq!(store.due("a", now, 10).await.unwrap(), [room.id]);

        let claims = ["a", "b", "c", "d"].map(|holder| {
            let store = store.clone();
            tokio::spawn(async move { store.claim(room.id, holder, now, later).await.unwrap() })
        });
        let mut won = 0;
        for claim in claims {
            won += usize::from(claim.await.unwrap().is_some());
        }
        assert_eq!(won, 1, "{backend}");
        // Once expired, the lease goes to whoever claims it next.
        let expired = later + chrono::Duration::seconds(1);
        let memory = store
            .claim(
                room.id,
                "e",
                expired,
                expired + chrono::Duration::seconds(15),
            )
            .await
            .unwrap();
        assert_eq!(memory, Some(LoopMemory::default()), "{backend}");
        assert!(
            store
                .claim(room.id, "a", expired, expired)
                .await
                .unwrap()
                .is_none(),
            "{backend}: e holds it"
        );

        let remembered = LoopMemory {
            queued_next: Some(track(2)),
            skipping: None,
            backoff_until: Some(expired),
            last_failure: Some((
                PlaybackFailure::RateLimited {
                    retry_after: Duration::from_millis(2500),
                },
                expired,
            )),
        };
        let next = expired + chrono::Duration::seconds(5);
        assert!(
            store
                .store(room.id, "e", &remembered, Some(next), expired)
                .await
                .unwrap()
        );
        assert!(
            !store
                .store(room.id, "a", &remembered, None, expired)
                .await
                .unwrap(),
            "{backend}: only the holder stores"
        );
        assert!(
            store.due("x", expired, 10).await.unwrap().is_empty(),
            "{backend}: not due before its next look"
        );
        // The lease moves to "f" after it expires; the memory moves with it.
        let moved_at = expired + chrono::Duration::seconds(20);
        assert_eq!(store.due("f", moved_at, 10).await.unwrap(), [room.id]);
        assert_eq!(
            store
                .claim(
                    room.id,
                    "f",
                    moved_at,
                    moved_at + chrono::Duration::seconds(15)
                )
                .await
                .unwrap(),
            Some(remembered.clone()),
            "{backend}"
        );
        // f shuts down and gives its leases up: g claims the room at once, memory included.
        assert_eq!(store.release("f").await.unwrap(), 1, "{backend}");
        assert_eq!(store.release("f").await.unwrap(), 0, "{backend}");
        assert_eq!(
            store
                .claim(
                    room.id,
                    "g",
                    moved_at,
                    moved_at + chrono::Duration::seconds(15)
                )
                .await
                .unwrap(),
            Some(remembered.clone()),
            "{backend}: released before it expired"
        );
        assert_eq!(store.release("g").await.unwrap(), 1, "{backend}");
        assert!(
            store
                .claim(
                    room.id,
                    "f",
                    moved_at,
                    moved_at + chrono::Duration::seconds(15)
                )
                .await
                .unwrap()
                .is_some(),
            "{backend}"
        );

        // A skip requested during f's look is kept, and the next look is now.
        store
            .request_skip(room.id, &track(2), moved_at)
            .await
            .unwrap();
        assert!(
            store
                .store(room.id, "f", &LoopMemory::default(), None, moved_at)
                .await
                .unwrap()
        );
        assert_eq!(
            store.due("f", moved_at, 10).await.unwrap(),
            [room.id],
            "{backend}"
        );
        let kept = store
            .claim(
                room.id,
                "f",
                moved_at,
                moved_at + chrono::Duration::seconds(15),
            )
            .await
            .unwrap()
            .unwrap();
        assert_eq!(kept.skipping, Some(track(2)), "{backend}");
        test.finish().await;
    }
}

#[tokio::test]
async fn a_vote_that_makes_a_track_ready_makes_the_room_due_in_the_same_transaction() {
    for test in test_databases().await {
        let store = test.database.rooms();
        let s = services(&store, Arc::new(test.database.tracks()));
        let (room, host) = hosted_room(&test, &s, LikeThreshold::Fixed(1)).await;
        let far = chrono::Utc::now() + chrono::Duration::days(1);
        assert!(store.due("a", far, 10).await.unwrap().is_empty());
        s.voting
            .vote(&room.code, host, &track(1), Vote::Like)
            .await
            .unwrap();
        assert_eq!(
            store.due("a", far, 10).await.unwrap(),
            [room.id],
            "{}",
            test.backend
        );
        test.finish().await;
    }
}

#[tokio::test]
async fn revoked_sessions_are_announced_to_listeners() {
    for test in test_databases().await {
        let mut feed = test.database.changes().await.unwrap();
        let users = test.database.users();
        let user = account(&test.database).await;
        let session = SessionId::generate();
        let now = chrono::Utc::now();
        users.revoke(session, now).await.unwrap();
        users.revoke_all_for_user(user, now).await.unwrap();
        for expected in [
            Change::SessionRevoked(session),
            Change::SessionsOfUserRevoked(user),
        ] {
            let heard = tokio::time::timeout(Duration::from_secs(10), feed.next())
                .await
                .expect("an announcement within the deadline")
                .unwrap();
            assert_eq!(heard, expected, "{}", test.backend);
        }
        // A listener holds a pooled connection; the pool closes only once it is dropped.
        drop(feed);
        test.finish().await;
    }
}

#[tokio::test]
async fn track_details_are_stored_once_per_track_and_replaced_when_described_again() {
    for test in test_databases().await {
        let store = test.database.tracks();
        let info = |title: &str| TrackInfo {
            track: track(1),
            title: title.into(),
            artists: vec!["Ada".into(), "Grace \"G\" Hopper".into()],
            album: Some("Engines".into()),
            artwork_url: Some("data:image/svg+xml,%3Csvg%3E".into()),
            duration_ms: 201_000,
        };
        assert!(store.details(&[track(1)]).await.unwrap().is_empty());
        store
            .remember(&[info("First"), info("Second")])
            .await
            .unwrap();
        assert_eq!(
            store.details(&[track(1), track(2)]).await.unwrap(),
            [info("Second")],
            "{}",
            test.backend
        );
        store.remember(&[info("Third")]).await.unwrap();
        assert_eq!(store.details(&[track(1)]).await.unwrap()[0].title, "Third");
        test.finish().await;
    }
}

/// Three people: the host votes in their room; a guest votes and likes on Spotify; another guest
/// votes and likes too, then switches recommendations off.
#[tokio::test]
async fn insights_read_votes_likes_and_rooms_and_recommendations_come_from_overlapping_people() {
    use soiree_insights::{
        ListeningRecord as _, RecommendationSwitch as _, SignalKind, Tastes as _, recommend,
    };
    use soiree_sync::{Liked, RunId, SyncKey, SyncRepository as _};

    for test in test_databases().await {
        let backend = test.backend;
        let store = test.database.rooms();
        let s = services(&store, Arc::new(test.database.tracks()));
        let (room, host) = hosted_room(&test, &s, LikeThreshold::Fixed(5)).await;
        let guests = voters(&test, &s, &room, 2).await;
        let user = |viewer: &Viewer| match viewer {
            Viewer::User(id) => *id,
            Viewer::Guest(_) => unreachable!("voters are signed in"),
        };
        let (ada, bob, cy) = (user(&host), user(&guests[0]), user(&guests[1]));
        let vote = |viewer, n, choice| {
            let voting = s.voting.clone();
            let code = room.code.clone();
            async move { voting.vote(&code, viewer, &track(n), choice).await.unwrap() }
        };
        vote(host, 1, Vote::Like).await;
        vote(host, 2, Vote::Dislike).await;
        vote(guests[0], 1, Vote::Like).await;
        vote(guests[1], 1, Vote::Like).await;
        let sync = test.database.sync();
        let like = |n: u8| Liked {
            uri: track(n).as_str().to_owned(),
            title: format!("Song {n}"),
            artists: vec!["Nina".into(), "Otis".into()],
            album: None,
            duration_ms: 1000,
            liked_at: None,
            link: None,
            download_url: None,
        };
        let now = chrono::Utc::now();
        sync.keep_likes(
            &SyncKey::new(bob, "spotify"),
            RunId::generate(),
            &[like(3), like(4)],
            now,
        )
        .await
        .unwrap();
        sync.keep_likes(
            &SyncKey::new(cy, "spotify"),
            RunId::generate(),
            &[like(4)],
            now,
        )
        .await
        .unwrap();

        let insights = test.database.insights();
        let mut ada_did: Vec<(SignalKind, String)> = insights
            .signals(ada)
            .await
            .unwrap()
            .into_iter()
            .map(|signal| (signal.kind, signal.track.uri))
            .collect();
        ada_did.sort_by_key(|(_, uri)| uri.clone());
        assert_eq!(
            ada_did,
            [
                (SignalKind::VotedUp, track(1).as_str().to_owned()),
                (SignalKind::VotedDown, track(2).as_str().to_owned())
            ],
            "{backend}"
        );
        let bob_did = insights.signals(bob).await.unwrap();
        let bob_likes: Vec<_> = bob_did
            .iter()
            .filter(|signal| signal.kind == SignalKind::Liked)
            .collect();
        assert_eq!(bob_likes.len(), 2, "{backend}");
        assert_eq!(bob_likes[0].track.artists, ["Nina", "Otis"], "{backend}");
        let ada_rooms = insights.rooms(ada, 10).await.unwrap();
        assert_eq!((ada_rooms.hosted, ada_rooms.joined), (1, 0), "{backend}");
        assert_eq!(ada_rooms.recent[0].code, room.code.to_string(), "{backend}");
        let bob_rooms = insights.rooms(bob, 10).await.unwrap();
        assert_eq!((bob_rooms.hosted, bob_rooms.joined), (0, 1), "{backend}");

        // Ada's taste is song 1 (her vote down is not taste); Bob and Cy share it.
        let mine = insights.taste_of(ada).await.unwrap();
        assert_eq!(mine.len(), 1, "{backend}");
        let others = insights.neighbours(ada, 10).await.unwrap();
        assert_eq!(others.len(), 2, "{backend}");
        let found = recommend(&mine, &others, 10, &|_| true);
        let found: Vec<(String, u32)> = found
            .into_iter()
            .map(|found| (found.uri, found.people))
            .collect();
        assert_eq!(
            found,
            [
                (track(4).as_str().to_owned(), 2),
                (track(3).as_str().to_owned(), 1)
            ],
            "{backend}"
        );

        // Cy switches off: her taste is no longer anybody's neighbour.
        assert!(
            insights.is_on(cy).await.unwrap(),
            "{backend}: on by default"
        );
        insights.set(cy, false).await.unwrap();
        assert!(!insights.is_on(cy).await.unwrap(), "{backend}");
        let others = insights.neighbours(ada, 10).await.unwrap();
        assert_eq!(others.len(), 1, "{backend}");
        assert_eq!(
            recommend(&mine, &others, 10, &|_| true)[0].people,
            1,
            "{backend}"
        );
        // What the chosen are called: from anyone's likes, or the rooms' details.
        use soiree_voting::TrackDetails as _;
        test.database
            .tracks()
            .remember(&[TrackInfo {
                track: track(1),
                title: "Song 1".into(),
                artists: vec!["Zed".into()],
                album: None,
                artwork_url: None,
                duration_ms: 1000,
            }])
            .await
            .unwrap();
        let described = insights
            .describe(&[track(4).as_str().to_owned(), track(1).as_str().to_owned()])
            .await
            .unwrap();
        assert_eq!(described.len(), 2, "{backend}: {described:?}");
        let four = described
            .iter()
            .find(|heard| heard.uri == track(4).as_str())
            .unwrap();
        assert_eq!(
            (four.title.as_str(), four.artists.clone()),
            ("Song 4", vec!["Nina".to_owned(), "Otis".to_owned()]),
            "{backend}"
        );
        // Her sync preferences are kept apart from the switch.
        let preferences = soiree_sync::SyncPreferences {
            every_minutes: Some(120),
            full_read: soiree_sync::FullRead::WhenAsked,
        };
        sync.set_preferences(cy, preferences).await.unwrap();
        assert_eq!(
            sync.preferences(cy).await.unwrap(),
            preferences,
            "{backend}"
        );
        assert!(!insights.is_on(cy).await.unwrap(), "{backend}");
        test.finish().await;
    }
}
