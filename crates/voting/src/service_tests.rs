use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use async_trait::async_trait;
use chrono::DateTime;
use proptest::prelude::*;
use soiree_kernel::{ManualClock, UserId};
use soiree_rooms::memory::{InMemoryRooms, RecordingSink, StaticDirectory};
use soiree_rooms::{LikeThreshold, Member, NewRoom, Nickname, ParticipantId, RoomId, RoomOptions};

use super::*;
use crate::memory::InMemoryVotes;
use crate::model::{HostPlayback, PlaybackProblem};
use crate::player::{Decision, decide};
use crate::ports::RoomPlayer;

fn track(n: u8) -> TrackRef {
    TrackRef::parse(&format!("spotify:track:{n:0>22}")).unwrap()
}

/// A host player with a scripted state, recording every command.
#[derive(Debug, Default)]
struct FakePlayer {
    playback: Mutex<Option<HostPlayback>>,
    commands: Mutex<Vec<String>>,
    failure: Mutex<Option<PlaybackProblem>>,
}

#[async_trait]
impl RoomPlayer for FakePlayer {
    async fn playback(&self, _host: UserId) -> Result<Option<HostPlayback>, PlaybackProblem> {
        Ok(self.playback.lock().unwrap().clone())
    }
    async fn play(&self, _host: UserId, track: &TrackRef) -> Result<(), PlaybackProblem> {
        if let Some(problem) = self.failure.lock().unwrap().clone() {
            return Err(problem);
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
    async fn enqueue(&self, _host: UserId, track: &TrackRef) -> Result<(), PlaybackProblem> {
        self.commands.lock().unwrap().push(format!("queue {track}"));
        Ok(())
    }
    async fn pause(&self, _host: UserId) -> Result<(), PlaybackProblem> {
        self.commands.lock().unwrap().push("pause".into());
        Ok(())
    }
}

#[derive(Debug)]
struct Liked(Option<TrackRef>);

#[async_trait]
impl TrackSource for Liked {
    async fn random_liked(&self, _user: UserId) -> Result<Option<TrackRef>, PlaybackProblem> {
        Ok(self.0.clone())
    }
}

/// Allows `limit` votes per participant, then asks for a minute's wait.
#[derive(Debug, Default)]
struct CountingLimiter {
    counts: Mutex<HashMap<ParticipantId, u32>>,
}

impl VoteRateLimiter for CountingLimiter {
    fn check(
        &self,
        _room: RoomId,
        participant: ParticipantId,
        per_two_minutes: u32,
    ) -> Result<(), Duration> {
        let mut counts = self.counts.lock().unwrap();
        let count = counts.entry(participant).or_default();
        *count += 1;
        if *count > per_two_minutes {
            Err(Duration::from_secs(60))
        } else {
            Ok(())
        }
    }
}

struct Harness {
    rooms: Arc<RoomsService>,
    voting: Arc<VotingService>,
    party: Arc<PartyPlayer>,
    player: Arc<FakePlayer>,
    sink: RecordingSink,
    host: Member,
}

fn harness() -> Harness {
    let clock = Arc::new(ManualClock::starting_at(
        DateTime::from_timestamp(1_800_000_000, 0).unwrap(),
    ));
    let sink = RecordingSink::default();
    let rooms = Arc::new(RoomsService::new(
        Arc::new(InMemoryRooms::default()),
        Arc::new(StaticDirectory::default()),
        Arc::new(sink.clone()),
        clock.clone(),
    ));
    let votes = Arc::new(InMemoryVotes::default());
    let player = Arc::new(FakePlayer::default());
    let party = Arc::new(PartyPlayer::new(
        rooms.clone(),
        votes.clone(),
        player.clone(),
        clock.clone(),
        Arc::new(|_| {}),
    ));
    let voting = Arc::new(VotingService::new(
        rooms.clone(),
        votes,
        Arc::new(Liked(Some(track(99)))),
        Arc::new(CountingLimiter::default()),
        party.clone(),
        clock,
    ));
    let host = Member {
        user_id: UserId::generate(),
        display_name: "Host".into(),
    };
    Harness {
        rooms,
        voting,
        party,
        player,
        sink,
        host,
    }
}

impl Harness {
    async fn room(&self, threshold: LikeThreshold) -> Room {
        let new = NewRoom {
            name: None,
            like_threshold: threshold,
            options: RoomOptions {
                guests_allowed: true,
                guest_votes_per_2min: 3,
            },
        };
        self.rooms.create(&self.host, new).await.unwrap().0
    }

    async fn member(&self, room: &Room, name: &str) -> Viewer {
        let member = Member {
            user_id: UserId::generate(),
            display_name: name.into(),
        };
        self.rooms.join_as_user(&room.code, &member).await.unwrap();
        Viewer::User(member.user_id)
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
        .vote(&room, ada, &track(1), Vote::Dislike)
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
    let changed = h
        .voting
        .vote(&room, ada, &track(1), Vote::Like)
        .await
        .unwrap();
    assert_eq!(
        changed.tally,
        Tally {
            likes: 1,
            dislikes: 0
        },
        "a second vote replaces the first"
    );
    let ready = h
        .voting
        .vote(&room, bob, &track(1), Vote::Like)
        .await
        .unwrap();
    assert_eq!(
        (ready.play, ready.state, ready.like_threshold),
        (true, TrackState::Ready, 2)
    );
    let host = Viewer::User(h.host.user_id);
    let after = h
        .voting
        .vote(&room, host, &track(1), Vote::Like)
        .await
        .unwrap();
    assert!(!after.play, "ready happens once");
    let retracted = h.voting.retract(&room, bob, &track(1)).await.unwrap();
    assert_eq!(
        (retracted.tally.likes, retracted.state),
        (2, TrackState::Ready),
        "a ready track stays ready"
    );
    assert!(matches!(
        h.voting.retract(&room, bob, &track(1)).await,
        Err(VoteError::NoVote)
    ));
    assert_eq!(
        h.sink
            .names()
            .iter()
            .filter(|name| **name == "track_ready")
            .count(),
        1
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
    let votes = voters
        .into_iter()
        .map(|viewer| {
            let voting = h.voting.clone();
            let room = room.clone();
            tokio::spawn(async move {
                voting
                    .vote(&room, viewer, &track(7), Vote::Like)
                    .await
                    .unwrap()
            })
        })
        .collect::<Vec<_>>();
    let mut plays = 0;
    for vote in votes {
        plays += usize::from(vote.await.unwrap().play);
    }
    assert_eq!(plays, 1);
    let queue = h
        .voting
        .queue(&room, Viewer::User(h.host.user_id))
        .await
        .unwrap();
    assert_eq!(queue[0].tally.likes, 20);
}

#[tokio::test]
async fn a_share_threshold_follows_those_present() {
    let h = harness();
    let room = h.room(LikeThreshold::share(0.5).unwrap()).await;
    let ada = h.member(&room, "Ada").await;
    h.member(&room, "Bob").await;
    h.member(&room, "Cy").await;
    // Four present: half is two likes.
    let outcome = h
        .voting
        .vote(&room, ada, &track(1), Vote::Like)
        .await
        .unwrap();
    assert_eq!((outcome.like_threshold, outcome.play), (2, false));
}

#[tokio::test]
async fn guests_are_rate_limited_and_members_are_not() {
    let h = harness();
    let room = h.room(LikeThreshold::Fixed(100)).await;
    let (_, guest, _) = h
        .rooms
        .join_as_guest(&room.code, Nickname::parse("Zoe").unwrap())
        .await
        .unwrap();
    for n in 0..3 {
        h.voting
            .vote(&room, Viewer::Guest(guest.id), &track(n), Vote::Like)
            .await
            .unwrap();
    }
    let limited = h
        .voting
        .vote(&room, Viewer::Guest(guest.id), &track(9), Vote::Like)
        .await;
    assert!(
        matches!(limited, Err(VoteError::RateLimited { retry_after }) if retry_after.as_secs() == 60),
        "{limited:?}"
    );
    let member = h.member(&room, "Ada").await;
    for n in 0..5 {
        h.voting
            .vote(&room, member, &track(n), Vote::Like)
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn non_participants_cannot_vote_and_closed_rooms_take_no_votes() {
    let h = harness();
    let room = h.room(LikeThreshold::Fixed(1)).await;
    let stranger = Viewer::User(UserId::generate());
    assert!(matches!(
        h.voting.vote(&room, stranger, &track(1), Vote::Like).await,
        Err(VoteError::Room(soiree_rooms::RoomError::NotParticipant))
    ));
    let closed = h
        .rooms
        .close(&room, Viewer::User(h.host.user_id))
        .await
        .unwrap();
    let refused = h
        .voting
        .vote(&closed, Viewer::User(h.host.user_id), &track(1), Vote::Like)
        .await;
    assert!(matches!(
        refused,
        Err(VoteError::Room(soiree_rooms::RoomError::Closed))
    ));
}

#[tokio::test]
async fn the_loop_plays_the_ready_head_queues_one_ahead_and_skips_at_the_threshold() {
    let h = harness();
    let room = h.room(LikeThreshold::Fixed(1)).await;
    let host = Viewer::User(h.host.user_id);
    h.voting
        .vote(&room, host, &track(1), Vote::Like)
        .await
        .unwrap();
    h.voting
        .vote(&room, host, &track(2), Vote::Like)
        .await
        .unwrap();
    h.voting
        .vote(&room, host, &track(3), Vote::Like)
        .await
        .unwrap();

    h.party.tick(&room).await.unwrap();
    assert_eq!(
        *h.player.commands.lock().unwrap(),
        [format!("play {}", track(1))]
    );
    h.party.tick(&room).await.unwrap();
    assert_eq!(
        h.player.commands.lock().unwrap().len(),
        1,
        "nothing more while the track plays"
    );

    // Four seconds left: the next one is queued, once.
    h.player
        .playback
        .lock()
        .unwrap()
        .as_mut()
        .unwrap()
        .progress_ms = 196_000;
    h.party.tick(&room).await.unwrap();
    h.party.tick(&room).await.unwrap();
    assert_eq!(
        h.player.commands.lock().unwrap()[1..],
        [format!("queue {}", track(2))]
    );

    // The host's player moved to the queued track.
    *h.player.playback.lock().unwrap() = Some(HostPlayback {
        track: Some(track(2)),
        is_playing: true,
        progress_ms: 1_000,
        duration_ms: 200_000,
    });
    h.party.tick(&room).await.unwrap();
    let queue = h.voting.queue(&room, host).await.unwrap();
    assert_eq!(
        (queue[0].track.clone(), queue[0].state),
        (track(2), TrackState::Playing)
    );

    // Skip votes at the threshold play the next ready track now.
    let (skips, needed) = h.voting.skip(&room, host).await.unwrap();
    assert_eq!((skips, needed), (1, 1));
    assert_eq!(
        h.player.commands.lock().unwrap().last(),
        Some(&format!("play {}", track(3)))
    );
    let names = h.sink.names();
    assert_eq!(
        names.iter().filter(|name| **name == "now_playing").count(),
        3,
        "{names:?}"
    );
}

#[tokio::test]
async fn a_playback_failure_is_announced_once_and_the_track_stays_ready() {
    let h = harness();
    let room = h.room(LikeThreshold::Fixed(1)).await;
    h.voting
        .vote(&room, Viewer::User(h.host.user_id), &track(1), Vote::Like)
        .await
        .unwrap();
    *h.player.failure.lock().unwrap() = Some(PlaybackProblem {
        code: "no_active_device".into(),
        message: "Open Spotify on a device.".into(),
    });
    h.party.tick(&room).await.unwrap();
    h.party.tick(&room).await.unwrap();
    let failures: Vec<_> = h
        .sink
        .events()
        .into_iter()
        .filter(|event| event.kind.name() == "playback_failed")
        .collect();
    assert_eq!(failures.len(), 1, "announced once, then backing off");
    let queue = h
        .voting
        .queue(&room, Viewer::User(h.host.user_id))
        .await
        .unwrap();
    assert_eq!(queue[0].state, TrackState::Ready);
}

#[tokio::test]
async fn a_suggestion_is_a_liked_track_with_the_callers_like_and_guests_cannot_suggest() {
    let h = harness();
    let room = h.room(LikeThreshold::Fixed(5)).await;
    let (suggested, outcome) = h
        .voting
        .suggest(&room, Viewer::User(h.host.user_id))
        .await
        .unwrap();
    assert_eq!((suggested, outcome.tally.likes), (track(99), 1));
    let (_, guest, _) = h
        .rooms
        .join_as_guest(&room.code, Nickname::parse("Zoe").unwrap())
        .await
        .unwrap();
    assert!(matches!(
        h.voting.suggest(&room, Viewer::Guest(guest.id)).await,
        Err(VoteError::GuestCannotSuggest)
    ));
}

fn playback(track_number: u8, playing: bool, progress_ms: u64) -> HostPlayback {
    HostPlayback {
        track: Some(track(track_number)),
        is_playing: playing,
        progress_ms,
        duration_ms: 200_000,
    }
}

#[test]
fn player_loop_decisions() {
    let (one, two) = (track(1), track(2));
    // (host playback, ours, queued, next ready) -> decision
    // (host playback, ours, queued, next ready, decision)
    type Case<'a> = (
        Option<HostPlayback>,
        Option<&'a TrackRef>,
        Option<&'a TrackRef>,
        Option<&'a TrackRef>,
        Decision,
    );
    let cases: Vec<Case> = vec![
        (None, None, None, Some(&one), Decision::Play(one.clone())),
        (None, None, None, None, Decision::Wait),
        (None, Some(&one), None, None, Decision::Finished),
        (
            None,
            Some(&one),
            None,
            Some(&two),
            Decision::Play(two.clone()),
        ),
        (
            Some(playback(1, true, 10_000)),
            Some(&one),
            None,
            Some(&two),
            Decision::Wait,
        ),
        (
            Some(playback(1, true, 196_000)),
            Some(&one),
            None,
            Some(&two),
            Decision::Enqueue(two.clone()),
        ),
        (
            Some(playback(1, true, 196_000)),
            Some(&one),
            Some(&two),
            Some(&two),
            Decision::Wait,
        ),
        (
            Some(playback(2, true, 1_000)),
            Some(&one),
            Some(&two),
            None,
            Decision::QueuedStarted(two.clone()),
        ),
        (
            Some(playback(1, false, 50_000)),
            Some(&one),
            None,
            Some(&two),
            Decision::Wait,
        ),
        (
            Some(playback(9, true, 50_000)),
            None,
            None,
            Some(&two),
            Decision::Wait,
        ),
        (
            Some(playback(9, true, 50_000)),
            Some(&one),
            None,
            Some(&two),
            Decision::Finished,
        ),
        (
            Some(playback(9, false, 50_000)),
            None,
            None,
            Some(&two),
            Decision::Play(two.clone()),
        ),
        (
            Some(playback(1, false, 200_000)),
            Some(&one),
            None,
            Some(&two),
            Decision::Play(two.clone()),
        ),
    ];
    for (index, (host, ours, queued, next, expected)) in cases.into_iter().enumerate() {
        assert_eq!(
            decide(host.as_ref(), ours, queued, next),
            expected,
            "case {index}"
        );
    }
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
    fn a_tally_counts_each_voters_last_vote(votes in proptest::collection::vec((0u8..6, any::<bool>()), 0..60)) {
        let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
        runtime.block_on(async {
            let repository = InMemoryVotes::default();
            let room = RoomId::generate();
            let voters: Vec<ParticipantId> = (0..6).map(|_| ParticipantId::generate()).collect();
            let mut last: HashMap<u8, bool> = HashMap::new();
            let now = DateTime::from_timestamp(1_800_000_000, 0).unwrap();
            let mut tally = Tally::default();
            for (voter, like) in &votes {
                let vote = if *like { Vote::Like } else { Vote::Dislike };
                tally = repository.cast(room, voters[*voter as usize], &track(1), vote, now).await.unwrap();
                last.insert(*voter, *like);
            }
            let likes = last.values().filter(|like| **like).count() as u32;
            let dislikes = last.len() as u32 - likes;
            assert_eq!(tally, Tally { likes, dislikes });
        });
    }
}
