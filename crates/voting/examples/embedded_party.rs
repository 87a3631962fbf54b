//! A party run inside another program: `soiree-rooms` and `soiree-voting` with their in-memory
//! adapters, no HTTP and no database. The embedder brings what only it knows: its speaker (a
//! [`RoomPlayer`]), where suggestions come from (a [`TrackSource`]), how tracks are described
//! (a [`TrackCatalog`]) and how often guests may vote (a [`VoteRateLimiter`]).
//!
//! ```sh
//! cargo run -p soiree-voting --example embedded_party
//! ```
//!
//! A host opens a room, two guests join with its code, vote, and the track that reaches the
//! threshold plays on the host's speaker, exactly once.

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use soiree_kernel::{SystemClock, TrackInfo, TrackRef, UserId};
use soiree_rooms::memory::{FixedAllowance, InMemoryRooms, RecordingSink, StaticDirectory};
use soiree_rooms::{
    GuestSource, LikeThreshold, Member, NewRoom, Nickname, PlaybackFailure, RoomId, RoomName,
    RoomOptions, RoomsService, Viewer,
};
use soiree_voting::memory::{InMemoryTrackDetails, InMemoryVotes};
use soiree_voting::{
    GuestVote, GuestVoter, HostPlayback, PartyPlayer, RoomPlayer, TrackCatalog, TrackDirectory,
    TrackSource, Vote, VoteRateLimiter, VotingPorts, VotingService,
};

/// The embedder's speaker: it prints what it is told and remembers what plays.
#[derive(Debug, Default)]
struct Speaker {
    playing: Mutex<Option<TrackRef>>,
}

#[async_trait]
impl RoomPlayer for Speaker {
    async fn playback(&self, _host: UserId) -> Result<Option<HostPlayback>, PlaybackFailure> {
        let track = self
            .playing
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        Ok(track.map(|track| HostPlayback {
            track: Some(track),
            is_playing: true,
            progress_ms: 0,
            duration_ms: 180_000,
        }))
    }

    async fn play(&self, _host: UserId, track: &TrackRef) -> Result<(), PlaybackFailure> {
        println!("speaker: playing {track}");
        *self.playing.lock().unwrap_or_else(|e| e.into_inner()) = Some(track.clone());
        Ok(())
    }

    async fn enqueue(&self, _host: UserId, track: &TrackRef) -> Result<(), PlaybackFailure> {
        println!("speaker: {track} next");
        Ok(())
    }

    async fn pause(&self, _host: UserId) -> Result<(), PlaybackFailure> {
        println!("speaker: paused");
        Ok(())
    }

    async fn is_connected(&self, _host: UserId) -> bool {
        true
    }
}

/// Nobody has liked tracks to suggest here.
#[derive(Debug)]
struct NoLikes;

#[async_trait]
impl TrackSource for NoLikes {
    async fn random_liked(&self, _user: UserId) -> Result<Option<TrackRef>, PlaybackFailure> {
        Ok(None)
    }
}

/// Tracks are described by their URI alone.
#[derive(Debug)]
struct Catalog;

#[async_trait]
impl TrackCatalog for Catalog {
    async fn describe(
        &self,
        _host: UserId,
        track: &TrackRef,
    ) -> Result<Option<TrackInfo>, PlaybackFailure> {
        Ok(Some(TrackInfo {
            track: track.clone(),
            title: format!("Song {}", &track.as_str()[track.as_str().len() - 4..]),
            artists: vec!["The Embedders".to_owned()],
            album: None,
            artwork_url: None,
            duration_ms: 180_000,
        }))
    }

    async fn search(&self, _host: UserId, _query: &str) -> Result<Vec<TrackInfo>, PlaybackFailure> {
        Ok(Vec::new())
    }
}

/// Guests may vote as often as they like.
#[derive(Debug)]
struct Unlimited;

#[async_trait]
impl VoteRateLimiter for Unlimited {
    async fn check(
        &self,
        _room: RoomId,
        _voter: &GuestVoter,
        _per_two_minutes: u32,
    ) -> anyhow::Result<GuestVote> {
        Ok(GuestVote::Allowed)
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let clock = Arc::new(SystemClock);
    let store = InMemoryRooms::default();
    let events = RecordingSink::default();
    let rooms = Arc::new(RoomsService::new(
        Arc::new(store.clone()),
        Arc::new(StaticDirectory::default()),
        Arc::new(FixedAllowance::default()),
        Arc::new(events.clone()),
        clock.clone(),
    ));
    let votes = InMemoryVotes::new(store);
    let speaker = Arc::new(Speaker::default());
    let party = Arc::new(PartyPlayer::new(
        Arc::clone(&rooms),
        Arc::new(votes.clone()),
        Arc::new(votes.clone()),
        speaker.clone(),
        clock.clone(),
        "this-process",
        Arc::new(|_room| {}),
    ));
    let voting = VotingService::new(
        Arc::clone(&rooms),
        VotingPorts {
            votes: Arc::new(votes),
            liked: Arc::new(NoLikes),
            catalog: Arc::new(Catalog),
            directory: Arc::new(TrackDirectory::new(
                Arc::new(InMemoryTrackDetails::default()),
                clock.clone(),
            )),
            limiter: Arc::new(Unlimited),
        },
        Arc::clone(&party),
        clock,
    );

    let host = Member {
        user_id: UserId::generate(),
        display_name: "Grace".to_owned(),
    };
    let hosted = voting
        .host(
            &host,
            NewRoom {
                name: Some(RoomName::parse("Kitchen party")?),
                like_threshold: LikeThreshold::Fixed(2),
                options: RoomOptions::default(),
            },
        )
        .await?;
    let code = hosted.room.code.clone();
    println!("room {code} is open; two likes play a track");

    let mut guests = Vec::new();
    for name in ["Ada", "Alan"] {
        let (_, guest, _token) = rooms
            .join_as_guest(&code, Nickname::parse(name)?, GuestSource::new(name))
            .await?;
        println!("{name} joined");
        guests.push(Viewer::Guest(guest.id));
    }

    let song = TrackRef::parse("spotify:track:4uLU6hMCjMI75M1A2tKUQC")?;
    for guest in &guests {
        let outcome = voting.vote(&code, *guest, &song, Vote::Like).await?;
        println!(
            "a like: {} of {} needed{}",
            outcome.tally.likes,
            outcome.like_threshold,
            if outcome.play { ", ready to play" } else { "" }
        );
    }
    // The party player looks at due rooms; a server runs this in a loop, woken by votes.
    party.run_due().await?;
    let playing = speaker
        .playing
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clone();
    assert_eq!(playing.as_ref(), Some(&song), "the ready track plays");
    println!("events: {}", events.names().join(", "));
    Ok(())
}
