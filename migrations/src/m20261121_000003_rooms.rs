//! Party rooms: rooms, participants, the room's tracks, votes, skip votes, the event log and the
//! leases that give each room's player loop to one process.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{
    big_integer, big_integer_null, boolean, integer, pk_uuid, string_len, string_len_null, text,
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
enum Rooms {
    Table,
    Id,
    Code,
    Name,
    HostUserId,
    ThresholdKind,
    ThresholdValue,
    GuestsAllowed,
    GuestVotesPer2min,
    LastSeq,
    ClosedAt,
    CreatedAt,
}

#[derive(DeriveIden)]
enum RoomParticipants {
    Table,
    Id,
    RoomId,
    UserId,
    GuestTokenHash,
    DisplayName,
    JoinedAt,
    LeftAt,
    Kicked,
    LastSeenAt,
}

#[derive(DeriveIden)]
enum RoomTracks {
    Table,
    RoomId,
    TrackUri,
    State,
    AddedBy,
    CreatedAt,
    ReadyAt,
    ReadyOrder,
}

#[derive(DeriveIden)]
enum RoomVotes {
    Table,
    RoomId,
    ParticipantId,
    TrackUri,
    IsLike,
    CastAt,
}

#[derive(DeriveIden)]
enum RoomSkipVotes {
    Table,
    RoomId,
    ParticipantId,
    TrackUri,
}

#[derive(DeriveIden)]
enum RoomEvents {
    Table,
    RoomId,
    Seq,
    Kind,
    Payload,
    At,
}

#[derive(DeriveIden)]
enum RoomLeases {
    Table,
    RoomId,
    Holder,
    ExpiresAt,
}

fn room_fk(
    table: impl IntoIden + 'static,
    column: impl IntoIden + 'static,
    name: &str,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(name)
        .from(table, column)
        .to(Rooms::Table, Rooms::Id)
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Rooms::Table)
                    .col(pk_uuid(Rooms::Id))
                    .col(string_len(Rooms::Code, 6))
                    .col(string_len_null(Rooms::Name, 80))
                    .col(uuid(Rooms::HostUserId))
                    .col(string_len(Rooms::ThresholdKind, 8))
                    .col(integer(Rooms::ThresholdValue))
                    .col(boolean(Rooms::GuestsAllowed))
                    .col(integer(Rooms::GuestVotesPer2min))
                    .col(big_integer(Rooms::LastSeq).default(0))
                    .col(timestamp_with_time_zone_null(Rooms::ClosedAt))
                    .col(timestamp_with_time_zone(Rooms::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("rooms_host_fk")
                            .from(Rooms::Table, Rooms::HostUserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("rooms_code_unique")
                    .table(Rooms::Table)
                    .col(Rooms::Code)
                    .unique()
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(RoomParticipants::Table)
                    .col(pk_uuid(RoomParticipants::Id))
                    .col(uuid(RoomParticipants::RoomId))
                    .col(uuid_null(RoomParticipants::UserId))
                    .col(string_len_null(RoomParticipants::GuestTokenHash, 64))
                    .col(string_len(RoomParticipants::DisplayName, 160))
                    .col(timestamp_with_time_zone(RoomParticipants::JoinedAt))
                    .col(timestamp_with_time_zone_null(RoomParticipants::LeftAt))
                    .col(boolean(RoomParticipants::Kicked).default(false))
                    .col(timestamp_with_time_zone(RoomParticipants::LastSeenAt))
                    .foreign_key(&mut room_fk(
                        RoomParticipants::Table,
                        RoomParticipants::RoomId,
                        "room_participants_room_fk",
                    ))
                    .foreign_key(
                        ForeignKey::create()
                            .name("room_participants_user_fk")
                            .from(RoomParticipants::Table, RoomParticipants::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // One participation per account and room (several NULL user ids for guests are allowed).
        manager
            .create_index(
                Index::create()
                    .name("room_participants_user_unique")
                    .table(RoomParticipants::Table)
                    .col(RoomParticipants::RoomId)
                    .col(RoomParticipants::UserId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("room_participants_guest_token_unique")
                    .table(RoomParticipants::Table)
                    .col(RoomParticipants::GuestTokenHash)
                    .unique()
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(RoomTracks::Table)
                    .col(uuid(RoomTracks::RoomId))
                    .col(string_len(RoomTracks::TrackUri, 64))
                    .col(string_len(RoomTracks::State, 16))
                    .col(uuid_null(RoomTracks::AddedBy))
                    .col(timestamp_with_time_zone(RoomTracks::CreatedAt))
                    .col(timestamp_with_time_zone_null(RoomTracks::ReadyAt))
                    .col(big_integer_null(RoomTracks::ReadyOrder))
                    .primary_key(
                        Index::create()
                            .col(RoomTracks::RoomId)
                            .col(RoomTracks::TrackUri),
                    )
                    .foreign_key(&mut room_fk(
                        RoomTracks::Table,
                        RoomTracks::RoomId,
                        "room_tracks_room_fk",
                    ))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(RoomVotes::Table)
                    .col(uuid(RoomVotes::RoomId))
                    .col(uuid(RoomVotes::ParticipantId))
                    .col(string_len(RoomVotes::TrackUri, 64))
                    .col(boolean(RoomVotes::IsLike))
                    .col(timestamp_with_time_zone(RoomVotes::CastAt))
                    .primary_key(
                        Index::create()
                            .col(RoomVotes::RoomId)
                            .col(RoomVotes::ParticipantId)
                            .col(RoomVotes::TrackUri),
                    )
                    .foreign_key(&mut room_fk(
                        RoomVotes::Table,
                        RoomVotes::RoomId,
                        "room_votes_room_fk",
                    ))
                    .foreign_key(
                        ForeignKey::create()
                            .name("room_votes_participant_fk")
                            .from(RoomVotes::Table, RoomVotes::ParticipantId)
                            .to(RoomParticipants::Table, RoomParticipants::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("room_votes_track")
                    .table(RoomVotes::Table)
                    .col(RoomVotes::RoomId)
                    .col(RoomVotes::TrackUri)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(RoomSkipVotes::Table)
                    .col(uuid(RoomSkipVotes::RoomId))
                    .col(uuid(RoomSkipVotes::ParticipantId))
                    .col(string_len(RoomSkipVotes::TrackUri, 64))
                    .primary_key(
                        Index::create()
                            .col(RoomSkipVotes::RoomId)
                            .col(RoomSkipVotes::ParticipantId)
                            .col(RoomSkipVotes::TrackUri),
                    )
                    .foreign_key(&mut room_fk(
                        RoomSkipVotes::Table,
                        RoomSkipVotes::RoomId,
                        "room_skip_votes_room_fk",
                    ))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(RoomEvents::Table)
                    .col(uuid(RoomEvents::RoomId))
                    .col(big_integer(RoomEvents::Seq))
                    .col(string_len(RoomEvents::Kind, 32))
                    .col(text(RoomEvents::Payload))
                    .col(timestamp_with_time_zone(RoomEvents::At))
                    .primary_key(Index::create().col(RoomEvents::RoomId).col(RoomEvents::Seq))
                    .foreign_key(&mut room_fk(
                        RoomEvents::Table,
                        RoomEvents::RoomId,
                        "room_events_room_fk",
                    ))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(RoomLeases::Table)
                    .col(uuid(RoomLeases::RoomId).primary_key())
                    .col(string_len(RoomLeases::Holder, 64))
                    .col(timestamp_with_time_zone(RoomLeases::ExpiresAt))
                    .foreign_key(&mut room_fk(
                        RoomLeases::Table,
                        RoomLeases::RoomId,
                        "room_leases_room_fk",
                    ))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            RoomLeases::Table.into_iden(),
            RoomEvents::Table.into_iden(),
            RoomSkipVotes::Table.into_iden(),
            RoomVotes::Table.into_iden(),
            RoomTracks::Table.into_iden(),
            RoomParticipants::Table.into_iden(),
            Rooms::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
