//! Registration, login and logout.

use chrono::{DateTime, Utc};
use poem::http::StatusCode;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi, Tags};
use secrecy::SecretString;
use soiree_users::{
    EmailAddress, LoginError, NewAccount, NewSession, Password, RegisterError, SecondStepError,
    SignIn, Username,
};

use super::objects::UserOut;
use crate::auth::SessionAuth;
use crate::problem::{Problem, capitalised, problem_variants};
use crate::state::AppState;

#[derive(Tags)]
enum AccountTags {
    /// Registration, login and logout.
    Accounts,
}

/// A new account.
#[derive(Object)]
#[oai(deny_unknown_fields)]
struct RegisterIn {
    /// 3 to 32 characters: letters a-z, digits, `.`, `_`, `-`, starting with a letter or a
    /// digit; unique regardless of case.
    #[oai(
        validator(pattern = r"^[A-Za-z0-9][A-Za-z0-9._-]{2,31}$"),
        deserialize_with = "crate::api::strict::text"
    )]
    username: String,
    /// 8 to 1024 characters, anything goes except the most common passwords and the username.
    #[oai(
        write_only,
        validator(min_length = 8, max_length = 1024),
        deserialize_with = "crate::api::strict::text"
    )]
    password: String,
    /// Optional; usable to log in instead of the username; unique regardless of case.
    #[oai(
        validator(
            max_length = 254,
            pattern = r"^[!-?A-~]{1,64}@[!-\-/-?A-~]+(\.[!-\-/-?A-~]+)+$"
        ),
        deserialize_with = "crate::api::strict::text"
    )]
    email: Option<String>,
}

/// Credentials.
#[derive(Object)]
#[oai(deny_unknown_fields)]
struct LoginIn {
    /// The username or the email address.
    #[oai(
        validator(max_length = 254),
        deserialize_with = "crate::api::strict::text"
    )]
    username: String,
    #[oai(
        write_only,
        validator(max_length = 1024),
        deserialize_with = "crate::api::strict::text"
    )]
    password: String,
}

/// A new session.
#[derive(Object)]
struct LoginOut {
    /// The session token: send it as `Authorization: Bearer {token}`. It is shown only here.
    token: String,
    /// Always `Bearer`.
    token_type: String,
    /// When the session ends at the latest; it ends earlier after 2 idle hours (by default) or at logout.
    expires_at: DateTime<Utc>,
    /// Who logged in.
    user: UserOut,
}

#[derive(ApiResponse)]
#[oai(bad_request_handler = "RegisterResponse::bad_request_handler")]
enum RegisterResponse {
    /// The account was created; log in to get a session.
    #[oai(status = 201)]
    Created(Json<UserOut>),
    /// The body is not valid JSON of the expected shape (`bad_request`), or too large (`payload_too_large`).
    #[oai(status = 400, content_type = "application/problem+json")]
    BadRequest(Json<Problem>),
    /// The username (`username_taken`) or email address (`email_taken`) belongs to another account.
    #[oai(status = 409, content_type = "application/problem+json")]
    Conflict(Json<Problem>),
    /// `payload_too_large`: the body is over 1 MiB.
    #[oai(status = 413, content_type = "application/problem+json")]
    PayloadTooLarge(Json<Problem>),
    /// `unsupported_media_type`: the body is not sent as `application/json`.
    #[oai(status = 415, content_type = "application/problem+json")]
    UnsupportedMediaType(Json<Problem>),
    /// A value is not acceptable: `invalid_username`, `invalid_email` or `weak_password`.
    #[oai(status = 422, content_type = "application/problem+json")]
    Invalid(Json<Problem>),
    /// A server fault (`internal_error`).
    #[oai(status = 500, content_type = "application/problem+json")]
    Internal(Json<Problem>),
}

problem_variants!(RegisterResponse {
    400 => BadRequest, 409 => Conflict, 413 => PayloadTooLarge, 415 => UnsupportedMediaType,
    422 => Invalid, 500 => Internal,
});

/// The password was right and the account has two-step login: send a code with this
/// challenge to `POST /api/v1/auth/login/mfa`.
#[derive(Object)]
struct MfaRequiredOut {
    /// Always `mfa_required`.
    code: String,
    /// What to do next, in words.
    detail: String,
    /// Send it back with the code; it works once, until `expires_at` (5 minutes).
    challenge: String,
    /// When the challenge stops working.
    expires_at: DateTime<Utc>,
}

/// A login's second step.
#[derive(Object)]
#[oai(rename = "LoginSecondStep", deny_unknown_fields)]
struct SecondStepIn {
    /// The `challenge` the first step answered with.
    #[oai(
        write_only,
        validator(max_length = 64),
        deserialize_with = "crate::api::strict::text"
    )]
    challenge: String,
    /// Six digits from the authenticator app, or one of the recovery codes.
    #[oai(
        write_only,
        validator(max_length = 64),
        deserialize_with = "crate::api::strict::text"
    )]
    code: String,
}

#[derive(ApiResponse)]
#[oai(bad_request_handler = "SecondStepResponse::bad_request_handler")]
enum SecondStepResponse {
    /// Logged in. The token is in the body and in the `soiree_session` cookie.
    #[oai(status = 200)]
    LoggedIn(Json<LoginOut>, #[oai(header = "Set-Cookie")] String),
    /// The body is not valid JSON of the expected shape (`bad_request`).
    #[oai(status = 400, content_type = "application/problem+json")]
    BadRequest(Json<Problem>),
    /// `invalid_code`: the code is wrong or was used, or the account is throttled (one answer
    /// for all); `challenge_expired`: the challenge is over five minutes old or was used, log
    /// in again.
    #[oai(status = 401, content_type = "application/problem+json")]
    Refused(Json<Problem>),
    /// `payload_too_large`.
    #[oai(status = 413, content_type = "application/problem+json")]
    PayloadTooLarge(Json<Problem>),
    /// `unsupported_media_type`.
    #[oai(status = 415, content_type = "application/problem+json")]
    UnsupportedMediaType(Json<Problem>),
    /// A server fault (`internal_error`).
    #[oai(status = 500, content_type = "application/problem+json")]
    Internal(Json<Problem>),
}

problem_variants!(SecondStepResponse {
    400 => BadRequest, 401 => Refused, 413 => PayloadTooLarge, 415 => UnsupportedMediaType,
    500 => Internal,
});

#[derive(ApiResponse)]
#[oai(bad_request_handler = "LoginResponse::bad_request_handler")]
enum LoginResponse {
    /// Logged in. The token is in the body and in the `soiree_session` cookie.
    #[oai(status = 200)]
    LoggedIn(Json<LoginOut>, #[oai(header = "Set-Cookie")] String),
    /// The password was right; the account has two-step login (`mfa_required`): finish with
    /// `POST /api/v1/auth/login/mfa`.
    #[oai(status = 202)]
    MfaRequired(Json<MfaRequiredOut>),
    /// The body is not valid JSON of the expected shape (`bad_request`).
    #[oai(status = 400, content_type = "application/problem+json")]
    BadRequest(Json<Problem>),
    /// `invalid_credentials`: the username or password is wrong, or the account is throttled after
    /// too many failures. The answer is the same in every case, on purpose.
    #[oai(status = 401, content_type = "application/problem+json")]
    InvalidCredentials(Json<Problem>),
    /// `payload_too_large`: the body is over 1 MiB.
    #[oai(status = 413, content_type = "application/problem+json")]
    PayloadTooLarge(Json<Problem>),
    /// `unsupported_media_type`: the body is not sent as `application/json`.
    #[oai(status = 415, content_type = "application/problem+json")]
    UnsupportedMediaType(Json<Problem>),
    /// A server fault (`internal_error`).
    #[oai(status = 500, content_type = "application/problem+json")]
    Internal(Json<Problem>),
}

problem_variants!(LoginResponse {
    400 => BadRequest, 401 => InvalidCredentials, 413 => PayloadTooLarge, 415 => UnsupportedMediaType,
    500 => Internal,
});

#[derive(ApiResponse)]
enum LogoutResponse {
    /// The session is over; its token no longer works and the cookie is cleared.
    #[oai(status = 204)]
    LoggedOut(#[oai(header = "Set-Cookie")] String),
    /// `unauthenticated`: no valid session was presented.
    #[oai(status = 401, content_type = "application/problem+json")]
    #[allow(dead_code)] // Listed for the OpenAPI document; the security scheme raises it.
    Unauthenticated(Json<Problem>),
    /// A server fault (`internal_error`).
    #[oai(status = 500, content_type = "application/problem+json")]
    Internal(Json<Problem>),
}

fn invalid(code: &str, error: &dyn std::fmt::Display) -> RegisterResponse {
    RegisterResponse::from_problem(Problem::invalid(code, capitalised(error)))
}

/// Registration, login and logout.
pub(crate) struct AccountsApi {
    pub(crate) state: AppState,
}

impl AccountsApi {
    /// The body and cookie of a new session.
    fn logged_in(&self, session: NewSession) -> (Json<LoginOut>, String) {
        let cookie = self.state.session_cookie.set(session.token.expose());
        let out = LoginOut {
            token: session.token.expose().to_owned(),
            token_type: "Bearer".to_owned(),
            expires_at: session.session.expires_at,
            user: session.user.into(),
        };
        (Json(out), cookie)
    }
}

#[OpenApi(prefix_path = "/api/v1/auth", tag = "AccountTags::Accounts")]
impl AccountsApi {
    /// Create an account.
    ///
    /// New accounts are on the free tier. Log in afterwards to get a session.
    #[oai(path = "/register", method = "post")]
    async fn register(&self, body: Json<RegisterIn>) -> RegisterResponse {
        let RegisterIn {
            username,
            password,
            email,
        } = body.0;
        let username = match Username::parse(&username) {
            Ok(username) => username,
            Err(error) => return invalid("invalid_username", &error),
        };
        let email = match email
            .as_deref()
            .map(str::trim)
            .filter(|email| !email.is_empty())
            .map(EmailAddress::parse)
        {
            None => None,
            Some(Ok(email)) => Some(email),
            Some(Err(error)) => return invalid("invalid_email", &error),
        };
        let password = match Password::parse(SecretString::from(password), &username) {
            Ok(password) => password,
            Err(error) => return invalid("weak_password", &error),
        };
        match self
            .state
            .users
            .register(NewAccount {
                username,
                email,
                password,
            })
            .await
        {
            Ok(user) => RegisterResponse::Created(Json(user.into())),
            Err(error @ RegisterError::UsernameTaken) => {
                RegisterResponse::from_problem(Problem::new(
                    StatusCode::CONFLICT,
                    "username_taken",
                    "The username is taken",
                    capitalised(&error),
                ))
            }
            Err(error @ RegisterError::EmailTaken) => RegisterResponse::from_problem(Problem::new(
                StatusCode::CONFLICT,
                "email_taken",
                "The email address is taken",
                capitalised(&error),
            )),
            Err(RegisterError::Unknown(error)) => {
                RegisterResponse::from_problem(Problem::internal(&error))
            }
        }
    }

    /// Log in with a username (or email address) and password.
    ///
    /// Returns a new session token and sets it as the `soiree_session` cookie (HttpOnly,
    /// SameSite=Lax; Secure when the server's public URL is HTTPS).
    #[oai(path = "/login", method = "post")]
    async fn login(&self, request: &poem::Request, body: Json<LoginIn>) -> LoginResponse {
        let password = SecretString::from(body.0.password);
        // Where the session comes from, for the person's list of sessions.
        let client = soiree_users::ClientInfo::new(
            request.header(poem::http::header::USER_AGENT),
            crate::limits::client_address(request, &self.state.trusted_proxies),
        );
        match self
            .state
            .users
            .sign_in(&body.0.username, &password, client)
            .await
        {
            Ok(SignIn::Session(session)) => {
                let (out, cookie) = self.logged_in(*session);
                LoginResponse::LoggedIn(out, cookie)
            }
            Ok(SignIn::SecondFactor {
                challenge,
                expires_at,
            }) => LoginResponse::MfaRequired(Json(MfaRequiredOut {
                code: "mfa_required".to_owned(),
                detail: "This account has two-step login: send the code from your authenticator app (or a recovery code) with this challenge to POST /api/v1/auth/login/mfa.".to_owned(),
                challenge: challenge.expose().to_owned(),
                expires_at,
            })),
            Err(error @ (LoginError::InvalidCredentials | LoginError::SecondFactorRequired)) => LoginResponse::InvalidCredentials(
                Problem::new(
                    StatusCode::UNAUTHORIZED,
                    "invalid_credentials",
                    "Login refused",
                    capitalised(&error),
                )
                .json(),
            ),
            Err(LoginError::Unknown(error)) => {
                LoginResponse::Internal(Problem::internal(&error).json())
            }
        }
    }

    /// A login's second step: the code from the authenticator app (or a recovery code) for the
    /// challenge the first step answered with. Each code works once; wrong codes count towards
    /// the account's login throttle.
    #[oai(path = "/login/mfa", method = "post")]
    async fn login_second_step(&self, body: Json<SecondStepIn>) -> SecondStepResponse {
        match self
            .state
            .users
            .second_step(&body.0.challenge, &body.0.code)
            .await
        {
            Ok(session) => {
                let (out, cookie) = self.logged_in(session);
                SecondStepResponse::LoggedIn(out, cookie)
            }
            Err(error @ SecondStepError::InvalidCode) => {
                SecondStepResponse::from_problem(Problem::new(
                    StatusCode::UNAUTHORIZED,
                    "invalid_code",
                    "Code refused",
                    capitalised(&error),
                ))
            }
            Err(error @ SecondStepError::ChallengeExpired) => {
                SecondStepResponse::from_problem(Problem::new(
                    StatusCode::UNAUTHORIZED,
                    "challenge_expired",
                    "Sign-in expired",
                    capitalised(&error),
                ))
            }
            Err(SecondStepError::Unknown(error)) => {
                SecondStepResponse::from_problem(Problem::internal(&error))
            }
        }
    }

    /// Log out: end the session that made this request.
    #[oai(path = "/logout", method = "post")]
    async fn logout(&self, auth: SessionAuth) -> LogoutResponse {
        match self.state.users.logout(auth.caller().session.id).await {
            Ok(()) => LogoutResponse::LoggedOut(self.state.session_cookie.clear()),
            Err(error) => LogoutResponse::Internal(Problem::internal(&error).json()),
        }
    }
}
