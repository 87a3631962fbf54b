//! The app's side of party rooms: adapters for the rooms and voting ports ([`ports`]), live
//! delivery of room events ([`hub`]), and the background tasks the server spawns: the party
//! loop, the listener of changes made by other processes, and presence for open sockets.

pub(crate) mod hub;
pub(crate) mod ports;

use std::sync::Arc;
use std::time::Duration;

use soiree_kernel::UserId;
use soiree_rooms::RoomsService;
use soiree_storage::{Change, ChangeFeed};
use soiree_users::{SessionId, UsersService};
use soiree_voting::PartyPlayer;
use tokio::sync::{Notify, broadcast};
use tokio::task::JoinHandle;

pub(crate) use hub::EventHub;

/// How often the party loop looks for due rooms when nothing wakes it.
const PARTY_SWEEP: Duration = Duration::from_secs(1);
/// How often open sockets count as a sign of life of their participants (presence lasts three
/// minutes, so this keeps a listener present with one write per room, not per socket).
const PRESENCE_BEAT: Duration = Duration::from_secs(60);

/// A session, or every session of an account, that ended (logout, revocation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SessionEnded {
    One(SessionId),
    AllOf(UserId),
}

/// Tells open sockets that sessions ended, so that they close at once.
#[derive(Debug, Clone)]
pub(crate) struct SessionEnds(broadcast::Sender<SessionEnded>);

impl SessionEnds {
    pub(crate) fn new() -> Self {
        Self(broadcast::channel(1024).0)
    }

    pub(crate) fn subscribe(&self) -> broadcast::Receiver<SessionEnded> {
        self.0.subscribe()
    }

    fn ended(&self, ended: SessionEnded) {
        // No socket open is fine.
        let _ = self.0.send(ended);
    }
}

/// Runs the player of every due room whose lease this process holds or can take: every second,
/// and at once when woken (a track became ready here).
pub(crate) fn spawn_party_loop(party: Arc<PartyPlayer>, wake: Arc<Notify>) -> JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            tokio::select! {
                () = tokio::time::sleep(PARTY_SWEEP) => {}
                () = wake.notified() => {}
            }
            if let Err(error) = party.run_due().await {
                tracing::warn!(error = format!("{error:#}"), "the party loop failed a pass");
            }
        }
    })
}

/// Passes on what other processes (PostgreSQL) or this one's storage announce: new room events
/// to the hub, revoked sessions to the users service's cache and to open sockets.
pub(crate) fn spawn_change_listener(
    mut feed: ChangeFeed,
    hub: EventHub,
    users: Arc<UsersService>,
    ends: SessionEnds,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            match feed.next().await {
                Ok(Change::RoomEvents { room, last_seq }) => hub.announced(room, last_seq),
                Ok(Change::SessionRevoked(session)) => {
                    users.forget_session(session);
                    ends.ended(SessionEnded::One(session));
                }
                Ok(Change::SessionsOfUserRevoked(user)) => {
                    users.forget_user(user);
                    ends.ended(SessionEnded::AllOf(user));
                }
                Err(error) => {
                    tracing::warn!(
                        error = format!("{error:#}"),
                        "listening for changes interrupted; retrying"
                    );
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }
        }
    })
}

/// Keeps participants with an open socket present: one write per room a minute.
pub(crate) fn spawn_presence(hub: EventHub, rooms: Arc<RoomsService>) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut beat = tokio::time::interval(PRESENCE_BEAT);
        beat.tick().await;
        loop {
            beat.tick().await;
            for (room, participants) in hub.listening() {
                if let Err(error) = rooms.still_present(room, &participants).await {
                    tracing::warn!(error = format!("{error:#}"), "recording presence failed");
                }
            }
        }
    })
}
