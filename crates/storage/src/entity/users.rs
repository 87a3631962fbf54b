use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "users")]
pub(crate) struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub(crate) id: Uuid,
    pub(crate) username: String,
    pub(crate) username_key: String,
    pub(crate) email: Option<String>,
    pub(crate) email_key: Option<String>,
    pub(crate) password_hash: String,
    pub(crate) display_name: Option<String>,
    pub(crate) language: Option<String>,
    pub(crate) timezone: Option<String>,
    pub(crate) tier: String,
    pub(crate) operator: bool,
    pub(crate) limit_overrides: Option<String>,
    pub(crate) created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub(crate) enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
