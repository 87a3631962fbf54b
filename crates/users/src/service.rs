//! The account use cases: register, log in, authenticate a request, log out, change the profile.

use std::sync::{Arc, OnceLock};

use chrono::Duration;
use secrecy::SecretString;
use soiree_kernel::{Clock, Tier, TtlCache, UserId};
use tracing::instrument;

use crate::error::{
    AuthenticateError, ChangePasswordError, LoginError, RegisterError, RevokeSessionError,
    UpdateProfileError,
};
use crate::events::{SecurityEvent, SecurityEventKind};
use crate::mfa::ChallengeToken;
use crate::model::{NewAccount, Profile, ProfileChanges, User};
use crate::password::Password;
use crate::password::{PasswordHash, PasswordHasher};
use crate::ports::{StoredUser, UserPorts};
use crate::session::{
    ClientInfo, LAST_SEEN_RESOLUTION, Session, SessionId, SessionPolicy, SessionToken, TokenHash,
};
use crate::throttle::LoginThrottle;

/// The rules the service applies; the defaults are those of DESIGN §3.
#[derive(Debug, Clone, Copy)]
pub struct UsersConfig {
    /// Session lifetimes.
    pub sessions: SessionPolicy,
    /// Login throttling.
    pub throttle: LoginThrottle,
    /// How recent a session's last proof of identity must be for a sensitive change (erasure,
    /// two-step login, credentials): an hour, as Ory Kratos's privileged-session window.
    pub reauthentication_window: Duration,
}

impl Default for UsersConfig {
    fn default() -> Self {
        Self {
            sessions: SessionPolicy::default(),
            throttle: LoginThrottle::default(),
            reauthentication_window: Duration::hours(1),
        }
    }
}

/// What a right password leads to.
#[derive(Debug)]
pub enum SignIn {
    /// A session: the account has no second step.
    Session(Box<NewSession>),
    /// The account has two-step login: present a code with this challenge
    /// ([`UsersService::second_step`]) before it expires.
    SecondFactor {
        /// The challenge; show it to the client once.
        challenge: ChallengeToken,
        /// When it stops being accepted.
        expires_at: soiree_kernel::Timestamp,
    },
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

/// How long a verified session is reused without reading storage. Logout and revocation in this
/// process forget it at once; another process's are forgotten when the app passes on their
/// notification ([`UsersService::forget_session`]), and in any case after this long.
const VERIFIED_SESSION_TTL: Duration = Duration::seconds(5);
/// How many verified sessions are remembered at most.
const VERIFIED_SESSION_CAPACITY: usize = 100_000;

/// Accounts and sessions over the [`UserPorts`].
#[derive(Debug)]
pub struct UsersService {
    ports: UserPorts,
    hasher: Arc<dyn PasswordHasher>,
    clock: Arc<dyn Clock>,
    config: UsersConfig,
    /// Sessions verified recently, by token hash, so that a busy client costs no storage read.
    verified: TtlCache<TokenHash, Authenticated>,
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
            verified: TtlCache::new(VERIFIED_SESSION_TTL, VERIFIED_SESSION_CAPACITY),
            decoy_hash: OnceLock::new(),
        }
    }

    /// How long a re-authentication lets sensitive changes through.
    pub fn reauthentication_window(&self) -> Duration {
        self.config.reauthentication_window
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
            operator: false,
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
        self.login_from(login, password, ClientInfo::default())
            .await
    }

    /// [`login`](Self::login), remembering where the session is opened from (its device and
    /// address, shown in the account's list of sessions). An account with two-step login gets
    /// [`LoginError::SecondFactorRequired`]: use [`sign_in`](Self::sign_in) for those.
    pub async fn login_from(
        &self,
        login: &str,
        password: &SecretString,
        client: ClientInfo,
    ) -> Result<NewSession, LoginError> {
        match self.sign_in(login, password, client).await? {
            SignIn::Session(session) => Ok(*session),
            SignIn::SecondFactor { .. } => Err(LoginError::SecondFactorRequired),
        }
    }

    /// The first step of a login: the password of the account whose username or email is
    /// `login`. It opens a session, or, for an account with two-step login, a challenge that
    /// [`second_step`](Self::second_step) completes with a code.
    #[instrument(skip_all)]
    pub async fn sign_in(
        &self,
        login: &str,
        password: &SecretString,
        client: ClientInfo,
    ) -> Result<SignIn, LoginError> {
        let now = self.clock.now();
        let login_key = login.trim().to_lowercase();
        let Some(stored) = self.ports.users.find_by_login_key(&login_key).await? else {
            // Spend the same time as a real check, then give the same answer.
            let decoy = self.decoy_hash().await?;
            let _ = self.hasher.verify(password, &decoy).await?;
            return Err(LoginError::InvalidCredentials);
        };
        if !self.check_password(&stored, password, now, &client).await? {
            return Err(LoginError::InvalidCredentials);
        }
        let mfa = self.ports.mfa.mfa_of(stored.user.id).await?;
        if mfa.is_some_and(|mfa| mfa.is_enabled()) {
            return Ok(self.challenge(stored.user.id, client, now).await?);
        }
        Ok(SignIn::Session(Box::new(
            self.open_session(stored.user, client, now).await?,
        )))
    }

    /// Opens a session for `user`, logging the login (flagged when its device or address is
    /// new to the account).
    async fn open_session(
        &self,
        user: User,
        client: ClientInfo,
        now: soiree_kernel::Timestamp,
    ) -> anyhow::Result<NewSession> {
        let user_id = user.id;
        let token = SessionToken::generate();
        let session = Session {
            id: SessionId::generate(),
            user_id,
            token_hash: token.hash(),
            created_at: now,
            authenticated_at: now,
            last_seen_at: now,
            expires_at: now + self.config.sessions.absolute_timeout,
            revoked_at: None,
            client,
        };
        self.ports.sessions.insert_session(&session).await?;
        let known = self
            .ports
            .events
            .known_client(user_id, &session.client)
            .await?;
        let mut event = SecurityEvent::new(user_id, SecurityEventKind::LoginSucceeded, now)
            .from_client(&session.client);
        event.new_device = known.is_new();
        self.ports.events.record_event(&event).await?;
        tracing::info!(%user_id, new_device = event.new_device, "logged in");
        Ok(NewSession {
            token,
            session,
            user,
        })
    }

    /// The caller behind a presented session token, if the session is still active. Marks the
    /// session as used (in storage at most once a minute).
    #[instrument(skip_all)]
    pub async fn authenticate(
        &self,
        presented_token: &str,
    ) -> Result<Authenticated, AuthenticateError> {
        let token = SessionToken::from_presented(presented_token)
            .ok_or(AuthenticateError::Unauthenticated)?;
        let token_hash = token.hash();
        let now = self.clock.now();
        let mut caller = match self.verified.get(&token_hash, now) {
            Some(caller) => caller,
            None => {
                let caller = self.load(&token_hash).await?;
                self.verified
                    .insert(token_hash.clone(), caller.clone(), now);
                caller
            }
        };
        if !caller.session.is_active(now, &self.config.sessions) {
            self.verified.remove(&token_hash);
            return Err(AuthenticateError::Unauthenticated);
        }
        if now - caller.session.last_seen_at >= LAST_SEEN_RESOLUTION {
            self.ports.sessions.touch(caller.session.id, now).await?;
            caller.session.last_seen_at = now;
            self.verified
                .update(&token_hash, |cached| cached.session.last_seen_at = now);
        }
        Ok(caller)
    }

    /// Whether a presented session token is still active, read from storage and without marking
    /// the session as used (so that a check made on the caller's behalf, such as an open
    /// socket's, never keeps an idle session alive).
    pub async fn still_active(
        &self,
        presented_token: &str,
    ) -> Result<Authenticated, AuthenticateError> {
        let token = SessionToken::from_presented(presented_token)
            .ok_or(AuthenticateError::Unauthenticated)?;
        let caller = self.load(&token.hash()).await?;
        if caller
            .session
            .is_active(self.clock.now(), &self.config.sessions)
        {
            Ok(caller)
        } else {
            Err(AuthenticateError::Unauthenticated)
        }
    }

    async fn load(&self, token_hash: &TokenHash) -> Result<Authenticated, AuthenticateError> {
        let session = self
            .ports
            .sessions
            .find_by_token_hash(token_hash)
            .await?
            .ok_or(AuthenticateError::Unauthenticated)?;
        let user = self
            .ports
            .users
            .find_by_id(session.user_id)
            .await?
            .ok_or(AuthenticateError::Unauthenticated)?;
        Ok(Authenticated { user, session })
    }

    /// Forgets a verified session, so that its next use reads storage (another process revoked
    /// it).
    pub fn forget_session(&self, session_id: SessionId) {
        self.verified
            .remove_where(|_, caller| caller.session.id == session_id);
    }

    /// Forgets every verified session of an account (its sessions were revoked, or the account
    /// changed, in another process).
    pub fn forget_user(&self, user_id: UserId) {
        self.verified
            .remove_where(|_, caller| caller.user.id == user_id);
    }

    /// Ends one session; its token stops working at once.
    #[instrument(skip_all, fields(session_id = %session_id.as_uuid()))]
    pub async fn logout(&self, session_id: SessionId) -> anyhow::Result<()> {
        self.ports
            .sessions
            .revoke(session_id, self.clock.now())
            .await?;
        self.forget_session(session_id);
        Ok(())
    }

    /// Ends every session of an account (after a password or MFA change, for instance).
    #[instrument(skip(self))]
    pub async fn logout_everywhere(&self, user_id: UserId) -> anyhow::Result<()> {
        self.ports
            .sessions
            .revoke_all_for_user(user_id, self.clock.now())
            .await?;
        self.forget_user(user_id);
        Ok(())
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

    /// Makes an account an operator or not (the command line's decision, never the public
    /// API's); `false` when there is no such account. Its cached sessions are forgotten, so the
    /// change applies to its next request.
    #[instrument(skip(self))]
    pub async fn set_operator(&self, user_id: UserId, operator: bool) -> anyhow::Result<bool> {
        let found = self.ports.users.set_operator(user_id, operator).await?;
        self.forget_user(user_id);
        if found {
            tracing::info!(operator, "operator flag changed");
        }
        Ok(found)
    }

    /// One page of accounts, in username order, those whose username or email contains
    /// `search` (any case) when given; with how many match in all.
    pub async fn list(
        &self,
        search: Option<&str>,
        offset: u64,
        limit: u64,
    ) -> anyhow::Result<(Vec<User>, u64)> {
        let search = search
            .map(|search| search.trim().to_lowercase())
            .filter(|search| !search.is_empty());
        self.ports
            .users
            .list_users(search.as_deref(), offset, limit)
            .await
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
        self.forget_user(user_id);
        Ok(user)
    }

    /// Checks `password` against `stored`'s, under the throttle; a failure is counted, a success
    /// clears the count.
    ///
    /// The attempt counts as a failure before the password is checked, decided and recorded in
    /// one step: attempts made at once get no more checks than attempts made in turn (AU-2). A
    /// throttled attempt is not checked and not counted, so that someone hammering an account
    /// cannot extend its owner's wait indefinitely; it costs what a check costs, so that its
    /// answer cannot be told from a wrong password's by its timing (AU-1).
    async fn check_password(
        &self,
        stored: &StoredUser,
        password: &SecretString,
        now: soiree_kernel::Timestamp,
        client: &ClientInfo,
    ) -> anyhow::Result<bool> {
        let user_id = stored.user.id;
        if !self.admit_attempt(user_id, now).await? {
            tracing::warn!(%user_id, "login refused: account throttled");
            let decoy = self.decoy_hash().await?;
            let _ = self.hasher.verify(password, &decoy).await?;
            return Ok(false);
        }
        if !self.hasher.verify(password, &stored.password_hash).await? {
            tracing::info!(%user_id, "login failed: wrong password");
            self.log_failure(user_id, now, client, "password").await?;
            return Ok(false);
        }
        self.ports.login_attempts.clear(user_id).await?;
        Ok(true)
    }

    /// Counts an attempt on `user_id` before it is checked, if the throttle admits one (AU-2);
    /// whether it did.
    async fn admit_attempt(
        &self,
        user_id: UserId,
        now: soiree_kernel::Timestamp,
    ) -> anyhow::Result<bool> {
        let throttle = self.config.throttle;
        let admits = move |failures: &crate::ports::FailureSummary| {
            throttle.locked_until(failures, now).is_none()
        };
        self.ports
            .login_attempts
            .reserve_attempt(user_id, now, now - throttle.window, &admits)
            .await
    }

    /// Logs a failed attempt (of the `what` step), and the throttle starting if this failure
    /// started it. Throttled attempts are not logged one by one: an attack would flood the log.
    async fn log_failure(
        &self,
        user_id: UserId,
        now: soiree_kernel::Timestamp,
        client: &ClientInfo,
        what: &str,
    ) -> anyhow::Result<()> {
        let failed = SecurityEvent::new(user_id, SecurityEventKind::LoginFailed, now)
            .from_client(client)
            .with_detail(what);
        self.ports.events.record_event(&failed).await?;
        let throttle = self.config.throttle;
        let failures = self
            .ports
            .login_attempts
            .failures_since(user_id, now - throttle.window)
            .await?;
        if failures.count == throttle.free_failures {
            let throttled = SecurityEvent::new(user_id, SecurityEventKind::LoginThrottled, now)
                .from_client(client);
            self.ports.events.record_event(&throttled).await?;
        }
        Ok(())
    }

    /// The caller's sessions still active, most recently used first.
    pub async fn sessions(&self, user_id: UserId) -> anyhow::Result<Vec<Session>> {
        let now = self.clock.now();
        let policy = self.config.sessions;
        let mut sessions = self.ports.sessions.sessions_of(user_id).await?;
        sessions.retain(|session| session.is_active(now, &policy));
        Ok(sessions)
    }

    /// Ends one of `user_id`'s sessions; its token stops working at once, and its sockets close.
    #[instrument(skip(self))]
    pub async fn revoke_session(
        &self,
        user_id: UserId,
        session_id: SessionId,
    ) -> Result<(), RevokeSessionError> {
        let theirs = self
            .sessions(user_id)
            .await?
            .iter()
            .any(|session| session.id == session_id);
        if !theirs {
            return Err(RevokeSessionError::NotFound);
        }
        self.logout(session_id).await?;
        self.record(
            user_id,
            SecurityEventKind::SessionRevoked,
            &ClientInfo::default(),
            None,
        )
        .await?;
        Ok(())
    }

    /// Ends every session of `user_id` but `keep` (the caller's own); returns how many.
    #[instrument(skip(self))]
    pub async fn revoke_other_sessions(
        &self,
        user_id: UserId,
        keep: SessionId,
    ) -> anyhow::Result<usize> {
        let others: Vec<SessionId> = self
            .sessions(user_id)
            .await?
            .into_iter()
            .map(|session| session.id)
            .filter(|id| *id != keep)
            .collect();
        for id in &others {
            self.logout(*id).await?;
        }
        Ok(others.len())
    }

    /// Replaces the caller's password after checking the current one (counted as a login attempt
    /// would be), and ends every other session; returns how many ended.
    #[instrument(skip_all, fields(user_id = %caller.user.id))]
    pub async fn change_password(
        &self,
        caller: &Authenticated,
        current: &SecretString,
        new: Password,
    ) -> Result<usize, ChangePasswordError> {
        let now = self.clock.now();
        let stored = self
            .ports
            .users
            .find_by_login_key(&caller.user.username.key())
            .await?
            .ok_or(ChangePasswordError::NotFound)?;
        if !self
            .check_password(&stored, current, now, &caller.session.client)
            .await?
        {
            return Err(ChangePasswordError::WrongPassword);
        }
        let hash = self.hasher.hash(new.secret()).await?;
        if !self
            .ports
            .users
            .set_password_hash(caller.user.id, &hash)
            .await?
        {
            return Err(ChangePasswordError::NotFound);
        }
        let ended = self
            .revoke_other_sessions(caller.user.id, caller.session.id)
            .await?;
        // The current password was just proved: that is a step-up too.
        self.ports
            .sessions
            .mark_authenticated(caller.session.id, now)
            .await?;
        self.forget_session(caller.session.id);
        self.record(
            caller.user.id,
            SecurityEventKind::PasswordChanged,
            &caller.session.client,
            None,
        )
        .await?;
        tracing::info!(ended, "password changed; other sessions ended");
        Ok(ended)
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

#[path = "service_security.rs"]
mod security;

#[cfg(test)]
#[path = "service_tests.rs"]
mod tests;

#[cfg(test)]
#[path = "service_security_tests.rs"]
mod security_tests;
