use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "library_tracks")]
pub(crate) struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub(crate) id: Uuid,
    pub(crate) source: String,
    pub(crate) path: String,
    pub(crate) size: i64,
    pub(crate) modified_at: DateTimeUtc,
    pub(crate) content_type: String,
    pub(crate) title: String,
    pub(crate) artists: String,
    pub(crate) album: Option<String>,
    pub(crate) album_artist: Option<String>,
    pub(crate) track_number: Option<i32>,
    pub(crate) disc_number: Option<i32>,
    pub(crate) year: Option<i32>,
    pub(crate) genre: Option<String>,
    pub(crate) duration_ms: Option<i64>,
    pub(crate) has_cover: bool,
    pub(crate) search_text: String,
    pub(crate) artist_key: String,
    pub(crate) album_key: String,
    pub(crate) title_key: String,
    pub(crate) added_at: DateTimeUtc,
    pub(crate) main_artist: String,
    pub(crate) owner_id: Option<Uuid>,
    pub(crate) content_hash: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub(crate) enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
