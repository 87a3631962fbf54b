//! The caller's own account.

use poem_openapi::payload::Json;
use poem_openapi::types::MaybeUndefined;
use poem_openapi::{ApiResponse, Object, OpenApi, Tags};
use soiree_users::{DisplayName, Language, ProfileChanges, TimeZone, UpdateProfileError};

use super::objects::UserOut;
use crate::auth::SessionAuth;
use crate::problem::{Problem, capitalised, problem_variants};
use crate::state::AppState;

#[derive(Tags)]
enum MeTags {
    /// The caller's own account.
    Me,
}

/// Profile changes. A field left out stays as it is; `null` clears it. Nothing else about an
/// account can be changed here: unknown fields (such as `tier` or `username`) are refused.
#[derive(Object)]
#[oai(rename = "ProfilePatch", deny_unknown_fields)]
struct ProfilePatch {
    /// 1 to 64 characters, shown to others instead of the username.
    #[oai(
        validator(
            max_length = 64,
            pattern = r"^[^\s\x00-\x1f\x7f-\x9f]([^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f])?$"
        ),
        deserialize_with = "crate::api::strict::text"
    )]
    display_name: MaybeUndefined<String>,
    /// A BCP 47 language tag such as `en` or `fr-CA`.
    #[oai(
        validator(max_length = 35, pattern = r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$"),
        deserialize_with = "crate::api::strict::text"
    )]
    language: MaybeUndefined<String>,
    /// An IANA time zone such as `Europe/Paris`.
    #[oai(
        validator(max_length = 64, pattern = r"^[A-Za-z][A-Za-z0-9_+/-]*$"),
        deserialize_with = "crate::api::strict::text"
    )]
    timezone: MaybeUndefined<String>,
}

#[derive(ApiResponse)]
enum MeResponse {
    /// The caller's account.
    #[oai(status = 200)]
    Ok(Json<UserOut>),
    /// `unauthenticated`: no valid session was presented.
    #[oai(status = 401, content_type = "application/problem+json")]
    #[allow(dead_code)] // Listed for the OpenAPI document; the security scheme raises it.
    Unauthenticated(Json<Problem>),
    /// A server fault (`internal_error`).
    #[oai(status = 500, content_type = "application/problem+json")]
    #[allow(dead_code)] // Listed for the OpenAPI document; the error handler raises it.
    Internal(Json<Problem>),
}

/// A room the caller hosts or joined.
#[derive(Object, Debug)]
#[oai(rename = "MyRoom")]
struct MyRoomOut {
    /// The 6-character join code.
    code: String,
    #[oai(skip_serializing_if_is_none)]
    name: Option<String>,
    is_host: bool,
    /// Whether the host closed it.
    closed: bool,
    /// Whether the caller left it (or was removed).
    left: bool,
    /// When the caller was last active in it.
    last_seen_at: chrono::DateTime<chrono::Utc>,
}

#[derive(Object, Debug)]
struct MyRoomsOut {
    /// The most recently active first, at most twenty.
    rooms: Vec<MyRoomOut>,
}

#[derive(ApiResponse)]
enum MyRoomsResponse {
    /// The rooms the caller hosts or joined.
    #[oai(status = 200)]
    Ok(Json<MyRoomsOut>),
    /// `unauthenticated`: no valid session was presented.
    #[oai(status = 401, content_type = "application/problem+json")]
    #[allow(dead_code)] // Listed for the OpenAPI document; the security scheme raises it.
    Unauthenticated(Json<Problem>),
    /// A server fault (`internal_error`).
    #[oai(status = 500, content_type = "application/problem+json")]
    Internal(Json<Problem>),
}

#[derive(ApiResponse)]
#[oai(bad_request_handler = "PatchMeResponse::bad_request_handler")]
enum PatchMeResponse {
    /// The account after the change.
    #[oai(status = 200)]
    Ok(Json<UserOut>),
    /// The body is not valid JSON of the expected shape, or names a field that cannot be changed (`bad_request`).
    #[oai(status = 400, content_type = "application/problem+json")]
    BadRequest(Json<Problem>),
    /// `unauthenticated`: no valid session was presented.
    #[oai(status = 401, content_type = "application/problem+json")]
    Unauthenticated(Json<Problem>),
    /// `payload_too_large`: the body is over 1 MiB.
    #[oai(status = 413, content_type = "application/problem+json")]
    PayloadTooLarge(Json<Problem>),
    /// `unsupported_media_type`: the body is not sent as `application/json`.
    #[oai(status = 415, content_type = "application/problem+json")]
    UnsupportedMediaType(Json<Problem>),
    /// A value is not acceptable: `invalid_display_name`, `invalid_language` or `invalid_timezone`.
    #[oai(status = 422, content_type = "application/problem+json")]
    Invalid(Json<Problem>),
    /// A server fault (`internal_error`).
    #[oai(status = 500, content_type = "application/problem+json")]
    Internal(Json<Problem>),
}

problem_variants!(PatchMeResponse {
    400 => BadRequest, 401 => Unauthenticated, 413 => PayloadTooLarge, 415 => UnsupportedMediaType,
    422 => Invalid, 500 => Internal,
});

/// Parses one field of a patch: absent stays absent, `null` clears, a value must parse.
fn parse_field<T, E: std::fmt::Display>(
    field: MaybeUndefined<String>,
    parse: fn(&str) -> Result<T, E>,
    code: &str,
) -> Result<Option<Option<T>>, Problem> {
    match field {
        MaybeUndefined::Undefined => Ok(None),
        MaybeUndefined::Null => Ok(Some(None)),
        MaybeUndefined::Value(text) => parse(&text)
            .map(|value| Some(Some(value)))
            .map_err(|error| Problem::invalid(code, capitalised(&error))),
    }
}

fn parse_patch(patch: ProfilePatch) -> Result<ProfileChanges, Problem> {
    Ok(ProfileChanges {
        display_name: parse_field(
            patch.display_name,
            DisplayName::parse,
            "invalid_display_name",
        )?,
        language: parse_field(patch.language, Language::parse, "invalid_language")?,
        timezone: parse_field(patch.timezone, TimeZone::parse, "invalid_timezone")?,
    })
}

/// The caller's own account.
pub(crate) struct MeApi {
    pub(crate) state: AppState,
}

#[OpenApi(prefix_path = "/api/v1", tag = "MeTags::Me")]
impl MeApi {
    /// The caller's account.
    #[oai(path = "/me", method = "get")]
    async fn me(&self, auth: SessionAuth) -> MeResponse {
        MeResponse::Ok(Json(auth.caller().user.clone().into()))
    }

    /// The rooms the caller hosts or joined, the most recently active first.
    #[oai(path = "/me/rooms", method = "get")]
    async fn my_rooms(&self, auth: SessionAuth) -> MyRoomsResponse {
        match self.state.rooms.rooms_of(auth.caller().user.id).await {
            Ok(rooms) => MyRoomsResponse::Ok(Json(MyRoomsOut {
                rooms: rooms
                    .into_iter()
                    .map(|mine| MyRoomOut {
                        code: mine.room.code.as_str().to_owned(),
                        name: mine.room.name.as_ref().map(|name| name.as_str().to_owned()),
                        is_host: mine.is_host,
                        closed: !mine.room.is_open(),
                        left: !mine.participant.is_active(),
                        last_seen_at: mine.participant.last_seen_at,
                    })
                    .collect(),
            })),
            Err(error) => {
                MyRoomsResponse::Internal(Problem::internal(&format!("{error:#}")).json())
            }
        }
    }

    /// Erase the caller's account. Needs a recent authentication (`POST
    /// /api/v1/auth/reauthenticate`). Rooms the caller hosts are closed (their guests are told)
    /// and removed; their votes in other people's rooms keep counting, anonymous; their
    /// sessions end and their sockets close; the username is free again. Cannot be undone.
    #[oai(path = "/me", method = "delete")]
    async fn erase_me(&self, auth: SessionAuth) -> super::account_data::EraseResponse {
        super::account_data::erase_caller(&self.state, auth.caller()).await
    }

    /// Change the caller's display name, language or time zone.
    #[oai(path = "/me", method = "patch")]
    async fn patch_me(&self, auth: SessionAuth, body: Json<ProfilePatch>) -> PatchMeResponse {
        let changes = match parse_patch(body.0) {
            Ok(changes) => changes,
            Err(problem) => return PatchMeResponse::from_problem(problem),
        };
        match self
            .state
            .users
            .update_profile(auth.caller().user.id, changes)
            .await
        {
            Ok(user) => PatchMeResponse::Ok(Json(user.into())),
            // The account was erased while its session was in use.
            Err(UpdateProfileError::NotFound) => {
                PatchMeResponse::from_problem(Problem::unauthenticated())
            }
            Err(UpdateProfileError::Unknown(error)) => {
                PatchMeResponse::from_problem(Problem::internal(&error))
            }
        }
    }
}
