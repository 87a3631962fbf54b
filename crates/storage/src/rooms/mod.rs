//! The rooms and voting ports over SeaORM: room lifecycle and participants (here), the event log
//! ([`events`]), ballots written in groups ([`ballots`]), and the player loop's leases and memory
//! ([`players`]).

mod ballots;
mod events;
mod personal;
mod players;
mod rows;

use std::collections::HashSet;
use std::sync::Arc;

use anyhow::Context as _;
use async_trait::async_trait;
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveValue::Set, ColumnTrait as _, DatabaseConnection, EntityTrait as _, PaginatorTrait as _,
    QueryFilter as _, QueryOrder as _, QuerySelect as _, SqlErr, TransactionTrait as _,
};
use soiree_kernel::{Timestamp, UserId};
use soiree_rooms::{
    AdmitError, Capacity, Identity, InsertRoomError, Nickname, Participant, ParticipantId, Room,
    RoomCode, RoomEvent, RoomEventKind, RoomId, RoomRepository,
};

use self::ballots::BallotWriter;
use self::rows::{
    guest_cap_column, guest_rate_column, participant_from_row, room_from_row, threshold_columns,
};
use crate::changes::Announcer;
use crate::entity::{room_participants, rooms, users};

pub(crate) use self::ballots::sqlite_file;
pub(crate) use self::events::append_in;

/// How many of a nickname's candidates ("Ada", "Ada 2", ...) one look-up asks about.
const NAME_BATCH: usize = 32;

/// Rooms, participants, votes, the event log and player leases in the database.
#[derive(Debug, Clone)]
pub struct SqlRoomStore {
    connection: DatabaseConnection,
    announcer: Announcer,
    ballots: Arc<BallotWriter>,
}

impl SqlRoomStore {
    pub(crate) fn new(
        connection: DatabaseConnection,
        writer: DatabaseConnection,
        announcer: Announcer,
        sqlite_file: Option<std::path::PathBuf>,
    ) -> Self {
        let ballots = Arc::new(BallotWriter::new(writer, announcer.clone(), sqlite_file));
        Self {
            connection,
            announcer,
            ballots,
        }
    }

    async fn insert_participant_in(
        &self,
        db: &impl sea_orm::ConnectionTrait,
        participant: &Participant,
        guest_token_hash: Option<&str>,
    ) -> anyhow::Result<()> {
        let row = room_participants::ActiveModel {
            id: Set(participant.id.as_uuid()),
            room_id: Set(participant.room_id.as_uuid()),
            user_id: Set(match participant.identity {
                Identity::User(user) => Some(user.as_uuid()),
                Identity::Guest => None,
            }),
            guest_token_hash: Set(guest_token_hash.map(str::to_owned)),
            display_name: Set(participant.display_name.as_str().to_owned()),
            joined_at: Set(participant.joined_at),
            left_at: Set(participant.left_at),
            kicked: Set(participant.kicked),
            last_seen_at: Set(participant.last_seen_at),
            guest_source: Set(participant
                .source
                .as_ref()
                .map(|source| source.as_str().to_owned())),
            name_key: Set(Some(Nickname::key_of(participant.display_name.as_str()))),
        };
        room_participants::Entity::insert(row)
            .on_conflict(
                OnConflict::column(room_participants::Column::Id)
                    .update_columns([
                        room_participants::Column::LeftAt,
                        room_participants::Column::Kicked,
                        room_participants::Column::LastSeenAt,
                        room_participants::Column::DisplayName,
                        room_participants::Column::NameKey,
                    ])
                    .to_owned(),
            )
            .exec_without_returning(db)
            .await
            .context("storing a participant")?;
        Ok(())
    }

    /// Runs `change` and appends `event` in one transaction.
    async fn with_event<F>(
        &self,
        room: RoomId,
        event: RoomEventKind,
        at: Timestamp,
        change: F,
    ) -> anyhow::Result<RoomEvent>
    where
        F: for<'a> FnOnce(
                &'a sea_orm::DatabaseTransaction,
            ) -> std::pin::Pin<
                Box<dyn Future<Output = anyhow::Result<()>> + Send + 'a>,
            > + Send,
    {
        let transaction = self
            .connection
            .begin()
            .await
            .context("starting a transaction")?;
        // Numbering first: its write takes the room's lock before anything else is read.
        let mut events = append_in(&transaction, &self.announcer, room, at, vec![event]).await?;
        change(&transaction).await?;
        transaction.commit().await.context("committing a change")?;
        events.pop().context("an appended event")
    }
}

#[async_trait]
impl RoomRepository for SqlRoomStore {
    async fn insert_room(
        &self,
        room: &Room,
        host: &Participant,
        open_rooms: Option<u32>,
    ) -> Result<(), InsertRoomError> {
        let (kind, value) = threshold_columns(room.like_threshold);
        let row = rooms::ActiveModel {
            id: Set(room.id.as_uuid()),
            code: Set(room.code.as_str().to_owned()),
            name: Set(room.name.as_ref().map(|name| name.as_str().to_owned())),
            host_user_id: Set(room.host.as_uuid()),
            threshold_kind: Set(kind.to_owned()),
            threshold_value: Set(value),
            guests_allowed: Set(room.options.guests_allowed),
            guest_votes_per2min: Set(guest_rate_column(room)),
            max_guests: Set(guest_cap_column(room)),
            last_seq: Set(0),
            closed_at: Set(room.closed_at),
            created_at: Set(room.created_at),
        };
        let transaction = self
            .connection
            .begin()
            .await
            .context("starting a transaction")?;
        // SQLite serialises writers (and a read first would only risk a stale snapshot); on
        // PostgreSQL one host's rooms are created one at a time, so that the count below holds.
        if open_rooms.is_some()
            && self.connection.get_database_backend() == sea_orm::DbBackend::Postgres
        {
            users::Entity::find_by_id(room.host.as_uuid())
                .select_only()
                .column(users::Column::Id)
                .lock_exclusive()
                .into_tuple::<uuid::Uuid>()
                .one(&transaction)
                .await
                .context("locking the host's account")?;
        }
        // On SQLite this write takes the database's write lock before anything is counted.
        if let Err(error) = rooms::Entity::insert(row)
            .exec_without_returning(&transaction)
            .await
        {
            return match error.sql_err() {
                Some(SqlErr::UniqueConstraintViolation(_)) => Err(InsertRoomError::CodeTaken),
                _ => Err(anyhow::Error::new(error).context("inserting a room").into()),
            };
        }
        if let Some(most) = open_rooms {
            let open = rooms::Entity::find()
                .filter(rooms::Column::HostUserId.eq(room.host.as_uuid()))
                .filter(rooms::Column::ClosedAt.is_null())
                .count(&transaction)
                .await
                .context("counting the host's open rooms")?;
            if open > u64::from(most) {
                // Dropping the transaction rolls the room back.
                return Err(InsertRoomError::TooManyOpen);
            }
        }
        self.insert_participant_in(&transaction, host, None).await?;
        transaction
            .commit()
            .await
            .context("committing a new room")?;
        Ok(())
    }

    async fn room_by_code(&self, code: &RoomCode) -> anyhow::Result<Option<Room>> {
        let row = rooms::Entity::find()
            .filter(rooms::Column::Code.eq(code.as_str()))
            .one(&self.connection)
            .await
            .context("loading a room by code")?;
        row.map(room_from_row).transpose()
    }

    async fn room(&self, id: RoomId) -> anyhow::Result<Option<Room>> {
        let row = rooms::Entity::find_by_id(id.as_uuid())
            .one(&self.connection)
            .await
            .context("loading a room")?;
        row.map(room_from_row).transpose()
    }

    async fn save_room(
        &self,
        room: &Room,
        event: RoomEventKind,
        at: Timestamp,
    ) -> anyhow::Result<RoomEvent> {
        let (kind, value) = threshold_columns(room.like_threshold);
        let update = rooms::Entity::update_many()
            .col_expr(
                rooms::Column::Name,
                Expr::value(room.name.as_ref().map(|name| name.as_str().to_owned())),
            )
            .col_expr(rooms::Column::ThresholdKind, Expr::value(kind))
            .col_expr(rooms::Column::ThresholdValue, Expr::value(value))
            .col_expr(
                rooms::Column::GuestsAllowed,
                Expr::value(room.options.guests_allowed),
            )
            .col_expr(
                rooms::Column::GuestVotesPer2min,
                Expr::value(guest_rate_column(room)),
            )
            .col_expr(
                rooms::Column::MaxGuests,
                Expr::value(guest_cap_column(room)),
            )
            .col_expr(rooms::Column::ClosedAt, Expr::value(room.closed_at))
            .filter(rooms::Column::Id.eq(room.id.as_uuid()));
        self.with_event(room.id, event, at, move |transaction| {
            Box::pin(async move {
                update.exec(transaction).await.context("updating a room")?;
                Ok(())
            })
        })
        .await
    }

    async fn participants(&self, room: RoomId) -> anyhow::Result<Vec<Participant>> {
        let rows = room_participants::Entity::find()
            .filter(room_participants::Column::RoomId.eq(room.as_uuid()))
            .order_by_asc(room_participants::Column::JoinedAt)
            .order_by_asc(room_participants::Column::Id)
            .all(&self.connection)
            .await
            .context("listing participants")?;
        rows.into_iter().map(participant_from_row).collect()
    }

    async fn participant(
        &self,
        room: RoomId,
        id: ParticipantId,
    ) -> anyhow::Result<Option<Participant>> {
        let row = room_participants::Entity::find_by_id(id.as_uuid())
            .filter(room_participants::Column::RoomId.eq(room.as_uuid()))
            .one(&self.connection)
            .await
            .context("loading a participant")?;
        row.map(participant_from_row).transpose()
    }

    async fn participant_for_user(
        &self,
        room: RoomId,
        user: UserId,
    ) -> anyhow::Result<Option<Participant>> {
        let row = room_participants::Entity::find()
            .filter(room_participants::Column::RoomId.eq(room.as_uuid()))
            .filter(room_participants::Column::UserId.eq(user.as_uuid()))
            .one(&self.connection)
            .await
            .context("loading an account's participation")?;
        row.map(participant_from_row).transpose()
    }

    async fn rooms_of_user(
        &self,
        user: UserId,
        limit: u32,
    ) -> anyhow::Result<Vec<(Room, Participant)>> {
        let participations = room_participants::Entity::find()
            .filter(room_participants::Column::UserId.eq(user.as_uuid()))
            .order_by_desc(room_participants::Column::LastSeenAt)
            .limit(u64::from(limit))
            .all(&self.connection)
            .await
            .context("listing an account's rooms")?;
        let rooms = rooms::Entity::find()
            .filter(rooms::Column::Id.is_in(participations.iter().map(|row| row.room_id)))
            .all(&self.connection)
            .await
            .context("loading an account's rooms")?;
        let mut found = Vec::with_capacity(participations.len());
        for row in participations {
            if let Some(room) = rooms.iter().find(|room| room.id == row.room_id) {
                found.push((room_from_row(room.clone())?, participant_from_row(row)?));
            }
        }
        Ok(found)
    }

    async fn participant_for_guest(
        &self,
        room: RoomId,
        token_hash: &str,
    ) -> anyhow::Result<Option<Participant>> {
        let row = room_participants::Entity::find()
            .filter(room_participants::Column::RoomId.eq(room.as_uuid()))
            .filter(room_participants::Column::GuestTokenHash.eq(token_hash))
            .one(&self.connection)
            .await
            .context("loading a guest")?;
        row.map(participant_from_row).transpose()
    }

    async fn save_participant(
        &self,
        participant: &Participant,
        guest_token_hash: Option<&str>,
        event: RoomEventKind,
        at: Timestamp,
    ) -> anyhow::Result<RoomEvent> {
        let participant = participant.clone();
        let guest_token_hash = guest_token_hash.map(str::to_owned);
        let store = self.clone();
        self.with_event(participant.room_id, event, at, move |transaction| {
            Box::pin(async move {
                store
                    .insert_participant_in(transaction, &participant, guest_token_hash.as_deref())
                    .await
            })
        })
        .await
    }

    async fn admit_participant(
        &self,
        participant: &Participant,
        guest_token_hash: Option<&str>,
        at: Timestamp,
        capacity: Capacity,
    ) -> Result<(Participant, RoomEvent), AdmitError> {
        let transaction = self
            .connection
            .begin()
            .await
            .context("starting a transaction")?;
        // A write first: it takes the room's lock (PostgreSQL's row lock, SQLite's write lock)
        // before anything is read, so that joins are counted and named one at a time.
        rooms::Entity::update_many()
            .col_expr(rooms::Column::LastSeq, Expr::col(rooms::Column::LastSeq))
            .filter(rooms::Column::Id.eq(participant.room_id.as_uuid()))
            .exec(&transaction)
            .await
            .context("locking the room")?;
        let in_room = || {
            room_participants::Entity::find()
                .filter(room_participants::Column::RoomId.eq(participant.room_id.as_uuid()))
                .filter(room_participants::Column::LeftAt.is_null())
                .filter(room_participants::Column::Id.ne(participant.id.as_uuid()))
        };
        let is_guest = participant.identity == Identity::Guest;
        if capacity.people.is_some() || (is_guest && capacity.guests.is_some()) {
            // Counted, not read: a room of thousands costs one aggregate per join.
            let (people, guests): (i64, i64) = in_room()
                .select_only()
                .expr(Expr::cust("COUNT(*)"))
                .expr(Expr::cust(
                    "COALESCE(SUM(CASE WHEN user_id IS NULL THEN 1 ELSE 0 END), 0)",
                ))
                .into_tuple()
                .one(&transaction)
                .await
                .context("counting who is in the room")?
                .unwrap_or((0, 0));
            capacity.admits(
                u64::try_from(people).unwrap_or(0),
                u64::try_from(guests).unwrap_or(0),
                is_guest,
            )?;
        }
        let mut admitted = participant.clone();
        if is_guest {
            // The first of the nickname's candidates nobody in the room has, looked up by key
            // through the (room, name key) index, a batch of candidates at a time.
            let mut candidates = participant.display_name.candidates();
            'search: loop {
                let batch: Vec<Nickname> = candidates.by_ref().take(NAME_BATCH).collect();
                let keys: Vec<String> = batch
                    .iter()
                    .map(|candidate| Nickname::key_of(candidate.as_str()))
                    .collect();
                let taken: HashSet<String> = in_room()
                    .select_only()
                    .column(room_participants::Column::DisplayName)
                    .filter(room_participants::Column::NameKey.is_in(keys.clone()))
                    .into_tuple::<String>()
                    .all(&transaction)
                    .await
                    .context("looking up the names a new one could take")?
                    .into_iter()
                    .map(|name| Nickname::key_of(&name))
                    .collect();
                for (candidate, key) in batch.into_iter().zip(keys) {
                    if !taken.contains(&key) {
                        admitted.display_name = candidate;
                        break 'search;
                    }
                }
            }
        }
        self.insert_participant_in(&transaction, &admitted, guest_token_hash)
            .await?;
        let mut events = append_in(
            &transaction,
            &self.announcer,
            admitted.room_id,
            at,
            vec![RoomEventKind::joined(&admitted)],
        )
        .await?;
        transaction
            .commit()
            .await
            .context("committing a participant")?;
        let event = events.pop().context("an appended event")?;
        Ok((admitted, event))
    }

    async fn touch(
        &self,
        room: RoomId,
        participants: &[ParticipantId],
        at: Timestamp,
    ) -> anyhow::Result<()> {
        room_participants::Entity::update_many()
            .col_expr(room_participants::Column::LastSeenAt, Expr::value(at))
            .filter(room_participants::Column::RoomId.eq(room.as_uuid()))
            .filter(
                room_participants::Column::Id
                    .is_in(participants.iter().map(ParticipantId::as_uuid)),
            )
            .exec(&self.connection)
            .await
            .context("recording participants' presence")?;
        Ok(())
    }

    async fn present_count(&self, room: RoomId, since: Timestamp) -> anyhow::Result<u32> {
        // Guests who share a source are one person; everyone else is themself.
        let count = room_participants::Entity::find()
            .select_only()
            .expr(Expr::cust(
                "COUNT(*) - COUNT(guest_source) + COUNT(DISTINCT guest_source)",
            ))
            .filter(room_participants::Column::RoomId.eq(room.as_uuid()))
            .filter(room_participants::Column::LeftAt.is_null())
            .filter(room_participants::Column::LastSeenAt.gte(since))
            .into_tuple::<i64>()
            .one(&self.connection)
            .await
            .context("counting present participants")?
            .unwrap_or(0);
        Ok(u32::try_from(count).unwrap_or(u32::MAX))
    }

    async fn append_event(
        &self,
        room: RoomId,
        at: Timestamp,
        kind: RoomEventKind,
    ) -> anyhow::Result<RoomEvent> {
        self.with_event(room, kind, at, |_| Box::pin(async { Ok(()) }))
            .await
    }

    async fn events_after(
        &self,
        room: RoomId,
        after: u64,
        limit: u32,
    ) -> anyhow::Result<Vec<RoomEvent>> {
        events::events_after(&self.connection, room, after, limit).await
    }

    async fn last_seq(&self, room: RoomId) -> anyhow::Result<u64> {
        let seq = rooms::Entity::find_by_id(room.as_uuid())
            .select_only()
            .column(rooms::Column::LastSeq)
            .into_tuple::<i64>()
            .one(&self.connection)
            .await
            .context("reading the last event number")?;
        Ok(seq.and_then(|seq| u64::try_from(seq).ok()).unwrap_or(0))
    }
}
