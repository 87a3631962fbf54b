//! Browsing and favourites: each track's main artist (the album's artist, else its first artist)
//! kept beside it so that artists and albums are a `GROUP BY` on an index; people's stars on
//! tracks, albums and artists; plays and what each person is playing now (the Subsonic
//! `scrobble`); and a lookup hash of each app password, so that a music app's `apiKey` finds its
//! account without opening every sealed secret.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{
    string_len, string_len_null, timestamp_with_time_zone, uuid, uuid_null,
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
    MainArtist,
    AlbumKey,
    Size,
}

#[derive(DeriveIden)]
enum LibraryStars {
    Table,
    UserId,
    Item,
    TrackId,
    StarredAt,
}

#[derive(DeriveIden)]
enum LibraryPlays {
    Table,
    Id,
    UserId,
    TrackId,
    PlayedAt,
}

#[derive(DeriveIden)]
enum NowPlaying {
    Table,
    UserId,
    TrackId,
    Client,
    StartedAt,
}

#[derive(DeriveIden)]
enum AppPasswords {
    Table,
    SecretLookup,
}

fn user_fk(
    table: impl IntoIden + 'static,
    column: impl IntoIden + 'static,
    name: &str,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(name)
        .from(table, column)
        .to(Users::Table, Users::Id)
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

fn track_fk(
    table: impl IntoIden + 'static,
    column: impl IntoIden + 'static,
    name: &str,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(name)
        .from(table, column)
        .to(LibraryTracks::Table, LibraryTracks::Id)
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(LibraryTracks::Table)
                    .add_column(string_len(LibraryTracks::MainArtist, 2000).default(""))
                    .to_owned(),
            )
            .await?;
        // The scan fills the new column: every file is read again once.
        manager
            .exec_stmt(
                Query::update()
                    .table(LibraryTracks::Table)
                    .value(LibraryTracks::Size, -1)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("library_tracks_albums")
                    .table(LibraryTracks::Table)
                    .col(LibraryTracks::MainArtist)
                    .col(LibraryTracks::AlbumKey)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(LibraryStars::Table)
                    .col(uuid(LibraryStars::UserId))
                    .col(string_len(LibraryStars::Item, 4200))
                    .col(uuid_null(LibraryStars::TrackId))
                    .col(timestamp_with_time_zone(LibraryStars::StarredAt))
                    .primary_key(
                        Index::create()
                            .col(LibraryStars::UserId)
                            .col(LibraryStars::Item),
                    )
                    .foreign_key(&mut user_fk(
                        LibraryStars::Table,
                        LibraryStars::UserId,
                        "library_stars_user_fk",
                    ))
                    // A track that leaves the library leaves the favourites too.
                    .foreign_key(&mut track_fk(
                        LibraryStars::Table,
                        LibraryStars::TrackId,
                        "library_stars_track_fk",
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(LibraryPlays::Table)
                    .col(uuid(LibraryPlays::Id).primary_key())
                    .col(uuid(LibraryPlays::UserId))
                    .col(uuid(LibraryPlays::TrackId))
                    .col(timestamp_with_time_zone(LibraryPlays::PlayedAt))
                    .foreign_key(&mut user_fk(
                        LibraryPlays::Table,
                        LibraryPlays::UserId,
                        "library_plays_user_fk",
                    ))
                    .foreign_key(&mut track_fk(
                        LibraryPlays::Table,
                        LibraryPlays::TrackId,
                        "library_plays_track_fk",
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("library_plays_user")
                    .table(LibraryPlays::Table)
                    .col(LibraryPlays::UserId)
                    .col(LibraryPlays::PlayedAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(NowPlaying::Table)
                    .col(uuid(NowPlaying::UserId).primary_key())
                    .col(uuid(NowPlaying::TrackId))
                    .col(string_len(NowPlaying::Client, 200))
                    .col(timestamp_with_time_zone(NowPlaying::StartedAt))
                    .foreign_key(&mut user_fk(
                        NowPlaying::Table,
                        NowPlaying::UserId,
                        "now_playing_user_fk",
                    ))
                    .foreign_key(&mut track_fk(
                        NowPlaying::Table,
                        NowPlaying::TrackId,
                        "now_playing_track_fk",
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(AppPasswords::Table)
                    .add_column(string_len_null(AppPasswords::SecretLookup, 64))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("app_passwords_lookup")
                    .table(AppPasswords::Table)
                    .col(AppPasswords::SecretLookup)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            NowPlaying::Table.into_iden(),
            LibraryPlays::Table.into_iden(),
            LibraryStars::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        manager
            .drop_index(
                Index::drop()
                    .name("app_passwords_lookup")
                    .table(AppPasswords::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_index(
                Index::drop()
                    .name("library_tracks_albums")
                    .table(LibraryTracks::Table)
                    .to_owned(),
            )
            .await?;
        for (table, column) in [
            (
                AppPasswords::Table.into_iden(),
                AppPasswords::SecretLookup.into_iden(),
            ),
            (
                LibraryTracks::Table.into_iden(),
                LibraryTracks::MainArtist.into_iden(),
            ),
        ] {
            manager
                .alter_table(Table::alter().table(table).drop_column(column).to_owned())
                .await?;
        }
        Ok(())
    }
}
