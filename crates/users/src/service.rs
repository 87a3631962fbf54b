//! The account use cases: register, log in, authenticate a request, log out, change the profile.

use std::sync::{Arc, OnceLock};

use secrecy::SecretString;
use soiree_kernel::{Clock, Tier, UserId};
use tracing::instrument;

use crate::error::{AuthenticateError, LoginError, RegisterError, UpdateProfileError};
use crate::model::{NewAccount, Profile, ProfileChanges, User};
use crate::password::{PasswordHash, PasswordHasher};
use crate::ports::{StoredUser, UserPorts};
use crate::session::{LAST_SEEN_RESOLUTION, Session, SessionId, SessionPolicy, SessionToken};
use crate::throttle::LoginThrottle;

/// The rules the service applies; the defaults are those of DESIGN §3.
#[derive(Debug, Clone, Copy, Default)]
pub struct UsersConfig {
    /// Session lifetimes.
    pub sessions: SessionPolicy,
    /// Login throttling.
    pub throttle: LoginThrottle,
}

/// A session just opened by a login. The token is in here and nowhere else.
#[derive(Debug)]
pub struct NewSession {
    /// The bearer token; show it to the client once.
    pub token: SessionToken,
    /// The stored session.
    pub session: Session,
    /// Who logged in.
    pub user: User,
}

/// The caller behind an accepted session token.
#[derive(Debug, Clone)]
pub struct Authenticated {
    /// The account.
    pub user: User,
    /// The session that authenticated the request.
    pub session: Session,
}

/// Accounts and sessions over the [`UserPorts`].
#[derive(Debug)]
pub struct UsersService {
    ports: UserPorts,
    hasher: Arc<dyn PasswordHasher>,
    clock: Arc<dyn Clock>,
    config: UsersConfig,
    /// A hash of a random password, verified against when the account does not exist, so that an
    /// unknown username costs as much time as a wrong password (AU-1).
    decoy_hash: OnceLock<PasswordHash>,
}

impl UsersService {
    /// Wires the service.
    pub fn new(
        ports: UserPorts,
        hasher: Arc<dyn PasswordHasher>,
        clock: Arc<dyn Clock>,
        config: UsersConfig,
    ) -> Self {
        Self {
            ports,
            hasher,
            clock,
            config,
            decoy_hash: OnceLock::new(),
        }
    }

    /// The session lifetimes in force.
    pub fn session_policy(&self) -> &SessionPolicy {
        &self.config.sessions
    }

    /// Creates an account on the [`Tier::Free`] tier.
    #[instrument(skip_all, fields(username = %account.username))]
    pub async fn register(&self, account: NewAccount) -> Result<User, RegisterError> {
        let password_hash = self.hasher.hash(account.password.secret()).await?;
        let user = User {
            id: UserId::generate(),
            username: account.username,
            email: account.email,
            profile: Profile::default(),
            tier: Tier::Free,
            created_at: self.clock.now(),
        };
        self.ports
            .users
            .insert_user(&StoredUser {
                user: user.clone(),
                password_hash,
            })
            .await?;
        tracing::info!(user_id = %user.id, "account registered");
        Ok(user)
    }

    /// Opens a session for the account whose username or email is `login`, if `password` is its
    /// password and the account is not throttled.
    #[instrument(skip_all)]
    pub async fn login(
        &self,
        login: &str,
        password: &SecretString,
    ) -> Result<NewSession, LoginError> {
        let now = self.clock.now();
        let login_key = login.trim().to_lowercase();
        let Some(stored) = self.ports.users.find_by_login_key(&login_key).await? else {
            // Spend the same time as a real check, then give the same answer.
            let decoy = self.decoy_hash().await?;
            let _ = self.hasher.verify(password, &decoy).await?;
            return Err(LoginError::InvalidCredentials);
        };
        let user_id = stored.user.id;
        let failures = self
            .ports
            .login_attempts
            .failures_since(user_id, now - self.config.throttle.window)
            .await?;
        if let Some(until) = self.config.throttle.locked_until(&failures, now) {
            // A throttled attempt is not checked and not counted, so that someone hammering an
            // account cannot extend its owner's wait indefinitely.
            tracing::warn!(%user_id, %until, "login refused: account throttled");
            return Err(LoginError::InvalidCredentials);
        }
        if !self.hasher.verify(password, &stored.password_hash).await? {
            self.ports
                .login_attempts
                .record_failure(user_id, now)
                .await?;
            tracing::info!(%user_id, "login failed: wrong password");
            return Err(LoginError::InvalidCredentials);
        }
        self.ports.login_attempts.clear(user_id).await?;
        let token = SessionToken::generate();
        let session = Session {
            id: SessionId::generate(),
            user_id,
            token_hash: token.hash(),
            created_at: now,
            last_seen_at: now,
            expires_at: now + self.config.sessions.absolute_timeout,
            revoked_at: None,
        };
        self.ports.sessions.insert_session(&session).await?;
        tracing::info!(%user_id, "logged in");
        Ok(NewSession {
            token,
            session,
            user: stored.user,
        })
    }

    /// The caller behind a presented session token, if the session is still active. Marks the
    /// session as used.
    #[instrument(skip_all)]
    pub async fn authenticate(
        &self,
        presented_token: &str,
    ) -> Result<Authenticated, AuthenticateError> {
        let token = SessionToken::from_presented(presented_token)
            .ok_or(AuthenticateError::Unauthenticated)?;
        let now = self.clock.now();
        let mut session = self
            .ports
            .sessions
            .find_by_token_hash(&token.hash())
            .await?
            .ok_or(AuthenticateError::Unauthenticated)?;
        if !session.is_active(now, &self.config.sessions) {
            return Err(AuthenticateError::Unauthenticated);
        }
        let user = self
            .ports
            .users
            .find_by_id(session.user_id)
            .await?
            .ok_or(AuthenticateError::Unauthenticated)?;
        if now - session.last_seen_at >= LAST_SEEN_RESOLUTION {
            self.ports.sessions.touch(session.id, now).await?;
            session.last_seen_at = now;
        }
        Ok(Authenticated { user, session })
    }

    /// Ends one session; its token stops working at once.
    #[instrument(skip_all, fields(session_id = %session_id.as_uuid()))]
    pub async fn logout(&self, session_id: SessionId) -> anyhow::Result<()> {
        self.ports
            .sessions
            .revoke(session_id, self.clock.now())
            .await
    }

    /// Ends every session of an account (after a password or MFA change, for instance).
    #[instrument(skip(self))]
    pub async fn logout_everywhere(&self, user_id: UserId) -> anyhow::Result<()> {
        self.ports
            .sessions
            .revoke_all_for_user(user_id, self.clock.now())
            .await
    }

    /// The account whose username or email is `login` (any case), if it exists.
    pub async fn user_by_login(&self, login: &str) -> anyhow::Result<Option<User>> {
        let stored = self
            .ports
            .users
            .find_by_login_key(&login.trim().to_lowercase())
            .await?;
        Ok(stored.map(|stored| stored.user))
    }

    /// The account with this id, if it exists.
    pub async fn user(&self, user_id: UserId) -> anyhow::Result<Option<User>> {
        self.ports.users.find_by_id(user_id).await
    }

    /// Applies profile changes and returns the updated account.
    #[instrument(skip(self, changes))]
    pub async fn update_profile(
        &self,
        user_id: UserId,
        changes: ProfileChanges,
    ) -> Result<User, UpdateProfileError> {
        let mut user = self
            .ports
            .users
            .find_by_id(user_id)
            .await?
            .ok_or(UpdateProfileError::NotFound)?;
        user.profile = changes.apply_to(user.profile);
        if !self
            .ports
            .users
            .update_profile(user_id, &user.profile)
            .await?
        {
            return Err(UpdateProfileError::NotFound);
        }
        Ok(user)
    }

    async fn decoy_hash(&self) -> anyhow::Result<PasswordHash> {
        if let Some(hash) = self.decoy_hash.get() {
            return Ok(hash.clone());
        }
        let random = SessionToken::generate();
        let hash = self
            .hasher
            .hash(&SecretString::from(random.expose().to_owned()))
            .await?;
        Ok(self.decoy_hash.get_or_init(|| hash).clone())
    }
}

#[cfg(test)]
#[path = "service_tests.rs"]
mod tests;
