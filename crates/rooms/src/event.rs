//! What happens in a room, numbered per room so that clients can follow live and catch up.

use std::time::Duration;

use soiree_kernel::{Timestamp, TrackRef};

use crate::participant::ParticipantId;

/// Where a track stands in a room.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TrackState {
    /// Collecting votes.
    Candidate,
    /// Reached the threshold; waiting its turn.
    Ready,
    /// Sent to the host's player.
    Playing,
    /// Finished or skipped.
    Played,
}

impl TrackState {
    /// The stable lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            TrackState::Candidate => "candidate",
            TrackState::Ready => "ready",
            TrackState::Playing => "playing",
            TrackState::Played => "played",
        }
    }

    /// Parses a stored name.
    pub fn parse(name: &str) -> Option<Self> {
        [
            TrackState::Candidate,
            TrackState::Ready,
            TrackState::Playing,
            TrackState::Played,
        ]
        .into_iter()
        .find(|state| state.as_str() == name)
    }
}

/// Why the host's player could not be used. Adapters translate their provider's errors into
/// these; the HTTP layer alone turns them into words and statuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PlaybackFailure {
    /// The host's provider has no device playing or ready to play.
    #[error("no device is active on the host's account")]
    NoActiveDevice,
    /// The host's provider account cannot be controlled (Spotify needs Premium).
    #[error("the host's account needs Premium to be controlled")]
    PremiumRequired,
    /// The host has not connected (or not set up) a provider that can play.
    #[error("the host has not connected a provider that can play")]
    NotConnected,
    /// The host's connection was refused by the provider and must be made again.
    #[error("the host must connect the provider again")]
    NeedsReconnect,
    /// The provider asks to wait.
    #[error("the provider is limiting requests")]
    RateLimited {
        /// How long it asks to wait.
        retry_after: Duration,
    },
    /// The provider could not be reached or failed.
    #[error("the provider is unavailable")]
    Unavailable,
    /// The provider refused the command (a restriction of the device or the content).
    #[error("the provider refused the command")]
    Refused,
}

impl PlaybackFailure {
    /// The stable name, as stored and as clients see it.
    pub fn code(&self) -> &'static str {
        match self {
            PlaybackFailure::NoActiveDevice => "no_active_device",
            PlaybackFailure::PremiumRequired => "premium_required",
            PlaybackFailure::NotConnected => "not_connected",
            PlaybackFailure::NeedsReconnect => "needs_reconnect",
            PlaybackFailure::RateLimited { .. } => "rate_limited",
            PlaybackFailure::Unavailable => "provider_unavailable",
            PlaybackFailure::Refused => "command_refused",
        }
    }

    /// Reads a stored code back (`retry_after` only matters to rate limits).
    pub fn parse(code: &str, retry_after: Duration) -> Option<Self> {
        Some(match code {
            "no_active_device" => PlaybackFailure::NoActiveDevice,
            "premium_required" => PlaybackFailure::PremiumRequired,
            "not_connected" => PlaybackFailure::NotConnected,
            "needs_reconnect" => PlaybackFailure::NeedsReconnect,
            "rate_limited" => PlaybackFailure::RateLimited { retry_after },
            "provider_unavailable" => PlaybackFailure::Unavailable,
            "command_refused" => PlaybackFailure::Refused,
            _ => return None,
        })
    }

    /// How long the provider asked to wait, for rate limits.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            PlaybackFailure::RateLimited { retry_after } => Some(*retry_after),
            _ => None,
        }
    }

    /// Whether only the host can end it (connecting, upgrading), so that retrying soon is useless.
    pub fn needs_the_host(&self) -> bool {
        matches!(
            self,
            PlaybackFailure::NotConnected
                | PlaybackFailure::NeedsReconnect
                | PlaybackFailure::PremiumRequired
        )
    }
}

/// Something that happened in a room, in the order of `seq` (per room, from 1).
#[derive(Debug, Clone, PartialEq)]
pub struct RoomEvent {
    /// Position in the room's history.
    pub seq: u64,
    /// When.
    pub at: Timestamp,
    /// What.
    pub kind: RoomEventKind,
}

/// The kinds of room events.
#[derive(Debug, Clone, PartialEq)]
pub enum RoomEventKind {
    /// Someone joined.
    ParticipantJoined {
        /// Who.
        participant_id: ParticipantId,
        /// Their name.
        display_name: String,
    },
    /// Someone left or was removed.
    ParticipantLeft {
        /// Who.
        participant_id: ParticipantId,
        /// Whether the host removed them.
        kicked: bool,
    },
    /// A track's votes changed.
    VoteTallied {
        /// Which track.
        track: TrackRef,
        /// Likes now.
        likes: u32,
        /// Dislikes now.
        dislikes: u32,
        /// Likes needed now.
        like_threshold: u32,
        /// Where it stands.
        state: TrackState,
    },
    /// A track reached the threshold (once per track).
    TrackReady {
        /// Which track.
        track: TrackRef,
    },
    /// Skip votes on the playing track changed.
    SkipTallied {
        /// The playing track.
        track: TrackRef,
        /// Skip votes now.
        skips: u32,
        /// Skip votes needed.
        needed: u32,
    },
    /// A track started playing on the host's player.
    NowPlaying {
        /// Which track.
        track: TrackRef,
    },
    /// Playback could not be started or continued.
    PlaybackFailed {
        /// The track that should have played, if any.
        track: Option<TrackRef>,
        /// Why.
        failure: PlaybackFailure,
    },
    /// The host changed the threshold or options.
    RoomUpdated,
    /// The host closed the room.
    RoomClosed,
}

impl RoomEventKind {
    /// The event of someone joining, as they were stored.
    pub fn joined(participant: &crate::Participant) -> Self {
        RoomEventKind::ParticipantJoined {
            participant_id: participant.id,
            display_name: participant.display_name.as_str().to_owned(),
        }
    }

    /// The stable name of the kind, as clients see it.
    pub fn name(&self) -> &'static str {
        match self {
            RoomEventKind::ParticipantJoined { .. } => "participant_joined",
            RoomEventKind::ParticipantLeft { .. } => "participant_left",
            RoomEventKind::VoteTallied { .. } => "vote_tallied",
            RoomEventKind::TrackReady { .. } => "track_ready",
            RoomEventKind::SkipTallied { .. } => "skip_tallied",
            RoomEventKind::NowPlaying { .. } => "now_playing",
            RoomEventKind::PlaybackFailed { .. } => "playback_failed",
            RoomEventKind::RoomUpdated => "room_updated",
            RoomEventKind::RoomClosed => "room_closed",
        }
    }

    /// The track this event is about, if any.
    pub fn track(&self) -> Option<&TrackRef> {
        match self {
            RoomEventKind::VoteTallied { track, .. }
            | RoomEventKind::TrackReady { track }
            | RoomEventKind::SkipTallied { track, .. }
            | RoomEventKind::NowPlaying { track } => Some(track),
            RoomEventKind::PlaybackFailed { track, .. } => track.as_ref(),
            RoomEventKind::ParticipantJoined { .. }
            | RoomEventKind::ParticipantLeft { .. }
            | RoomEventKind::RoomUpdated
            | RoomEventKind::RoomClosed => None,
        }
    }

    /// Whether this event ends the live feed of `participant` (they left or were removed) or of
    /// everyone (the room closed).
    pub fn ends_feed_of(&self, participant: ParticipantId) -> bool {
        match self {
            RoomEventKind::RoomClosed => true,
            RoomEventKind::ParticipantLeft { participant_id, .. } => *participant_id == participant,
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn playback_failures_survive_storage_by_their_codes() {
        let wait = Duration::from_secs(7);
        for failure in [
            PlaybackFailure::NoActiveDevice,
            PlaybackFailure::PremiumRequired,
            PlaybackFailure::NotConnected,
            PlaybackFailure::NeedsReconnect,
            PlaybackFailure::RateLimited { retry_after: wait },
            PlaybackFailure::Unavailable,
            PlaybackFailure::Refused,
        ] {
            assert_eq!(PlaybackFailure::parse(failure.code(), wait), Some(failure));
        }
        assert_eq!(PlaybackFailure::parse("nonsense", wait), None);
    }
}
