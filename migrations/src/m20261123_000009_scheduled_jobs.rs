//! Scheduled jobs: when each is next due and how its last run ended, so that every process
//! sharing the database runs each due job once.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{
    string_len, string_len_null, timestamp_with_time_zone, timestamp_with_time_zone_null,
};

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum ScheduledJobs {
    Table,
    Name,
    DueAt,
    Holder,
    StartedAt,
    FinishedAt,
    Outcome,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ScheduledJobs::Table)
                    .col(string_len(ScheduledJobs::Name, 64).primary_key())
                    .col(timestamp_with_time_zone(ScheduledJobs::DueAt))
                    .col(string_len_null(ScheduledJobs::Holder, 64))
                    .col(timestamp_with_time_zone_null(ScheduledJobs::StartedAt))
                    .col(timestamp_with_time_zone_null(ScheduledJobs::FinishedAt))
                    .col(string_len_null(ScheduledJobs::Outcome, 500))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ScheduledJobs::Table).to_owned())
            .await
    }
}
