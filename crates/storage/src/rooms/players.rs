//! The player loop's leases and memory: one row per room that ever had something to play.

use std::time::Duration;

use anyhow::Context as _;
use async_trait::async_trait;
use sea_orm::sea_query::{Expr, OnConflict, Order, Query};
use sea_orm::{
    ActiveValue::Set, ColumnTrait as _, ConnectionTrait, EntityTrait as _, QueryFilter as _,
    QueryOrder as _, QuerySelect as _,
};
use soiree_kernel::{Timestamp, TrackRef};
use soiree_rooms::{PlaybackFailure, RoomId};
use soiree_voting::{LoopMemory, PlayerLeases};

use super::SqlRoomStore;
use crate::entity::room_players;

/// Makes a room's player due at `at` (or keeps an earlier time), marks it woken, and with
/// `skipping`, records a pending skip; inside the caller's transaction.
pub(super) async fn wake_in(
    db: &impl ConnectionTrait,
    room: RoomId,
    at: Timestamp,
    skipping: Option<&TrackRef>,
) -> anyhow::Result<()> {
    let row = room_players::ActiveModel {
        room_id: Set(room.as_uuid()),
        holder: Set(None),
        lease_expires_at: Set(None),
        next_look_at: Set(Some(at)),
        woken: Set(true),
        queued_next: Set(None),
        skipping: Set(skipping.map(|track| track.as_str().to_owned())),
        backoff_until: Set(None),
        last_failure: Set(None),
        last_failure_retry_ms: Set(None),
        last_failure_at: Set(None),
    };
    let mut on_conflict = OnConflict::column(room_players::Column::RoomId);
    on_conflict
        .value(room_players::Column::Woken, Expr::value(true))
        .value(
            room_players::Column::NextLookAt,
            Expr::cust(
                "CASE WHEN room_players.next_look_at IS NULL \
                 OR room_players.next_look_at > excluded.next_look_at \
                 THEN excluded.next_look_at ELSE room_players.next_look_at END",
            ),
        );
    if skipping.is_some() {
        on_conflict.value(
            room_players::Column::Skipping,
            Expr::cust("excluded.skipping"),
        );
    }
    room_players::Entity::insert(row)
        .on_conflict(on_conflict.to_owned())
        .exec_without_returning(db)
        .await
        .context("waking a room's player")?;
    Ok(())
}

fn memory_from_row(row: room_players::Model) -> LoopMemory {
    let track = |uri: Option<String>| uri.and_then(|uri| TrackRef::parse(&uri).ok());
    let retry_after =
        Duration::from_millis(u64::try_from(row.last_failure_retry_ms.unwrap_or(0)).unwrap_or(0));
    let failure = row
        .last_failure
        .as_deref()
        .and_then(|code| PlaybackFailure::parse(code, retry_after));
    LoopMemory {
        queued_next: track(row.queued_next),
        skipping: track(row.skipping),
        backoff_until: row.backoff_until,
        last_failure: failure.zip(row.last_failure_at),
    }
}

/// A lease is free for `holder` if nobody holds it, `holder` does, or it expired.
fn free_for(holder: &str, now: Timestamp) -> sea_orm::Condition {
    sea_orm::Condition::any()
        .add(room_players::Column::Holder.is_null())
        .add(room_players::Column::Holder.eq(holder))
        .add(room_players::Column::LeaseExpiresAt.lt(now))
}

/// The room was woken (or a skip requested) since its lease was last claimed.
fn woken() -> sea_orm::sea_query::Expr {
    room_players::Column::Woken.eq(true)
}

#[async_trait]
impl PlayerLeases for SqlRoomStore {
    async fn release(&self, holder: &str) -> anyhow::Result<u64> {
        let released = Query::update()
            .table(room_players::Entity)
            .value(room_players::Column::Holder, Option::<String>::None)
            .value(
                room_players::Column::LeaseExpiresAt,
                Option::<chrono::DateTime<chrono::Utc>>::None,
            )
            .and_where(room_players::Column::Holder.eq(holder))
            .to_owned();
        let result = self
            .connection
            .execute(&released)
            .await
            .context("releasing room leases")?;
        Ok(result.rows_affected())
    }

    async fn due(&self, holder: &str, now: Timestamp, limit: u32) -> anyhow::Result<Vec<RoomId>> {
        let rooms = room_players::Entity::find()
            .select_only()
            .column(room_players::Column::RoomId)
            .filter(room_players::Column::NextLookAt.lte(now))
            .filter(free_for(holder, now))
            .order_by(room_players::Column::NextLookAt, Order::Asc)
            .limit(u64::from(limit))
            .into_tuple::<uuid::Uuid>()
            .all(&self.connection)
            .await
            .context("listing rooms whose player is due")?;
        Ok(rooms.into_iter().map(RoomId::from_uuid).collect())
    }

    async fn claim(
        &self,
        room: RoomId,
        holder: &str,
        now: Timestamp,
        until: Timestamp,
    ) -> anyhow::Result<Option<LoopMemory>> {
        let claimed = Query::update()
            .table(room_players::Entity)
            .value(room_players::Column::Holder, holder)
            .value(room_players::Column::LeaseExpiresAt, until)
            .value(room_players::Column::Woken, false)
            .and_where(room_players::Column::RoomId.eq(room.as_uuid()))
            .cond_where(free_for(holder, now))
            .to_owned();
        let result = self
            .connection
            .execute(&claimed)
            .await
            .context("claiming a room's player")?;
        if result.rows_affected() != 1 {
            return Ok(None);
        }
        let row = room_players::Entity::find_by_id(room.as_uuid())
            .one(&self.connection)
            .await
            .context("reading a room player's memory")?;
        Ok(row.map(memory_from_row))
    }

    async fn store(
        &self,
        room: RoomId,
        holder: &str,
        memory: &LoopMemory,
        next_look: Option<Timestamp>,
        now: Timestamp,
    ) -> anyhow::Result<bool> {
        let track =
            |track: &Option<TrackRef>| track.as_ref().map(|track| track.as_str().to_owned());
        let (failure, failure_at) = memory.last_failure.unzip();
        let retry_ms = failure
            .and_then(|failure| failure.retry_after())
            .map(|wait| i64::try_from(wait.as_millis()).unwrap_or(i64::MAX));
        // A wake or a skip that arrived during the look wins over what the look concluded: the
        // next look is now, and a requested skip is kept for it.
        let stored = Query::update()
            .table(room_players::Entity)
            .value(room_players::Column::QueuedNext, track(&memory.queued_next))
            .value(room_players::Column::BackoffUntil, memory.backoff_until)
            .value(
                room_players::Column::LastFailure,
                failure.map(|failure| failure.code().to_owned()),
            )
            .value(room_players::Column::LastFailureRetryMs, retry_ms)
            .value(room_players::Column::LastFailureAt, failure_at)
            .value(
                room_players::Column::Skipping,
                Expr::case(woken(), Expr::col(room_players::Column::Skipping))
                    .finally(Expr::value(track(&memory.skipping))),
            )
            .value(
                room_players::Column::NextLookAt,
                Expr::case(woken(), Expr::value(Some(now))).finally(Expr::value(next_look)),
            )
            .value(room_players::Column::Woken, false)
            .and_where(room_players::Column::RoomId.eq(room.as_uuid()))
            .and_where(room_players::Column::Holder.eq(holder))
            .to_owned();
        let result = self
            .connection
            .execute(&stored)
            .await
            .context("storing a room player's memory")?;
        Ok(result.rows_affected() == 1)
    }

    async fn wake(&self, room: RoomId, at: Timestamp) -> anyhow::Result<()> {
        wake_in(&self.connection, room, at, None).await
    }

    async fn request_skip(
        &self,
        room: RoomId,
        track: &TrackRef,
        at: Timestamp,
    ) -> anyhow::Result<()> {
        wake_in(&self.connection, room, at, Some(track)).await
    }
}
