//! The connection use cases.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use chrono::Duration;
use secrecy::{ExposeSecret, SecretString};
use soiree_kernel::{Clock, UserId};
use tracing::instrument;

use crate::error::{AccessError, AuthorizeError, CallbackError, CredentialsError, TokenError};
use crate::model::{
    CallbackParams, ClientCredentials, Connection, PendingAuthorization, Provider, StateHash,
};
use crate::ports::{ConnectionRepository, OAuthProvider};

/// What the service needs to know about its deployment.
#[derive(Debug, Clone)]
pub struct ConnectionsConfig {
    /// Where each provider sends the browser back after consent: the address of the app's
    /// callback, exactly as registered in the provider's developer dashboard. The app knows its
    /// routes; this crate only passes the address on.
    pub redirect_uris: HashMap<Provider, String>,
    /// How long an authorization may take (10 minutes).
    pub authorization_lifetime: Duration,
    /// Tokens are refreshed this long before they expire (1 minute).
    pub refresh_margin: Duration,
}

impl ConnectionsConfig {
    /// The defaults of DESIGN §3, with each provider's redirect URI from `redirect_uri`.
    pub fn new(redirect_uri: impl Fn(Provider) -> String) -> Self {
        Self {
            redirect_uris: Provider::ALL
                .into_iter()
                .map(|provider| (provider, redirect_uri(provider)))
                .collect(),
            authorization_lifetime: Duration::minutes(10),
            refresh_margin: Duration::minutes(1),
        }
    }
}

/// The reason stored when a provider stops accepting a refresh token.
const REVOKED_REASON: &str = "the provider no longer accepts the stored authorization (it lasts about six months, \
                              and can be revoked in the provider's account settings); connect again";
/// The reason stored when a provider refuses the app's credentials during a refresh.
const CLIENT_REFUSED_REASON: &str = "the provider refused the app's client id or secret; check them in settings, \
                                     then connect again";

type RefreshKey = (UserId, Provider);

/// Connections over a [`ConnectionRepository`] and one [`OAuthProvider`] per provider.
#[derive(Debug)]
pub struct ConnectionsService {
    repository: Arc<dyn ConnectionRepository>,
    providers: HashMap<Provider, Arc<dyn OAuthProvider>>,
    clock: Arc<dyn Clock>,
    config: ConnectionsConfig,
    /// One async lock per connection: at most one refresh in flight in this process.
    refresh_locks: Mutex<HashMap<RefreshKey, Arc<async_lock::Mutex<()>>>>,
}

impl ConnectionsService {
    /// Wires the service. Providers without an adapter cannot be connected.
    pub fn new(
        repository: Arc<dyn ConnectionRepository>,
        providers: Vec<Arc<dyn OAuthProvider>>,
        clock: Arc<dyn Clock>,
        config: ConnectionsConfig,
    ) -> Self {
        let providers = providers
            .into_iter()
            .map(|adapter| (adapter.provider(), adapter))
            .collect();
        Self {
            repository,
            providers,
            clock,
            config,
            refresh_locks: Mutex::new(HashMap::new()),
        }
    }

    /// The redirect URI to register in the provider's developer dashboard.
    pub fn redirect_uri(&self, provider: Provider) -> String {
        self.config
            .redirect_uris
            .get(&provider)
            .cloned()
            .unwrap_or_default()
    }

    /// The user's connection to every provider, in [`Provider::ALL`] order.
    pub async fn connections(&self, user_id: UserId) -> anyhow::Result<Vec<Connection>> {
        let mut connections = Vec::new();
        for provider in Provider::ALL {
            let stored = self.repository.get(user_id, provider).await?;
            connections.push(stored.unwrap_or_else(|| Connection::empty(user_id, provider)));
        }
        Ok(connections)
    }

    /// The user's connection to one provider.
    pub async fn connection(
        &self,
        user_id: UserId,
        provider: Provider,
    ) -> anyhow::Result<Connection> {
        Ok(self
            .repository
            .get(user_id, provider)
            .await?
            .unwrap_or_else(|| Connection::empty(user_id, provider)))
    }

    /// Stores the user's developer app for a provider.
    #[instrument(skip(self, credentials))]
    pub async fn set_credentials(
        &self,
        user_id: UserId,
        provider: Provider,
        credentials: ClientCredentials,
    ) -> Result<Connection, CredentialsError> {
        self.repository
            .save_credentials(user_id, provider, &credentials)
            .await?;
        Ok(self.connection(user_id, provider).await?)
    }

    /// Forgets tokens (and, if asked, the developer app).
    #[instrument(skip(self))]
    pub async fn disconnect(
        &self,
        user_id: UserId,
        provider: Provider,
        forget_credentials: bool,
    ) -> Result<Connection, CredentialsError> {
        self.repository
            .forget(user_id, provider, forget_credentials)
            .await?;
        Ok(self.connection(user_id, provider).await?)
    }

    /// Starts an authorization in the caller's login session; returns the URL to send the
    /// browser to.
    #[instrument(skip(self, session_id))]
    pub async fn begin_authorization(
        &self,
        user_id: UserId,
        session_id: &str,
        provider: Provider,
    ) -> Result<String, AuthorizeError> {
        let adapter = self.adapter(provider)?;
        let credentials = self
            .repository
            .get(user_id, provider)
            .await?
            .and_then(|connection| connection.credentials)
            .ok_or(AuthorizeError::NotConfigured(provider))?;
        let start =
            adapter.start_authorization(&credentials.client_id, &self.redirect_uri(provider))?;
        let pending = PendingAuthorization {
            state_hash: StateHash::of(start.state.expose_secret()),
            user_id,
            session_id: session_id.to_owned(),
            provider,
            pkce_verifier: start.pkce_verifier,
            expires_at: self.clock.now() + self.config.authorization_lifetime,
        };
        self.repository.save_authorization(&pending).await?;
        Ok(start.authorize_url)
    }

    /// Completes an authorization from the provider's redirect (OA-1): the `state` must be
    /// known, unused, unexpired, for this provider and presented in the same login session that
    /// started it; it is then spent, whatever happens next. Nothing is stored unless the code
    /// exchange and the profile read succeed.
    #[instrument(skip_all, fields(%provider))]
    pub async fn complete_authorization(
        &self,
        caller: Option<(UserId, &str)>,
        provider: Provider,
        params: CallbackParams,
    ) -> Result<(), CallbackError> {
        let state = params
            .state
            .filter(|state| !state.is_empty())
            .ok_or(CallbackError::InvalidState)?;
        let state_hash = StateHash::of(&state);
        let (pending, used) = self
            .repository
            .find_authorization(&state_hash)
            .await?
            .ok_or(CallbackError::InvalidState)?;
        if used || pending.provider != provider {
            return Err(CallbackError::InvalidState);
        }
        if self.clock.now() >= pending.expires_at {
            return Err(CallbackError::ExpiredState);
        }
        let same_session = caller.is_some_and(|(user_id, session_id)| {
            user_id == pending.user_id && session_id == pending.session_id
        });
        if !same_session {
            return Err(CallbackError::WrongSession);
        }
        if !self.repository.consume_authorization(&state_hash).await? {
            return Err(CallbackError::InvalidState);
        }
        if params.error.is_some() {
            return Err(CallbackError::Denied);
        }
        let code = params
            .code
            .filter(|code| !code.is_empty())
            .ok_or(CallbackError::InvalidState)?;
        let adapter = self
            .adapter(provider)
            .map_err(|_| CallbackError::InvalidState)?;
        let credentials = self
            .repository
            .get(pending.user_id, provider)
            .await?
            .and_then(|connection| connection.credentials)
            .ok_or(CallbackError::InvalidClient)?;
        let issued_at = self.clock.now();
        let grant = adapter
            .exchange_code(
                &credentials,
                &code,
                &pending.pkce_verifier,
                &self.redirect_uri(provider),
            )
            .await
            .map_err(|error| {
                tracing::warn!(%error, "code exchange failed");
                match error {
                    TokenError::InvalidGrant(_) => CallbackError::CodeRejected,
                    TokenError::InvalidClient(_) => CallbackError::InvalidClient,
                    TokenError::RateLimited { .. } | TokenError::Unavailable(_) => {
                        CallbackError::ProviderUnavailable
                    }
                }
            })?;
        let tokens = grant.into_token_set(issued_at);
        let account = adapter
            .account(&tokens.access_token)
            .await
            .map_err(|error| {
                tracing::warn!(%error, "reading the provider profile failed");
                CallbackError::ProviderUnavailable
            })?;
        self.repository
            .save_connection(pending.user_id, provider, &tokens, &account)
            .await?;
        tracing::info!(user_id = %pending.user_id, "provider connected");
        Ok(())
    }

    /// A usable access token, refreshed first when it expires within the refresh margin.
    pub async fn access_token(
        &self,
        user_id: UserId,
        provider: Provider,
    ) -> Result<SecretString, AccessError> {
        let connection = self.connection(user_id, provider).await?;
        let tokens = Self::usable_tokens(&connection)?;
        if tokens.is_fresh(self.clock.now(), self.config.refresh_margin) {
            return Ok(tokens.access_token.clone());
        }
        self.refresh(user_id, provider, &tokens.access_token).await
    }

    /// A new access token after the provider rejected `rejected` before its expiry (revoked, or
    /// the clocks disagree). If another caller already replaced it, that token is returned.
    pub async fn access_token_after_rejection(
        &self,
        user_id: UserId,
        provider: Provider,
        rejected: &SecretString,
    ) -> Result<SecretString, AccessError> {
        self.refresh(user_id, provider, rejected).await
    }

    fn usable_tokens(connection: &Connection) -> Result<&crate::TokenSet, AccessError> {
        let provider = connection.provider;
        if connection.credentials.is_none() {
            return Err(AccessError::NotConfigured(provider));
        }
        if let Some(reason) = &connection.needs_reconnect {
            return Err(AccessError::NeedsReconnect {
                provider,
                reason: reason.clone(),
            });
        }
        connection
            .tokens
            .as_ref()
            .ok_or(AccessError::NotConnected(provider))
    }

    fn refresh_lock(&self, key: RefreshKey) -> Arc<async_lock::Mutex<()>> {
        let mut locks = self
            .refresh_locks
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        Arc::clone(locks.entry(key).or_default())
    }

    /// The one refresh path (OA-5, OA-6, OA-7): take this process's lock, then the storage lock,
    /// re-read the tokens, and refresh only if the stored access token is still `unusable`, the
    /// one this caller found stale or rejected. Anyone who waited behind another caller's refresh
    /// thus gets that caller's token instead of refreshing again, however short tokens live.
    #[instrument(skip(self, unusable))]
    async fn refresh(
        &self,
        user_id: UserId,
        provider: Provider,
        unusable: &SecretString,
    ) -> Result<SecretString, AccessError> {
        let adapter = self
            .adapter(provider)
            .map_err(|_| AccessError::NotConnected(provider))?;
        let in_process = self.refresh_lock((user_id, provider));
        let _in_process = in_process.lock().await;
        let lock = self.repository.lock_for_refresh(user_id, provider).await?;
        let connection = lock.connection().clone();
        let tokens = match Self::usable_tokens(&connection) {
            Ok(tokens) => tokens.clone(),
            Err(error) => {
                lock.release().await?;
                return Err(error);
            }
        };
        if tokens.access_token.expose_secret() != unusable.expose_secret() {
            lock.release().await?;
            return Ok(tokens.access_token);
        }
        let now = self.clock.now();
        let (Some(credentials), Some(refresh_token)) =
            (&connection.credentials, &tokens.refresh_token)
        else {
            lock.mark_needs_reconnect(REVOKED_REASON).await?;
            return Err(AccessError::NeedsReconnect {
                provider,
                reason: REVOKED_REASON.to_owned(),
            });
        };
        match adapter.refresh(credentials, refresh_token).await {
            Ok(grant) => {
                let next = tokens.refreshed_with(grant, now);
                lock.store_tokens(&next).await?;
                tracing::info!(%user_id, %provider, "access token refreshed");
                Ok(next.access_token)
            }
            Err(TokenError::InvalidGrant(_)) => {
                lock.mark_needs_reconnect(REVOKED_REASON).await?;
                tracing::warn!(%user_id, %provider, "refresh token refused; the connection needs a reconnect");
                Err(AccessError::NeedsReconnect {
                    provider,
                    reason: REVOKED_REASON.to_owned(),
                })
            }
            Err(TokenError::InvalidClient(_)) => {
                lock.mark_needs_reconnect(CLIENT_REFUSED_REASON).await?;
                Err(AccessError::NeedsReconnect {
                    provider,
                    reason: CLIENT_REFUSED_REASON.to_owned(),
                })
            }
            Err(TokenError::RateLimited { retry_after }) => {
                lock.release().await?;
                Err(AccessError::RateLimited { retry_after })
            }
            Err(TokenError::Unavailable(message)) => {
                lock.release().await?;
                Err(AccessError::Unavailable(message))
            }
        }
    }

    fn adapter(&self, provider: Provider) -> Result<&Arc<dyn OAuthProvider>, AuthorizeError> {
        self.providers
            .get(&provider)
            .ok_or(AuthorizeError::NotConfigured(provider))
    }
}

#[cfg(test)]
#[path = "service_tests.rs"]
mod tests;
