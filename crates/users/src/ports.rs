//! What the users domain needs from the outside world. Adapters (such as `soiree-storage`)
//! implement these; [`crate::memory`] holds in-process versions.

use std::sync::Arc;

use async_trait::async_trait;
use soiree_kernel::{Timestamp, UserId};

use crate::app_password::{AppPassword, AppPasswordId, AppSecret};
use crate::error::InsertUserError;
use crate::events::{KnownClient, SecurityEvent};
use crate::mfa::{LoginChallenge, MfaRecord, RecoveryCodeHash, TotpSeed};
use crate::model::{Profile, User};
use crate::password::PasswordHash;
use crate::session::{ClientInfo, Session, SessionId, TokenHash};

/// An account together with its password hash, as storage holds it. Only the service sees this;
/// everything it hands out is a [`User`].
#[derive(Debug, Clone)]
pub struct StoredUser {
    /// The account.
    pub user: User,
    /// Its password hash.
    pub password_hash: PasswordHash,
}

/// Accounts.
#[async_trait]
pub trait UserRepository: Send + Sync + std::fmt::Debug {
    /// Stores a new account.
    ///
    /// MUST return [`InsertUserError::UsernameTaken`] if another account has the same
    /// [`crate::Username::key`], and [`InsertUserError::EmailTaken`] if another account has the
    /// same [`crate::EmailAddress::key`]; the check MUST be atomic with the insert (a unique index),
    /// so that two concurrent registrations cannot both succeed.
    async fn insert_user(&self, user: &StoredUser) -> Result<(), InsertUserError>;

    /// The account whose username key or email key equals `login_key` (already lowercase), if any.
    async fn find_by_login_key(&self, login_key: &str) -> anyhow::Result<Option<StoredUser>>;

    /// The account with this id, if it exists.
    async fn find_by_id(&self, id: UserId) -> anyhow::Result<Option<User>>;

    /// Replaces the profile of an account. MUST return `Ok(false)` when no such account exists.
    async fn update_profile(&self, id: UserId, profile: &Profile) -> anyhow::Result<bool>;

    /// Makes an account an operator or not. MUST return `Ok(false)` when no such account exists.
    async fn set_operator(&self, id: UserId, operator: bool) -> anyhow::Result<bool>;

    /// Replaces the password hash of `id`; `false` when there is no such account.
    async fn set_password_hash(&self, id: UserId, hash: &PasswordHash) -> anyhow::Result<bool>;

    /// Removes an account and everything that is only its own (sessions, failed logins,
    /// two-step login, security events, and what other adapters hang off it); `false` when there
    /// is no such account. The username and email become free again.
    async fn delete_user(&self, id: UserId) -> anyhow::Result<bool>;

    /// Accounts whose username or email key contains `search` (already lowercase), or all, in
    /// username order, skipping `offset` and at most `limit`; with how many match in all.
    async fn list_users(
        &self,
        search: Option<&str>,
        offset: u64,
        limit: u64,
    ) -> anyhow::Result<(Vec<User>, u64)>;
}

/// Login sessions.
#[async_trait]
pub trait SessionRepository: Send + Sync + std::fmt::Debug {
    /// Stores a new session.
    async fn insert_session(&self, session: &Session) -> anyhow::Result<()>;

    /// The session whose token hashes to `token_hash`, revoked or not, if any.
    async fn find_by_token_hash(&self, token_hash: &TokenHash) -> anyhow::Result<Option<Session>>;

    /// Records that the session was used at `at`.
    async fn touch(&self, id: SessionId, at: Timestamp) -> anyhow::Result<()>;

    /// Records that the session's owner proved who they are again at `at` (step-up).
    async fn mark_authenticated(&self, id: SessionId, at: Timestamp) -> anyhow::Result<()>;

    /// Marks one session revoked at `at`. Revoking a revoked session changes nothing.
    async fn revoke(&self, id: SessionId, at: Timestamp) -> anyhow::Result<()>;

    /// Marks every session of `user_id` revoked at `at`.
    async fn revoke_all_for_user(&self, user_id: UserId, at: Timestamp) -> anyhow::Result<()>;

    /// The sessions of `user_id` not revoked (expired ones included: the service decides),
    /// most recently used first.
    async fn sessions_of(&self, user_id: UserId) -> anyhow::Result<Vec<Session>>;
}

/// Recent failed logins of one account, as the throttle needs them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FailureSummary {
    /// How many failures in the window.
    pub count: u32,
    /// The most recent one.
    pub latest: Option<Timestamp>,
}

/// Failed login attempts, per account.
#[async_trait]
pub trait LoginAttemptRepository: Send + Sync + std::fmt::Debug {
    /// Records a failed attempt on `user_id` at `at`.
    async fn record_failure(&self, user_id: UserId, at: Timestamp) -> anyhow::Result<()>;

    /// The failures of `user_id` at or after `since`.
    async fn failures_since(
        &self,
        user_id: UserId,
        since: Timestamp,
    ) -> anyhow::Result<FailureSummary>;

    /// Forgets the failures of `user_id` (after a successful login).
    async fn clear(&self, user_id: UserId) -> anyhow::Result<()>;

    /// Counts an attempt on `user_id` at `at` as a failure *before* its password is checked, if
    /// `admits` allows an attempt given the failures at or after `since` (this one not included);
    /// returns whether it did. A right password then [`clear`](Self::clear)s the failures.
    ///
    /// MUST decide and record in one step per account: of attempts made at once, through any
    /// number of processes, exactly as many are admitted as `admits` allows one after another,
    /// so that a parallel attack gets no more password checks than a sequential one (AU-2).
    async fn reserve_attempt(
        &self,
        user_id: UserId,
        at: Timestamp,
        since: Timestamp,
        admits: &(dyn for<'f> Fn(&'f FailureSummary) -> bool + Send + Sync),
    ) -> anyhow::Result<bool>;
}

/// Two-step login: the seed, the last step accepted, the recovery codes, per account.
#[async_trait]
pub trait MfaRepository: Send + Sync + std::fmt::Debug {
    /// The account's two-step login, pending or confirmed, if any.
    async fn mfa_of(&self, user_id: UserId) -> anyhow::Result<Option<MfaRecord>>;

    /// Stores a pending (unconfirmed) seed, replacing a pending one. MUST NOT replace a
    /// confirmed one: returns `false` then.
    async fn put_pending_seed(
        &self,
        user_id: UserId,
        seed: &TotpSeed,
        at: Timestamp,
    ) -> anyhow::Result<bool>;

    /// Confirms the pending seed at `at`, with `step` as the last step used and `codes` as the
    /// recovery codes, in one step; `false` when there is no pending seed.
    async fn confirm(
        &self,
        user_id: UserId,
        step: u64,
        codes: &[RecoveryCodeHash],
        at: Timestamp,
    ) -> anyhow::Result<bool>;

    /// Accepts `step` as used if it is later than the last step used, and returns whether it
    /// did. MUST compare and set in one step (a conditional update), so that of two requests
    /// presenting the same code at once exactly one is accepted (MF-1).
    async fn accept_step(&self, user_id: UserId, step: u64) -> anyhow::Result<bool>;

    /// Removes the recovery code with this hash and returns whether it was there. MUST be one
    /// step (a delete whose count decides), so a code is accepted once however it is raced
    /// (MF-2).
    async fn use_recovery_code(
        &self,
        user_id: UserId,
        code: &RecoveryCodeHash,
    ) -> anyhow::Result<bool>;

    /// Replaces all recovery codes.
    async fn replace_recovery_codes(
        &self,
        user_id: UserId,
        codes: &[RecoveryCodeHash],
    ) -> anyhow::Result<()>;

    /// Removes the seed and the recovery codes; `false` when there were none.
    async fn remove_mfa(&self, user_id: UserId) -> anyhow::Result<bool>;

    /// Stores a login waiting for its second step.
    async fn insert_challenge(&self, challenge: &LoginChallenge) -> anyhow::Result<()>;

    /// The waiting login whose token hashes to `token_hash`, expired or not.
    async fn challenge(&self, token_hash: &TokenHash) -> anyhow::Result<Option<LoginChallenge>>;

    /// Removes a waiting login and returns whether it was there; MUST be one step, so that one
    /// challenge opens at most one session. Expired ones before `now` go too.
    async fn take_challenge(&self, token_hash: &TokenHash, now: Timestamp) -> anyhow::Result<bool>;
}

/// The security-event log.
#[async_trait]
pub trait SecurityEventRepository: Send + Sync + std::fmt::Debug {
    /// Appends an event.
    async fn record_event(&self, event: &SecurityEvent) -> anyhow::Result<()>;

    /// The account's events, newest first, at most `limit`.
    async fn events_of(&self, user_id: UserId, limit: u32) -> anyhow::Result<Vec<SecurityEvent>>;

    /// What the account's earlier [`LoginSucceeded`](crate::SecurityEventKind::LoginSucceeded)
    /// events say of `client`. Devices MUST be compared by [`crate::device_family`] (a browser
    /// update is not a new device), addresses as they are.
    async fn known_client(
        &self,
        user_id: UserId,
        client: &ClientInfo,
    ) -> anyhow::Result<KnownClient>;

    /// Marks every flagged event of the account acknowledged at `at`; returns how many.
    async fn acknowledge_events(&self, user_id: UserId, at: Timestamp) -> anyhow::Result<u64>;
}

/// App passwords, their secrets sealed.
#[async_trait]
pub trait AppPasswordRepository: Send + Sync + std::fmt::Debug {
    /// Stores an app password with its secret (sealed by the adapter) unless the account has
    /// `limit` already; whether it did. MUST count and insert in one step per account.
    async fn insert_app_password(
        &self,
        app_password: &AppPassword,
        secret: &AppSecret,
        limit: usize,
    ) -> anyhow::Result<bool>;

    /// The account's app passwords, oldest first.
    async fn app_passwords_of(&self, user_id: UserId) -> anyhow::Result<Vec<AppPassword>>;

    /// The account's app passwords with their secrets (for checking one an app presents).
    async fn app_secrets_of(
        &self,
        user_id: UserId,
    ) -> anyhow::Result<Vec<(AppPasswordId, AppSecret)>>;

    /// The account whose app password has this [`lookup`](crate::app_password::AppSecret::lookup).
    async fn user_by_app_lookup(&self, lookup: &str) -> anyhow::Result<Option<UserId>>;

    /// Removes one of the account's app passwords; `false` when it has no such one.
    async fn delete_app_password(&self, user_id: UserId, id: AppPasswordId)
    -> anyhow::Result<bool>;
}

/// The storage ports the users service needs, bundled so that one adapter can supply them all.
#[derive(Debug, Clone)]
pub struct UserPorts {
    /// Accounts.
    pub users: Arc<dyn UserRepository>,
    /// Sessions.
    pub sessions: Arc<dyn SessionRepository>,
    /// Failed logins.
    pub login_attempts: Arc<dyn LoginAttemptRepository>,
    /// Two-step login.
    pub mfa: Arc<dyn MfaRepository>,
    /// The security-event log.
    pub events: Arc<dyn SecurityEventRepository>,
    /// App passwords.
    pub app_passwords: Arc<dyn AppPasswordRepository>,
}
