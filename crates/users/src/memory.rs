//! In-process implementations of the users ports, for tests, examples and embedders who keep
//! nothing on disk. They hold the same uniqueness and revocation rules as the database adapter.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use async_trait::async_trait;
use soiree_kernel::{Timestamp, UserId};

use crate::app_password::{AppPassword, AppPasswordId, AppSecret};
use crate::error::InsertUserError;
use crate::events::{KnownClient, SecurityEvent, SecurityEventKind, device_family};
use crate::mfa::{LoginChallenge, MfaRecord, RecoveryCodeHash, TotpSeed};
use crate::model::{Profile, User};
use crate::ports::{
    AppPasswordRepository, FailureSummary, LoginAttemptRepository, MfaRepository,
    SecurityEventRepository, SessionRepository, StoredUser, UserPorts, UserRepository,
};
use crate::session::{ClientInfo, Session, SessionId, TokenHash};

#[derive(Debug, Default)]
struct State {
    users: HashMap<UserId, StoredUser>,
    sessions: HashMap<SessionId, Session>,
    failures: HashMap<UserId, Vec<Timestamp>>,
    mfa: HashMap<UserId, StoredMfa>,
    challenges: HashMap<TokenHash, LoginChallenge>,
    events: Vec<SecurityEvent>,
    app_passwords: Vec<(AppPassword, String)>,
}

#[derive(Debug)]
struct StoredMfa {
    seed: TotpSeed,
    confirmed_at: Option<Timestamp>,
    last_step: Option<u64>,
    codes: Vec<RecoveryCodeHash>,
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
            mfa: Arc::new(self.clone()),
            events: Arc::new(self.clone()),
            app_passwords: Arc::new(self.clone()),
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

    async fn delete_user(&self, id: UserId) -> anyhow::Result<bool> {
        let mut state = self.lock();
        let found = state.users.remove(&id).is_some();
        state.sessions.retain(|_, session| session.user_id != id);
        state.failures.remove(&id);
        state.mfa.remove(&id);
        state
            .challenges
            .retain(|_, challenge| challenge.user_id != id);
        state.events.retain(|event| event.user_id != id);
        state.app_passwords.retain(|(kept, _)| kept.user_id != id);
        Ok(found)
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

    async fn mark_authenticated(&self, id: SessionId, at: Timestamp) -> anyhow::Result<()> {
        if let Some(session) = self.lock().sessions.get_mut(&id) {
            session.authenticated_at = at;
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

#[async_trait]
impl MfaRepository for InMemoryUserStore {
    async fn mfa_of(&self, user_id: UserId) -> anyhow::Result<Option<MfaRecord>> {
        Ok(self.lock().mfa.get(&user_id).map(|stored| MfaRecord {
            seed: stored.seed.clone(),
            confirmed_at: stored.confirmed_at,
            last_step: stored.last_step,
            recovery_codes_left: u32::try_from(stored.codes.len()).unwrap_or(u32::MAX),
        }))
    }

    async fn put_pending_seed(
        &self,
        user_id: UserId,
        seed: &TotpSeed,
        _at: Timestamp,
    ) -> anyhow::Result<bool> {
        let mut state = self.lock();
        if state
            .mfa
            .get(&user_id)
            .is_some_and(|stored| stored.confirmed_at.is_some())
        {
            return Ok(false);
        }
        state.mfa.insert(
            user_id,
            StoredMfa {
                seed: seed.clone(),
                confirmed_at: None,
                last_step: None,
                codes: Vec::new(),
            },
        );
        Ok(true)
    }

    async fn confirm(
        &self,
        user_id: UserId,
        step: u64,
        codes: &[RecoveryCodeHash],
        at: Timestamp,
    ) -> anyhow::Result<bool> {
        let mut state = self.lock();
        let Some(stored) = state
            .mfa
            .get_mut(&user_id)
            .filter(|stored| stored.confirmed_at.is_none())
        else {
            return Ok(false);
        };
        stored.confirmed_at = Some(at);
        stored.last_step = Some(step);
        stored.codes = codes.to_vec();
        Ok(true)
    }

    async fn accept_step(&self, user_id: UserId, step: u64) -> anyhow::Result<bool> {
        let mut state = self.lock();
        let Some(stored) = state.mfa.get_mut(&user_id) else {
            return Ok(false);
        };
        if stored.last_step.is_some_and(|last| last >= step) {
            return Ok(false);
        }
        stored.last_step = Some(step);
        Ok(true)
    }

    async fn use_recovery_code(
        &self,
        user_id: UserId,
        code: &RecoveryCodeHash,
    ) -> anyhow::Result<bool> {
        let mut state = self.lock();
        let Some(stored) = state.mfa.get_mut(&user_id) else {
            return Ok(false);
        };
        let before = stored.codes.len();
        stored.codes.retain(|kept| kept != code);
        Ok(stored.codes.len() < before)
    }

    async fn replace_recovery_codes(
        &self,
        user_id: UserId,
        codes: &[RecoveryCodeHash],
    ) -> anyhow::Result<()> {
        if let Some(stored) = self.lock().mfa.get_mut(&user_id) {
            stored.codes = codes.to_vec();
        }
        Ok(())
    }

    async fn remove_mfa(&self, user_id: UserId) -> anyhow::Result<bool> {
        Ok(self.lock().mfa.remove(&user_id).is_some())
    }

    async fn insert_challenge(&self, challenge: &LoginChallenge) -> anyhow::Result<()> {
        self.lock()
            .challenges
            .insert(challenge.token_hash.clone(), challenge.clone());
        Ok(())
    }

    async fn challenge(&self, token_hash: &TokenHash) -> anyhow::Result<Option<LoginChallenge>> {
        Ok(self.lock().challenges.get(token_hash).cloned())
    }

    async fn take_challenge(&self, token_hash: &TokenHash, now: Timestamp) -> anyhow::Result<bool> {
        let mut state = self.lock();
        let taken = state
            .challenges
            .remove(token_hash)
            .is_some_and(|challenge| challenge.expires_at > now);
        state
            .challenges
            .retain(|_, challenge| challenge.expires_at > now);
        Ok(taken)
    }
}

#[async_trait]
impl SecurityEventRepository for InMemoryUserStore {
    async fn record_event(&self, event: &SecurityEvent) -> anyhow::Result<()> {
        self.lock().events.push(event.clone());
        Ok(())
    }

    async fn events_of(&self, user_id: UserId, limit: u32) -> anyhow::Result<Vec<SecurityEvent>> {
        let state = self.lock();
        Ok(state
            .events
            .iter()
            .rev()
            .filter(|event| event.user_id == user_id)
            .take(limit as usize)
            .cloned()
            .collect())
    }

    async fn known_client(
        &self,
        user_id: UserId,
        client: &ClientInfo,
    ) -> anyhow::Result<KnownClient> {
        let family = client.device.as_deref().and_then(device_family);
        let state = self.lock();
        let logins = state.events.iter().filter(|event| {
            event.user_id == user_id && event.kind == SecurityEventKind::LoginSucceeded
        });
        Ok(
            logins.fold(KnownClient::default(), |known, event| KnownClient {
                any_login: true,
                device_seen: known.device_seen
                    || event.client.device.as_deref().and_then(device_family) == family,
                address_seen: known.address_seen || event.client.address == client.address,
            }),
        )
    }

    async fn acknowledge_events(&self, user_id: UserId, at: Timestamp) -> anyhow::Result<u64> {
        let mut state = self.lock();
        let mut count = 0;
        for event in state
            .events
            .iter_mut()
            .filter(|event| event.user_id == user_id && event.needs_attention())
        {
            event.acknowledged_at = Some(at);
            count += 1;
        }
        Ok(count)
    }
}

#[async_trait]
impl AppPasswordRepository for InMemoryUserStore {
    async fn insert_app_password(
        &self,
        app_password: &AppPassword,
        secret: &AppSecret,
        limit: usize,
    ) -> anyhow::Result<bool> {
        let mut state = self.lock();
        let owned = state
            .app_passwords
            .iter()
            .filter(|(kept, _)| kept.user_id == app_password.user_id)
            .count();
        if owned >= limit {
            return Ok(false);
        }
        state
            .app_passwords
            .push((app_password.clone(), secret.expose().to_owned()));
        Ok(true)
    }

    async fn app_passwords_of(&self, user_id: UserId) -> anyhow::Result<Vec<AppPassword>> {
        Ok(self
            .lock()
            .app_passwords
            .iter()
            .filter(|(kept, _)| kept.user_id == user_id)
            .map(|(kept, _)| kept.clone())
            .collect())
    }

    async fn user_by_app_lookup(&self, lookup: &str) -> anyhow::Result<Option<UserId>> {
        Ok(self
            .lock()
            .app_passwords
            .iter()
            .find(|(_, secret)| crate::app_password::lookup_of(secret) == lookup)
            .map(|(kept, _)| kept.user_id))
    }

    async fn app_secrets_of(
        &self,
        user_id: UserId,
    ) -> anyhow::Result<Vec<(AppPasswordId, AppSecret)>> {
        Ok(self
            .lock()
            .app_passwords
            .iter()
            .filter(|(kept, _)| kept.user_id == user_id)
            .map(|(kept, secret)| {
                (
                    kept.id,
                    AppSecret::from_stored(secrecy::SecretString::from(secret.clone())),
                )
            })
            .collect())
    }

    async fn delete_app_password(
        &self,
        user_id: UserId,
        id: AppPasswordId,
    ) -> anyhow::Result<bool> {
        let mut state = self.lock();
        let before = state.app_passwords.len();
        state
            .app_passwords
            .retain(|(kept, _)| !(kept.user_id == user_id && kept.id == id));
        Ok(state.app_passwords.len() < before)
    }
}
