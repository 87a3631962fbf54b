use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use async_trait::async_trait;
use chrono::DateTime;
use proptest::prelude::*;
use soiree_kernel::{ManualClock, UserId};
use soiree_rooms::memory::{InMemoryRooms, RecordingSink, StaticDirectory};
use soiree_rooms::{
    GuestSource, LikeThreshold, Member, NewRoom, Nickname, PlaybackFailure, Room, RoomId,
    RoomOptions, TrackState,
};

use super::*;
use crate::ballot::Tally;
use crate::memory::{InMemoryPlayedTracks, InMemoryTrackDetails, InMemoryVotes};
use crate::player::{HostPlayback, LEASE};
use crate::ports::TrackCatalog;
use crate::ports::{RoomPlayer, VoteRepository};
use crate::service::VotingPorts;
use crate::tracks::TrackDirectory;
use soiree_kernel::TrackInfo;

fn track(n: u8) -> TrackRef {
    TrackRef::parse(&format!("spotify:track:{n:0>22}")).unwrap()
}

/// A host player with a scripted state, recording every command.
#[derive(Debug, Default)]
struct FakePlayer {
    playback: Mutex<Option<HostPlayback>>,
    commands: Mutex<Vec<String>>,
    failure: Mutex<Option<PlaybackFailure>>,
}

impl FakePlayer {
    fn commands(&self) -> Vec<String> {
        self.commands.lock().unwrap().clone()
    }
    fn at(&self, progress_ms: u64) {
        self.playback.lock().unwrap().as_mut().unwrap().progress_ms = progress_ms;
    }
}

#[async_trait]
impl RoomPlayer for FakePlayer {
    async fn playback(&self, _host: UserId) -> Result<Option<HostPlayback>, PlaybackFailure> {
        Ok(self.playback.lock().unwrap().clone())
    }
    async fn play(&self, _host: UserId, track: &TrackRef) -> Result<(), PlaybackFailure> {
        if let Some(failure) = *self.failure.lock().unwrap() {
            return Err(failure);
        }
        self.commands.lock().unwrap().push(format!("play {track}"));
        *self.playback.lock().unwrap() = Some(HostPlayback {
            track: Some(track.clone()),
            is_playing: true,
            progress_ms: 0,
            duration_ms: 200_000,
        });
        Ok(())
    }
    async fn enqueue(&self, _host: UserId, track: &TrackRef) -> Result<(), PlaybackFailure> {
        self.commands.lock().unwrap().push(format!("queue {track}"));
        Ok(())
    }
    async fn is_connected(&self, _host: UserId) -> bool {
        self.failure.lock().unwrap().is_none()
    }
    async fn pause(&self, _host: UserId) -> Result<(), PlaybackFailure> {
        self.commands.lock().unwrap().push("pause".into());
        if let Some(playback) = self.playback.lock().unwrap().as_mut() {
            playback.is_playing = false;
        }
        Ok(())
    }
}

#[derive(Debug)]
struct Liked(Result<Option<TrackRef>, PlaybackFailure>);

#[async_trait]
impl TrackSource for Liked {
    async fn random_liked(&self, _user: UserId) -> Result<Option<TrackRef>, PlaybackFailure> {
        self.0.clone()
    }
}

/// Allows `limit` votes per participant, then asks for a minute's wait.
#[derive(Debug, Default)]
struct CountingLimiter {
    counts: Mutex<HashMap<String, u32>>,
}

#[async_trait]
impl VoteRateLimiter for CountingLimiter {
    async fn check(
        &self,
        _room: RoomId,
        voter: &GuestVoter,
        per_two_minutes: u32,
    ) -> anyhow::Result<GuestVote> {
        let mut counts = self.counts.lock().unwrap();
        let count = counts.entry(voter.key()).or_default();
        *count += 1;
        Ok(if *count > per_two_minutes {
            GuestVote::Wait(Duration::from_secs(60))
        } else {
            GuestVote::Allowed
        })
    }
}

/// A host's catalogue that knows every track by its number; counts descriptions.
#[derive(Debug, Default)]
struct FakeCatalog {
    described: Mutex<u32>,
    failing: Mutex<Option<PlaybackFailure>>,
}

fn info(track: &TrackRef) -> TrackInfo {
    TrackInfo {
        track: track.clone(),
        title: format!("Song {}", &track.as_str()[34..]),
        artists: vec!["Ada".into()],
        album: None,
        artwork_url: None,
        duration_ms: 200_000,
    }
}

#[async_trait]
impl TrackCatalog for FakeCatalog {
    async fn describe(
        &self,
        _host: UserId,
        track: &TrackRef,
    ) -> Result<Option<TrackInfo>, PlaybackFailure> {
        *self.described.lock().unwrap() += 1;
        match *self.failing.lock().unwrap() {
            Some(failure) => Err(failure),
            None => Ok(Some(info(track))),
        }
    }
    async fn search(&self, _host: UserId, _query: &str) -> Result<Vec<TrackInfo>, PlaybackFailure> {
        if let Some(failure) = *self.failing.lock().unwrap() {
            return Err(failure);
        }
        Ok(vec![info(&track(41)), info(&track(42))])
    }
}

struct Harness {
    catalog: Arc<FakeCatalog>,
    rooms: Arc<RoomsService>,
    voting: Arc<VotingService>,
    votes: InMemoryVotes,
    party: Arc<PartyPlayer>,
    player: Arc<FakePlayer>,
    sink: RecordingSink,
    clock: ManualClock,
    host: Member,
    played: InMemoryPlayedTracks,
}

fn harness_with(liked: Result<Option<TrackRef>, PlaybackFailure>) -> Harness {
    let clock = ManualClock::starting_at(DateTime::from_timestamp(1_800_000_000, 0).unwrap());
    let sink = RecordingSink::default();
    let store = InMemoryRooms::default();
    let rooms = Arc::new(RoomsService::new(
        Arc::new(store.clone()),
        Arc::new(StaticDirectory::default()),
        Arc::new(soiree_rooms::memory::FixedAllowance::default()),
        Arc::new(sink.clone()),
        Arc::new(clock.clone()),
    ));
    let votes = InMemoryVotes::new(store);
    let player = Arc::new(FakePlayer::default());
    let played = InMemoryPlayedTracks::default();
    let party = party_player(&rooms, &votes, &player, &clock, "process-a", &played);
    let catalog = Arc::new(FakeCatalog::default());
    let directory = Arc::new(TrackDirectory::new(
        Arc::new(InMemoryTrackDetails::default()),
        Arc::new(clock.clone()),
    ));
    let ports = VotingPorts {
        votes: Arc::new(votes.clone()),
        liked: Arc::new(Liked(liked)),
        catalog: catalog.clone(),
        directory,
        limiter: Arc::new(CountingLimiter::default()),
    };
    let voting = Arc::new(VotingService::new(
        rooms.clone(),
        ports,
        party.clone(),
        Arc::new(clock.clone()),
    ));
    let host = Member {
        user_id: UserId::generate(),
        display_name: "Host".into(),
    };
    Harness {
        catalog,
        rooms,
        voting,
        votes,
        party,
        player,
        sink,
        clock,
        host,
        played,
    }
}

fn harness() -> Harness {
    harness_with(Ok(Some(track(99))))
}

fn party_player(
    rooms: &Arc<RoomsService>,
    votes: &InMemoryVotes,
    player: &Arc<FakePlayer>,
    clock: &ManualClock,
    holder: &str,
    played: &InMemoryPlayedTracks,
) -> Arc<PartyPlayer> {
    Arc::new(
        PartyPlayer::new(
            rooms.clone(),
            Arc::new(votes.clone()),
            Arc::new(votes.clone()),
            player.clone(),
            Arc::new(clock.clone()),
            holder,
            Arc::new(|_| {}),
        )
        .remembering(Arc::new(played.clone())),
    )
}

impl Harness {
    fn host(&self) -> Viewer {
        Viewer::User(self.host.user_id)
    }

    async fn room(&self, threshold: LikeThreshold) -> Room {
        let new = NewRoom {
            name: None,
            like_threshold: threshold,
            options: RoomOptions {
                guests_allowed: true,
                guest_votes_per_2min: 3,
                max_guests: None,
            },
        };
        let hosted = self.voting.host(&self.host, new).await.unwrap();
        assert!(
            hosted.host_connected,
            "the fake player is connected unless it fails"
        );
        hosted.room
    }

    async fn member(&self, room: &Room, name: &str) -> Viewer {
        let member = Member {
            user_id: UserId::generate(),
            display_name: name.into(),
        };
        self.rooms.join_as_user(&room.code, &member).await.unwrap();
        Viewer::User(member.user_id)
    }

    async fn like(&self, room: &Room, viewer: Viewer, n: u8) -> VoteOutcome {
        self.voting
            .vote(&room.code, viewer, &track(n), Vote::Like)
            .await
            .unwrap()
    }

    /// Moves the clock past whatever the loop waits for, and runs one pass.
    async fn pass(&self, party: &PartyPlayer) {
        self.clock.advance(chrono::Duration::seconds(6));
        party.run_due().await.unwrap();
    }

    fn count(&self, name: &str) -> usize {
        self.sink
            .names()
            .iter()
            .filter(|seen| **seen == name)
            .count()
    }
}

#[tokio::test]
async fn votes_change_and_retract_and_the_threshold_makes_a_track_ready_once() {
    let h = harness();
    let room = h.room(LikeThreshold::Fixed(2)).await;
    let ada = h.member(&room, "Ada").await;
    let bob = h.member(&room, "Bob").await;
    let first = h
        .voting
        .vote(&room.code, ada, &track(1), Vote::Dislike)
        .await
        .unwrap();
    assert_eq!(
        (first.tally, first.play, first.state),
        (
            Tally {
                likes: 0,
                dislikes: 1
            },
            false,
            TrackState::Candidate
        )
    );
    let changed = h.like(&room, ada, 1).await;
    assert_eq!(
        changed.tally,
        Tally {
            likes: 1,
            dislikes: 0
        },
        "a second vote replaces the first"
    );
    let ready = h.like(&room, bob, 1).await;
    assert_eq!(
        (ready.play, ready.state, ready.like_threshold),
        (true, TrackState::Ready, 2)
    );
    let after = h.like(&room, h.host(), 1).await;
    assert!(!after.play, "ready happens once");
    let retracted = h.voting.retract(&room.code, bob, &track(1)).await.unwrap();
    assert_eq!(
        (retracted.tally.likes, retracted.state),
        (2, TrackState::Ready),
        "a ready track stays ready"
    );
    assert!(matches!(
        h.voting.retract(&room.code, bob, &track(1)).await,
        Err(RetractVoteError::NoVote)
    ));
    assert_eq!(h.count("track_ready"), 1);
    assert_eq!(
        h.count("vote_tallied"),
        5,
        "every counted ballot is announced"
    );
}

#[tokio::test]
async fn vo_1_concurrent_voters_tally_to_distinct_voters_and_one_of_them_gets_play() {
    let h = harness();
    let room = h.room(LikeThreshold::Fixed(5)).await;
    let mut voters = Vec::new();
    for index in 0..20 {
        voters.push(h.member(&room, &format!("Voter {index}")).await);
    }
    // Spawned all at once (collected before any is awaited), so they run concurrently.
    let votes: Vec<_> = voters
        .into_iter()
        .map(|viewer| {
            let voting = h.voting.clone();
            let code = room.code.clone();
            tokio::spawn(async move {
                voting
                    .vote(&code, viewer, &track(7), Vote::Like)
                    .await
                    .unwrap()
            })
        })
        .collect();
    let mut plays = 0;
    for vote in votes {
        plays += usize::from(vote.await.unwrap().play);
    }
    assert_eq!(plays, 1);
    let queue = h.voting.queue(&room.code, h.host()).await.unwrap();
    assert_eq!(queue[0].tally.likes, 20);
    assert_eq!(h.count("track_ready"), 1);
}

#[tokio::test]
async fn a_share_threshold_follows_those_present() {
    let h = harness();
    let room = h.room(LikeThreshold::share(0.5).unwrap()).await;
    let ada = h.member(&room, "Ada").await;
    h.member(&room, "Bob").await;
    h.member(&room, "Cy").await;
    // Four present: half is two likes.
    let outcome = h.like(&room, ada, 1).await;
    assert_eq!((outcome.like_threshold, outcome.play), (2, false));
    let snapshot = h.voting.snapshot(&room.code, ada).await.unwrap();
    assert_eq!((snapshot.present, snapshot.likes_needed), (4, 2));
}

#[tokio::test]
async fn guests_are_rate_limited_and_members_are_not() {
    let h = harness();
    let room = h.room(LikeThreshold::Fixed(100)).await;
    let (_, guest, _) = h
        .rooms
        .join_as_guest(
            &room.code,
            Nickname::parse("Zoe").unwrap(),
            GuestSource::new("phone-of-zoe"),
        )
        .await
        .unwrap();
    for n in 0..3 {
        h.like(&room, Viewer::Guest(guest.id), n).await;
    }
    let limited = h
        .voting
        .vote(&room.code, Viewer::Guest(guest.id), &track(9), Vote::Like)
        .await;
    assert!(
        matches!(limited, Err(CastVoteError::RateLimited { retry_after }) if retry_after.as_secs() == 60),
        "{limited:?}"
    );
    let member = h.member(&room, "Ada").await;
    for n in 0..5 {
        h.like(&room, member, n).await;
    }
}

#[tokio::test]
async fn non_participants_cannot_vote_or_read_and_closed_rooms_take_no_votes() {
    let h = harness();
    let room = h.room(LikeThreshold::Fixed(1)).await;
    let stranger = Viewer::User(UserId::generate());
    assert!(matches!(
        h.voting
            .vote(&room.code, stranger, &track(1), Vote::Like)
            .await,
        Err(CastVoteError::NotParticipant)
    ));
    assert!(matches!(
        h.voting.snapshot(&room.code, stranger).await,
        Err(ReadRoomError::NotParticipant)
    ));
    assert!(matches!(
        h.voting.queue(&room.code, stranger).await,
        Err(ReadRoomError::NotParticipant)
    ));
    assert!(matches!(
        h.voting.skip(&room.code, stranger).await,
        Err(SkipError::NotParticipant)
    ));
    let nowhere = RoomCode::parse("ZZZZZZ").unwrap();
    assert!(matches!(
        h.voting
            .vote(&nowhere, h.host(), &track(1), Vote::Like)
            .await,
        Err(CastVoteError::NotFound)
    ));
    h.rooms.close(&room.code, h.host()).await.unwrap();
    assert!(matches!(
        h.voting
            .vote(&room.code, h.host(), &track(1), Vote::Like)
            .await,
        Err(CastVoteError::Closed)
    ));
    assert!(matches!(
        h.voting.suggest(&room.code, h.host()).await,
        Err(SuggestError::Closed)
    ));
}

#[tokio::test]
async fn a_vote_racing_the_close_of_its_room_is_refused_by_storage() {
    // The room was read as open (and cached) just before the host closed it elsewhere: the
    // ballot's own transaction refuses it, so a closed room never takes a vote.
    let h = harness();
    let room = h.room(LikeThreshold::Fixed(1)).await;
    let ballot = Ballot {
        room: room.id,
        participant: h
            .rooms
            .access(&room.code, h.host())
            .await
            .unwrap()
            .participant()
            .id,
        track: track(1),
        choice: Choice::Cast(Vote::Like),
        likes_needed: 1,
        at: h.clock.now(),
    };
    h.rooms.close(&room.code, h.host()).await.unwrap();
    assert!(matches!(
        h.votes.record(ballot).await,
        Err(RecordBallotError::RoomClosed)
    ));
}

#[tokio::test]
async fn the_loop_plays_the_ready_head_queues_one_ahead_and_skips_at_the_threshold() {
    let h = harness();
    let room = h.room(LikeThreshold::Fixed(1)).await;
    for n in 1..=3 {
        h.like(&room, h.host(), n).await;
    }

    h.party.run_due().await.unwrap();
    assert_eq!(h.player.commands(), [format!("play {}", track(1))]);
    h.pass(&h.party).await;
    assert_eq!(
        h.player.commands().len(),
        1,
        "nothing more while the track plays"
    );

    // Four seconds left: the next one is queued, once.
    h.player.at(196_000);
    h.pass(&h.party).await;
    h.pass(&h.party).await;
    assert_eq!(h.player.commands()[1..], [format!("queue {}", track(2))]);

    // The host's player moved to the queued track.
    *h.player.playback.lock().unwrap() = Some(HostPlayback {
        track: Some(track(2)),
        is_playing: true,
        progress_ms: 1_000,
        duration_ms: 200_000,
    });
    h.pass(&h.party).await;
    let queue = h.voting.queue(&room.code, h.host()).await.unwrap();
    assert_eq!(
        (queue[0].track.clone(), queue[0].state),
        (track(2), TrackState::Playing)
    );

    // Skip votes at the threshold: the next ready track plays at once.
    let skipped = h.voting.skip(&room.code, h.host()).await.unwrap();
    assert_eq!(
        skipped,
        SkipTally {
            skips: 1,
            needed: 1
        }
    );
    h.party.run_due().await.unwrap();
    assert_eq!(
        h.player.commands().last(),
        Some(&format!("play {}", track(3)))
    );
    assert_eq!(h.count("now_playing"), 3, "{:?}", h.sink.names());
    let host = h.host.user_id;
    assert_eq!(
        h.played.started(),
        [(host, track(1)), (host, track(2)), (host, track(3))],
        "each track that started is kept for the host's library, once"
    );

    // Skipping the last one pauses the host's player.
    h.voting.skip(&room.code, h.host()).await.unwrap();
    h.party.run_due().await.unwrap();
    assert_eq!(h.player.commands().last(), Some(&"pause".to_owned()));
}

#[tokio::test]
async fn a_lease_that_moves_mid_track_carries_what_was_queued_so_nothing_is_queued_twice() {
    let h = harness();
    let room = h.room(LikeThreshold::Fixed(1)).await;
    for n in 1..=2 {
        h.like(&room, h.host(), n).await;
    }
    h.party.run_due().await.unwrap();
    h.player.at(196_000);
    h.pass(&h.party).await;
    assert_eq!(
        h.player.commands(),
        [format!("play {}", track(1)), format!("queue {}", track(2))]
    );

    // Process A stops; once its lease has expired, process B takes the room over.
    let other = party_player(
        &h.rooms,
        &h.votes,
        &h.player,
        &h.clock,
        "process-b",
        &h.played,
    );
    h.clock.advance(LEASE + chrono::Duration::seconds(1));
    h.player.at(197_000);
    assert_eq!(other.run_due().await.unwrap(), 1, "B holds the room now");
    other.run_due().await.unwrap();
    assert_eq!(
        h.player.commands().len(),
        2,
        "B knows track 2 is queued already"
    );
    assert_eq!(h.party.run_due().await.unwrap(), 0, "A lost the lease");

    // The queued track starts: B notices it, exactly once.
    *h.player.playback.lock().unwrap() = Some(HostPlayback {
        track: Some(track(2)),
        is_playing: true,
        progress_ms: 500,
        duration_ms: 200_000,
    });
    h.pass(&other).await;
    assert_eq!(h.count("now_playing"), 2);
    assert_eq!(h.player.commands().len(), 2);
}

#[tokio::test]
async fn a_lease_given_up_at_shutdown_is_taken_over_at_the_next_look_not_when_it_expires() {
    let h = harness();
    let room = h.room(LikeThreshold::Fixed(1)).await;
    for n in 1..=2 {
        h.like(&room, h.host(), n).await;
    }
    h.party.run_due().await.unwrap();
    assert_eq!(h.player.commands(), [format!("play {}", track(1))]);
    let other = party_player(
        &h.rooms,
        &h.votes,
        &h.player,
        &h.clock,
        "process-b",
        &h.played,
    );

    // A holds the lease: at the room's next look, B may not take it.
    h.clock.advance(chrono::Duration::seconds(6));
    assert_eq!(
        other.run_due().await.unwrap(),
        0,
        "A's lease is still valid"
    );

    // A shuts down and gives its rooms up: B takes the room at once, with what A knew.
    assert_eq!(h.party.release_leases().await.unwrap(), 1);
    assert!(
        chrono::Duration::seconds(6) < LEASE,
        "well before the lease would expire"
    );
    h.player.at(197_000);
    assert_eq!(other.run_due().await.unwrap(), 1, "B holds the room now");
    assert_eq!(
        h.player.commands(),
        [format!("play {}", track(1)), format!("queue {}", track(2))],
        "B queues the next track, and does not play the first again"
    );
    assert_eq!(
        h.party.release_leases().await.unwrap(),
        0,
        "A holds nothing"
    );
}

#[tokio::test]
async fn a_skip_taken_by_another_process_is_carried_out_by_the_lease_holder() {
    let h = harness();
    let room = h.room(LikeThreshold::Fixed(1)).await;
    for n in 1..=2 {
        h.like(&room, h.host(), n).await;
    }
    h.party.run_due().await.unwrap();
    // Process B takes the skip vote; process A holds the lease and moves the player on.
    let other = party_player(
        &h.rooms,
        &h.votes,
        &h.player,
        &h.clock,
        "process-b",
        &h.played,
    );
    let playing = track(1);
    assert!(other.skip(&room, &playing).await.unwrap());
    assert!(
        !other.skip(&room, &playing).await.unwrap(),
        "a track is skipped once"
    );
    assert_eq!(other.run_due().await.unwrap(), 0, "the lease is A's");
    h.party.run_due().await.unwrap();
    assert_eq!(
        h.player.commands().last(),
        Some(&format!("play {}", track(2)))
    );
}

#[tokio::test]
async fn a_playback_failure_is_announced_once_and_the_track_stays_ready() {
    let h = harness();
    let room = h.room(LikeThreshold::Fixed(1)).await;
    h.like(&room, h.host(), 1).await;
    *h.player.failure.lock().unwrap() = Some(PlaybackFailure::NoActiveDevice);
    h.party.run_due().await.unwrap();
    assert_eq!(h.party.run_due().await.unwrap(), 0, "backing off");
    h.pass(&h.party).await;
    h.pass(&h.party).await;
    let failures: Vec<_> = h
        .sink
        .events()
        .into_iter()
        .filter(|event| event.kind.name() == "playback_failed")
        .collect();
    assert_eq!(failures.len(), 1, "announced once a minute at most");
    assert!(matches!(
        failures[0].kind,
        soiree_rooms::RoomEventKind::PlaybackFailed {
            failure: PlaybackFailure::NoActiveDevice,
            ..
        }
    ));
    let queue = h.voting.queue(&room.code, h.host()).await.unwrap();
    assert_eq!(queue[0].state, TrackState::Ready);

    // Once the device is back, the track plays at the end of the back-off.
    *h.player.failure.lock().unwrap() = None;
    h.clock.advance(crate::player::BACKOFF);
    h.party.run_due().await.unwrap();
    assert_eq!(h.player.commands(), [format!("play {}", track(1))]);
}

#[tokio::test]
async fn a_room_with_nothing_ready_is_not_looked_at() {
    let h = harness();
    let room = h.room(LikeThreshold::Fixed(2)).await;
    h.like(&room, h.host(), 1).await;
    h.pass(&h.party).await;
    assert_eq!(h.party.run_due().await.unwrap(), 0);
    assert!(h.player.commands().is_empty());
}

#[tokio::test]
async fn a_suggestion_is_a_liked_track_with_the_callers_like_and_guests_cannot_suggest() {
    let h = harness();
    let room = h.room(LikeThreshold::Fixed(5)).await;
    let (suggested, outcome) = h.voting.suggest(&room.code, h.host()).await.unwrap();
    assert_eq!((suggested, outcome.tally.likes), (track(99), 1));
    let (_, guest, _) = h
        .rooms
        .join_as_guest(
            &room.code,
            Nickname::parse("Zoe").unwrap(),
            GuestSource::new("phone-of-zoe"),
        )
        .await
        .unwrap();
    assert!(matches!(
        h.voting.suggest(&room.code, Viewer::Guest(guest.id)).await,
        Err(SuggestError::GuestCannotSuggest)
    ));

    let limited = harness_with(Err(PlaybackFailure::RateLimited {
        retry_after: Duration::from_secs(30),
    }));
    let room = limited.room(LikeThreshold::Fixed(5)).await;
    assert!(matches!(
        limited.voting.suggest(&room.code, limited.host()).await,
        Err(SuggestError::Provider(PlaybackFailure::RateLimited { .. }))
    ));
    let empty = harness_with(Ok(None));
    let room = empty.room(LikeThreshold::Fixed(5)).await;
    assert!(matches!(
        empty.voting.suggest(&room.code, empty.host()).await,
        Err(SuggestError::NoLikedTracks)
    ));
}

#[tokio::test]
async fn a_track_is_described_once_by_the_hosts_provider_and_shown_by_name() {
    let h = harness();
    let room = h.room(LikeThreshold::Fixed(5)).await;
    let ada = h.member(&room, "Ada").await;
    h.like(&room, h.host(), 7).await;
    h.like(&room, ada, 7).await;
    assert_eq!(
        *h.catalog.described.lock().unwrap(),
        1,
        "asked once, then remembered"
    );
    let queue = h.voting.queue(&room.code, ada).await.unwrap();
    assert_eq!(
        queue[0].info.as_ref().map(|info| info.title.as_str()),
        Some("Song 07")
    );
    let snapshot = h.voting.snapshot(&room.code, ada).await.unwrap();
    assert!(snapshot.queue[0].info.is_some());
}

#[tokio::test]
async fn a_host_whose_provider_cannot_describe_a_track_still_gets_the_vote() {
    let h = harness();
    *h.catalog.failing.lock().unwrap() = Some(PlaybackFailure::NotConnected);
    let room = h.room(LikeThreshold::Fixed(5)).await;
    h.like(&room, h.host(), 3).await;
    h.like(&room, h.host(), 3).await;
    assert_eq!(
        *h.catalog.described.lock().unwrap(),
        1,
        "not asked again for a while"
    );
    let queue = h.voting.queue(&room.code, h.host()).await.unwrap();
    assert_eq!((queue[0].tally.likes, queue[0].info.is_none()), (1, true));
}

#[tokio::test]
async fn participants_search_the_hosts_catalogue_and_what_they_find_is_known_by_name() {
    let h = harness();
    let room = h.room(LikeThreshold::Fixed(5)).await;
    let (_, guest, _) = h
        .rooms
        .join_as_guest(
            &room.code,
            Nickname::parse("Zoe").unwrap(),
            GuestSource::new("phone-of-zoe"),
        )
        .await
        .unwrap();
    let found = h
        .voting
        .search(&room.code, Viewer::Guest(guest.id), "song")
        .await
        .unwrap();
    assert_eq!(found.len(), 2);
    h.like(&room, Viewer::Guest(guest.id), 41).await;
    assert_eq!(
        *h.catalog.described.lock().unwrap(),
        0,
        "known from the search already"
    );
    assert!(matches!(
        h.voting
            .search(&room.code, Viewer::User(UserId::generate()), "song")
            .await,
        Err(SearchTracksError::NotParticipant)
    ));
    *h.catalog.failing.lock().unwrap() = Some(PlaybackFailure::RateLimited {
        retry_after: Duration::from_secs(9),
    });
    assert!(matches!(
        h.voting.search(&room.code, h.host(), "song").await,
        Err(SearchTracksError::Provider(
            PlaybackFailure::RateLimited { .. }
        ))
    ));
}

proptest! {
    #[test]
    fn a_share_threshold_is_at_least_one_at_most_everyone_and_grows_with_presence(basis_points in 1u16..=10_000, present in 0u32..10_000) {
        let threshold = LikeThreshold::Share(basis_points);
        let needed = threshold.required_likes(present);
        prop_assert!(needed >= 1);
        prop_assert!(needed <= present.max(1));
        prop_assert!(threshold.required_likes(present + 1) >= needed);
    }

    #[test]
    fn a_tally_counts_each_voters_last_vote(votes in proptest::collection::vec((0u8..6, 0u8..3), 0..60)) {
        let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
        runtime.block_on(async {
            let h = harness();
            let room = h.room(LikeThreshold::Fixed(100)).await;
            let mut voters = Vec::new();
            for index in 0..6 {
                voters.push(h.member(&room, &format!("Voter {index}")).await);
            }
            let mut last: HashMap<u8, bool> = HashMap::new();
            for (voter, action) in &votes {
                let viewer = voters[*voter as usize];
                match action {
                    0 => { let _ = h.voting.retract(&room.code, viewer, &track(1)).await; last.remove(voter); }
                    like => {
                        let vote = if *like == 1 { Vote::Like } else { Vote::Dislike };
                        h.voting.vote(&room.code, viewer, &track(1), vote).await.unwrap();
                        last.insert(*voter, *like == 1);
                    }
                }
            }
            let likes = last.values().filter(|like| **like).count() as u32;
            let dislikes = last.len() as u32 - likes;
            let queue = h.voting.queue(&room.code, h.host()).await.unwrap();
            let tally = queue.first().map(|entry| entry.tally).unwrap_or_default();
            assert_eq!(tally, Tally { likes, dislikes });
        });
    }
}
