use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "room_participants")]
pub(crate) struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub(crate) id: Uuid,
    pub(crate) room_id: Uuid,
    pub(crate) user_id: Option<Uuid>,
    pub(crate) guest_token_hash: Option<String>,
    pub(crate) display_name: String,
    pub(crate) joined_at: DateTimeUtc,
    pub(crate) left_at: Option<DateTimeUtc>,
    pub(crate) kicked: bool,
    pub(crate) last_seen_at: DateTimeUtc,
    pub(crate) guest_source: Option<String>,
    pub(crate) name_key: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub(crate) enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
