//! What the rooms hold of one account, for its export and erasure (GD-1).

use anyhow::Context as _;
use async_trait::async_trait;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait as _, ConnectionTrait as _, DatabaseBackend, EntityTrait as _, QueryFilter as _,
    Statement, TransactionTrait as _,
};
use soiree_kernel::{Timestamp, UserId};
use soiree_rooms::{
    CastVote, Nickname, Participant, ParticipantId, PersonalRoomData, Room, RoomCode,
    RoomRepository as _,
};

use super::SqlRoomStore;
use crate::entity::room_participants;

#[async_trait]
impl PersonalRoomData for SqlRoomStore {
    async fn rooms_of(&self, user: UserId) -> anyhow::Result<Vec<(Room, Participant)>> {
        self.rooms_of_user(user, u32::MAX).await
    }

    async fn votes_of(&self, user: UserId) -> anyhow::Result<Vec<CastVote>> {
        let backend = self.connection.get_database_backend();
        let placeholder = match backend {
            DatabaseBackend::Sqlite => "?",
            _ => "$1",
        };
        let rows = self
            .connection
            .query_all_raw(Statement::from_sql_and_values(
                backend,
                format!(
                    "SELECT r.code, v.track_uri, v.is_like, v.cast_at FROM room_votes v \
                     JOIN room_participants p ON p.id = v.participant_id \
                     JOIN rooms r ON r.id = v.room_id \
                     WHERE p.user_id = {placeholder} ORDER BY v.cast_at"
                ),
                [user.as_uuid().into()],
            ))
            .await
            .context("listing an account's votes")?;
        rows.into_iter()
            .map(|row| {
                let code: String = row.try_get("", "code").context("a vote's room")?;
                Ok(CastVote {
                    room: RoomCode::parse(&code).context("a stored room code")?,
                    track_uri: row.try_get("", "track_uri").context("a vote's track")?,
                    like: row.try_get("", "is_like").context("a vote's direction")?,
                    cast_at: row
                        .try_get::<Timestamp>("", "cast_at")
                        .context("a vote's time")?,
                })
            })
            .collect()
    }

    async fn anonymise(&self, user: UserId) -> anyhow::Result<u64> {
        let transaction = self
            .connection
            .begin()
            .await
            .context("starting to anonymise participations")?;
        let participations = room_participants::Entity::find()
            .filter(room_participants::Column::UserId.eq(user.as_uuid()))
            .all(&transaction)
            .await
            .context("listing an account's participations")?;
        for row in &participations {
            let name = Nickname::erased(ParticipantId::from_uuid(row.id));
            room_participants::Entity::update_many()
                .col_expr(
                    room_participants::Column::UserId,
                    Expr::value(None::<uuid::Uuid>),
                )
                .col_expr(
                    room_participants::Column::NameKey,
                    Expr::value(Nickname::key_of(name.as_str())),
                )
                .col_expr(
                    room_participants::Column::DisplayName,
                    Expr::value(name.as_str().to_owned()),
                )
                .filter(room_participants::Column::Id.eq(row.id))
                .exec(&transaction)
                .await
                .context("anonymising a participation")?;
            super::events::rename_in_events(&transaction, row.room_id, row.id, name.as_str())
                .await?;
        }
        transaction
            .commit()
            .await
            .context("anonymising participations")?;
        Ok(participations.len() as u64)
    }
}
