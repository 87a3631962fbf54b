//! Two-step login, step-up and the security log: `GET /api/v1/auth/mfa`, `POST|DELETE
//! /api/v1/auth/mfa/totp`, `POST /api/v1/auth/mfa/totp/confirm`, `POST
//! /api/v1/auth/mfa/recovery-codes`, `POST /api/v1/auth/reauthenticate`, `GET
//! /api/v1/me/security-events` and `POST /api/v1/me/security-events/acknowledge`.

use chrono::{DateTime, Utc};
use poem::http::StatusCode;
use poem_openapi::param::Query;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi, Tags};
use secrecy::{ExposeSecret as _, SecretString};
use soiree_users::{MfaError, ReauthenticateError, RecoveryCode, SecurityEvent, StepUpError};

use crate::auth::SessionAuth;
use crate::problem::{Problem, capitalised, problem_variants};
use crate::state::AppState;

#[derive(Tags)]
enum SecurityTags {
    /// Two-step login, re-authentication and the security log.
    Security,
}

/// Whether two-step login is on.
#[derive(Object, Debug)]
#[oai(rename = "MfaStatus")]
struct MfaStatusOut {
    /// Login asks for a code from an authenticator app.
    enabled: bool,
    /// Since when.
    #[oai(skip_serializing_if_is_none)]
    enabled_at: Option<DateTime<Utc>>,
    /// Recovery codes not used yet.
    recovery_codes_left: u32,
}

/// What an authenticator app needs; shown once.
#[derive(Object, Debug)]
#[oai(rename = "TotpEnrolment")]
struct EnrolmentOut {
    /// The `otpauth://totp/…` URI (what the QR code holds).
    otpauth_uri: String,
    /// The secret in base32, for apps that cannot scan.
    secret: String,
    /// The QR code of `otpauth_uri`, as an SVG document.
    qr_svg: String,
}

/// Ten single-use recovery codes; shown once, keep them somewhere safe.
#[derive(Object, Debug)]
#[oai(rename = "RecoveryCodes")]
struct RecoveryCodesOut {
    recovery_codes: Vec<String>,
}

fn codes_out(codes: Vec<RecoveryCode>) -> Json<RecoveryCodesOut> {
    Json(RecoveryCodesOut {
        recovery_codes: codes.iter().map(|code| code.expose().to_owned()).collect(),
    })
}

/// A code from the authenticator app.
#[derive(Object)]
#[oai(rename = "TotpConfirmation", deny_unknown_fields)]
struct ConfirmIn {
    /// The six digits the app shows now.
    #[oai(
        write_only,
        validator(max_length = 64),
        deserialize_with = "crate::api::strict::text"
    )]
    code: String,
}

/// Proof for turning two-step login off.
#[derive(Object)]
#[oai(rename = "TotpRemoval", deny_unknown_fields)]
struct DisableIn {
    /// The account's password, or a current code from the app, or a recovery code.
    #[oai(
        write_only,
        validator(max_length = 1024),
        deserialize_with = "crate::api::strict::text"
    )]
    password_or_code: String,
}

/// Proof of who the caller is, again.
#[derive(Object)]
#[oai(rename = "Reauthentication", deny_unknown_fields)]
struct ReauthenticateIn {
    /// The account's password.
    #[oai(
        write_only,
        validator(max_length = 1024),
        deserialize_with = "crate::api::strict::text"
    )]
    password: String,
    /// With two-step login: a code from the app (or a recovery code).
    #[oai(
        write_only,
        validator(max_length = 64),
        deserialize_with = "crate::api::strict::text"
    )]
    code: Option<String>,
}

/// The re-authentication window this session now has.
#[derive(Object, Debug)]
struct ReauthenticatedOut {
    /// Sensitive changes are allowed from this session until then.
    fresh_until: DateTime<Utc>,
}

/// One entry of the security log.
#[derive(Object, Debug)]
#[oai(rename = "SecurityEvent")]
struct EventOut {
    id: String,
    /// `login_succeeded`, `login_failed`, `login_throttled`, `password_changed`,
    /// `reauthenticated`, `mfa_enabled`, `mfa_disabled`, `recovery_codes_regenerated`,
    /// `recovery_code_used`, `session_revoked`, `connection_added`, `connection_removed`,
    /// `credentials_changed`, `data_exported` or `tier_changed`.
    kind: String,
    at: DateTime<Utc>,
    /// The browser or program it came from.
    #[oai(skip_serializing_if_is_none)]
    device: Option<String>,
    /// The address it came from.
    #[oai(skip_serializing_if_is_none)]
    address: Option<String>,
    /// A word more: the provider, the new tier, which step failed.
    #[oai(skip_serializing_if_is_none)]
    detail: Option<String>,
    /// A login from a device or address this account had not used before.
    new_device: bool,
    /// Flagged and not yet acknowledged: worth the owner's look.
    needs_attention: bool,
}

impl From<SecurityEvent> for EventOut {
    fn from(event: SecurityEvent) -> Self {
        Self {
            id: event.id.to_string(),
            kind: event.kind.as_str().to_owned(),
            at: event.at,
            needs_attention: event.needs_attention(),
            new_device: event.new_device,
            device: event.client.device,
            address: event.client.address,
            detail: event.detail,
        }
    }
}

#[derive(Object, Debug)]
struct EventsOut {
    /// Newest first.
    events: Vec<EventOut>,
    /// How many of them need the owner's attention.
    needs_attention: u32,
}

#[derive(Object, Debug)]
struct AcknowledgedOut {
    /// How many flagged events were acknowledged.
    acknowledged: u64,
}

#[derive(ApiResponse)]
enum StatusResponse {
    /// Whether two-step login is on.
    #[oai(status = 200)]
    Ok(Json<MfaStatusOut>),
    /// `unauthenticated`.
    #[oai(status = 401, content_type = "application/problem+json")]
    #[allow(dead_code)] // Listed for the OpenAPI document; the security scheme raises it.
    Unauthenticated(Json<Problem>),
    /// `internal_error`.
    #[oai(status = 500, content_type = "application/problem+json")]
    Internal(Json<Problem>),
}

#[derive(ApiResponse)]
enum EnrolResponse {
    /// A new secret, pending until confirmed with a code.
    #[oai(status = 200)]
    Ok(Json<EnrolmentOut>),
    /// `unauthenticated`.
    #[oai(status = 401, content_type = "application/problem+json")]
    Unauthenticated(Json<Problem>),
    /// `reauthentication_required`: confirm the password first (`POST
    /// /api/v1/auth/reauthenticate`).
    #[oai(status = 403, content_type = "application/problem+json")]
    Forbidden(Json<Problem>),
    /// `mfa_already_enabled`: turn it off before enrolling another app.
    #[oai(status = 409, content_type = "application/problem+json")]
    Conflict(Json<Problem>),
    /// `internal_error`.
    #[oai(status = 500, content_type = "application/problem+json")]
    Internal(Json<Problem>),
}

problem_variants!(EnrolResponse {
    401 => Unauthenticated, 403 => Forbidden, 409 => Conflict, 500 => Internal,
} else internal);

#[derive(ApiResponse)]
#[oai(bad_request_handler = "ConfirmResponse::bad_request_handler")]
enum ConfirmResponse {
    /// Two-step login is on; the other sessions ended. The recovery codes are shown only here.
    #[oai(status = 200)]
    Ok(Json<RecoveryCodesOut>),
    /// `bad_request`: the body is not the expected JSON.
    #[oai(status = 400, content_type = "application/problem+json")]
    BadRequest(Json<Problem>),
    /// `unauthenticated`.
    #[oai(status = 401, content_type = "application/problem+json")]
    Unauthenticated(Json<Problem>),
    /// `reauthentication_required`: confirm the password first; `invalid_code`: not the code
    /// the app shows now.
    #[oai(status = 403, content_type = "application/problem+json")]
    Forbidden(Json<Problem>),
    /// `mfa_not_enrolled`: nothing pending (start with `POST /api/v1/auth/mfa/totp`);
    /// `mfa_already_enabled`.
    #[oai(status = 409, content_type = "application/problem+json")]
    Conflict(Json<Problem>),
    /// `payload_too_large`.
    #[oai(status = 413, content_type = "application/problem+json")]
    PayloadTooLarge(Json<Problem>),
    /// `unsupported_media_type`.
    #[oai(status = 415, content_type = "application/problem+json")]
    UnsupportedMediaType(Json<Problem>),
    /// `internal_error`.
    #[oai(status = 500, content_type = "application/problem+json")]
    Internal(Json<Problem>),
}

problem_variants!(ConfirmResponse {
    400 => BadRequest, 401 => Unauthenticated, 403 => Forbidden, 409 => Conflict,
    413 => PayloadTooLarge, 415 => UnsupportedMediaType, 500 => Internal,
});

#[derive(ApiResponse)]
#[oai(bad_request_handler = "DisableResponse::bad_request_handler")]
enum DisableResponse {
    /// Two-step login is off; the other sessions ended.
    #[oai(status = 204)]
    Disabled,
    /// `bad_request`: the body is not the expected JSON.
    #[oai(status = 400, content_type = "application/problem+json")]
    BadRequest(Json<Problem>),
    /// `unauthenticated`.
    #[oai(status = 401, content_type = "application/problem+json")]
    Unauthenticated(Json<Problem>),
    /// `reauthentication_required`; `invalid_code`: neither the password nor a code.
    #[oai(status = 403, content_type = "application/problem+json")]
    Forbidden(Json<Problem>),
    /// `mfa_not_enrolled`: two-step login is not on.
    #[oai(status = 409, content_type = "application/problem+json")]
    Conflict(Json<Problem>),
    /// `payload_too_large`.
    #[oai(status = 413, content_type = "application/problem+json")]
    PayloadTooLarge(Json<Problem>),
    /// `unsupported_media_type`.
    #[oai(status = 415, content_type = "application/problem+json")]
    UnsupportedMediaType(Json<Problem>),
    /// `internal_error`.
    #[oai(status = 500, content_type = "application/problem+json")]
    Internal(Json<Problem>),
}

problem_variants!(DisableResponse {
    400 => BadRequest, 401 => Unauthenticated, 403 => Forbidden, 409 => Conflict,
    413 => PayloadTooLarge, 415 => UnsupportedMediaType, 500 => Internal,
});

#[derive(ApiResponse)]
enum RegenerateResponse {
    /// Ten new codes; the old ones stopped working. Shown only here.
    #[oai(status = 200)]
    Ok(Json<RecoveryCodesOut>),
    /// `unauthenticated`.
    #[oai(status = 401, content_type = "application/problem+json")]
    Unauthenticated(Json<Problem>),
    /// `reauthentication_required`.
    #[oai(status = 403, content_type = "application/problem+json")]
    Forbidden(Json<Problem>),
    /// `mfa_not_enrolled`.
    #[oai(status = 409, content_type = "application/problem+json")]
    Conflict(Json<Problem>),
    /// `internal_error`.
    #[oai(status = 500, content_type = "application/problem+json")]
    Internal(Json<Problem>),
}

problem_variants!(RegenerateResponse {
    401 => Unauthenticated, 403 => Forbidden, 409 => Conflict, 500 => Internal,
} else internal);

#[derive(ApiResponse)]
#[oai(bad_request_handler = "ReauthenticateResponse::bad_request_handler")]
enum ReauthenticateResponse {
    /// Confirmed: sensitive changes are allowed from this session for an hour.
    #[oai(status = 200)]
    Ok(Json<ReauthenticatedOut>),
    /// `bad_request`: the body is not the expected JSON.
    #[oai(status = 400, content_type = "application/problem+json")]
    BadRequest(Json<Problem>),
    /// `unauthenticated`.
    #[oai(status = 401, content_type = "application/problem+json")]
    Unauthenticated(Json<Problem>),
    /// `wrong_password`: the password or code is wrong (or too many attempts);
    /// `mfa_code_required`: the account has two-step login, send `code` too.
    #[oai(status = 403, content_type = "application/problem+json")]
    Forbidden(Json<Problem>),
    /// `payload_too_large`.
    #[oai(status = 413, content_type = "application/problem+json")]
    PayloadTooLarge(Json<Problem>),
    /// `unsupported_media_type`.
    #[oai(status = 415, content_type = "application/problem+json")]
    UnsupportedMediaType(Json<Problem>),
    /// `internal_error`.
    #[oai(status = 500, content_type = "application/problem+json")]
    Internal(Json<Problem>),
}

problem_variants!(ReauthenticateResponse {
    400 => BadRequest, 401 => Unauthenticated, 403 => Forbidden, 413 => PayloadTooLarge,
    415 => UnsupportedMediaType, 500 => Internal,
});

#[derive(ApiResponse)]
#[oai(bad_request_handler = "EventsResponse::bad_request_handler")]
enum EventsResponse {
    /// The caller's security log.
    #[oai(status = 200)]
    Ok(Json<EventsOut>),
    /// `bad_request`: `limit` is not a number from 1 to 500.
    #[oai(status = 400, content_type = "application/problem+json")]
    BadRequest(Json<Problem>),
    /// `unauthenticated`.
    #[oai(status = 401, content_type = "application/problem+json")]
    Unauthenticated(Json<Problem>),
    /// `internal_error`.
    #[oai(status = 500, content_type = "application/problem+json")]
    Internal(Json<Problem>),
}

problem_variants!(EventsResponse {
    400 => BadRequest, 401 => Unauthenticated, 500 => Internal,
});

#[derive(ApiResponse)]
enum AcknowledgeResponse {
    /// The flagged events are marked seen.
    #[oai(status = 200)]
    Ok(Json<AcknowledgedOut>),
    /// `unauthenticated`.
    #[oai(status = 401, content_type = "application/problem+json")]
    #[allow(dead_code)] // Listed for the OpenAPI document; the security scheme raises it.
    Unauthenticated(Json<Problem>),
    /// `internal_error`.
    #[oai(status = 500, content_type = "application/problem+json")]
    Internal(Json<Problem>),
}

/// The problem for a step-up refusal: the same everywhere a recent login is needed.
pub(crate) fn reauthentication_required(error: &StepUpError) -> Problem {
    Problem::new(
        StatusCode::FORBIDDEN,
        "reauthentication_required",
        "Confirm it is you",
        capitalised(error),
    )
}

fn mfa_problem(error: MfaError) -> Problem {
    match error {
        MfaError::StepUp(error) => reauthentication_required(&error),
        error @ MfaError::AlreadyEnabled => Problem::new(
            StatusCode::CONFLICT,
            "mfa_already_enabled",
            "Two-step login is already on",
            capitalised(&error),
        ),
        error @ MfaError::NotEnrolled => Problem::new(
            StatusCode::CONFLICT,
            "mfa_not_enrolled",
            "Two-step login is not set up",
            capitalised(&error),
        ),
        error @ MfaError::WrongCode => Problem::new(
            StatusCode::FORBIDDEN,
            "invalid_code",
            "Code refused",
            capitalised(&error),
        ),
        MfaError::Unknown(error) => Problem::internal(&error),
    }
}

/// The largest page of the security log.
const MAX_EVENTS: u32 = 500;

/// Two-step login, step-up and the security log.
pub(crate) struct SecurityApi {
    pub(crate) state: AppState,
}

#[OpenApi(prefix_path = "/api/v1", tag = "SecurityTags::Security")]
impl SecurityApi {
    /// Whether the caller's account has two-step login, and how many recovery codes are left.
    #[oai(path = "/auth/mfa", method = "get")]
    async fn status(&self, auth: SessionAuth) -> StatusResponse {
        match self.state.users.mfa_status(auth.caller().user.id).await {
            Ok(status) => StatusResponse::Ok(Json(MfaStatusOut {
                enabled: status.enabled,
                enabled_at: status.enabled_at,
                recovery_codes_left: status.recovery_codes_left,
            })),
            Err(error) => StatusResponse::Internal(Problem::internal(&error).json()),
        }
    }

    /// Start enrolling an authenticator app (TOTP: SHA-1, 6 digits, 30 s): a new secret as an
    /// `otpauth://` URI and its QR code. Nothing changes for login until it is confirmed with a
    /// code. Needs a recent authentication.
    #[oai(path = "/auth/mfa/totp", method = "post")]
    async fn enrol(&self, auth: SessionAuth) -> EnrolResponse {
        match self.state.users.begin_totp_enrolment(auth.caller()).await {
            Ok(enrolment) => {
                let uri = enrolment.otpauth_uri.expose_secret().to_owned();
                EnrolResponse::Ok(Json(EnrolmentOut {
                    qr_svg: crate::qr::svg(&uri),
                    otpauth_uri: uri,
                    secret: enrolment.secret.expose_secret().to_owned(),
                }))
            }
            Err(error) => EnrolResponse::from_problem(mfa_problem(error)),
        }
    }

    /// Confirm enrolment with the code the app shows: two-step login is on from now, every
    /// other session ends, and the ten recovery codes are returned (shown only here).
    #[oai(path = "/auth/mfa/totp/confirm", method = "post")]
    async fn confirm(&self, auth: SessionAuth, body: Json<ConfirmIn>) -> ConfirmResponse {
        match self
            .state
            .users
            .confirm_totp(auth.caller(), &body.0.code)
            .await
        {
            Ok(codes) => ConfirmResponse::Ok(codes_out(codes)),
            Err(error) => ConfirmResponse::from_problem(mfa_problem(error)),
        }
    }

    /// Turn two-step login off, with the password or a code; every other session ends. Needs a
    /// recent authentication.
    #[oai(path = "/auth/mfa/totp", method = "delete")]
    async fn disable(&self, auth: SessionAuth, body: Json<DisableIn>) -> DisableResponse {
        let proof = SecretString::from(body.0.password_or_code);
        match self.state.users.disable_totp(auth.caller(), &proof).await {
            Ok(()) => DisableResponse::Disabled,
            Err(error) => DisableResponse::from_problem(mfa_problem(error)),
        }
    }

    /// Ten new recovery codes; the old ones stop working. Needs a recent authentication.
    #[oai(path = "/auth/mfa/recovery-codes", method = "post")]
    async fn regenerate(&self, auth: SessionAuth) -> RegenerateResponse {
        match self
            .state
            .users
            .regenerate_recovery_codes(auth.caller())
            .await
        {
            Ok(codes) => RegenerateResponse::Ok(codes_out(codes)),
            Err(error) => RegenerateResponse::from_problem(mfa_problem(error)),
        }
    }

    /// Confirm who you are again (the password, and a code with two-step login): sensitive
    /// changes (erasure, two-step login, provider credentials) are then allowed from this
    /// session for an hour. Wrong attempts count towards the login throttle.
    #[oai(path = "/auth/reauthenticate", method = "post")]
    async fn reauthenticate(
        &self,
        auth: SessionAuth,
        body: Json<ReauthenticateIn>,
    ) -> ReauthenticateResponse {
        let caller = auth.caller();
        let password = SecretString::from(body.0.password);
        match self
            .state
            .users
            .reauthenticate(caller, &password, body.0.code.as_deref())
            .await
        {
            Ok(()) => ReauthenticateResponse::Ok(Json(ReauthenticatedOut {
                fresh_until: Utc::now() + self.state.users.reauthentication_window(),
            })),
            Err(error @ ReauthenticateError::WrongCredentials) => {
                ReauthenticateResponse::from_problem(Problem::new(
                    StatusCode::FORBIDDEN,
                    "wrong_password",
                    "Wrong password or code",
                    capitalised(&error),
                ))
            }
            Err(error @ ReauthenticateError::CodeRequired) => {
                ReauthenticateResponse::from_problem(Problem::new(
                    StatusCode::FORBIDDEN,
                    "mfa_code_required",
                    "A code is needed too",
                    capitalised(&error),
                ))
            }
            Err(ReauthenticateError::Unknown(error)) => {
                ReauthenticateResponse::from_problem(Problem::internal(&error))
            }
        }
    }

    /// The caller's security log, newest first: logins (a new device or address flagged),
    /// failures and throttling, password and two-step login changes, sessions ended,
    /// connections, exports, tier changes.
    #[oai(path = "/me/security-events", method = "get")]
    async fn events(
        &self,
        auth: SessionAuth,
        /// How many (1 to 500; default 100).
        #[oai(validator(minimum(value = "1"), maximum(value = "500")))]
        limit: Query<Option<u32>>,
    ) -> EventsResponse {
        let limit = limit.0.unwrap_or(100).min(MAX_EVENTS);
        match self
            .state
            .users
            .security_events(auth.caller().user.id, limit)
            .await
        {
            Ok(events) => {
                let events: Vec<EventOut> = events.into_iter().map(EventOut::from).collect();
                let needs_attention = events.iter().filter(|event| event.needs_attention).count();
                EventsResponse::Ok(Json(EventsOut {
                    needs_attention: u32::try_from(needs_attention).unwrap_or(u32::MAX),
                    events,
                }))
            }
            Err(error) => EventsResponse::from_problem(Problem::internal(&error)),
        }
    }

    /// "That was me": the flagged logins stop asking for attention.
    #[oai(path = "/me/security-events/acknowledge", method = "post")]
    async fn acknowledge(&self, auth: SessionAuth) -> AcknowledgeResponse {
        match self
            .state
            .users
            .acknowledge_security_events(auth.caller().user.id)
            .await
        {
            Ok(acknowledged) => AcknowledgeResponse::Ok(Json(AcknowledgedOut { acknowledged })),
            Err(error) => AcknowledgeResponse::Internal(Problem::internal(&error).json()),
        }
    }
}
