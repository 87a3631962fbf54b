//! The response enums of votes, skips, suggestions and the queue (see `responses.rs`).

use poem::http::StatusCode;
use poem_openapi::ApiResponse;
use poem_openapi::payload::Json;
use soiree_rooms::ReadRoomError;
use soiree_voting::{CastVoteError, RetractVoteError, SearchTracksError, SkipError, SuggestError};

use super::objects::{QueueOut, SkipOut, SuggestionOut, TracksOut, VoteOut};
use super::playback::playback_problem;
use super::responses::{closed, not_found, not_participant, problem, rate_limited, read_problem};
use crate::problem::{Problem, problem_variants};

#[derive(ApiResponse)]
#[oai(bad_request_handler = "VoteResponse::bad_request_handler")]
pub(super) enum VoteResponse {
    /// The track's votes after this one.
    #[oai(status = 200)]
    Ok(Json<VoteOut>),
    /// `bad_request`: the body could not be read.
    #[oai(status = 400, content_type = "application/problem+json")]
    BadRequest(Json<Problem>),
    /// `unauthenticated`: no valid session or guest token.
    #[oai(status = 401, content_type = "application/problem+json")]
    Unauthenticated(Json<Problem>),
    /// `not_a_participant`: join the room first.
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
    /// `invalid_track`.
    #[oai(status = 422, content_type = "application/problem+json")]
    Invalid(Json<Problem>),
    /// `rate_limited`: a guest voted too often; `Retry-After` says when to try again.
    #[oai(status = 429, content_type = "application/problem+json")]
    TooManyRequests(Json<Problem>, #[oai(header = "Retry-After")] u64),
    /// `internal_error`.
    #[oai(status = 500, content_type = "application/problem+json")]
    Internal(Json<Problem>),
}

problem_variants!(VoteResponse {
    400 => BadRequest, 401 => Unauthenticated, 403 => Forbidden, 404 => NotFound,
    409 => Conflict, 413 => PayloadTooLarge, 415 => UnsupportedMediaType, 422 => Invalid,
    500 => Internal,
});

impl From<CastVoteError> for VoteResponse {
    fn from(error: CastVoteError) -> Self {
        let problem = match error {
            CastVoteError::NotFound => not_found(&error),
            CastVoteError::NotParticipant => not_participant(&error),
            CastVoteError::Closed => closed(&error),
            CastVoteError::RateLimited { retry_after } => {
                let (problem, seconds) = rate_limited(retry_after);
                return Self::TooManyRequests(problem.json(), seconds);
            }
            CastVoteError::Unknown(error) => Problem::internal(&format!("{error:#}")),
        };
        Self::from_problem(problem)
    }
}

#[derive(ApiResponse)]
#[oai(bad_request_handler = "RetractResponse::bad_request_handler")]
pub(super) enum RetractResponse {
    /// The track's votes without the caller's.
    #[oai(status = 200)]
    Ok(Json<VoteOut>),
    /// `unauthenticated`: no valid session or guest token.
    #[oai(status = 401, content_type = "application/problem+json")]
    Unauthenticated(Json<Problem>),
    /// `not_a_participant`: join the room first.
    #[oai(status = 403, content_type = "application/problem+json")]
    Forbidden(Json<Problem>),
    /// `room_not_found`, `vote_not_found`.
    #[oai(status = 404, content_type = "application/problem+json")]
    NotFound(Json<Problem>),
    /// `room_closed`.
    #[oai(status = 409, content_type = "application/problem+json")]
    Conflict(Json<Problem>),
    /// `invalid_track`.
    #[oai(status = 422, content_type = "application/problem+json")]
    Invalid(Json<Problem>),
    /// `rate_limited`: a guest voted too often; `Retry-After` says when to try again.
    #[oai(status = 429, content_type = "application/problem+json")]
    TooManyRequests(Json<Problem>, #[oai(header = "Retry-After")] u64),
    /// `internal_error`.
    #[oai(status = 500, content_type = "application/problem+json")]
    Internal(Json<Problem>),
}

problem_variants!(RetractResponse {
    401 => Unauthenticated, 403 => Forbidden, 404 => NotFound, 409 => Conflict,
    422 => Invalid, 500 => Internal,
} else internal);

impl From<RetractVoteError> for RetractResponse {
    fn from(error: RetractVoteError) -> Self {
        let problem = match error {
            RetractVoteError::NotFound => not_found(&error),
            RetractVoteError::NotParticipant => not_participant(&error),
            RetractVoteError::Closed => closed(&error),
            RetractVoteError::NoVote => {
                problem(StatusCode::NOT_FOUND, "vote_not_found", "No vote", &error)
            }
            RetractVoteError::RateLimited { retry_after } => {
                let (problem, seconds) = rate_limited(retry_after);
                return Self::TooManyRequests(problem.json(), seconds);
            }
            RetractVoteError::Unknown(error) => Problem::internal(&format!("{error:#}")),
        };
        Self::from_problem(problem)
    }
}

#[derive(ApiResponse)]
#[oai(bad_request_handler = "QueueResponse::bad_request_handler")]
pub(super) enum QueueResponse {
    /// The playing track, ready tracks in play order, then candidates by net score.
    #[oai(status = 200)]
    Ok(Json<QueueOut>),
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

problem_variants!(QueueResponse {
    401 => Unauthenticated, 403 => Forbidden, 404 => NotFound, 500 => Internal,
} else internal);

impl From<ReadRoomError> for QueueResponse {
    fn from(error: ReadRoomError) -> Self {
        Self::from_problem(read_problem(error))
    }
}

#[derive(ApiResponse)]
#[oai(bad_request_handler = "RoomRecommendationsResponse::bad_request_handler")]
pub(super) enum RoomRecommendationsResponse {
    /// What you may like that the room could play, best first (not what it queued already).
    #[oai(status = 200)]
    Ok(Json<crate::api::RecommendationsOut>),
    /// `unauthenticated`: no valid session or guest token.
    #[oai(status = 401, content_type = "application/problem+json")]
    Unauthenticated(Json<Problem>),
    /// `not_a_participant`: join the room first; `sign_in_for_recommendations`: guests have no
    /// likes to go by.
    #[oai(status = 403, content_type = "application/problem+json")]
    Forbidden(Json<Problem>),
    /// `room_not_found`.
    #[oai(status = 404, content_type = "application/problem+json")]
    NotFound(Json<Problem>),
    /// `recommendations_off`: you switched them off in your settings.
    #[oai(status = 409, content_type = "application/problem+json")]
    Conflict(Json<Problem>),
    /// `internal_error`.
    #[oai(status = 500, content_type = "application/problem+json")]
    Internal(Json<Problem>),
}

problem_variants!(RoomRecommendationsResponse {
    401 => Unauthenticated, 403 => Forbidden, 404 => NotFound, 409 => Conflict, 500 => Internal,
} else internal);

impl From<ReadRoomError> for RoomRecommendationsResponse {
    fn from(error: ReadRoomError) -> Self {
        Self::from_problem(read_problem(error))
    }
}

#[derive(ApiResponse)]
#[oai(bad_request_handler = "SkipResponse::bad_request_handler")]
pub(super) enum SkipResponse {
    /// Skip votes now; at the threshold the host's player moves on.
    #[oai(status = 200)]
    Ok(Json<SkipOut>),
    /// `unauthenticated`: no valid session or guest token.
    #[oai(status = 401, content_type = "application/problem+json")]
    Unauthenticated(Json<Problem>),
    /// `not_a_participant`: join the room first.
    #[oai(status = 403, content_type = "application/problem+json")]
    Forbidden(Json<Problem>),
    /// `room_not_found`.
    #[oai(status = 404, content_type = "application/problem+json")]
    NotFound(Json<Problem>),
    /// `room_closed`, `nothing_playing`.
    #[oai(status = 409, content_type = "application/problem+json")]
    Conflict(Json<Problem>),
    /// `rate_limited`: a guest voted too often; `Retry-After` says when to try again.
    #[oai(status = 429, content_type = "application/problem+json")]
    TooManyRequests(Json<Problem>, #[oai(header = "Retry-After")] u64),
    /// `internal_error`.
    #[oai(status = 500, content_type = "application/problem+json")]
    Internal(Json<Problem>),
}

problem_variants!(SkipResponse {
    401 => Unauthenticated, 403 => Forbidden, 404 => NotFound, 409 => Conflict,
    500 => Internal,
} else internal);

impl From<SkipError> for SkipResponse {
    fn from(error: SkipError) -> Self {
        let problem = match error {
            SkipError::NotFound => not_found(&error),
            SkipError::NotParticipant => not_participant(&error),
            SkipError::Closed => closed(&error),
            SkipError::NothingPlaying => problem(
                StatusCode::CONFLICT,
                "nothing_playing",
                "Nothing playing",
                &error,
            ),
            SkipError::RateLimited { retry_after } => {
                let (problem, seconds) = rate_limited(retry_after);
                return Self::TooManyRequests(problem.json(), seconds);
            }
            SkipError::Unknown(error) => Problem::internal(&format!("{error:#}")),
        };
        Self::from_problem(problem)
    }
}

#[derive(ApiResponse)]
#[oai(bad_request_handler = "SuggestionResponse::bad_request_handler")]
pub(super) enum SuggestionResponse {
    /// The suggested track, with the caller's like.
    #[oai(status = 200)]
    Ok(Json<SuggestionOut>),
    /// `unauthenticated`: no valid session or guest token.
    #[oai(status = 401, content_type = "application/problem+json")]
    Unauthenticated(Json<Problem>),
    /// `not_a_participant`, `sign_in_to_suggest` (guests have no liked tracks),
    /// `premium_required`.
    #[oai(status = 403, content_type = "application/problem+json")]
    Forbidden(Json<Problem>),
    /// `room_not_found`.
    #[oai(status = 404, content_type = "application/problem+json")]
    NotFound(Json<Problem>),
    /// `room_closed`, `no_liked_tracks`, or the caller's Spotify: `not_connected`,
    /// `needs_reconnect`, `no_active_device`, `command_refused`.
    #[oai(status = 409, content_type = "application/problem+json")]
    Conflict(Json<Problem>),
    /// `rate_limited`: Spotify asks to wait; `Retry-After` says how long.
    #[oai(status = 429, content_type = "application/problem+json")]
    TooManyRequests(Json<Problem>, #[oai(header = "Retry-After")] u64),
    /// `internal_error`.
    #[oai(status = 500, content_type = "application/problem+json")]
    Internal(Json<Problem>),
    /// `provider_unavailable`: Spotify could not be reached; try again in a moment.
    #[oai(status = 503, content_type = "application/problem+json")]
    Unavailable(Json<Problem>),
}

problem_variants!(SuggestionResponse {
    401 => Unauthenticated, 403 => Forbidden, 404 => NotFound, 409 => Conflict,
    500 => Internal, 503 => Unavailable,
} else internal);

impl From<SuggestError> for SuggestionResponse {
    fn from(error: SuggestError) -> Self {
        let problem = match error {
            SuggestError::NotFound => not_found(&error),
            SuggestError::NotParticipant => not_participant(&error),
            SuggestError::Closed => closed(&error),
            SuggestError::GuestCannotSuggest => problem(
                StatusCode::FORBIDDEN,
                "sign_in_to_suggest",
                "Sign in to suggest",
                &error,
            ),
            SuggestError::NoLikedTracks => problem(
                StatusCode::CONFLICT,
                "no_liked_tracks",
                "No liked tracks",
                &error,
            ),
            SuggestError::Provider(failure) => match playback_problem(failure) {
                (problem, Some(seconds)) => return Self::TooManyRequests(problem.json(), seconds),
                (problem, None) => problem,
            },
            SuggestError::Unknown(error) => Problem::internal(&format!("{error:#}")),
        };
        Self::from_problem(problem)
    }
}

#[derive(ApiResponse)]
#[oai(bad_request_handler = "SearchResponse::bad_request_handler")]
pub(super) enum SearchResponse {
    /// Tracks of the host's catalogue, best first (at most ten).
    #[oai(status = 200)]
    Ok(Json<TracksOut>),
    /// `bad_request`: `q` is missing.
    #[oai(status = 400, content_type = "application/problem+json")]
    BadRequest(Json<Problem>),
    /// `unauthenticated`: no valid session or guest token.
    #[oai(status = 401, content_type = "application/problem+json")]
    Unauthenticated(Json<Problem>),
    /// `not_a_participant`; `premium_required` (the host's Spotify).
    #[oai(status = 403, content_type = "application/problem+json")]
    Forbidden(Json<Problem>),
    /// `room_not_found`.
    #[oai(status = 404, content_type = "application/problem+json")]
    NotFound(Json<Problem>),
    /// `room_closed`, or the host's Spotify: `not_connected`, `needs_reconnect`,
    /// `command_refused`.
    #[oai(status = 409, content_type = "application/problem+json")]
    Conflict(Json<Problem>),
    /// `invalid_query`: nothing to search for.
    #[oai(status = 422, content_type = "application/problem+json")]
    Invalid(Json<Problem>),
    /// `rate_limited`: Spotify asks to wait; `Retry-After` says how long.
    #[oai(status = 429, content_type = "application/problem+json")]
    TooManyRequests(Json<Problem>, #[oai(header = "Retry-After")] u64),
    /// `internal_error`.
    #[oai(status = 500, content_type = "application/problem+json")]
    Internal(Json<Problem>),
    /// `provider_unavailable`: Spotify could not be reached; try again in a moment.
    #[oai(status = 503, content_type = "application/problem+json")]
    Unavailable(Json<Problem>),
}

problem_variants!(SearchResponse {
    400 => BadRequest, 401 => Unauthenticated, 403 => Forbidden, 404 => NotFound,
    409 => Conflict, 422 => Invalid, 500 => Internal, 503 => Unavailable,
});

impl From<SearchTracksError> for SearchResponse {
    fn from(error: SearchTracksError) -> Self {
        let problem = match error {
            SearchTracksError::NotFound => not_found(&error),
            SearchTracksError::NotParticipant => not_participant(&error),
            SearchTracksError::Closed => closed(&error),
            SearchTracksError::Provider(failure) => match playback_problem(failure) {
                (problem, Some(seconds)) => return Self::TooManyRequests(problem.json(), seconds),
                (problem, None) => problem,
            },
            SearchTracksError::Unknown(error) => Problem::internal(&format!("{error:#}")),
        };
        Self::from_problem(problem)
    }
}
