//! The caller's sessions and password: `GET /api/v1/me/sessions`, `DELETE
//! /api/v1/me/sessions/{id}`, `DELETE /api/v1/me/sessions` (every other one), and `PUT
//! /api/v1/me/password`.

use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi, Tags};
use secrecy::SecretString;
use soiree_users::{ChangePasswordError, Password, RevokeSessionError, Session, SessionId};

use crate::auth::SessionAuth;
use crate::problem::{Problem, capitalised, problem_variants};
use crate::state::AppState;

#[derive(Tags)]
enum SessionTags {
    /// The caller's sessions and password.
    Security,
}

/// A session of the caller's.
#[derive(Object, Debug)]
#[oai(rename = "Session")]
struct SessionOut {
    id: String,
    /// The browser or program it was opened with, as it described itself.
    #[oai(skip_serializing_if_is_none)]
    device: Option<String>,
    /// The address it was opened from.
    #[oai(skip_serializing_if_is_none)]
    address: Option<String>,
    created_at: chrono::DateTime<chrono::Utc>,
    /// When it was last used (to within a minute).
    last_used_at: chrono::DateTime<chrono::Utc>,
    /// Whether this is the session making this request.
    current: bool,
}

impl SessionOut {
    fn of(session: Session, current: SessionId) -> Self {
        Self {
            id: session.id.as_uuid().to_string(),
            current: session.id == current,
            device: session.client.device,
            address: session.client.address,
            created_at: session.created_at,
            last_used_at: session.last_seen_at,
        }
    }
}

#[derive(Object, Debug)]
struct SessionsOut {
    /// The active ones, most recently used first.
    sessions: Vec<SessionOut>,
}

#[derive(Object, Debug)]
struct RevokedOut {
    /// How many sessions ended.
    revoked: u64,
}

/// A new password.
#[derive(Object)]
#[oai(rename = "PasswordChange", deny_unknown_fields)]
struct PasswordChangeIn {
    /// The password in use now.
    #[oai(
        write_only,
        validator(max_length = 1024),
        deserialize_with = "crate::api::strict::text"
    )]
    current_password: String,
    /// 8 to 1024 characters, not one of the most common passwords nor the username.
    #[oai(
        write_only,
        validator(min_length = 8, max_length = 1024),
        deserialize_with = "crate::api::strict::text"
    )]
    new_password: String,
}

#[derive(ApiResponse)]
enum SessionsResponse {
    /// The caller's active sessions.
    #[oai(status = 200)]
    Ok(Json<SessionsOut>),
    /// `unauthenticated`.
    #[oai(status = 401, content_type = "application/problem+json")]
    #[allow(dead_code)] // Listed for the OpenAPI document; the security scheme raises it.
    Unauthenticated(Json<Problem>),
    /// `internal_error`.
    #[oai(status = 500, content_type = "application/problem+json")]
    Internal(Json<Problem>),
}

#[derive(ApiResponse)]
#[oai(bad_request_handler = "RevokeResponse::bad_request_handler")]
enum RevokeResponse {
    /// Ended: its token no longer works, and its room sockets close.
    #[oai(status = 204)]
    Revoked,
    /// `bad_request`: the id is not a session id.
    #[oai(status = 400, content_type = "application/problem+json")]
    BadRequest(Json<Problem>),
    /// `unauthenticated`.
    #[oai(status = 401, content_type = "application/problem+json")]
    Unauthenticated(Json<Problem>),
    /// `session_not_found`: no such session among the caller's.
    #[oai(status = 404, content_type = "application/problem+json")]
    NotFound(Json<Problem>),
    /// `internal_error`.
    #[oai(status = 500, content_type = "application/problem+json")]
    Internal(Json<Problem>),
}

problem_variants!(RevokeResponse {
    400 => BadRequest, 401 => Unauthenticated, 404 => NotFound, 500 => Internal,
});

#[derive(ApiResponse)]
enum RevokeOthersResponse {
    /// Every other session ended.
    #[oai(status = 200)]
    Ok(Json<RevokedOut>),
    /// `unauthenticated`.
    #[oai(status = 401, content_type = "application/problem+json")]
    #[allow(dead_code)] // Listed for the OpenAPI document; the security scheme raises it.
    Unauthenticated(Json<Problem>),
    /// `internal_error`.
    #[oai(status = 500, content_type = "application/problem+json")]
    Internal(Json<Problem>),
}

#[derive(ApiResponse)]
#[oai(bad_request_handler = "PasswordResponse::bad_request_handler")]
enum PasswordResponse {
    /// Changed; every other session ended (this one goes on).
    #[oai(status = 200)]
    Ok(Json<RevokedOut>),
    /// `bad_request`: the body is not the expected JSON.
    #[oai(status = 400, content_type = "application/problem+json")]
    BadRequest(Json<Problem>),
    /// `unauthenticated`.
    #[oai(status = 401, content_type = "application/problem+json")]
    Unauthenticated(Json<Problem>),
    /// `wrong_password`: the current password is wrong, or there were too many wrong attempts
    /// (one answer for both, as at login).
    #[oai(status = 403, content_type = "application/problem+json")]
    Forbidden(Json<Problem>),
    /// `payload_too_large`.
    #[oai(status = 413, content_type = "application/problem+json")]
    PayloadTooLarge(Json<Problem>),
    /// `unsupported_media_type`.
    #[oai(status = 415, content_type = "application/problem+json")]
    UnsupportedMediaType(Json<Problem>),
    /// `weak_password`: the new password breaks the policy.
    #[oai(status = 422, content_type = "application/problem+json")]
    Invalid(Json<Problem>),
    /// `internal_error`.
    #[oai(status = 500, content_type = "application/problem+json")]
    Internal(Json<Problem>),
}

problem_variants!(PasswordResponse {
    400 => BadRequest, 401 => Unauthenticated, 403 => Forbidden, 413 => PayloadTooLarge,
    415 => UnsupportedMediaType, 422 => Invalid, 500 => Internal,
});

/// The caller's sessions and password.
pub(crate) struct SessionsApi {
    pub(crate) state: AppState,
}

#[OpenApi(prefix_path = "/api/v1/me", tag = "SessionTags::Security")]
impl SessionsApi {
    /// The caller's active sessions: where each was opened, when it was last used, and which one
    /// is making this request.
    #[oai(path = "/sessions", method = "get")]
    async fn sessions(&self, auth: SessionAuth) -> SessionsResponse {
        let caller = auth.caller();
        match self.state.users.sessions(caller.user.id).await {
            Ok(sessions) => SessionsResponse::Ok(Json(SessionsOut {
                sessions: sessions
                    .into_iter()
                    .map(|session| SessionOut::of(session, caller.session.id))
                    .collect(),
            })),
            Err(error) => SessionsResponse::Internal(Problem::internal(&error).json()),
        }
    }

    /// End one of the caller's sessions (a lost phone, a shared computer).
    #[oai(path = "/sessions/:id", method = "delete")]
    async fn revoke(&self, auth: SessionAuth, id: Path<uuid::Uuid>) -> RevokeResponse {
        let caller = auth.caller();
        match self
            .state
            .users
            .revoke_session(caller.user.id, SessionId::from_uuid(id.0))
            .await
        {
            // Its sockets close when the revocation is announced, as at logout.
            Ok(()) => RevokeResponse::Revoked,
            Err(error @ RevokeSessionError::NotFound) => {
                RevokeResponse::from_problem(Problem::new(
                    poem::http::StatusCode::NOT_FOUND,
                    "session_not_found",
                    "No such session",
                    capitalised(&error),
                ))
            }
            Err(RevokeSessionError::Unknown(error)) => {
                RevokeResponse::from_problem(Problem::internal(&error))
            }
        }
    }

    /// End every session of the caller's but this one.
    #[oai(path = "/sessions", method = "delete")]
    async fn revoke_others(&self, auth: SessionAuth) -> RevokeOthersResponse {
        let caller = auth.caller();
        match self
            .state
            .users
            .revoke_other_sessions(caller.user.id, caller.session.id)
            .await
        {
            Ok(revoked) => RevokeOthersResponse::Ok(Json(RevokedOut {
                revoked: revoked as u64,
            })),
            Err(error) => RevokeOthersResponse::Internal(Problem::internal(&error).json()),
        }
    }

    /// Change the caller's password: the current one is needed, and every other session ends.
    #[oai(path = "/password", method = "put")]
    async fn change_password(
        &self,
        auth: SessionAuth,
        body: Json<PasswordChangeIn>,
    ) -> PasswordResponse {
        let caller = auth.caller();
        let new = match Password::parse(
            SecretString::from(body.0.new_password),
            &caller.user.username,
        ) {
            Ok(password) => password,
            Err(error) => {
                return PasswordResponse::from_problem(Problem::invalid(
                    "weak_password",
                    capitalised(&error),
                ));
            }
        };
        let current = SecretString::from(body.0.current_password);
        match self
            .state
            .users
            .change_password(caller, &current, new)
            .await
        {
            Ok(revoked) => PasswordResponse::Ok(Json(RevokedOut {
                revoked: revoked as u64,
            })),
            Err(error @ ChangePasswordError::WrongPassword) => {
                PasswordResponse::from_problem(Problem::new(
                    poem::http::StatusCode::FORBIDDEN,
                    "wrong_password",
                    "Wrong password",
                    capitalised(&error),
                ))
            }
            Err(ChangePasswordError::NotFound) => {
                PasswordResponse::from_problem(Problem::unauthenticated())
            }
            Err(ChangePasswordError::Unknown(error)) => {
                PasswordResponse::from_problem(Problem::internal(&error))
            }
        }
    }
}
