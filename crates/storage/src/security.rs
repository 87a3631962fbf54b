//! Two-step login and the security-event log over SeaORM. TOTP seeds are sealed with
//! AES-256-GCM like provider secrets; recovery codes and challenges are stored as hashes only.
//! The single-use rules are conditional writes whose row counts decide, so they hold across
//! processes on PostgreSQL as on SQLite.

use std::sync::Arc;

use anyhow::Context as _;
use async_trait::async_trait;
use sea_orm::sea_query::{Expr, ExprTrait as _, OnConflict};
use sea_orm::{
    ActiveValue::Set, ColumnTrait as _, Condition, DatabaseConnection, EntityTrait as _,
    PaginatorTrait as _, QueryFilter as _, QueryOrder as _, QuerySelect as _,
    TransactionTrait as _,
};
use secrecy::{ExposeSecret as _, SecretString};
use soiree_kernel::{Timestamp, UserId};
use soiree_users::{
    AppPassword, AppPasswordId, AppPasswordName, AppPasswordRepository, AppSecret, ClientInfo,
    KnownClient, LoginChallenge, MfaRecord, MfaRepository, RecoveryCodeHash, SecurityEvent,
    SecurityEventKind, SecurityEventRepository, TokenHash, TotpSeed, device_family,
};

use crate::entity::{
    app_passwords, login_challenges, mfa_recovery_codes, mfa_totp, security_events,
};
use crate::sealing::Sealer;
use crate::users::SqlUserStore;

/// Two-step login in the database.
#[derive(Debug, Clone)]
pub(crate) struct SqlMfaStore {
    connection: DatabaseConnection,
    sealer: Arc<Sealer>,
}

impl SqlMfaStore {
    pub(crate) fn new(connection: DatabaseConnection, sealer: Arc<Sealer>) -> Self {
        Self { connection, sealer }
    }
}

/// What a seed is sealed for: the account, so that a sealed seed copied to another row opens
/// nowhere.
fn seed_context(user_id: UserId) -> String {
    format!("mfa_totp.seed:{}", user_id.as_uuid())
}

fn step_value(step: u64) -> i64 {
    i64::try_from(step).unwrap_or(i64::MAX)
}

#[async_trait]
impl MfaRepository for SqlMfaStore {
    async fn mfa_of(&self, user_id: UserId) -> anyhow::Result<Option<MfaRecord>> {
        let Some(row) = mfa_totp::Entity::find_by_id(user_id.as_uuid())
            .one(&self.connection)
            .await
            .context("loading an account's two-step login")?
        else {
            return Ok(None);
        };
        let opened = self
            .sealer
            .open(&row.sealed_seed, &seed_context(user_id))
            .context("opening a TOTP seed")?;
        let seed = hex::decode(opened.expose_secret()).context("a stored TOTP seed")?;
        let codes = mfa_recovery_codes::Entity::find()
            .filter(mfa_recovery_codes::Column::UserId.eq(user_id.as_uuid()))
            .count(&self.connection)
            .await
            .context("counting recovery codes")?;
        Ok(Some(MfaRecord {
            seed: TotpSeed::from_bytes(seed),
            confirmed_at: row.confirmed_at,
            last_step: row.last_step.and_then(|step| u64::try_from(step).ok()),
            recovery_codes_left: u32::try_from(codes).unwrap_or(u32::MAX),
        }))
    }

    async fn put_pending_seed(
        &self,
        user_id: UserId,
        seed: &TotpSeed,
        at: Timestamp,
    ) -> anyhow::Result<bool> {
        let sealed = self.sealer.seal(
            &SecretString::from(hex::encode(seed.expose())),
            &seed_context(user_id),
        )?;
        let row = mfa_totp::ActiveModel {
            user_id: Set(user_id.as_uuid()),
            sealed_seed: Set(sealed),
            confirmed_at: Set(None),
            last_step: Set(None),
            created_at: Set(at),
        };
        // Replaces a pending seed, never a confirmed one: the row count says which happened.
        let written = mfa_totp::Entity::insert(row)
            .on_conflict(
                OnConflict::column(mfa_totp::Column::UserId)
                    .update_columns([mfa_totp::Column::SealedSeed, mfa_totp::Column::CreatedAt])
                    .action_and_where(
                        Expr::col((mfa_totp::Entity, mfa_totp::Column::ConfirmedAt)).is_null(),
                    )
                    .to_owned(),
            )
            .exec_without_returning(&self.connection)
            .await
            .context("storing a pending TOTP seed")?;
        Ok(written == 1)
    }

    async fn confirm(
        &self,
        user_id: UserId,
        step: u64,
        codes: &[RecoveryCodeHash],
        at: Timestamp,
    ) -> anyhow::Result<bool> {
        let transaction = self
            .connection
            .begin()
            .await
            .context("starting a TOTP confirmation")?;
        let confirmed = mfa_totp::Entity::update_many()
            .col_expr(mfa_totp::Column::ConfirmedAt, Expr::value(at))
            .col_expr(mfa_totp::Column::LastStep, Expr::value(step_value(step)))
            .filter(mfa_totp::Column::UserId.eq(user_id.as_uuid()))
            .filter(mfa_totp::Column::ConfirmedAt.is_null())
            .exec(&transaction)
            .await
            .context("confirming a TOTP seed")?;
        if confirmed.rows_affected != 1 {
            return Ok(false);
        }
        replace_codes(&transaction, user_id, codes).await?;
        transaction
            .commit()
            .await
            .context("confirming a TOTP seed")?;
        Ok(true)
    }

    async fn accept_step(&self, user_id: UserId, step: u64) -> anyhow::Result<bool> {
        let step = step_value(step);
        let accepted = mfa_totp::Entity::update_many()
            .col_expr(mfa_totp::Column::LastStep, Expr::value(step))
            .filter(mfa_totp::Column::UserId.eq(user_id.as_uuid()))
            .filter(
                Condition::any()
                    .add(mfa_totp::Column::LastStep.is_null())
                    .add(mfa_totp::Column::LastStep.lt(step)),
            )
            .exec(&self.connection)
            .await
            .context("accepting a TOTP step")?;
        Ok(accepted.rows_affected == 1)
    }

    async fn use_recovery_code(
        &self,
        user_id: UserId,
        code: &RecoveryCodeHash,
    ) -> anyhow::Result<bool> {
        let used = mfa_recovery_codes::Entity::delete_many()
            .filter(mfa_recovery_codes::Column::UserId.eq(user_id.as_uuid()))
            .filter(mfa_recovery_codes::Column::CodeHash.eq(code.as_hex()))
            .exec(&self.connection)
            .await
            .context("using a recovery code")?;
        Ok(used.rows_affected == 1)
    }

    async fn replace_recovery_codes(
        &self,
        user_id: UserId,
        codes: &[RecoveryCodeHash],
    ) -> anyhow::Result<()> {
        let transaction = self
            .connection
            .begin()
            .await
            .context("starting to replace recovery codes")?;
        replace_codes(&transaction, user_id, codes).await?;
        transaction
            .commit()
            .await
            .context("replacing recovery codes")
    }

    async fn remove_mfa(&self, user_id: UserId) -> anyhow::Result<bool> {
        let transaction = self
            .connection
            .begin()
            .await
            .context("starting to remove two-step login")?;
        mfa_recovery_codes::Entity::delete_many()
            .filter(mfa_recovery_codes::Column::UserId.eq(user_id.as_uuid()))
            .exec(&transaction)
            .await
            .context("removing recovery codes")?;
        let removed = mfa_totp::Entity::delete_by_id(user_id.as_uuid())
            .exec(&transaction)
            .await
            .context("removing a TOTP seed")?;
        transaction
            .commit()
            .await
            .context("removing two-step login")?;
        Ok(removed.rows_affected == 1)
    }

    async fn insert_challenge(&self, challenge: &LoginChallenge) -> anyhow::Result<()> {
        let row = login_challenges::ActiveModel {
            token_hash: Set(challenge.token_hash.as_hex().to_owned()),
            user_id: Set(challenge.user_id.as_uuid()),
            device: Set(challenge.client.device.clone()),
            address: Set(challenge.client.address.clone()),
            expires_at: Set(challenge.expires_at),
        };
        login_challenges::Entity::insert(row)
            .exec_without_returning(&self.connection)
            .await
            .context("storing a login challenge")?;
        Ok(())
    }

    async fn challenge(&self, token_hash: &TokenHash) -> anyhow::Result<Option<LoginChallenge>> {
        let row = login_challenges::Entity::find_by_id(token_hash.as_hex().to_owned())
            .one(&self.connection)
            .await
            .context("loading a login challenge")?;
        Ok(row.map(|row| LoginChallenge {
            token_hash: TokenHash::from_hex(row.token_hash),
            user_id: UserId::from_uuid(row.user_id),
            client: ClientInfo {
                device: row.device,
                address: row.address,
            },
            expires_at: row.expires_at,
        }))
    }

    async fn take_challenge(&self, token_hash: &TokenHash, now: Timestamp) -> anyhow::Result<bool> {
        let taken = login_challenges::Entity::delete_many()
            .filter(login_challenges::Column::TokenHash.eq(token_hash.as_hex()))
            .filter(login_challenges::Column::ExpiresAt.gt(now))
            .exec(&self.connection)
            .await
            .context("using a login challenge")?;
        // Challenges nobody finished: gone once expired.
        login_challenges::Entity::delete_many()
            .filter(login_challenges::Column::ExpiresAt.lte(now))
            .exec(&self.connection)
            .await
            .context("sweeping expired login challenges")?;
        Ok(taken.rows_affected == 1)
    }
}

async fn replace_codes(
    transaction: &sea_orm::DatabaseTransaction,
    user_id: UserId,
    codes: &[RecoveryCodeHash],
) -> anyhow::Result<()> {
    mfa_recovery_codes::Entity::delete_many()
        .filter(mfa_recovery_codes::Column::UserId.eq(user_id.as_uuid()))
        .exec(transaction)
        .await
        .context("removing old recovery codes")?;
    if codes.is_empty() {
        return Ok(());
    }
    mfa_recovery_codes::Entity::insert_many(codes.iter().map(|code| {
        mfa_recovery_codes::ActiveModel {
            user_id: Set(user_id.as_uuid()),
            code_hash: Set(code.as_hex().to_owned()),
        }
    }))
    .exec_without_returning(transaction)
    .await
    .context("storing recovery codes")?;
    Ok(())
}

fn event_from_row(row: security_events::Model) -> anyhow::Result<SecurityEvent> {
    let kind = SecurityEventKind::parse(&row.kind)
        .with_context(|| format!("stored security event kind {:?}", row.kind))?;
    Ok(SecurityEvent {
        id: row.id,
        user_id: UserId::from_uuid(row.user_id),
        kind,
        at: row.at,
        client: ClientInfo {
            device: row.device,
            address: row.address,
        },
        detail: row.detail,
        new_device: row.new_device,
        acknowledged_at: row.acknowledged_at,
    })
}

#[async_trait]
impl SecurityEventRepository for SqlUserStore {
    async fn record_event(&self, event: &SecurityEvent) -> anyhow::Result<()> {
        let row = security_events::ActiveModel {
            id: Set(event.id),
            user_id: Set(event.user_id.as_uuid()),
            kind: Set(event.kind.as_str().to_owned()),
            at: Set(event.at),
            device: Set(event.client.device.clone()),
            device_family: Set(event.client.device.as_deref().and_then(device_family)),
            address: Set(event.client.address.clone()),
            detail: Set(event
                .detail
                .as_ref()
                .map(|detail| detail.chars().take(200).collect())),
            new_device: Set(event.new_device),
            acknowledged_at: Set(event.acknowledged_at),
        };
        security_events::Entity::insert(row)
            .exec_without_returning(self.connection())
            .await
            .context("recording a security event")?;
        Ok(())
    }

    async fn events_of(&self, user_id: UserId, limit: u32) -> anyhow::Result<Vec<SecurityEvent>> {
        security_events::Entity::find()
            .filter(security_events::Column::UserId.eq(user_id.as_uuid()))
            .order_by_desc(security_events::Column::At)
            .order_by_desc(security_events::Column::Id)
            .limit(u64::from(limit))
            .all(self.connection())
            .await
            .context("listing security events")?
            .into_iter()
            .map(event_from_row)
            .collect()
    }

    async fn known_client(
        &self,
        user_id: UserId,
        client: &ClientInfo,
    ) -> anyhow::Result<KnownClient> {
        let logins = || {
            security_events::Entity::find()
                .filter(security_events::Column::UserId.eq(user_id.as_uuid()))
                .filter(
                    security_events::Column::Kind.eq(SecurityEventKind::LoginSucceeded.as_str()),
                )
        };
        let exists = |query: sea_orm::Select<security_events::Entity>| async move {
            query
                .select_only()
                .column(security_events::Column::Id)
                .limit(1)
                .into_tuple::<uuid::Uuid>()
                .one(self.connection())
                .await
                .map(|found| found.is_some())
                .context("comparing a login with earlier ones")
        };
        let family = client.device.as_deref().and_then(device_family);
        let same_device = match &family {
            Some(family) => security_events::Column::DeviceFamily.eq(family.as_str()),
            None => security_events::Column::DeviceFamily.is_null(),
        };
        let same_address = match &client.address {
            Some(address) => security_events::Column::Address.eq(address.as_str()),
            None => security_events::Column::Address.is_null(),
        };
        Ok(KnownClient {
            any_login: exists(logins()).await?,
            device_seen: exists(logins().filter(same_device)).await?,
            address_seen: exists(logins().filter(same_address)).await?,
        })
    }

    async fn acknowledge_events(&self, user_id: UserId, at: Timestamp) -> anyhow::Result<u64> {
        let acknowledged = security_events::Entity::update_many()
            .col_expr(security_events::Column::AcknowledgedAt, Expr::value(at))
            .filter(security_events::Column::UserId.eq(user_id.as_uuid()))
            .filter(security_events::Column::NewDevice.eq(true))
            .filter(security_events::Column::AcknowledgedAt.is_null())
            .exec(self.connection())
            .await
            .context("acknowledging security events")?;
        Ok(acknowledged.rows_affected)
    }
}

/// What an app password's secret is sealed for: its own row.
fn app_secret_context(id: AppPasswordId) -> String {
    format!("app_passwords.secret:{}", id.as_uuid())
}

fn app_password_of(row: &app_passwords::Model) -> anyhow::Result<AppPassword> {
    Ok(AppPassword {
        id: AppPasswordId::from_uuid(row.id),
        user_id: UserId::from_uuid(row.user_id),
        name: AppPasswordName::parse(&row.name).context("a stored app password name")?,
        created_at: row.created_at,
    })
}

#[async_trait]
impl AppPasswordRepository for SqlMfaStore {
    async fn insert_app_password(
        &self,
        app_password: &AppPassword,
        secret: &AppSecret,
        limit: usize,
    ) -> anyhow::Result<bool> {
        let sealed = self.sealer.seal(
            &SecretString::from(secret.expose().to_owned()),
            &app_secret_context(app_password.id),
        )?;
        let transaction = self
            .connection
            .begin()
            .await
            .context("starting a new app password")?;
        // The account's row first (its lock), so that app passwords made at once are counted in
        // turn.
        crate::entity::users::Entity::update_many()
            .col_expr(
                crate::entity::users::Column::Id,
                Expr::col(crate::entity::users::Column::Id),
            )
            .filter(crate::entity::users::Column::Id.eq(app_password.user_id.as_uuid()))
            .exec(&transaction)
            .await
            .context("locking the account for an app password")?;
        let owned = app_passwords::Entity::find()
            .filter(app_passwords::Column::UserId.eq(app_password.user_id.as_uuid()))
            .count(&transaction)
            .await
            .context("counting app passwords")?;
        if owned >= limit as u64 {
            return Ok(false);
        }
        app_passwords::Entity::insert(app_passwords::ActiveModel {
            id: Set(app_password.id.as_uuid()),
            user_id: Set(app_password.user_id.as_uuid()),
            name: Set(app_password.name.as_str().to_owned()),
            sealed_secret: Set(sealed),
            created_at: Set(app_password.created_at),
            secret_lookup: Set(Some(secret.lookup())),
        })
        .exec_without_returning(&transaction)
        .await
        .context("storing an app password")?;
        transaction
            .commit()
            .await
            .context("storing an app password")?;
        Ok(true)
    }

    async fn app_passwords_of(&self, user_id: UserId) -> anyhow::Result<Vec<AppPassword>> {
        app_passwords::Entity::find()
            .filter(app_passwords::Column::UserId.eq(user_id.as_uuid()))
            .order_by_asc(app_passwords::Column::CreatedAt)
            .order_by_asc(app_passwords::Column::Id)
            .all(&self.connection)
            .await
            .context("listing app passwords")?
            .iter()
            .map(app_password_of)
            .collect()
    }

    async fn user_by_app_lookup(&self, lookup: &str) -> anyhow::Result<Option<UserId>> {
        let row = app_passwords::Entity::find()
            .filter(app_passwords::Column::SecretLookup.eq(lookup))
            .one(&self.connection)
            .await
            .context("looking up an app password")?;
        Ok(row.map(|row| UserId::from_uuid(row.user_id)))
    }

    async fn app_secrets_of(
        &self,
        user_id: UserId,
    ) -> anyhow::Result<Vec<(AppPasswordId, AppSecret)>> {
        app_passwords::Entity::find()
            .filter(app_passwords::Column::UserId.eq(user_id.as_uuid()))
            .all(&self.connection)
            .await
            .context("loading app passwords")?
            .into_iter()
            .map(|row| {
                let id = AppPasswordId::from_uuid(row.id);
                let secret = self
                    .sealer
                    .open(&row.sealed_secret, &app_secret_context(id))
                    .context("opening an app password")?;
                Ok((id, AppSecret::from_stored(secret)))
            })
            .collect()
    }

    async fn delete_app_password(
        &self,
        user_id: UserId,
        id: AppPasswordId,
    ) -> anyhow::Result<bool> {
        let deleted = app_passwords::Entity::delete_many()
            .filter(app_passwords::Column::UserId.eq(user_id.as_uuid()))
            .filter(app_passwords::Column::Id.eq(id.as_uuid()))
            .exec(&self.connection)
            .await
            .context("revoking an app password")?;
        Ok(deleted.rows_affected == 1)
    }
}
