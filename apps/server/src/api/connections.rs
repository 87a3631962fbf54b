//! Provider connections: credentials, one-click OAuth, status, disconnect.

use poem::Request;
use poem::http::StatusCode;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Enum, Object, OpenApi, Tags};
use secrecy::SecretString;
use soiree_connections::{
    AuthorizeError, CallbackError, CallbackParams, ClientCredentials, ClientId, ClientSecret,
    Connection, ConnectionStatus, Provider,
};
use soiree_kernel::UserId;
use soiree_users::SecurityEventKind;

use crate::auth::SessionAuth;
use crate::cookie::SESSION_COOKIE_NAME;
use crate::problem::{Problem, capitalised, problem_variants};
use crate::state::AppState;

#[derive(Tags)]
enum ConnectionTags {
    /// Your own Spotify and SoundCloud apps, connected with one click.
    Connections,
}

/// Where a connection stands.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[oai(rename = "ConnectionStatus", rename_all = "snake_case")]
enum StatusOut {
    /// No client id and secret yet: add them first.
    NotConfigured,
    /// Client id and secret stored; press Connect.
    Configured,
    /// Connected; `account_name` says to which account.
    Connected,
    /// The provider stopped accepting the authorization; `reason` says why. Connect again.
    NeedsReconnect,
    /// Soirée cannot connect to this provider yet.
    NotAvailable,
}

/// One provider, as the caller's connection to it stands. Secrets are never shown: only whether a
/// client secret is stored, through its last four characters.
#[derive(Object, Debug)]
#[oai(rename = "Connection")]
struct ConnectionOut {
    /// `spotify`, `soundcloud` or `tidal`.
    provider: String,
    /// The provider's name.
    name: String,
    status: StatusOut,
    /// The connected account's display name.
    #[oai(skip_serializing_if_is_none)]
    account_name: Option<String>,
    /// Why a reconnect is needed.
    #[oai(skip_serializing_if_is_none)]
    reason: Option<String>,
    /// The configured client id.
    #[oai(skip_serializing_if_is_none)]
    client_id: Option<String>,
    /// The last four characters of the configured client secret, only when it has at least 16
    /// (four of a shorter one would give most of it away).
    #[oai(skip_serializing_if_is_none)]
    client_secret_last4: Option<String>,
    /// The redirect URI to register in the provider's developer dashboard.
    #[oai(skip_serializing_if_is_none)]
    redirect_uri: Option<String>,
}

/// Every provider.
#[derive(Object, Debug)]
struct ConnectionsOut {
    connections: Vec<ConnectionOut>,
}

/// A developer app's credentials, from the provider's developer dashboard.
#[derive(Object)]
#[oai(deny_unknown_fields)]
struct CredentialsIn {
    /// As the provider's dashboard shows it: 1 to 255 characters, no spaces.
    #[oai(
        validator(max_length = 255, pattern = r"^[!-~]+$"),
        deserialize_with = "crate::api::strict::text"
    )]
    client_id: String,
    /// Write-only: never shown again. 1 to 255 characters, no spaces.
    #[oai(
        write_only,
        validator(max_length = 255, pattern = r"^[!-~]+$"),
        deserialize_with = "crate::api::strict::text"
    )]
    client_secret: String,
}

/// Where to send the browser to connect.
#[derive(Object)]
struct AuthorizeOut {
    /// The provider's consent page; open it in the browser that is logged in to Soirée.
    auth_url: String,
}

#[derive(ApiResponse)]
enum ListResponse {
    /// The caller's connection to every provider.
    #[oai(status = 200)]
    Ok(Json<ConnectionsOut>),
    /// `unauthenticated`.
    #[oai(status = 401, content_type = "application/problem+json")]
    #[allow(dead_code)] // Listed for the OpenAPI document; the security scheme raises it.
    Unauthenticated(Json<Problem>),
    /// `internal_error`.
    #[oai(status = 500, content_type = "application/problem+json")]
    Internal(Json<Problem>),
}

#[derive(ApiResponse)]
#[oai(bad_request_handler = "ConnectionResponse::bad_request_handler")]
enum ConnectionResponse {
    /// The connection after the change.
    #[oai(status = 200)]
    Ok(Json<ConnectionOut>),
    /// `bad_request`: the body or parameters could not be read.
    #[oai(status = 400, content_type = "application/problem+json")]
    BadRequest(Json<Problem>),
    /// `unauthenticated`.
    #[oai(status = 401, content_type = "application/problem+json")]
    Unauthenticated(Json<Problem>),
    /// `reauthentication_required` (changing credentials): confirm the password first (`POST
    /// /api/v1/auth/reauthenticate`).
    #[oai(status = 403, content_type = "application/problem+json")]
    Forbidden(Json<Problem>),
    /// `unknown_provider` or `provider_not_available`.
    #[oai(status = 404, content_type = "application/problem+json")]
    NotFound(Json<Problem>),
    /// `payload_too_large`.
    #[oai(status = 413, content_type = "application/problem+json")]
    PayloadTooLarge(Json<Problem>),
    /// `unsupported_media_type`.
    #[oai(status = 415, content_type = "application/problem+json")]
    UnsupportedMediaType(Json<Problem>),
    /// `invalid_client_id` or `invalid_client_secret`.
    #[oai(status = 422, content_type = "application/problem+json")]
    Invalid(Json<Problem>),
    /// `internal_error`.
    #[oai(status = 500, content_type = "application/problem+json")]
    Internal(Json<Problem>),
}

problem_variants!(ConnectionResponse {
    400 => BadRequest, 401 => Unauthenticated, 403 => Forbidden, 404 => NotFound, 413 => PayloadTooLarge,
    415 => UnsupportedMediaType, 422 => Invalid, 500 => Internal,
});

#[derive(ApiResponse)]
#[oai(bad_request_handler = "AuthorizeResponse::bad_request_handler")]
enum AuthorizeResponse {
    /// Send the browser to `auth_url`.
    #[oai(status = 200)]
    Ok(Json<AuthorizeOut>),
    /// `bad_request`.
    #[oai(status = 400, content_type = "application/problem+json")]
    BadRequest(Json<Problem>),
    /// `unauthenticated`.
    #[oai(status = 401, content_type = "application/problem+json")]
    Unauthenticated(Json<Problem>),
    /// `unknown_provider` or `provider_not_available`.
    #[oai(status = 404, content_type = "application/problem+json")]
    NotFound(Json<Problem>),
    /// `provider_not_configured`: add the client id and secret first.
    #[oai(status = 409, content_type = "application/problem+json")]
    NotConfigured(Json<Problem>),
    /// `internal_error`.
    #[oai(status = 500, content_type = "application/problem+json")]
    Internal(Json<Problem>),
}

problem_variants!(AuthorizeResponse {
    400 => BadRequest, 401 => Unauthenticated, 404 => NotFound, 409 => NotConfigured, 500 => Internal,
});

#[derive(ApiResponse)]
#[oai(bad_request_handler = "CallbackResponse::bad_request_handler")]
enum CallbackResponse {
    /// To `/connect?connected={provider}`, or `/connect?error={code}` when the provider declined or
    /// failed after a valid state. No other target exists.
    #[oai(status = 302)]
    Redirect(#[oai(header = "Location")] String),
    /// The `state` is missing, unknown, used, expired or from another login session
    /// (`invalid_state`, `expired_state`, `wrong_session`); nothing was stored.
    #[oai(status = 400, content_type = "application/problem+json")]
    BadRequest(Json<Problem>),
    /// `unknown_provider` or `provider_not_available`.
    #[oai(status = 404, content_type = "application/problem+json")]
    NotFound(Json<Problem>),
    /// `internal_error`.
    #[oai(status = 500, content_type = "application/problem+json")]
    Internal(Json<Problem>),
}

problem_variants!(CallbackResponse { 400 => BadRequest, 404 => NotFound, 500 => Internal });

/// Reads the `{provider}` of a path: a provider Soirée connects to, or a 404 that says why not.
pub(super) fn provider(name: &str) -> Result<Provider, Problem> {
    name.parse::<Provider>().map_err(|_| {
        if name.eq_ignore_ascii_case("tidal") {
            Problem::new(
                StatusCode::NOT_FOUND,
                "provider_not_available",
                "Not available yet",
                "Tidal is coming soon; connect Spotify or SoundCloud meanwhile.",
            )
        } else {
            Problem::new(
                StatusCode::NOT_FOUND,
                "unknown_provider",
                "Unknown provider",
                format!(
                    "Soirée does not know a provider called {name:?}; use spotify or soundcloud."
                ),
            )
        }
    })
}

fn connection_out(state: &AppState, connection: &Connection) -> ConnectionOut {
    let (status, account_name, reason) = match connection.status() {
        ConnectionStatus::NotConfigured => (StatusOut::NotConfigured, None, None),
        ConnectionStatus::Configured => (StatusOut::Configured, None, None),
        ConnectionStatus::Connected { account } => (
            StatusOut::Connected,
            Some(account.display_name.unwrap_or(account.id)),
            None,
        ),
        ConnectionStatus::NeedsReconnect { reason } => {
            (StatusOut::NeedsReconnect, None, Some(capitalised(&reason)))
        }
    };
    ConnectionOut {
        provider: connection.provider.as_str().to_owned(),
        name: connection.provider.display_name().to_owned(),
        status,
        account_name,
        reason,
        client_id: connection
            .credentials
            .as_ref()
            .map(|credentials| credentials.client_id.as_str().to_owned()),
        client_secret_last4: connection
            .credentials
            .as_ref()
            .and_then(|credentials| credentials.client_secret.last_four()),
        redirect_uri: Some(state.connections.redirect_uri(connection.provider)),
    }
}

fn tidal() -> ConnectionOut {
    ConnectionOut {
        provider: "tidal".into(),
        name: "Tidal".into(),
        status: StatusOut::NotAvailable,
        account_name: None,
        reason: Some("Tidal is coming soon.".into()),
        client_id: None,
        client_secret_last4: None,
        redirect_uri: None,
    }
}

/// Connections to streaming providers.
pub(crate) struct ConnectionsApi {
    pub(crate) state: AppState,
}

/// Where a provider sends the browser back after consent: the path of [`ConnectionsApi::callback`],
/// from which the server's public URL makes the redirect URI the connections domain is given.
pub(crate) fn callback_path(provider: soiree_connections::Provider) -> String {
    format!("/api/v1/connections/{}/callback", provider.as_str())
}

#[OpenApi(
    prefix_path = "/api/v1/connections",
    tag = "ConnectionTags::Connections"
)]
impl ConnectionsApi {
    /// The caller's connection to every provider.
    #[oai(path = "/", method = "get")]
    async fn list(&self, auth: SessionAuth) -> ListResponse {
        match self
            .state
            .connections
            .connections(auth.caller().user.id)
            .await
        {
            Ok(connections) => {
                let mut out: Vec<ConnectionOut> = connections
                    .iter()
                    .map(|connection| connection_out(&self.state, connection))
                    .collect();
                out.push(tidal());
                ListResponse::Ok(Json(ConnectionsOut { connections: out }))
            }
            Err(error) => ListResponse::Internal(Problem::internal(&error).json()),
        }
    }

    /// Store the client id and secret of your own developer app at a provider.
    ///
    /// Register `redirect_uri` (shown in the response) in the provider's dashboard. A new client id
    /// drops any tokens of the previous app; the same client id with a new secret keeps them.
    /// Needs a recent authentication (within an hour of login or `POST
    /// /api/v1/auth/reauthenticate`).
    #[oai(path = "/:provider/credentials", method = "put")]
    async fn set_credentials(
        &self,
        auth: SessionAuth,
        provider: Path<String>,
        body: Json<CredentialsIn>,
    ) -> ConnectionResponse {
        let provider = match self::provider(&provider) {
            Ok(provider) => provider,
            Err(problem) => return ConnectionResponse::from_problem(problem),
        };
        let client_id = match ClientId::parse(&body.client_id) {
            Ok(client_id) => client_id,
            Err(error) => {
                return ConnectionResponse::from_problem(Problem::invalid(
                    "invalid_client_id",
                    capitalised(&error),
                ));
            }
        };
        let client_secret = match ClientSecret::parse(&SecretString::from(body.0.client_secret)) {
            Ok(secret) => secret,
            Err(error) => {
                return ConnectionResponse::from_problem(Problem::invalid(
                    "invalid_client_secret",
                    capitalised(&error),
                ));
            }
        };
        let credentials = ClientCredentials {
            client_id,
            client_secret,
        };
        let caller = auth.caller();
        if let Err(error) = self.state.users.ensure_recent_authentication(caller) {
            return ConnectionResponse::from_problem(super::reauthentication_required(&error));
        }
        match self
            .state
            .connections
            .set_credentials(caller.user.id, provider, credentials)
            .await
        {
            Ok(connection) => {
                self.state
                    .log_security(
                        caller,
                        SecurityEventKind::CredentialsChanged,
                        provider.as_str(),
                    )
                    .await;
                ConnectionResponse::Ok(Json(connection_out(&self.state, &connection)))
            }
            Err(error) => ConnectionResponse::from_problem(Problem::internal(&error)),
        }
    }

    /// Start connecting: returns the provider's consent page to open in this browser.
    ///
    /// The authorization is bound to the caller's login session and expires after 10 minutes.
    #[oai(path = "/:provider/authorize", method = "get")]
    async fn authorize(&self, auth: SessionAuth, provider: Path<String>) -> AuthorizeResponse {
        let provider = match self::provider(&provider) {
            Ok(provider) => provider,
            Err(problem) => return AuthorizeResponse::from_problem(problem),
        };
        let caller = auth.caller();
        let session_id = caller.session.id.as_uuid().to_string();
        match self
            .state
            .connections
            .begin_authorization(caller.user.id, &session_id, provider)
            .await
        {
            Ok(auth_url) => AuthorizeResponse::Ok(Json(AuthorizeOut { auth_url })),
            Err(AuthorizeError::NotConfigured(provider)) => {
                AuthorizeResponse::from_problem(Problem::new(
                    StatusCode::CONFLICT,
                    "provider_not_configured",
                    "Provider not configured",
                    format!(
                        "Add your {} app's client id and secret first (PUT /api/v1/connections/{}/credentials, or Settings).",
                        provider.display_name(),
                        provider.as_str()
                    ),
                ))
            }
            Err(AuthorizeError::Unknown(error)) => {
                AuthorizeResponse::from_problem(Problem::internal(&error))
            }
        }
    }

    /// Where the provider sends the browser back after consent (not for API clients).
    ///
    /// It must arrive in the browser session that started the authorization (the session cookie).
    #[oai(path = "/:provider/callback", method = "get")]
    async fn callback(
        &self,
        request: &Request,
        provider: Path<String>,
        code: Query<Option<String>>,
        state: Query<Option<String>>,
        error: Query<Option<String>>,
    ) -> CallbackResponse {
        let provider = match self::provider(&provider) {
            Ok(provider) => provider,
            Err(problem) => return CallbackResponse::from_problem(problem),
        };
        let caller = self.browser_session(request).await;
        let caller_ref = caller
            .as_ref()
            .map(|(user_id, session_id)| (*user_id, session_id.as_str()));
        let params = CallbackParams {
            state: state.0,
            code: code.0,
            error: error.0,
        };
        match self
            .state
            .connections
            .complete_authorization(caller_ref, provider, params)
            .await
        {
            Ok(()) => {
                if let Some((user_id, _)) = &caller {
                    self.state
                        .log_security_of(
                            *user_id,
                            SecurityEventKind::ConnectionAdded,
                            provider.as_str(),
                        )
                        .await;
                }
                CallbackResponse::Redirect(format!("/connect?connected={}", provider.as_str()))
            }
            Err(
                error @ (CallbackError::InvalidState
                | CallbackError::ExpiredState
                | CallbackError::WrongSession),
            ) => CallbackResponse::from_problem(Problem::new(
                StatusCode::BAD_REQUEST,
                error.code(),
                "Authorization refused",
                capitalised(&error),
            )),
            Err(CallbackError::Unknown(error)) => {
                CallbackResponse::from_problem(Problem::internal(&error))
            }
            Err(error) => CallbackResponse::Redirect(format!("/connect?error={}", error.code())),
        }
    }

    /// Disconnect: forget the tokens (and, with `forget_credentials=true`, the app's credentials).
    #[oai(path = "/:provider", method = "delete")]
    async fn disconnect(
        &self,
        auth: SessionAuth,
        provider: Path<String>,
        forget_credentials: Query<Option<bool>>,
    ) -> ConnectionResponse {
        let provider = match self::provider(&provider) {
            Ok(provider) => provider,
            Err(problem) => return ConnectionResponse::from_problem(problem),
        };
        let forget = forget_credentials.0.unwrap_or(false);
        match self
            .state
            .connections
            .disconnect(auth.caller().user.id, provider, forget)
            .await
        {
            Ok(connection) => {
                self.state
                    .log_security(
                        auth.caller(),
                        SecurityEventKind::ConnectionRemoved,
                        provider.as_str(),
                    )
                    .await;
                ConnectionResponse::Ok(Json(connection_out(&self.state, &connection)))
            }
            Err(error) => ConnectionResponse::from_problem(Problem::internal(&error)),
        }
    }
}

impl ConnectionsApi {
    /// The logged-in browser session, from the session cookie, if any.
    async fn browser_session(&self, request: &Request) -> Option<(UserId, String)> {
        let token = request
            .cookie()
            .get(SESSION_COOKIE_NAME)?
            .value_str()
            .to_owned();
        let caller = self.state.users.authenticate(&token).await.ok()?;
        Some((caller.user.id, caller.session.id.as_uuid().to_string()))
    }
}
