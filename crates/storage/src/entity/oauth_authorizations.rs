use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "oauth_authorizations")]
pub(crate) struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub(crate) state_hash: String,
    pub(crate) user_id: Uuid,
    pub(crate) session_id: String,
    pub(crate) provider: String,
    pub(crate) pkce_verifier_sealed: String,
    pub(crate) expires_at: DateTimeUtc,
    pub(crate) used: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub(crate) enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
