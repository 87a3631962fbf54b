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
    /// On a server error: `urn:soiree:request:{id}`, the request's id in the server log, for
    /// telling the operator which request failed.
    #[oai(skip_serializing_if_is_none)]
    pub(crate) instance: Option<String>,
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
            instance: None,
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
    ///
    /// The log line has the whole chain of causes (`{:#}`) and, through the request's span, its
    /// id; the problem carries the same id as its `instance`.
    pub(crate) fn internal(error: &dyn std::fmt::Display) -> Self {
        tracing::error!(error = format!("{error:#}"), "request failed");
        let mut problem = Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_error",
            "Something went wrong on the server",
            "The server could not complete the request. Try again; if it keeps failing, tell the operator the request id in `instance` (the server log has the details).",
        );
        problem.instance =
            crate::request_log::current_id().map(|id| format!("urn:soiree:request:{id}"));
        problem
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut body = serde_json::json!({
            "type": self.problem_type,
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
            "code": self.code,
        });
        if let Some(instance) = self.instance {
            body["instance"] = serde_json::Value::String(instance);
        }
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
    if let Some(problem) = schema_violation(&reason) {
        return problem;
    }
    // poem's own words name Rust types and repeat what the caller sent (an unknown field's
    // name): neither helps, and the second echoes whatever an attacker wrote.
    let what = if reason.contains("unknown field") {
        "The body has a field this operation does not take."
    } else if reason.contains("parse request payload") {
        "The body does not have the expected shape: a field is missing, has the wrong type, or is out of range."
    } else {
        "A parameter is missing or does not have the expected type."
    };
    Problem::bad_request(format!(
        "{what} The expected shape of each request is in /openapi.json."
    ))
}

/// A value that has the right type but breaks a rule the document states (a length, a pattern,
/// a range), as the problem the domain would have answered: the same code and words.
fn schema_violation(reason: &str) -> Option<Problem> {
    // A `Checked` field names its rule's problem code itself; the rule has the words.
    if let Some((code, detail)) = reason
        .split_once("rule `")
        .and_then(|(_, rest)| rest.split_once("` broken"))
        .and_then(|(code, _)| crate::api::checked::detail_of(code).map(|detail| (code, detail)))
    {
        return Some(Problem::invalid(code, detail));
    }
    let field = reason
        .split_once("field `")
        .and_then(|(_, rest)| rest.split_once("` verification failed"))
        .map(|(field, _)| field)
        .or_else(|| {
            reason
                .split_once("parameter `")
                .filter(|(_, rest)| rest.contains("verification failed"))
                .and_then(|(_, rest)| rest.split_once('`'))
                .map(|(field, _)| field)
        })?;
    let object = reason
        .split_once("failed to parse \"")
        .and_then(|(_, rest)| rest.split_once('"'))
        .map_or("", |(object, _)| object);
    let (code, detail) = match (object, field) {
        (_, "username") => (
            "invalid_username",
            "A username has 3 to 32 characters: letters, digits, '.', '_' or '-', starting with a letter or a digit.",
        ),
        (_, "password") => (
            "weak_password",
            "A password has 8 to 1024 characters; a few words make a long one that is easy to remember.",
        ),
        (_, "email") => (
            "invalid_email",
            "An email address looks like name@example.org and has at most 254 characters.",
        ),
        (_, "display_name") => (
            "invalid_display_name",
            "A display name has 1 to 64 characters and no control characters.",
        ),
        (_, "language") => (
            "invalid_language",
            "A language is a BCP 47 tag such as \"en\", \"fr-CA\" or \"zh-Hant-TW\".",
        ),
        (_, "timezone") => (
            "invalid_timezone",
            "A time zone is an IANA name such as \"Europe/Paris\", \"America/New_York\" or \"UTC\".",
        ),
        (_, "name") => (
            "invalid_room_name",
            "A room name has 1 to 80 characters and no control characters.",
        ),
        (_, "client_id") => (
            "invalid_client_id",
            "A client id is 1 to 255 characters without spaces, as shown in the provider's developer dashboard.",
        ),
        (_, "client_secret") => (
            "invalid_client_secret",
            "A client secret is 1 to 255 characters without spaces, as shown in the provider's developer dashboard.",
        ),
        (_, "like_threshold" | "like_threshold_share") => (
            "invalid_threshold",
            "A like threshold is a whole number from 1 to 10000, or a share of those present above 0 and at most 1 (such as 0.5).",
        ),
        (_, "max_guests") => (
            "invalid_guest_cap",
            "max_guests is a whole number from 1 to 10000.",
        ),
        (_, "guest_votes_per_2min") => (
            "invalid_guest_rate",
            "guest_votes_per_2min is a whole number from 1 to 1000.",
        ),
        (_, "device_id") => (
            "invalid_device",
            "A device id has 1 to 255 characters, as GET /api/v1/player/devices lists them.",
        ),
        _ => (
            "invalid_value",
            "A value breaks a rule of the document (a length, a pattern or a range).",
        ),
    };
    let detail = if code == "invalid_value" {
        format!("`{field}`: {detail} The rules are in /openapi.json.")
    } else {
        detail.to_owned()
    };
    Some(Problem::invalid(code, detail))
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

            #[allow(dead_code)] // Operations without a body have nothing to refuse.
            pub(crate) fn bad_request_handler(error: poem::Error) -> Self {
                Self::from_problem($crate::problem::problem_for_unreadable_request(&error))
            }
        }
    };
}
pub(crate) use problem_variants;
