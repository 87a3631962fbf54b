use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sync_states")]
pub(crate) struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub(crate) user_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub(crate) service: String,
    pub(crate) next_run_at: DateTimeUtc,
    pub(crate) holder: Option<String>,
    pub(crate) lease_until: Option<DateTimeUtc>,
    pub(crate) newest_uri: Option<String>,
    pub(crate) newest_liked_at: Option<DateTimeUtc>,
    pub(crate) last_full_at: Option<DateTimeUtc>,
    pub(crate) full_requested: bool,
    pub(crate) stopped: Option<String>,
    pub(crate) run_id: Option<Uuid>,
    pub(crate) run_mode: Option<String>,
    pub(crate) run_started_at: Option<DateTimeUtc>,
    pub(crate) run_cursor: Option<String>,
    pub(crate) run_pages: Option<i32>,
    pub(crate) run_requests: Option<i32>,
    pub(crate) run_added: Option<i32>,
    pub(crate) run_waits: Option<i32>,
    pub(crate) run_newest_uri: Option<String>,
    pub(crate) run_newest_liked_at: Option<DateTimeUtc>,
    pub(crate) run_waiting_until: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub(crate) enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
