//! Each person's settings (recommendations on or off, their own sync interval and full-read
//! period), where a liked SoundCloud track can be downloaded, and the files of each person's drive
//! (downloads with the bytes they hold, so that a download resumes and counts in the quota; due
//! again at `due_at`, held by one process at a time through `holder` and `lease_until`).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{
    big_integer, big_integer_null, boolean, integer_null, string_len, string_len_null, text,
    text_null, timestamp_with_time_zone, timestamp_with_time_zone_null, uuid,
};

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum PersonSettings {
    Table,
    UserId,
    Recommendations,
    SyncEveryMinutes,
    FullEveryDays,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum LikedTracks {
    Table,
    DownloadUrl,
}

#[derive(DeriveIden)]
enum DriveFiles {
    Table,
    UserId,
    Service,
    Uri,
    Url,
    Stem,
    FileName,
    Bytes,
    Size,
    State,
    Failure,
    Holder,
    LeaseUntil,
    DueAt,
}

fn owner_key(name: &str, table: impl IntoIden, column: impl IntoIden) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(name)
        .from(table, column)
        .to(Users::Table, Users::Id)
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(PersonSettings::Table)
                    .col(uuid(PersonSettings::UserId).primary_key())
                    .col(boolean(PersonSettings::Recommendations).default(true))
                    .col(integer_null(PersonSettings::SyncEveryMinutes))
                    .col(integer_null(PersonSettings::FullEveryDays))
                    .col(timestamp_with_time_zone(PersonSettings::UpdatedAt))
                    .foreign_key(&mut owner_key(
                        "person_settings_user_fk",
                        PersonSettings::Table,
                        PersonSettings::UserId,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(LikedTracks::Table)
                    .add_column(text_null(LikedTracks::DownloadUrl))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(DriveFiles::Table)
                    .col(uuid(DriveFiles::UserId))
                    .col(string_len(DriveFiles::Service, 20))
                    .col(text(DriveFiles::Uri))
                    .col(text(DriveFiles::Url))
                    .col(text(DriveFiles::Stem))
                    .col(text(DriveFiles::FileName))
                    .col(big_integer(DriveFiles::Bytes))
                    .col(big_integer_null(DriveFiles::Size))
                    .col(string_len(DriveFiles::State, 20))
                    .col(text_null(DriveFiles::Failure))
                    .col(string_len_null(DriveFiles::Holder, 100))
                    .col(timestamp_with_time_zone_null(DriveFiles::LeaseUntil))
                    .col(timestamp_with_time_zone(DriveFiles::DueAt))
                    .primary_key(
                        Index::create()
                            .col(DriveFiles::UserId)
                            .col(DriveFiles::Service)
                            .col(DriveFiles::Uri),
                    )
                    .foreign_key(&mut owner_key(
                        "drive_files_user_fk",
                        DriveFiles::Table,
                        DriveFiles::UserId,
                    ))
                    .to_owned(),
            )
            .await?;
        // What is left to download, in order.
        manager
            .create_index(
                Index::create()
                    .name("drive_files_state")
                    .table(DriveFiles::Table)
                    .col(DriveFiles::State)
                    .col(DriveFiles::DueAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(DriveFiles::Table).to_owned())
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(LikedTracks::Table)
                    .drop_column(LikedTracks::DownloadUrl)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table(PersonSettings::Table).to_owned())
            .await
    }
}
