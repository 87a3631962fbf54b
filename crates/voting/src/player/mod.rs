//! Keeping the host's player fed: when nothing plays, play the head of the ready queue; when the
//! current room track has a few seconds left, queue the next one, never more than one ahead
//! (Spotify cannot take a track back out of its queue). Failures become `playback_failed`
//! events; the track stays ready, and the room backs off.
//!
//! Each room's loop runs where its lease is held ([`PlayerLeases`]); what the loop remembers
//! (the queued track, a pending skip, the back-off) is stored with the lease, so that a lease that
//! moves to another process carries on where the last holder stopped.

mod decide;

use std::sync::Arc;
use std::time::Duration;

use chrono::Duration as Span;
use soiree_kernel::{Clock, Timestamp, TrackRef, UserId};
use soiree_rooms::{PlaybackFailure, Room, RoomEventKind, RoomId, RoomsService, TrackState};
use tracing::instrument;

pub use decide::{Decision, HostPlayback, LOOKAHEAD, Look, decide};

use crate::ports::{PlayedTracks, PlayerLeases, RoomPlayer, VoteRepository};
use crate::queue::{next_ready, playing};

/// How long the room waits after a playback failure before trying again.
pub const BACKOFF: Span = Span::seconds(10);
/// How long it waits after a failure only the host can end (connect, upgrade).
pub const HOST_BACKOFF: Span = Span::seconds(60);
/// How long a lease lasts without renewal; a holder looks at least every [`LONGEST_WAIT`].
pub const LEASE: Span = Span::seconds(15);
/// The longest wait between two looks at a room with something playing or ready. Shorter than
/// [`LOOKAHEAD`], so that a host who skips ahead in the room's track still has the next one
/// queued before the end.
pub const LONGEST_WAIT: Duration = Duration::from_secs(2);
/// The same failure is announced again only after this long.
const REPEAT_FAILURE_AFTER: Span = Span::minutes(1);
/// How many due rooms one pass looks at.
const ROOMS_PER_PASS: u32 = 200;

/// What a room's loop remembers between looks (stored with its lease).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LoopMemory {
    /// The room track handed to the host's queue, waiting for the current one to end.
    pub queued_next: Option<TrackRef>,
    /// A room track that skip votes ended; the host's player must move on from it.
    pub skipping: Option<TrackRef>,
    /// No new attempt before this.
    pub backoff_until: Option<Timestamp>,
    /// The last failure announced, and when.
    pub last_failure: Option<(PlaybackFailure, Timestamp)>,
}

/// Called to wake this process's loop soon (after a track became ready, for instance).
pub type Wake = Arc<dyn Fn(RoomId) + Send + Sync>;

/// The player loop of every room whose lease this process holds. The app calls
/// [`PartyPlayer::run_due`] when woken and every second or so; everything else happens here.
pub struct PartyPlayer {
    rooms: Arc<RoomsService>,
    votes: Arc<dyn VoteRepository>,
    leases: Arc<dyn PlayerLeases>,
    player: Arc<dyn RoomPlayer>,
    clock: Arc<dyn Clock>,
    holder: String,
    wake: Wake,
    /// Told of each room track that starts (none until [`PartyPlayer::remembering`]).
    played: Option<Arc<dyn PlayedTracks>>,
}

impl std::fmt::Debug for PartyPlayer {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("PartyPlayer")
            .field("holder", &self.holder)
            .finish_non_exhaustive()
    }
}

/// What a look concluded: the memory to keep and when to look again (`None`: when woken).
type Looked = (LoopMemory, Option<Timestamp>);

impl PartyPlayer {
    /// Wires the player. `holder` names this process in leases (unique per process); `wake` is
    /// called when a room should be looked at soon.
    pub fn new(
        rooms: Arc<RoomsService>,
        votes: Arc<dyn VoteRepository>,
        leases: Arc<dyn PlayerLeases>,
        player: Arc<dyn RoomPlayer>,
        clock: Arc<dyn Clock>,
        holder: impl Into<String>,
        wake: Wake,
    ) -> Self {
        Self {
            rooms,
            votes,
            leases,
            player,
            clock,
            holder: holder.into(),
            wake,
            played: None,
        }
    }

    /// Tells `played` of each room track that starts (the host's library keeps them).
    #[must_use]
    pub fn remembering(mut self, played: Arc<dyn PlayedTracks>) -> Self {
        self.played = Some(played);
        self
    }

    /// Asks this process's loop for a pass soon (the room is already due in storage).
    pub fn nudge(&self, room: RoomId) {
        (self.wake)(room);
    }

    /// Whether a host's player can take tracks at all (their provider is connected).
    pub async fn host_connected(&self, host: UserId) -> bool {
        self.player.is_connected(host).await
    }

    /// Makes a room due now, whichever process holds its lease, and nudges this one.
    pub async fn wake(&self, room: RoomId) -> anyhow::Result<()> {
        self.leases.wake(room, self.clock.now()).await?;
        self.nudge(room);
        Ok(())
    }

    /// Gives up every room this player holds (at shutdown), so that another process takes them
    /// over at their next look rather than when the leases expire; returns how many.
    pub async fn release_leases(&self) -> anyhow::Result<u64> {
        self.leases.release(&self.holder).await
    }

    /// Looks at every due room whose lease this process holds or can take; returns how many.
    pub async fn run_due(&self) -> anyhow::Result<usize> {
        let due = self
            .leases
            .due(&self.holder, self.clock.now(), ROOMS_PER_PASS)
            .await?;
        let mut looked = 0;
        for room in due {
            match self.look(room).await {
                Ok(true) => looked += 1,
                Ok(false) => {}
                Err(error) => {
                    tracing::warn!(%room, error = format!("{error:#}"), "room player look failed");
                }
            }
        }
        Ok(looked)
    }

    /// Claims the room's lease and, if won, looks once and stores what the look concluded.
    async fn look(&self, room_id: RoomId) -> anyhow::Result<bool> {
        let now = self.clock.now();
        let Some(memory) = self
            .leases
            .claim(room_id, &self.holder, now, now + LEASE)
            .await?
        else {
            return Ok(false);
        };
        let (memory, next_look) = match self.rooms.by_id(room_id).await? {
            Some(room) if room.is_open() => self.tick(&room, memory).await?,
            _ => (LoopMemory::default(), None),
        };
        self.leases
            .store(room_id, &self.holder, &memory, next_look, self.clock.now())
            .await?;
        Ok(true)
    }

    /// One look at the room's playback, and at most one command to the host's player.
    #[instrument(skip_all, fields(room = %room.code))]
    async fn tick(&self, room: &Room, memory: LoopMemory) -> anyhow::Result<Looked> {
        let now = self.clock.now();
        if let Some(until) = memory.backoff_until
            && now < until
        {
            return Ok((memory, Some(until)));
        }
        let queue = self.votes.queue(room.id).await?;
        let ours = playing(&queue).map(|entry| entry.track.clone());
        let next = next_ready(&queue).map(|entry| entry.track.clone());
        if ours.is_none() && next.is_none() && memory.skipping.is_none() {
            return Ok((LoopMemory::default(), None));
        }
        let playback = match self.player.playback(room.host).await {
            Ok(playback) => playback,
            Err(failure) => return self.failed(room, memory, next.or(ours), failure).await,
        };
        let skipping = memory.skipping.clone();
        let queued = memory.queued_next.clone();
        let decision = decide(&Look {
            playback: playback.as_ref(),
            ours: ours.as_ref(),
            queued: queued.as_ref(),
            skipping: skipping.as_ref(),
            next_ready: next.as_ref(),
        });
        let soon = Some(now + Span::seconds(2));
        // A pending skip is handled by this look, unless its command fails (then it is kept).
        let memory = LoopMemory {
            skipping: None,
            ..memory
        };
        match decision {
            Decision::Wait => {
                let next_look = next_look(now, playback.as_ref(), memory.queued_next.is_some());
                Ok((memory, Some(next_look)))
            }
            Decision::Enqueue(track) => match self.player.enqueue(room.host, &track).await {
                Ok(()) => {
                    let memory = LoopMemory {
                        queued_next: Some(track),
                        ..memory
                    };
                    Ok((memory, Some(next_look(now, playback.as_ref(), true))))
                }
                Err(failure) => self.failed(room, memory, Some(track), failure).await,
            },
            Decision::QueuedStarted(track) => {
                self.finish(room, ours.as_ref()).await?;
                let memory = self.started(room, memory, &track).await?;
                Ok((memory, soon))
            }
            Decision::Finished => {
                self.finish(room, ours.as_ref()).await?;
                let memory = LoopMemory {
                    queued_next: None,
                    ..memory
                };
                Ok((memory, Some(now)))
            }
            Decision::Play(track) => match self.player.play(room.host, &track).await {
                Ok(()) => {
                    self.finish(room, ours.as_ref()).await?;
                    let memory = self.started(room, memory, &track).await?;
                    Ok((memory, soon))
                }
                Err(failure) => {
                    let memory = LoopMemory {
                        skipping: skipping.clone(),
                        ..memory
                    };
                    self.failed(room, memory, Some(track), failure).await
                }
            },
            Decision::Pause => match self.player.pause(room.host).await {
                Ok(()) => Ok((memory, soon)),
                Err(failure) => {
                    let memory = LoopMemory {
                        skipping: skipping.clone(),
                        ..memory
                    };
                    self.failed(room, memory, None, failure).await
                }
            },
        }
    }

    /// The room's playing track is over: it becomes played.
    async fn finish(&self, room: &Room, playing: Option<&TrackRef>) -> anyhow::Result<()> {
        if let Some(track) = playing {
            let now = self.clock.now();
            self.votes
                .transition(room.id, track, TrackState::Playing, TrackState::Played, now)
                .await?;
        }
        Ok(())
    }

    /// A ready track reached the host's speakers: it becomes the room's playing track, once.
    async fn started(
        &self,
        room: &Room,
        memory: LoopMemory,
        track: &TrackRef,
    ) -> anyhow::Result<LoopMemory> {
        let now = self.clock.now();
        if self
            .votes
            .transition(room.id, track, TrackState::Ready, TrackState::Playing, now)
            .await?
        {
            let kind = RoomEventKind::NowPlaying {
                track: track.clone(),
            };
            self.rooms.emit(room.id, kind).await?;
            if let Some(played) = &self.played
                && let Err(error) = played.started(room.host, track).await
            {
                tracing::warn!(error = %error, "a played track could not be kept in the host's library");
            }
        }
        Ok(LoopMemory {
            queued_next: None,
            last_failure: None,
            backoff_until: None,
            ..memory
        })
    }

    /// A failure: announced once a minute at most, then a back-off; the track stays ready.
    async fn failed(
        &self,
        room: &Room,
        memory: LoopMemory,
        track: Option<TrackRef>,
        failure: PlaybackFailure,
    ) -> anyhow::Result<Looked> {
        let now = self.clock.now();
        let wait = if failure.needs_the_host() {
            HOST_BACKOFF
        } else {
            let asked = failure
                .retry_after()
                .and_then(|wait| Span::from_std(wait).ok())
                .unwrap_or(BACKOFF);
            asked.max(BACKOFF)
        };
        let repeat = memory.last_failure.is_some_and(|(last, at)| {
            last.code() == failure.code() && now - at < REPEAT_FAILURE_AFTER
        });
        tracing::info!(code = failure.code(), "room playback failed; will retry");
        let mut memory = LoopMemory {
            backoff_until: Some(now + wait),
            ..memory
        };
        if !repeat {
            memory.last_failure = Some((failure, now));
            let kind = RoomEventKind::PlaybackFailed { track, failure };
            self.rooms.emit(room.id, kind).await?;
        }
        Ok((memory, Some(now + wait)))
    }

    /// Skips the room's playing track (skip votes reached the threshold), once however many votes
    /// arrive: it becomes played, and the lease holder moves the host's player on at its next
    /// look, which is now. Returns whether this call did it.
    pub async fn skip(&self, room: &Room, track: &TrackRef) -> anyhow::Result<bool> {
        let now = self.clock.now();
        if !self
            .votes
            .transition(room.id, track, TrackState::Playing, TrackState::Played, now)
            .await?
        {
            return Ok(false);
        }
        self.leases.request_skip(room.id, track, now).await?;
        self.nudge(room.id);
        Ok(true)
    }
}

/// When to look again while waiting: just before the lookahead when a room track plays (or just
/// after its end when the next one is queued), and at least every [`LONGEST_WAIT`].
fn next_look(now: Timestamp, playback: Option<&HostPlayback>, queued: bool) -> Timestamp {
    let wait = match playback {
        Some(playback) if playback.is_playing && playback.duration_ms > 0 => {
            let remaining = playback.remaining();
            let wait = if queued {
                remaining + Duration::from_millis(500)
            } else {
                remaining.saturating_sub(LOOKAHEAD)
            };
            wait.clamp(Duration::from_millis(200), LONGEST_WAIT)
        }
        _ => LONGEST_WAIT,
    };
    now + Span::from_std(wait).unwrap_or(Span::seconds(2))
}
