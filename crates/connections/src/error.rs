//! One error enum per operation; the HTTP layer alone maps them to statuses.

use std::time::Duration;

/// Why a provider's token endpoint refused or failed (as reported by an [`crate::OAuthProvider`]).
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    /// `invalid_grant`: the code or refresh token is expired, revoked or already used.
    #[error("the provider refused the grant: {0}")]
    InvalidGrant(String),
    /// `invalid_client`: the client id or secret is wrong.
    #[error("the provider refused the client id or secret: {0}")]
    InvalidClient(String),
    /// 429 with a wait longer than the adapter will sleep.
    #[error("the provider asks to wait {retry_after:?}")]
    RateLimited {
        /// How long the provider asked to wait.
        retry_after: Duration,
    },
    /// Timeouts, 5xx, unreadable answers after the adapter's retries.
    #[error("the provider is unavailable: {0}")]
    Unavailable(String),
}

/// Why a provider API call failed (profile and other non-player calls).
#[derive(Debug, thiserror::Error)]
pub enum ProviderError {
    /// 401: the access token is expired or revoked.
    #[error("the provider rejected the access token")]
    TokenRejected,
    /// 429 with a wait longer than the adapter will sleep.
    #[error("the provider asks to wait {retry_after:?}")]
    RateLimited {
        /// How long the provider asked to wait.
        retry_after: Duration,
    },
    /// Timeouts, 5xx, unreadable answers after the adapter's retries.
    #[error("the provider is unavailable: {0}")]
    Unavailable(String),
}

/// Why credentials could not be stored or removed.
#[derive(Debug, thiserror::Error)]
pub enum CredentialsError {
    /// Storage failed.
    #[error(transparent)]
    Unknown(#[from] anyhow::Error),
}

/// Why an authorization could not start.
#[derive(Debug, thiserror::Error)]
pub enum AuthorizeError {
    /// No developer app is configured for this provider.
    #[error("no client id and secret are configured for {0}; add them in settings first")]
    NotConfigured(crate::Provider),
    /// Storage failed.
    #[error(transparent)]
    Unknown(#[from] anyhow::Error),
}

/// Why a callback was refused. Each has a stable code for `/connect?error={code}`.
#[derive(Debug, thiserror::Error)]
pub enum CallbackError {
    /// The `state` is missing, unknown, already used, or for another provider.
    #[error(
        "this authorization link is not valid (it may have been used already); start connecting again"
    )]
    InvalidState,
    /// The `state` expired (10 minutes).
    #[error("this authorization link expired; start connecting again")]
    ExpiredState,
    /// The callback arrived in another login session than the one that started it.
    #[error(
        "this authorization was started in another login session; start connecting again from this browser"
    )]
    WrongSession,
    /// The person declined at the provider.
    #[error("the authorization was declined at the provider")]
    Denied,
    /// The provider refused the app's client id or secret.
    #[error("the provider refused the client id or secret; check them in settings")]
    InvalidClient,
    /// The provider refused the code (expired, reused, or PKCE mismatch).
    #[error("the provider refused the authorization code; start connecting again")]
    CodeRejected,
    /// The provider could not be reached or failed.
    #[error("the provider is unavailable; try again in a moment")]
    ProviderUnavailable,
    /// Storage failed.
    #[error(transparent)]
    Unknown(#[from] anyhow::Error),
}

impl CallbackError {
    /// The stable code shown in `/connect?error={code}`.
    pub fn code(&self) -> &'static str {
        match self {
            CallbackError::InvalidState => "invalid_state",
            CallbackError::ExpiredState => "expired_state",
            CallbackError::WrongSession => "wrong_session",
            CallbackError::Denied => "access_denied",
            CallbackError::InvalidClient => "invalid_client",
            CallbackError::CodeRejected => "code_rejected",
            CallbackError::ProviderUnavailable => "provider_unavailable",
            CallbackError::Unknown(_) => "internal_error",
        }
    }
}

/// Why no access token could be handed out.
#[derive(Debug, thiserror::Error)]
pub enum AccessError {
    /// No developer app configured.
    #[error("no client id and secret are configured for {0}; add them in settings")]
    NotConfigured(crate::Provider),
    /// Configured, never connected (or disconnected).
    #[error("{0} is not connected; connect it first")]
    NotConnected(crate::Provider),
    /// The provider no longer accepts the authorization.
    #[error("{provider} needs to be connected again: {reason}")]
    NeedsReconnect {
        /// Which provider.
        provider: crate::Provider,
        /// Why.
        reason: String,
    },
    /// The provider asked to wait longer than we will.
    #[error("the provider asks to wait {retry_after:?}")]
    RateLimited {
        /// How long.
        retry_after: Duration,
    },
    /// The provider could not be reached.
    #[error("the provider is unavailable: {0}")]
    Unavailable(String),
    /// Storage failed.
    #[error(transparent)]
    Unknown(#[from] anyhow::Error),
}
