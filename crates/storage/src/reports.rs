//! What the operator's reports read: an account's usage and the server's activity.

use anyhow::Context as _;
use async_trait::async_trait;
use sea_orm::sea_query::{Expr, ExprTrait as _};
use sea_orm::{
    ColumnTrait as _, ConnectionTrait as _, DatabaseBackend, DatabaseConnection, EntityTrait as _,
    PaginatorTrait as _, QueryFilter as _, QuerySelect as _, Statement,
};
use soiree_kernel::{Tier, Timestamp, UserId};
use soiree_tiers::{Activity, Census, Usage, UsageReports};

use crate::entity::{
    connections, login_failures, playlists, room_participants, room_votes, rooms, sessions,
    tier_changes, users,
};

/// Reports over the database.
#[derive(Debug, Clone)]
pub struct SqlUsageReports {
    connection: DatabaseConnection,
}

impl SqlUsageReports {
    pub(crate) fn new(connection: DatabaseConnection) -> Self {
        Self { connection }
    }
}

#[async_trait]
impl UsageReports for SqlUsageReports {
    async fn usage(&self, user: UserId) -> anyhow::Result<Usage> {
        let open: Vec<uuid::Uuid> = rooms::Entity::find()
            .select_only()
            .column(rooms::Column::Id)
            .filter(rooms::Column::HostUserId.eq(user.as_uuid()))
            .filter(rooms::Column::ClosedAt.is_null())
            .into_tuple()
            .all(&self.connection)
            .await
            .context("listing open rooms")?;
        let mut fullest = 0;
        for room in &open {
            let people = room_participants::Entity::find()
                .filter(room_participants::Column::RoomId.eq(*room))
                .filter(room_participants::Column::LeftAt.is_null())
                .count(&self.connection)
                .await
                .context("counting a room's people")?;
            fullest = Ord::max(fullest, people);
        }
        // Shared counts exist on PostgreSQL only; on SQLite the server counts in its process.
        let backend = self.connection.get_database_backend();
        let api_requests_this_hour = if backend == DatabaseBackend::Postgres {
            let row = self
                .connection
                .query_one_raw(Statement::from_sql_and_values(
                    backend,
                    "SELECT COALESCE(MAX(hits), 0) AS hits FROM rate_counters \
                     WHERE key = $1 AND ends_at > $2",
                    [
                        format!("api:{user}").into(),
                        chrono::Utc::now().timestamp().into(),
                    ],
                ))
                .await
                .context("reading an account's API requests")?;
            let hits: i64 = match row {
                Some(row) => row.try_get("", "hits").context("reading a count")?,
                None => 0,
            };
            Some(u64::try_from(hits).unwrap_or(0))
        } else {
            None
        };
        let playlists = playlists::Entity::find()
            .filter(playlists::Column::OwnerId.eq(user.as_uuid()))
            .count(&self.connection)
            .await
            .context("counting an account's playlists")?;
        let storage_bytes = crate::uploads::uploaded_bytes(&self.connection, user).await?;
        Ok(Usage {
            open_rooms: open.len() as u64,
            fullest_room: fullest,
            playlists,
            storage_bytes,
            api_requests_this_hour,
        })
    }

    async fn census(&self) -> anyhow::Result<Census> {
        let db = &self.connection;
        let counted: Vec<(String, i64)> = users::Entity::find()
            .select_only()
            .column(users::Column::Tier)
            .column_as(users::Column::Id.count(), "accounts")
            .group_by(users::Column::Tier)
            .into_tuple()
            .all(db)
            .await
            .context("counting accounts by tier")?;
        let accounts_by_tier = Tier::ALL
            .iter()
            .map(|tier| {
                let count = counted
                    .iter()
                    .find(|(name, _)| name == tier.as_str())
                    .map_or(0, |(_, count)| u64::try_from(*count).unwrap_or(0));
                (*tier, count)
            })
            .collect();
        let rooms_open = rooms::Entity::find()
            .filter(rooms::Column::ClosedAt.is_null())
            .count(db)
            .await
            .context("counting open rooms")?;
        Ok(Census {
            accounts_by_tier,
            rooms_open,
        })
    }

    async fn activity(&self, since: Timestamp) -> anyhow::Result<Activity> {
        let db = &self.connection;
        let mut accounts_by_tier = Vec::new();
        for tier in Tier::ALL {
            let count = users::Entity::find()
                .filter(users::Column::Tier.eq(tier.as_str()))
                .count(db)
                .await
                .context("counting accounts by tier")?;
            accounts_by_tier.push((tier, count));
        }
        let operators = users::Entity::find()
            .filter(users::Column::Operator.eq(true))
            .count(db)
            .await
            .context("counting operators")?;
        let new_accounts = users::Entity::find()
            .filter(users::Column::CreatedAt.gte(since))
            .count(db)
            .await
            .context("counting new accounts")?;
        let active_accounts = sessions::Entity::find()
            .select_only()
            .column(sessions::Column::UserId)
            .distinct()
            .filter(sessions::Column::LastSeenAt.gte(since))
            .count(db)
            .await
            .context("counting active accounts")?;
        let rooms_created = rooms::Entity::find()
            .filter(rooms::Column::CreatedAt.gte(since))
            .count(db)
            .await
            .context("counting new rooms")?;
        let rooms_open = rooms::Entity::find()
            .filter(rooms::Column::ClosedAt.is_null())
            .count(db)
            .await
            .context("counting open rooms")?;
        let room_joins = room_participants::Entity::find()
            .filter(room_participants::Column::JoinedAt.gte(since))
            .count(db)
            .await
            .context("counting joins")?;
        let votes = room_votes::Entity::find()
            .filter(room_votes::Column::CastAt.gte(since))
            .count(db)
            .await
            .context("counting votes")?;
        // At most one row per account and provider: counted here.
        let rows: Vec<(String, bool, bool)> = connections::Entity::find()
            .select_only()
            .column(connections::Column::Provider)
            .expr_as(
                Expr::col(connections::Column::NeedsReconnect).is_not_null(),
                "needs_reconnect",
            )
            .expr_as(
                Expr::col(connections::Column::AccessTokenSealed).is_not_null(),
                "has_token",
            )
            .into_tuple()
            .all(db)
            .await
            .context("reading connections' status")?;
        let mut by_status = std::collections::BTreeMap::<(String, String), u64>::new();
        for (provider, needs_reconnect, has_token) in rows {
            let status = if needs_reconnect {
                "needs_reconnect"
            } else if has_token {
                "connected"
            } else {
                "configured"
            };
            *by_status.entry((provider, status.to_owned())).or_default() += 1;
        }
        let failed_logins = login_failures::Entity::find()
            .filter(login_failures::Column::FailedAt.gte(since))
            .count(db)
            .await
            .context("counting failed logins")?;
        let tier_changes = tier_changes::Entity::find()
            .filter(tier_changes::Column::At.gte(since))
            .count(db)
            .await
            .context("counting tier changes")?;
        let backend = db.get_database_backend();
        let sql = |text: &str| match backend {
            DatabaseBackend::Sqlite => text.replace('$', "?"),
            _ => text.to_owned(),
        };
        let since_day = since.format("%Y-%m-%d").to_string();
        let mut counts = Vec::new();
        for row in db
            .query_all_raw(Statement::from_sql_and_values(
                backend,
                sql(
                    "SELECT name, CAST(SUM(count) AS BIGINT) AS total FROM daily_counts \
                     WHERE day >= $1 AND subject = '' GROUP BY name ORDER BY name",
                ),
                [since_day.clone().into()],
            ))
            .await
            .context("reading the day counts")?
        {
            let name: String = row.try_get("", "name").context("a count's name")?;
            let total: i64 = row.try_get("", "total").context("a count")?;
            counts.push((name, u64::try_from(total).unwrap_or(0)));
        }
        let mut errors_by_account = Vec::new();
        for row in db
            .query_all_raw(Statement::from_sql_and_values(
                backend,
                sql("SELECT subject, \
                       CAST(SUM(CASE WHEN name = 'http_5xx' THEN count ELSE 0 END) AS BIGINT) AS errors, \
                       CAST(SUM(CASE WHEN name = 'http_4xx' THEN count ELSE 0 END) AS BIGINT) AS refusals \
                     FROM daily_counts \
                     WHERE day >= $1 AND subject <> '' AND name IN ('http_4xx', 'http_5xx') \
                     GROUP BY subject ORDER BY errors DESC, refusals DESC, subject LIMIT 10"),
                [since_day.into()],
            ))
            .await
            .context("reading errors per account")?
        {
            let subject: String = row.try_get("", "subject").context("an account")?;
            let errors: i64 = row.try_get("", "errors").context("a count")?;
            let refusals: i64 = row.try_get("", "refusals").context("a count")?;
            if let Ok(id) = subject.parse::<uuid::Uuid>() {
                errors_by_account.push((
                    UserId::from_uuid(id),
                    u64::try_from(errors).unwrap_or(0),
                    u64::try_from(refusals).unwrap_or(0),
                ));
            }
        }
        Ok(Activity {
            counts,
            errors_by_account,
            accounts_by_tier,
            operators,
            new_accounts,
            active_accounts,
            rooms_created,
            rooms_open,
            room_joins,
            votes,
            connections: by_status
                .into_iter()
                .map(|((provider, status), count)| (provider, status, count))
                .collect(),
            failed_logins,
            tier_changes,
        })
    }
}
