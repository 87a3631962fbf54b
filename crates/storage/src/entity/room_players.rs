use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "room_players")]
pub(crate) struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub(crate) room_id: Uuid,
    pub(crate) holder: Option<String>,
    pub(crate) lease_expires_at: Option<DateTimeUtc>,
    pub(crate) next_look_at: Option<DateTimeUtc>,
    pub(crate) woken: bool,
    pub(crate) queued_next: Option<String>,
    pub(crate) skipping: Option<String>,
    pub(crate) backoff_until: Option<DateTimeUtc>,
    pub(crate) last_failure: Option<String>,
    pub(crate) last_failure_retry_ms: Option<i64>,
    pub(crate) last_failure_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub(crate) enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
