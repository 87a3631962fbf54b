//! Playlists: a person's ordered lists of library and provider tracks.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{
    integer, string_len, text_null, timestamp_with_time_zone, uuid, uuid_null,
};

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum LibraryTracks {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Playlists {
    Table,
    Id,
    OwnerId,
    Name,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum PlaylistEntries {
    Table,
    Id,
    PlaylistId,
    Position,
    TrackId,
    ProviderUri,
    AddedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Playlists::Table)
                    .col(uuid(Playlists::Id).primary_key())
                    .col(uuid(Playlists::OwnerId))
                    .col(string_len(Playlists::Name, 400))
                    .col(timestamp_with_time_zone(Playlists::CreatedAt))
                    .col(timestamp_with_time_zone(Playlists::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("playlists_owner_fk")
                            .from(Playlists::Table, Playlists::OwnerId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("playlists_owner")
                    .table(Playlists::Table)
                    .col(Playlists::OwnerId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(PlaylistEntries::Table)
                    .col(uuid(PlaylistEntries::Id).primary_key())
                    .col(uuid(PlaylistEntries::PlaylistId))
                    .col(integer(PlaylistEntries::Position))
                    .col(uuid_null(PlaylistEntries::TrackId))
                    .col(text_null(PlaylistEntries::ProviderUri))
                    .col(timestamp_with_time_zone(PlaylistEntries::AddedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("playlist_entries_playlist_fk")
                            .from(PlaylistEntries::Table, PlaylistEntries::PlaylistId)
                            .to(Playlists::Table, Playlists::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    // A track whose file left the folder leaves the playlists too.
                    .foreign_key(
                        ForeignKey::create()
                            .name("playlist_entries_track_fk")
                            .from(PlaylistEntries::Table, PlaylistEntries::TrackId)
                            .to(LibraryTracks::Table, LibraryTracks::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("playlist_entries_order")
                    .table(PlaylistEntries::Table)
                    .col(PlaylistEntries::PlaylistId)
                    .col(PlaylistEntries::Position)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            PlaylistEntries::Table.into_iden(),
            Playlists::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
