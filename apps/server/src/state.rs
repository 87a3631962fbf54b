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
    /// What the rooms hold of one person, for their export and erasure.
    pub(crate) personal_rooms: Arc<dyn soiree_rooms::PersonalRoomData>,
    /// The music library and its folder's scan.
    pub(crate) library: crate::library::Library,
    /// The liked-track sync.
    pub(crate) sync: crate::sync::Sync,
    /// Insights and recommendations.
    pub(crate) insights: Arc<soiree_insights::InsightsService>,
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

impl AppState {
    /// Logs a security event the caller's request caused (a connection, credentials, a tier).
    /// A failure to log is reported, not passed on: the change itself was made.
    pub(crate) async fn log_security(
        &self,
        caller: &soiree_users::Authenticated,
        kind: soiree_users::SecurityEventKind,
        detail: &str,
    ) {
        self.log(caller.user.id, kind, &caller.session.client, detail)
            .await;
    }

    /// [`log_security`](Self::log_security) for an account other than the caller (an operator's
    /// change) or when only the account is known (a provider's callback).
    pub(crate) async fn log_security_of(
        &self,
        user: soiree_kernel::UserId,
        kind: soiree_users::SecurityEventKind,
        detail: &str,
    ) {
        self.log(user, kind, &soiree_users::ClientInfo::default(), detail)
            .await;
    }

    async fn log(
        &self,
        user: soiree_kernel::UserId,
        kind: soiree_users::SecurityEventKind,
        client: &soiree_users::ClientInfo,
        detail: &str,
    ) {
        if let Err(error) = self.users.record(user, kind, client, Some(detail)).await {
            tracing::warn!(
                error = format!("{error:#}"),
                kind = kind.as_str(),
                "security event not logged"
            );
        }
    }
}
