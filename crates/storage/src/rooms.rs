//! The rooms and voting ports over SeaORM.

use anyhow::Context as _;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait as _, OnConflict};
use sea_orm::{
    ActiveValue::Set, ColumnTrait as _, ConnectionTrait as _, DatabaseConnection, EntityTrait as _,
    PaginatorTrait as _, QueryFilter as _, QueryOrder as _, QuerySelect as _, SqlErr,
    TransactionTrait as _,
};
use serde::{Deserialize, Serialize};
use soiree_kernel::{Timestamp, TrackRef, UserId};
use soiree_rooms::{
    Identity, InsertRoomError, LikeThreshold, Nickname, Participant, ParticipantId, Room, RoomCode,
    RoomEvent, RoomEventKind, RoomId, RoomName, RoomOptions, RoomRepository, TrackState,
};
use soiree_voting::{QueueEntry, RoomTrack, Tally, Vote, VoteRepository, order_queue};
use uuid::Uuid;

use crate::entity::{
    room_events, room_leases, room_participants, room_skip_votes, room_tracks, room_votes, rooms,
};

/// Rooms, participants, votes, the event log and player leases in the database.
#[derive(Debug, Clone)]
pub struct SqlRoomStore {
    connection: DatabaseConnection,
    backend: crate::Backend,
}

impl SqlRoomStore {
    pub(crate) fn new(connection: DatabaseConnection, backend: crate::Backend) -> Self {
        Self {
            connection,
            backend,
        }
    }

    /// Takes or renews the lease of a room's player loop for `holder` until `until`. Exactly one
    /// holder wins when several try: a lease is taken only when free or expired (one conditional
    /// statement).
    pub async fn claim_lease(
        &self,
        room: RoomId,
        holder: &str,
        now: Timestamp,
        until: Timestamp,
    ) -> anyhow::Result<bool> {
        let row = room_leases::ActiveModel {
            room_id: Set(room.as_uuid()),
            holder: Set(holder.to_owned()),
            expires_at: Set(until),
        };
        room_leases::Entity::insert(row)
            .on_conflict(
                OnConflict::column(room_leases::Column::RoomId)
                    .do_nothing()
                    .to_owned(),
            )
            .exec_without_returning(&self.connection)
            .await
            .context("creating a room lease")?;
        let result = room_leases::Entity::update_many()
            .col_expr(room_leases::Column::Holder, Expr::value(holder.to_owned()))
            .col_expr(room_leases::Column::ExpiresAt, Expr::value(until))
            .filter(room_leases::Column::RoomId.eq(room.as_uuid()))
            .filter(
                sea_orm::Condition::any()
                    .add(room_leases::Column::Holder.eq(holder))
                    .add(room_leases::Column::ExpiresAt.lt(now)),
            )
            .exec(&self.connection)
            .await
            .context("claiming a room lease")?;
        Ok(result.rows_affected == 1)
    }

    /// Every open room.
    pub async fn open_rooms(&self) -> anyhow::Result<Vec<Room>> {
        let rows = rooms::Entity::find()
            .filter(rooms::Column::ClosedAt.is_null())
            .all(&self.connection)
            .await
            .context("listing open rooms")?;
        rows.into_iter().map(room_from_row).collect()
    }
}

fn room_from_row(row: rooms::Model) -> anyhow::Result<Room> {
    let like_threshold = match row.threshold_kind.as_str() {
        "fixed" => {
            LikeThreshold::Fixed(u32::try_from(row.threshold_value).context("stored threshold")?)
        }
        "share" => LikeThreshold::Share(
            u16::try_from(row.threshold_value).context("stored threshold share")?,
        ),
        other => anyhow::bail!("unknown stored threshold kind {other:?}"),
    };
    Ok(Room {
        id: RoomId::from_uuid(row.id),
        code: RoomCode::parse(&row.code).context("stored room code")?,
        name: row
            .name
            .map(|name| RoomName::parse(&name))
            .transpose()
            .context("stored room name")?,
        host: UserId::from_uuid(row.host_user_id),
        like_threshold,
        options: RoomOptions {
            guests_allowed: row.guests_allowed,
            guest_votes_per_2min: u32::try_from(row.guest_votes_per2min)
                .context("stored guest rate")?,
        },
        closed_at: row.closed_at,
        created_at: row.created_at,
    })
}

fn threshold_columns(threshold: LikeThreshold) -> (&'static str, i32) {
    match threshold {
        LikeThreshold::Fixed(count) => ("fixed", i32::try_from(count).unwrap_or(i32::MAX)),
        LikeThreshold::Share(basis_points) => ("share", i32::from(basis_points)),
    }
}

fn participant_from_row(row: room_participants::Model) -> anyhow::Result<Participant> {
    Ok(Participant {
        id: ParticipantId::from_uuid(row.id),
        room_id: RoomId::from_uuid(row.room_id),
        identity: row.user_id.map_or(Identity::Guest, |user| {
            Identity::User(UserId::from_uuid(user))
        }),
        display_name: Nickname::parse(&row.display_name).context("stored display name")?,
        joined_at: row.joined_at,
        left_at: row.left_at,
        kicked: row.kicked,
        last_seen_at: row.last_seen_at,
    })
}

/// An event's details as stored (JSON): the storage format, not an API.
#[derive(Debug, Serialize, Deserialize, Default)]
struct Payload {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    participant_id: Option<Uuid>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    display_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    kicked: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    track: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    likes: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    dislikes: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    like_threshold: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    state: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    skips: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    needed: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    message: Option<String>,
}

fn payload_of(kind: &RoomEventKind) -> Payload {
    match kind {
        RoomEventKind::ParticipantJoined {
            participant_id,
            display_name,
        } => Payload {
            participant_id: Some(participant_id.as_uuid()),
            display_name: Some(display_name.clone()),
            ..Payload::default()
        },
        RoomEventKind::ParticipantLeft {
            participant_id,
            kicked,
        } => Payload {
            participant_id: Some(participant_id.as_uuid()),
            kicked: Some(*kicked),
            ..Payload::default()
        },
        RoomEventKind::VoteTallied {
            track,
            likes,
            dislikes,
            like_threshold,
            state,
        } => Payload {
            track: Some(track.as_str().to_owned()),
            likes: Some(*likes),
            dislikes: Some(*dislikes),
            like_threshold: Some(*like_threshold),
            state: Some(state.as_str().to_owned()),
            ..Payload::default()
        },
        RoomEventKind::TrackReady { track } | RoomEventKind::NowPlaying { track } => Payload {
            track: Some(track.as_str().to_owned()),
            ..Payload::default()
        },
        RoomEventKind::SkipTallied {
            track,
            skips,
            needed,
        } => Payload {
            track: Some(track.as_str().to_owned()),
            skips: Some(*skips),
            needed: Some(*needed),
            ..Payload::default()
        },
        RoomEventKind::PlaybackFailed {
            track,
            code,
            message,
        } => Payload {
            track: track.as_ref().map(|track| track.as_str().to_owned()),
            code: Some(code.clone()),
            message: Some(message.clone()),
            ..Payload::default()
        },
        RoomEventKind::RoomUpdated | RoomEventKind::RoomClosed => Payload::default(),
    }
}

fn event_from_row(row: room_events::Model) -> anyhow::Result<RoomEvent> {
    let payload: Payload = serde_json::from_str(&row.payload).context("reading a stored event")?;
    let track = || -> anyhow::Result<TrackRef> {
        TrackRef::parse(payload.track.as_deref().unwrap_or_default()).context("stored event track")
    };
    let participant = || ParticipantId::from_uuid(payload.participant_id.unwrap_or_default());
    let kind = match row.kind.as_str() {
        "participant_joined" => RoomEventKind::ParticipantJoined {
            participant_id: participant(),
            display_name: payload.display_name.clone().unwrap_or_default(),
        },
        "participant_left" => RoomEventKind::ParticipantLeft {
            participant_id: participant(),
            kicked: payload.kicked.unwrap_or(false),
        },
        "vote_tallied" => RoomEventKind::VoteTallied {
            track: track()?,
            likes: payload.likes.unwrap_or(0),
            dislikes: payload.dislikes.unwrap_or(0),
            like_threshold: payload.like_threshold.unwrap_or(1),
            state: payload
                .state
                .as_deref()
                .and_then(TrackState::parse)
                .unwrap_or(TrackState::Candidate),
        },
        "track_ready" => RoomEventKind::TrackReady { track: track()? },
        "now_playing" => RoomEventKind::NowPlaying { track: track()? },
        "skip_tallied" => RoomEventKind::SkipTallied {
            track: track()?,
            skips: payload.skips.unwrap_or(0),
            needed: payload.needed.unwrap_or(1),
        },
        "playback_failed" => RoomEventKind::PlaybackFailed {
            track: payload
                .track
                .as_deref()
                .map(TrackRef::parse)
                .transpose()
                .context("stored event track")?,
            code: payload.code.clone().unwrap_or_default(),
            message: payload.message.clone().unwrap_or_default(),
        },
        "room_updated" => RoomEventKind::RoomUpdated,
        "room_closed" => RoomEventKind::RoomClosed,
        other => anyhow::bail!("unknown stored event kind {other:?}"),
    };
    Ok(RoomEvent {
        seq: u64::try_from(row.seq).context("stored event number")?,
        at: row.at,
        kind,
    })
}

#[async_trait]
impl RoomRepository for SqlRoomStore {
    async fn insert_room(&self, room: &Room, host: &Participant) -> Result<(), InsertRoomError> {
        let (kind, value) = threshold_columns(room.like_threshold);
        let row = rooms::ActiveModel {
            id: Set(room.id.as_uuid()),
            code: Set(room.code.as_str().to_owned()),
            name: Set(room.name.as_ref().map(|name| name.as_str().to_owned())),
            host_user_id: Set(room.host.as_uuid()),
            threshold_kind: Set(kind.to_owned()),
            threshold_value: Set(value),
            guests_allowed: Set(room.options.guests_allowed),
            guest_votes_per2min: Set(
                i32::try_from(room.options.guest_votes_per_2min).unwrap_or(i32::MAX)
            ),
            last_seq: Set(0),
            closed_at: Set(room.closed_at),
            created_at: Set(room.created_at),
        };
        let transaction = self
            .connection
            .begin()
            .await
            .context("starting a transaction")?;
        if let Err(error) = rooms::Entity::insert(row)
            .exec_without_returning(&transaction)
            .await
        {
            return match error.sql_err() {
                Some(SqlErr::UniqueConstraintViolation(_)) => Err(InsertRoomError::CodeTaken),
                _ => Err(anyhow::Error::new(error).context("inserting a room").into()),
            };
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

    async fn update_room(&self, room: &Room) -> anyhow::Result<()> {
        let (kind, value) = threshold_columns(room.like_threshold);
        rooms::Entity::update_many()
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
                Expr::value(i32::try_from(room.options.guest_votes_per_2min).unwrap_or(i32::MAX)),
            )
            .col_expr(rooms::Column::ClosedAt, Expr::value(room.closed_at))
            .filter(rooms::Column::Id.eq(room.id.as_uuid()))
            .exec(&self.connection)
            .await
            .context("updating a room")?;
        Ok(())
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

    async fn insert_participant(
        &self,
        participant: &Participant,
        guest_token_hash: Option<&str>,
    ) -> anyhow::Result<()> {
        self.insert_participant_in(&self.connection, participant, guest_token_hash)
            .await
    }

    async fn update_participant(&self, participant: &Participant) -> anyhow::Result<()> {
        room_participants::Entity::update_many()
            .col_expr(
                room_participants::Column::LeftAt,
                Expr::value(participant.left_at),
            )
            .col_expr(
                room_participants::Column::Kicked,
                Expr::value(participant.kicked),
            )
            .col_expr(
                room_participants::Column::LastSeenAt,
                Expr::value(participant.last_seen_at),
            )
            .col_expr(
                room_participants::Column::DisplayName,
                Expr::value(participant.display_name.as_str()),
            )
            .filter(room_participants::Column::Id.eq(participant.id.as_uuid()))
            .exec(&self.connection)
            .await
            .context("updating a participant")?;
        Ok(())
    }

    async fn touch(&self, room: RoomId, id: ParticipantId, at: Timestamp) -> anyhow::Result<()> {
        room_participants::Entity::update_many()
            .col_expr(room_participants::Column::LastSeenAt, Expr::value(at))
            .filter(room_participants::Column::RoomId.eq(room.as_uuid()))
            .filter(room_participants::Column::Id.eq(id.as_uuid()))
            .exec(&self.connection)
            .await
            .context("recording a participant's presence")?;
        Ok(())
    }

    async fn present_count(&self, room: RoomId, since: Timestamp) -> anyhow::Result<u32> {
        let count = room_participants::Entity::find()
            .filter(room_participants::Column::RoomId.eq(room.as_uuid()))
            .filter(room_participants::Column::LeftAt.is_null())
            .filter(room_participants::Column::LastSeenAt.gte(since))
            .count(&self.connection)
            .await
            .context("counting present participants")?;
        Ok(u32::try_from(count).unwrap_or(u32::MAX))
    }

    async fn append_event(
        &self,
        room: RoomId,
        at: Timestamp,
        kind: RoomEventKind,
    ) -> anyhow::Result<RoomEvent> {
        let payload = serde_json::to_string(&payload_of(&kind)).context("writing an event")?;
        // The room row's counter gives the next number; the update's row lock (PostgreSQL) or
        // write lock (SQLite) makes concurrent appends take turns, so numbers never repeat.
        let transaction = self
            .connection
            .begin()
            .await
            .context("starting a transaction")?;
        rooms::Entity::update_many()
            .col_expr(
                rooms::Column::LastSeq,
                Expr::col(rooms::Column::LastSeq).add(1),
            )
            .filter(rooms::Column::Id.eq(room.as_uuid()))
            .exec(&transaction)
            .await
            .context("numbering an event")?;
        let seq = rooms::Entity::find_by_id(room.as_uuid())
            .select_only()
            .column(rooms::Column::LastSeq)
            .into_tuple::<i64>()
            .one(&transaction)
            .await
            .context("reading an event number")?
            .context("the room of an event exists")?;
        let row = room_events::ActiveModel {
            room_id: Set(room.as_uuid()),
            seq: Set(seq),
            kind: Set(kind.name().to_owned()),
            payload: Set(payload),
            at: Set(at),
        };
        room_events::Entity::insert(row)
            .exec_without_returning(&transaction)
            .await
            .context("storing an event")?;
        if self.backend == crate::Backend::Postgres {
            // Delivered to every listening process when the transaction commits.
            transaction
                .execute_raw(sea_orm::Statement::from_sql_and_values(
                    sea_orm::DatabaseBackend::Postgres,
                    "SELECT pg_notify($1, $2)",
                    [
                        crate::notify::CHANNEL.into(),
                        room.as_uuid().to_string().into(),
                    ],
                ))
                .await
                .context("announcing an event")?;
        }
        transaction.commit().await.context("committing an event")?;
        Ok(RoomEvent {
            seq: u64::try_from(seq).unwrap_or_default(),
            at,
            kind,
        })
    }

    async fn events_after(
        &self,
        room: RoomId,
        after: u64,
        limit: u32,
    ) -> anyhow::Result<Vec<RoomEvent>> {
        let rows = room_events::Entity::find()
            .filter(room_events::Column::RoomId.eq(room.as_uuid()))
            .filter(room_events::Column::Seq.gt(i64::try_from(after).unwrap_or(i64::MAX)))
            .order_by_asc(room_events::Column::Seq)
            .limit(u64::from(limit))
            .all(&self.connection)
            .await
            .context("loading events")?;
        rows.into_iter().map(event_from_row).collect()
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

impl SqlRoomStore {
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
        };
        room_participants::Entity::insert(row)
            .exec_without_returning(db)
            .await
            .context("storing a participant")?;
        Ok(())
    }

    async fn tally(&self, room: RoomId, track: &TrackRef) -> anyhow::Result<Tally> {
        let votes = |like: bool| {
            room_votes::Entity::find()
                .filter(room_votes::Column::RoomId.eq(room.as_uuid()))
                .filter(room_votes::Column::TrackUri.eq(track.as_str()))
                .filter(room_votes::Column::IsLike.eq(like))
                .count(&self.connection)
        };
        let likes = votes(true).await.context("counting likes")?;
        let dislikes = votes(false).await.context("counting dislikes")?;
        Ok(Tally {
            likes: u32::try_from(likes).unwrap_or(u32::MAX),
            dislikes: u32::try_from(dislikes).unwrap_or(u32::MAX),
        })
    }
}

fn micros(at: DateTime<Utc>) -> i64 {
    at.timestamp_micros()
}

#[async_trait]
impl VoteRepository for SqlRoomStore {
    async fn cast(
        &self,
        room: RoomId,
        participant: ParticipantId,
        track: &TrackRef,
        vote: Vote,
        at: Timestamp,
    ) -> anyhow::Result<Tally> {
        let entry = room_tracks::ActiveModel {
            room_id: Set(room.as_uuid()),
            track_uri: Set(track.as_str().to_owned()),
            state: Set(TrackState::Candidate.as_str().to_owned()),
            added_by: Set(Some(participant.as_uuid())),
            created_at: Set(at),
            ready_at: Set(None),
            ready_order: Set(None),
        };
        room_tracks::Entity::insert(entry)
            .on_conflict(
                OnConflict::columns([room_tracks::Column::RoomId, room_tracks::Column::TrackUri])
                    .do_nothing()
                    .to_owned(),
            )
            .exec_without_returning(&self.connection)
            .await
            .context("adding a track to a room")?;
        let row = room_votes::ActiveModel {
            room_id: Set(room.as_uuid()),
            participant_id: Set(participant.as_uuid()),
            track_uri: Set(track.as_str().to_owned()),
            is_like: Set(vote == Vote::Like),
            cast_at: Set(at),
        };
        room_votes::Entity::insert(row)
            .on_conflict(
                OnConflict::columns([
                    room_votes::Column::RoomId,
                    room_votes::Column::ParticipantId,
                    room_votes::Column::TrackUri,
                ])
                .update_columns([room_votes::Column::IsLike, room_votes::Column::CastAt])
                .to_owned(),
            )
            .exec_without_returning(&self.connection)
            .await
            .context("storing a vote")?;
        self.tally(room, track).await
    }

    async fn retract(
        &self,
        room: RoomId,
        participant: ParticipantId,
        track: &TrackRef,
    ) -> anyhow::Result<Option<Tally>> {
        let result = room_votes::Entity::delete_many()
            .filter(room_votes::Column::RoomId.eq(room.as_uuid()))
            .filter(room_votes::Column::ParticipantId.eq(participant.as_uuid()))
            .filter(room_votes::Column::TrackUri.eq(track.as_str()))
            .exec(&self.connection)
            .await
            .context("retracting a vote")?;
        if result.rows_affected == 0 {
            return Ok(None);
        }
        self.tally(room, track).await.map(Some)
    }

    async fn transition(
        &self,
        room: RoomId,
        track: &TrackRef,
        from: TrackState,
        to: TrackState,
        at: Timestamp,
    ) -> anyhow::Result<bool> {
        let mut update = room_tracks::Entity::update_many()
            .col_expr(room_tracks::Column::State, Expr::value(to.as_str()))
            .filter(room_tracks::Column::RoomId.eq(room.as_uuid()))
            .filter(room_tracks::Column::TrackUri.eq(track.as_str()))
            .filter(room_tracks::Column::State.eq(from.as_str()));
        if to == TrackState::Ready {
            // The order of readiness, for ties at one instant: after every track ready before.
            // Two tracks becoming ready at the same moment may share a number; their arrival
            // order then decides.
            let latest: Option<i64> = room_tracks::Entity::find()
                .select_only()
                .column_as(room_tracks::Column::ReadyOrder.max(), "latest")
                .filter(room_tracks::Column::RoomId.eq(room.as_uuid()))
                .into_tuple::<Option<i64>>()
                .one(&self.connection)
                .await
                .context("reading the readiness order")?
                .flatten();
            update = update
                .col_expr(room_tracks::Column::ReadyAt, Expr::value(at))
                .col_expr(
                    room_tracks::Column::ReadyOrder,
                    Expr::value(latest.unwrap_or(0) + 1),
                );
        }
        let result = update
            .exec(&self.connection)
            .await
            .context("moving a track on")?;
        Ok(result.rows_affected == 1)
    }

    async fn track(&self, room: RoomId, track: &TrackRef) -> anyhow::Result<Option<RoomTrack>> {
        let row = room_tracks::Entity::find_by_id((room.as_uuid(), track.as_str().to_owned()))
            .one(&self.connection)
            .await
            .context("loading a room track")?;
        match row {
            Some(row) => Ok(Some(self.room_track(row).await?.track)),
            None => Ok(None),
        }
    }

    async fn queue(&self, room: RoomId) -> anyhow::Result<Vec<RoomTrack>> {
        let rows = room_tracks::Entity::find()
            .filter(room_tracks::Column::RoomId.eq(room.as_uuid()))
            .filter(room_tracks::Column::State.ne(TrackState::Played.as_str()))
            .all(&self.connection)
            .await
            .context("loading the room's tracks")?;
        let mut entries = Vec::with_capacity(rows.len());
        for row in rows {
            entries.push(self.room_track(row).await?);
        }
        Ok(order_queue(entries))
    }

    async fn cast_skip(
        &self,
        room: RoomId,
        participant: ParticipantId,
        track: &TrackRef,
    ) -> anyhow::Result<u32> {
        let row = room_skip_votes::ActiveModel {
            room_id: Set(room.as_uuid()),
            participant_id: Set(participant.as_uuid()),
            track_uri: Set(track.as_str().to_owned()),
        };
        room_skip_votes::Entity::insert(row)
            .on_conflict(
                OnConflict::columns([
                    room_skip_votes::Column::RoomId,
                    room_skip_votes::Column::ParticipantId,
                    room_skip_votes::Column::TrackUri,
                ])
                .do_nothing()
                .to_owned(),
            )
            .exec_without_returning(&self.connection)
            .await
            .context("storing a skip vote")?;
        let count = room_skip_votes::Entity::find()
            .filter(room_skip_votes::Column::RoomId.eq(room.as_uuid()))
            .filter(room_skip_votes::Column::TrackUri.eq(track.as_str()))
            .count(&self.connection)
            .await
            .context("counting skip votes")?;
        Ok(u32::try_from(count).unwrap_or(u32::MAX))
    }
}

impl SqlRoomStore {
    async fn room_track(&self, row: room_tracks::Model) -> anyhow::Result<QueueEntry> {
        let track = TrackRef::parse(&row.track_uri).context("stored track")?;
        let tally = self.tally(RoomId::from_uuid(row.room_id), &track).await?;
        Ok(QueueEntry {
            track: RoomTrack {
                state: TrackState::parse(&row.state).context("stored track state")?,
                tally,
                ready_at: row.ready_at,
                added_by: row.added_by.map(ParticipantId::from_uuid),
                track,
            },
            arrived: micros(row.created_at),
            ready_order: row.ready_order,
        })
    }
}
