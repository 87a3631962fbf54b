//! Rows to domain values and back.

use anyhow::Context as _;
use soiree_kernel::{TrackRef, UserId};
use soiree_rooms::{
    GuestSource, Identity, LikeThreshold, Nickname, Participant, ParticipantId, Room, RoomCode,
    RoomId, RoomName, RoomOptions, TrackState,
};
use soiree_voting::{QueueEntry, RoomTrack, Tally};

use crate::entity::{room_participants, room_tracks, rooms};

pub(super) fn room_from_row(row: rooms::Model) -> anyhow::Result<Room> {
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
            max_guests: row
                .max_guests
                .map(u32::try_from)
                .transpose()
                .context("stored guest cap")?,
        },
        closed_at: row.closed_at,
        created_at: row.created_at,
    })
}

pub(super) fn threshold_columns(threshold: LikeThreshold) -> (&'static str, i32) {
    match threshold {
        LikeThreshold::Fixed(count) => ("fixed", i32::try_from(count).unwrap_or(i32::MAX)),
        LikeThreshold::Share(basis_points) => ("share", i32::from(basis_points)),
    }
}

pub(super) fn guest_rate_column(room: &Room) -> i32 {
    i32::try_from(room.options.guest_votes_per_2min).unwrap_or(i32::MAX)
}

pub(super) fn guest_cap_column(room: &Room) -> Option<i32> {
    room.options
        .max_guests
        .map(|cap| i32::try_from(cap).unwrap_or(i32::MAX))
}

pub(super) fn participant_from_row(row: room_participants::Model) -> anyhow::Result<Participant> {
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
        source: row.guest_source.as_deref().map(GuestSource::new),
    })
}

pub(super) fn count_column(count: u32) -> i32 {
    i32::try_from(count).unwrap_or(i32::MAX)
}

fn count_from(column: i32) -> u32 {
    u32::try_from(column).unwrap_or(0)
}

pub(super) fn state_from(column: &str) -> anyhow::Result<TrackState> {
    TrackState::parse(column).with_context(|| format!("unknown stored track state {column:?}"))
}

pub(super) fn queue_entry_from_row(row: room_tracks::Model) -> anyhow::Result<QueueEntry> {
    Ok(QueueEntry {
        track: RoomTrack {
            track: TrackRef::parse(&row.track_uri).context("stored track")?,
            state: state_from(&row.state)?,
            tally: Tally {
                likes: count_from(row.likes),
                dislikes: count_from(row.dislikes),
            },
            ready_at: row.ready_at,
            added_by: row.added_by.map(ParticipantId::from_uuid),
            info: None,
        },
        arrived: row.created_at.timestamp_micros(),
        ready_order: row.ready_order,
    })
}
