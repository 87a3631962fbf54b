//! What the connections domain needs from the outside world.

use async_trait::async_trait;
use secrecy::SecretString;
use soiree_kernel::UserId;

use crate::error::{ProviderError, TokenError};
use crate::model::{
    AuthorizationStart, ClientCredentials, ClientId, Connection, PendingAuthorization, Provider,
    ProviderAccount, StateHash, TokenGrant, TokenSet,
};

/// Stored connections, credentials and pending authorizations. Implementations MUST keep client
/// secrets, tokens and PKCE verifiers unreadable at rest (CR-1).
#[async_trait]
pub trait ConnectionRepository: Send + Sync + std::fmt::Debug {
    /// The connection of `user_id` to `provider`, if anything is stored.
    async fn get(&self, user_id: UserId, provider: Provider) -> anyhow::Result<Option<Connection>>;

    /// Stores a developer app. When the client id changes, stored tokens, account and any
    /// reconnect reason MUST be dropped (they belong to the old app); otherwise they stay.
    async fn save_credentials(
        &self,
        user_id: UserId,
        provider: Provider,
        credentials: &ClientCredentials,
    ) -> anyhow::Result<()>;

    /// Forgets tokens and account (disconnect). With `forget_credentials`, forgets the developer
    /// app too. Forgetting what is not stored is not an error.
    async fn forget(
        &self,
        user_id: UserId,
        provider: Provider,
        forget_credentials: bool,
    ) -> anyhow::Result<()>;

    /// Stores a pending authorization.
    async fn save_authorization(&self, pending: &PendingAuthorization) -> anyhow::Result<()>;

    /// The pending authorization with this state, used or not, if any.
    async fn find_authorization(
        &self,
        state_hash: &StateHash,
    ) -> anyhow::Result<Option<(PendingAuthorization, bool)>>;

    /// Marks the authorization used. MUST return `Ok(true)` for exactly one caller, even when
    /// several race (a conditional update), and `Ok(false)` if it was used already.
    async fn consume_authorization(&self, state_hash: &StateHash) -> anyhow::Result<bool>;

    /// Stores the tokens and account of a completed authorization; clears any reconnect reason.
    async fn save_connection(
        &self,
        user_id: UserId,
        provider: Provider,
        tokens: &TokenSet,
        account: &ProviderAccount,
    ) -> anyhow::Result<()>;

    /// Takes the cross-process refresh lock of one connection and reads it afresh under the lock.
    ///
    /// Contract: while a returned lock is held, no other process MAY hold the lock of the same
    /// connection (a row lock on a shared database; a single process MAY rely on the service's
    /// in-process lock instead). The lock ends when the returned value is finished or dropped.
    async fn lock_for_refresh(
        &self,
        user_id: UserId,
        provider: Provider,
    ) -> anyhow::Result<Box<dyn RefreshLock>>;
}

/// A connection held under its refresh lock.
#[async_trait]
pub trait RefreshLock: Send {
    /// The connection as stored when the lock was taken.
    fn connection(&self) -> &Connection;

    /// Stores refreshed tokens and releases the lock.
    async fn store_tokens(self: Box<Self>, tokens: &TokenSet) -> anyhow::Result<()>;

    /// Marks the connection as needing a reconnect, forgets its tokens, and releases the lock.
    async fn mark_needs_reconnect(self: Box<Self>, reason: &str) -> anyhow::Result<()>;

    /// Releases the lock without changing anything.
    async fn release(self: Box<Self>) -> anyhow::Result<()>;
}

/// A provider's OAuth endpoints and profile, as one adapter (Spotify, SoundCloud).
#[async_trait]
pub trait OAuthProvider: Send + Sync + std::fmt::Debug {
    /// Which provider this adapter speaks to.
    fn provider(&self) -> Provider;

    /// Builds the authorization URL with a fresh `state` (≥128 random bits) and a fresh PKCE
    /// S256 challenge, asking for every scope Soirée needs (OA-2).
    fn start_authorization(
        &self,
        client_id: &ClientId,
        redirect_uri: &str,
    ) -> anyhow::Result<AuthorizationStart>;

    /// Exchanges an authorization code, sending the PKCE verifier.
    async fn exchange_code(
        &self,
        credentials: &ClientCredentials,
        code: &str,
        pkce_verifier: &SecretString,
        redirect_uri: &str,
    ) -> Result<TokenGrant, TokenError>;

    /// Uses a refresh token. MUST NOT retry a request the provider may have processed: a
    /// rotating refresh token is spent by the first request that reaches it.
    async fn refresh(
        &self,
        credentials: &ClientCredentials,
        refresh_token: &SecretString,
    ) -> Result<TokenGrant, TokenError>;

    /// The account behind an access token.
    async fn account(&self, access_token: &SecretString) -> Result<ProviderAccount, ProviderError>;
}
