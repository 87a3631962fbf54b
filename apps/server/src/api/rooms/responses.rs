//! One response enum per room operation, each listing exactly the statuses that operation can
//! answer, and the translation of each operation's domain error into it: here the room's own
//! operations, in `vote_responses.rs` votes, skips, suggestions and the queue.

use poem::http::StatusCode;
use poem_openapi::ApiResponse;
use poem_openapi::payload::Json;
use soiree_rooms::{
    CloseRoomError, CreateRoomError, JoinError, KickError, LeaveError, ReadRoomError,
    UpdateRoomError,
};

use super::objects::{CreatedRoomOut, JoinedOut, ParticipantsOut, RoomOut, SnapshotOut};
use crate::problem::{Problem, capitalised, problem_variants};

pub(super) fn problem(
    status: StatusCode,
    code: &str,
    title: &str,
    error: &dyn std::fmt::Display,
) -> Problem {
    Problem::new(status, code, title, capitalised(error))
}

pub(super) fn not_found(error: &dyn std::fmt::Display) -> Problem {
    problem(
        StatusCode::NOT_FOUND,
        "room_not_found",
        "No such room",
        error,
    )
}

pub(super) fn closed(error: &dyn std::fmt::Display) -> Problem {
    problem(StatusCode::CONFLICT, "room_closed", "Room closed", error)
}

pub(super) fn not_participant(error: &dyn std::fmt::Display) -> Problem {
    problem(
        StatusCode::FORBIDDEN,
        "not_a_participant",
        "Not in this room",
        error,
    )
}

pub(super) fn not_host(error: &dyn std::fmt::Display) -> Problem {
    problem(StatusCode::FORBIDDEN, "not_host", "Host only", error)
}

/// A guest voted too often; with the seconds to wait.
pub(super) fn rate_limited(retry_after: std::time::Duration) -> (Problem, u64) {
    let seconds = retry_after.as_secs().max(1);
    let problem = Problem::new(
        StatusCode::TOO_MANY_REQUESTS,
        "rate_limited",
        "Too many votes",
        format!(
            "Guests may vote a limited number of times per two minutes; try again in {seconds} seconds."
        ),
    );
    (problem, seconds)
}

/// The problem a refused read of a room is told as.
pub(super) fn read_problem(error: ReadRoomError) -> Problem {
    match error {
        ReadRoomError::NotFound => not_found(&error),
        ReadRoomError::NotParticipant => not_participant(&error),
        ReadRoomError::Unknown(error) => Problem::internal(&format!("{error:#}")),
    }
}

#[derive(ApiResponse)]
#[oai(bad_request_handler = "CreateResponse::bad_request_handler")]
pub(super) enum CreateResponse {
    /// The room; share its code.
    #[oai(status = 201)]
    Created(Json<CreatedRoomOut>),
    /// `bad_request`: the body could not be read.
    #[oai(status = 400, content_type = "application/problem+json")]
    BadRequest(Json<Problem>),
    /// `unauthenticated`: no valid session.
    #[oai(status = 401, content_type = "application/problem+json")]
    Unauthenticated(Json<Problem>),
    /// `sign_in_to_host`: guests cannot host; `quota_exceeded`: the host has as many rooms open
    /// as their tier allows (close one, or ask the operator for a higher tier).
    #[oai(status = 403, content_type = "application/problem+json")]
    Forbidden(Json<Problem>),
    /// `payload_too_large`.
    #[oai(status = 413, content_type = "application/problem+json")]
    PayloadTooLarge(Json<Problem>),
    /// `unsupported_media_type`.
    #[oai(status = 415, content_type = "application/problem+json")]
    UnsupportedMediaType(Json<Problem>),
    /// `invalid_room_name`, `invalid_threshold`, `invalid_guest_rate`, `invalid_guest_cap`.
    #[oai(status = 422, content_type = "application/problem+json")]
    Invalid(Json<Problem>),
    /// `internal_error`.
    #[oai(status = 500, content_type = "application/problem+json")]
    Internal(Json<Problem>),
}

problem_variants!(CreateResponse {
    400 => BadRequest, 401 => Unauthenticated, 403 => Forbidden, 413 => PayloadTooLarge,
    415 => UnsupportedMediaType, 422 => Invalid, 500 => Internal,
});

impl From<CreateRoomError> for CreateResponse {
    fn from(error: CreateRoomError) -> Self {
        match error {
            CreateRoomError::TooManyOpenRooms { .. } => Self::from_problem(problem(
                StatusCode::FORBIDDEN,
                "quota_exceeded",
                "Quota reached",
                &error,
            )),
            CreateRoomError::NoFreeCode | CreateRoomError::Unknown(_) => {
                Self::Internal(Problem::internal(&format!("{error:#}")).json())
            }
        }
    }
}

#[derive(ApiResponse)]
#[oai(bad_request_handler = "SnapshotResponse::bad_request_handler")]
pub(super) enum SnapshotResponse {
    /// The room now.
    #[oai(status = 200)]
    Ok(Json<SnapshotOut>),
    /// `unauthenticated`: no valid session or guest token.
    #[oai(status = 401, content_type = "application/problem+json")]
    Unauthenticated(Json<Problem>),
    /// `not_a_participant`: join the room first.
    #[oai(status = 403, content_type = "application/problem+json")]
    Forbidden(Json<Problem>),
    /// `room_not_found`.
    #[oai(status = 404, content_type = "application/problem+json")]
    NotFound(Json<Problem>),
    /// `internal_error`.
    #[oai(status = 500, content_type = "application/problem+json")]
    Internal(Json<Problem>),
}

problem_variants!(SnapshotResponse {
    401 => Unauthenticated, 403 => Forbidden, 404 => NotFound, 500 => Internal,
} else internal);

impl From<ReadRoomError> for SnapshotResponse {
    fn from(error: ReadRoomError) -> Self {
        Self::from_problem(read_problem(error))
    }
}

#[derive(ApiResponse)]
#[oai(bad_request_handler = "JoinResponse::bad_request_handler")]
pub(super) enum JoinResponse {
    /// Joined (or already in the room). Guests also get the `soiree_guest` cookie.
    #[oai(status = 200)]
    Joined(
        Json<JoinedOut>,
        #[oai(header = "Set-Cookie")] Option<String>,
    ),
    /// `bad_request`: the body could not be read.
    #[oai(status = 400, content_type = "application/problem+json")]
    BadRequest(Json<Problem>),
    /// `unauthenticated`: the session or guest token presented is not valid (join without one
    /// to join as a guest).
    #[oai(status = 401, content_type = "application/problem+json")]
    Unauthenticated(Json<Problem>),
    /// `guests_not_allowed` (log in first), `removed_from_room`.
    #[oai(status = 403, content_type = "application/problem+json")]
    Forbidden(Json<Problem>),
    /// `room_not_found`.
    #[oai(status = 404, content_type = "application/problem+json")]
    NotFound(Json<Problem>),
    /// `room_closed`; `room_full`: the room holds as many people as its host's tier allows;
    /// `no_guest_places`: it holds as many guests as its host allows (sign in to join).
    #[oai(status = 409, content_type = "application/problem+json")]
    Conflict(Json<Problem>),
    /// `payload_too_large`.
    #[oai(status = 413, content_type = "application/problem+json")]
    PayloadTooLarge(Json<Problem>),
    /// `unsupported_media_type`.
    #[oai(status = 415, content_type = "application/problem+json")]
    UnsupportedMediaType(Json<Problem>),
    /// `invalid_display_name`.
    #[oai(status = 422, content_type = "application/problem+json")]
    Invalid(Json<Problem>),
    /// `internal_error`.
    #[oai(status = 500, content_type = "application/problem+json")]
    Internal(Json<Problem>),
}

problem_variants!(JoinResponse {
    400 => BadRequest, 401 => Unauthenticated, 403 => Forbidden, 404 => NotFound,
    409 => Conflict, 413 => PayloadTooLarge, 415 => UnsupportedMediaType, 422 => Invalid,
    500 => Internal,
});

impl From<JoinError> for JoinResponse {
    fn from(error: JoinError) -> Self {
        let problem = match error {
            JoinError::NotFound => not_found(&error),
            JoinError::Closed => closed(&error),
            JoinError::GuestsNotAllowed => problem(
                StatusCode::FORBIDDEN,
                "guests_not_allowed",
                "Sign-in required",
                &error,
            ),
            JoinError::Removed => problem(
                StatusCode::FORBIDDEN,
                "removed_from_room",
                "Removed",
                &error,
            ),
            JoinError::Full { .. } => {
                problem(StatusCode::CONFLICT, "room_full", "Room full", &error)
            }
            JoinError::NoGuestPlaces { .. } => problem(
                StatusCode::CONFLICT,
                "no_guest_places",
                "No more guests",
                &error,
            ),
            JoinError::Unknown(error) => Problem::internal(&format!("{error:#}")),
        };
        Self::from_problem(problem)
    }
}

impl From<ReadRoomError> for JoinResponse {
    fn from(error: ReadRoomError) -> Self {
        Self::from_problem(read_problem(error))
    }
}

#[derive(ApiResponse)]
#[oai(bad_request_handler = "LeaveResponse::bad_request_handler")]
pub(super) enum LeaveResponse {
    /// Left the room.
    #[oai(status = 204)]
    Left,
    /// `unauthenticated`: no valid session or guest token.
    #[oai(status = 401, content_type = "application/problem+json")]
    Unauthenticated(Json<Problem>),
    /// `not_a_participant`: not in this room.
    #[oai(status = 403, content_type = "application/problem+json")]
    Forbidden(Json<Problem>),
    /// `room_not_found`.
    #[oai(status = 404, content_type = "application/problem+json")]
    NotFound(Json<Problem>),
    /// `internal_error`.
    #[oai(status = 500, content_type = "application/problem+json")]
    Internal(Json<Problem>),
}

problem_variants!(LeaveResponse {
    401 => Unauthenticated, 403 => Forbidden, 404 => NotFound, 500 => Internal,
} else internal);

impl From<LeaveError> for LeaveResponse {
    fn from(error: LeaveError) -> Self {
        let problem = match error {
            LeaveError::NotFound => not_found(&error),
            LeaveError::NotParticipant => not_participant(&error),
            LeaveError::Unknown(error) => Problem::internal(&format!("{error:#}")),
        };
        Self::from_problem(problem)
    }
}

#[derive(ApiResponse)]
#[oai(bad_request_handler = "ParticipantsResponse::bad_request_handler")]
pub(super) enum ParticipantsResponse {
    /// Everyone in the room now; emails only for the host.
    #[oai(status = 200)]
    Ok(Json<ParticipantsOut>),
    /// `unauthenticated`: no valid session or guest token.
    #[oai(status = 401, content_type = "application/problem+json")]
    Unauthenticated(Json<Problem>),
    /// `not_a_participant`: join the room first.
    #[oai(status = 403, content_type = "application/problem+json")]
    Forbidden(Json<Problem>),
    /// `room_not_found`.
    #[oai(status = 404, content_type = "application/problem+json")]
    NotFound(Json<Problem>),
    /// `internal_error`.
    #[oai(status = 500, content_type = "application/problem+json")]
    Internal(Json<Problem>),
}

problem_variants!(ParticipantsResponse {
    401 => Unauthenticated, 403 => Forbidden, 404 => NotFound, 500 => Internal,
} else internal);

impl From<ReadRoomError> for ParticipantsResponse {
    fn from(error: ReadRoomError) -> Self {
        Self::from_problem(read_problem(error))
    }
}

#[derive(ApiResponse)]
#[oai(bad_request_handler = "KickResponse::bad_request_handler")]
pub(super) enum KickResponse {
    /// Removed; they cannot join again.
    #[oai(status = 204)]
    Removed,
    /// `unauthenticated`: no valid session.
    #[oai(status = 401, content_type = "application/problem+json")]
    Unauthenticated(Json<Problem>),
    /// `not_host`.
    #[oai(status = 403, content_type = "application/problem+json")]
    Forbidden(Json<Problem>),
    /// `room_not_found`, `participant_not_found`.
    #[oai(status = 404, content_type = "application/problem+json")]
    NotFound(Json<Problem>),
    /// `internal_error`.
    #[oai(status = 500, content_type = "application/problem+json")]
    Internal(Json<Problem>),
}

problem_variants!(KickResponse {
    401 => Unauthenticated, 403 => Forbidden, 404 => NotFound, 500 => Internal,
} else internal);

impl From<KickError> for KickResponse {
    fn from(error: KickError) -> Self {
        let problem = match error {
            KickError::NotFound => not_found(&error),
            KickError::NotHost => not_host(&error),
            KickError::NoSuchParticipant => problem(
                StatusCode::NOT_FOUND,
                "participant_not_found",
                "No such participant",
                &error,
            ),
            KickError::Unknown(error) => Problem::internal(&format!("{error:#}")),
        };
        Self::from_problem(problem)
    }
}

#[derive(ApiResponse)]
#[oai(bad_request_handler = "UpdateResponse::bad_request_handler")]
pub(super) enum UpdateResponse {
    /// The room after the change.
    #[oai(status = 200)]
    Ok(Json<RoomOut>),
    /// `bad_request`: the body could not be read.
    #[oai(status = 400, content_type = "application/problem+json")]
    BadRequest(Json<Problem>),
    /// `unauthenticated`: no valid session.
    #[oai(status = 401, content_type = "application/problem+json")]
    Unauthenticated(Json<Problem>),
    /// `not_host`.
    #[oai(status = 403, content_type = "application/problem+json")]
    Forbidden(Json<Problem>),
    /// `room_not_found`.
    #[oai(status = 404, content_type = "application/problem+json")]
    NotFound(Json<Problem>),
    /// `room_closed`.
    #[oai(status = 409, content_type = "application/problem+json")]
    Conflict(Json<Problem>),
    /// `payload_too_large`.
    #[oai(status = 413, content_type = "application/problem+json")]
    PayloadTooLarge(Json<Problem>),
    /// `unsupported_media_type`.
    #[oai(status = 415, content_type = "application/problem+json")]
    UnsupportedMediaType(Json<Problem>),
    /// `invalid_room_name`, `invalid_threshold`, `invalid_guest_rate`.
    #[oai(status = 422, content_type = "application/problem+json")]
    Invalid(Json<Problem>),
    /// `internal_error`.
    #[oai(status = 500, content_type = "application/problem+json")]
    Internal(Json<Problem>),
}

problem_variants!(UpdateResponse {
    400 => BadRequest, 401 => Unauthenticated, 403 => Forbidden, 404 => NotFound,
    409 => Conflict, 413 => PayloadTooLarge, 415 => UnsupportedMediaType, 422 => Invalid,
    500 => Internal,
});

impl From<UpdateRoomError> for UpdateResponse {
    fn from(error: UpdateRoomError) -> Self {
        let problem = match error {
            UpdateRoomError::NotFound => not_found(&error),
            UpdateRoomError::NotHost => not_host(&error),
            UpdateRoomError::Closed => closed(&error),
            UpdateRoomError::Unknown(error) => Problem::internal(&format!("{error:#}")),
        };
        Self::from_problem(problem)
    }
}

#[derive(ApiResponse)]
#[oai(bad_request_handler = "CloseResponse::bad_request_handler")]
pub(super) enum CloseResponse {
    /// The room, closed.
    #[oai(status = 200)]
    Ok(Json<RoomOut>),
    /// `unauthenticated`: no valid session.
    #[oai(status = 401, content_type = "application/problem+json")]
    Unauthenticated(Json<Problem>),
    /// `not_host`.
    #[oai(status = 403, content_type = "application/problem+json")]
    Forbidden(Json<Problem>),
    /// `room_not_found`.
    #[oai(status = 404, content_type = "application/problem+json")]
    NotFound(Json<Problem>),
    /// `internal_error`.
    #[oai(status = 500, content_type = "application/problem+json")]
    Internal(Json<Problem>),
}

problem_variants!(CloseResponse {
    401 => Unauthenticated, 403 => Forbidden, 404 => NotFound, 500 => Internal,
} else internal);

impl From<CloseRoomError> for CloseResponse {
    fn from(error: CloseRoomError) -> Self {
        let problem = match error {
            CloseRoomError::NotFound => not_found(&error),
            CloseRoomError::NotHost => not_host(&error),
            CloseRoomError::Unknown(error) => Problem::internal(&format!("{error:#}")),
        };
        Self::from_problem(problem)
    }
}
