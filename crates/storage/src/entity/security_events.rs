use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "security_events")]
pub(crate) struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub(crate) id: Uuid,
    pub(crate) user_id: Uuid,
    pub(crate) kind: String,
    pub(crate) at: DateTimeUtc,
    pub(crate) device: Option<String>,
    pub(crate) device_family: Option<String>,
    pub(crate) address: Option<String>,
    pub(crate) detail: Option<String>,
    pub(crate) new_device: bool,
    pub(crate) acknowledged_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub(crate) enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
