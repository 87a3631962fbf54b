//! What the operator's reports count as it happens: token refreshes and connection attempts by
//! provider and outcome (a decorator around each provider's OAuth adapter), and the refusals and
//! errors each account meets (counted by the rate-limit middleware, which knows the account).
//! Counting never delays or fails the work it counts: each add runs on its own task and a
//! failure is logged.

use std::sync::Arc;

use async_trait::async_trait;
use secrecy::SecretString;
use soiree_connections::{
    AuthorizationStart, ClientCredentials, ClientId, OAuthProvider, Provider, ProviderAccount,
    ProviderError, TokenError, TokenGrant,
};
use soiree_kernel::Tally;

/// Adds one to `name` for `subject` ("" for the whole server), in the background.
pub(crate) fn count(tally: &Arc<dyn Tally>, name: String, subject: String) {
    let tally = Arc::clone(tally);
    tokio::spawn(async move {
        if let Err(error) = tally.add(&name, &subject, chrono::Utc::now()).await {
            tracing::warn!(name, "could not count: {error:#}");
        }
    });
}

fn outcome(result: &Result<TokenGrant, TokenError>) -> &'static str {
    match result {
        Ok(_) => "ok",
        Err(TokenError::InvalidGrant(_)) => "invalid_grant",
        Err(TokenError::InvalidClient(_)) => "invalid_client",
        Err(TokenError::RateLimited { .. }) => "rate_limited",
        Err(TokenError::Unavailable(_)) => "unavailable",
    }
}

/// A provider's OAuth adapter whose code exchanges (connection attempts) and refreshes are
/// counted by outcome.
#[derive(Debug)]
pub(crate) struct CountedOAuth {
    inner: Arc<dyn OAuthProvider>,
    tally: Arc<dyn Tally>,
    metrics: Arc<crate::metrics::Metrics>,
}

impl CountedOAuth {
    pub(crate) fn new(
        inner: Arc<dyn OAuthProvider>,
        tally: Arc<dyn Tally>,
        metrics: Arc<crate::metrics::Metrics>,
    ) -> Self {
        Self {
            inner,
            tally,
            metrics,
        }
    }
}

#[async_trait]
impl OAuthProvider for CountedOAuth {
    fn provider(&self) -> Provider {
        self.inner.provider()
    }

    fn start_authorization(
        &self,
        client_id: &ClientId,
        redirect_uri: &str,
    ) -> anyhow::Result<AuthorizationStart> {
        self.inner.start_authorization(client_id, redirect_uri)
    }

    async fn exchange_code(
        &self,
        credentials: &ClientCredentials,
        code: &str,
        pkce_verifier: &SecretString,
        redirect_uri: &str,
    ) -> Result<TokenGrant, TokenError> {
        let result = self
            .inner
            .exchange_code(credentials, code, pkce_verifier, redirect_uri)
            .await;
        self.metrics
            .token_request(false, self.provider().as_str(), outcome(&result));
        let name = format!(
            "connection_attempt.{}.{}",
            self.provider().as_str(),
            outcome(&result)
        );
        count(&self.tally, name, String::new());
        result
    }

    async fn refresh(
        &self,
        credentials: &ClientCredentials,
        refresh_token: &SecretString,
    ) -> Result<TokenGrant, TokenError> {
        let result = self.inner.refresh(credentials, refresh_token).await;
        self.metrics
            .token_request(true, self.provider().as_str(), outcome(&result));
        let name = format!(
            "token_refresh.{}.{}",
            self.provider().as_str(),
            outcome(&result)
        );
        count(&self.tally, name, String::new());
        result
    }

    async fn account(&self, access_token: &SecretString) -> Result<ProviderAccount, ProviderError> {
        self.inner.account(access_token).await
    }
}
