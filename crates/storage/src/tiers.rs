//! Accounts' tiers and overrides (columns of `users`) and the record of their changes.

use anyhow::Context as _;
use async_trait::async_trait;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait as _, DatabaseConnection, EntityTrait as _, QueryFilter as _,
    QueryOrder as _, QuerySelect as _, TransactionTrait as _,
};
use soiree_kernel::{Tier, UserId};
use soiree_tiers::{ChangedBy, Overrides, TierBook, TierChange};
use uuid::Uuid;

use crate::entity::{tier_changes, users};

/// Tiers in the database.
#[derive(Debug, Clone)]
pub struct SqlTierBook {
    connection: DatabaseConnection,
}

impl SqlTierBook {
    pub(crate) fn new(connection: DatabaseConnection) -> Self {
        Self { connection }
    }
}

fn overrides_from_column(text: Option<&str>) -> anyhow::Result<Overrides> {
    text.map_or(Ok(Overrides::default()), |text| {
        Overrides::parse(text).context("stored limit overrides")
    })
}

#[async_trait]
impl TierBook for SqlTierBook {
    async fn assignment(&self, user: UserId) -> anyhow::Result<Option<(Tier, Overrides)>> {
        let row = users::Entity::find_by_id(user.as_uuid())
            .select_only()
            .column(users::Column::Tier)
            .column(users::Column::LimitOverrides)
            .into_tuple::<(String, Option<String>)>()
            .one(&self.connection)
            .await
            .context("loading an account's tier")?;
        row.map(|(tier, overrides)| {
            Ok((
                tier.parse().context("stored tier")?,
                overrides_from_column(overrides.as_deref())?,
            ))
        })
        .transpose()
    }

    async fn record(&self, change: &TierChange) -> anyhow::Result<bool> {
        let transaction = self
            .connection
            .begin()
            .await
            .context("starting a transaction")?;
        let overrides = (!change.overrides.is_empty()).then(|| change.overrides.to_string());
        let updated = users::Entity::update_many()
            .col_expr(users::Column::Tier, Expr::value(change.to.as_str()))
            .col_expr(users::Column::LimitOverrides, Expr::value(overrides))
            .filter(users::Column::Id.eq(change.user.as_uuid()))
            .exec(&transaction)
            .await
            .context("changing an account's tier")?;
        if updated.rows_affected == 0 {
            return Ok(false);
        }
        let row = tier_changes::ActiveModel {
            id: Set(Uuid::now_v7()),
            user_id: Set(change.user.as_uuid()),
            from_tier: Set(change.from.as_str().to_owned()),
            to_tier: Set(change.to.as_str().to_owned()),
            overrides: Set(change.overrides.to_string()),
            by_kind: Set(change.by.kind().to_owned()),
            by_user_id: Set(match change.by {
                ChangedBy::Operator(operator) => Some(operator.as_uuid()),
                ChangedBy::Account => Some(change.user.as_uuid()),
                ChangedBy::CommandLine => None,
            }),
            reason: Set(change.reason.clone()),
            at: Set(change.at),
        };
        tier_changes::Entity::insert(row)
            .exec_without_returning(&transaction)
            .await
            .context("recording a tier change")?;
        transaction
            .commit()
            .await
            .context("committing a tier change")?;
        Ok(true)
    }

    async fn changes(&self, user: UserId, limit: u32) -> anyhow::Result<Vec<TierChange>> {
        let rows = tier_changes::Entity::find()
            .filter(tier_changes::Column::UserId.eq(user.as_uuid()))
            .order_by_desc(tier_changes::Column::At)
            .order_by_desc(tier_changes::Column::Id)
            .limit(u64::from(limit))
            .all(&self.connection)
            .await
            .context("loading tier changes")?;
        rows.into_iter()
            .map(|row| {
                Ok(TierChange {
                    user,
                    from: row.from_tier.parse().context("stored tier")?,
                    to: row.to_tier.parse().context("stored tier")?,
                    overrides: overrides_from_column(Some(&row.overrides))?,
                    by: match (row.by_kind.as_str(), row.by_user_id) {
                        ("operator", Some(operator)) => {
                            ChangedBy::Operator(UserId::from_uuid(operator))
                        }
                        ("account", _) => ChangedBy::Account,
                        _ => ChangedBy::CommandLine,
                    },
                    reason: row.reason,
                    at: row.at,
                })
            })
            .collect()
    }
}
