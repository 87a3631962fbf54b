//! Where each guest joined from (an opaque digest of the client address), so that guests made by
//! one phone or one script share one guest's vote budget.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::string_len_null;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum RoomParticipants {
    Table,
    GuestSource,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(RoomParticipants::Table)
                    .add_column(string_len_null(RoomParticipants::GuestSource, 64))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(RoomParticipants::Table)
                    .drop_column(RoomParticipants::GuestSource)
                    .to_owned(),
            )
            .await
    }
}
