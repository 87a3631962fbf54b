use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "room_votes")]
pub(crate) struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub(crate) room_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub(crate) participant_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub(crate) track_uri: String,
    pub(crate) is_like: bool,
    pub(crate) cast_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub(crate) enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
