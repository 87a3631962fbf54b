//! The SoundCloud adapter: [`SoundCloud`] implements the connections domain's [`OAuthProvider`]
//! (OAuth 2.1 with PKCE, client credentials as form fields, single-use refresh tokens that rotate
//! on every refresh) and reads the connected account, under the shared outbound policy of
//! `soiree-provider-http`.
//!
//! API calls send `Authorization: OAuth <token>`. Resources are named by URN
//! (`soundcloud:users:123`); where only a numeric `id` is present it is turned into one. It knows
//! nothing of storage or of Soirée's server.

use async_trait::async_trait;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use soiree_connections::{
    AuthorizationStart, ClientCredentials, ClientId, OAuthProvider, PlayerError, Provider,
    ProviderAccount, ProviderError, TokenError, TokenGrant,
};
use soiree_provider_http::{
    ClientAuthentication, OAuthEndpoints, OutboundClient, OutboundError, RetryPolicy,
};

/// Where SoundCloud lives; tests and the simulator point these elsewhere.
#[derive(Debug, Clone)]
pub struct SoundCloudConfig {
    /// The authorization service, `https://secure.soundcloud.com`.
    pub auth_url: String,
    /// The API, `https://api.soundcloud.com`.
    pub api_url: String,
}

impl Default for SoundCloudConfig {
    fn default() -> Self {
        Self {
            auth_url: "https://secure.soundcloud.com".into(),
            api_url: "https://api.soundcloud.com".into(),
        }
    }
}

/// SoundCloud's authorization service and API.
#[derive(Debug, Clone)]
pub struct SoundCloud {
    http: OutboundClient,
    endpoints: OAuthEndpoints,
    api_url: String,
}

impl SoundCloud {
    /// An adapter for the given endpoints with the default outbound policy.
    pub fn new(config: &SoundCloudConfig) -> anyhow::Result<Self> {
        Self::with_policy(config, RetryPolicy::default())
    }

    /// An adapter with a specific outbound policy.
    pub fn with_policy(config: &SoundCloudConfig, policy: RetryPolicy) -> anyhow::Result<Self> {
        let auth = config.auth_url.trim_end_matches('/');
        Ok(Self {
            http: OutboundClient::new(policy)
                .map_err(|error| anyhow::anyhow!("building the HTTP client: {error}"))?,
            // SoundCloud grants access to the whole account; it has no scopes to ask for.
            endpoints: OAuthEndpoints::new(
                &format!("{auth}/authorize"),
                &format!("{auth}/oauth/token"),
                &[],
                ClientAuthentication::FormFields,
            )?,
            api_url: config.api_url.trim_end_matches('/').to_owned(),
        })
    }

    /// A `GET` of the API with the `OAuth` authorization SoundCloud asks for (repeated on a
    /// timeout or a 5xx: reads are safe to repeat).
    async fn get(
        &self,
        url: &str,
        access_token: &SecretString,
    ) -> Result<reqwest::Response, OutboundError> {
        self.http
            .send(
                |client| {
                    client.get(url).header(
                        "Authorization",
                        format!("OAuth {}", access_token.expose_secret()),
                    )
                },
                true,
            )
            .await
    }

    /// The same adapter, telling `observer` of every call it makes (the server's metrics).
    #[must_use]
    pub fn observed_by(
        mut self,
        observer: std::sync::Arc<dyn soiree_provider_http::CallObserver>,
    ) -> Self {
        self.http = self.http.observed_by(observer);
        self
    }
}

#[derive(Debug, Deserialize)]
struct Me {
    #[serde(default)]
    urn: Option<String>,
    #[serde(default)]
    id: Option<u64>,
    #[serde(default)]
    username: Option<String>,
    #[serde(default)]
    full_name: Option<String>,
}

#[async_trait]
impl OAuthProvider for SoundCloud {
    fn provider(&self) -> Provider {
        Provider::SoundCloud
    }

    fn start_authorization(
        &self,
        client_id: &ClientId,
        redirect_uri: &str,
    ) -> anyhow::Result<AuthorizationStart> {
        self.endpoints
            .start_authorization(client_id.as_str(), redirect_uri)
    }

    async fn exchange_code(
        &self,
        credentials: &ClientCredentials,
        code: &str,
        pkce_verifier: &SecretString,
        redirect_uri: &str,
    ) -> Result<TokenGrant, TokenError> {
        self.endpoints
            .exchange_code(&self.http, credentials, code, pkce_verifier, redirect_uri)
            .await
    }

    async fn refresh(
        &self,
        credentials: &ClientCredentials,
        refresh_token: &SecretString,
    ) -> Result<TokenGrant, TokenError> {
        self.endpoints
            .refresh(&self.http, credentials, refresh_token)
            .await
    }

    async fn account(&self, access_token: &SecretString) -> Result<ProviderAccount, ProviderError> {
        let url = format!("{}/me", self.api_url);
        let response = self
            .get(&url, access_token)
            .await
            .map_err(|failure| match failure {
                OutboundError::RateLimited(retry_after) => {
                    ProviderError::RateLimited { retry_after }
                }
                other => ProviderError::Unavailable(other.to_string()),
            })?;
        match response.status().as_u16() {
            200 => {
                let me: Me = response
                    .json()
                    .await
                    .map_err(|_| ProviderError::Unavailable("an unreadable profile".into()))?;
                let id = me
                    .urn
                    .or_else(|| me.id.map(|id| format!("soundcloud:users:{id}")))
                    .ok_or_else(|| ProviderError::Unavailable("a profile without an id".into()))?;
                let display_name = me.full_name.filter(|name| !name.is_empty()).or(me.username);
                Ok(ProviderAccount { id, display_name })
            }
            401 => Err(ProviderError::TokenRejected),
            status => Err(ProviderError::Unavailable(format!(
                "GET /me answered {status}"
            ))),
        }
    }
}

/// How many liked tracks one request reads (SoundCloud's most).
const LIKES_PER_PAGE: u32 = 200;

#[derive(Debug, Deserialize)]
struct LikesPage {
    #[serde(default)]
    collection: Vec<serde_json::Value>,
    #[serde(default)]
    next_href: Option<String>,
}

#[derive(Debug, Deserialize)]
struct TrackUser {
    #[serde(default)]
    username: Option<String>,
}

#[derive(Debug, Deserialize)]
struct LikedTrack {
    #[serde(default)]
    urn: Option<String>,
    #[serde(default)]
    id: Option<u64>,
    title: String,
    #[serde(default)]
    duration: u64,
    #[serde(default)]
    metadata_artist: Option<String>,
    #[serde(default)]
    user: Option<TrackUser>,
    #[serde(default)]
    permalink_url: Option<String>,
    #[serde(default)]
    downloadable: bool,
    #[serde(default)]
    download_url: Option<String>,
}

/// A liked track; `api_url` is the configured API, where a downloadable track's file is asked
/// for (`{api_url}/tracks/{urn}/download`, whatever host the response named).
fn liked_track(item: serde_json::Value, api_url: &str) -> Option<soiree_connections::LikedTrack> {
    let track: LikedTrack = serde_json::from_value(item).ok()?;
    let uri = track
        .urn
        .or_else(|| track.id.map(|id| format!("soundcloud:tracks:{id}")))?;
    let artist = track
        .metadata_artist
        .filter(|artist| !artist.trim().is_empty())
        .or_else(|| track.user.and_then(|user| user.username));
    Some(soiree_connections::LikedTrack {
        title: track.title,
        artists: artist.into_iter().collect(),
        album: None,
        duration_ms: track.duration,
        // The likes list says when a track was made, not when it was liked.
        liked_at: None,
        link: track.permalink_url,
        download_url: (track.downloadable && track.download_url.is_some())
            .then(|| format!("{api_url}/tracks/{uri}/download")),
        uri,
    })
}

#[async_trait]
impl soiree_connections::LikesProvider for SoundCloud {
    fn provider(&self) -> Provider {
        Provider::SoundCloud
    }

    /// `GET /me/likes/tracks?limit=200&linked_partitioning=true`, then each `next_href`. The
    /// cursor is the next page's query: the request always goes to the configured API, so the
    /// token is never sent to a host a response named.
    async fn liked_page(
        &self,
        access_token: &SecretString,
        cursor: Option<&str>,
    ) -> Result<soiree_connections::LikedPage, PlayerError> {
        let query = cursor.map_or_else(
            || format!("limit={LIKES_PER_PAGE}&linked_partitioning=true"),
            str::to_owned,
        );
        let url = format!("{}/me/likes/tracks?{query}", self.api_url);
        let response = self
            .get(&url, access_token)
            .await
            .map_err(|failure| match failure {
                OutboundError::RateLimited(retry_after) => PlayerError::RateLimited { retry_after },
                other => PlayerError::Unavailable(other.to_string()),
            })?;
        match response.status().as_u16() {
            200 => {
                let page: LikesPage = response.json().await.map_err(|_| {
                    PlayerError::Unavailable("an unreadable list of liked tracks".into())
                })?;
                Ok(soiree_connections::LikedPage {
                    tracks: page
                        .collection
                        .into_iter()
                        .filter_map(|item| liked_track(item, &self.api_url))
                        .collect(),
                    // Absent and null both end the list.
                    next: page
                        .next_href
                        .and_then(|href| href.split_once('?').map(|(_, query)| query.to_owned()))
                        .filter(|query| !query.is_empty()),
                })
            }
            401 => Err(PlayerError::TokenRejected),
            status => Err(PlayerError::Unavailable(format!(
                "GET /me/likes/tracks answered {status}"
            ))),
        }
    }

    /// `GET {api}/tracks/{urn}/download` with the token and a `Range`; SoundCloud answers the
    /// file, or a redirect to its storage, which is followed once without the token (the
    /// address is signed). A file is only asked for on the configured API.
    async fn file_piece(
        &self,
        access_token: &SecretString,
        url: &str,
        from: u64,
        most: u64,
    ) -> Result<soiree_connections::FilePiece, PlayerError> {
        if !url.starts_with(&format!("{}/tracks/", self.api_url)) {
            return Err(PlayerError::Rejected(
                "a download address outside SoundCloud's API".into(),
            ));
        }
        let range = format!("bytes={from}-{}", from + most.max(1) - 1);
        let unavailable = |failure: OutboundError| match failure {
            OutboundError::RateLimited(retry_after) => PlayerError::RateLimited { retry_after },
            other => PlayerError::Unavailable(other.to_string()),
        };
        let mut response = self
            .http
            .send(
                |client| {
                    client
                        .get(url)
                        .header(
                            "Authorization",
                            format!("OAuth {}", access_token.expose_secret()),
                        )
                        .header(reqwest::header::RANGE, &range)
                },
                true,
            )
            .await
            .map_err(unavailable)?;
        if response.status().is_redirection() {
            let location = response
                .headers()
                .get(reqwest::header::LOCATION)
                .and_then(|value| value.to_str().ok())
                .and_then(|location| response.url().join(location).ok())
                .ok_or_else(|| PlayerError::Unavailable("a redirect without a place".into()))?;
            response = self
                .http
                .send(
                    |client| {
                        client
                            .get(location.clone())
                            .header(reqwest::header::RANGE, &range)
                    },
                    true,
                )
                .await
                .map_err(unavailable)?;
        }
        match response.status().as_u16() {
            // The whole file from its start (the range was not honoured): skip to `from`.
            200 => {
                let total = response.content_length();
                read_piece(response, from, most, total).await
            }
            206 => {
                let total = response
                    .headers()
                    .get(reqwest::header::CONTENT_RANGE)
                    .and_then(|value| value.to_str().ok())
                    .and_then(|range| range.rsplit('/').next())
                    .and_then(|total| total.parse().ok());
                read_piece(response, 0, most, total).await
            }
            // Asked from the end: nothing more.
            416 => Ok(soiree_connections::FilePiece {
                bytes: Vec::new(),
                total: Some(from),
            }),
            401 => Err(PlayerError::TokenRejected),
            403 | 404 => Err(PlayerError::Rejected(
                "SoundCloud no longer offers this track for download".into(),
            )),
            status => Err(PlayerError::Unavailable(format!(
                "the download answered {status}"
            ))),
        }
    }
}

/// Up to `most` bytes of `response`'s body after its first `skip`, read as they come (a body
/// longer than asked for is not held in memory).
async fn read_piece(
    mut response: reqwest::Response,
    mut skip: u64,
    most: u64,
    total: Option<u64>,
) -> Result<soiree_connections::FilePiece, PlayerError> {
    let most = usize::try_from(most).unwrap_or(usize::MAX);
    let mut bytes = Vec::new();
    while bytes.len() < most {
        let Some(chunk) = response
            .chunk()
            .await
            .map_err(|_| PlayerError::Unavailable("the download broke off".into()))?
        else {
            break;
        };
        let mut chunk = &chunk[..];
        if skip > 0 {
            let skipped = usize::try_from(skip).unwrap_or(usize::MAX).min(chunk.len());
            chunk = &chunk[skipped..];
            skip -= skipped as u64;
        }
        let room = most - bytes.len();
        bytes.extend_from_slice(&chunk[..chunk.len().min(room)]);
    }
    Ok(soiree_connections::FilePiece { bytes, total })
}
