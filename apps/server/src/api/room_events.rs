//! `GET /api/v1/rooms/{code}/events`: the room's events over a WebSocket (WS-1).
//!
//! On connect the server sends every event after `?after={seq}` (from the snapshot), then live
//! events as they happen, each as JSON with `type` and `seq`. A browser page from another origin
//! is refused; frames over 64 KiB close the socket; a client that falls too far behind is dropped
//! rather than slowing the room; the socket closes when the room closes, or when the caller's
//! session ends or the host removes them (checked every two seconds).

use std::time::Duration;

use futures_util::{SinkExt as _, StreamExt as _};
use poem::Request;
use poem::http::StatusCode;
use poem::web::websocket::{BoxWebSocketUpgraded, CloseCode, Message, WebSocket, WebSocketConfig};
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, OpenApi, Tags};
use serde_json::{Value, json};
use soiree_rooms::{GuestToken, RoomCode, RoomError, RoomEvent, RoomEventKind};
use tokio::sync::broadcast::error::RecvError;

use super::rooms::room_problem;
use crate::cookie::SESSION_COOKIE_NAME;
use crate::problem::Problem;
use crate::room_auth::{GUEST_COOKIE_NAME, RoomAuth, RoomCaller};
use crate::state::AppState;

/// The largest frame or message a client may send.
const MAX_FRAME_BYTES: usize = 64 * 1024;
/// How often a connection re-checks that its caller may still listen.
const RECHECK: Duration = Duration::from_secs(2);

#[derive(Tags)]
enum RoomEventTags {
    /// Party rooms: join with a code, vote, and let the winners play.
    Rooms,
}

/// Why the socket was not opened.
#[derive(ApiResponse)]
enum EventsRefused {
    /// `origin_not_allowed` (a page from another site), `not_a_participant`.
    #[oai(status = 403, content_type = "application/problem+json")]
    Forbidden(Json<Problem>),
    /// `room_not_found`.
    #[oai(status = 404, content_type = "application/problem+json")]
    NotFound(Json<Problem>),
    /// `room_closed`.
    #[oai(status = 409, content_type = "application/problem+json")]
    Conflict(Json<Problem>),
    /// `internal_error`.
    #[oai(status = 500, content_type = "application/problem+json")]
    Internal(Json<Problem>),
}

impl EventsRefused {
    fn from_problem(problem: Problem) -> Self {
        match problem.status {
            403 => Self::Forbidden(problem.json()),
            404 => Self::NotFound(problem.json()),
            409 => Self::Conflict(problem.json()),
            _ => Self::Internal(problem.json()),
        }
    }
}

/// A room event as clients receive it.
pub(crate) fn event_json(event: &RoomEvent) -> Value {
    let mut body =
        json!({ "type": event.kind.name(), "seq": event.seq, "at": event.at.to_rfc3339() });
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
        RoomEventKind::PlaybackFailed {
            track,
            code,
            message,
        } => {
            json!({ "track_uri": track.as_ref().map(|track| track.as_str()), "code": code, "message": message })
        }
        RoomEventKind::RoomUpdated | RoomEventKind::RoomClosed => json!({}),
    };
    if let (Some(body), Some(fields)) = (body.as_object_mut(), fields.as_object()) {
        body.extend(fields.clone());
    }
    body
}

/// The room's live events.
pub(crate) struct RoomEventsApi {
    pub(crate) state: AppState,
}

/// The token the caller presented, to re-check while the socket lives.
fn presented_token(request: &Request, caller: &RoomCaller) -> Option<String> {
    let bearer = request
        .headers()
        .get(poem::http::header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .map(str::to_owned);
    let cookie = match caller {
        RoomCaller::User(_) => SESSION_COOKIE_NAME,
        RoomCaller::Guest(_) => GUEST_COOKIE_NAME,
    };
    bearer
        .filter(|token| GuestToken::looks_like(token) == matches!(caller, RoomCaller::Guest(_)))
        .or_else(|| {
            request
                .cookie()
                .get(cookie)
                .map(|cookie| cookie.value_str().to_owned())
        })
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
        let room = match RoomCode::parse(&code) {
            Ok(code) => self.state.rooms.room(&code).await,
            Err(_) => Err(RoomError::NotFound),
        };
        let room = room.map_err(|error| EventsRefused::from_problem(room_problem(error)))?;
        if !room.is_open() {
            return Err(EventsRefused::from_problem(room_problem(RoomError::Closed)));
        }
        let caller = auth.caller().clone();
        self.state
            .rooms
            .participant(&room, caller.viewer())
            .await
            .map_err(|error| EventsRefused::from_problem(room_problem(error)))?;
        let token = presented_token(request, &caller);
        // Subscribe before reading the backlog, so that nothing falls between the two.
        let mut live = self
            .state
            .events
            .subscribe(room.id)
            .await
            .map_err(|error| EventsRefused::from_problem(Problem::internal(&error)))?;
        let after = after.0.unwrap_or(0);
        let backlog = self
            .state
            .rooms
            .events_after(&room, after, 10_000)
            .await
            .map_err(|error| EventsRefused::from_problem(room_problem(error)))?;
        let state = self.state.clone();
        let config = WebSocketConfig::default()
            .max_frame_size(Some(MAX_FRAME_BYTES))
            .max_message_size(Some(MAX_FRAME_BYTES));
        Ok(websocket
            .config(config)
            .on_upgrade(move |socket| async move {
                let (mut sink, mut incoming) = socket.split();
                let mut last = after;
                let close = |code: CloseCode, reason: &str| Message::Close(Some((code, reason.to_owned())));
                for event in backlog {
                    last = event.seq;
                    if sink.send(Message::Text(event_json(&event).to_string())).await.is_err() {
                        return;
                    }
                    if event.kind == RoomEventKind::RoomClosed {
                        let _ = sink.send(close(CloseCode::Normal, "room closed")).await;
                        return;
                    }
                }
                let mut recheck = tokio::time::interval(RECHECK);
                recheck.tick().await;
                loop {
                    tokio::select! {
                        message = incoming.next() => match message {
                            // Clients only listen; anything they send is ignored, and an
                            // oversized frame is an error that ends the connection.
                            Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break,
                            Some(Ok(_)) => {}
                        },
                        event = live.recv() => match event {
                            Ok(event) if event.seq <= last => {}
                            Ok(event) => {
                                last = event.seq;
                                if sink.send(Message::Text(event_json(&event).to_string())).await.is_err() {
                                    break;
                                }
                                if event.kind == RoomEventKind::RoomClosed {
                                    let _ = sink.send(close(CloseCode::Normal, "room closed")).await;
                                    break;
                                }
                            }
                            Err(RecvError::Lagged(_)) => {
                                let _ = sink.send(close(CloseCode::Policy, "too slow; reconnect and catch up from the snapshot")).await;
                                break;
                            }
                            Err(RecvError::Closed) => break,
                        },
                        _ = recheck.tick() => {
                            let still_allowed = match (&caller, token.as_deref()) {
                                (RoomCaller::User(_), Some(token)) => state.users.authenticate(token).await.is_ok(),
                                (RoomCaller::Guest(_), Some(token)) => state.rooms.guest(&room, token).await.is_ok(),
                                (_, None) => false,
                            } && state.rooms.participant(&room, caller.viewer()).await.is_ok();
                            if !still_allowed {
                                let _ = sink.send(close(CloseCode::Policy, "no longer in the room")).await;
                                break;
                            }
                        }
                    }
                }
            })
            .boxed())
    }
}
