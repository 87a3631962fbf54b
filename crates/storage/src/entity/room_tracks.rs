use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "room_tracks")]
pub(crate) struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub(crate) room_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub(crate) track_uri: String,
    pub(crate) state: String,
    pub(crate) added_by: Option<Uuid>,
    pub(crate) created_at: DateTimeUtc,
    pub(crate) ready_at: Option<DateTimeUtc>,
    pub(crate) ready_order: Option<i64>,
    pub(crate) likes: i32,
    pub(crate) dislikes: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub(crate) enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
