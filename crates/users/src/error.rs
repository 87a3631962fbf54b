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
