//! What the users domain needs from the outside world. Adapters (such as `soiree-storage`)
//! implement these; [`crate::memory`] holds in-process versions.

use std::sync::Arc;

use async_trait::async_trait;
use soiree_kernel::{Timestamp, UserId};

use crate::error::InsertUserError;
use crate::model::{Profile, User};
use crate::password::PasswordHash;
use crate::session::{Session, SessionId, TokenHash};

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

/// The storage ports the users service needs, bundled so that one adapter can supply them all.
#[derive(Debug, Clone)]
pub struct UserPorts {
    /// Accounts.
    pub users: Arc<dyn UserRepository>,
    /// Sessions.
    pub sessions: Arc<dyn SessionRepository>,
    /// Failed logins.
    pub login_attempts: Arc<dyn LoginAttemptRepository>,
}
