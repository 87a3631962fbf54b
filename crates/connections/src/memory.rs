//! An in-process [`ConnectionRepository`] for tests, examples and embedders who keep nothing on
//! disk. It keeps nothing at rest, so there is nothing to seal; its refresh lock is a no-op
//! because one process is all it serves and the service's own lock covers that.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use async_trait::async_trait;
use soiree_kernel::UserId;

use crate::model::{
    ClientCredentials, Connection, PendingAuthorization, Provider, ProviderAccount, StateHash,
    TokenSet,
};
use crate::ports::{ConnectionRepository, RefreshLock};

#[derive(Debug, Default)]
struct State {
    connections: HashMap<(UserId, Provider), Connection>,
    authorizations: HashMap<StateHash, (PendingAuthorization, bool)>,
}

/// Connections in memory. Cloning shares the store.
#[derive(Debug, Default, Clone)]
pub struct InMemoryConnections {
    state: Arc<Mutex<State>>,
}

impl InMemoryConnections {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn update(&self, user_id: UserId, provider: Provider, change: impl FnOnce(&mut Connection)) {
        let mut state = self.lock();
        let connection = state
            .connections
            .entry((user_id, provider))
            .or_insert_with(|| Connection::empty(user_id, provider));
        change(connection);
    }
}

#[async_trait]
impl ConnectionRepository for InMemoryConnections {
    async fn get(&self, user_id: UserId, provider: Provider) -> anyhow::Result<Option<Connection>> {
        Ok(self.lock().connections.get(&(user_id, provider)).cloned())
    }

    async fn save_credentials(
        &self,
        user_id: UserId,
        provider: Provider,
        credentials: &ClientCredentials,
    ) -> anyhow::Result<()> {
        self.update(user_id, provider, |connection| {
            let same_app = connection.credentials.as_ref().map(|old| &old.client_id)
                == Some(&credentials.client_id);
            if !same_app {
                connection.tokens = None;
                connection.account = None;
                connection.needs_reconnect = None;
            }
            connection.credentials = Some(credentials.clone());
        });
        Ok(())
    }

    async fn forget(
        &self,
        user_id: UserId,
        provider: Provider,
        forget_credentials: bool,
    ) -> anyhow::Result<()> {
        self.update(user_id, provider, |connection| {
            connection.tokens = None;
            connection.account = None;
            connection.needs_reconnect = None;
            if forget_credentials {
                connection.credentials = None;
            }
        });
        Ok(())
    }

    async fn save_authorization(&self, pending: &PendingAuthorization) -> anyhow::Result<()> {
        self.lock()
            .authorizations
            .insert(pending.state_hash.clone(), (pending.clone(), false));
        Ok(())
    }

    async fn find_authorization(
        &self,
        state_hash: &StateHash,
    ) -> anyhow::Result<Option<(PendingAuthorization, bool)>> {
        Ok(self.lock().authorizations.get(state_hash).cloned())
    }

    async fn consume_authorization(&self, state_hash: &StateHash) -> anyhow::Result<bool> {
        let mut state = self.lock();
        Ok(match state.authorizations.get_mut(state_hash) {
            Some((_, used)) if !*used => {
                *used = true;
                true
            }
            _ => false,
        })
    }

    async fn save_connection(
        &self,
        user_id: UserId,
        provider: Provider,
        tokens: &TokenSet,
        account: &ProviderAccount,
    ) -> anyhow::Result<()> {
        self.update(user_id, provider, |connection| {
            connection.tokens = Some(tokens.clone());
            connection.account = Some(account.clone());
            connection.needs_reconnect = None;
        });
        Ok(())
    }

    async fn lock_for_refresh(
        &self,
        user_id: UserId,
        provider: Provider,
    ) -> anyhow::Result<Box<dyn RefreshLock>> {
        let connection = self.lock().connections.get(&(user_id, provider)).cloned();
        Ok(Box::new(MemoryRefreshLock {
            store: self.clone(),
            connection: connection.unwrap_or_else(|| Connection::empty(user_id, provider)),
        }))
    }
}

struct MemoryRefreshLock {
    store: InMemoryConnections,
    connection: Connection,
}

#[async_trait]
impl RefreshLock for MemoryRefreshLock {
    fn connection(&self) -> &Connection {
        &self.connection
    }

    async fn store_tokens(self: Box<Self>, tokens: &TokenSet) -> anyhow::Result<()> {
        let (user_id, provider) = (self.connection.user_id, self.connection.provider);
        self.store.update(user_id, provider, |connection| {
            connection.tokens = Some(tokens.clone())
        });
        Ok(())
    }

    async fn mark_needs_reconnect(self: Box<Self>, reason: &str) -> anyhow::Result<()> {
        let (user_id, provider) = (self.connection.user_id, self.connection.provider);
        self.store.update(user_id, provider, |connection| {
            connection.tokens = None;
            connection.needs_reconnect = Some(reason.to_owned());
        });
        Ok(())
    }

    async fn release(self: Box<Self>) -> anyhow::Result<()> {
        Ok(())
    }
}
