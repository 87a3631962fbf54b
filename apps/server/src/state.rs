//! What every handler can reach: the services, wired once at start-up.

use std::sync::Arc;

use soiree_connections::{ConnectionsService, PlayerService};
use soiree_rooms::RoomsService;
use soiree_voting::VotingService;

use crate::party::{EventHub, SessionEnds};
use soiree_storage::Database;
use soiree_users::UsersService;

use crate::cookie::SessionCookie;

/// Shared, cheaply cloned application state.
#[derive(Debug, Clone)]
pub(crate) struct AppState {
    pub(crate) users: Arc<UsersService>,
    pub(crate) database: Database,
    pub(crate) session_cookie: SessionCookie,
    pub(crate) connections: Arc<ConnectionsService>,
    pub(crate) player: Arc<PlayerService>,
    pub(crate) rooms: Arc<RoomsService>,
    pub(crate) voting: Arc<VotingService>,
    pub(crate) events: EventHub,
    /// What is known of tracks, shared with the voting service and the event hub.
    pub(crate) tracks: Arc<soiree_voting::TrackDirectory>,
    /// Tells open sockets that sessions ended.
    pub(crate) session_ends: SessionEnds,
    /// `scheme://host[:port]` of the public URL, the only Origin allowed on WebSockets.
    pub(crate) public_origin: String,
    /// Every rate limit, counted where all processes see the counts.
    pub(crate) limits: soiree_tiers::RateLimits,
    /// Accounts' tiers and what they allow.
    pub(crate) tiers: Arc<soiree_tiers::TiersService>,
    /// Daily counts for the operator's reports.
    pub(crate) tally: Arc<dyn soiree_kernel::Tally>,
    /// Proxies whose `X-Forwarded-For` names the client.
    pub(crate) trusted_proxies: Arc<[ipnet::IpNet]>,
    /// What `/metrics` exports.
    pub(crate) metrics: Arc<crate::metrics::Metrics>,
    /// How often room sockets are pinged: within the idle timeout, so that quiet rooms' sockets
    /// stay open.
    pub(crate) socket_ping_every: std::time::Duration,
    /// Becomes `true` when the server starts shutting down: sockets close with "going away".
    pub(crate) stopping: tokio::sync::watch::Receiver<bool>,
    /// The token `/metrics` asks for; without it, `/metrics` is off.
    pub(crate) metrics_token: Option<secrecy::SecretString>,
}
