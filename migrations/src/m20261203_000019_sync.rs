//! The liked-track sync: each person's state per service (when due, the lease, the newest like
//! seen, the run under way with its place), the runs' results, and the likes themselves (with
//! the run that last saw each, so that a full read can drop the ones it did not see).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{
    big_integer, boolean, integer, integer_null, string_len, string_len_null, text, text_null,
    timestamp_with_time_zone, timestamp_with_time_zone_null, uuid, uuid_null,
};

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum SyncStates {
    Table,
    UserId,
    Service,
    NextRunAt,
    Holder,
    LeaseUntil,
    NewestUri,
    NewestLikedAt,
    LastFullAt,
    FullRequested,
    Stopped,
    RunId,
    RunMode,
    RunStartedAt,
    RunCursor,
    RunPages,
    RunRequests,
    RunAdded,
    RunWaits,
    RunNewestUri,
    RunNewestLikedAt,
    RunWaitingUntil,
}

#[derive(DeriveIden)]
enum SyncRuns {
    Table,
    Id,
    UserId,
    Service,
    Mode,
    StartedAt,
    FinishedAt,
    Pages,
    Requests,
    Added,
    Removed,
    RateLimitWaits,
    Outcome,
    Reason,
}

#[derive(DeriveIden)]
enum LikedTracks {
    Table,
    UserId,
    Service,
    Uri,
    Title,
    Artists,
    Album,
    DurationMs,
    LikedAt,
    Link,
    FirstSeenAt,
    SeenRun,
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
                    .table(SyncStates::Table)
                    .col(uuid(SyncStates::UserId))
                    .col(string_len(SyncStates::Service, 20))
                    .col(timestamp_with_time_zone(SyncStates::NextRunAt))
                    .col(string_len_null(SyncStates::Holder, 100))
                    .col(timestamp_with_time_zone_null(SyncStates::LeaseUntil))
                    .col(text_null(SyncStates::NewestUri))
                    .col(timestamp_with_time_zone_null(SyncStates::NewestLikedAt))
                    .col(timestamp_with_time_zone_null(SyncStates::LastFullAt))
                    .col(boolean(SyncStates::FullRequested))
                    .col(text_null(SyncStates::Stopped))
                    .col(uuid_null(SyncStates::RunId))
                    .col(string_len_null(SyncStates::RunMode, 20))
                    .col(timestamp_with_time_zone_null(SyncStates::RunStartedAt))
                    .col(text_null(SyncStates::RunCursor))
                    .col(integer_null(SyncStates::RunPages))
                    .col(integer_null(SyncStates::RunRequests))
                    .col(integer_null(SyncStates::RunAdded))
                    .col(integer_null(SyncStates::RunWaits))
                    .col(text_null(SyncStates::RunNewestUri))
                    .col(timestamp_with_time_zone_null(SyncStates::RunNewestLikedAt))
                    .col(timestamp_with_time_zone_null(SyncStates::RunWaitingUntil))
                    .primary_key(
                        Index::create()
                            .col(SyncStates::UserId)
                            .col(SyncStates::Service),
                    )
                    .foreign_key(&mut owner_key(
                        "sync_states_user_fk",
                        SyncStates::Table,
                        SyncStates::UserId,
                    ))
                    .to_owned(),
            )
            .await?;
        // What is due, in order.
        manager
            .create_index(
                Index::create()
                    .name("sync_states_due")
                    .table(SyncStates::Table)
                    .col(SyncStates::NextRunAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(SyncRuns::Table)
                    .col(uuid(SyncRuns::Id).primary_key())
                    .col(uuid(SyncRuns::UserId))
                    .col(string_len(SyncRuns::Service, 20))
                    .col(string_len(SyncRuns::Mode, 20))
                    .col(timestamp_with_time_zone(SyncRuns::StartedAt))
                    .col(timestamp_with_time_zone(SyncRuns::FinishedAt))
                    .col(integer(SyncRuns::Pages))
                    .col(integer(SyncRuns::Requests))
                    .col(integer(SyncRuns::Added))
                    .col(integer(SyncRuns::Removed))
                    .col(integer(SyncRuns::RateLimitWaits))
                    .col(string_len(SyncRuns::Outcome, 20))
                    .col(text_null(SyncRuns::Reason))
                    .foreign_key(&mut owner_key(
                        "sync_runs_user_fk",
                        SyncRuns::Table,
                        SyncRuns::UserId,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("sync_runs_of")
                    .table(SyncRuns::Table)
                    .col(SyncRuns::UserId)
                    .col(SyncRuns::Service)
                    .col(SyncRuns::FinishedAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(LikedTracks::Table)
                    .col(uuid(LikedTracks::UserId))
                    .col(string_len(LikedTracks::Service, 20))
                    .col(text(LikedTracks::Uri))
                    .col(text(LikedTracks::Title))
                    .col(text(LikedTracks::Artists))
                    .col(text_null(LikedTracks::Album))
                    .col(big_integer(LikedTracks::DurationMs))
                    .col(timestamp_with_time_zone_null(LikedTracks::LikedAt))
                    .col(text_null(LikedTracks::Link))
                    .col(timestamp_with_time_zone(LikedTracks::FirstSeenAt))
                    .col(uuid(LikedTracks::SeenRun))
                    .primary_key(
                        Index::create()
                            .col(LikedTracks::UserId)
                            .col(LikedTracks::Service)
                            .col(LikedTracks::Uri),
                    )
                    .foreign_key(&mut owner_key(
                        "liked_tracks_user_fk",
                        LikedTracks::Table,
                        LikedTracks::UserId,
                    ))
                    .to_owned(),
            )
            .await?;
        // Who else likes a track (recommendations).
        manager
            .create_index(
                Index::create()
                    .name("liked_tracks_uri")
                    .table(LikedTracks::Table)
                    .col(LikedTracks::Uri)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            LikedTracks::Table.into_iden(),
            SyncRuns::Table.into_iden(),
            SyncStates::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
