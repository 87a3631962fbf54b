//! `GET /api/v1/rooms/{code}/events`: the room's events over a WebSocket (WS-1).
//!
//! On connect the server sends every event after `?after={seq}` (from the snapshot), then live
//! events as they happen, each as JSON with `type` and `seq`. A browser page from another origin
//! is refused; frames over 64 KiB close the socket; a client that falls too far behind is dropped
//! rather than slowing the room. The socket closes when the room closes, when the host removes
//! its participant or they leave (events of the room), and when its session is logged out or
//! revoked (announced by storage, from any process) or expires. An open socket does no periodic
//! work and never keeps an idle session alive: it checks its session once, when the session
//! would expire if unused meanwhile.

use std::time::Duration;

use futures_util::{SinkExt as _, StreamExt as _};
use poem::Request;
use poem::http::StatusCode;
use poem::web::websocket::{BoxWebSocketUpgraded, CloseCode, Message, WebSocket, WebSocketConfig};
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, OpenApi, Tags};
use serde_json::{Value, json};
use soiree_kernel::{Timestamp, TrackInfo, TrackRef};
use soiree_rooms::{
    FollowRoomError, GuestToken, ParticipantId, RoomCode, RoomEvent, RoomEventKind,
};
use soiree_users::Authenticated;
use tokio::sync::broadcast::error::RecvError;

use super::playback::describe;
use crate::cookie::SESSION_COOKIE_NAME;
use crate::party::SessionEnded;
use crate::party::hub::SOCKETS_PER_PARTICIPANT;
use crate::problem::{Problem, capitalised, problem_variants};
use crate::room_auth::{RoomAuth, RoomCaller};
use crate::state::AppState;

/// The largest frame or message a client may send.
const MAX_FRAME_BYTES: usize = 64 * 1024;
/// How much a socket reads from the network at a time. Clients only listen, so a small buffer is
/// plenty, and it is most of what an idle socket costs (tungstenite's default is 128 KiB).
const READ_BUFFER_BYTES: usize = 4 * 1024;
/// How much unsent data a socket may hold before it is dropped as too slow.
const MAX_UNSENT_BYTES: usize = 256 * 1024;

#[derive(Tags)]
enum RoomEventTags {
    /// Party rooms: join with a code, vote, and let the winners play.
    Rooms,
}

/// Why the socket was not opened.
#[derive(ApiResponse)]
#[oai(bad_request_handler = "EventsRefused::bad_request_handler")]
pub(crate) enum EventsRefused {
    /// `bad_request`: `after` is not a whole number, or the request is not a WebSocket upgrade.
    #[oai(status = 400, content_type = "application/problem+json")]
    BadRequest(Json<Problem>),
    /// `unauthenticated`: no valid session or guest token.
    #[oai(status = 401, content_type = "application/problem+json")]
    Unauthenticated(Json<Problem>),
    /// `origin_not_allowed` (a page from another site), `not_a_participant`.
    #[oai(status = 403, content_type = "application/problem+json")]
    Forbidden(Json<Problem>),
    /// `room_not_found`.
    #[oai(status = 404, content_type = "application/problem+json")]
    NotFound(Json<Problem>),
    /// `room_closed`.
    #[oai(status = 409, content_type = "application/problem+json")]
    Conflict(Json<Problem>),
    /// `too_many_sockets`: this participant has as many live connections open as allowed.
    #[oai(status = 429, content_type = "application/problem+json")]
    TooMany(Json<Problem>),
    /// `internal_error`.
    #[oai(status = 500, content_type = "application/problem+json")]
    Internal(Json<Problem>),
}

problem_variants!(EventsRefused {
    400 => BadRequest, 401 => Unauthenticated, 403 => Forbidden, 404 => NotFound,
    409 => Conflict, 429 => TooMany, 500 => Internal,
});

impl From<FollowRoomError> for EventsRefused {
    fn from(error: FollowRoomError) -> Self {
        let (status, code, title) = match error {
            FollowRoomError::NotFound => (StatusCode::NOT_FOUND, "room_not_found", "No such room"),
            FollowRoomError::Closed => (StatusCode::CONFLICT, "room_closed", "Room closed"),
            FollowRoomError::NotParticipant => (
                StatusCode::FORBIDDEN,
                "not_a_participant",
                "Not in this room",
            ),
            FollowRoomError::Unknown(error) => {
                return Self::from_problem(Problem::internal(&format!("{error:#}")));
            }
        };
        Self::from_problem(Problem::new(status, code, title, capitalised(&error)))
    }
}

/// A track's details as events carry them (`track`), the same fields as in queues.
pub(crate) fn track_json(info: &TrackInfo) -> Value {
    let mut track = json!({
        "uri": info.track.as_str(), "title": info.title, "artists": info.artists,
        "duration_ms": info.duration_ms,
    });
    if let Some(object) = track.as_object_mut() {
        if let Some(album) = &info.album {
            object.insert("album".into(), json!(album));
        }
        if let Some(artwork) = &info.artwork_url {
            object.insert("artwork_url".into(), json!(artwork));
        }
    }
    track
}

/// A room event as clients receive it, with its track's details when they are known.
pub(crate) fn event_json(event: &RoomEvent, info: Option<&TrackInfo>) -> Value {
    let mut body =
        json!({ "type": event.kind.name(), "seq": event.seq, "at": event.at.to_rfc3339() });
    if let (Some(info), Some(object)) = (info, body.as_object_mut()) {
        object.insert("track".into(), track_json(info));
    }
    let fields = match &event.kind {
        RoomEventKind::ParticipantJoined {
            participant_id,
            display_name,
        } => {
            json!({ "participant_id": participant_id.to_string(), "display_name": display_name })
        }
        RoomEventKind::ParticipantLeft {
            participant_id,
            kicked,
        } => {
            json!({ "participant_id": participant_id.to_string(), "kicked": kicked })
        }
        RoomEventKind::VoteTallied {
            track,
            likes,
            dislikes,
            like_threshold,
            state,
        } => json!({
            "track_uri": track.as_str(), "likes": likes, "dislikes": dislikes,
            "like_threshold": like_threshold, "track_state": state.as_str(),
        }),
        RoomEventKind::TrackReady { track } | RoomEventKind::NowPlaying { track } => {
            json!({ "track_uri": track.as_str() })
        }
        RoomEventKind::SkipTallied {
            track,
            skips,
            needed,
        } => {
            json!({ "track_uri": track.as_str(), "skips": skips, "needed": needed })
        }
        RoomEventKind::PlaybackFailed { track, failure } => {
            let described = describe(*failure);
            json!({
                "track_uri": track.as_ref().map(|track| track.as_str()),
                "code": failure.code(),
                "message": described.detail,
                "retry_after_seconds": failure.retry_after().map(|wait| wait.as_secs().max(1)),
            })
        }
        RoomEventKind::RoomUpdated | RoomEventKind::RoomClosed => json!({}),
    };
    if let (Some(body), Some(fields)) = (body.as_object_mut(), fields.as_object()) {
        body.extend(
            fields
                .iter()
                .filter(|(_, value)| !value.is_null())
                .map(|(key, value)| (key.clone(), value.clone())),
        );
    }
    body
}

/// The room's live events.
pub(crate) struct RoomEventsApi {
    pub(crate) state: AppState,
}

/// The session token the caller presented, to check again when it would expire.
fn presented_session_token(request: &Request) -> Option<String> {
    let bearer = request
        .headers()
        .get(poem::http::header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .filter(|token| !GuestToken::looks_like(token))
        .map(str::to_owned);
    bearer.or_else(|| {
        request
            .cookie()
            .get(SESSION_COOKIE_NAME)
            .map(|cookie| cookie.value_str().to_owned())
    })
}

/// What ends a signed-in caller's socket besides the room: their session.
struct SessionWatch {
    caller: Authenticated,
    token: Option<String>,
    ends: tokio::sync::broadcast::Receiver<SessionEnded>,
}

impl SessionWatch {
    /// When the session ends at the latest if nobody uses it: its absolute limit, or its idle
    /// limit counted from its last use.
    fn expiry(&self, state: &AppState) -> Timestamp {
        let session = &self.caller.session;
        let idle = state.users.session_policy().idle_timeout;
        session.expires_at.min(session.last_seen_at + idle)
    }

    fn ended_by(&self, ended: SessionEnded) -> bool {
        match ended {
            SessionEnded::One(session) => session == self.caller.session.id,
            SessionEnded::AllOf(user) => user == self.caller.user.id,
        }
    }
}

/// Sleeps until `at` (wall clock), or forever when there is nothing to wait for.
async fn until(at: Option<Timestamp>) {
    match at {
        Some(at) => {
            let wait = (at - chrono::Utc::now()).to_std().unwrap_or(Duration::ZERO);
            tokio::time::sleep(wait).await;
        }
        None => std::future::pending().await,
    }
}

/// The next session end announced, or never for guests.
async fn session_end(watch: Option<&mut SessionWatch>) -> Result<SessionEnded, RecvError> {
    match watch {
        Some(watch) => watch.ends.recv().await,
        None => std::future::pending().await,
    }
}

#[OpenApi(prefix_path = "/api/v1/rooms", tag = "RoomEventTags::Rooms")]
impl RoomEventsApi {
    /// The room's events over a WebSocket, from `after` (the snapshot's `last_seq`) onwards.
    ///
    /// Each message is JSON with `type` (`participant_joined`, `participant_left`,
    /// `vote_tallied`, `track_ready`, `skip_tallied`, `now_playing`, `playback_failed`,
    /// `room_updated`, `room_closed`) and `seq`.
    #[oai(path = "/:code/events", method = "get")]
    async fn events(
        &self,
        request: &Request,
        auth: RoomAuth,
        code: Path<String>,
        after: Query<Option<u64>>,
        websocket: WebSocket,
    ) -> Result<BoxWebSocketUpgraded, EventsRefused> {
        if let Some(origin) = request
            .headers()
            .get(poem::http::header::ORIGIN)
            .and_then(|value| value.to_str().ok())
            && origin.trim_end_matches('/') != self.state.public_origin
        {
            return Err(EventsRefused::from_problem(Problem::new(
                StatusCode::FORBIDDEN,
                "origin_not_allowed",
                "Origin not allowed",
                "Live room events are served to Soirée's own pages only.",
            )));
        }
        let code = RoomCode::parse(&code).map_err(|_| FollowRoomError::NotFound)?;
        let caller = auth.caller().clone();
        let access = self.state.rooms.follow(&code, caller.viewer()).await?;
        let participant: ParticipantId = access.participant().id;
        // Subscribe before reading the backlog, so that nothing falls between the two.
        let mut live = self
            .state
            .events
            .subscribe(access.room().id, participant)
            .await
            .map_err(|error| {
                EventsRefused::from_problem(Problem::internal(&format!("{error:#}")))
            })?
            .ok_or_else(|| {
                EventsRefused::from_problem(Problem::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "too_many_sockets",
                    "Too many connections",
                    format!(
                        "You have {SOCKETS_PER_PARTICIPANT} live connections to this room open already; close a tab or a screen and try again."
                    ),
                ))
            })?;
        let after = after.0.unwrap_or(0);
        let backlog = self
            .state
            .rooms
            .events_after(&access, after, 10_000)
            .await
            .map_err(|error| {
                EventsRefused::from_problem(Problem::internal(&format!("{error:#}")))
            })?;
        let backlog_tracks: Vec<TrackRef> = backlog
            .iter()
            .filter_map(|event| event.kind.track().cloned())
            .collect();
        let details = self
            .state
            .tracks
            .get(&backlog_tracks)
            .await
            .map_err(|error| {
                EventsRefused::from_problem(Problem::internal(&format!("{error:#}")))
            })?;
        let mut session = match caller {
            RoomCaller::User(caller) => Some(SessionWatch {
                caller: *caller,
                token: presented_session_token(request),
                ends: self.state.session_ends.subscribe(),
            }),
            RoomCaller::Guest(_) => None,
        };
        let state = self.state.clone();
        let sockets = std::sync::Arc::clone(&self.state.metrics);
        let mut stopping = self.state.stopping.clone();
        let ping_every = self.state.socket_ping_every;
        let config = WebSocketConfig::default()
            .read_buffer_size(READ_BUFFER_BYTES)
            .write_buffer_size(0)
            .max_write_buffer_size(MAX_UNSENT_BYTES)
            .max_frame_size(Some(MAX_FRAME_BYTES))
            .max_message_size(Some(MAX_FRAME_BYTES));
        Ok(websocket
            .config(config)
            .on_upgrade(move |mut socket| async move {
                // Counted as open for as long as this task runs.
                let _open = sockets.socket_opened();
                // One stream, not split in two: a split half takes a lock at every poll, and a
                // room's event wakes every socket of the room at once.
                let close = |code: CloseCode, reason: &str| Message::Close(Some((code, reason.to_owned())));
                let mut last = after;
                for event in backlog {
                    last = event.seq;
                    let info = event.kind.track().and_then(|track| details.get(track));
                    if socket.send(Message::Text(event_json(&event, info).to_string())).await.is_err() {
                        return;
                    }
                    if event.kind.ends_feed_of(participant) {
                        let _ = socket.send(close(CloseCode::Normal, "your time in the room is over")).await;
                        return;
                    }
                }
                let mut expiry = session.as_ref().map(|watch| watch.expiry(&state));
                // A ping now and then keeps a quiet room's socket open through the server's idle
                // timeout (and through proxies'), and finds connections that died silently.
                let mut pings = tokio::time::interval_at(
                    tokio::time::Instant::now() + ping_every,
                    ping_every,
                );
                pings.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                loop {
                    tokio::select! {
                        // Events first: they are what a socket is for.
                        biased;
                        event = live.events.recv() => match event {
                            Ok(event) if event.seq <= last => {}
                            Ok(event) => {
                                last = event.seq;
                                if socket.send(Message::Text(event.text.clone())).await.is_err() {
                                    break;
                                }
                                if event.ends_feed_of(participant) {
                                    let _ = socket.send(close(CloseCode::Normal, "your time in the room is over")).await;
                                    break;
                                }
                            }
                            Err(RecvError::Lagged(_)) => {
                                let _ = socket.send(close(CloseCode::Policy, "too slow; reconnect and catch up from the snapshot")).await;
                                break;
                            }
                            Err(RecvError::Closed) => break,
                        },
                        message = socket.next() => match message {
                            // Clients only listen; anything they send is ignored, and an
                            // oversized frame is an error that ends the connection.
                            Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break,
                            Some(Ok(_)) => {}
                        },
                        ended = session_end(session.as_mut()) => {
                            let over = match ended {
                                Ok(ended) => session.as_ref().is_some_and(|watch| watch.ended_by(ended)),
                                // Some announcements were missed: check this session directly.
                                Err(RecvError::Lagged(_)) => still_active(&state, session.as_ref()).await.is_none(),
                                Err(RecvError::Closed) => false,
                            };
                            if over {
                                let _ = socket.send(close(CloseCode::Policy, "logged out")).await;
                                break;
                            }
                        },
                        // The server is shutting down: "going away" tells the page to reconnect,
                        // which reaches another instance, or this one once it is back.
                        _ = pings.tick() => {
                            if socket.send(Message::Ping(Vec::new())).await.is_err() {
                                break;
                            }
                        },
                        () = server_stopping(&mut stopping) => {
                            let _ = socket.send(close(CloseCode::Away, "the server is restarting; reconnect in a moment")).await;
                            break;
                        },
                        () = until(expiry) => {
                            match still_active(&state, session.as_ref()).await {
                                Some(caller) => {
                                    if let Some(watch) = session.as_mut() {
                                        watch.caller = caller;
                                        expiry = Some(watch.expiry(&state));
                                    }
                                }
                                None => {
                                    let _ = socket.send(close(CloseCode::Policy, "the session expired; log in again")).await;
                                    break;
                                }
                            }
                        },
                    }
                }
            })
            .boxed())
    }
}

/// Resolves once the server starts shutting down (or has gone).
async fn server_stopping(stopping: &mut tokio::sync::watch::Receiver<bool>) {
    loop {
        if *stopping.borrow_and_update() {
            return;
        }
        if stopping.changed().await.is_err() {
            return;
        }
    }
}

/// The caller's session if it is still active, checked without counting as a use of it.
async fn still_active(state: &AppState, watch: Option<&SessionWatch>) -> Option<Authenticated> {
    let token = watch?.token.as_deref()?;
    state.users.still_active(token).await.ok()
}
