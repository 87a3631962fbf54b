//! The library's catalogue: one row per track of the operator's music folder (later uploads and
//! provider tracks), with its tags, its file as last read, and folded search keys; and an index
//! that finds a piece of text inside them without reading every row: an FTS5 table with the
//! trigram tokenizer on SQLite (kept in step by triggers), a trigram GIN index on PostgreSQL
//! (the `pg_trgm` extension, which a database owner may create since PostgreSQL 13).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{
    big_integer, big_integer_null, boolean, integer_null, string_len, text, text_null,
    timestamp_with_time_zone, uuid,
};
use sea_orm_migration::sea_orm::DatabaseBackend;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum LibraryTracks {
    Table,
    Id,
    Source,
    Path,
    Size,
    ModifiedAt,
    ContentType,
    Title,
    Artists,
    Album,
    AlbumArtist,
    TrackNumber,
    DiscNumber,
    Year,
    Genre,
    DurationMs,
    HasCover,
    SearchText,
    ArtistKey,
    AlbumKey,
    TitleKey,
    AddedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(LibraryTracks::Table)
                    .col(uuid(LibraryTracks::Id).primary_key())
                    .col(string_len(LibraryTracks::Source, 8))
                    .col(text(LibraryTracks::Path))
                    .col(big_integer(LibraryTracks::Size))
                    .col(timestamp_with_time_zone(LibraryTracks::ModifiedAt))
                    .col(string_len(LibraryTracks::ContentType, 64))
                    .col(text(LibraryTracks::Title))
                    .col(text(LibraryTracks::Artists))
                    .col(text_null(LibraryTracks::Album))
                    .col(text_null(LibraryTracks::AlbumArtist))
                    .col(integer_null(LibraryTracks::TrackNumber))
                    .col(integer_null(LibraryTracks::DiscNumber))
                    .col(integer_null(LibraryTracks::Year))
                    .col(text_null(LibraryTracks::Genre))
                    .col(big_integer_null(LibraryTracks::DurationMs))
                    .col(boolean(LibraryTracks::HasCover))
                    .col(text(LibraryTracks::SearchText))
                    .col(text(LibraryTracks::ArtistKey))
                    .col(text(LibraryTracks::AlbumKey))
                    .col(text(LibraryTracks::TitleKey))
                    .col(timestamp_with_time_zone(LibraryTracks::AddedAt))
                    .to_owned(),
            )
            .await?;
        // One track per file: two scans at once cannot make two.
        manager
            .create_index(
                Index::create()
                    .name("library_tracks_source_path")
                    .table(LibraryTracks::Table)
                    .col(LibraryTracks::Source)
                    .col(LibraryTracks::Path)
                    .unique()
                    .to_owned(),
            )
            .await?;
        // The catalogue's order.
        manager
            .create_index(
                Index::create()
                    .name("library_tracks_order")
                    .table(LibraryTracks::Table)
                    .col(LibraryTracks::ArtistKey)
                    .col(LibraryTracks::AlbumKey)
                    .col(LibraryTracks::DiscNumber)
                    .col(LibraryTracks::TrackNumber)
                    .col(LibraryTracks::TitleKey)
                    .to_owned(),
            )
            .await?;
        let statements: &[&str] = match manager.get_database_backend() {
            DatabaseBackend::Sqlite => &[
                "CREATE VIRTUAL TABLE library_search USING fts5(search_text, content='library_tracks', content_rowid='rowid', tokenize='trigram')",
                "CREATE TRIGGER library_search_insert AFTER INSERT ON library_tracks BEGIN \
                 INSERT INTO library_search(rowid, search_text) VALUES (new.rowid, new.search_text); END",
                "CREATE TRIGGER library_search_delete AFTER DELETE ON library_tracks BEGIN \
                 INSERT INTO library_search(library_search, rowid, search_text) VALUES ('delete', old.rowid, old.search_text); END",
                "CREATE TRIGGER library_search_update AFTER UPDATE ON library_tracks BEGIN \
                 INSERT INTO library_search(library_search, rowid, search_text) VALUES ('delete', old.rowid, old.search_text); \
                 INSERT INTO library_search(rowid, search_text) VALUES (new.rowid, new.search_text); END",
            ],
            _ => &[
                "CREATE EXTENSION IF NOT EXISTS pg_trgm",
                "CREATE INDEX library_tracks_search ON library_tracks USING gin (search_text gin_trgm_ops)",
            ],
        };
        for statement in statements {
            manager
                .get_connection()
                .execute_unprepared(statement)
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() == DatabaseBackend::Sqlite {
            manager
                .get_connection()
                .execute_unprepared("DROP TABLE IF EXISTS library_search")
                .await?;
        }
        manager
            .drop_table(Table::drop().table(LibraryTracks::Table).to_owned())
            .await
    }
}
