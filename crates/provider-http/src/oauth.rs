//! OAuth 2 authorization-code + PKCE flows with the `oauth2` crate, sent through
//! [`OutboundClient`] so that token requests share the retry and `Retry-After` policy.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use oauth2::basic::{BasicClient, BasicErrorResponseType, BasicTokenResponse};
use oauth2::{
    AuthType, AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, HttpRequest,
    HttpResponse, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, RefreshToken,
    RequestTokenError, Scope, StandardErrorResponse, TokenResponse as _, TokenUrl,
};
use secrecy::{ExposeSecret, SecretString};
use soiree_connections::{AuthorizationStart, ClientCredentials, TokenError, TokenGrant};

use crate::client::{OutboundClient, OutboundError};

/// How the client authenticates at the token endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientAuthentication {
    /// `Authorization: Basic base64(id:secret)` (Spotify).
    BasicHeader,
    /// `client_id` and `client_secret` form fields (SoundCloud).
    FormFields,
}

/// A provider's OAuth endpoints and the scopes Soirée asks for.
#[derive(Debug, Clone)]
pub struct OAuthEndpoints {
    authorize_url: AuthUrl,
    token_url: TokenUrl,
    scopes: Vec<String>,
    authentication: ClientAuthentication,
}

/// `state` carries 256 random bits (OA-1 asks for at least 128).
const STATE_BYTES: u32 = 32;
/// Used when a token response omits `expires_in`; both providers say about an hour.
const DEFAULT_LIFETIME: Duration = Duration::from_secs(3600);

/// A client with its authorization and token endpoints set.
type ConfiguredClient = oauth2::Client<
    StandardErrorResponse<BasicErrorResponseType>,
    BasicTokenResponse,
    oauth2::basic::BasicTokenIntrospectionResponse,
    oauth2::StandardRevocableToken,
    oauth2::basic::BasicRevocationErrorResponse,
    oauth2::EndpointSet,
    oauth2::EndpointNotSet,
    oauth2::EndpointNotSet,
    oauth2::EndpointNotSet,
    oauth2::EndpointSet,
>;

type TokenRequestError =
    RequestTokenError<OutboundError, StandardErrorResponse<BasicErrorResponseType>>;

impl OAuthEndpoints {
    /// Endpoints from configured URLs; fails on a URL that does not parse.
    pub fn new(
        authorize_url: &str,
        token_url: &str,
        scopes: &[&str],
        authentication: ClientAuthentication,
    ) -> anyhow::Result<Self> {
        Ok(Self {
            authorize_url: AuthUrl::new(authorize_url.to_owned())
                .map_err(|error| anyhow::anyhow!("authorization URL {authorize_url:?}: {error}"))?,
            token_url: TokenUrl::new(token_url.to_owned())
                .map_err(|error| anyhow::anyhow!("token URL {token_url:?}: {error}"))?,
            scopes: scopes.iter().map(|scope| (*scope).to_owned()).collect(),
            authentication,
        })
    }

    fn client(
        &self,
        client_id: &str,
        client_secret: Option<&SecretString>,
        redirect_uri: Option<&str>,
    ) -> anyhow::Result<ConfiguredClient> {
        let mut client = BasicClient::new(ClientId::new(client_id.to_owned()))
            .set_auth_uri(self.authorize_url.clone())
            .set_token_uri(self.token_url.clone())
            .set_auth_type(match self.authentication {
                ClientAuthentication::BasicHeader => AuthType::BasicAuth,
                ClientAuthentication::FormFields => AuthType::RequestBody,
            });
        if let Some(secret) = client_secret {
            client = client.set_client_secret(ClientSecret::new(secret.expose_secret().to_owned()));
        }
        if let Some(redirect_uri) = redirect_uri {
            let redirect = RedirectUrl::new(redirect_uri.to_owned())
                .map_err(|error| anyhow::anyhow!("redirect URI {redirect_uri:?}: {error}"))?;
            client = client.set_redirect_uri(redirect);
        }
        Ok(client)
    }

    /// An authorization URL with a fresh `state` and a fresh PKCE S256 challenge (OA-2).
    pub fn start_authorization(
        &self,
        client_id: &str,
        redirect_uri: &str,
    ) -> anyhow::Result<AuthorizationStart> {
        let client = self.client(client_id, None, Some(redirect_uri))?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let (url, state) = client
            .authorize_url(|| CsrfToken::new_random_len(STATE_BYTES))
            .add_scopes(self.scopes.iter().cloned().map(Scope::new))
            .set_pkce_challenge(challenge)
            .url();
        Ok(AuthorizationStart {
            authorize_url: url.to_string(),
            state: SecretString::from(state.secret().clone()),
            pkce_verifier: SecretString::from(verifier.secret().clone()),
        })
    }

    /// Exchanges an authorization code, sending the PKCE verifier. Sent once: a code works once.
    pub async fn exchange_code(
        &self,
        http: &OutboundClient,
        credentials: &ClientCredentials,
        code: &str,
        pkce_verifier: &SecretString,
        redirect_uri: &str,
    ) -> Result<TokenGrant, TokenError> {
        let client = self
            .client(
                credentials.client_id.as_str(),
                Some(credentials.client_secret.secret()),
                Some(redirect_uri),
            )
            .map_err(|error| TokenError::Unavailable(error.to_string()))?;
        let response = client
            .exchange_code(AuthorizationCode::new(code.to_owned()))
            .set_pkce_verifier(PkceCodeVerifier::new(
                pkce_verifier.expose_secret().to_owned(),
            ))
            .request_async(&PolicyClient(http.clone()))
            .await;
        response.map(grant).map_err(token_error)
    }

    /// Uses a refresh token. Sent once (bar a 429 within the cap): a rotating refresh token is
    /// spent by the first request that reaches the provider.
    pub async fn refresh(
        &self,
        http: &OutboundClient,
        credentials: &ClientCredentials,
        refresh_token: &SecretString,
    ) -> Result<TokenGrant, TokenError> {
        let client = self
            .client(
                credentials.client_id.as_str(),
                Some(credentials.client_secret.secret()),
                None,
            )
            .map_err(|error| TokenError::Unavailable(error.to_string()))?;
        let refresh_token = RefreshToken::new(refresh_token.expose_secret().to_owned());
        let response = client
            .exchange_refresh_token(&refresh_token)
            .request_async(&PolicyClient(http.clone()))
            .await;
        response.map(grant).map_err(token_error)
    }
}

/// oauth2's HTTP client: one token request through the outbound policy, never repeated unless
/// the provider answered 429 (and so did not act on it). It owns a clone of the client (a shared
/// handle), so its futures borrow nothing.
struct PolicyClient(OutboundClient);

impl<'c> oauth2::AsyncHttpClient<'c> for PolicyClient {
    type Error = OutboundError;
    type Future = Pin<Box<dyn Future<Output = Result<HttpResponse, OutboundError>> + Send + 'c>>;

    fn call(&'c self, request: HttpRequest) -> Self::Future {
        let http = self.0.clone();
        Box::pin(async move {
            let (parts, body) = request.into_parts();
            let url = parts.uri.to_string();
            let response = http
                .send(
                    |client| {
                        client
                            .request(parts.method.clone(), url.as_str())
                            .headers(parts.headers.clone())
                            .body(body.clone())
                    },
                    false,
                )
                .await?;
            let mut converted = http::Response::builder().status(response.status());
            for (name, value) in response.headers() {
                converted = converted.header(name, value);
            }
            let bytes = response
                .bytes()
                .await
                .map_err(|_| OutboundError::Unreachable)?;
            converted
                .body(bytes.to_vec())
                .map_err(|_| OutboundError::Unreachable)
        })
    }
}

fn grant(response: BasicTokenResponse) -> TokenGrant {
    let scope = response.scopes().map(|scopes| {
        scopes
            .iter()
            .map(|scope| scope.as_str())
            .collect::<Vec<_>>()
            .join(" ")
    });
    let lifetime = response.expires_in().unwrap_or(DEFAULT_LIFETIME);
    TokenGrant {
        access_token: SecretString::from(response.access_token().secret().clone()),
        refresh_token: response
            .refresh_token()
            .map(|token| SecretString::from(token.secret().clone())),
        expires_in: chrono::Duration::from_std(lifetime).unwrap_or(chrono::Duration::hours(1)),
        scope,
    }
}

/// Both error shapes the providers use: the standard `{"error": "invalid_grant",
/// "error_description": ...}` and SoundCloud's `{"code": 400, "message": "invalid_grant"}`.
fn token_error(error: TokenRequestError) -> TokenError {
    match error {
        RequestTokenError::ServerResponse(response) => {
            let description = response
                .error_description()
                .cloned()
                .unwrap_or_else(|| response.error().to_string());
            match response.error() {
                BasicErrorResponseType::InvalidClient
                | BasicErrorResponseType::UnauthorizedClient => {
                    TokenError::InvalidClient(description)
                }
                _ => TokenError::InvalidGrant(description),
            }
        }
        RequestTokenError::Parse(_, body) => classify_unusual_body(&body),
        RequestTokenError::Request(OutboundError::RateLimited(retry_after)) => {
            TokenError::RateLimited { retry_after }
        }
        RequestTokenError::Request(failure) => TokenError::Unavailable(failure.to_string()),
        RequestTokenError::Other(message) => TokenError::Unavailable(message),
    }
}

fn classify_unusual_body(body: &[u8]) -> TokenError {
    #[derive(serde::Deserialize)]
    struct Unusual {
        error: Option<String>,
        message: Option<String>,
        error_description: Option<String>,
    }
    let Ok(parsed) = serde_json::from_slice::<Unusual>(body) else {
        return TokenError::Unavailable("the token endpoint sent an unreadable answer".into());
    };
    let kind = parsed.error.or(parsed.message).unwrap_or_default();
    let description = parsed.error_description.unwrap_or_else(|| kind.clone());
    match kind.as_str() {
        "invalid_grant" => TokenError::InvalidGrant(description),
        "invalid_client" | "unauthorized_client" => TokenError::InvalidClient(description),
        _ => TokenError::Unavailable("the token endpoint sent an unreadable answer".into()),
    }
}

#[cfg(test)]
mod tests;
