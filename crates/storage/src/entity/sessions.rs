use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sessions")]
pub(crate) struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub(crate) id: Uuid,
    pub(crate) user_id: Uuid,
    pub(crate) token_hash: String,
    pub(crate) created_at: DateTimeUtc,
    pub(crate) last_seen_at: DateTimeUtc,
    pub(crate) expires_at: DateTimeUtc,
    pub(crate) revoked_at: Option<DateTimeUtc>,
    pub(crate) device: Option<String>,
    pub(crate) address: Option<String>,
    pub(crate) authenticated_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub(crate) enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
