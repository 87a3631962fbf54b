//! The room's event log: numbering, the stored form of each kind, reading it back.

use std::time::Duration;

use anyhow::Context as _;
use sea_orm::sea_query::{Expr, ExprTrait as _, Query};
use sea_orm::{
    ActiveValue::Set, ColumnTrait as _, ConnectionTrait, EntityTrait as _, QueryFilter as _,
    QueryOrder as _, QuerySelect as _,
};
use serde::{Deserialize, Serialize};
use soiree_kernel::{Timestamp, TrackRef};
use soiree_rooms::{ParticipantId, PlaybackFailure, RoomEvent, RoomEventKind, RoomId, TrackState};
use uuid::Uuid;

use crate::changes::{Announcer, Change};
use crate::entity::{room_events, rooms};

/// An event's details as stored (JSON): the storage format, not an API. Failures are stored by
/// their code, never as sentences: the words are the app's to choose when it shows them.
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
    failure: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    retry_after_ms: Option<u64>,
}

fn payload_of(kind: &RoomEventKind) -> Payload {
    let track = |track: &TrackRef| Some(track.as_str().to_owned());
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
            track: tallied,
            likes,
            dislikes,
            like_threshold,
            state,
        } => Payload {
            track: track(tallied),
            likes: Some(*likes),
            dislikes: Some(*dislikes),
            like_threshold: Some(*like_threshold),
            state: Some(state.as_str().to_owned()),
            ..Payload::default()
        },
        RoomEventKind::TrackReady { track: ready } | RoomEventKind::NowPlaying { track: ready } => {
            Payload {
                track: track(ready),
                ..Payload::default()
            }
        }
        RoomEventKind::SkipTallied {
            track: skipped,
            skips,
            needed,
        } => Payload {
            track: track(skipped),
            skips: Some(*skips),
            needed: Some(*needed),
            ..Payload::default()
        },
        RoomEventKind::PlaybackFailed {
            track: failed,
            failure,
        } => Payload {
            track: failed.as_ref().and_then(track),
            failure: Some(failure.code().to_owned()),
            retry_after_ms: failure
                .retry_after()
                .map(|wait| u64::try_from(wait.as_millis()).unwrap_or(u64::MAX)),
            ..Payload::default()
        },
        RoomEventKind::RoomUpdated | RoomEventKind::RoomClosed => Payload::default(),
    }
}

pub(super) fn event_from_row(row: room_events::Model) -> anyhow::Result<RoomEvent> {
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
            failure: PlaybackFailure::parse(
                payload.failure.as_deref().unwrap_or_default(),
                Duration::from_millis(payload.retry_after_ms.unwrap_or(0)),
            )
            .context("stored playback failure")?,
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

/// Numbers and stores events of one room, as part of the transaction `db` that made the change
/// they announce, and announces them to every process at commit (PostgreSQL). The room row's
/// counter gives the numbers; updating it locks the row (PostgreSQL) or takes the write lock
/// (SQLite), so that concurrent appends take turns and numbers never repeat.
pub(crate) async fn append_in(
    db: &impl ConnectionTrait,
    announcer: &Announcer,
    room: RoomId,
    at: Timestamp,
    kinds: Vec<RoomEventKind>,
) -> anyhow::Result<Vec<RoomEvent>> {
    if kinds.is_empty() {
        return Ok(Vec::new());
    }
    let count = i64::try_from(kinds.len()).unwrap_or(i64::MAX);
    let numbered = Query::update()
        .table(rooms::Entity)
        .value(
            rooms::Column::LastSeq,
            Expr::col(rooms::Column::LastSeq).add(count),
        )
        .and_where(rooms::Column::Id.eq(room.as_uuid()))
        .returning_col(rooms::Column::LastSeq)
        .to_owned();
    let last: i64 = db
        .query_one(&numbered)
        .await
        .context("numbering events")?
        .context("the room of an event exists")?
        .try_get("", "last_seq")
        .context("reading an event number")?;
    let events: Vec<RoomEvent> = kinds
        .into_iter()
        .zip(last - count + 1..)
        .map(|(kind, seq)| RoomEvent {
            seq: u64::try_from(seq).unwrap_or_default(),
            at,
            kind,
        })
        .collect();
    insert_in(db, room, &events).await?;
    announce_in(db, announcer, room, last).await?;
    Ok(events)
}

/// An event's kind and details as stored (for writers that bypass the entities).
pub(super) fn stored_form(event: &RoomEvent) -> anyhow::Result<(&'static str, String)> {
    let payload = serde_json::to_string(&payload_of(&event.kind)).context("writing an event")?;
    Ok((event.kind.name(), payload))
}

/// Stores events already numbered (by [`append_in`], or by the ballot writer).
pub(super) async fn insert_in(
    db: &impl ConnectionTrait,
    room: RoomId,
    events: &[RoomEvent],
) -> anyhow::Result<()> {
    if events.is_empty() {
        return Ok(());
    }
    let mut rows = Vec::with_capacity(events.len());
    for event in events {
        let payload =
            serde_json::to_string(&payload_of(&event.kind)).context("writing an event")?;
        rows.push(room_events::ActiveModel {
            room_id: Set(room.as_uuid()),
            seq: Set(i64::try_from(event.seq).unwrap_or(i64::MAX)),
            kind: Set(event.kind.name().to_owned()),
            payload: Set(payload),
            at: Set(event.at),
        });
    }
    room_events::Entity::insert_many(rows)
        .exec_without_returning(db)
        .await
        .context("storing events")?;
    Ok(())
}

/// Tells every process (PostgreSQL) that `room`'s log now ends at `last_seq`.
pub(super) async fn announce_in(
    db: &impl ConnectionTrait,
    announcer: &Announcer,
    room: RoomId,
    last_seq: i64,
) -> anyhow::Result<()> {
    let change = Change::RoomEvents {
        room,
        last_seq: u64::try_from(last_seq).unwrap_or_default(),
    };
    announcer.within(db, change).await
}

/// Events with `seq > after`, oldest first.
pub(super) async fn events_after(
    db: &impl ConnectionTrait,
    room: RoomId,
    after: u64,
    limit: u32,
) -> anyhow::Result<Vec<RoomEvent>> {
    let rows = room_events::Entity::find()
        .filter(room_events::Column::RoomId.eq(room.as_uuid()))
        .filter(room_events::Column::Seq.gt(i64::try_from(after).unwrap_or(i64::MAX)))
        .order_by_asc(room_events::Column::Seq)
        .limit(u64::from(limit))
        .all(db)
        .await
        .context("loading events")?;
    rows.into_iter().map(event_from_row).collect()
}

/// Replaces the name of `participant` in the room's event log with `name` (an erased account's
/// participation keeps its events, not its name).
pub(super) async fn rename_in_events(
    transaction: &sea_orm::DatabaseTransaction,
    room: Uuid,
    participant: Uuid,
    name: &str,
) -> anyhow::Result<()> {
    use sea_orm::{ColumnTrait as _, EntityTrait as _, QueryFilter as _};
    let rows = room_events::Entity::find()
        .filter(room_events::Column::RoomId.eq(room))
        .filter(room_events::Column::Payload.contains(participant.to_string()))
        .all(transaction)
        .await
        .context("finding a participant's events")?;
    for row in rows {
        let mut payload: Payload =
            serde_json::from_str(&row.payload).context("reading a stored event")?;
        if payload.participant_id != Some(participant) || payload.display_name.is_none() {
            continue;
        }
        payload.display_name = Some(name.to_owned());
        room_events::Entity::update_many()
            .col_expr(
                room_events::Column::Payload,
                sea_orm::sea_query::Expr::value(
                    serde_json::to_string(&payload).context("writing an event")?,
                ),
            )
            .filter(room_events::Column::RoomId.eq(room))
            .filter(room_events::Column::Seq.eq(row.seq))
            .exec(transaction)
            .await
            .context("renaming a participant in an event")?;
    }
    Ok(())
}
