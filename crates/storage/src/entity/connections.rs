use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "connections")]
pub(crate) struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub(crate) id: Uuid,
    pub(crate) user_id: Uuid,
    pub(crate) provider: String,
    pub(crate) client_id: Option<String>,
    pub(crate) client_secret_sealed: Option<String>,
    pub(crate) access_token_sealed: Option<String>,
    pub(crate) refresh_token_sealed: Option<String>,
    pub(crate) token_expires_at: Option<DateTimeUtc>,
    pub(crate) scope: Option<String>,
    pub(crate) account_id: Option<String>,
    pub(crate) account_display_name: Option<String>,
    pub(crate) needs_reconnect: Option<String>,
    pub(crate) updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub(crate) enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
