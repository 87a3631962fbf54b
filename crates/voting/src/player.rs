//! Keeping the host's player fed: when nothing plays, play the head of the ready queue; when the
//! current room track has a few seconds left, queue the next one, never more than one ahead
//! (Spotify cannot take a track back out of its queue). Failures become `playback_failed`
//! events with a person-readable message; the track stays ready, and the room backs off.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use soiree_kernel::{Clock, Timestamp, TrackRef};
use soiree_rooms::{Room, RoomEventKind, RoomId, RoomsService, TrackState};
use tracing::instrument;

use crate::error::VoteError;
use crate::model::{HostPlayback, PlaybackProblem, RoomTrack};
use crate::ports::{RoomPlayer, VoteRepository};

/// How long before the end of a track the next one is queued.
pub const LOOKAHEAD: Duration = Duration::from_secs(5);
/// How long the room waits after a playback failure before trying again.
pub const BACKOFF: chrono::Duration = chrono::Duration::seconds(10);
/// The same failure is announced again only after this long.
const REPEAT_FAILURE_AFTER: chrono::Duration = chrono::Duration::minutes(1);

#[derive(Debug, Default)]
struct LoopState {
    /// The room track handed to the host's queue, waiting for the current one to end.
    queued_next: Option<TrackRef>,
    /// The last failure announced, and when.
    last_failure: Option<(String, Timestamp)>,
    /// No new attempt before this.
    backoff_until: Option<Timestamp>,
}

/// Called to wake the loop for one room (after a track became ready, for instance).
pub type Wake = Arc<dyn Fn(RoomId) + Send + Sync>;

/// The decisions of a room's player loop; the app runs [`PartyPlayer::tick`] for each open room
/// it holds the lease of.
pub struct PartyPlayer {
    rooms: Arc<RoomsService>,
    votes: Arc<dyn VoteRepository>,
    player: Arc<dyn RoomPlayer>,
    clock: Arc<dyn Clock>,
    state: Mutex<HashMap<RoomId, LoopState>>,
    wake: Wake,
}

impl std::fmt::Debug for PartyPlayer {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("PartyPlayer")
            .finish_non_exhaustive()
    }
}

impl PartyPlayer {
    /// Wires the player; `wake` is called when a room should be looked at soon.
    pub fn new(
        rooms: Arc<RoomsService>,
        votes: Arc<dyn VoteRepository>,
        player: Arc<dyn RoomPlayer>,
        clock: Arc<dyn Clock>,
        wake: Wake,
    ) -> Self {
        Self {
            rooms,
            votes,
            player,
            clock,
            state: Mutex::new(HashMap::new()),
            wake,
        }
    }

    /// Asks for a tick of `room` soon.
    pub fn nudge(&self, room: RoomId) {
        (self.wake)(room);
    }

    fn with_state<T>(&self, room: RoomId, work: impl FnOnce(&mut LoopState) -> T) -> T {
        let mut states = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        work(states.entry(room).or_default())
    }

    /// One look at the room's playback, and at most one command to the host's player.
    #[instrument(skip_all, fields(room = %room.code))]
    pub async fn tick(&self, room: &Room) -> Result<(), VoteError> {
        if !room.is_open() {
            self.state
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .remove(&room.id);
            return Ok(());
        }
        let now = self.clock.now();
        if self.with_state(room.id, |state| {
            state.backoff_until.is_some_and(|until| now < until)
        }) {
            return Ok(());
        }
        let queue = self.votes.queue(room.id).await?;
        let ours = queue
            .iter()
            .find(|entry| entry.state == TrackState::Playing)
            .map(|entry| entry.track.clone());
        let next_ready = queue
            .iter()
            .find(|entry| entry.state == TrackState::Ready)
            .map(|entry| entry.track.clone());
        if ours.is_none() && next_ready.is_none() {
            return Ok(());
        }
        let playback = match self.player.playback(room.host).await {
            Ok(playback) => playback,
            Err(problem) => return self.failed(room, next_ready.or(ours), problem).await,
        };
        let queued = self.with_state(room.id, |state| state.queued_next.clone());
        match decide(
            playback.as_ref(),
            ours.as_ref(),
            queued.as_ref(),
            next_ready.as_ref(),
        ) {
            Decision::Wait => Ok(()),
            Decision::Enqueue(track) => match self.player.enqueue(room.host, &track).await {
                Ok(()) => {
                    self.with_state(room.id, |state| state.queued_next = Some(track));
                    Ok(())
                }
                Err(problem) => self.failed(room, Some(track), problem).await,
            },
            Decision::QueuedStarted(track) => {
                self.finish(room, ours.as_ref()).await?;
                self.started(room, &track).await
            }
            Decision::Finished => {
                self.finish(room, ours.as_ref()).await?;
                self.nudge(room.id);
                Ok(())
            }
            Decision::Play(track) => match self.player.play(room.host, &track).await {
                Ok(()) => self.started(room, &track).await,
                Err(problem) => self.failed(room, Some(track), problem).await,
            },
        }
    }

    /// The room's playing track is over: it becomes played, and nothing is queued any more.
    async fn finish(&self, room: &Room, playing: Option<&TrackRef>) -> Result<(), VoteError> {
        if let Some(track) = playing {
            let now = self.clock.now();
            self.votes
                .transition(room.id, track, TrackState::Playing, TrackState::Played, now)
                .await?;
        }
        self.with_state(room.id, |state| state.queued_next = None);
        Ok(())
    }

    async fn started(&self, room: &Room, track: &TrackRef) -> Result<(), VoteError> {
        let now = self.clock.now();
        if self
            .votes
            .transition(room.id, track, TrackState::Ready, TrackState::Playing, now)
            .await?
        {
            self.with_state(room.id, |state| state.last_failure = None);
            self.rooms
                .emit(
                    room.id,
                    RoomEventKind::NowPlaying {
                        track: track.clone(),
                    },
                )
                .await?;
        }
        Ok(())
    }

    async fn failed(
        &self,
        room: &Room,
        track: Option<TrackRef>,
        problem: PlaybackProblem,
    ) -> Result<(), VoteError> {
        let now = self.clock.now();
        let announce = self.with_state(room.id, |state| {
            state.backoff_until = Some(now + BACKOFF);
            let repeat = state.last_failure.as_ref().is_some_and(|(code, at)| {
                *code == problem.code && now - *at < REPEAT_FAILURE_AFTER
            });
            if !repeat {
                state.last_failure = Some((problem.code.clone(), now));
            }
            !repeat
        });
        tracing::info!(code = %problem.code, "room playback failed; will retry");
        if announce {
            let kind = RoomEventKind::PlaybackFailed {
                track,
                code: problem.code,
                message: problem.message,
            };
            self.rooms.emit(room.id, kind).await?;
        }
        Ok(())
    }

    /// Skips the playing room track (skip votes reached the threshold): the next ready track
    /// plays now, or the player pauses. The skip happens once, however many votes arrive.
    pub async fn skip(&self, room: &Room, playing: &TrackRef) -> Result<(), VoteError> {
        let now = self.clock.now();
        if !self
            .votes
            .transition(
                room.id,
                playing,
                TrackState::Playing,
                TrackState::Played,
                now,
            )
            .await?
        {
            return Ok(());
        }
        self.with_state(room.id, |state| state.queued_next = None);
        let next = self
            .votes
            .queue(room.id)
            .await?
            .into_iter()
            .find(|entry: &RoomTrack| entry.state == TrackState::Ready);
        let outcome = match &next {
            Some(entry) => self.player.play(room.host, &entry.track).await,
            None => self.player.pause(room.host).await,
        };
        match (outcome, next) {
            (Ok(()), Some(entry)) => self.started(room, &entry.track).await,
            (Ok(()), None) => Ok(()),
            (Err(problem), next) => {
                self.failed(room, next.map(|entry| entry.track), problem)
                    .await
            }
        }
    }
}

/// What to do about a room's playback.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Nothing now.
    Wait,
    /// Queue this ready track after the current one.
    Enqueue(TrackRef),
    /// The queued track started: it is now the room's playing track.
    QueuedStarted(TrackRef),
    /// The room's track ended (or the host moved on) and nothing is ready.
    Finished,
    /// Play this ready track now.
    Play(TrackRef),
}

/// The decision for one look at the host's player (pure, so it can be tested on its own).
///
/// - `playback`: the host's player; `ours`: the room track sent to it; `queued`: the room track
///   handed to its queue; `next_ready`: the head of the ready queue.
pub fn decide(
    playback: Option<&HostPlayback>,
    ours: Option<&TrackRef>,
    queued: Option<&TrackRef>,
    next_ready: Option<&TrackRef>,
) -> Decision {
    let current = playback.and_then(|playback| playback.track.as_ref());
    let playing = playback.is_some_and(|playback| playback.is_playing);
    if playing && current.is_some() && current == queued {
        return queued
            .cloned()
            .map_or(Decision::Wait, Decision::QueuedStarted);
    }
    if playing && current.is_some() && current == ours {
        let ending = playback.is_some_and(|playback| playback.remaining() <= LOOKAHEAD);
        return match (ending, queued, next_ready) {
            (true, None, Some(next)) => Decision::Enqueue(next.clone()),
            _ => Decision::Wait,
        };
    }
    if playing {
        // The host is playing something of their own: the room waits for silence.
        return if ours.is_some() {
            Decision::Finished
        } else {
            Decision::Wait
        };
    }
    // Paused in the middle of the room's track: the host paused on purpose.
    if let (Some(playback), Some(current)) = (playback, current)
        && Some(current) == ours
        && playback.progress_ms > 0
        && playback.remaining() > Duration::ZERO
    {
        return Decision::Wait;
    }
    match next_ready {
        Some(next) => Decision::Play(next.clone()),
        None if ours.is_some() => Decision::Finished,
        None => Decision::Wait,
    }
}
