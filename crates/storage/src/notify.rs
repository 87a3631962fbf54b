//! Room events across processes (PostgreSQL only): every appended event is announced with
//! `NOTIFY soiree_room_events, '{room id}'` when its transaction commits, and each process
//! listens, so that a vote taken by one process reaches WebSockets served by another. The
//! notification carries only the room; listeners read what they missed from the event log.

use anyhow::Context as _;
use sea_orm::sqlx::postgres::PgListener;
use soiree_rooms::RoomId;
use uuid::Uuid;

use crate::{Backend, Database};

/// The channel room events are announced on.
pub(crate) const CHANNEL: &str = "soiree_room_events";

/// Announcements of new room events from every process.
#[derive(Debug)]
pub struct RoomEventListener {
    listener: PgListener,
}

impl RoomEventListener {
    /// The next room with new events. Reconnects by itself after a dropped connection (events
    /// announced meanwhile are caught up on by the next announcement or the next subscriber).
    pub async fn next(&mut self) -> anyhow::Result<RoomId> {
        loop {
            let notification = self
                .listener
                .recv()
                .await
                .context("listening for room events")?;
            if let Ok(room) = Uuid::parse_str(notification.payload()) {
                return Ok(RoomId::from_uuid(room));
            }
        }
    }
}

impl Database {
    /// Listens for room events announced by any process; `None` on SQLite, where one process
    /// owns the database and announces nothing.
    pub async fn room_event_listener(&self) -> anyhow::Result<Option<RoomEventListener>> {
        if self.backend() != Backend::Postgres {
            return Ok(None);
        }
        let pool = self.connection.get_postgres_connection_pool();
        let mut listener = PgListener::connect_with(pool)
            .await
            .context("connecting a room event listener")?;
        listener
            .listen(CHANNEL)
            .await
            .context("listening for room events")?;
        Ok(Some(RoomEventListener { listener }))
    }
}
