//! One error enum per operation. The HTTP layer alone turns these into statuses.

/// Why an account could not be stored.
#[derive(Debug, thiserror::Error)]
pub enum InsertUserError {
    /// The username (case-insensitively) belongs to another account.
    #[error("the username is taken")]
    UsernameTaken,
    /// The email address (case-insensitively) belongs to another account.
    #[error("the email address is taken")]
    EmailTaken,
    /// Anything else; the storage adapter adds context.
    #[error(transparent)]
    Unknown(#[from] anyhow::Error),
}

/// Why registration failed. Input that does not parse is refused earlier, by the value types.
#[derive(Debug, thiserror::Error)]
pub enum RegisterError {
    /// The username (case-insensitively) belongs to another account.
    #[error("this username is taken; choose another one")]
    UsernameTaken,
    /// The email address belongs to another account.
    #[error("an account with this email address exists; log in instead, or use another address")]
    EmailTaken,
    /// A failure of storage or hashing.
    #[error(transparent)]
    Unknown(#[from] anyhow::Error),
}

impl From<InsertUserError> for RegisterError {
    fn from(error: InsertUserError) -> Self {
        match error {
            InsertUserError::UsernameTaken => Self::UsernameTaken,
            InsertUserError::EmailTaken => Self::EmailTaken,
            InsertUserError::Unknown(error) => Self::Unknown(error),
        }
    }
}

/// Why a login failed.
#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    /// Unknown account, wrong password, or an account throttled after too many failures. These
    /// are one variant on purpose: a caller must not learn which (AU-1, AU-2).
    #[error(
        "the username or password is wrong, or this account had too many failed logins; check them, or wait a few minutes and try again"
    )]
    InvalidCredentials,
    /// The password was right, and the account has two-step login: the caller must finish
    /// with [`crate::UsersService::sign_in`]'s second step instead.
    #[error("this account has two-step login; enter the code from your authenticator app")]
    SecondFactorRequired,
    /// A failure of storage or hashing.
    #[error(transparent)]
    Unknown(#[from] anyhow::Error),
}

/// Why a presented session token was not accepted.
#[derive(Debug, thiserror::Error)]
pub enum AuthenticateError {
    /// Missing, unknown, revoked or expired; the client must log in again.
    #[error("the session is missing, expired or was logged out; log in again")]
    Unauthenticated,
    /// A failure of storage.
    #[error(transparent)]
    Unknown(#[from] anyhow::Error),
}

/// Why a session could not be ended.
#[derive(Debug, thiserror::Error)]
pub enum RevokeSessionError {
    /// No such session among the caller's (another account's sessions are not theirs to end).
    #[error("no such session among yours; list them with GET /api/v1/me/sessions")]
    NotFound,
    /// A failure of storage.
    #[error(transparent)]
    Unknown(#[from] anyhow::Error),
}

/// Why a password was not changed.
#[derive(Debug, thiserror::Error)]
pub enum ChangePasswordError {
    /// The current password is wrong, or the account is throttled after too many failures
    /// (one answer for both, as at login).
    #[error(
        "the current password is wrong, or there were too many wrong attempts; check it, or wait a few minutes"
    )]
    WrongPassword,
    /// The account no longer exists.
    #[error("the account does not exist")]
    NotFound,
    /// A failure of storage or hashing.
    #[error(transparent)]
    Unknown(#[from] anyhow::Error),
}

/// Why a profile change failed.
#[derive(Debug, thiserror::Error)]
pub enum UpdateProfileError {
    /// The account no longer exists.
    #[error("the account does not exist")]
    NotFound,
    /// A failure of storage.
    #[error(transparent)]
    Unknown(#[from] anyhow::Error),
}

/// Why a login's second step failed.
#[derive(Debug, thiserror::Error)]
pub enum SecondStepError {
    /// The wait is over, the challenge was used, or it never existed: log in again.
    #[error("this sign-in expired or was already used; enter your password again")]
    ChallengeExpired,
    /// A wrong, reused or malformed code, or an account throttled after too many failures (one
    /// answer for all, as at login).
    #[error(
        "the code is wrong or was already used, or there were too many wrong attempts; use the newest code from your app, or a recovery code"
    )]
    InvalidCode,
    /// A failure of storage.
    #[error(transparent)]
    Unknown(#[from] anyhow::Error),
}

/// Why a sensitive change was refused before it was tried.
#[derive(Debug, thiserror::Error)]
pub enum StepUpError {
    /// The session's last proof of identity is older than the re-authentication window.
    #[error(
        "this change needs you to confirm your password again (POST /api/v1/auth/reauthenticate)"
    )]
    ReauthenticationRequired,
}

/// Why a re-authentication failed.
#[derive(Debug, thiserror::Error)]
pub enum ReauthenticateError {
    /// The password (or, with two-step login, the code) is wrong, or the account is throttled.
    #[error(
        "the password or code is wrong, or there were too many wrong attempts; check them, or wait a few minutes"
    )]
    WrongCredentials,
    /// The account has two-step login and no code came with the password.
    #[error("this account has two-step login: send the code from your authenticator app too")]
    CodeRequired,
    /// A failure of storage or hashing.
    #[error(transparent)]
    Unknown(#[from] anyhow::Error),
}

/// Why two-step login could not be set up or changed.
#[derive(Debug, thiserror::Error)]
pub enum MfaError {
    /// The session is too old for this change.
    #[error(transparent)]
    StepUp(#[from] StepUpError),
    /// Enrolment asked while two-step login is already on.
    #[error("two-step login is already on; turn it off first to enrol another app")]
    AlreadyEnabled,
    /// A confirmation or change for an account without (pending) two-step login.
    #[error("two-step login is not set up; start with POST /api/v1/auth/mfa/totp")]
    NotEnrolled,
    /// A wrong or reused code, or a wrong password.
    #[error("the code or password is wrong, or was already used; check it and try again")]
    WrongCode,
    /// A failure of storage.
    #[error(transparent)]
    Unknown(#[from] anyhow::Error),
}

/// Why an app password could not be made or revoked.
#[derive(Debug, thiserror::Error)]
pub enum AppPasswordError {
    /// The session is too old for this change.
    #[error(transparent)]
    StepUp(#[from] StepUpError),
    /// The account has as many app passwords as allowed.
    #[error("you have 20 app passwords; revoke one you no longer use first")]
    TooMany,
    /// No such app password among the caller's.
    #[error("no such app password among yours; list them with GET /api/v1/me/app-passwords")]
    NotFound,
    /// A failure of storage.
    #[error(transparent)]
    Unknown(#[from] anyhow::Error),
}

/// Why a music app could not sign in with an app password.
#[derive(Debug, thiserror::Error)]
pub enum AppSignInError {
    /// No such account, no app password of it matches, or the account is throttled after
    /// failed attempts (one answer for all, AU-1).
    #[error(
        "wrong username or app password; make an app password on the settings page and use it in the app, never your account password"
    )]
    WrongCredentials,
    /// A failure of storage.
    #[error(transparent)]
    Unknown(#[from] anyhow::Error),
}
