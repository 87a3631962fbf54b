use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sync_runs")]
pub(crate) struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub(crate) id: Uuid,
    pub(crate) user_id: Uuid,
    pub(crate) service: String,
    pub(crate) mode: String,
    pub(crate) started_at: DateTimeUtc,
    pub(crate) finished_at: DateTimeUtc,
    pub(crate) pages: i32,
    pub(crate) requests: i32,
    pub(crate) added: i32,
    pub(crate) removed: i32,
    pub(crate) rate_limit_waits: i32,
    pub(crate) outcome: String,
    pub(crate) reason: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub(crate) enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
