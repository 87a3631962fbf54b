//! RFC 9457 problem documents: every error the API returns is one, with a stable `code`.
//!
//! Operations return their own `ApiResponse` enums whose error variants carry a [`Problem`];
//! errors raised outside an operation (authentication, routing, unreadable bodies, panics of
//! logic) are turned into problem documents by [`into_problem_response`], so no caller ever sees
//! a plain-text error or an internal message.

use poem::http::StatusCode;
use poem::{IntoResponse, Response};
use poem_openapi::Object;
use poem_openapi::payload::Json;

/// The media type of problem documents.
pub(crate) const PROBLEM_JSON: &str = "application/problem+json";

/// A problem document (RFC 9457).
#[derive(Object, Debug, Clone, PartialEq, Eq)]
pub(crate) struct Problem {
    /// Names the kind of problem: `urn:soiree:problem:{code}`.
    #[oai(rename = "type")]
    pub(crate) problem_type: String,
    /// A short summary of the kind of problem.
    pub(crate) title: String,
    /// The HTTP status code.
    pub(crate) status: u16,
    /// What happened and what to do about it.
    pub(crate) detail: String,
    /// A stable, machine-readable code, such as `username_taken` or `unauthenticated`.
    pub(crate) code: String,
}

impl Problem {
    /// A problem with this status, code, title and detail.
    pub(crate) fn new(
        status: StatusCode,
        code: &str,
        title: &str,
        detail: impl Into<String>,
    ) -> Self {
        Self {
            problem_type: format!("urn:soiree:problem:{code}"),
            title: title.to_owned(),
            status: status.as_u16(),
            detail: detail.into(),
            code: code.to_owned(),
        }
    }

    /// The body of a response variant.
    pub(crate) fn json(self) -> Json<Problem> {
        Json(self)
    }

    /// 400: the request could not be read.
    pub(crate) fn bad_request(detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "bad_request",
            "The request could not be read",
            detail,
        )
    }

    /// 422: the request was read but a value is not acceptable.
    pub(crate) fn invalid(code: &str, detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            code,
            "A value is not acceptable",
            detail,
        )
    }

    /// 401: no valid session.
    pub(crate) fn unauthenticated() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
            "Not logged in",
            "The session is missing, expired or was logged out; log in again (POST /api/v1/auth/login).",
        )
    }

    /// 500: a bug or an outage. The cause goes to the log, never to the caller.
    pub(crate) fn internal(error: &dyn std::fmt::Display) -> Self {
        tracing::error!(%error, "request failed");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_error",
            "Something went wrong on the server",
            "The server could not complete the request. Try again; if it keeps failing, tell the operator (the server log has the details).",
        )
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = serde_json::json!({
            "type": self.problem_type,
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
            "code": self.code,
        });
        Response::builder()
            .status(status)
            .content_type(PROBLEM_JSON)
            .body(body.to_string())
    }
}

/// A [`Problem`] as a `poem::Error`, for code that must fail with an error rather than return a
/// response (security-scheme checkers, middleware).
#[derive(Debug, thiserror::Error)]
#[error("{}", .0.detail)]
pub(crate) struct ProblemError(pub(crate) Problem);

impl poem::error::ResponseError for ProblemError {
    fn status(&self) -> StatusCode {
        StatusCode::from_u16(self.0.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    fn as_response(&self) -> Response {
        self.0.clone().into_response()
    }
}

/// What an operation's bad-request handler receives: any error raised while extracting the
/// request (its authentication included), as the problem the caller should see. The operation's
/// response enum then picks the variant whose status matches [`Problem::status`].
///
/// For unreadable input, the reason poem gives (a missing field, a wrong type, an unknown field)
/// is safe to show and tells the caller what to fix.
pub(crate) fn problem_for_unreadable_request(error: &poem::Error) -> Problem {
    if let Some(ProblemError(problem)) = error.downcast_ref::<ProblemError>() {
        return problem.clone();
    }
    match error.status() {
        StatusCode::UNAUTHORIZED => return Problem::unauthenticated(),
        StatusCode::PAYLOAD_TOO_LARGE => return payload_too_large(),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => return unsupported_media_type(),
        status if status.is_server_error() => return Problem::internal(error),
        _ => {}
    }
    let reason = error.to_string();
    let reason = reason.trim_end_matches('.');
    Problem::bad_request(format!(
        "{reason}. The expected shape of each request is in /openapi.json."
    ))
}

/// 413: the body is over [`crate::body_limit::MAX_BODY_BYTES`].
pub(crate) fn payload_too_large() -> Problem {
    Problem::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
        "The request body is too large",
        "Request bodies are limited to 1 MiB; send less.",
    )
}

fn unsupported_media_type() -> Problem {
    Problem::new(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
        "The request body has the wrong media type",
        "Send the body as JSON with the header Content-Type: application/json.",
    )
}

/// Turns any error that escaped an operation into a problem document.
pub(crate) fn into_problem_response(error: poem::Error) -> Response {
    if let Some(ProblemError(problem)) = error.downcast_ref::<ProblemError>() {
        return problem.clone().into_response();
    }
    // An operation's own error response (one of its ApiResponse variants, already a problem
    // document) travels as an error only to leave the operation; it passes through unchanged.
    if error.is_from_response() {
        return error.into_response();
    }
    let problem = match error.status() {
        StatusCode::UNAUTHORIZED => Problem::unauthenticated(),
        StatusCode::NOT_FOUND => Problem::new(
            StatusCode::NOT_FOUND,
            "not_found",
            "Not found",
            "Nothing is at this address; the API's routes are listed in /openapi.json and at /docs.",
        ),
        StatusCode::METHOD_NOT_ALLOWED => Problem::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            "Method not allowed",
            "This address does not accept this HTTP method; see /openapi.json for the ones it does.",
        ),
        StatusCode::PAYLOAD_TOO_LARGE => payload_too_large(),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => unsupported_media_type(),
        _ => problem_for_unreadable_request(&error),
    };
    problem.into_response()
}

/// A domain error message as a sentence.
pub(crate) fn capitalised(error: &dyn std::fmt::Display) -> String {
    let mut text = error.to_string();
    if let Some(first) = text.get_mut(0..1) {
        first.make_ascii_uppercase();
    }
    if !text.ends_with('.') {
        text.push('.');
    }
    text
}

/// Gives an operation's response enum `from_problem`, which picks the variant for a problem's
/// status, and `bad_request_handler`, for `#[oai(bad_request_handler = "...")]`. A status the
/// operation does not document becomes its 400 variant (or, with `else internal`, for operations
/// that read no body, its 500 variant: reaching it is a bug), so the response always matches the
/// OpenAPI document.
macro_rules! problem_variants {
    ($response:ident { $($status:literal => $variant:ident),+ $(,)? }) => {
        $crate::problem::problem_variants!(@impl $response { $($status => $variant),+ }
            |problem| Self::BadRequest($crate::problem::Problem::bad_request(problem.detail).json()));
    };
    ($response:ident { $($status:literal => $variant:ident),+ $(,)? } else internal) => {
        $crate::problem::problem_variants!(@impl $response { $($status => $variant),+ }
            |problem| Self::Internal($crate::problem::Problem::internal(
                &format!("an operation met a status it does not document ({}): {}", problem.status, problem.detail)
            ).json()));
    };
    (@impl $response:ident { $($status:literal => $variant:ident),+ } |$problem:ident| $fallback:expr) => {
        impl $response {
            #[allow(dead_code)] // Some operations only use it from their bad-request handler.
            pub(crate) fn from_problem($problem: $crate::problem::Problem) -> Self {
                match $problem.status {
                    $($status => Self::$variant($problem.json()),)+
                    _ => $fallback,
                }
            }

            pub(crate) fn bad_request_handler(error: poem::Error) -> Self {
                Self::from_problem($crate::problem::problem_for_unreadable_request(&error))
            }
        }
    };
}
pub(crate) use problem_variants;
