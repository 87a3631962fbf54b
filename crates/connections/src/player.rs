//! Playback control on the user's connected Spotify account, with failures a person can act on.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use async_trait::async_trait;
use secrecy::SecretString;
use soiree_kernel::UserId;
use tracing::instrument;

use crate::error::AccessError;
use crate::model::Provider;
use crate::service::ConnectionsService;

/// What is playing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Playback {
    /// The device playing, if the provider says.
    pub device: Option<Device>,
    /// Playing or paused.
    pub is_playing: bool,
    /// Position in the current track.
    pub progress_ms: Option<u64>,
    /// The current track, if it is a track.
    pub item: Option<TrackSummary>,
}

/// A track, as much as a player shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackSummary {
    /// Provider URI, such as `spotify:track:...`.
    pub uri: String,
    /// Title.
    pub name: String,
    /// Artist names.
    pub artists: Vec<String>,
    /// Length.
    pub duration_ms: u64,
    /// Album name, if the provider says.
    pub album: Option<String>,
    /// The address of an image of the album, if the provider has one.
    pub artwork_url: Option<String>,
}

/// A device that can play.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Device {
    /// Its id; some devices (restricted ones) have none.
    pub id: Option<String>,
    /// Its name, such as "Living room".
    pub name: String,
    /// Its kind, such as "Computer" or "Speaker".
    pub kind: String,
    /// Whether it is the active device.
    pub is_active: bool,
    /// Its volume.
    pub volume_percent: Option<u8>,
}

/// Start or resume playback.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PlayRequest {
    /// Tracks to play; empty resumes what was playing.
    pub uris: Vec<String>,
    /// On this device; otherwise the active one.
    pub device_id: Option<String>,
}

/// How a provider's player refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum PlayerError {
    /// No device is active (or the device went to the background).
    #[error("no active device")]
    NoActiveDevice,
    /// The account needs Premium for this.
    #[error("premium required")]
    PremiumRequired,
    /// The command is not allowed now (with the provider's reason).
    #[error("not allowed: {0}")]
    Restricted(String),
    /// The access token was rejected.
    #[error("access token rejected")]
    TokenRejected,
    /// 429 with a wait longer than the adapter will sleep.
    #[error("rate limited for {retry_after:?}")]
    RateLimited {
        /// How long the provider asked to wait.
        retry_after: Duration,
    },
    /// The provider failed or could not be reached.
    #[error("provider unavailable: {0}")]
    Unavailable(String),
    /// Any other refusal, with the provider's message (such as "no next track").
    #[error("refused: {0}")]
    Rejected(String),
}

/// A playlist made in the person's provider account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportedPlaylist {
    /// The provider's id of it.
    pub id: String,
    /// Where a person opens it (`https://open.spotify.com/playlist/...`), when the provider
    /// gives one.
    pub url: Option<String>,
}

/// The most items a provider takes in one "add items" request (Spotify's).
pub const ITEMS_PER_REQUEST: usize = 100;

/// A provider's player API.
#[async_trait]
pub trait PlayerProvider: Send + Sync + std::fmt::Debug {
    /// What is playing; `None` when nothing is.
    async fn playback(&self, access_token: &SecretString) -> Result<Option<Playback>, PlayerError>;
    /// The account's devices.
    async fn devices(&self, access_token: &SecretString) -> Result<Vec<Device>, PlayerError>;
    /// Starts or resumes playback. A device that went to the background MUST be reported as
    /// [`PlayerError::NoActiveDevice`], whatever status the provider used for it.
    async fn play(
        &self,
        access_token: &SecretString,
        request: &PlayRequest,
    ) -> Result<(), PlayerError>;
    /// Pauses.
    async fn pause(&self, access_token: &SecretString) -> Result<(), PlayerError>;
    /// Skips to the next track.
    async fn next(&self, access_token: &SecretString) -> Result<(), PlayerError>;
    /// Goes back to the previous track.
    async fn previous(&self, access_token: &SecretString) -> Result<(), PlayerError>;
    /// Sets the volume, 0 to 100.
    async fn set_volume(&self, access_token: &SecretString, percent: u8)
    -> Result<(), PlayerError>;
    /// Seeks in the current track.
    async fn seek(&self, access_token: &SecretString, position_ms: u64) -> Result<(), PlayerError>;
    /// Adds a track to the end of the provider's own queue.
    async fn queue(&self, access_token: &SecretString, uri: &str) -> Result<(), PlayerError>;
    /// Moves playback to a device.
    async fn transfer(
        &self,
        access_token: &SecretString,
        device_id: &str,
        play: bool,
    ) -> Result<(), PlayerError>;
    /// One track by its id (the part after `spotify:track:`); `None` when the provider has none.
    async fn track(
        &self,
        access_token: &SecretString,
        id: &str,
    ) -> Result<Option<TrackSummary>, PlayerError>;
    /// Tracks matching `query`, best first, at most `limit`.
    async fn search(
        &self,
        access_token: &SecretString,
        query: &str,
        limit: u8,
    ) -> Result<Vec<TrackSummary>, PlayerError>;
    /// How many liked tracks the account has, and the URI of the one at `offset` (newest first).
    async fn liked_track_at(
        &self,
        access_token: &SecretString,
        offset: u32,
    ) -> Result<(u32, Option<String>), PlayerError>;
    /// Makes a private playlist called `name` in the account. Providers without playlists
    /// answer [`PlayerError::Rejected`] (the default).
    async fn create_playlist(
        &self,
        _access_token: &SecretString,
        _name: &str,
    ) -> Result<ExportedPlaylist, PlayerError> {
        Err(PlayerError::Rejected(
            "this provider does not keep playlists".to_owned(),
        ))
    }
    /// Appends `uris` (at most [`ITEMS_PER_REQUEST`]) to the playlist `id`, in order.
    async fn add_to_playlist(
        &self,
        _access_token: &SecretString,
        _id: &str,
        _uris: &[String],
    ) -> Result<(), PlayerError> {
        Err(PlayerError::Rejected(
            "this provider does not keep playlists".to_owned(),
        ))
    }
}

/// Why a player command failed, for the person who gave it.
#[derive(Debug, thiserror::Error)]
pub enum PlayerCommandError {
    /// The connection cannot give a token (not configured, not connected, needs reconnect, ...).
    #[error(transparent)]
    Access(#[from] AccessError),
    /// The provider's player refused or failed.
    #[error(transparent)]
    Player(#[from] PlayerError),
}

type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A random number below `bound` (a suggestion need not be unpredictable, only fair).
fn random_below(bound: u32) -> u32 {
    use rand_core::RngCore as _;
    rand_core::OsRng.next_u32() % bound.max(1)
}

/// Player commands on the user's Spotify connection.
#[derive(Debug)]
pub struct PlayerService {
    connections: Arc<ConnectionsService>,
    player: Arc<dyn PlayerProvider>,
    /// The last device each user played on, to retry a play command there.
    last_device: Mutex<HashMap<UserId, String>>,
}

/// The provider whose player this service drives.
const PLAYER_PROVIDER: Provider = Provider::Spotify;

impl PlayerService {
    /// Wires the service.
    pub fn new(connections: Arc<ConnectionsService>, player: Arc<dyn PlayerProvider>) -> Self {
        Self {
            connections,
            player,
            last_device: Mutex::new(HashMap::new()),
        }
    }

    /// Runs one provider call with a fresh token; if the provider rejects the token anyway,
    /// refreshes once and tries again.
    async fn with_token<T>(
        &self,
        user_id: UserId,
        call: impl Fn(
            Arc<dyn PlayerProvider>,
            SecretString,
        ) -> BoxFuture<'static, Result<T, PlayerError>>,
    ) -> Result<T, PlayerCommandError> {
        let token = self
            .connections
            .access_token(user_id, PLAYER_PROVIDER)
            .await?;
        match call(Arc::clone(&self.player), token.clone()).await {
            Err(PlayerError::TokenRejected) => {
                let token = self
                    .connections
                    .access_token_after_rejection(user_id, PLAYER_PROVIDER, &token)
                    .await?;
                Ok(call(Arc::clone(&self.player), token).await?)
            }
            outcome => Ok(outcome?),
        }
    }

    fn remember_device(&self, user_id: UserId, device_id: Option<&str>) {
        if let Some(device_id) = device_id {
            let mut devices = self
                .last_device
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            devices.insert(user_id, device_id.to_owned());
        }
    }

    fn remembered_device(&self, user_id: UserId) -> Option<String> {
        self.last_device
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&user_id)
            .cloned()
    }

    /// What is playing.
    pub async fn playback(&self, user_id: UserId) -> Result<Option<Playback>, PlayerCommandError> {
        let playback = self
            .with_token(user_id, |player, token| {
                Box::pin(async move { player.playback(&token).await })
            })
            .await?;
        let device_id = playback
            .as_ref()
            .and_then(|playback| playback.device.as_ref())
            .and_then(|d| d.id.as_deref());
        self.remember_device(user_id, device_id);
        Ok(playback)
    }

    /// The account's devices.
    pub async fn devices(&self, user_id: UserId) -> Result<Vec<Device>, PlayerCommandError> {
        let devices = self
            .with_token(user_id, |player, token| {
                Box::pin(async move { player.devices(&token).await })
            })
            .await?;
        let active = devices
            .iter()
            .find(|device| device.is_active)
            .and_then(|device| device.id.as_deref());
        self.remember_device(user_id, active);
        Ok(devices)
    }

    /// Starts or resumes playback. With no active device and no device named, retries once on the
    /// last device this user played on (or the first available one), as Spotify's clients do.
    #[instrument(skip(self, request))]
    pub async fn play(
        &self,
        user_id: UserId,
        request: PlayRequest,
    ) -> Result<(), PlayerCommandError> {
        let first = self.play_once(user_id, request.clone()).await;
        match first {
            Err(PlayerCommandError::Player(PlayerError::NoActiveDevice))
                if request.device_id.is_none() =>
            {
                let devices = self.devices(user_id).await?;
                let has = |id: &String| devices.iter().any(|device| device.id.as_ref() == Some(id));
                let target = self
                    .remembered_device(user_id)
                    .filter(has)
                    .or_else(|| devices.iter().find_map(|device| device.id.clone()))
                    .ok_or(PlayerCommandError::Player(PlayerError::NoActiveDevice))?;
                tracing::info!("no active device; retrying on the last known device");
                self.play_once(
                    user_id,
                    PlayRequest {
                        device_id: Some(target),
                        ..request
                    },
                )
                .await
            }
            outcome => outcome,
        }
    }

    async fn play_once(
        &self,
        user_id: UserId,
        request: PlayRequest,
    ) -> Result<(), PlayerCommandError> {
        let device_id = request.device_id.clone();
        let request = Arc::new(request);
        self.with_token(user_id, move |player, token| {
            let request = Arc::clone(&request);
            Box::pin(async move { player.play(&token, &request).await })
        })
        .await?;
        self.remember_device(user_id, device_id.as_deref());
        Ok(())
    }

    /// Pauses.
    pub async fn pause(&self, user_id: UserId) -> Result<(), PlayerCommandError> {
        self.with_token(user_id, |player, token| {
            Box::pin(async move { player.pause(&token).await })
        })
        .await
    }

    /// Skips to the next track.
    pub async fn next(&self, user_id: UserId) -> Result<(), PlayerCommandError> {
        self.with_token(user_id, |player, token| {
            Box::pin(async move { player.next(&token).await })
        })
        .await
    }

    /// Goes back to the previous track.
    pub async fn previous(&self, user_id: UserId) -> Result<(), PlayerCommandError> {
        self.with_token(user_id, |player, token| {
            Box::pin(async move { player.previous(&token).await })
        })
        .await
    }

    /// Sets the volume (0 to 100).
    pub async fn set_volume(&self, user_id: UserId, percent: u8) -> Result<(), PlayerCommandError> {
        let percent = percent.min(100);
        self.with_token(user_id, move |player, token| {
            Box::pin(async move { player.set_volume(&token, percent).await })
        })
        .await
    }

    /// Seeks in the current track.
    pub async fn seek(&self, user_id: UserId, position_ms: u64) -> Result<(), PlayerCommandError> {
        self.with_token(user_id, move |player, token| {
            Box::pin(async move { player.seek(&token, position_ms).await })
        })
        .await
    }

    /// Adds a track to the provider's queue.
    pub async fn queue(&self, user_id: UserId, uri: String) -> Result<(), PlayerCommandError> {
        let uri = Arc::new(uri);
        self.with_token(user_id, move |player, token| {
            let uri = Arc::clone(&uri);
            Box::pin(async move { player.queue(&token, &uri).await })
        })
        .await
    }

    /// What the user's provider says of a track (`spotify:track:...`); `None` when it has no
    /// such track.
    pub async fn describe(
        &self,
        user_id: UserId,
        uri: &str,
    ) -> Result<Option<TrackSummary>, PlayerCommandError> {
        let Some(id) = uri.strip_prefix("spotify:track:").map(str::to_owned) else {
            return Ok(None);
        };
        self.with_token(user_id, move |player, token| {
            let id = id.clone();
            Box::pin(async move { player.track(&token, &id).await })
        })
        .await
    }

    /// Tracks of the user's provider matching `query` (at most ten: what development-mode apps
    /// may ask for).
    pub async fn search(
        &self,
        user_id: UserId,
        query: &str,
    ) -> Result<Vec<TrackSummary>, PlayerCommandError> {
        let query = query.trim().to_owned();
        self.with_token(user_id, move |player, token| {
            let query = query.clone();
            Box::pin(async move { player.search(&token, &query, 10).await })
        })
        .await
    }

    /// A random track from the account's liked tracks (`None` when it has none).
    pub async fn random_liked(
        &self,
        user_id: UserId,
    ) -> Result<Option<String>, PlayerCommandError> {
        let (total, first) = self
            .with_token(user_id, |player, token| {
                Box::pin(async move { player.liked_track_at(&token, 0).await })
            })
            .await?;
        if total <= 1 {
            return Ok(first);
        }
        let offset = random_below(total);
        let (_, picked) = self
            .with_token(user_id, move |player, token| {
                Box::pin(async move { player.liked_track_at(&token, offset).await })
            })
            .await?;
        Ok(picked.or(first))
    }

    /// Makes a private playlist called `name` in the user's provider account holding `uris` in
    /// order (sent [`ITEMS_PER_REQUEST`] at a time). A failure part way leaves the playlist with
    /// what was added so far; exporting again makes a new one.
    pub async fn export_playlist(
        &self,
        user_id: UserId,
        name: &str,
        uris: Vec<String>,
    ) -> Result<ExportedPlaylist, PlayerCommandError> {
        let name = Arc::new(name.to_owned());
        let playlist = self
            .with_token(user_id, move |player, token| {
                let name = Arc::clone(&name);
                Box::pin(async move { player.create_playlist(&token, &name).await })
            })
            .await?;
        for chunk in uris.chunks(ITEMS_PER_REQUEST) {
            let (id, chunk) = (Arc::new(playlist.id.clone()), Arc::new(chunk.to_vec()));
            self.with_token(user_id, move |player, token| {
                let (id, chunk) = (Arc::clone(&id), Arc::clone(&chunk));
                Box::pin(async move { player.add_to_playlist(&token, &id, &chunk).await })
            })
            .await?;
        }
        Ok(playlist)
    }

    /// Moves playback to a device.
    pub async fn transfer(
        &self,
        user_id: UserId,
        device_id: String,
        play: bool,
    ) -> Result<(), PlayerCommandError> {
        let target = Arc::new(device_id.clone());
        self.with_token(user_id, move |player, token| {
            let target = Arc::clone(&target);
            Box::pin(async move { player.transfer(&token, &target, play).await })
        })
        .await?;
        self.remember_device(user_id, Some(&device_id));
        Ok(())
    }
}
