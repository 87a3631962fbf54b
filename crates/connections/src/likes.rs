//! Reading a person's liked tracks on a provider, page by page, newest first, with a token the
//! connection keeps fresh: what the sync daemon pulls.

use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;
use secrecy::SecretString;
use soiree_kernel::{Timestamp, UserId};

use crate::model::Provider;
use crate::player::{PlayerCommandError, PlayerError};
use crate::service::ConnectionsService;

/// One liked track, as the provider describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LikedTrack {
    /// The provider's address of it (`spotify:track:…`, `soundcloud:tracks:…`).
    pub uri: String,
    /// Its title.
    pub title: String,
    /// Its artists (SoundCloud: the uploader).
    pub artists: Vec<String>,
    /// Its album, when the provider has albums.
    pub album: Option<String>,
    /// Its length.
    pub duration_ms: u64,
    /// When the person liked it, when the provider says (Spotify does; SoundCloud's likes list
    /// carries no time).
    pub liked_at: Option<Timestamp>,
    /// Where people open it on the provider's site, when known.
    pub link: Option<String>,
    /// Where its file can be downloaded with the person's token: SoundCloud's `download_url`
    /// of a track its artist made downloadable; `None` otherwise (Spotify never).
    pub download_url: Option<String>,
}

/// One page of liked tracks, newest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LikedPage {
    /// The tracks of the page.
    pub tracks: Vec<LikedTrack>,
    /// Where the next page starts (`None`: this was the last). Opaque: give it back as it is.
    pub next: Option<String>,
}

/// A piece of a downloadable file.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FilePiece {
    /// Its bytes (fewer than asked for, or none, at the end of the file).
    pub bytes: Vec<u8>,
    /// The whole file's size, when the provider says.
    pub total: Option<u64>,
}

/// A provider's liked tracks.
#[async_trait]
pub trait LikesProvider: Send + Sync + std::fmt::Debug {
    /// The provider it reads.
    fn provider(&self) -> Provider;

    /// The page of liked tracks starting at `cursor` (`None`: the newest). MUST answer 429s it
    /// will not wait out as [`PlayerError::RateLimited`] with the provider's `Retry-After`, and a
    /// rejected token as [`PlayerError::TokenRejected`].
    async fn liked_page(
        &self,
        access_token: &SecretString,
        cursor: Option<&str>,
    ) -> Result<LikedPage, PlayerError>;

    /// Up to `most` bytes of the downloadable file at `url` (a [`LikedTrack::download_url`]),
    /// from byte `from`. MUST send the token to the provider's own API only, and answer a file
    /// that cannot be had (any more) as [`PlayerError::Rejected`]. Providers without downloads
    /// refuse.
    async fn file_piece(
        &self,
        access_token: &SecretString,
        url: &str,
        from: u64,
        most: u64,
    ) -> Result<FilePiece, PlayerError> {
        let _ = (access_token, url, from, most);
        Err(PlayerError::Rejected(format!(
            "{} has no downloads",
            self.provider()
        )))
    }
}

/// Liked tracks over each person's own connections.
#[derive(Debug)]
pub struct LikesService {
    connections: Arc<ConnectionsService>,
    providers: HashMap<Provider, Arc<dyn LikesProvider>>,
}

impl LikesService {
    /// Wires the service with one reader per provider.
    pub fn new(
        connections: Arc<ConnectionsService>,
        providers: Vec<Arc<dyn LikesProvider>>,
    ) -> Self {
        Self {
            connections,
            providers: providers
                .into_iter()
                .map(|provider| (provider.provider(), provider))
                .collect(),
        }
    }

    /// A piece of a file `user_id` may download from `provider`; a token the provider rejects
    /// is refreshed once and the piece asked again.
    pub async fn file_piece(
        &self,
        user_id: UserId,
        provider: Provider,
        url: &str,
        from: u64,
        most: u64,
    ) -> Result<FilePiece, PlayerCommandError> {
        let reader = self.providers.get(&provider).ok_or_else(|| {
            PlayerError::Rejected(format!("files of {provider} cannot be downloaded"))
        })?;
        let token = self.connections.access_token(user_id, provider).await?;
        match reader.file_piece(&token, url, from, most).await {
            Err(PlayerError::TokenRejected) => {
                let token = self
                    .connections
                    .access_token_after_rejection(user_id, provider, &token)
                    .await?;
                Ok(reader.file_piece(&token, url, from, most).await?)
            }
            outcome => Ok(outcome?),
        }
    }

    /// One page of `user_id`'s liked tracks on `provider`; a token the provider rejects is
    /// refreshed once and the page asked again.
    pub async fn liked_page(
        &self,
        user_id: UserId,
        provider: Provider,
        cursor: Option<&str>,
    ) -> Result<LikedPage, PlayerCommandError> {
        let reader = self.providers.get(&provider).ok_or_else(|| {
            PlayerError::Rejected(format!("liked tracks of {provider} cannot be read"))
        })?;
        let token = self.connections.access_token(user_id, provider).await?;
        match reader.liked_page(&token, cursor).await {
            Err(PlayerError::TokenRejected) => {
                let token = self
                    .connections
                    .access_token_after_rejection(user_id, provider, &token)
                    .await?;
                Ok(reader.liked_page(&token, cursor).await?)
            }
            outcome => Ok(outcome?),
        }
    }
}
