//! Counts of what happens per day (token refreshes by outcome, connection attempts, errors per
//! account), for the operator's reports.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{big_integer, string_len};

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum DailyCounts {
    Table,
    Day,
    Name,
    Subject,
    Count,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(DailyCounts::Table)
                    // `YYYY-MM-DD`, UTC.
                    .col(string_len(DailyCounts::Day, 10))
                    .col(string_len(DailyCounts::Name, 96))
                    // An account id, or empty for the whole server.
                    .col(string_len(DailyCounts::Subject, 64))
                    .col(big_integer(DailyCounts::Count))
                    .primary_key(
                        Index::create()
                            .col(DailyCounts::Day)
                            .col(DailyCounts::Name)
                            .col(DailyCounts::Subject),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(DailyCounts::Table).to_owned())
            .await
    }
}
