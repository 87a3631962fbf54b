//! The Spotify adapter: [`Spotify`] implements the connections domain's [`OAuthProvider`]
//! (accounts service, authorization code + PKCE) and [`PlayerProvider`] (Web API player) over
//! reqwest, under the shared outbound policy of `soiree-provider-http`.
//!
//! It knows Spotify's wire formats and quirks (a 204 when nothing plays, a 500 from a device gone
//! to the background, error bodies with a `reason`) and translates them into the domain's types;
//! no reqwest error crosses the port. It knows nothing of storage or of Soirée's server.

mod player;
mod wire;

use async_trait::async_trait;
use secrecy::{ExposeSecret, SecretString};
use soiree_connections::{
    AuthorizationStart, ClientCredentials, ClientId, OAuthProvider, Provider, ProviderAccount,
    ProviderError, TokenError, TokenGrant,
};
use soiree_provider_http::{
    ClientAuthentication, OAuthEndpoints, OutboundClient, OutboundError, RetryPolicy,
};

/// The scopes Soirée asks for: profile, liked tracks, playback state and control, playlists.
pub const SCOPES: &[&str] = &[
    "user-read-private",
    "user-read-email",
    "user-library-read",
    "user-read-playback-state",
    "user-read-currently-playing",
    "user-modify-playback-state",
    "playlist-read-private",
    // Export of a playlist to the person's account (a private one).
    "playlist-modify-private",
    "playlist-read-collaborative",
];

/// Where Spotify lives; tests and the simulator point these elsewhere.
#[derive(Debug, Clone)]
pub struct SpotifyConfig {
    /// The accounts service, `https://accounts.spotify.com`.
    pub accounts_url: String,
    /// The Web API, `https://api.spotify.com/v1`.
    pub api_url: String,
}

impl Default for SpotifyConfig {
    fn default() -> Self {
        Self {
            accounts_url: "https://accounts.spotify.com".into(),
            api_url: "https://api.spotify.com/v1".into(),
        }
    }
}

/// Spotify's accounts service and Web API.
#[derive(Debug, Clone)]
pub struct Spotify {
    http: OutboundClient,
    endpoints: OAuthEndpoints,
    api_url: String,
}

impl Spotify {
    /// An adapter for the given endpoints with the default outbound policy.
    pub fn new(config: &SpotifyConfig) -> anyhow::Result<Self> {
        Self::with_policy(config, RetryPolicy::default())
    }

    /// An adapter with a specific outbound policy (tests use short delays).
    pub fn with_policy(config: &SpotifyConfig, policy: RetryPolicy) -> anyhow::Result<Self> {
        let accounts = config.accounts_url.trim_end_matches('/');
        Ok(Self {
            http: OutboundClient::new(policy)
                .map_err(|error| anyhow::anyhow!("building the HTTP client: {error}"))?,
            endpoints: OAuthEndpoints::new(
                &format!("{accounts}/authorize"),
                &format!("{accounts}/api/token"),
                SCOPES,
                ClientAuthentication::BasicHeader,
            )?,
            api_url: config.api_url.trim_end_matches('/').to_owned(),
        })
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

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.api_url)
    }
}

fn provider_error(failure: OutboundError) -> ProviderError {
    match failure {
        OutboundError::RateLimited(retry_after) => ProviderError::RateLimited { retry_after },
        other => ProviderError::Unavailable(other.to_string()),
    }
}

#[async_trait]
impl OAuthProvider for Spotify {
    fn provider(&self) -> Provider {
        Provider::Spotify
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

    /// `GET /me`. Development-mode apps no longer get `email`, `country` or `product`; the
    /// account is linked by `account_id` when present, else `id`.
    async fn account(&self, access_token: &SecretString) -> Result<ProviderAccount, ProviderError> {
        let url = self.url("/me");
        let response = self
            .http
            .send(
                |client| client.get(&url).bearer_auth(access_token.expose_secret()),
                true,
            )
            .await
            .map_err(provider_error)?;
        match response.status().as_u16() {
            200 => {
                let profile: wire::Profile = response
                    .json()
                    .await
                    .map_err(|_| ProviderError::Unavailable("an unreadable profile".into()))?;
                Ok(ProviderAccount {
                    id: profile.account_id.unwrap_or(profile.id),
                    display_name: profile.display_name,
                })
            }
            401 => Err(ProviderError::TokenRejected),
            status => Err(ProviderError::Unavailable(format!(
                "GET /me answered {status}"
            ))),
        }
    }
}
