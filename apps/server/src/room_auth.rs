//! Who is calling a room route: an account (session bearer token or cookie), or a guest of that
//! room (its guest token as a bearer token, or the `soiree_guest` cookie set when the guest
//! joined, scoped to the room's path).

use poem::Request;
use poem_openapi::SecurityScheme;
use poem_openapi::auth::{ApiKey, Bearer};
use soiree_rooms::{AuthenticateGuestError, GuestToken, Participant, RoomCode, Viewer};
use soiree_users::{AuthenticateError, Authenticated};

use crate::problem::{Problem, ProblemError};
use crate::state::AppState;

/// The guest cookie's name.
pub(crate) const GUEST_COOKIE_NAME: &str = "soiree_guest";

/// The caller of a room route.
#[derive(Debug, Clone)]
pub(crate) enum RoomCaller {
    /// A signed-in account.
    User(Box<Authenticated>),
    /// A guest of the room in the path.
    Guest(Box<Participant>),
}

impl RoomCaller {
    /// As the rooms domain sees the caller.
    pub(crate) fn viewer(&self) -> Viewer {
        match self {
            RoomCaller::User(caller) => Viewer::User(caller.user.id),
            RoomCaller::Guest(participant) => Viewer::Guest(participant.id),
        }
    }
}

/// A session token or a guest token in the `Authorization: Bearer` header.
#[derive(SecurityScheme)]
#[oai(ty = "bearer", checker = "check_bearer")]
pub(crate) struct RoomBearer(RoomCaller);

/// A session token in the `soiree_session` cookie.
#[derive(SecurityScheme)]
#[oai(
    ty = "api_key",
    key_name = "soiree_session",
    key_in = "cookie",
    checker = "check_session_cookie"
)]
pub(crate) struct RoomSessionCookie(RoomCaller);

/// A guest token in the `soiree_guest` cookie.
#[derive(SecurityScheme)]
#[oai(
    ty = "api_key",
    key_name = "soiree_guest",
    key_in = "cookie",
    checker = "check_guest_cookie"
)]
pub(crate) struct RoomGuestCookie(RoomCaller);

/// Any way of calling a room route.
#[derive(SecurityScheme)]
pub(crate) enum RoomAuth {
    Bearer(RoomBearer),
    Session(RoomSessionCookie),
    Guest(RoomGuestCookie),
}

impl RoomAuth {
    pub(crate) fn caller(&self) -> &RoomCaller {
        match self {
            RoomAuth::Bearer(RoomBearer(caller))
            | RoomAuth::Session(RoomSessionCookie(caller))
            | RoomAuth::Guest(RoomGuestCookie(caller)) => caller,
        }
    }
}

/// Like [`RoomAuth`], but nobody at all is allowed through too (joining as a new guest).
#[derive(SecurityScheme)]
pub(crate) enum OptionalRoomAuth {
    Bearer(RoomBearer),
    Session(RoomSessionCookie),
    Guest(RoomGuestCookie),
    #[oai(fallback)]
    Nobody,
}

impl OptionalRoomAuth {
    pub(crate) fn caller(&self) -> Option<&RoomCaller> {
        match self {
            OptionalRoomAuth::Bearer(RoomBearer(caller))
            | OptionalRoomAuth::Session(RoomSessionCookie(caller))
            | OptionalRoomAuth::Guest(RoomGuestCookie(caller)) => Some(caller),
            OptionalRoomAuth::Nobody => None,
        }
    }
}

fn state(request: &Request) -> poem::Result<&AppState> {
    request
        .data::<AppState>()
        .ok_or_else(|| ProblemError(Problem::internal(&"application state missing")).into())
}

async fn check_bearer(request: &Request, bearer: Bearer) -> poem::Result<RoomCaller> {
    if GuestToken::looks_like(&bearer.token) {
        guest(request, &bearer.token).await
    } else {
        user(request, &bearer.token).await
    }
}

async fn check_session_cookie(request: &Request, cookie: ApiKey) -> poem::Result<RoomCaller> {
    user(request, &cookie.key).await
}

async fn check_guest_cookie(request: &Request, cookie: ApiKey) -> poem::Result<RoomCaller> {
    guest(request, &cookie.key).await
}

async fn user(request: &Request, token: &str) -> poem::Result<RoomCaller> {
    match state(request)?.users.authenticate(token).await {
        Ok(caller) => Ok(RoomCaller::User(Box::new(caller))),
        Err(AuthenticateError::Unauthenticated) => {
            Err(ProblemError(Problem::unauthenticated()).into())
        }
        Err(AuthenticateError::Unknown(error)) => {
            Err(ProblemError(Problem::internal(&error)).into())
        }
    }
}

/// A guest token is valid only for the room named in the path.
async fn guest(request: &Request, token: &str) -> poem::Result<RoomCaller> {
    let unauthenticated = || poem::Error::from(ProblemError(Problem::unauthenticated()));
    // Security checkers run before poem-openapi records path parameters, so the code is read
    // from the path itself: `/api/v1/rooms/{code}/...`.
    let code = request
        .original_uri()
        .path()
        .strip_prefix("/api/v1/rooms/")
        .and_then(|rest| rest.split('/').next())
        .and_then(|code| RoomCode::parse(code).ok())
        .ok_or_else(unauthenticated)?;
    match state(request)?.rooms.authenticate_guest(&code, token).await {
        Ok(participant) => Ok(RoomCaller::Guest(Box::new(participant))),
        Err(AuthenticateGuestError::UnknownGuest) => Err(unauthenticated()),
        Err(AuthenticateGuestError::Unknown(error)) => {
            Err(ProblemError(Problem::internal(&format!("{error:#}"))).into())
        }
    }
}
