//! In-process implementations of the users ports, for tests, examples and embedders who keep
//! nothing on disk. They hold the same uniqueness and revocation rules as the database adapter.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use async_trait::async_trait;
use soiree_kernel::{Timestamp, UserId};

use crate::error::InsertUserError;
use crate::model::{Profile, User};
use crate::ports::{
    FailureSummary, LoginAttemptRepository, SessionRepository, StoredUser, UserPorts,
    UserRepository,
};
use crate::session::{Session, SessionId, TokenHash};

#[derive(Debug, Default)]
struct State {
    users: HashMap<UserId, StoredUser>,
    sessions: HashMap<SessionId, Session>,
    failures: HashMap<UserId, Vec<Timestamp>>,
}

/// Accounts, sessions and failed logins in memory. Cloning shares the same store.
#[derive(Debug, Default, Clone)]
pub struct InMemoryUserStore {
    state: Arc<Mutex<State>>,
}

impl InMemoryUserStore {
    /// This store as the three ports the users service needs.
    pub fn ports(&self) -> UserPorts {
        UserPorts {
            users: Arc::new(self.clone()),
            sessions: Arc::new(self.clone()),
            login_attempts: Arc::new(self.clone()),
        }
    }

    /// Every stored session, for assertions in tests.
    pub fn sessions(&self) -> Vec<Session> {
        self.lock().sessions.values().cloned().collect()
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[async_trait]
impl UserRepository for InMemoryUserStore {
    async fn insert_user(&self, stored: &StoredUser) -> Result<(), InsertUserError> {
        let mut state = self.lock();
        let username_key = stored.user.username.key();
        let email_key = stored.user.email.as_ref().map(|email| email.key());
        for existing in state.users.values() {
            if existing.user.username.key() == username_key {
                return Err(InsertUserError::UsernameTaken);
            }
            if email_key.is_some()
                && existing.user.email.as_ref().map(|email| email.key()) == email_key
            {
                return Err(InsertUserError::EmailTaken);
            }
        }
        state.users.insert(stored.user.id, stored.clone());
        Ok(())
    }

    async fn find_by_login_key(&self, login_key: &str) -> anyhow::Result<Option<StoredUser>> {
        let state = self.lock();
        let found = state.users.values().find(|stored| {
            stored.user.username.key() == login_key
                || stored
                    .user
                    .email
                    .as_ref()
                    .is_some_and(|email| email.key() == login_key)
        });
        Ok(found.cloned())
    }

    async fn find_by_id(&self, id: UserId) -> anyhow::Result<Option<User>> {
        Ok(self.lock().users.get(&id).map(|stored| stored.user.clone()))
    }

    async fn set_operator(&self, id: UserId, operator: bool) -> anyhow::Result<bool> {
        let mut state = self.lock();
        let Some(stored) = state.users.get_mut(&id) else {
            return Ok(false);
        };
        stored.user.operator = operator;
        Ok(true)
    }

    async fn set_password_hash(
        &self,
        id: UserId,
        hash: &crate::PasswordHash,
    ) -> anyhow::Result<bool> {
        let mut state = self.lock();
        let Some(stored) = state.users.get_mut(&id) else {
            return Ok(false);
        };
        stored.password_hash = hash.clone();
        Ok(true)
    }

    async fn list_users(
        &self,
        search: Option<&str>,
        offset: u64,
        limit: u64,
    ) -> anyhow::Result<(Vec<User>, u64)> {
        let state = self.lock();
        let mut found: Vec<User> = state
            .users
            .values()
            .map(|stored| stored.user.clone())
            .filter(|user| {
                search.is_none_or(|search| {
                    user.username.key().contains(search)
                        || user
                            .email
                            .as_ref()
                            .is_some_and(|email| email.key().contains(search))
                })
            })
            .collect();
        found.sort_by_key(|user| user.username.key());
        let total = found.len() as u64;
        let page = found
            .into_iter()
            .skip(usize::try_from(offset).unwrap_or(usize::MAX))
            .take(usize::try_from(limit).unwrap_or(usize::MAX))
            .collect();
        Ok((page, total))
    }

    async fn update_profile(&self, id: UserId, profile: &Profile) -> anyhow::Result<bool> {
        let mut state = self.lock();
        let Some(stored) = state.users.get_mut(&id) else {
            return Ok(false);
        };
        stored.user.profile = profile.clone();
        Ok(true)
    }
}

#[async_trait]
impl SessionRepository for InMemoryUserStore {
    async fn insert_session(&self, session: &Session) -> anyhow::Result<()> {
        self.lock().sessions.insert(session.id, session.clone());
        Ok(())
    }

    async fn find_by_token_hash(&self, token_hash: &TokenHash) -> anyhow::Result<Option<Session>> {
        let state = self.lock();
        Ok(state
            .sessions
            .values()
            .find(|session| &session.token_hash == token_hash)
            .cloned())
    }

    async fn touch(&self, id: SessionId, at: Timestamp) -> anyhow::Result<()> {
        if let Some(session) = self.lock().sessions.get_mut(&id) {
            session.last_seen_at = at;
        }
        Ok(())
    }

    async fn revoke(&self, id: SessionId, at: Timestamp) -> anyhow::Result<()> {
        if let Some(session) = self.lock().sessions.get_mut(&id) {
            session.revoked_at.get_or_insert(at);
        }
        Ok(())
    }

    async fn revoke_all_for_user(&self, user_id: UserId, at: Timestamp) -> anyhow::Result<()> {
        for session in self
            .lock()
            .sessions
            .values_mut()
            .filter(|session| session.user_id == user_id)
        {
            session.revoked_at.get_or_insert(at);
        }
        Ok(())
    }

    async fn sessions_of(&self, user_id: UserId) -> anyhow::Result<Vec<Session>> {
        let mut sessions: Vec<Session> = self
            .lock()
            .sessions
            .values()
            .filter(|session| session.user_id == user_id && session.revoked_at.is_none())
            .cloned()
            .collect();
        sessions.sort_by_key(|session| std::cmp::Reverse(session.last_seen_at));
        Ok(sessions)
    }
}

#[async_trait]
impl LoginAttemptRepository for InMemoryUserStore {
    async fn record_failure(&self, user_id: UserId, at: Timestamp) -> anyhow::Result<()> {
        self.lock().failures.entry(user_id).or_default().push(at);
        Ok(())
    }

    async fn failures_since(
        &self,
        user_id: UserId,
        since: Timestamp,
    ) -> anyhow::Result<FailureSummary> {
        let state = self.lock();
        let recent = state
            .failures
            .get(&user_id)
            .into_iter()
            .flatten()
            .filter(|at| **at >= since);
        Ok(
            recent.fold(FailureSummary::default(), |summary, at| FailureSummary {
                count: summary.count + 1,
                latest: summary.latest.max(Some(*at)),
            }),
        )
    }

    async fn clear(&self, user_id: UserId) -> anyhow::Result<()> {
        self.lock().failures.remove(&user_id);
        Ok(())
    }

    async fn reserve_attempt(
        &self,
        user_id: UserId,
        at: Timestamp,
        since: Timestamp,
        admits: &(dyn for<'f> Fn(&'f FailureSummary) -> bool + Send + Sync),
    ) -> anyhow::Result<bool> {
        // One lock for the decision and the record: atomic, as the contract asks.
        let mut state = self.lock();
        let failures = state.failures.entry(user_id).or_default();
        let summary = failures.iter().filter(|failed| **failed >= since).fold(
            FailureSummary::default(),
            |summary, failed| FailureSummary {
                count: summary.count + 1,
                latest: summary.latest.max(Some(*failed)),
            },
        );
        if !admits(&summary) {
            return Ok(false);
        }
        failures.push(at);
        Ok(true)
    }
}
