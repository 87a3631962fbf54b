//! Tiers that mean something: each account's overrides of its tier's limits and the record of
//! every change of tier or overrides; the operator flag; a room's cap on guests.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{
    boolean, integer_null, string_len, string_len_null, timestamp_with_time_zone, uuid, uuid_null,
};

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    Operator,
    LimitOverrides,
}

#[derive(DeriveIden)]
enum Rooms {
    Table,
    MaxGuests,
}

#[derive(DeriveIden)]
enum TierChanges {
    Table,
    Id,
    UserId,
    FromTier,
    ToTier,
    Overrides,
    ByKind,
    ByUserId,
    Reason,
    At,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite adds one column per statement.
        manager
            .alter_table(
                Table::alter()
                    .table(Users::Table)
                    .add_column(boolean(Users::Operator).default(false))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Users::Table)
                    // The overrides in their text form (`open_rooms=20, ...`); null: none.
                    .add_column(string_len_null(Users::LimitOverrides, 512))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Rooms::Table)
                    .add_column(integer_null(Rooms::MaxGuests))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(TierChanges::Table)
                    .col(uuid(TierChanges::Id).primary_key())
                    .col(uuid(TierChanges::UserId))
                    .col(string_len(TierChanges::FromTier, 16))
                    .col(string_len(TierChanges::ToTier, 16))
                    .col(string_len(TierChanges::Overrides, 512))
                    .col(string_len(TierChanges::ByKind, 16))
                    // Not a foreign key: the record outlives an operator's account.
                    .col(uuid_null(TierChanges::ByUserId))
                    .col(string_len_null(TierChanges::Reason, 500))
                    .col(timestamp_with_time_zone(TierChanges::At))
                    .foreign_key(
                        ForeignKey::create()
                            .name("tier_changes_user_fk")
                            .from(TierChanges::Table, TierChanges::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("tier_changes_user_at")
                    .table(TierChanges::Table)
                    .col(TierChanges::UserId)
                    .col(TierChanges::At)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(TierChanges::Table).to_owned())
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Rooms::Table)
                    .drop_column(Rooms::MaxGuests)
                    .to_owned(),
            )
            .await?;
        for column in [Users::LimitOverrides, Users::Operator] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Users::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
