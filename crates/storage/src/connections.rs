//! The connections port over SeaORM, with every secret sealed (CR-1).

use std::sync::Arc;

use anyhow::Context as _;
use async_trait::async_trait;
use chrono::Utc;
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveValue::Set, ColumnTrait as _, ConnectionTrait, DatabaseConnection, DatabaseTransaction,
    EntityTrait as _, QueryFilter as _, QuerySelect as _, TransactionTrait as _,
};
use secrecy::SecretString;
use soiree_connections::{
    ClientCredentials, ClientId, ClientSecret, Connection, ConnectionRepository,
    PendingAuthorization, Provider, ProviderAccount, RefreshLock, StateHash, TokenSet,
};
use soiree_kernel::UserId;
use uuid::Uuid;

use crate::database::Backend;
use crate::entity::{connections, oauth_authorizations};
use crate::sealing::Sealer;

/// Connections, credentials and pending authorizations in the database.
#[derive(Debug, Clone)]
pub struct SqlConnectionStore {
    connection: DatabaseConnection,
    backend: Backend,
    sealer: Arc<Sealer>,
}

/// Where each sealed value lives; the sealer binds the ciphertext to it.
fn context(column: &str, user_id: UserId, provider: Provider) -> String {
    format!("connections.{column}:{user_id}:{provider}")
}

impl SqlConnectionStore {
    pub(crate) fn new(
        connection: DatabaseConnection,
        backend: Backend,
        sealer: Arc<Sealer>,
    ) -> Self {
        Self {
            connection,
            backend,
            sealer,
        }
    }

    fn open(
        &self,
        sealed: Option<&str>,
        column: &str,
        user_id: UserId,
        provider: Provider,
    ) -> anyhow::Result<Option<SecretString>> {
        sealed
            .map(|sealed| {
                self.sealer
                    .open(sealed, &context(column, user_id, provider))
                    .with_context(|| {
                        format!(
                            "opening the stored {column} of a {provider} connection; \
                         was SOIREE_SECRET_KEY or the key file changed?"
                        )
                    })
            })
            .transpose()
    }

    fn seal(
        &self,
        secret: &SecretString,
        column: &str,
        user_id: UserId,
        provider: Provider,
    ) -> anyhow::Result<String> {
        self.sealer
            .seal(secret, &context(column, user_id, provider))
    }

    fn connection_from_row(&self, row: connections::Model) -> anyhow::Result<Connection> {
        let user_id = UserId::from_uuid(row.user_id);
        let provider: Provider = row.provider.parse().context("stored provider name")?;
        let secret = self.open(
            row.client_secret_sealed.as_deref(),
            "client_secret",
            user_id,
            provider,
        )?;
        let credentials = match (row.client_id, secret) {
            (Some(client_id), Some(secret)) => Some(ClientCredentials {
                client_id: ClientId::parse(&client_id).context("stored client id")?,
                client_secret: ClientSecret::parse(&secret).context("stored client secret")?,
            }),
            _ => None,
        };
        let access = self.open(
            row.access_token_sealed.as_deref(),
            "access_token",
            user_id,
            provider,
        )?;
        let refresh = self.open(
            row.refresh_token_sealed.as_deref(),
            "refresh_token",
            user_id,
            provider,
        )?;
        let tokens = match (access, row.token_expires_at) {
            (Some(access_token), Some(expires_at)) => Some(TokenSet {
                access_token,
                refresh_token: refresh,
                expires_at,
                scope: row.scope,
            }),
            _ => None,
        };
        let account = row.account_id.map(|id| ProviderAccount {
            id,
            display_name: row.account_display_name,
        });
        Ok(Connection {
            user_id,
            provider,
            credentials,
            tokens,
            account,
            needs_reconnect: row.needs_reconnect,
        })
    }

    /// Makes sure the (user, provider) row exists, so that later changes are plain updates.
    async fn ensure_row(
        &self,
        db: &impl ConnectionTrait,
        user_id: UserId,
        provider: Provider,
    ) -> anyhow::Result<()> {
        let row = connections::ActiveModel {
            id: Set(Uuid::now_v7()),
            user_id: Set(user_id.as_uuid()),
            provider: Set(provider.as_str().to_owned()),
            client_id: Set(None),
            client_secret_sealed: Set(None),
            access_token_sealed: Set(None),
            refresh_token_sealed: Set(None),
            token_expires_at: Set(None),
            scope: Set(None),
            account_id: Set(None),
            account_display_name: Set(None),
            needs_reconnect: Set(None),
            updated_at: Set(Utc::now()),
        };
        connections::Entity::insert(row)
            .on_conflict(
                OnConflict::columns([connections::Column::UserId, connections::Column::Provider])
                    .do_nothing()
                    .to_owned(),
            )
            .exec_without_returning(db)
            .await
            .context("creating a connection row")?;
        Ok(())
    }

    fn update_many(
        user_id: UserId,
        provider: Provider,
    ) -> sea_orm::UpdateMany<connections::Entity> {
        connections::Entity::update_many()
            .col_expr(connections::Column::UpdatedAt, Expr::value(Utc::now()))
            .filter(connections::Column::UserId.eq(user_id.as_uuid()))
            .filter(connections::Column::Provider.eq(provider.as_str()))
    }

    async fn write_tokens(
        &self,
        db: &impl ConnectionTrait,
        user_id: UserId,
        provider: Provider,
        tokens: &TokenSet,
    ) -> anyhow::Result<()> {
        let access = self.seal(&tokens.access_token, "access_token", user_id, provider)?;
        let refresh = tokens
            .refresh_token
            .as_ref()
            .map(|token| self.seal(token, "refresh_token", user_id, provider))
            .transpose()?;
        Self::update_many(user_id, provider)
            .col_expr(
                connections::Column::AccessTokenSealed,
                Expr::value(Some(access)),
            )
            .col_expr(
                connections::Column::RefreshTokenSealed,
                Expr::value(refresh),
            )
            .col_expr(
                connections::Column::TokenExpiresAt,
                Expr::value(Some(tokens.expires_at)),
            )
            .col_expr(
                connections::Column::Scope,
                Expr::value(tokens.scope.clone()),
            )
            .exec(db)
            .await
            .context("storing tokens")?;
        Ok(())
    }

    async fn clear_tokens(
        db: &impl ConnectionTrait,
        user_id: UserId,
        provider: Provider,
        needs_reconnect: Option<&str>,
        keep_account: bool,
    ) -> anyhow::Result<()> {
        let mut update = Self::update_many(user_id, provider)
            .col_expr(
                connections::Column::AccessTokenSealed,
                Expr::value(Option::<String>::None),
            )
            .col_expr(
                connections::Column::RefreshTokenSealed,
                Expr::value(Option::<String>::None),
            )
            .col_expr(
                connections::Column::TokenExpiresAt,
                Expr::value(Option::<chrono::DateTime<Utc>>::None),
            )
            .col_expr(
                connections::Column::NeedsReconnect,
                Expr::value(needs_reconnect.map(str::to_owned)),
            );
        if !keep_account {
            update = update
                .col_expr(
                    connections::Column::AccountId,
                    Expr::value(Option::<String>::None),
                )
                .col_expr(
                    connections::Column::AccountDisplayName,
                    Expr::value(Option::<String>::None),
                );
        }
        update.exec(db).await.context("clearing tokens")?;
        Ok(())
    }

    async fn find_row(
        db: &impl ConnectionTrait,
        user_id: UserId,
        provider: Provider,
        lock: bool,
    ) -> anyhow::Result<Option<connections::Model>> {
        let mut query = connections::Entity::find()
            .filter(connections::Column::UserId.eq(user_id.as_uuid()))
            .filter(connections::Column::Provider.eq(provider.as_str()));
        if lock {
            query = query.lock_exclusive();
        }
        query.one(db).await.context("loading a connection")
    }
}

#[async_trait]
impl ConnectionRepository for SqlConnectionStore {
    async fn get(&self, user_id: UserId, provider: Provider) -> anyhow::Result<Option<Connection>> {
        Self::find_row(&self.connection, user_id, provider, false)
            .await?
            .map(|row| self.connection_from_row(row))
            .transpose()
    }

    async fn save_credentials(
        &self,
        user_id: UserId,
        provider: Provider,
        credentials: &ClientCredentials,
    ) -> anyhow::Result<()> {
        let sealed = self.seal(
            credentials.client_secret.secret(),
            "client_secret",
            user_id,
            provider,
        )?;
        let transaction = self
            .connection
            .begin()
            .await
            .context("starting a transaction")?;
        self.ensure_row(&transaction, user_id, provider).await?;
        let current = Self::find_row(&transaction, user_id, provider, false).await?;
        let same_app = current.as_ref().and_then(|row| row.client_id.as_deref())
            == Some(credentials.client_id.as_str());
        if !same_app {
            Self::clear_tokens(&transaction, user_id, provider, None, false).await?;
        }
        Self::update_many(user_id, provider)
            .col_expr(
                connections::Column::ClientId,
                Expr::value(Some(credentials.client_id.as_str().to_owned())),
            )
            .col_expr(
                connections::Column::ClientSecretSealed,
                Expr::value(Some(sealed)),
            )
            .exec(&transaction)
            .await
            .context("storing credentials")?;
        transaction.commit().await.context("committing credentials")
    }

    async fn forget(
        &self,
        user_id: UserId,
        provider: Provider,
        forget_credentials: bool,
    ) -> anyhow::Result<()> {
        Self::clear_tokens(&self.connection, user_id, provider, None, false).await?;
        if forget_credentials {
            Self::update_many(user_id, provider)
                .col_expr(
                    connections::Column::ClientId,
                    Expr::value(Option::<String>::None),
                )
                .col_expr(
                    connections::Column::ClientSecretSealed,
                    Expr::value(Option::<String>::None),
                )
                .exec(&self.connection)
                .await
                .context("forgetting credentials")?;
        }
        Ok(())
    }

    async fn save_authorization(&self, pending: &PendingAuthorization) -> anyhow::Result<()> {
        let verifier = self.sealer.seal(
            &pending.pkce_verifier,
            &format!(
                "oauth_authorizations.pkce_verifier:{}",
                pending.state_hash.as_hex()
            ),
        )?;
        let row = oauth_authorizations::ActiveModel {
            state_hash: Set(pending.state_hash.as_hex().to_owned()),
            user_id: Set(pending.user_id.as_uuid()),
            session_id: Set(pending.session_id.clone()),
            provider: Set(pending.provider.as_str().to_owned()),
            pkce_verifier_sealed: Set(verifier),
            expires_at: Set(pending.expires_at),
            used: Set(false),
        };
        // Expired authorizations are of no use to anyone; drop them as new ones arrive.
        oauth_authorizations::Entity::delete_many()
            .filter(
                oauth_authorizations::Column::ExpiresAt.lt(Utc::now() - chrono::Duration::days(1)),
            )
            .exec(&self.connection)
            .await
            .context("pruning old authorizations")?;
        oauth_authorizations::Entity::insert(row)
            .exec_without_returning(&self.connection)
            .await
            .context("storing a pending authorization")?;
        Ok(())
    }

    async fn find_authorization(
        &self,
        state_hash: &StateHash,
    ) -> anyhow::Result<Option<(PendingAuthorization, bool)>> {
        let Some(row) = oauth_authorizations::Entity::find_by_id(state_hash.as_hex().to_owned())
            .one(&self.connection)
            .await
            .context("loading a pending authorization")?
        else {
            return Ok(None);
        };
        let verifier = self
            .sealer
            .open(
                &row.pkce_verifier_sealed,
                &format!("oauth_authorizations.pkce_verifier:{}", row.state_hash),
            )
            .context("opening a stored PKCE verifier")?;
        let pending = PendingAuthorization {
            state_hash: StateHash::from_hex(row.state_hash),
            user_id: UserId::from_uuid(row.user_id),
            session_id: row.session_id,
            provider: row.provider.parse().context("stored provider name")?,
            pkce_verifier: verifier,
            expires_at: row.expires_at,
        };
        Ok(Some((pending, row.used)))
    }

    async fn consume_authorization(&self, state_hash: &StateHash) -> anyhow::Result<bool> {
        let result = oauth_authorizations::Entity::update_many()
            .col_expr(oauth_authorizations::Column::Used, Expr::value(true))
            .filter(oauth_authorizations::Column::StateHash.eq(state_hash.as_hex()))
            .filter(oauth_authorizations::Column::Used.eq(false))
            .exec(&self.connection)
            .await
            .context("spending a pending authorization")?;
        Ok(result.rows_affected == 1)
    }

    async fn save_connection(
        &self,
        user_id: UserId,
        provider: Provider,
        tokens: &TokenSet,
        account: &ProviderAccount,
    ) -> anyhow::Result<()> {
        let transaction = self
            .connection
            .begin()
            .await
            .context("starting a transaction")?;
        self.ensure_row(&transaction, user_id, provider).await?;
        self.write_tokens(&transaction, user_id, provider, tokens)
            .await?;
        Self::update_many(user_id, provider)
            .col_expr(
                connections::Column::AccountId,
                Expr::value(Some(account.id.clone())),
            )
            .col_expr(
                connections::Column::AccountDisplayName,
                Expr::value(account.display_name.clone()),
            )
            .col_expr(
                connections::Column::NeedsReconnect,
                Expr::value(Option::<String>::None),
            )
            .exec(&transaction)
            .await
            .context("storing the connected account")?;
        transaction
            .commit()
            .await
            .context("committing a connection")
    }

    async fn lock_for_refresh(
        &self,
        user_id: UserId,
        provider: Provider,
    ) -> anyhow::Result<Box<dyn RefreshLock>> {
        // PostgreSQL serves several processes: hold the row lock for the whole refresh. SQLite
        // serves one process, whose in-process lock already serialises refreshes; holding a write
        // transaction across a provider call would only make other writers time out.
        let handle = match self.backend {
            Backend::Postgres => Handle::Transaction(
                self.connection
                    .begin()
                    .await
                    .context("starting a transaction")?,
            ),
            Backend::Sqlite => Handle::Plain(self.connection.clone()),
        };
        let row = match &handle {
            Handle::Transaction(transaction) => {
                Self::find_row(transaction, user_id, provider, true).await?
            }
            Handle::Plain(connection) => {
                Self::find_row(connection, user_id, provider, false).await?
            }
        };
        let connection = match row {
            Some(row) => self.connection_from_row(row)?,
            None => Connection::empty(user_id, provider),
        };
        Ok(Box::new(SqlRefreshLock {
            store: self.clone(),
            handle,
            connection,
        }))
    }
}

enum Handle {
    Transaction(DatabaseTransaction),
    Plain(DatabaseConnection),
}

struct SqlRefreshLock {
    store: SqlConnectionStore,
    handle: Handle,
    connection: Connection,
}

impl SqlRefreshLock {
    async fn finish(self) -> anyhow::Result<()> {
        match self.handle {
            Handle::Transaction(transaction) => {
                transaction.commit().await.context("committing a refresh")
            }
            Handle::Plain(_) => Ok(()),
        }
    }
}

#[async_trait]
impl RefreshLock for SqlRefreshLock {
    fn connection(&self) -> &Connection {
        &self.connection
    }

    async fn store_tokens(self: Box<Self>, tokens: &TokenSet) -> anyhow::Result<()> {
        let (user_id, provider) = (self.connection.user_id, self.connection.provider);
        match &self.handle {
            Handle::Transaction(transaction) => {
                self.store
                    .write_tokens(transaction, user_id, provider, tokens)
                    .await?
            }
            Handle::Plain(connection) => {
                self.store
                    .write_tokens(connection, user_id, provider, tokens)
                    .await?
            }
        }
        self.finish().await
    }

    async fn mark_needs_reconnect(self: Box<Self>, reason: &str) -> anyhow::Result<()> {
        let (user_id, provider) = (self.connection.user_id, self.connection.provider);
        match &self.handle {
            Handle::Transaction(transaction) => {
                SqlConnectionStore::clear_tokens(
                    transaction,
                    user_id,
                    provider,
                    Some(reason),
                    true,
                )
                .await?;
            }
            Handle::Plain(connection) => {
                SqlConnectionStore::clear_tokens(connection, user_id, provider, Some(reason), true)
                    .await?;
            }
        }
        self.finish().await
    }

    async fn release(self: Box<Self>) -> anyhow::Result<()> {
        self.finish().await
    }
}
