use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "drive_files")]
pub(crate) struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub(crate) user_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub(crate) service: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub(crate) uri: String,
    pub(crate) url: String,
    pub(crate) stem: String,
    pub(crate) file_name: String,
    pub(crate) bytes: i64,
    pub(crate) size: Option<i64>,
    pub(crate) state: String,
    pub(crate) failure: Option<String>,
    pub(crate) holder: Option<String>,
    pub(crate) lease_until: Option<DateTimeUtc>,
    pub(crate) due_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub(crate) enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
