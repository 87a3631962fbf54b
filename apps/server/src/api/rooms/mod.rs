//! Party rooms over HTTP: each handler parses its input, makes one service call and maps the
//! outcome to its own response enum. Request and response types are in [`objects`], the
//! responses and error mappings in [`responses`], the WebSocket in [`events`].

mod events;
mod objects;
mod playback;
mod responses;
mod vote_responses;

use poem::http::StatusCode;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{OpenApi, Tags};
use soiree_kernel::TrackRef;
use soiree_rooms::{
    JoinError, LikeThreshold, Member, NewRoom, Nickname, ParticipantId, ReadRoomError, RoomChanges,
    RoomCode, RoomName, RoomOptions,
};
use soiree_voting::Vote;

pub(crate) use events::{RoomEventsApi, event_json};
use objects::{
    CreateRoomIn, CreatedRoomOut, JoinIn, JoinedOut, ParticipantOut, ParticipantsOut, QueueOut,
    QueuedTrackOut, RoomOut, RoomPatch, SkipOut, SnapshotOut, SuggestionOut, TrackOut, TracksOut,
    VoteIn, VoteOut,
};
use responses::{
    CloseResponse, CreateResponse, JoinResponse, KickResponse, LeaveResponse, ParticipantsResponse,
    SnapshotResponse, UpdateResponse,
};
use vote_responses::{
    QueueResponse, RetractResponse, RoomRecommendationsResponse, SearchResponse, SkipResponse,
    SuggestionResponse, VoteResponse,
};

use super::OptionalJson;
use crate::problem::{Problem, capitalised};
use crate::room_auth::{GUEST_COOKIE_NAME, OptionalRoomAuth, RoomAuth, RoomCaller};
use crate::state::AppState;

#[derive(Tags)]
enum RoomTags {
    /// Party rooms: join with a code, vote, and let the winners play.
    Rooms,
}

/// A code that does not parse names no room.
fn code(text: &str) -> Result<RoomCode, ReadRoomError> {
    RoomCode::parse(text).map_err(|_| ReadRoomError::NotFound)
}

fn invalid(code: &str, error: &dyn std::fmt::Display) -> Problem {
    Problem::invalid(code, capitalised(error))
}

fn track(uri: &str) -> Result<TrackRef, Problem> {
    TrackRef::parse(uri).map_err(|error| invalid("invalid_track", &error))
}

/// Party rooms.
pub(crate) struct RoomsApi {
    pub(crate) state: AppState,
}

impl RoomsApi {
    fn guest_cookie(&self, code: &RoomCode, token: &str) -> String {
        let secure = if self.state.session_cookie.secure {
            "; Secure"
        } else {
            ""
        };
        format!(
            "{GUEST_COOKIE_NAME}={token}; Path=/api/v1/rooms/{code}; HttpOnly; SameSite=Lax{secure}"
        )
    }
}

#[OpenApi(prefix_path = "/api/v1/rooms", tag = "RoomTags::Rooms")]
impl RoomsApi {
    /// Create a room. The host is its first participant; share the code.
    #[oai(path = "/", method = "post")]
    async fn create(&self, auth: RoomAuth, body: Json<CreateRoomIn>) -> CreateResponse {
        let RoomCaller::User(caller) = auth.caller() else {
            return CreateResponse::from_problem(Problem::new(
                StatusCode::FORBIDDEN,
                "sign_in_to_host",
                "Sign in to host",
                "Hosting a room needs an account; log in first.",
            ));
        };
        let name = match body.name.as_deref().map(RoomName::parse).transpose() {
            Ok(name) => name,
            Err(error) => {
                return CreateResponse::from_problem(invalid("invalid_room_name", &error));
            }
        };
        let like_threshold = match LikeThreshold::from_count_or_share(
            body.like_threshold,
            body.like_threshold_share,
        ) {
            Ok(threshold) => threshold.unwrap_or(LikeThreshold::DEFAULT),
            Err(error) => {
                return CreateResponse::from_problem(invalid("invalid_threshold", &error));
            }
        };
        let mut options = match RoomOptions::chosen(body.guests_allowed, body.guest_votes_per_2min)
        {
            Ok(options) => options,
            Err(error) => {
                return CreateResponse::from_problem(invalid("invalid_guest_rate", &error));
            }
        };
        match body.max_guests.map(RoomOptions::guest_cap).transpose() {
            Ok(cap) => options.max_guests = cap,
            Err(error) => {
                return CreateResponse::from_problem(invalid("invalid_guest_cap", &error));
            }
        }
        let host = Member {
            user_id: caller.user.id,
            display_name: caller.user.shown_name().to_owned(),
        };
        let new = NewRoom {
            name,
            like_threshold,
            options,
        };
        match self.state.voting.host(&host, new).await {
            Ok(hosted) => CreateResponse::Created(Json(CreatedRoomOut {
                room: RoomOut::new(&hosted.room, true),
                host_connected: hosted.host_connected,
                note: (!hosted.host_connected).then(|| "Connect your Spotify account (/connect) to have the room's tracks played on your speakers; until then people can join and vote.".to_owned()),
            })),
            Err(error) => error.into(),
        }
    }

    /// The room now: details, presence, queue, what plays, and the last event number.
    #[oai(path = "/:code", method = "get")]
    async fn snapshot(&self, auth: RoomAuth, code: Path<String>) -> SnapshotResponse {
        let outcome = match self::code(&code) {
            Ok(code) => {
                self.state
                    .voting
                    .snapshot(&code, auth.caller().viewer())
                    .await
            }
            Err(error) => Err(error),
        };
        match outcome {
            Ok(snapshot) => SnapshotResponse::Ok(Json(SnapshotOut::from(snapshot))),
            Err(error) => error.into(),
        }
    }

    /// Join: signed in, as yourself (no body is needed); without a session, as a guest with a
    /// display name.
    #[oai(path = "/:code/join", method = "post")]
    async fn join(
        &self,
        request: &poem::Request,
        auth: OptionalRoomAuth,
        code: Path<String>,
        body: OptionalJson<JoinIn>,
    ) -> JoinResponse {
        let body = body.0.unwrap_or_default();
        let Ok(code) = RoomCode::parse(&code) else {
            return JoinError::NotFound.into();
        };
        let joined =
            |participant: &soiree_rooms::Participant, room: RoomOut, guest_token| JoinedOut {
                participant_id: participant.id.to_string(),
                display_name: participant.display_name.as_str().to_owned(),
                guest_token,
                room,
            };
        match auth.caller() {
            Some(RoomCaller::User(caller)) => {
                let member = Member {
                    user_id: caller.user.id,
                    display_name: caller.user.shown_name().to_owned(),
                };
                match self.state.rooms.join_as_user(&code, &member).await {
                    Ok((room, participant)) => {
                        let is_host = room.host == caller.user.id;
                        JoinResponse::Joined(
                            Json(joined(&participant, RoomOut::new(&room, is_host), None)),
                            None,
                        )
                    }
                    Err(error) => error.into(),
                }
            }
            // A guest of this room is in it already.
            Some(caller @ RoomCaller::Guest(_)) => {
                match self.state.rooms.access(&code, caller.viewer()).await {
                    Ok(access) => JoinResponse::Joined(
                        Json(joined(
                            access.participant(),
                            RoomOut::new(access.room(), false),
                            None,
                        )),
                        None,
                    ),
                    Err(error) => error.into(),
                }
            }
            None => {
                let Some(name) = body.display_name.as_deref() else {
                    return JoinResponse::from_problem(Problem::invalid(
                        "invalid_display_name",
                        "To join as a guest, give a display_name (or log in first).",
                    ));
                };
                let nickname = match Nickname::parse(name) {
                    Ok(nickname) => nickname,
                    Err(error) => {
                        return JoinResponse::from_problem(invalid("invalid_display_name", &error));
                    }
                };
                let source = crate::limits::guest_source(
                    request,
                    &self.state.trusted_proxies,
                    code.as_str(),
                );
                match self
                    .state
                    .rooms
                    .join_as_guest(&code, nickname, source)
                    .await
                {
                    Ok((room, participant, token)) => JoinResponse::Joined(
                        Json(joined(
                            &participant,
                            RoomOut::new(&room, false),
                            Some(token.expose().to_owned()),
                        )),
                        Some(self.guest_cookie(&room.code, token.expose())),
                    ),
                    Err(error) => error.into(),
                }
            }
        }
    }

    /// Leave the room.
    #[oai(path = "/:code/leave", method = "post")]
    async fn leave(&self, auth: RoomAuth, code: Path<String>) -> LeaveResponse {
        let Ok(code) = RoomCode::parse(&code) else {
            return soiree_rooms::LeaveError::NotFound.into();
        };
        match self.state.rooms.leave(&code, auth.caller().viewer()).await {
            Ok(()) => LeaveResponse::Left,
            Err(error) => error.into(),
        }
    }

    /// Everyone in the room now (display names and join times; emails for the host only).
    #[oai(path = "/:code/participants", method = "get")]
    async fn participants(&self, auth: RoomAuth, code: Path<String>) -> ParticipantsResponse {
        let outcome = match self::code(&code) {
            Ok(code) => {
                self.state
                    .rooms
                    .participants(&code, auth.caller().viewer())
                    .await
            }
            Err(error) => Err(error),
        };
        match outcome {
            Ok(views) => ParticipantsResponse::Ok(Json(ParticipantsOut {
                participants: views.into_iter().map(ParticipantOut::from).collect(),
            })),
            Err(error) => error.into(),
        }
    }

    /// Remove a participant (host only); they cannot join again.
    #[oai(path = "/:code/participants/:participant", method = "delete")]
    async fn kick(
        &self,
        auth: RoomAuth,
        code: Path<String>,
        participant: Path<String>,
    ) -> KickResponse {
        let Ok(code) = RoomCode::parse(&code) else {
            return soiree_rooms::KickError::NotFound.into();
        };
        let Ok(target) = participant.parse::<uuid::Uuid>() else {
            return soiree_rooms::KickError::NoSuchParticipant.into();
        };
        let target = ParticipantId::from_uuid(target);
        match self
            .state
            .rooms
            .kick(&code, auth.caller().viewer(), target)
            .await
        {
            Ok(()) => KickResponse::Removed,
            Err(error) => error.into(),
        }
    }

    /// Change the name, threshold or guest options (host only).
    #[oai(path = "/:code", method = "patch")]
    async fn update(
        &self,
        auth: RoomAuth,
        code: Path<String>,
        body: Json<RoomPatch>,
    ) -> UpdateResponse {
        let Ok(code) = RoomCode::parse(&code) else {
            return soiree_rooms::UpdateRoomError::NotFound.into();
        };
        let patch = body.0;
        let name = match patch
            .name
            .value()
            .map(|name| RoomName::parse(name))
            .transpose()
        {
            Ok(name) => name,
            Err(error) => {
                return UpdateResponse::from_problem(invalid("invalid_room_name", &error));
            }
        };
        let like_threshold = match LikeThreshold::from_count_or_share(
            patch.like_threshold.take(),
            patch.like_threshold_share.take(),
        ) {
            Ok(threshold) => threshold,
            Err(error) => {
                return UpdateResponse::from_problem(invalid("invalid_threshold", &error));
            }
        };
        let guest_votes_per_2min = match patch
            .guest_votes_per_2min
            .take()
            .map(RoomOptions::guest_rate)
            .transpose()
        {
            Ok(rate) => rate,
            Err(error) => {
                return UpdateResponse::from_problem(invalid("invalid_guest_rate", &error));
            }
        };
        let max_guests = match patch.max_guests {
            poem_openapi::types::MaybeUndefined::Undefined => None,
            poem_openapi::types::MaybeUndefined::Null => Some(None),
            poem_openapi::types::MaybeUndefined::Value(cap) => match RoomOptions::guest_cap(cap) {
                Ok(cap) => Some(Some(cap)),
                Err(error) => {
                    return UpdateResponse::from_problem(invalid("invalid_guest_cap", &error));
                }
            },
        };
        let changes = RoomChanges {
            name,
            like_threshold,
            guests_allowed: patch.guests_allowed.take(),
            guest_votes_per_2min,
            max_guests,
        };
        match self
            .state
            .rooms
            .update(&code, auth.caller().viewer(), changes)
            .await
        {
            Ok(room) => UpdateResponse::Ok(Json(RoomOut::new(&room, true))),
            Err(error) => error.into(),
        }
    }

    /// Close the room (host only): votes stop, every live connection gets `room_closed` and ends.
    #[oai(path = "/:code/close", method = "post")]
    async fn close(&self, auth: RoomAuth, code: Path<String>) -> CloseResponse {
        let Ok(code) = RoomCode::parse(&code) else {
            return soiree_rooms::CloseRoomError::NotFound.into();
        };
        match self.state.rooms.close(&code, auth.caller().viewer()).await {
            Ok(room) => CloseResponse::Ok(Json(RoomOut::new(&room, true))),
            Err(error) => error.into(),
        }
    }

    /// Like or dislike a track. A second vote replaces the first. `play` is true exactly when this
    /// vote made the track ready.
    #[oai(path = "/:code/votes", method = "post")]
    async fn vote(&self, auth: RoomAuth, code: Path<String>, body: Json<VoteIn>) -> VoteResponse {
        let Ok(code) = RoomCode::parse(&code) else {
            return soiree_voting::CastVoteError::NotFound.into();
        };
        let track = match track(body.track_uri.as_str()) {
            Ok(track) => track,
            Err(problem) => return VoteResponse::from_problem(problem),
        };
        let vote = if body.is_like {
            Vote::Like
        } else {
            Vote::Dislike
        };
        match self
            .state
            .voting
            .vote(&code, auth.caller().viewer(), &track, vote)
            .await
        {
            Ok(outcome) => VoteResponse::Ok(Json(VoteOut::new("vote_registered", outcome))),
            Err(error) => error.into(),
        }
    }

    /// Retract the caller's vote on a track.
    #[oai(path = "/:code/votes/:track_uri", method = "delete")]
    async fn retract(
        &self,
        auth: RoomAuth,
        code: Path<String>,
        /// The track's URI, as voted.
        track_uri: Path<crate::api::checked::Checked<crate::api::checked::TrackUri>>,
    ) -> RetractResponse {
        let Ok(code) = RoomCode::parse(&code) else {
            return soiree_voting::RetractVoteError::NotFound.into();
        };
        let track = match track(track_uri.0.as_str()) {
            Ok(track) => track,
            Err(problem) => return RetractResponse::from_problem(problem),
        };
        match self
            .state
            .voting
            .retract(&code, auth.caller().viewer(), &track)
            .await
        {
            Ok(outcome) => RetractResponse::Ok(Json(VoteOut::new("vote_retracted", outcome))),
            Err(error) => error.into(),
        }
    }

    /// The queue: the playing track, ready tracks in play order, then candidates by net score.
    #[oai(path = "/:code/queue", method = "get")]
    async fn queue(&self, auth: RoomAuth, code: Path<String>) -> QueueResponse {
        let outcome = match self::code(&code) {
            Ok(code) => self.state.voting.queue(&code, auth.caller().viewer()).await,
            Err(error) => Err(error),
        };
        match outcome {
            Ok(queue) => QueueResponse::Ok(Json(QueueOut {
                tracks: queue.into_iter().map(QueuedTrackOut::from).collect(),
            })),
            Err(error) => error.into(),
        }
    }

    /// Vote to skip the playing track; at the threshold the host's player moves on.
    #[oai(path = "/:code/skip-votes", method = "post")]
    async fn skip(&self, auth: RoomAuth, code: Path<String>) -> SkipResponse {
        let Ok(code) = RoomCode::parse(&code) else {
            return soiree_voting::SkipError::NotFound.into();
        };
        match self.state.voting.skip(&code, auth.caller().viewer()).await {
            Ok(tally) => SkipResponse::Ok(Json(SkipOut {
                skips: tally.skips,
                needed: tally.needed,
            })),
            Err(error) => error.into(),
        }
    }

    /// Search the host's Spotify catalogue, to add a track to the room (then vote on its `uri`).
    #[oai(path = "/:code/search", method = "get")]
    async fn search(
        &self,
        auth: RoomAuth,
        code: Path<String>,
        /// Words of a title or an artist.
        q: Query<crate::api::checked::Checked<crate::api::checked::SearchWords>>,
    ) -> SearchResponse {
        let Ok(code) = RoomCode::parse(&code) else {
            return soiree_voting::SearchTracksError::NotFound.into();
        };
        let query = q.0.as_str().trim();
        if query.is_empty() || query.chars().count() > 200 {
            return SearchResponse::from_problem(Problem::invalid(
                "invalid_query",
                "Type a few words of a title or an artist (at most 200 characters).",
            ));
        }
        match self
            .state
            .voting
            .search(&code, auth.caller().viewer(), query)
            .await
        {
            Ok(found) => SearchResponse::Ok(Json(TracksOut {
                tracks: found.into_iter().map(TrackOut::from).collect(),
            })),
            Err(error) => error.into(),
        }
    }

    /// Tracks recommended to you (liked by people whose taste overlaps yours) that this room
    /// can play and has not queued; vote for one to bring it in.
    #[oai(path = "/:code/recommendations", method = "get")]
    async fn recommendations(
        &self,
        auth: RoomAuth,
        code: Path<String>,
    ) -> RoomRecommendationsResponse {
        let viewer = auth.caller().viewer();
        let queue = match self::code(&code) {
            Ok(code) => self.state.voting.queue(&code, viewer).await,
            Err(error) => Err(error),
        };
        let queued: std::collections::HashSet<String> = match queue {
            Ok(queue) => queue
                .into_iter()
                .map(|entry| entry.track.as_str().to_owned())
                .collect(),
            Err(error) => return error.into(),
        };
        let RoomCaller::User(caller) = auth.caller() else {
            return RoomRecommendationsResponse::from_problem(Problem::new(
                StatusCode::FORBIDDEN,
                "sign_in_for_recommendations",
                "Sign in for recommendations",
                "Recommendations go by your likes and votes: log in (or make an account) to see them.",
            ));
        };
        // The room plays on its host's Spotify.
        let fits = |uri: &str| {
            TrackRef::parse(uri).is_ok_and(|parsed| parsed.is_spotify()) && !queued.contains(uri)
        };
        match self
            .state
            .insights
            .recommendations_where(caller.user.id, 5, &fits)
            .await
        {
            Ok(found) => RoomRecommendationsResponse::Ok(Json(crate::api::RecommendationsOut {
                recommendations: found.into_iter().map(Into::into).collect(),
            })),
            Err(error) => RoomRecommendationsResponse::from_problem(
                crate::api::recommendation_problem(&error),
            ),
        }
    }

    /// Suggest a random track from your own liked tracks; it counts your like.
    #[oai(path = "/:code/suggestions", method = "post")]
    async fn suggest(&self, auth: RoomAuth, code: Path<String>) -> SuggestionResponse {
        let Ok(code) = RoomCode::parse(&code) else {
            return soiree_voting::SuggestError::NotFound.into();
        };
        match self
            .state
            .voting
            .suggest(&code, auth.caller().viewer())
            .await
        {
            Ok((track, outcome)) => SuggestionResponse::Ok(Json(SuggestionOut {
                track_uri: track.as_str().to_owned(),
                vote: VoteOut::new("vote_registered", outcome),
            })),
            Err(error) => error.into(),
        }
    }
}
