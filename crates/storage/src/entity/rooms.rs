use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "rooms")]
pub(crate) struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub(crate) id: Uuid,
    pub(crate) code: String,
    pub(crate) name: Option<String>,
    pub(crate) host_user_id: Uuid,
    pub(crate) threshold_kind: String,
    pub(crate) threshold_value: i32,
    pub(crate) guests_allowed: bool,
    #[sea_orm(column_name = "guest_votes_per2min")]
    pub(crate) guest_votes_per2min: i32,
    pub(crate) max_guests: Option<i32>,
    pub(crate) last_seq: i64,
    pub(crate) closed_at: Option<DateTimeUtc>,
    pub(crate) created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub(crate) enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
