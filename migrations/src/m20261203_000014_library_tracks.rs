//! The library's catalogue: one row per track of the operator's music folder (later uploads and
//! provider tracks), with its tags, its file as last read, and folded search keys.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{
    big_integer, big_integer_null, boolean, integer_null, string_len, text, text_null,
    timestamp_with_time_zone, uuid,
};

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
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(LibraryTracks::Table).to_owned())
            .await
    }
}
