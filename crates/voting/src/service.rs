//! Votes, skips, suggestions and the room's queue. Every operation takes the room's code and the
//! caller, and checks through [`RoomsService::access`] that the caller is in the room before it
//! reads or records anything.

use std::sync::Arc;

use soiree_kernel::{Clock, TrackInfo, TrackRef, TtlCache};
use soiree_rooms::{
    CreateRoomError, Identity, Member, NewRoom, ReadRoomError, Room, RoomAccess, RoomCode,
    RoomEventKind, RoomsService, Viewer,
};
use tracing::instrument;

use crate::ballot::{Ballot, Choice, Vote, VoteOutcome};
use crate::error::{
    CastVoteError, PlayedTracksError, RetractVoteError, SearchTracksError, SkipError, SuggestError,
};
use crate::player::PartyPlayer;
use crate::ports::{
    GuestVote, GuestVoter, RecordBallotError, TrackCatalog, TrackSource, VoteRateLimiter,
    VoteRepository,
};
use crate::queue::{RoomTrack, playing};
use crate::tracks::TrackDirectory;

/// Everything a participant needs to draw the room, and the event number to follow on from.
#[derive(Debug, Clone)]
pub struct RoomSnapshot {
    /// The room and the caller in it.
    pub access: RoomAccess,
    /// Participants present now.
    pub present: u32,
    /// Likes a track needs now.
    pub likes_needed: u32,
    /// The playing track, ready tracks in play order, then candidates by net score.
    pub queue: Vec<RoomTrack>,
    /// The number of the room's last event when the snapshot was taken; the queue may already
    /// reflect a few later ones, which carry whole tallies and so can be applied again.
    pub last_seq: u64,
}

/// A room just opened by its host.
#[derive(Debug, Clone)]
pub struct HostedRoom {
    /// The room; its code is what the host shares.
    pub room: Room,
    /// Whether the host's player can take the room's tracks yet (their provider is connected);
    /// until it can, people join and vote and ready tracks wait.
    pub host_connected: bool,
}

/// Skip votes on the playing track.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SkipTally {
    /// Skip votes now.
    pub skips: u32,
    /// Skip votes needed.
    pub needed: u32,
}

/// Why the caller may not vote now.
enum VoterRefused {
    NotFound,
    NotParticipant,
    Closed,
    RateLimited(std::time::Duration),
    Unknown(anyhow::Error),
}

impl From<ReadRoomError> for VoterRefused {
    fn from(error: ReadRoomError) -> Self {
        match error {
            ReadRoomError::NotFound => Self::NotFound,
            ReadRoomError::NotParticipant => Self::NotParticipant,
            ReadRoomError::Unknown(error) => Self::Unknown(error),
        }
    }
}

macro_rules! from_voter_refused {
    ($($operation:ident),+) => {
        $(impl From<VoterRefused> for $operation {
            fn from(refused: VoterRefused) -> Self {
                match refused {
                    VoterRefused::NotFound => Self::NotFound,
                    VoterRefused::NotParticipant => Self::NotParticipant,
                    VoterRefused::Closed => Self::Closed,
                    VoterRefused::RateLimited(retry_after) => Self::RateLimited { retry_after },
                    VoterRefused::Unknown(error) => Self::Unknown(error),
                }
            }
        })+
    };
}

from_voter_refused!(CastVoteError, RetractVoteError, SkipError);

/// Votes over a [`VoteRepository`], on rooms from a [`RoomsService`].
#[derive(Debug)]
pub struct VotingService {
    rooms: Arc<RoomsService>,
    votes: Arc<dyn VoteRepository>,
    liked: Arc<dyn TrackSource>,
    catalog: Arc<dyn TrackCatalog>,
    directory: Arc<TrackDirectory>,
    limiter: Arc<dyn VoteRateLimiter>,
    party: Arc<PartyPlayer>,
    clock: Arc<dyn Clock>,
    /// Tracks the host's provider could not describe lately: not asked again for a while.
    undescribed: TtlCache<TrackRef, ()>,
}

/// The ports voting needs, bundled so that one place wires them.
#[derive(Debug, Clone)]
pub struct VotingPorts {
    /// Votes and the room's tracks.
    pub votes: Arc<dyn VoteRepository>,
    /// Participants' liked tracks, for suggestions.
    pub liked: Arc<dyn TrackSource>,
    /// The host's provider catalogue.
    pub catalog: Arc<dyn TrackCatalog>,
    /// What is known of tracks.
    pub directory: Arc<TrackDirectory>,
    /// Guests' vote rates.
    pub limiter: Arc<dyn VoteRateLimiter>,
}

/// How long a track the host's provider could not describe is left alone.
const RETRY_DESCRIBING_AFTER: chrono::Duration = chrono::Duration::minutes(1);

impl VotingService {
    /// Wires the service.
    pub fn new(
        rooms: Arc<RoomsService>,
        ports: VotingPorts,
        party: Arc<PartyPlayer>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            rooms,
            votes: ports.votes,
            liked: ports.liked,
            catalog: ports.catalog,
            directory: ports.directory,
            limiter: ports.limiter,
            party,
            clock,
            undescribed: TtlCache::new(RETRY_DESCRIBING_AFTER, 100_000),
        }
    }

    /// Makes sure a track entering a room has its details, asking the host's provider once; a
    /// provider that cannot tell does not stop the vote (the track shows by its address).
    async fn describe(&self, host: soiree_kernel::UserId, track: &TrackRef) -> anyhow::Result<()> {
        let now = self.clock.now();
        if self.undescribed.get(track, now).is_some() || self.directory.knows(track).await? {
            return Ok(());
        }
        match self.catalog.describe(host, track).await {
            Ok(Some(info)) => self.directory.remember(&[info]).await?,
            Ok(None) => self.undescribed.insert(track.clone(), (), now),
            Err(failure) => {
                tracing::debug!(
                    code = failure.code(),
                    "the host's provider could not describe a track"
                );
                self.undescribed.insert(track.clone(), (), now);
            }
        }
        Ok(())
    }

    /// Fills in what is known of each track of a queue.
    async fn with_details(&self, mut queue: Vec<RoomTrack>) -> anyhow::Result<Vec<RoomTrack>> {
        let tracks: Vec<TrackRef> = queue.iter().map(|entry| entry.track.clone()).collect();
        let mut details = self.directory.get(&tracks).await?;
        for entry in &mut queue {
            entry.info = details.remove(&entry.track);
        }
        Ok(queue)
    }

    /// Searches the host's provider catalogue, for a participant adding a track; what it finds is
    /// remembered, so that a track added from the results shows by name at once.
    pub async fn search(
        &self,
        code: &RoomCode,
        viewer: Viewer,
        query: &str,
    ) -> Result<Vec<TrackInfo>, SearchTracksError> {
        let access = self.rooms.access(code, viewer).await?;
        if !access.room().is_open() {
            return Err(SearchTracksError::Closed);
        }
        let found = self
            .catalog
            .search(access.room().host, query)
            .await
            .map_err(SearchTracksError::Provider)?;
        self.directory.remember(&found).await?;
        Ok(found)
    }

    /// Opens a party: a room hosted by `host`, and whether their player can play it yet.
    pub async fn host(&self, host: &Member, new: NewRoom) -> Result<HostedRoom, CreateRoomError> {
        let (room, _) = self.rooms.create(host, new).await?;
        let host_connected = self.party.host_connected(host.user_id).await;
        Ok(HostedRoom {
            room,
            host_connected,
        })
    }

    /// The caller in an open room, within their vote rate if they are a guest.
    async fn voter(&self, code: &RoomCode, viewer: Viewer) -> Result<RoomAccess, VoterRefused> {
        let access = self.rooms.access(code, viewer).await?;
        if !access.room().is_open() {
            return Err(VoterRefused::Closed);
        }
        let participant = access.participant();
        if participant.identity == Identity::Guest {
            let room = access.room();
            // Guests who joined from one source vote as one guest: making more guests does not
            // make more votes.
            let voter = participant
                .source
                .clone()
                .map_or(GuestVoter::Participant(participant.id), GuestVoter::Source);
            match self
                .limiter
                .check(room.id, &voter, room.options.guest_votes_per_2min)
                .await
                .map_err(VoterRefused::Unknown)?
            {
                GuestVote::Allowed => {}
                GuestVote::Wait(wait) => return Err(VoterRefused::RateLimited(wait)),
            }
        }
        Ok(access)
    }

    /// Records one ballot of the caller, announces its events, and wakes the player when it made
    /// a track ready.
    async fn ballot(
        &self,
        access: &RoomAccess,
        track: &TrackRef,
        choice: Choice,
    ) -> Result<VoteOutcome, RecordBallotError> {
        let room = access.room();
        if matches!(choice, Choice::Cast(_)) {
            self.describe(room.host, track).await?;
        }
        let ballot = Ballot {
            room: room.id,
            participant: access.participant().id,
            track: track.clone(),
            choice,
            likes_needed: self.rooms.likes_needed(room).await?,
            at: self.clock.now(),
        };
        let recorded = self.votes.record(ballot).await?;
        self.rooms.announce(room.id, &recorded.events);
        if recorded.outcome.play {
            // Storage made the room due with the vote; this only saves the wait for the sweep.
            self.party.nudge(room.id);
        }
        Ok(recorded.outcome)
    }

    /// Casts (or changes) the caller's vote. When likes reach the threshold, the track becomes
    /// ready, exactly once (VO-1): `play` is true for the one vote that did it.
    #[instrument(skip(self), fields(room = %code))]
    pub async fn vote(
        &self,
        code: &RoomCode,
        viewer: Viewer,
        track: &TrackRef,
        vote: Vote,
    ) -> Result<VoteOutcome, CastVoteError> {
        let access = self.voter(code, viewer).await?;
        self.ballot(&access, track, Choice::Cast(vote))
            .await
            .map_err(|error| match error {
                RecordBallotError::RoomClosed => CastVoteError::Closed,
                RecordBallotError::NotParticipant => CastVoteError::NotParticipant,
                // A cast always leaves a vote behind; storage cannot answer "no vote" to it.
                RecordBallotError::NoVote => CastVoteError::Unknown(anyhow::anyhow!(
                    "storage refused a cast as a retraction"
                )),
                RecordBallotError::Unknown(error) => CastVoteError::Unknown(error),
            })
    }

    /// Retracts the caller's vote. A track that became ready stays ready.
    pub async fn retract(
        &self,
        code: &RoomCode,
        viewer: Viewer,
        track: &TrackRef,
    ) -> Result<VoteOutcome, RetractVoteError> {
        let access = self.voter(code, viewer).await?;
        self.ballot(&access, track, Choice::Retract)
            .await
            .map_err(|error| match error {
                RecordBallotError::RoomClosed => RetractVoteError::Closed,
                RecordBallotError::NotParticipant => RetractVoteError::NotParticipant,
                RecordBallotError::NoVote => RetractVoteError::NoVote,
                RecordBallotError::Unknown(error) => RetractVoteError::Unknown(error),
            })
    }

    /// The room now, for a participant: details, presence, the queue and the last event number.
    pub async fn snapshot(
        &self,
        code: &RoomCode,
        viewer: Viewer,
    ) -> Result<RoomSnapshot, ReadRoomError> {
        let access = self.rooms.access(code, viewer).await?;
        let last_seq = self.rooms.last_seq(&access).await?;
        let queue = self
            .with_details(self.votes.queue(access.room().id).await?)
            .await?;
        let present = self.rooms.present_count(access.room()).await?;
        let likes_needed = access.room().like_threshold.required_likes(present);
        Ok(RoomSnapshot {
            access,
            present,
            likes_needed,
            queue,
            last_seq,
        })
    }

    /// The room's queue: playing, then ready in play order, then candidates by net score.
    pub async fn queue(
        &self,
        code: &RoomCode,
        viewer: Viewer,
    ) -> Result<Vec<RoomTrack>, ReadRoomError> {
        let access = self.rooms.access(code, viewer).await?;
        Ok(self
            .with_details(self.votes.queue(access.room().id).await?)
            .await?)
    }

    /// The tracks the room played (then the one playing), for its host alone, with their
    /// details: what "save this party" keeps.
    pub async fn played_for_host(
        &self,
        code: &RoomCode,
        host: soiree_kernel::UserId,
    ) -> Result<Vec<RoomTrack>, PlayedTracksError> {
        let access =
            self.rooms
                .access(code, Viewer::User(host))
                .await
                .map_err(|error| match error {
                    ReadRoomError::NotFound => PlayedTracksError::NotFound,
                    ReadRoomError::NotParticipant => PlayedTracksError::NotHost,
                    ReadRoomError::Unknown(error) => PlayedTracksError::Unknown(error),
                })?;
        if access.room().host != host {
            return Err(PlayedTracksError::NotHost);
        }
        Ok(self
            .with_details(self.votes.played(access.room().id).await?)
            .await?)
    }

    /// Votes to skip the playing track; at the threshold, the host's player moves on (once).
    pub async fn skip(&self, code: &RoomCode, viewer: Viewer) -> Result<SkipTally, SkipError> {
        let access = self.voter(code, viewer).await?;
        let room = access.room();
        let queue = self.votes.queue(room.id).await?;
        let track = playing(&queue)
            .map(|entry| entry.track.clone())
            .ok_or(SkipError::NothingPlaying)?;
        let skips = self
            .votes
            .cast_skip(room.id, access.participant().id, &track)
            .await?;
        let needed = self.rooms.likes_needed(room).await?;
        let kind = RoomEventKind::SkipTallied {
            track: track.clone(),
            skips,
            needed,
        };
        self.rooms.emit(room.id, kind).await?;
        if skips >= needed {
            self.party.skip(room, &track).await?;
        }
        Ok(SkipTally { skips, needed })
    }

    /// Suggests a random track from the caller's liked tracks, with the caller's like.
    pub async fn suggest(
        &self,
        code: &RoomCode,
        viewer: Viewer,
    ) -> Result<(TrackRef, VoteOutcome), SuggestError> {
        let access = self.rooms.access(code, viewer).await?;
        if !access.room().is_open() {
            return Err(SuggestError::Closed);
        }
        let Identity::User(user) = access.participant().identity else {
            return Err(SuggestError::GuestCannotSuggest);
        };
        let track = self
            .liked
            .random_liked(user)
            .await
            .map_err(SuggestError::Provider)?
            .ok_or(SuggestError::NoLikedTracks)?;
        let outcome = self
            .ballot(&access, &track, Choice::Cast(Vote::Like))
            .await
            .map_err(|error| match error {
                RecordBallotError::RoomClosed => SuggestError::Closed,
                RecordBallotError::NotParticipant => SuggestError::NotParticipant,
                RecordBallotError::NoVote => {
                    SuggestError::Unknown(anyhow::anyhow!("storage refused a cast as a retraction"))
                }
                RecordBallotError::Unknown(error) => SuggestError::Unknown(error),
            })?;
        Ok((track, outcome))
    }
}

#[cfg(test)]
#[path = "service_tests.rs"]
mod tests;
