//! Votes for a crowd: each room track keeps its like and dislike counters (updated with every
//! vote, in the vote's transaction) instead of counting its votes at every read; and the player
//! lease becomes a room's player row, holding what its loop remembers (the queued track, a
//! pending skip, the back-off) where every process sees it, and when it should look next.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{
    big_integer_null, boolean, integer, string_len_null, timestamp_with_time_zone_null, uuid,
};

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum Rooms {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum RoomTracks {
    Table,
    Likes,
    Dislikes,
}

#[derive(DeriveIden)]
enum RoomLeases {
    Table,
}

#[derive(DeriveIden)]
enum RoomPlayers {
    Table,
    RoomId,
    Holder,
    LeaseExpiresAt,
    NextLookAt,
    Woken,
    QueuedNext,
    Skipping,
    BackoffUntil,
    LastFailure,
    LastFailureRetryMs,
    LastFailureAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite adds one column per statement.
        for column in [RoomTracks::Likes, RoomTracks::Dislikes] {
            manager
                .alter_table(
                    Table::alter()
                        .table(RoomTracks::Table)
                        .add_column(integer(column).default(0))
                        .to_owned(),
                )
                .await?;
        }
        manager
            .get_connection()
            .execute_unprepared(
                "UPDATE room_tracks SET \
                 likes = (SELECT COUNT(*) FROM room_votes v WHERE v.room_id = room_tracks.room_id \
                          AND v.track_uri = room_tracks.track_uri AND v.is_like), \
                 dislikes = (SELECT COUNT(*) FROM room_votes v WHERE v.room_id = room_tracks.room_id \
                             AND v.track_uri = room_tracks.track_uri AND NOT v.is_like)",
            )
            .await?;

        manager
            .drop_table(Table::drop().table(RoomLeases::Table).to_owned())
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(RoomPlayers::Table)
                    .col(uuid(RoomPlayers::RoomId).primary_key())
                    .col(string_len_null(RoomPlayers::Holder, 64))
                    .col(timestamp_with_time_zone_null(RoomPlayers::LeaseExpiresAt))
                    .col(timestamp_with_time_zone_null(RoomPlayers::NextLookAt))
                    .col(boolean(RoomPlayers::Woken).default(false))
                    .col(string_len_null(RoomPlayers::QueuedNext, 64))
                    .col(string_len_null(RoomPlayers::Skipping, 64))
                    .col(timestamp_with_time_zone_null(RoomPlayers::BackoffUntil))
                    .col(string_len_null(RoomPlayers::LastFailure, 32))
                    .col(big_integer_null(RoomPlayers::LastFailureRetryMs))
                    .col(timestamp_with_time_zone_null(RoomPlayers::LastFailureAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("room_players_room_fk")
                            .from(RoomPlayers::Table, RoomPlayers::RoomId)
                            .to(Rooms::Table, Rooms::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("room_players_next_look")
                    .table(RoomPlayers::Table)
                    .col(RoomPlayers::NextLookAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(RoomPlayers::Table).to_owned())
            .await?;
        for column in [RoomTracks::Likes, RoomTracks::Dislikes] {
            manager
                .alter_table(
                    Table::alter()
                        .table(RoomTracks::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
