//! App passwords for music apps: `GET|POST /api/v1/me/app-passwords`,
//! `DELETE /api/v1/me/app-passwords/{id}`.

use chrono::{DateTime, Utc};
use poem::http::StatusCode;
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi, Tags};
use soiree_users::{AppPassword, AppPasswordError, AppPasswordId, AppPasswordName};

use crate::auth::SessionAuth;
use crate::problem::{Problem, capitalised, problem_variants};
use crate::state::AppState;

#[derive(Tags)]
enum AppPasswordTags {
    /// Passwords for music apps.
    Security,
}

/// A name for a new app password.
#[derive(Object)]
#[oai(rename = "AppPasswordRequest", deny_unknown_fields)]
struct NameIn {
    /// What the app is ("Phone", "Feishin"): 1 to 64 characters.
    #[oai(
        validator(min_length = 1, max_length = 64),
        deserialize_with = "crate::api::strict::text"
    )]
    name: String,
}

#[derive(Object, Debug)]
#[oai(rename = "AppPassword")]
struct AppPasswordOut {
    id: uuid::Uuid,
    name: String,
    created_at: DateTime<Utc>,
}

impl From<AppPassword> for AppPasswordOut {
    fn from(app_password: AppPassword) -> Self {
        Self {
            id: app_password.id.as_uuid(),
            name: app_password.name.as_str().to_owned(),
            created_at: app_password.created_at,
        }
    }
}

/// A new app password with its secret, shown only here.
#[derive(Object, Debug)]
#[oai(rename = "NewAppPassword")]
struct CreatedOut {
    id: uuid::Uuid,
    name: String,
    /// Type it into the app with your username; it is not shown again.
    password: String,
    created_at: DateTime<Utc>,
}

#[derive(Object, Debug)]
struct AppPasswordsOut {
    app_passwords: Vec<AppPasswordOut>,
}

#[derive(ApiResponse)]
enum ListResponse {
    /// The caller's app passwords (never their secrets).
    #[oai(status = 200)]
    Ok(Json<AppPasswordsOut>),
    /// `unauthenticated`.
    #[oai(status = 401, content_type = "application/problem+json")]
    #[allow(dead_code)] // Listed for the OpenAPI document; the security scheme raises it.
    Unauthenticated(Json<Problem>),
    /// `internal_error`.
    #[oai(status = 500, content_type = "application/problem+json")]
    Internal(Json<Problem>),
}

#[derive(ApiResponse)]
#[oai(bad_request_handler = "AppPasswordResponse::bad_request_handler")]
enum AppPasswordResponse {
    /// Made; the password is in the body, once.
    #[oai(status = 201)]
    Created(Json<CreatedOut>),
    /// Revoked: an app using it is refused from now on.
    #[oai(status = 204)]
    Revoked,
    /// `bad_request`: the body or the id cannot be read.
    #[oai(status = 400, content_type = "application/problem+json")]
    BadRequest(Json<Problem>),
    /// `unauthenticated`.
    #[oai(status = 401, content_type = "application/problem+json")]
    Unauthenticated(Json<Problem>),
    /// `reauthentication_required`: confirm the password first.
    #[oai(status = 403, content_type = "application/problem+json")]
    Forbidden(Json<Problem>),
    /// `app_password_not_found`: none of the caller's has this id.
    #[oai(status = 404, content_type = "application/problem+json")]
    NotFound(Json<Problem>),
    /// `too_many_app_passwords`: 20 already.
    #[oai(status = 409, content_type = "application/problem+json")]
    Conflict(Json<Problem>),
    /// `payload_too_large`.
    #[oai(status = 413, content_type = "application/problem+json")]
    PayloadTooLarge(Json<Problem>),
    /// `unsupported_media_type`.
    #[oai(status = 415, content_type = "application/problem+json")]
    UnsupportedMediaType(Json<Problem>),
    /// `invalid_app_password_name`.
    #[oai(status = 422, content_type = "application/problem+json")]
    Invalid(Json<Problem>),
    /// `internal_error`.
    #[oai(status = 500, content_type = "application/problem+json")]
    Internal(Json<Problem>),
}

problem_variants!(AppPasswordResponse {
    400 => BadRequest, 401 => Unauthenticated, 403 => Forbidden, 404 => NotFound, 409 => Conflict,
    413 => PayloadTooLarge, 415 => UnsupportedMediaType, 422 => Invalid, 500 => Internal,
});

impl From<AppPasswordError> for AppPasswordResponse {
    fn from(error: AppPasswordError) -> Self {
        Self::from_problem(match error {
            AppPasswordError::StepUp(error) => super::reauthentication_required(&error),
            error @ AppPasswordError::TooMany => Problem::new(
                StatusCode::CONFLICT,
                "too_many_app_passwords",
                "Too many app passwords",
                capitalised(&error),
            ),
            error @ AppPasswordError::NotFound => Problem::new(
                StatusCode::NOT_FOUND,
                "app_password_not_found",
                "No such app password",
                capitalised(&error),
            ),
            AppPasswordError::Unknown(error) => Problem::internal(&error),
        })
    }
}

/// Passwords for music apps.
pub(crate) struct AppPasswordsApi {
    pub(crate) state: AppState,
}

#[OpenApi(
    prefix_path = "/api/v1/me/app-passwords",
    tag = "AppPasswordTags::Security"
)]
impl AppPasswordsApi {
    /// The caller's app passwords: names and dates, never the passwords.
    #[oai(path = "/", method = "get")]
    async fn list(&self, auth: SessionAuth) -> ListResponse {
        match self.state.users.app_passwords(auth.caller().user.id).await {
            Ok(found) => ListResponse::Ok(Json(AppPasswordsOut {
                app_passwords: found.into_iter().map(Into::into).collect(),
            })),
            Err(error) => ListResponse::Internal(Problem::internal(&error).json()),
        }
    }

    /// A new password for a music app (the Subsonic API takes these, never the account's own
    /// password); shown once. Needs a recent authentication.
    #[oai(path = "/", method = "post")]
    async fn create(&self, auth: SessionAuth, body: Json<NameIn>) -> AppPasswordResponse {
        let name = match AppPasswordName::parse(&body.0.name) {
            Ok(name) => name,
            Err(error) => {
                return AppPasswordResponse::from_problem(Problem::invalid(
                    "invalid_app_password_name",
                    capitalised(&error),
                ));
            }
        };
        match self
            .state
            .users
            .create_app_password(auth.caller(), name)
            .await
        {
            Ok((app_password, secret)) => AppPasswordResponse::Created(Json(CreatedOut {
                id: app_password.id.as_uuid(),
                name: app_password.name.as_str().to_owned(),
                password: secret.expose().to_owned(),
                created_at: app_password.created_at,
            })),
            Err(error) => error.into(),
        }
    }

    /// Revoke one of the caller's app passwords.
    #[oai(path = "/:id", method = "delete")]
    async fn revoke(&self, auth: SessionAuth, id: Path<uuid::Uuid>) -> AppPasswordResponse {
        match self
            .state
            .users
            .revoke_app_password(auth.caller(), AppPasswordId::from_uuid(id.0))
            .await
        {
            Ok(()) => AppPasswordResponse::Revoked,
            Err(error) => error.into(),
        }
    }
}
