//! Votes: ballots written in groups (one transaction holds every ballot that arrived while the
//! previous group was being written: the votes, the tracks' counters and their events), and the
//! room's tracks.
//!
//! A ballot's caller waits until the transaction holding it has committed, so an acknowledged
//! vote survives a crash of the process. The group is serialised with every other writer of its
//! rooms: on PostgreSQL the transaction first locks each room's row ([`sea`]); on SQLite it
//! begins by taking the database's write lock ([`sqlite`]). What is read after that is current.
//! What each ballot does is worked out by [`plan`], the same for both.

mod plan;
mod sea;
mod sqlite;

use std::path::PathBuf;
use std::sync::OnceLock;

use anyhow::Context as _;
use async_trait::async_trait;
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveValue::Set, ColumnTrait as _, DatabaseConnection, EntityTrait as _, PaginatorTrait as _,
    QueryFilter as _,
};
use soiree_kernel::{Timestamp, TrackRef};
use soiree_rooms::{ParticipantId, RoomId, TrackState};
use soiree_voting::{Ballot, RecordBallotError, Recorded, RoomTrack, VoteRepository, order_queue};
use tokio::sync::{mpsc, oneshot};

use super::SqlRoomStore;
use super::rows::queue_entry_from_row;
use crate::changes::Announcer;
use crate::entity::{room_skip_votes, room_tracks};

pub(crate) use sqlite::file_of as sqlite_file;

/// The most ballots one transaction holds.
const MAX_GROUP: usize = 256;
/// Ballots waiting for the writer before callers wait to hand theirs over.
const QUEUE_CAPACITY: usize = 8192;

type Reply = oneshot::Sender<Result<Recorded, RecordBallotError>>;

struct Pending {
    ballot: Ballot,
    reply: Reply,
}

/// How the writer reaches the database.
enum Engine {
    /// SQLite, through a connection of the writer's own.
    Sqlite(rusqlite::Connection),
    /// PostgreSQL (or SQLite without a file to open), through sea-orm.
    Sea(sea::SeaWriter),
}

impl Engine {
    async fn write(
        &mut self,
        ballots: &[&Ballot],
    ) -> anyhow::Result<Vec<Result<Recorded, RecordBallotError>>> {
        match self {
            // Synchronous, on the writer's own thread: nothing else waits on it.
            Engine::Sqlite(connection) => sqlite::write(connection, ballots),
            Engine::Sea(writer) => writer.write(ballots).await,
        }
    }
}

/// Hands ballots to one writer thread, which writes them in groups.
pub(super) struct BallotWriter {
    sea: sea::SeaWriter,
    sqlite_file: Option<PathBuf>,
    /// Started at the first ballot.
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
    pub(super) fn new(
        connection: DatabaseConnection,
        announcer: Announcer,
        sqlite_file: Option<PathBuf>,
    ) -> Self {
        Self {
            sea: sea::SeaWriter {
                connection,
                announcer,
            },
            sqlite_file,
            sender: OnceLock::new(),
        }
    }

    async fn record(&self, ballot: Ballot) -> Result<Recorded, RecordBallotError> {
        let sender = self.sender.get_or_init(|| {
            let (sender, receiver) = mpsc::channel(QUEUE_CAPACITY);
            start(self.engine(), receiver);
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

    fn engine(&self) -> Engine {
        if let Some(file) = &self.sqlite_file {
            match sqlite::open(file) {
                Ok(connection) => return Engine::Sqlite(connection),
                Err(error) => tracing::warn!(
                    error = format!("{error:#}"),
                    "the ballot writer goes through the pool instead"
                ),
            }
        }
        Engine::Sea(self.sea.clone())
    }
}

/// Runs the writer on a thread of its own: each group makes a dozen round trips to the
/// database, and on the request runtime every one of them would wait its turn behind the HTTP
/// work of every connection. If that thread cannot be started, the writer runs on the request
/// runtime instead (slower under load, just as correct).
fn start(engine: Engine, receiver: mpsc::Receiver<Pending>) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build();
    let parts = match runtime {
        Ok(runtime) => {
            let slot = std::sync::Arc::new(std::sync::Mutex::new(Some((engine, receiver))));
            let taken = std::sync::Arc::clone(&slot);
            let spawned = std::thread::Builder::new()
                .name("soiree-ballots".to_owned())
                .spawn(move || {
                    let parts = taken
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner)
                        .take();
                    if let Some((engine, receiver)) = parts {
                        runtime.block_on(run(engine, receiver));
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
            Some((engine, receiver))
        }
    };
    if let Some((engine, receiver)) = parts {
        tokio::spawn(run(engine, receiver));
    }
}

/// Writes every ballot waiting, as one transaction, until no sender is left.
async fn run(mut engine: Engine, mut receiver: mpsc::Receiver<Pending>) {
    let mut group = Vec::with_capacity(MAX_GROUP);
    while receiver.recv_many(&mut group, MAX_GROUP).await > 0 {
        let ballots: Vec<&Ballot> = group.iter().map(|pending| &pending.ballot).collect();
        match engine.write(&ballots).await {
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
                    let result = match engine.write(&[&pending.ballot]).await {
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

    async fn played(&self, room: RoomId) -> anyhow::Result<Vec<RoomTrack>> {
        let rows = room_tracks::Entity::find()
            .filter(room_tracks::Column::RoomId.eq(room.as_uuid()))
            .filter(
                room_tracks::Column::State
                    .is_in([TrackState::Played.as_str(), TrackState::Playing.as_str()]),
            )
            .all(&self.connection)
            .await
            .context("loading the room's played tracks")?;
        let entries = rows
            .into_iter()
            .map(queue_entry_from_row)
            .collect::<anyhow::Result<Vec<_>>>()?;
        Ok(soiree_voting::played_in_order(entries))
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
