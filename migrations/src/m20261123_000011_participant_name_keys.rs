//! Each participant's name key (`Nickname::key_of`: the name in lower case), indexed with the
//! room, so that a join looks up only the names its nickname could take instead of reading the
//! room. Participants still in a room get theirs here (SQL's `LOWER`, which on SQLite lowers
//! ASCII letters only; new participants get Rust's full lower case).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::string_len_null;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum RoomParticipants {
    Table,
    RoomId,
    NameKey,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(RoomParticipants::Table)
                    .add_column(string_len_null(RoomParticipants::NameKey, 64))
                    .to_owned(),
            )
            .await?;
        manager
            .get_connection()
            .execute_unprepared(
                "UPDATE room_participants SET name_key = LOWER(display_name) WHERE left_at IS NULL",
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("room_participants_name_key")
                    .table(RoomParticipants::Table)
                    .col(RoomParticipants::RoomId)
                    .col(RoomParticipants::NameKey)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("room_participants_name_key")
                    .table(RoomParticipants::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(RoomParticipants::Table)
                    .drop_column(RoomParticipants::NameKey)
                    .to_owned(),
            )
            .await
    }
}
