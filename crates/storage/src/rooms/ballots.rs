//! Votes: ballots written in groups (one transaction holds every ballot that arrived while the
//! previous group was being written: the votes, the tracks' counters and their events), and the
//! room's tracks.
//!
//! A ballot's caller waits until the transaction holding it has committed, so an acknowledged
//! vote survives a crash of the process. The group is serialised with every other writer of its
//! rooms by the first statement of the transaction, which locks each room's row (PostgreSQL) or
//! takes the database's write lock (SQLite); everything read after it is current.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::OnceLock;

use anyhow::Context as _;
use async_trait::async_trait;
use sea_orm::sea_query::{Expr, ExprTrait as _, OnConflict, Query};
use sea_orm::{
    ActiveValue::Set, ColumnTrait as _, ConnectionTrait as _, DatabaseConnection,
    DatabaseTransaction, EntityTrait as _, PaginatorTrait as _, QueryFilter as _, QuerySelect as _,
    TransactionTrait as _,
};
use soiree_kernel::{Timestamp, TrackRef};
use soiree_rooms::{ParticipantId, RoomEvent, RoomId, TrackState};
use soiree_voting::{
    Ballot, RecordBallotError, Recorded, RoomTrack, Standing, Tally, Vote, VoteOutcome,
    VoteRepository, count, order_queue,
};
use tokio::sync::{mpsc, oneshot};
use uuid::Uuid;

use super::SqlRoomStore;
use super::events::{announce_in, insert_in};
use super::players::wake_in;
use super::rows::{count_column, queue_entry_from_row, state_from};
use crate::changes::Announcer;
use crate::entity::{room_participants, room_skip_votes, room_tracks, room_votes, rooms};

/// The most ballots one transaction holds.
const MAX_GROUP: usize = 256;
/// Ballots waiting for the writer before callers wait to hand theirs over.
const QUEUE_CAPACITY: usize = 8192;

type Reply = oneshot::Sender<Result<Recorded, RecordBallotError>>;

struct Pending {
    ballot: Ballot,
    reply: Reply,
}

/// Hands ballots to one writer task, which writes them in groups.
pub(super) struct BallotWriter {
    group: GroupWriter,
    /// Started at the first ballot, on the runtime that sends it.
    sender: OnceLock<mpsc::Sender<Pending>>,
}

impl std::fmt::Debug for BallotWriter {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("BallotWriter")
            .finish_non_exhaustive()
    }
}

impl BallotWriter {
    pub(super) fn new(connection: DatabaseConnection, announcer: Announcer) -> Self {
        Self {
            group: GroupWriter {
                connection,
                announcer,
            },
            sender: OnceLock::new(),
        }
    }

    async fn record(&self, ballot: Ballot) -> Result<Recorded, RecordBallotError> {
        let sender = self.sender.get_or_init(|| {
            let (sender, receiver) = mpsc::channel(QUEUE_CAPACITY);
            start(self.group.clone(), receiver);
            sender
        });
        let (reply, answer) = oneshot::channel();
        sender
            .send(Pending { ballot, reply })
            .await
            .map_err(|_| anyhow::anyhow!("the ballot writer has stopped"))?;
        answer
            .await
            .map_err(|_| anyhow::anyhow!("the ballot writer stopped before answering"))?
    }
}

/// Runs the writer on a thread of its own: each group makes a dozen round trips to the
/// database, and on the request runtime every one of them would wait its turn behind the HTTP
/// work of every connection. If that thread cannot be started, the writer runs on the request
/// runtime instead (slower under load, just as correct).
fn start(writer: GroupWriter, receiver: mpsc::Receiver<Pending>) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build();
    let receiver = match runtime {
        Ok(runtime) => {
            let slot = std::sync::Arc::new(std::sync::Mutex::new(Some((writer, receiver))));
            let taken = std::sync::Arc::clone(&slot);
            let spawned = std::thread::Builder::new()
                .name("soiree-ballots".to_owned())
                .spawn(move || {
                    let parts = taken
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner)
                        .take();
                    if let Some((writer, receiver)) = parts {
                        runtime.block_on(run(writer, receiver));
                    }
                });
            match spawned {
                Ok(_) => return,
                Err(error) => {
                    tracing::warn!(%error, "no thread for the ballot writer; it shares the request runtime");
                    slot.lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner)
                        .take()
                }
            }
        }
        Err(error) => {
            tracing::warn!(%error, "no runtime for the ballot writer; it shares the request runtime");
            Some((writer, receiver))
        }
    };
    if let Some((writer, receiver)) = receiver {
        tokio::spawn(run(writer, receiver));
    }
}

/// Writes every ballot waiting, as one transaction, until no sender is left.
async fn run(writer: GroupWriter, mut receiver: mpsc::Receiver<Pending>) {
    let mut group = Vec::with_capacity(MAX_GROUP);
    while receiver.recv_many(&mut group, MAX_GROUP).await > 0 {
        let ballots: Vec<&Ballot> = group.iter().map(|pending| &pending.ballot).collect();
        match writer.write(&ballots).await {
            Ok(results) => {
                for (pending, result) in group.drain(..).zip(results) {
                    // A caller that went away still had its vote counted.
                    let _ = pending.reply.send(result);
                }
            }
            Err(error) if group.len() > 1 => {
                // One ballot may be what failed the group: each is written alone, so that the
                // others still count.
                tracing::warn!(
                    error = format!("{error:#}"),
                    ballots = group.len(),
                    "a group of ballots failed; writing them one by one"
                );
                for pending in group.drain(..) {
                    let result = match writer.write(&[&pending.ballot]).await {
                        Ok(mut results) => results
                            .pop()
                            .unwrap_or_else(|| Err(anyhow::anyhow!("no result").into())),
                        Err(error) => Err(error.into()),
                    };
                    let _ = pending.reply.send(result);
                }
            }
            Err(error) => {
                for pending in group.drain(..) {
                    let _ = pending
                        .reply
                        .send(Err(RecordBallotError::Unknown(anyhow::anyhow!(
                            "{error:#}"
                        ))));
                }
            }
        }
    }
}

#[derive(Debug, Clone)]
struct GroupWriter {
    connection: DatabaseConnection,
    announcer: Announcer,
}

/// A track as it will be written: its standing and the columns that order it.
#[derive(Debug, Clone)]
struct TrackWrite {
    standing: Standing,
    added_by: Option<Uuid>,
    created_at: Timestamp,
    ready_at: Option<Timestamp>,
    ready_order: Option<i64>,
}

/// A participant's vote as it will be written (`vote: None`: removed).
#[derive(Debug, Clone, Copy)]
struct VoteWrite {
    vote: Option<Vote>,
    at: Timestamp,
    stored: bool,
}

type TrackKey = (RoomId, String);
type VoteKey = (RoomId, Uuid, String);

/// What the group found stored, read once after the rooms are locked.
#[derive(Default)]
struct Stored {
    last_seq: HashMap<RoomId, i64>,
    active: HashSet<Uuid>,
    tracks: HashMap<TrackKey, TrackWrite>,
    votes: HashMap<VoteKey, Vote>,
}

/// What the group will write.
#[derive(Default)]
struct Writes {
    tracks: BTreeMap<TrackKey, TrackWrite>,
    votes: BTreeMap<VoteKey, VoteWrite>,
    events: BTreeMap<RoomId, Vec<RoomEvent>>,
    ready_order: HashMap<RoomId, i64>,
    woken: BTreeMap<RoomId, Timestamp>,
}

impl GroupWriter {
    async fn write(
        &self,
        ballots: &[&Ballot],
    ) -> anyhow::Result<Vec<Result<Recorded, RecordBallotError>>> {
        let transaction = self
            .connection
            .begin()
            .await
            .context("starting a transaction for ballots")?;
        let stored = read_stored(&transaction, ballots).await?;
        let mut writes = Writes::default();
        let mut last_seq = stored.last_seq.clone();
        let mut results = Vec::with_capacity(ballots.len());
        for ballot in ballots {
            let result = apply(&transaction, &stored, &mut writes, &mut last_seq, ballot).await?;
            results.push(result);
        }
        write_all(&transaction, &self.announcer, &writes, &last_seq).await?;
        transaction.commit().await.context("committing ballots")?;
        Ok(results)
    }
}

async fn read_stored(
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
            let write = TrackWrite {
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

/// Applies one ballot to what is stored and what the group wrote before it.
async fn apply(
    transaction: &DatabaseTransaction,
    stored: &Stored,
    writes: &mut Writes,
    last_seq: &mut HashMap<RoomId, i64>,
    ballot: &Ballot,
) -> anyhow::Result<Result<Recorded, RecordBallotError>> {
    let room = ballot.room;
    let participant = ballot.participant.as_uuid();
    let Some(seq) = last_seq.get_mut(&room) else {
        return Ok(Err(RecordBallotError::RoomClosed));
    };
    if !stored.active.contains(&participant) {
        return Ok(Err(RecordBallotError::NotParticipant));
    }
    let track_key = (room, ballot.track.as_str().to_owned());
    let vote_key = (room, participant, ballot.track.as_str().to_owned());
    let track = writes
        .tracks
        .get(&track_key)
        .or_else(|| stored.tracks.get(&track_key))
        .cloned()
        .unwrap_or(TrackWrite {
            standing: Standing::NEW,
            added_by: Some(participant),
            created_at: ballot.at,
            ready_at: None,
            ready_order: None,
        });
    let previous = match writes.votes.get(&vote_key) {
        Some(written) => written.vote,
        None => stored.votes.get(&vote_key).copied(),
    };
    let Ok(counted) = count(previous, track.standing, ballot.choice, ballot.likes_needed) else {
        return Ok(Err(RecordBallotError::NoVote));
    };
    let mut track = TrackWrite {
        standing: counted.standing,
        ..track
    };
    if counted.became_ready {
        let order = match writes.ready_order.get(&room) {
            Some(order) => *order,
            None => latest_ready_order(transaction, room).await?,
        } + 1;
        writes.ready_order.insert(room, order);
        track.ready_at = Some(ballot.at);
        track.ready_order = Some(order);
        writes.woken.entry(room).or_insert(ballot.at);
    }
    writes.tracks.insert(track_key, track);
    let stored_vote = stored.votes.contains_key(&vote_key);
    writes.votes.insert(
        vote_key,
        VoteWrite {
            vote: counted.vote,
            at: ballot.at,
            stored: stored_vote,
        },
    );
    let events: Vec<RoomEvent> = counted
        .events(&ballot.track, ballot.likes_needed)
        .into_iter()
        .map(|kind| {
            *seq += 1;
            RoomEvent {
                seq: u64::try_from(*seq).unwrap_or_default(),
                at: ballot.at,
                kind,
            }
        })
        .collect();
    writes
        .events
        .entry(room)
        .or_default()
        .extend(events.iter().cloned());
    Ok(Ok(Recorded {
        outcome: VoteOutcome {
            tally: counted.standing.tally,
            like_threshold: ballot.likes_needed,
            play: counted.became_ready,
            state: counted.standing.state,
        },
        events,
    }))
}

async fn latest_ready_order(
    transaction: &DatabaseTransaction,
    room: RoomId,
) -> anyhow::Result<i64> {
    let latest: Option<i64> = room_tracks::Entity::find()
        .select_only()
        .column_as(room_tracks::Column::ReadyOrder.max(), "latest")
        .filter(room_tracks::Column::RoomId.eq(room.as_uuid()))
        .into_tuple::<Option<i64>>()
        .one(transaction)
        .await
        .context("reading the readiness order")?
        .flatten();
    Ok(latest.unwrap_or(0))
}

/// Only a candidate moves, and only to ready: the player loop may have moved a track on since it
/// was read, and that move stands.
const KEEP_STATE_UNLESS_CANDIDATE: &str =
    "CASE WHEN room_tracks.state = 'candidate' THEN excluded.state ELSE room_tracks.state END";
const KEEP_READY_AT_UNLESS_CANDIDATE: &str = "CASE WHEN room_tracks.state = 'candidate' THEN excluded.ready_at ELSE room_tracks.ready_at END";
const KEEP_READY_ORDER_UNLESS_CANDIDATE: &str = "CASE WHEN room_tracks.state = 'candidate' THEN excluded.ready_order ELSE room_tracks.ready_order END";

async fn write_all(
    transaction: &DatabaseTransaction,
    announcer: &Announcer,
    writes: &Writes,
    last_seq: &HashMap<RoomId, i64>,
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
        let last = last_seq.get(room).copied().unwrap_or_default();
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

#[async_trait]
impl VoteRepository for SqlRoomStore {
    async fn record(&self, ballot: Ballot) -> Result<Recorded, RecordBallotError> {
        self.ballots.record(ballot).await
    }

    async fn transition(
        &self,
        room: RoomId,
        track: &TrackRef,
        from: TrackState,
        to: TrackState,
        _at: Timestamp,
    ) -> anyhow::Result<bool> {
        anyhow::ensure!(to != TrackState::Ready, "only a ballot makes a track ready");
        let result = room_tracks::Entity::update_many()
            .col_expr(room_tracks::Column::State, Expr::value(to.as_str()))
            .filter(room_tracks::Column::RoomId.eq(room.as_uuid()))
            .filter(room_tracks::Column::TrackUri.eq(track.as_str()))
            .filter(room_tracks::Column::State.eq(from.as_str()))
            .exec(&self.connection)
            .await
            .context("moving a track on")?;
        Ok(result.rows_affected == 1)
    }

    async fn queue(&self, room: RoomId) -> anyhow::Result<Vec<RoomTrack>> {
        let rows = room_tracks::Entity::find()
            .filter(room_tracks::Column::RoomId.eq(room.as_uuid()))
            .filter(room_tracks::Column::State.ne(TrackState::Played.as_str()))
            .all(&self.connection)
            .await
            .context("loading the room's tracks")?;
        let entries = rows
            .into_iter()
            .map(queue_entry_from_row)
            .collect::<anyhow::Result<Vec<_>>>()?;
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
