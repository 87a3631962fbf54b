use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "liked_tracks")]
pub(crate) struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub(crate) user_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub(crate) service: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub(crate) uri: String,
    pub(crate) title: String,
    pub(crate) artists: String,
    pub(crate) album: Option<String>,
    pub(crate) duration_ms: i64,
    pub(crate) liked_at: Option<DateTimeUtc>,
    pub(crate) link: Option<String>,
    pub(crate) first_seen_at: DateTimeUtc,
    pub(crate) seen_run: Uuid,
    pub(crate) download_url: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub(crate) enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
