//! The ballot writer's engine for SQLite: a connection of its own, driven synchronously on the
//! writer's thread. sqlx runs each SQLite statement on a worker thread and hands every statement
//! and every answer across threads; for a group of ballots that was a dozen round trips of two
//! thread switches each, which on a small machine took a millisecond. Here the same statements
//! run in-process, prepared once. rusqlite links the very SQLite library sqlx bundles.
//!
//! Values are written exactly as sqlx writes them (UUIDs as 16-byte blobs, instants as RFC 3339
//! text, booleans as 0 or 1), so everything else reads these rows through sea-orm unchanged.

use std::collections::hash_map::Entry;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context as _;
use chrono::{DateTime, SecondsFormat, Utc};
use rusqlite::{Connection, OpenFlags, OptionalExtension as _, TransactionBehavior, params};
use soiree_kernel::Timestamp;
use soiree_rooms::TrackState;
use soiree_voting::{Ballot, RecordBallotError, Recorded, Standing, Tally, Vote};
use uuid::Uuid;

use super::plan::{Stored, TrackRow, Writes, plan};
use crate::rooms::events::stored_form;
use crate::rooms::rows::{count_column, state_from};

/// How long the writer waits for another connection's write to finish.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// The file behind a `sqlite://path?options` URL, if it names one.
pub(crate) fn file_of(url: &str) -> Option<PathBuf> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or_default();
    (!path.is_empty() && !path.contains(":memory:")).then(|| PathBuf::from(path))
}

pub(super) fn open(path: &Path) -> anyhow::Result<Connection> {
    let connection = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_WRITE)
        .with_context(|| format!("opening {} for the ballot writer", path.display()))?;
    connection.busy_timeout(BUSY_TIMEOUT)?;
    connection.pragma_update(None, "foreign_keys", true)?;
    connection.pragma_update(None, "synchronous", "NORMAL")?;
    connection.set_prepared_statement_cache_capacity(64);
    Ok(connection)
}

fn instant(at: Timestamp) -> String {
    at.to_rfc3339_opts(SecondsFormat::AutoSi, false)
}

fn read_instant(text: Option<String>) -> anyhow::Result<Option<Timestamp>> {
    text.map(|text| {
        DateTime::parse_from_rfc3339(&text)
            .map(|at| at.with_timezone(&Utc))
            .with_context(|| format!("reading the stored instant {text:?}"))
    })
    .transpose()
}

fn read_uuid(bytes: Option<Vec<u8>>) -> anyhow::Result<Option<Uuid>> {
    bytes
        .map(|bytes| Uuid::from_slice(&bytes).context("reading a stored id"))
        .transpose()
}

/// Writes one group in one `BEGIN IMMEDIATE` transaction: the write lock is taken first, so what
/// is read after it is current.
pub(super) fn write(
    connection: &mut Connection,
    ballots: &[&Ballot],
) -> anyhow::Result<Vec<Result<Recorded, RecordBallotError>>> {
    let transaction = connection
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .context("starting a transaction for ballots")?;
    let stored = read_stored(&transaction, ballots)?;
    let (results, writes) = plan(ballots, &stored);
    write_all(&transaction, &writes)?;
    transaction.commit().context("committing ballots")?;
    Ok(results)
}

fn read_stored(connection: &Connection, ballots: &[&Ballot]) -> anyhow::Result<Stored> {
    let mut stored = Stored::default();
    let mut rooms = connection
        .prepare_cached("SELECT last_seq FROM rooms WHERE id = ?1 AND closed_at IS NULL")?;
    let mut participants = connection
        .prepare_cached("SELECT 1 FROM room_participants WHERE id = ?1 AND left_at IS NULL")?;
    let mut tracks = connection.prepare_cached(
        "SELECT state, likes, dislikes, added_by, created_at, ready_at, ready_order \
         FROM room_tracks WHERE room_id = ?1 AND track_uri = ?2",
    )?;
    let mut votes = connection.prepare_cached(
        "SELECT is_like FROM room_votes WHERE room_id = ?1 AND participant_id = ?2 AND track_uri = ?3",
    )?;
    for ballot in ballots {
        let room = ballot.room;
        let room_id = room.as_uuid();
        if let Entry::Vacant(slot) = stored.last_seq.entry(room) {
            let last: Option<i64> = rooms
                .query_row(params![room_id.as_bytes().as_slice()], |row| row.get(0))
                .optional()
                .context("reading a room for ballots")?;
            if let Some(last) = last {
                slot.insert(last);
            }
        }
        let participant = ballot.participant.as_uuid();
        if !stored.active.contains(&participant)
            && participants
                .exists(params![participant.as_bytes().as_slice()])
                .context("checking a voter is in their room")?
        {
            stored.active.insert(participant);
        }
        let uri = ballot.track.as_str();
        if let Entry::Vacant(slot) = stored.tracks.entry((room, uri.to_owned())) {
            let row = tracks
                .query_row(params![room_id.as_bytes().as_slice(), uri], |row| {
                    Ok((
                        row.get::<_, String>(0)?,
                        row.get::<_, i32>(1)?,
                        row.get::<_, i32>(2)?,
                        row.get::<_, Option<Vec<u8>>>(3)?,
                        row.get::<_, String>(4)?,
                        row.get::<_, Option<String>>(5)?,
                        row.get::<_, Option<i64>>(6)?,
                    ))
                })
                .optional()
                .context("reading a track's counters")?;
            if let Some((state, likes, dislikes, added_by, created_at, ready_at, ready_order)) = row
            {
                let track = TrackRow {
                    standing: Standing {
                        tally: Tally {
                            likes: u32::try_from(likes).unwrap_or(0),
                            dislikes: u32::try_from(dislikes).unwrap_or(0),
                        },
                        state: state_from(&state)?,
                    },
                    added_by: read_uuid(added_by)?,
                    created_at: read_instant(Some(created_at))?.unwrap_or_default(),
                    ready_at: read_instant(ready_at)?,
                    ready_order,
                };
                slot.insert(track);
            }
        }
        if let Entry::Vacant(slot) = stored.votes.entry((room, participant, uri.to_owned())) {
            let vote: Option<bool> = votes
                .query_row(
                    params![
                        room_id.as_bytes().as_slice(),
                        participant.as_bytes().as_slice(),
                        uri
                    ],
                    |row| row.get(0),
                )
                .optional()
                .context("reading a voter's vote")?;
            if let Some(like) = vote {
                let vote = if like { Vote::Like } else { Vote::Dislike };
                slot.insert(vote);
            }
        }
    }
    Ok(stored)
}

fn write_all(connection: &Connection, writes: &Writes) -> anyhow::Result<()> {
    let mut tracks = connection.prepare_cached(
        "INSERT INTO room_tracks \
         (room_id, track_uri, state, added_by, created_at, ready_at, ready_order, likes, dislikes) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) \
         ON CONFLICT (room_id, track_uri) DO UPDATE SET \
         likes = excluded.likes, dislikes = excluded.dislikes, \
         state = CASE WHEN room_tracks.state = 'candidate' THEN excluded.state ELSE room_tracks.state END, \
         ready_at = CASE WHEN room_tracks.state = 'candidate' THEN excluded.ready_at ELSE room_tracks.ready_at END, \
         ready_order = CASE WHEN room_tracks.state = 'candidate' THEN excluded.ready_order ELSE room_tracks.ready_order END",
    )?;
    for ((room, uri), track) in &writes.tracks {
        let state: TrackState = track.standing.state;
        tracks
            .execute(params![
                room.as_uuid().as_bytes().as_slice(),
                uri,
                state.as_str(),
                track.added_by.map(|id| id.as_bytes().to_vec()),
                instant(track.created_at),
                track.ready_at.map(instant),
                track.ready_order,
                count_column(track.standing.tally.likes),
                count_column(track.standing.tally.dislikes),
            ])
            .context("storing a track's counters")?;
    }
    let mut cast = connection.prepare_cached(
        "INSERT INTO room_votes (room_id, participant_id, track_uri, is_like, cast_at) \
         VALUES (?1, ?2, ?3, ?4, ?5) \
         ON CONFLICT (room_id, participant_id, track_uri) DO UPDATE SET \
         is_like = excluded.is_like, cast_at = excluded.cast_at",
    )?;
    let mut retract = connection.prepare_cached(
        "DELETE FROM room_votes WHERE room_id = ?1 AND participant_id = ?2 AND track_uri = ?3",
    )?;
    for ((room, participant, uri), write) in &writes.votes {
        let room = room.as_uuid();
        match write.vote {
            Some(vote) => cast.execute(params![
                room.as_bytes().as_slice(),
                participant.as_bytes().as_slice(),
                uri,
                vote == Vote::Like,
                instant(write.at),
            ]),
            None if write.stored => retract.execute(params![
                room.as_bytes().as_slice(),
                participant.as_bytes().as_slice(),
                uri
            ]),
            None => Ok(0),
        }
        .context("storing a vote")?;
    }
    let mut events = connection.prepare_cached(
        "INSERT INTO room_events (room_id, seq, kind, payload, at) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    let mut numbered = connection.prepare_cached("UPDATE rooms SET last_seq = ?2 WHERE id = ?1")?;
    for (room, room_events) in &writes.events {
        let room_id = room.as_uuid();
        for event in room_events {
            let (kind, payload) = stored_form(event)?;
            events
                .execute(params![
                    room_id.as_bytes().as_slice(),
                    i64::try_from(event.seq).unwrap_or(i64::MAX),
                    kind,
                    payload,
                    instant(event.at),
                ])
                .context("storing an event")?;
        }
        let last = writes.last_seq.get(room).copied().unwrap_or_default();
        numbered
            .execute(params![room_id.as_bytes().as_slice(), last])
            .context("numbering events")?;
    }
    let mut wake = connection.prepare_cached(
        "INSERT INTO room_players (room_id, next_look_at, woken) VALUES (?1, ?2, 1) \
         ON CONFLICT (room_id) DO UPDATE SET woken = 1, next_look_at = \
         CASE WHEN room_players.next_look_at IS NULL OR room_players.next_look_at > excluded.next_look_at \
         THEN excluded.next_look_at ELSE room_players.next_look_at END",
    )?;
    for (room, at) in &writes.woken {
        wake.execute(params![room.as_uuid().as_bytes().as_slice(), instant(*at)])
            .context("waking a room's player")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_files_are_written_directly() {
        let cases = [
            (
                "sqlite://./data/soiree.db?mode=rwc",
                Some("./data/soiree.db"),
            ),
            ("sqlite:/tmp/a.db", Some("/tmp/a.db")),
            ("sqlite::memory:", None),
            ("postgres://localhost/soiree", None),
        ];
        for (url, file) in cases {
            assert_eq!(file_of(url), file.map(PathBuf::from), "{url}");
        }
    }

    #[test]
    fn instants_are_written_as_sqlx_writes_them() {
        let at = DateTime::parse_from_rfc3339("2026-11-23T09:41:26.291118+00:00")
            .unwrap_or_default()
            .with_timezone(&Utc);
        assert_eq!(instant(at), "2026-11-23T09:41:26.291118+00:00");
        assert_eq!(read_instant(Some(instant(at))).ok().flatten(), Some(at));
    }
}
