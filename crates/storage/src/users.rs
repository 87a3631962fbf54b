//! The users ports over SeaORM.

use anyhow::Context as _;
use async_trait::async_trait;
use chrono::Duration;
use sea_orm::sea_query::{Expr, ExprTrait as _};
use sea_orm::{
    ActiveModelTrait as _, ActiveValue::Set, ColumnTrait as _, Condition, ConnectionTrait as _,
    DatabaseConnection, EntityTrait as _, PaginatorTrait as _, QueryFilter as _, QueryOrder as _,
    QuerySelect as _, SqlErr, TransactionTrait as _,
};
use soiree_kernel::{Timestamp, UserId};
use soiree_users::{
    ClientInfo, DisplayName, EmailAddress, FailureSummary, InsertUserError, Language,
    LoginAttemptRepository, PasswordHash, Profile, Session, SessionId, SessionRepository,
    StoredUser, TimeZone, TokenHash, User, UserPorts, UserRepository, Username,
};
use std::sync::Arc;
use uuid::Uuid;

use crate::changes::{Announcer, Change};
use crate::entity::{login_failures, sessions, users};
use crate::sealing::Sealer;
use crate::security::SqlMfaStore;

/// Accounts, sessions and failed logins in the database. Revocations are announced
/// ([`crate::ChangeFeed`]), so that every process forgets the sessions it had verified.
#[derive(Debug, Clone)]
pub struct SqlUserStore {
    connection: DatabaseConnection,
    announcer: Announcer,
}

impl SqlUserStore {
    pub(crate) fn new(connection: DatabaseConnection, announcer: Announcer) -> Self {
        Self {
            connection,
            announcer,
        }
    }

    /// Runs `update` and announces `change` in one transaction, then to this process.
    async fn revoke_and_announce(
        &self,
        update: sea_orm::UpdateMany<sessions::Entity>,
        change: Change,
        context: &'static str,
    ) -> anyhow::Result<()> {
        let transaction = self
            .connection
            .begin()
            .await
            .context("starting a transaction")?;
        update.exec(&transaction).await.context(context)?;
        self.announcer.within(&transaction, change).await?;
        transaction.commit().await.context(context)?;
        self.announcer.committed(change);
        Ok(())
    }

    /// This store as the ports the users service needs; TOTP seeds are sealed by `sealer`.
    pub fn ports(&self, sealer: Arc<Sealer>) -> UserPorts {
        UserPorts {
            users: Arc::new(self.clone()),
            sessions: Arc::new(self.clone()),
            login_attempts: Arc::new(self.clone()),
            mfa: Arc::new(SqlMfaStore::new(self.connection.clone(), sealer.clone())),
            events: Arc::new(self.clone()),
            app_passwords: Arc::new(SqlMfaStore::new(self.connection.clone(), sealer)),
        }
    }

    /// The connection, for the security store beside this one.
    pub(crate) fn connection(&self) -> &DatabaseConnection {
        &self.connection
    }
}

/// Reads a row back into the domain. A row that no longer parses (edited by hand, or written by
/// a newer version) is an error with context, never a panic.
fn user_from_row(row: users::Model) -> anyhow::Result<StoredUser> {
    let username = Username::parse(&row.username)
        .with_context(|| format!("stored username of user {}", row.id))?;
    let email = row
        .email
        .map(|email| EmailAddress::parse(&email))
        .transpose()
        .with_context(|| format!("stored email of user {}", row.id))?;
    let profile = Profile {
        display_name: row
            .display_name
            .map(|name| DisplayName::parse(&name))
            .transpose()
            .with_context(|| format!("stored display name of user {}", row.id))?,
        language: row
            .language
            .map(|language| Language::parse(&language))
            .transpose()
            .with_context(|| format!("stored language of user {}", row.id))?,
        timezone: row
            .timezone
            .map(|zone| TimeZone::parse(&zone))
            .transpose()
            .with_context(|| format!("stored time zone of user {}", row.id))?,
    };
    let tier = row
        .tier
        .parse()
        .with_context(|| format!("stored tier of user {}", row.id))?;
    Ok(StoredUser {
        user: User {
            id: UserId::from_uuid(row.id),
            username,
            email,
            profile,
            tier,
            operator: row.operator,
            created_at: row.created_at,
        },
        password_hash: PasswordHash::from_phc(row.password_hash),
    })
}

fn session_from_row(row: sessions::Model) -> Session {
    Session {
        id: SessionId::from_uuid(row.id),
        user_id: UserId::from_uuid(row.user_id),
        token_hash: TokenHash::from_hex(row.token_hash),
        created_at: row.created_at,
        authenticated_at: row.authenticated_at.unwrap_or(row.created_at),
        last_seen_at: row.last_seen_at,
        expires_at: row.expires_at,
        revoked_at: row.revoked_at,
        client: ClientInfo {
            device: row.device,
            address: row.address,
        },
    }
}

#[async_trait]
impl UserRepository for SqlUserStore {
    async fn insert_user(&self, stored: &StoredUser) -> Result<(), InsertUserError> {
        let user = &stored.user;
        let row = users::ActiveModel {
            id: Set(user.id.as_uuid()),
            username: Set(user.username.as_str().to_owned()),
            username_key: Set(user.username.key()),
            email: Set(user.email.as_ref().map(|email| email.as_str().to_owned())),
            email_key: Set(user.email.as_ref().map(EmailAddress::key)),
            password_hash: Set(stored.password_hash.as_phc().to_owned()),
            display_name: Set(user
                .profile
                .display_name
                .as_ref()
                .map(|name| name.as_str().to_owned())),
            language: Set(user
                .profile
                .language
                .as_ref()
                .map(|language| language.as_str().to_owned())),
            timezone: Set(user
                .profile
                .timezone
                .as_ref()
                .map(|zone| zone.as_str().to_owned())),
            tier: Set(user.tier.as_str().to_owned()),
            operator: Set(user.operator),
            limit_overrides: Set(None),
            created_at: Set(user.created_at),
        };
        match users::Entity::insert(row)
            .exec_without_returning(&self.connection)
            .await
        {
            Ok(_) => Ok(()),
            Err(error) => match error.sql_err() {
                // The constraint's name is in the message on both databases.
                Some(SqlErr::UniqueConstraintViolation(message)) if message.contains("email") => {
                    Err(InsertUserError::EmailTaken)
                }
                Some(SqlErr::UniqueConstraintViolation(message))
                    if message.contains("username") =>
                {
                    Err(InsertUserError::UsernameTaken)
                }
                _ => Err(InsertUserError::Unknown(
                    anyhow::Error::new(error).context("inserting a user"),
                )),
            },
        }
    }

    async fn find_by_login_key(&self, login_key: &str) -> anyhow::Result<Option<StoredUser>> {
        let row = users::Entity::find()
            .filter(
                Condition::any()
                    .add(users::Column::UsernameKey.eq(login_key))
                    .add(users::Column::EmailKey.eq(login_key)),
            )
            .one(&self.connection)
            .await
            .context("loading a user by username or email")?;
        row.map(user_from_row).transpose()
    }

    async fn find_by_id(&self, id: UserId) -> anyhow::Result<Option<User>> {
        let row = users::Entity::find_by_id(id.as_uuid())
            .one(&self.connection)
            .await
            .context("loading a user by id")?;
        Ok(row
            .map(user_from_row)
            .transpose()?
            .map(|stored| stored.user))
    }

    async fn set_operator(&self, id: UserId, operator: bool) -> anyhow::Result<bool> {
        let result = users::Entity::update_many()
            .col_expr(users::Column::Operator, Expr::value(operator))
            .filter(users::Column::Id.eq(id.as_uuid()))
            .exec(&self.connection)
            .await
            .context("setting the operator flag")?;
        Ok(result.rows_affected > 0)
    }

    async fn set_password_hash(&self, id: UserId, hash: &PasswordHash) -> anyhow::Result<bool> {
        let result = users::Entity::update_many()
            .col_expr(users::Column::PasswordHash, Expr::value(hash.as_phc()))
            .filter(users::Column::Id.eq(id.as_uuid()))
            .exec(&self.connection)
            .await
            .context("replacing a password")?;
        Ok(result.rows_affected > 0)
    }

    async fn delete_user(&self, id: UserId) -> anyhow::Result<bool> {
        let transaction = self
            .connection
            .begin()
            .await
            .context("starting an erasure")?;
        // The per-account error counts of the operator's report are keyed by the id as text.
        let backend = transaction.get_database_backend();
        let placeholder = match backend {
            sea_orm::DatabaseBackend::Sqlite => "?",
            _ => "$1",
        };
        transaction
            .execute_raw(sea_orm::Statement::from_sql_and_values(
                backend,
                format!("DELETE FROM daily_counts WHERE subject = {placeholder}"),
                [id.as_uuid().to_string().into()],
            ))
            .await
            .context("erasing an account's daily counts")?;
        // Everything else that is the account's own goes by its foreign keys (ON DELETE CASCADE).
        let deleted = users::Entity::delete_by_id(id.as_uuid())
            .exec(&transaction)
            .await
            .context("erasing an account")?;
        self.announcer
            .within(&transaction, Change::SessionsOfUserRevoked(id))
            .await?;
        transaction.commit().await.context("erasing an account")?;
        self.announcer.committed(Change::SessionsOfUserRevoked(id));
        Ok(deleted.rows_affected == 1)
    }

    async fn list_users(
        &self,
        search: Option<&str>,
        offset: u64,
        limit: u64,
    ) -> anyhow::Result<(Vec<User>, u64)> {
        let mut query = users::Entity::find();
        if let Some(search) = search {
            // The keys are lowercase already; LIKE's own wildcards in the search are taken
            // literally.
            let pattern = format!(
                "%{}%",
                search
                    .replace('\\', "\\\\")
                    .replace('%', "\\%")
                    .replace('_', "\\_")
            );
            query = query.filter(
                Condition::any()
                    .add(
                        Expr::col(users::Column::UsernameKey)
                            .like(sea_orm::sea_query::LikeExpr::new(pattern.clone()).escape('\\')),
                    )
                    .add(
                        Expr::col(users::Column::EmailKey)
                            .like(sea_orm::sea_query::LikeExpr::new(pattern).escape('\\')),
                    ),
            );
        }
        let total = query
            .clone()
            .count(&self.connection)
            .await
            .context("counting accounts")?;
        let rows = query
            .order_by_asc(users::Column::UsernameKey)
            .offset(offset)
            .limit(limit)
            .all(&self.connection)
            .await
            .context("listing accounts")?;
        let users = rows
            .into_iter()
            .map(|row| user_from_row(row).map(|stored| stored.user))
            .collect::<anyhow::Result<_>>()?;
        Ok((users, total))
    }

    async fn update_profile(&self, id: UserId, profile: &Profile) -> anyhow::Result<bool> {
        let result = users::Entity::update_many()
            .col_expr(
                users::Column::DisplayName,
                Expr::value(
                    profile
                        .display_name
                        .as_ref()
                        .map(|name| name.as_str().to_owned()),
                ),
            )
            .col_expr(
                users::Column::Language,
                Expr::value(
                    profile
                        .language
                        .as_ref()
                        .map(|language| language.as_str().to_owned()),
                ),
            )
            .col_expr(
                users::Column::Timezone,
                Expr::value(
                    profile
                        .timezone
                        .as_ref()
                        .map(|zone| zone.as_str().to_owned()),
                ),
            )
            .filter(users::Column::Id.eq(id.as_uuid()))
            .exec(&self.connection)
            .await
            .context("updating a user's profile")?;
        Ok(result.rows_affected == 1)
    }
}

#[async_trait]
impl SessionRepository for SqlUserStore {
    async fn insert_session(&self, session: &Session) -> anyhow::Result<()> {
        let row = sessions::ActiveModel {
            id: Set(session.id.as_uuid()),
            user_id: Set(session.user_id.as_uuid()),
            token_hash: Set(session.token_hash.as_hex().to_owned()),
            created_at: Set(session.created_at),
            last_seen_at: Set(session.last_seen_at),
            expires_at: Set(session.expires_at),
            revoked_at: Set(session.revoked_at),
            device: Set(session.client.device.clone()),
            address: Set(session.client.address.clone()),
            authenticated_at: Set(Some(session.authenticated_at)),
        };
        row.insert(&self.connection)
            .await
            .context("inserting a session")?;
        Ok(())
    }

    async fn find_by_token_hash(&self, token_hash: &TokenHash) -> anyhow::Result<Option<Session>> {
        let row = sessions::Entity::find()
            .filter(sessions::Column::TokenHash.eq(token_hash.as_hex()))
            .one(&self.connection)
            .await
            .context("loading a session by token hash")?;
        Ok(row.map(session_from_row))
    }

    async fn touch(&self, id: SessionId, at: Timestamp) -> anyhow::Result<()> {
        sessions::Entity::update_many()
            .col_expr(sessions::Column::LastSeenAt, Expr::value(at))
            .filter(sessions::Column::Id.eq(id.as_uuid()))
            .exec(&self.connection)
            .await
            .context("recording a session's last use")?;
        Ok(())
    }

    async fn mark_authenticated(&self, id: SessionId, at: Timestamp) -> anyhow::Result<()> {
        sessions::Entity::update_many()
            .col_expr(sessions::Column::AuthenticatedAt, Expr::value(at))
            .filter(sessions::Column::Id.eq(id.as_uuid()))
            .exec(&self.connection)
            .await
            .context("recording a session's re-authentication")?;
        Ok(())
    }

    async fn revoke(&self, id: SessionId, at: Timestamp) -> anyhow::Result<()> {
        let update = sessions::Entity::update_many()
            .col_expr(sessions::Column::RevokedAt, Expr::value(at))
            .filter(sessions::Column::Id.eq(id.as_uuid()))
            .filter(sessions::Column::RevokedAt.is_null());
        self.revoke_and_announce(update, Change::SessionRevoked(id), "revoking a session")
            .await
    }

    async fn revoke_all_for_user(&self, user_id: UserId, at: Timestamp) -> anyhow::Result<()> {
        let update = sessions::Entity::update_many()
            .col_expr(sessions::Column::RevokedAt, Expr::value(at))
            .filter(sessions::Column::UserId.eq(user_id.as_uuid()))
            .filter(sessions::Column::RevokedAt.is_null());
        self.revoke_and_announce(
            update,
            Change::SessionsOfUserRevoked(user_id),
            "revoking every session of a user",
        )
        .await
    }

    async fn sessions_of(&self, user_id: UserId) -> anyhow::Result<Vec<Session>> {
        let rows = sessions::Entity::find()
            .filter(sessions::Column::UserId.eq(user_id.as_uuid()))
            .filter(sessions::Column::RevokedAt.is_null())
            .order_by_desc(sessions::Column::LastSeenAt)
            .all(&self.connection)
            .await
            .context("listing an account's sessions")?;
        Ok(rows.into_iter().map(session_from_row).collect())
    }
}

/// Failures older than this are deleted when a new one is recorded, so that an account under a
/// long attack does not grow the table without bound. It is longer than any throttle window.
const FAILURE_RETENTION: Duration = Duration::hours(24);

#[async_trait]
impl LoginAttemptRepository for SqlUserStore {
    async fn record_failure(&self, user_id: UserId, at: Timestamp) -> anyhow::Result<()> {
        login_failures::Entity::delete_many()
            .filter(login_failures::Column::UserId.eq(user_id.as_uuid()))
            .filter(login_failures::Column::FailedAt.lt(at - FAILURE_RETENTION))
            .exec(&self.connection)
            .await
            .context("pruning old login failures")?;
        let row = login_failures::ActiveModel {
            id: Set(Uuid::now_v7()),
            user_id: Set(user_id.as_uuid()),
            failed_at: Set(at),
        };
        row.insert(&self.connection)
            .await
            .context("recording a login failure")?;
        Ok(())
    }

    async fn failures_since(
        &self,
        user_id: UserId,
        since: Timestamp,
    ) -> anyhow::Result<FailureSummary> {
        let rows = login_failures::Entity::find()
            .filter(login_failures::Column::UserId.eq(user_id.as_uuid()))
            .filter(login_failures::Column::FailedAt.gte(since))
            .all(&self.connection)
            .await
            .context("loading recent login failures")?;
        Ok(FailureSummary {
            count: u32::try_from(rows.len()).unwrap_or(u32::MAX),
            latest: rows.iter().map(|row| row.failed_at).max(),
        })
    }

    async fn clear(&self, user_id: UserId) -> anyhow::Result<()> {
        login_failures::Entity::delete_many()
            .filter(login_failures::Column::UserId.eq(user_id.as_uuid()))
            .exec(&self.connection)
            .await
            .context("clearing login failures")?;
        Ok(())
    }

    async fn reserve_attempt(
        &self,
        user_id: UserId,
        at: Timestamp,
        since: Timestamp,
        admits: &(dyn for<'f> Fn(&'f FailureSummary) -> bool + Send + Sync),
    ) -> anyhow::Result<bool> {
        let transaction = self
            .connection
            .begin()
            .await
            .context("starting a login attempt")?;
        // A write to the account's row first: its row lock on PostgreSQL, the write lock on
        // SQLite. Attempts on one account then decide one after another, in every process.
        users::Entity::update_many()
            .col_expr(users::Column::Id, Expr::col(users::Column::Id))
            .filter(users::Column::Id.eq(user_id.as_uuid()))
            .exec(&transaction)
            .await
            .context("locking the account for a login attempt")?;
        let rows = login_failures::Entity::find()
            .filter(login_failures::Column::UserId.eq(user_id.as_uuid()))
            .filter(login_failures::Column::FailedAt.gte(since))
            .all(&transaction)
            .await
            .context("loading recent login failures")?;
        let summary = FailureSummary {
            count: u32::try_from(rows.len()).unwrap_or(u32::MAX),
            latest: rows.iter().map(|row| row.failed_at).max(),
        };
        if !admits(&summary) {
            transaction
                .rollback()
                .await
                .context("ending a refused login attempt")?;
            return Ok(false);
        }
        login_failures::Entity::delete_many()
            .filter(login_failures::Column::UserId.eq(user_id.as_uuid()))
            .filter(login_failures::Column::FailedAt.lt(at - FAILURE_RETENTION))
            .exec(&transaction)
            .await
            .context("pruning old login failures")?;
        login_failures::ActiveModel {
            id: Set(Uuid::now_v7()),
            user_id: Set(user_id.as_uuid()),
            failed_at: Set(at),
        }
        .insert(&transaction)
        .await
        .context("recording a login attempt")?;
        transaction
            .commit()
            .await
            .context("recording a login attempt")?;
        Ok(true)
    }
}
