//! Changes other parts of the app must hear about, from this process and (on PostgreSQL) from
//! every other process sharing the database: new room events, revoked sessions.
//!
//! On PostgreSQL each change is announced with `NOTIFY soiree_changes, '...'` inside the
//! transaction that makes it, so it is heard exactly when it commits, and every process listens.
//! On SQLite one process owns the database and the announcement goes through an in-process
//! channel. Announcements are small (what changed, never data): listeners read the rest.

use anyhow::Context as _;
use sea_orm::sqlx::postgres::PgListener;
use sea_orm::{ConnectionTrait, DatabaseBackend, Statement};
use soiree_kernel::UserId;
use soiree_rooms::RoomId;
use soiree_users::SessionId;
use tokio::sync::broadcast;
use uuid::Uuid;

use crate::{Backend, Database};

/// The PostgreSQL channel changes are announced on.
const CHANNEL: &str = "soiree_changes";
/// Announcements an in-process listener may fall behind by before it misses some.
const LOCAL_CAPACITY: usize = 1024;

/// Something that changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// A room's log grew up to `last_seq` (announced on PostgreSQL only: on SQLite the process
    /// that appended is the only one, and delivers its own events).
    RoomEvents {
        /// The room.
        room: RoomId,
        /// Its last event now.
        last_seq: u64,
    },
    /// A session was revoked (logout).
    SessionRevoked(SessionId),
    /// Every session of an account was revoked.
    SessionsOfUserRevoked(UserId),
}

impl Change {
    fn payload(&self) -> String {
        match self {
            Change::RoomEvents { room, last_seq } => format!("room:{room}:{last_seq}"),
            Change::SessionRevoked(session) => format!("session:{}", session.as_uuid()),
            Change::SessionsOfUserRevoked(user) => format!("user:{user}"),
        }
    }

    fn parse(payload: &str) -> Option<Self> {
        let mut parts = payload.split(':');
        let kind = parts.next()?;
        let id = Uuid::parse_str(parts.next()?).ok()?;
        Some(match kind {
            "room" => Change::RoomEvents {
                room: RoomId::from_uuid(id),
                last_seq: parts.next()?.parse().ok()?,
            },
            "session" => Change::SessionRevoked(SessionId::from_uuid(id)),
            "user" => Change::SessionsOfUserRevoked(UserId::from_uuid(id)),
            _ => return None,
        })
    }
}

/// Where repositories announce their changes.
#[derive(Debug, Clone)]
pub(crate) struct Announcer {
    backend: Backend,
    local: broadcast::Sender<Change>,
}

impl Announcer {
    pub(crate) fn new(backend: Backend) -> Self {
        Self {
            backend,
            local: broadcast::channel(LOCAL_CAPACITY).0,
        }
    }

    /// Announces `change` as part of the transaction `db` (PostgreSQL: heard at commit).
    pub(crate) async fn within(
        &self,
        db: &impl ConnectionTrait,
        change: Change,
    ) -> anyhow::Result<()> {
        if self.backend == Backend::Postgres {
            db.execute_raw(Statement::from_sql_and_values(
                DatabaseBackend::Postgres,
                "SELECT pg_notify($1, $2)",
                [CHANNEL.into(), change.payload().into()],
            ))
            .await
            .context("announcing a change")?;
        }
        Ok(())
    }

    /// Announces `change` to this process once it is committed (SQLite: the only process).
    pub(crate) fn committed(&self, change: Change) {
        if self.backend == Backend::Sqlite {
            // Nobody listening is fine: there is nobody to tell.
            let _ = self.local.send(change);
        }
    }
}

/// The changes announced by every process (PostgreSQL) or by this one (SQLite).
#[derive(Debug)]
pub struct ChangeFeed {
    source: Source,
}

#[derive(Debug)]
enum Source {
    Postgres(Box<PgListener>),
    Local(broadcast::Receiver<Change>),
}

impl ChangeFeed {
    /// The next change. On PostgreSQL the listener reconnects by itself after a dropped
    /// connection; changes announced meanwhile are lost, which is why every cache they keep
    /// fresh also expires on its own within seconds. An in-process listener that fell behind
    /// skips what it missed, for the same reason.
    pub async fn next(&mut self) -> anyhow::Result<Change> {
        loop {
            match &mut self.source {
                Source::Postgres(listener) => {
                    let notification = listener.recv().await.context("listening for changes")?;
                    if let Some(change) = Change::parse(notification.payload()) {
                        return Ok(change);
                    }
                }
                Source::Local(receiver) => match receiver.recv().await {
                    Ok(change) => return Ok(change),
                    Err(broadcast::error::RecvError::Lagged(_)) => continue,
                    Err(broadcast::error::RecvError::Closed) => {
                        anyhow::bail!("the database was closed")
                    }
                },
            }
        }
    }
}

impl Database {
    /// Listens for changes announced from now on.
    pub async fn changes(&self) -> anyhow::Result<ChangeFeed> {
        let source = match self.backend() {
            Backend::Postgres => {
                let pool = self.connection.get_postgres_connection_pool();
                let mut listener = PgListener::connect_with(pool)
                    .await
                    .context("connecting a change listener")?;
                listener
                    .listen(CHANNEL)
                    .await
                    .context("listening for changes")?;
                Source::Postgres(Box::new(listener))
            }
            Backend::Sqlite => Source::Local(self.announcer.local.subscribe()),
        };
        Ok(ChangeFeed { source })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn announcements_read_back_as_what_was_announced() {
        let changes = [
            Change::RoomEvents {
                room: RoomId::generate(),
                last_seq: 42,
            },
            Change::SessionRevoked(SessionId::generate()),
            Change::SessionsOfUserRevoked(UserId::generate()),
        ];
        for change in changes {
            assert_eq!(Change::parse(&change.payload()), Some(change));
        }
        assert_eq!(Change::parse("room:nonsense"), None);
    }
}
