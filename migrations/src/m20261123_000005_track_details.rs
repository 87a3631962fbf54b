//! What people see of a track (title, artists, album, artwork, length), stored once per track
//! and shown by every room and page.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{
    big_integer, string_len, text, text_null, timestamp_with_time_zone,
};

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum TrackDetails {
    Table,
    TrackUri,
    Title,
    Artists,
    Album,
    ArtworkUrl,
    DurationMs,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(TrackDetails::Table)
                    .col(string_len(TrackDetails::TrackUri, 64).primary_key())
                    .col(text(TrackDetails::Title))
                    // A JSON array of names: read and written whole, never queried inside.
                    .col(text(TrackDetails::Artists))
                    .col(text_null(TrackDetails::Album))
                    .col(text_null(TrackDetails::ArtworkUrl))
                    .col(big_integer(TrackDetails::DurationMs))
                    .col(timestamp_with_time_zone(TrackDetails::UpdatedAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(TrackDetails::Table).to_owned())
            .await
    }
}
