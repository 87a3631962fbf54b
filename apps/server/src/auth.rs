//! Who is calling: a session token from the `Authorization: Bearer` header (API clients) or from
//! the `soiree_session` cookie (web pages). A caller is identified by session only, never by an
//! id in the request.

use poem::Request;
use poem_openapi::SecurityScheme;
use poem_openapi::auth::{ApiKey, Bearer};
use soiree_users::{AuthenticateError, Authenticated};

use crate::problem::{Problem, ProblemError};
use crate::state::AppState;

/// A session token in the `Authorization: Bearer` header.
#[derive(SecurityScheme)]
#[oai(ty = "bearer", checker = "check_bearer")]
pub(crate) struct BearerSession(Authenticated);

/// A session token in the `soiree_session` cookie (set by login).
#[derive(SecurityScheme)]
#[oai(
    ty = "api_key",
    key_name = "soiree_session",
    key_in = "cookie",
    checker = "check_cookie"
)]
pub(crate) struct CookieSession(Authenticated);

/// Either way of presenting a session.
#[derive(SecurityScheme)]
pub(crate) enum SessionAuth {
    Bearer(BearerSession),
    Cookie(CookieSession),
}

impl SessionAuth {
    /// The authenticated caller.
    pub(crate) fn caller(&self) -> &Authenticated {
        match self {
            SessionAuth::Bearer(BearerSession(caller))
            | SessionAuth::Cookie(CookieSession(caller)) => caller,
        }
    }
}

async fn check_bearer(request: &Request, bearer: Bearer) -> poem::Result<Authenticated> {
    authenticate(request, &bearer.token).await
}

async fn check_cookie(request: &Request, cookie: ApiKey) -> poem::Result<Authenticated> {
    authenticate(request, &cookie.key).await
}

async fn authenticate(request: &Request, token: &str) -> poem::Result<Authenticated> {
    let state = request.data::<AppState>().ok_or_else(|| {
        ProblemError(Problem::internal(
            &"application state missing from the request",
        ))
    })?;
    match state.users.authenticate(token).await {
        Ok(caller) => Ok(caller),
        Err(AuthenticateError::Unauthenticated) => {
            Err(ProblemError(Problem::unauthenticated()).into())
        }
        Err(AuthenticateError::Unknown(error)) => {
            Err(ProblemError(Problem::internal(&error)).into())
        }
    }
}
