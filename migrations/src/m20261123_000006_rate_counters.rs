//! Rate-limit counters shared by every process on one database: one row per budget and window.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{big_integer, string_len};

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum RateCounters {
    Table,
    Key,
    WindowStart,
    Hits,
    EndsAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(RateCounters::Table)
                    .col(string_len(RateCounters::Key, 128))
                    // Seconds since the Unix epoch.
                    .col(big_integer(RateCounters::WindowStart))
                    .col(big_integer(RateCounters::Hits))
                    .col(big_integer(RateCounters::EndsAt))
                    .primary_key(
                        Index::create()
                            .col(RateCounters::Key)
                            .col(RateCounters::WindowStart),
                    )
                    .to_owned(),
            )
            .await?;
        // Clearing ended windows reads by their end.
        manager
            .create_index(
                Index::create()
                    .name("rate_counters_ends_at")
                    .table(RateCounters::Table)
                    .col(RateCounters::EndsAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(RateCounters::Table).to_owned())
            .await
    }
}
