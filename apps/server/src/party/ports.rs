//! Adapters that satisfy the rooms and voting ports with the users and connections services.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use soiree_connections::{
    AccessError, ConnectionStatus, ConnectionsService, PlayRequest, PlayerCommandError,
    PlayerError, PlayerService, Provider, TrackSummary,
};
use soiree_kernel::{TrackInfo, TrackRef, UserId};
use soiree_rooms::{HostAllowance, HostAllowances, MemberDirectory, PlaybackFailure, RoomId};
use soiree_tiers::{
    Admission, Limit, QuotaBook as _, RateKey, RateLimits, RatePolicy, TiersService,
};
use soiree_users::UsersService;
use soiree_voting::{
    GuestVote, GuestVoter, HostPlayback, RoomPlayer, TrackCatalog, TrackSource, VoteRateLimiter,
};

/// Account emails, for the host's participant list.
#[derive(Debug)]
pub(crate) struct UsersDirectory(pub(crate) Arc<UsersService>);

#[async_trait]
impl MemberDirectory for UsersDirectory {
    async fn email(&self, user: UserId) -> anyhow::Result<Option<String>> {
        Ok(self
            .0
            .user(user)
            .await?
            .and_then(|user| user.email)
            .map(|email| email.as_str().to_owned()))
    }
}

/// The host's Spotify player and a participant's liked tracks, as rooms use them.
#[derive(Debug)]
pub(crate) struct SpotifyForRooms {
    pub(crate) player: Arc<PlayerService>,
    pub(crate) connections: Arc<ConnectionsService>,
}

/// A player failure as the rooms domain knows it.
fn failure(error: PlayerCommandError) -> PlaybackFailure {
    match error {
        PlayerCommandError::Access(
            AccessError::NotConfigured(_) | AccessError::NotConnected(_),
        ) => PlaybackFailure::NotConnected,
        PlayerCommandError::Access(AccessError::NeedsReconnect { .. })
        | PlayerCommandError::Player(PlayerError::TokenRejected) => PlaybackFailure::NeedsReconnect,
        PlayerCommandError::Access(AccessError::RateLimited { retry_after })
        | PlayerCommandError::Player(PlayerError::RateLimited { retry_after }) => {
            PlaybackFailure::RateLimited { retry_after }
        }
        PlayerCommandError::Access(AccessError::Unavailable(_))
        | PlayerCommandError::Player(PlayerError::Unavailable(_)) => PlaybackFailure::Unavailable,
        PlayerCommandError::Access(AccessError::Unknown(error)) => {
            tracing::error!(
                error = format!("{error:#}"),
                "reaching the host's player failed"
            );
            PlaybackFailure::Unavailable
        }
        PlayerCommandError::Player(PlayerError::NoActiveDevice) => PlaybackFailure::NoActiveDevice,
        PlayerCommandError::Player(PlayerError::PremiumRequired) => {
            PlaybackFailure::PremiumRequired
        }
        PlayerCommandError::Player(PlayerError::Restricted(_) | PlayerError::Rejected(_)) => {
            PlaybackFailure::Refused
        }
    }
}

#[async_trait]
impl RoomPlayer for SpotifyForRooms {
    async fn playback(&self, host: UserId) -> Result<Option<HostPlayback>, PlaybackFailure> {
        let playback = self.player.playback(host).await.map_err(failure)?;
        Ok(playback.map(|playback| HostPlayback {
            track: playback
                .item
                .as_ref()
                .and_then(|item| TrackRef::parse(&item.uri).ok()),
            is_playing: playback.is_playing,
            progress_ms: playback.progress_ms.unwrap_or(0),
            duration_ms: playback.item.map_or(0, |item| item.duration_ms),
        }))
    }

    async fn play(&self, host: UserId, track: &TrackRef) -> Result<(), PlaybackFailure> {
        let request = PlayRequest {
            uris: vec![track.as_str().to_owned()],
            device_id: None,
        };
        self.player.play(host, request).await.map_err(failure)
    }

    async fn enqueue(&self, host: UserId, track: &TrackRef) -> Result<(), PlaybackFailure> {
        self.player
            .queue(host, track.as_str().to_owned())
            .await
            .map_err(failure)
    }

    async fn pause(&self, host: UserId) -> Result<(), PlaybackFailure> {
        self.player.pause(host).await.map_err(failure)
    }

    async fn is_connected(&self, host: UserId) -> bool {
        match self.connections.connection(host, Provider::Spotify).await {
            Ok(connection) => matches!(connection.status(), ConnectionStatus::Connected { .. }),
            Err(error) => {
                tracing::warn!(
                    error = format!("{error:#}"),
                    "reading the host's connection failed"
                );
                false
            }
        }
    }
}

#[async_trait]
impl TrackSource for SpotifyForRooms {
    async fn random_liked(&self, user: UserId) -> Result<Option<TrackRef>, PlaybackFailure> {
        let uri = self.player.random_liked(user).await.map_err(failure)?;
        Ok(uri.and_then(|uri| TrackRef::parse(&uri).ok()))
    }
}

/// A provider's track as rooms show it (a track whose URI is not one Soirée reads is left out).
fn info(summary: TrackSummary) -> Option<TrackInfo> {
    Some(TrackInfo {
        track: TrackRef::parse(&summary.uri).ok()?,
        title: summary.name,
        artists: summary.artists,
        album: summary.album,
        artwork_url: summary.artwork_url,
        duration_ms: summary.duration_ms,
    })
}

#[async_trait]
impl TrackCatalog for SpotifyForRooms {
    async fn describe(
        &self,
        host: UserId,
        track: &TrackRef,
    ) -> Result<Option<TrackInfo>, PlaybackFailure> {
        let summary = self
            .player
            .describe(host, track.as_str())
            .await
            .map_err(failure)?;
        Ok(summary.and_then(info))
    }

    async fn search(&self, host: UserId, query: &str) -> Result<Vec<TrackInfo>, PlaybackFailure> {
        let found = self.player.search(host, query).await.map_err(failure)?;
        Ok(found.into_iter().filter_map(info).collect())
    }
}

/// Guests' vote limits, counted like every other rate limit (so that several processes on one
/// PostgreSQL spend one budget): per room and voter, in windows of two minutes, at the room's
/// rate.
#[derive(Debug)]
pub(crate) struct GuestVoteLimiter(pub(crate) RateLimits);

#[async_trait]
impl VoteRateLimiter for GuestVoteLimiter {
    async fn check(
        &self,
        room: RoomId,
        voter: &GuestVoter,
        per_two_minutes: u32,
    ) -> anyhow::Result<GuestVote> {
        let key = RateKey::named(&format!("guest_votes:{room}:{}", voter.key()));
        let policy = RatePolicy::new(
            Limit::AtMost(u64::from(per_two_minutes)),
            Duration::from_secs(120),
        );
        Ok(match self.0.admit_under(&key, policy).await? {
            Admission::Refused { retry_after, .. } => GuestVote::Wait(retry_after),
            Admission::Allowed { .. } | Admission::Unlimited => GuestVote::Allowed,
        })
    }
}

/// What a host's tier allows their rooms, from the tiers service (overrides included).
#[derive(Debug)]
pub(crate) struct TierAllowances(pub(crate) Arc<TiersService>);

#[async_trait]
impl HostAllowances for TierAllowances {
    async fn allowance(&self, host: UserId) -> anyhow::Result<HostAllowance> {
        let standing = self.0.standing(host).await?;
        let count = |limit: Limit| match limit {
            Limit::AtMost(most) => Some(u32::try_from(most).unwrap_or(u32::MAX)),
            Limit::Unlimited => None,
        };
        Ok(HostAllowance {
            tier: standing.tier,
            open_rooms: count(standing.limits.quotas.open_rooms),
            people_per_room: count(standing.limits.quotas.participants_per_room),
        })
    }
}

/// The host's library, as rooms fill it: each room track that starts is kept there with what is
/// known of it (its title, artists, album and length; its address when nothing is known).
#[derive(Debug)]
pub(crate) struct HostsLibrary {
    pub(crate) library: Arc<soiree_library::LibraryService>,
    pub(crate) directory: Arc<soiree_voting::TrackDirectory>,
}

#[async_trait]
impl soiree_voting::PlayedTracks for HostsLibrary {
    async fn started(&self, host: UserId, track: &TrackRef) -> anyhow::Result<()> {
        let info = self
            .directory
            .get(std::slice::from_ref(track))
            .await?
            .remove(track);
        let tags = match info {
            Some(info) => soiree_library::TrackTags {
                title: info.title,
                artists: info.artists,
                album: info.album,
                duration_ms: Some(info.duration_ms),
                ..soiree_library::TrackTags::default()
            },
            None => soiree_library::TrackTags {
                title: track.to_string(),
                ..soiree_library::TrackTags::default()
            },
        };
        self.library
            .keep_provider_tracks(
                host,
                vec![soiree_library::ProviderTrack {
                    uri: track.to_string(),
                    tags,
                }],
            )
            .await
    }
}
