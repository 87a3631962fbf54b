//! Uploads: a library track may belong to the person who uploaded it (`owner_id`, seen by them
//! alone) and carries the SHA-256 of its content (one file per content per person). No
//! foreign key (SQLite cannot add one to a table): an account's uploads go with it through the
//! library's own erasure, which removes their files too.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{string_len_null, uuid_null};

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum LibraryTracks {
    Table,
    OwnerId,
    ContentHash,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [
            uuid_null(LibraryTracks::OwnerId),
            string_len_null(LibraryTracks::ContentHash, 64),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(LibraryTracks::Table)
                        .add_column(column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_index(
                Index::create()
                    .name("library_tracks_uploads")
                    .table(LibraryTracks::Table)
                    .col(LibraryTracks::OwnerId)
                    .col(LibraryTracks::ContentHash)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("library_tracks_uploads")
                    .table(LibraryTracks::Table)
                    .to_owned(),
            )
            .await?;
        for column in [LibraryTracks::ContentHash, LibraryTracks::OwnerId] {
            manager
                .alter_table(
                    Table::alter()
                        .table(LibraryTracks::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
