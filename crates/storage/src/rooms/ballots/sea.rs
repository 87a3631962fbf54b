//! The ballot writer's engine for PostgreSQL (and for SQLite when its file cannot be opened
//! directly): sea-orm over sqlx, in a transaction whose first statement locks each room's row.

use std::collections::HashSet;

use anyhow::Context as _;
use sea_orm::sea_query::{Expr, ExprTrait as _, OnConflict, Query};
use sea_orm::{
    ActiveValue::Set, ColumnTrait as _, ConnectionTrait as _, DatabaseConnection,
    DatabaseTransaction, EntityTrait as _, QueryFilter as _, QuerySelect as _,
    TransactionTrait as _,
};
use soiree_rooms::RoomId;
use soiree_voting::{Ballot, RecordBallotError, Recorded, Standing, Tally, Vote};
use uuid::Uuid;

use super::plan::{Stored, TrackRow, Writes, plan};
use crate::changes::Announcer;
use crate::entity::{room_participants, room_tracks, room_votes, rooms};
use crate::rooms::events::{announce_in, insert_in};
use crate::rooms::players::wake_in;
use crate::rooms::rows::{count_column, state_from};

/// Writes groups of ballots through sea-orm.
#[derive(Debug, Clone)]
pub(super) struct SeaWriter {
    pub(super) connection: DatabaseConnection,
    pub(super) announcer: Announcer,
}

impl SeaWriter {
    pub(super) async fn write(
        &self,
        ballots: &[&Ballot],
    ) -> anyhow::Result<Vec<Result<Recorded, RecordBallotError>>> {
        let transaction = self
            .connection
            .begin()
            .await
            .context("starting a transaction for ballots")?;
        let stored = read_stored(&transaction, ballots).await?;
        let (results, writes) = plan(ballots, &stored);
        write_all(&transaction, &self.announcer, &writes).await?;
        transaction.commit().await.context("committing ballots")?;
        Ok(results)
    }
}

pub(super) async fn read_stored(
    transaction: &DatabaseTransaction,
    ballots: &[&Ballot],
) -> anyhow::Result<Stored> {
    let mut stored = Stored::default();
    let mut room_ids: Vec<RoomId> = ballots.iter().map(|ballot| ballot.room).collect();
    room_ids.sort();
    room_ids.dedup();
    // Lock the rooms first, always in the same order, and learn which are open.
    for room in &room_ids {
        let lock = Query::update()
            .table(rooms::Entity)
            .value(rooms::Column::LastSeq, Expr::col(rooms::Column::LastSeq))
            .and_where(rooms::Column::Id.eq(room.as_uuid()))
            .and_where(rooms::Column::ClosedAt.is_null())
            .returning_col(rooms::Column::LastSeq)
            .to_owned();
        if let Some(row) = transaction
            .query_one(&lock)
            .await
            .context("locking a room for ballots")?
        {
            let seq: i64 = row
                .try_get("", "last_seq")
                .context("reading a room's last event")?;
            stored.last_seq.insert(*room, seq);
        }
    }
    let participants: HashSet<Uuid> = ballots
        .iter()
        .map(|ballot| ballot.participant.as_uuid())
        .collect();
    stored.active = room_participants::Entity::find()
        .select_only()
        .column(room_participants::Column::Id)
        .filter(room_participants::Column::Id.is_in(participants.iter().copied()))
        .filter(room_participants::Column::LeftAt.is_null())
        .into_tuple::<Uuid>()
        .all(transaction)
        .await
        .context("checking voters are in their rooms")?
        .into_iter()
        .collect();
    for room in stored.last_seq.keys().copied().collect::<Vec<_>>() {
        let in_room = || ballots.iter().filter(move |ballot| ballot.room == room);
        let uris: HashSet<&str> = in_room().map(|ballot| ballot.track.as_str()).collect();
        let tracks = room_tracks::Entity::find()
            .filter(room_tracks::Column::RoomId.eq(room.as_uuid()))
            .filter(room_tracks::Column::TrackUri.is_in(uris.iter().copied()))
            .all(transaction)
            .await
            .context("reading tracks' counters")?;
        for row in tracks {
            let write = TrackRow {
                standing: Standing {
                    tally: Tally {
                        likes: u32::try_from(row.likes).unwrap_or(0),
                        dislikes: u32::try_from(row.dislikes).unwrap_or(0),
                    },
                    state: state_from(&row.state)?,
                },
                added_by: row.added_by,
                created_at: row.created_at,
                ready_at: row.ready_at,
                ready_order: row.ready_order,
            };
            stored.tracks.insert((room, row.track_uri), write);
        }
        // The exact (voter, track) pairs: one primary-key lookup each.
        let pairs: HashSet<(Uuid, String)> = in_room()
            .map(|ballot| {
                (
                    ballot.participant.as_uuid(),
                    ballot.track.as_str().to_owned(),
                )
            })
            .collect();
        let votes = room_votes::Entity::find()
            .filter(room_votes::Column::RoomId.eq(room.as_uuid()))
            .filter(
                Expr::tuple([
                    Expr::col(room_votes::Column::ParticipantId),
                    Expr::col(room_votes::Column::TrackUri),
                ])
                .in_tuples(pairs),
            )
            .all(transaction)
            .await
            .context("reading voters' votes")?;
        for row in votes {
            let vote = if row.is_like {
                Vote::Like
            } else {
                Vote::Dislike
            };
            stored
                .votes
                .insert((room, row.participant_id, row.track_uri), vote);
        }
    }
    Ok(stored)
}

/// Only a candidate moves, and only to ready: the player loop may have moved a track on since it
/// was read, and that move stands.
const KEEP_STATE_UNLESS_CANDIDATE: &str =
    "CASE WHEN room_tracks.state = 'candidate' THEN excluded.state ELSE room_tracks.state END";
const KEEP_READY_AT_UNLESS_CANDIDATE: &str = "CASE WHEN room_tracks.state = 'candidate' THEN excluded.ready_at ELSE room_tracks.ready_at END";
const KEEP_READY_ORDER_UNLESS_CANDIDATE: &str = "CASE WHEN room_tracks.state = 'candidate' THEN excluded.ready_order ELSE room_tracks.ready_order END";

pub(super) async fn write_all(
    transaction: &DatabaseTransaction,
    announcer: &Announcer,
    writes: &Writes,
) -> anyhow::Result<()> {
    if !writes.tracks.is_empty() {
        let rows = writes
            .tracks
            .iter()
            .map(|((room, uri), track)| room_tracks::ActiveModel {
                room_id: Set(room.as_uuid()),
                track_uri: Set(uri.clone()),
                state: Set(track.standing.state.as_str().to_owned()),
                added_by: Set(track.added_by),
                created_at: Set(track.created_at),
                ready_at: Set(track.ready_at),
                ready_order: Set(track.ready_order),
                likes: Set(count_column(track.standing.tally.likes)),
                dislikes: Set(count_column(track.standing.tally.dislikes)),
            });
        room_tracks::Entity::insert_many(rows)
            .on_conflict(
                OnConflict::columns([room_tracks::Column::RoomId, room_tracks::Column::TrackUri])
                    .update_columns([room_tracks::Column::Likes, room_tracks::Column::Dislikes])
                    .value(
                        room_tracks::Column::State,
                        Expr::cust(KEEP_STATE_UNLESS_CANDIDATE),
                    )
                    .value(
                        room_tracks::Column::ReadyAt,
                        Expr::cust(KEEP_READY_AT_UNLESS_CANDIDATE),
                    )
                    .value(
                        room_tracks::Column::ReadyOrder,
                        Expr::cust(KEEP_READY_ORDER_UNLESS_CANDIDATE),
                    )
                    .to_owned(),
            )
            .exec_without_returning(transaction)
            .await
            .context("storing tracks' counters")?;
    }
    let cast: Vec<_> = writes
        .votes
        .iter()
        .filter_map(|((room, participant, uri), write)| {
            write.vote.map(|vote| room_votes::ActiveModel {
                room_id: Set(room.as_uuid()),
                participant_id: Set(*participant),
                track_uri: Set(uri.clone()),
                is_like: Set(vote == Vote::Like),
                cast_at: Set(write.at),
            })
        })
        .collect();
    if !cast.is_empty() {
        room_votes::Entity::insert_many(cast)
            .on_conflict(
                OnConflict::columns([
                    room_votes::Column::RoomId,
                    room_votes::Column::ParticipantId,
                    room_votes::Column::TrackUri,
                ])
                .update_columns([room_votes::Column::IsLike, room_votes::Column::CastAt])
                .to_owned(),
            )
            .exec_without_returning(transaction)
            .await
            .context("storing votes")?;
    }
    for ((room, participant, uri), _) in writes
        .votes
        .iter()
        .filter(|(_, write)| write.vote.is_none() && write.stored)
    {
        room_votes::Entity::delete_many()
            .filter(room_votes::Column::RoomId.eq(room.as_uuid()))
            .filter(room_votes::Column::ParticipantId.eq(*participant))
            .filter(room_votes::Column::TrackUri.eq(uri.as_str()))
            .exec(transaction)
            .await
            .context("retracting a vote")?;
    }
    for (room, events) in &writes.events {
        insert_in(transaction, *room, events).await?;
        let last = writes.last_seq.get(room).copied().unwrap_or_default();
        rooms::Entity::update_many()
            .col_expr(rooms::Column::LastSeq, Expr::value(last))
            .filter(rooms::Column::Id.eq(room.as_uuid()))
            .exec(transaction)
            .await
            .context("numbering events")?;
        announce_in(transaction, announcer, *room, last).await?;
    }
    for (room, at) in &writes.woken {
        wake_in(transaction, *room, *at, None).await?;
    }
    Ok(())
}
