//! Party rooms: create, join, vote, the queue, host controls, and live events.

use chrono::{DateTime, Utc};
use poem::http::StatusCode;
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::types::MaybeUndefined;
use poem_openapi::{ApiResponse, Enum, Object, OpenApi, Tags};
use soiree_kernel::TrackRef;
use soiree_rooms::{
    Identity, LikeThreshold, Member, NewRoom, Nickname, ParticipantId, ParticipantView, Room,
    RoomChanges, RoomCode, RoomError, RoomName, RoomOptions, TrackState,
};
use soiree_voting::{RoomTrack, Vote, VoteError, VoteOutcome};

use crate::problem::{Problem, capitalised, problem_for_unreadable_request};
use crate::room_auth::{GUEST_COOKIE_NAME, OptionalRoomAuth, RoomAuth, RoomCaller};
use crate::state::AppState;

#[derive(Tags)]
enum RoomTags {
    /// Party rooms: join with a code, vote, and let the winners play.
    Rooms,
}

/// A room as its participants see it.
#[derive(Object, Debug)]
#[oai(rename = "Room")]
struct RoomOut {
    /// The 6-character join code.
    code: String,
    #[oai(skip_serializing_if_is_none)]
    name: Option<String>,
    /// Likes needed, when the threshold is a fixed count.
    #[oai(skip_serializing_if_is_none)]
    like_threshold: Option<u32>,
    /// The share of present participants whose likes are needed, when it is a share.
    #[oai(skip_serializing_if_is_none)]
    like_threshold_share: Option<f64>,
    guests_allowed: bool,
    guest_votes_per_2min: u32,
    /// Whether the host closed the room.
    closed: bool,
    /// Whether the caller is the host.
    is_host: bool,
}

fn room_out(room: &Room, caller: Option<&RoomCaller>) -> RoomOut {
    let (like_threshold, like_threshold_share) = match room.like_threshold {
        LikeThreshold::Fixed(count) => (Some(count), None),
        LikeThreshold::Share(basis_points) => (None, Some(f64::from(basis_points) / 10_000.0)),
    };
    let is_host = matches!(caller, Some(RoomCaller::User(user)) if user.user.id == room.host);
    RoomOut {
        code: room.code.as_str().to_owned(),
        name: room.name.as_ref().map(|name| name.as_str().to_owned()),
        like_threshold,
        like_threshold_share,
        guests_allowed: room.options.guests_allowed,
        guest_votes_per_2min: room.options.guest_votes_per_2min,
        closed: !room.is_open(),
        is_host,
    }
}

/// Where a track stands.
#[derive(Enum, Debug, Clone, Copy)]
#[oai(rename = "TrackState", rename_all = "snake_case")]
enum TrackStateOut {
    Candidate,
    Ready,
    Playing,
    Played,
}

impl From<TrackState> for TrackStateOut {
    fn from(state: TrackState) -> Self {
        match state {
            TrackState::Candidate => Self::Candidate,
            TrackState::Ready => Self::Ready,
            TrackState::Playing => Self::Playing,
            TrackState::Played => Self::Played,
        }
    }
}

/// A track in the room's queue.
#[derive(Object, Debug)]
#[oai(rename = "QueuedTrack")]
struct QueuedTrackOut {
    track_uri: String,
    state: TrackStateOut,
    likes: u32,
    dislikes: u32,
    /// Likes minus dislikes.
    net: i64,
}

impl From<RoomTrack> for QueuedTrackOut {
    fn from(entry: RoomTrack) -> Self {
        Self {
            track_uri: entry.track.as_str().to_owned(),
            state: entry.state.into(),
            likes: entry.tally.likes,
            dislikes: entry.tally.dislikes,
            net: entry.tally.net(),
        }
    }
}

/// Everything a client needs to draw the room, and the event number to follow on from.
#[derive(Object, Debug)]
#[oai(rename = "RoomSnapshot")]
struct SnapshotOut {
    room: RoomOut,
    /// Participants present now (active in the last few minutes).
    participants_present: u32,
    /// The playing track, then ready tracks in play order, then candidates by net score.
    queue: Vec<QueuedTrackOut>,
    #[oai(skip_serializing_if_is_none)]
    now_playing: Option<String>,
    /// The number of the room's last event; live events continue after it.
    last_seq: u64,
}

/// A new room.
#[derive(Object, Debug)]
#[oai(deny_unknown_fields)]
struct CreateRoomIn {
    name: Option<String>,
    /// Likes needed (a whole number from 1); default 3.
    like_threshold: Option<i64>,
    /// Or: the share of present participants whose likes are needed (above 0, at most 1).
    like_threshold_share: Option<f64>,
    /// Whether people may join with a nickname and no account (default true).
    guests_allowed: Option<bool>,
    /// Votes a guest may cast per two minutes (default 10).
    guest_votes_per_2min: Option<u32>,
}

/// A room just created.
#[derive(Object, Debug)]
struct CreatedRoomOut {
    room: RoomOut,
    /// Whether the host's Spotify is connected; tracks play only then.
    host_connected: bool,
    #[oai(skip_serializing_if_is_none)]
    note: Option<String>,
}

/// Joining: signed in, nothing is needed; as a guest, a display name.
#[derive(Object, Debug, Default)]
#[oai(deny_unknown_fields)]
struct JoinIn {
    display_name: Option<String>,
}

/// A participation.
#[derive(Object, Debug)]
struct JoinedOut {
    participant_id: String,
    display_name: String,
    /// For guests only, shown once: send it as `Authorization: Bearer {guest_token}` on this
    /// room's routes (browsers also get it as a cookie).
    #[oai(skip_serializing_if_is_none)]
    guest_token: Option<String>,
    room: RoomOut,
}

/// Someone in the room.
#[derive(Object, Debug)]
#[oai(rename = "Participant")]
struct ParticipantOut {
    id: String,
    display_name: String,
    is_host: bool,
    is_guest: bool,
    joined_at: DateTime<Utc>,
    /// Shown to the host only.
    #[oai(skip_serializing_if_is_none)]
    email: Option<String>,
}

impl From<ParticipantView> for ParticipantOut {
    fn from(view: ParticipantView) -> Self {
        Self {
            id: view.participant.id.to_string(),
            display_name: view.participant.display_name.as_str().to_owned(),
            is_host: view.is_host,
            is_guest: view.participant.identity == Identity::Guest,
            joined_at: view.participant.joined_at,
            email: view.email,
        }
    }
}

#[derive(Object, Debug)]
struct ParticipantsOut {
    participants: Vec<ParticipantOut>,
}

/// The host's changes; a field left out stays as it is.
#[derive(Object, Debug)]
#[oai(deny_unknown_fields)]
struct RoomPatch {
    name: MaybeUndefined<String>,
    like_threshold: MaybeUndefined<i64>,
    like_threshold_share: MaybeUndefined<f64>,
    guests_allowed: MaybeUndefined<bool>,
    guest_votes_per_2min: MaybeUndefined<u32>,
}

/// A vote.
#[derive(Object, Debug)]
#[oai(deny_unknown_fields)]
struct VoteIn {
    /// `spotify:track:...` or `soundcloud:tracks:...`.
    track_uri: String,
    /// Like (true) or dislike (false).
    is_like: bool,
}

/// What a vote did.
#[derive(Object, Debug)]
#[oai(rename = "VoteResult")]
struct VoteOut {
    /// `vote_registered` or `vote_retracted`.
    status: String,
    likes: u32,
    dislikes: u32,
    /// Likes needed now.
    like_threshold: u32,
    /// True exactly when this vote made the track ready to play.
    play: bool,
    track_state: TrackStateOut,
}

fn vote_out(status: &str, outcome: VoteOutcome) -> VoteOut {
    VoteOut {
        status: status.to_owned(),
        likes: outcome.tally.likes,
        dislikes: outcome.tally.dislikes,
        like_threshold: outcome.like_threshold,
        play: outcome.play,
        track_state: outcome.state.into(),
    }
}

#[derive(Object, Debug)]
struct QueueOut {
    tracks: Vec<QueuedTrackOut>,
}

#[derive(Object, Debug)]
struct SkipOut {
    /// Skip votes on the playing track.
    skips: u32,
    /// Skip votes needed.
    needed: u32,
}

#[derive(Object, Debug)]
struct SuggestionOut {
    track_uri: String,
    vote: VoteOut,
}

/// A room response enum built from one problem and, for 429, the wait.
trait RoomFailure: Sized {
    fn from_problem(problem: Problem, retry_after_seconds: Option<u64>) -> Self;
}

/// The bad-request handler shared by every room operation.
fn room_bad_request<T: RoomFailure>(error: poem::Error) -> T {
    T::from_problem(problem_for_unreadable_request(&error), None)
}

/// One response enum per operation, sharing the failures of room routes.
macro_rules! room_response {
    ($name:ident { $(#[$ok_meta:meta])* $ok:ident $(( $($ok_fields:tt)* ))? }) => {
        #[derive(ApiResponse)]
        #[oai(bad_request_handler = "room_bad_request")]
        enum $name {
            $(#[$ok_meta])* $ok $(( $($ok_fields)* ))?,
            /// `bad_request`: the body could not be read.
            #[oai(status = 400, content_type = "application/problem+json")]
            BadRequest(Json<Problem>),
            /// `unauthenticated`: no valid session or guest token.
            #[oai(status = 401, content_type = "application/problem+json")]
            Unauthenticated(Json<Problem>),
            /// `not_a_participant`, `not_host`, `guests_not_allowed`, `removed_from_room`,
            /// `sign_in_to_suggest`.
            #[oai(status = 403, content_type = "application/problem+json")]
            Forbidden(Json<Problem>),
            /// `room_not_found`, `participant_not_found`, `vote_not_found`.
            #[oai(status = 404, content_type = "application/problem+json")]
            NotFound(Json<Problem>),
            /// `room_closed`, `nothing_playing`, `no_liked_tracks`, or the provider's reason
            /// (`not_connected`, ...).
            #[oai(status = 409, content_type = "application/problem+json")]
            Conflict(Json<Problem>),
            /// `payload_too_large`.
            #[oai(status = 413, content_type = "application/problem+json")]
            PayloadTooLarge(Json<Problem>),
            /// `unsupported_media_type`.
            #[oai(status = 415, content_type = "application/problem+json")]
            UnsupportedMediaType(Json<Problem>),
            /// `invalid_track`, `invalid_threshold`, `invalid_room_name`, `invalid_display_name`.
            #[oai(status = 422, content_type = "application/problem+json")]
            Invalid(Json<Problem>),
            /// `rate_limited`: too many votes from this guest; `Retry-After` says when to try again.
            #[oai(status = 429, content_type = "application/problem+json")]
            RateLimited(Json<Problem>, #[oai(header = "Retry-After")] u64),
            /// `internal_error`.
            #[oai(status = 500, content_type = "application/problem+json")]
            Internal(Json<Problem>),
        }

        impl RoomFailure for $name {
            fn from_problem(problem: Problem, retry_after_seconds: Option<u64>) -> Self {
                match problem.status {
                    400 => Self::BadRequest(problem.json()),
                    401 => Self::Unauthenticated(problem.json()),
                    403 => Self::Forbidden(problem.json()),
                    404 => Self::NotFound(problem.json()),
                    409 => Self::Conflict(problem.json()),
                    413 => Self::PayloadTooLarge(problem.json()),
                    415 => Self::UnsupportedMediaType(problem.json()),
                    422 => Self::Invalid(problem.json()),
                    429 => Self::RateLimited(problem.json(), retry_after_seconds.unwrap_or(1)),
                    _ => Self::Internal(problem.json()),
                }
            }
        }
    };
}

room_response!(CreateResponse {
    /// The room; share its code.
    #[oai(status = 201)]
    Created(Json<CreatedRoomOut>)
});
room_response!(SnapshotResponse {
    /// The room now.
    #[oai(status = 200)]
    Ok(Json<SnapshotOut>)
});
room_response!(JoinResponse {
    /// Joined (or already in the room). Guests also get the `soiree_guest` cookie.
    #[oai(status = 200)]
    Joined(Json<JoinedOut>, #[oai(header = "Set-Cookie")] Option<String>)
});
room_response!(DoneResponse {
    /// Done.
    #[oai(status = 204)]
    Done
});
room_response!(ParticipantsResponse {
    /// Everyone in the room now; emails only for the host.
    #[oai(status = 200)]
    Ok(Json<ParticipantsOut>)
});
room_response!(RoomResponse {
    /// The room after the change.
    #[oai(status = 200)]
    Ok(Json<RoomOut>)
});
room_response!(VoteResponse {
    /// The track's votes after this one.
    #[oai(status = 200)]
    Ok(Json<VoteOut>)
});
room_response!(QueueResponse {
    /// The playing track, ready tracks in play order, then candidates by net score.
    #[oai(status = 200)]
    Ok(Json<QueueOut>)
});
room_response!(SkipResponse {
    /// Skip votes now; at the threshold the host's player moves on.
    #[oai(status = 200)]
    Ok(Json<SkipOut>)
});
room_response!(SuggestionResponse {
    /// The suggested track, with the caller's like.
    #[oai(status = 200)]
    Ok(Json<SuggestionOut>)
});

fn problem(status: StatusCode, code: &str, title: &str, detail: impl std::fmt::Display) -> Problem {
    Problem::new(status, code, title, capitalised(&detail))
}

/// A refused room operation as the problem a person can act on.
pub(crate) fn room_problem(error: RoomError) -> Problem {
    match error {
        RoomError::NotFound => problem(
            StatusCode::NOT_FOUND,
            "room_not_found",
            "No such room",
            &error,
        ),
        RoomError::Closed => problem(StatusCode::CONFLICT, "room_closed", "Room closed", &error),
        RoomError::NotHost => problem(StatusCode::FORBIDDEN, "not_host", "Host only", &error),
        RoomError::NotParticipant => problem(
            StatusCode::FORBIDDEN,
            "not_a_participant",
            "Not in this room",
            &error,
        ),
        RoomError::GuestsNotAllowed => problem(
            StatusCode::FORBIDDEN,
            "guests_not_allowed",
            "Sign-in required",
            &error,
        ),
        RoomError::Removed => problem(
            StatusCode::FORBIDDEN,
            "removed_from_room",
            "Removed",
            &error,
        ),
        RoomError::NoSuchParticipant => problem(
            StatusCode::NOT_FOUND,
            "participant_not_found",
            "No such participant",
            &error,
        ),
        RoomError::NoFreeCode | RoomError::Unknown(_) => Problem::internal(&error),
    }
}

fn vote_problem(error: VoteError) -> (Problem, Option<u64>) {
    match error {
        VoteError::Room(error) => (room_problem(error), None),
        VoteError::RateLimited { retry_after } => {
            let seconds = retry_after.as_secs().max(1);
            (
                problem(
                    StatusCode::TOO_MANY_REQUESTS,
                    "rate_limited",
                    "Too many votes",
                    format!(
                        "guests may vote a limited number of times per two minutes; try again in {seconds} seconds"
                    ),
                ),
                Some(seconds),
            )
        }
        VoteError::NoVote => (
            problem(StatusCode::NOT_FOUND, "vote_not_found", "No vote", &error),
            None,
        ),
        VoteError::NothingPlaying => (
            problem(
                StatusCode::CONFLICT,
                "nothing_playing",
                "Nothing playing",
                &error,
            ),
            None,
        ),
        VoteError::GuestCannotSuggest => (
            problem(
                StatusCode::FORBIDDEN,
                "sign_in_to_suggest",
                "Sign in to suggest",
                &error,
            ),
            None,
        ),
        VoteError::NoLikedTracks => (
            problem(
                StatusCode::CONFLICT,
                "no_liked_tracks",
                "No liked tracks",
                &error,
            ),
            None,
        ),
        VoteError::Provider(playback) => (
            Problem::new(
                StatusCode::CONFLICT,
                &playback.code,
                "The provider refused",
                playback.message,
            ),
            None,
        ),
        VoteError::Unknown(error) => (Problem::internal(&error), None),
    }
}

fn fail<T: RoomFailure>(problem: Problem) -> T {
    T::from_problem(problem, None)
}

fn vote_failure<T: RoomFailure>(error: VoteError) -> T {
    let (problem, wait) = vote_problem(error);
    T::from_problem(problem, wait)
}

fn invalid(code: &str, error: impl std::fmt::Display) -> Problem {
    Problem::invalid(code, capitalised(&error))
}

/// Reads a threshold from the two ways of giving one.
fn threshold(count: Option<i64>, share: Option<f64>) -> Result<Option<LikeThreshold>, Problem> {
    match (count, share) {
        (Some(_), Some(_)) => Err(Problem::invalid(
            "invalid_threshold",
            "Give like_threshold or like_threshold_share, not both.",
        )),
        (Some(count), None) => LikeThreshold::fixed(count)
            .map(Some)
            .map_err(|error| invalid("invalid_threshold", error)),
        (None, Some(share)) => LikeThreshold::share(share)
            .map(Some)
            .map_err(|error| invalid("invalid_threshold", error)),
        (None, None) => Ok(None),
    }
}

fn votes_per_2min(value: u32) -> Result<u32, Problem> {
    RoomOptions::guest_rate(value).map_err(|error| invalid("invalid_guest_rate", error))
}

/// Party rooms.
pub(crate) struct RoomsApi {
    pub(crate) state: AppState,
}

impl RoomsApi {
    async fn room(&self, code: &str) -> Result<Room, Problem> {
        let code = RoomCode::parse(code).map_err(|_| room_problem(RoomError::NotFound))?;
        self.state.rooms.room(&code).await.map_err(room_problem)
    }

    fn guest_cookie(&self, room: &Room, token: &str) -> String {
        let secure = if self.state.session_cookie.secure {
            "; Secure"
        } else {
            ""
        };
        format!(
            "{GUEST_COOKIE_NAME}={token}; Path=/api/v1/rooms/{}; HttpOnly; SameSite=Lax{secure}",
            room.code
        )
    }
}

#[OpenApi(prefix_path = "/api/v1/rooms", tag = "RoomTags::Rooms")]
impl RoomsApi {
    /// Create a room. The host is its first participant; share the code.
    #[oai(path = "/", method = "post")]
    async fn create(&self, auth: RoomAuth, body: Json<CreateRoomIn>) -> CreateResponse {
        let RoomCaller::User(caller) = auth.caller() else {
            return fail(Problem::new(
                StatusCode::FORBIDDEN,
                "sign_in_to_host",
                "Sign in to host",
                "Hosting a room needs an account; log in first.",
            ));
        };
        let name = match body.name.as_deref().map(RoomName::parse).transpose() {
            Ok(name) => name,
            Err(error) => return fail(invalid("invalid_room_name", error)),
        };
        let like_threshold = match threshold(body.like_threshold, body.like_threshold_share) {
            Ok(threshold) => threshold.unwrap_or(LikeThreshold::DEFAULT),
            Err(problem) => return fail(problem),
        };
        let defaults = RoomOptions::default();
        let guest_votes_per_2min = match votes_per_2min(
            body.guest_votes_per_2min
                .unwrap_or(defaults.guest_votes_per_2min),
        ) {
            Ok(rate) => rate,
            Err(problem) => return fail(problem),
        };
        let options = RoomOptions {
            guests_allowed: body.guests_allowed.unwrap_or(defaults.guests_allowed),
            guest_votes_per_2min,
        };
        let host = Member {
            user_id: caller.user.id,
            display_name: caller.user.shown_name().to_owned(),
        };
        let room = match self
            .state
            .rooms
            .create(
                &host,
                NewRoom {
                    name,
                    like_threshold,
                    options,
                },
            )
            .await
        {
            Ok((room, _)) => room,
            Err(error) => return fail(room_problem(error)),
        };
        let host_connected = matches!(
            self.state
                .connections
                .connection(caller.user.id, soiree_connections::Provider::Spotify)
                .await
                .map(|connection| connection.status()),
            Ok(soiree_connections::ConnectionStatus::Connected { .. })
        );
        let note = (!host_connected).then(|| "Connect your Spotify account (/connect) to have the room's tracks played on your speakers; until then people can join and vote.".to_owned());
        CreateResponse::Created(Json(CreatedRoomOut {
            room: room_out(&room, Some(auth.caller())),
            host_connected,
            note,
        }))
    }

    /// The room now: details, presence, queue, what plays, and the last event number.
    #[oai(path = "/:code", method = "get")]
    async fn snapshot(&self, auth: RoomAuth, code: Path<String>) -> SnapshotResponse {
        let room = match self.room(&code).await {
            Ok(room) => room,
            Err(problem) => return fail(problem),
        };
        let viewer = auth.caller().viewer();
        let queue = match self.state.voting.queue(&room, viewer).await {
            Ok(queue) => queue,
            Err(error) => return vote_failure(error),
        };
        let (present, last_seq) = match (
            self.state.rooms.present_count(&room).await,
            self.state.rooms.last_seq(&room).await,
        ) {
            (Ok(present), Ok(last_seq)) => (present, last_seq),
            (Err(error), _) | (_, Err(error)) => return fail(room_problem(error)),
        };
        let now_playing = queue
            .iter()
            .find(|entry| entry.state == TrackState::Playing)
            .map(|entry| entry.track.as_str().to_owned());
        SnapshotResponse::Ok(Json(SnapshotOut {
            room: room_out(&room, Some(auth.caller())),
            participants_present: present,
            queue: queue.into_iter().map(QueuedTrackOut::from).collect(),
            now_playing,
            last_seq,
        }))
    }

    /// Join: signed in, as yourself; without a session, as a guest with a display name.
    #[oai(path = "/:code/join", method = "post")]
    async fn join(
        &self,
        auth: OptionalRoomAuth,
        code: Path<String>,
        body: Json<JoinIn>,
    ) -> JoinResponse {
        let code = match RoomCode::parse(&code) {
            Ok(code) => code,
            Err(_) => return fail(room_problem(RoomError::NotFound)),
        };
        match auth.caller() {
            Some(RoomCaller::User(caller)) => {
                let member = Member {
                    user_id: caller.user.id,
                    display_name: caller.user.shown_name().to_owned(),
                };
                match self.state.rooms.join_as_user(&code, &member).await {
                    Ok((room, participant)) => JoinResponse::Joined(
                        Json(JoinedOut {
                            participant_id: participant.id.to_string(),
                            display_name: participant.display_name.as_str().to_owned(),
                            guest_token: None,
                            room: room_out(&room, auth.caller()),
                        }),
                        None,
                    ),
                    Err(error) => fail(room_problem(error)),
                }
            }
            Some(RoomCaller::Guest(participant)) => match self.room(code.as_str()).await {
                Ok(room) => JoinResponse::Joined(
                    Json(JoinedOut {
                        participant_id: participant.id.to_string(),
                        display_name: participant.display_name.as_str().to_owned(),
                        guest_token: None,
                        room: room_out(&room, auth.caller()),
                    }),
                    None,
                ),
                Err(problem) => fail(problem),
            },
            None => {
                let Some(name) = body.display_name.as_deref() else {
                    return fail(Problem::invalid(
                        "invalid_display_name",
                        "To join as a guest, give a display_name (or log in first).",
                    ));
                };
                let nickname = match Nickname::parse(name) {
                    Ok(nickname) => nickname,
                    Err(error) => return fail(invalid("invalid_display_name", error)),
                };
                match self.state.rooms.join_as_guest(&code, nickname).await {
                    Ok((room, participant, token)) => {
                        let cookie = self.guest_cookie(&room, token.expose());
                        JoinResponse::Joined(
                            Json(JoinedOut {
                                participant_id: participant.id.to_string(),
                                display_name: participant.display_name.as_str().to_owned(),
                                guest_token: Some(token.expose().to_owned()),
                                room: room_out(&room, None),
                            }),
                            Some(cookie),
                        )
                    }
                    Err(error) => fail(room_problem(error)),
                }
            }
        }
    }

    /// Leave the room.
    #[oai(path = "/:code/leave", method = "post")]
    async fn leave(&self, auth: RoomAuth, code: Path<String>) -> DoneResponse {
        match self.room(&code).await {
            Ok(room) => match self.state.rooms.leave(&room, auth.caller().viewer()).await {
                Ok(()) => DoneResponse::Done,
                Err(error) => fail(room_problem(error)),
            },
            Err(problem) => fail(problem),
        }
    }

    /// Everyone in the room now (display names and join times; emails for the host only).
    #[oai(path = "/:code/participants", method = "get")]
    async fn participants(&self, auth: RoomAuth, code: Path<String>) -> ParticipantsResponse {
        let room = match self.room(&code).await {
            Ok(room) => room,
            Err(problem) => return fail(problem),
        };
        match self
            .state
            .rooms
            .participants(&room, auth.caller().viewer())
            .await
        {
            Ok(views) => ParticipantsResponse::Ok(Json(ParticipantsOut {
                participants: views.into_iter().map(ParticipantOut::from).collect(),
            })),
            Err(error) => fail(room_problem(error)),
        }
    }

    /// Remove a participant (host only); they cannot join again.
    #[oai(path = "/:code/participants/:participant", method = "delete")]
    async fn kick(
        &self,
        auth: RoomAuth,
        code: Path<String>,
        participant: Path<String>,
    ) -> DoneResponse {
        let room = match self.room(&code).await {
            Ok(room) => room,
            Err(problem) => return fail(problem),
        };
        let Ok(target) = participant.parse::<uuid::Uuid>() else {
            return fail(room_problem(RoomError::NoSuchParticipant));
        };
        match self
            .state
            .rooms
            .kick(
                &room,
                auth.caller().viewer(),
                ParticipantId::from_uuid(target),
            )
            .await
        {
            Ok(()) => DoneResponse::Done,
            Err(error) => fail(room_problem(error)),
        }
    }

    /// Change the name, threshold or guest options (host only).
    #[oai(path = "/:code", method = "patch")]
    async fn update(
        &self,
        auth: RoomAuth,
        code: Path<String>,
        body: Json<RoomPatch>,
    ) -> RoomResponse {
        let room = match self.room(&code).await {
            Ok(room) => room,
            Err(problem) => return fail(problem),
        };
        let patch = body.0;
        let name = match patch
            .name
            .value()
            .map(|name| RoomName::parse(name))
            .transpose()
        {
            Ok(name) => name,
            Err(error) => return fail(invalid("invalid_room_name", error)),
        };
        let like_threshold = match threshold(
            patch.like_threshold.take(),
            patch.like_threshold_share.take(),
        ) {
            Ok(threshold) => threshold,
            Err(problem) => return fail(problem),
        };
        let guest_votes_per_2min = match patch
            .guest_votes_per_2min
            .take()
            .map(votes_per_2min)
            .transpose()
        {
            Ok(rate) => rate,
            Err(problem) => return fail(problem),
        };
        let changes = RoomChanges {
            name,
            like_threshold,
            guests_allowed: patch.guests_allowed.take(),
            guest_votes_per_2min,
        };
        match self
            .state
            .rooms
            .update(&room, auth.caller().viewer(), changes)
            .await
        {
            Ok(room) => RoomResponse::Ok(Json(room_out(&room, Some(auth.caller())))),
            Err(error) => fail(room_problem(error)),
        }
    }

    /// Close the room (host only): votes stop, every live connection gets `room_closed` and ends.
    #[oai(path = "/:code/close", method = "post")]
    async fn close(&self, auth: RoomAuth, code: Path<String>) -> RoomResponse {
        let room = match self.room(&code).await {
            Ok(room) => room,
            Err(problem) => return fail(problem),
        };
        match self.state.rooms.close(&room, auth.caller().viewer()).await {
            Ok(room) => RoomResponse::Ok(Json(room_out(&room, Some(auth.caller())))),
            Err(error) => fail(room_problem(error)),
        }
    }

    /// Like or dislike a track. A second vote replaces the first. `play` is true exactly when this
    /// vote made the track ready.
    #[oai(path = "/:code/votes", method = "post")]
    async fn vote(&self, auth: RoomAuth, code: Path<String>, body: Json<VoteIn>) -> VoteResponse {
        let room = match self.room(&code).await {
            Ok(room) => room,
            Err(problem) => return fail(problem),
        };
        let track = match TrackRef::parse(&body.track_uri) {
            Ok(track) => track,
            Err(error) => return fail(invalid("invalid_track", error)),
        };
        let vote = if body.is_like {
            Vote::Like
        } else {
            Vote::Dislike
        };
        match self
            .state
            .voting
            .vote(&room, auth.caller().viewer(), &track, vote)
            .await
        {
            Ok(outcome) => VoteResponse::Ok(Json(vote_out("vote_registered", outcome))),
            Err(error) => vote_failure(error),
        }
    }

    /// Retract the caller's vote on a track.
    #[oai(path = "/:code/votes/:track_uri", method = "delete")]
    async fn retract(
        &self,
        auth: RoomAuth,
        code: Path<String>,
        track_uri: Path<String>,
    ) -> VoteResponse {
        let room = match self.room(&code).await {
            Ok(room) => room,
            Err(problem) => return fail(problem),
        };
        let track = match TrackRef::parse(&track_uri) {
            Ok(track) => track,
            Err(error) => return fail(invalid("invalid_track", error)),
        };
        match self
            .state
            .voting
            .retract(&room, auth.caller().viewer(), &track)
            .await
        {
            Ok(outcome) => VoteResponse::Ok(Json(vote_out("vote_retracted", outcome))),
            Err(error) => vote_failure(error),
        }
    }

    /// The queue: the playing track, ready tracks in play order, then candidates by net score.
    #[oai(path = "/:code/queue", method = "get")]
    async fn queue(&self, auth: RoomAuth, code: Path<String>) -> QueueResponse {
        let room = match self.room(&code).await {
            Ok(room) => room,
            Err(problem) => return fail(problem),
        };
        match self.state.voting.queue(&room, auth.caller().viewer()).await {
            Ok(queue) => QueueResponse::Ok(Json(QueueOut {
                tracks: queue.into_iter().map(QueuedTrackOut::from).collect(),
            })),
            Err(error) => vote_failure(error),
        }
    }

    /// Vote to skip the playing track; at the threshold the host's player moves on.
    #[oai(path = "/:code/skip-votes", method = "post")]
    async fn skip(&self, auth: RoomAuth, code: Path<String>) -> SkipResponse {
        let room = match self.room(&code).await {
            Ok(room) => room,
            Err(problem) => return fail(problem),
        };
        match self.state.voting.skip(&room, auth.caller().viewer()).await {
            Ok((skips, needed)) => SkipResponse::Ok(Json(SkipOut { skips, needed })),
            Err(error) => vote_failure(error),
        }
    }

    /// Suggest a random track from your own liked tracks; it counts your like.
    #[oai(path = "/:code/suggestions", method = "post")]
    async fn suggest(&self, auth: RoomAuth, code: Path<String>) -> SuggestionResponse {
        let room = match self.room(&code).await {
            Ok(room) => room,
            Err(problem) => return fail(problem),
        };
        match self
            .state
            .voting
            .suggest(&room, auth.caller().viewer())
            .await
        {
            Ok((track, outcome)) => SuggestionResponse::Ok(Json(SuggestionOut {
                track_uri: track.as_str().to_owned(),
                vote: vote_out("vote_registered", outcome),
            })),
            Err(error) => vote_failure(error),
        }
    }
}
