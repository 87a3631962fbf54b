//! Playback on the caller's connected Spotify account.

use poem::http::StatusCode;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi, Tags};
use soiree_connections::{
    AccessError, Device, PlayRequest, Playback, PlayerCommandError, PlayerError,
};

use crate::auth::SessionAuth;
use crate::problem::{Problem, capitalised, problem_for_unreadable_request};
use crate::state::AppState;

#[derive(Tags)]
enum PlayerTags {
    /// Playback on your connected Spotify account.
    Player,
}

/// A device that can play.
#[derive(Object, Debug)]
#[oai(rename = "Device")]
struct DeviceOut {
    /// Absent for restricted devices, which cannot be controlled.
    #[oai(skip_serializing_if_is_none)]
    id: Option<String>,
    name: String,
    /// Such as `Computer`, `Smartphone`, `Speaker`.
    kind: String,
    is_active: bool,
    #[oai(skip_serializing_if_is_none)]
    volume_percent: Option<u8>,
}

impl From<Device> for DeviceOut {
    fn from(device: Device) -> Self {
        Self {
            id: device.id,
            name: device.name,
            kind: device.kind,
            is_active: device.is_active,
            volume_percent: device.volume_percent,
        }
    }
}

/// A track.
#[derive(Object, Debug)]
#[oai(rename = "PlayingTrack")]
struct TrackOut {
    uri: String,
    name: String,
    artists: Vec<String>,
    duration_ms: u64,
    #[oai(skip_serializing_if_is_none)]
    album: Option<String>,
    /// An image of the album.
    #[oai(skip_serializing_if_is_none)]
    artwork_url: Option<String>,
}

impl From<soiree_connections::TrackSummary> for TrackOut {
    fn from(track: soiree_connections::TrackSummary) -> Self {
        Self {
            uri: track.uri,
            name: track.name,
            artists: track.artists,
            duration_ms: track.duration_ms,
            album: track.album,
            artwork_url: track.artwork_url,
        }
    }
}

/// Tracks found in the caller's catalogue.
#[derive(Object, Debug)]
#[oai(rename = "PlayerSearchResults")]
struct FoundOut {
    tracks: Vec<TrackOut>,
}

/// What is playing. When nothing is, `is_playing` is false and the rest is absent.
#[derive(Object, Debug)]
#[oai(rename = "Playback")]
struct PlaybackOut {
    is_playing: bool,
    #[oai(skip_serializing_if_is_none)]
    progress_ms: Option<u64>,
    #[oai(skip_serializing_if_is_none)]
    device: Option<DeviceOut>,
    #[oai(skip_serializing_if_is_none)]
    item: Option<TrackOut>,
}

impl From<Option<Playback>> for PlaybackOut {
    fn from(playback: Option<Playback>) -> Self {
        match playback {
            None => Self {
                is_playing: false,
                progress_ms: None,
                device: None,
                item: None,
            },
            Some(playback) => Self {
                is_playing: playback.is_playing,
                progress_ms: playback.progress_ms,
                device: playback.device.map(DeviceOut::from),
                item: playback.item.map(TrackOut::from),
            },
        }
    }
}

/// The account's devices.
#[derive(Object, Debug)]
struct DevicesOut {
    devices: Vec<DeviceOut>,
}

/// Start or resume playback.
#[derive(Object, Debug)]
#[oai(deny_unknown_fields)]
struct PlayIn {
    /// Tracks to play (`spotify:track:...`); absent or empty resumes.
    #[oai(skip_serializing_if_is_none, validator(max_items = 100))]
    uris: Option<Vec<crate::api::checked::Checked<crate::api::checked::TrackUri>>>,
    /// On this device; otherwise the active one (or, if none is active, the last one used).
    #[oai(
        skip_serializing_if_is_none,
        validator(min_length = 1, max_length = 255),
        deserialize_with = "crate::api::strict::text"
    )]
    device_id: Option<String>,
}

/// A volume.
#[derive(Object, Debug)]
#[oai(deny_unknown_fields)]
struct VolumeIn {
    #[oai(validator(maximum(value = "100")))]
    volume_percent: u8,
}

/// A position in the current track.
#[derive(Object, Debug)]
#[oai(deny_unknown_fields)]
struct SeekIn {
    /// Milliseconds from the start of the track; past its end, the next track plays. At most
    /// 2⁵³ − 1, the largest integer every JSON reader keeps exactly.
    #[oai(validator(maximum(value = "9007199254740991")))]
    position_ms: u64,
}

/// A track to add to the queue.
#[derive(Object, Debug)]
#[oai(deny_unknown_fields)]
struct QueueIn {
    /// `spotify:track:...` or a Spotify share link.
    uri: crate::api::checked::Checked<crate::api::checked::TrackUri>,
}

/// Where to move playback.
#[derive(Object, Debug)]
#[oai(deny_unknown_fields)]
struct TransferIn {
    #[oai(
        validator(min_length = 1, max_length = 255),
        deserialize_with = "crate::api::strict::text"
    )]
    device_id: String,
    /// Start playing there (default: keep the current state).
    #[oai(skip_serializing_if_is_none)]
    play: Option<bool>,
}

/// A player response enum built from one problem and, for 429, the wait.
trait PlayerFailure: Sized {
    fn from_problem(problem: Problem, retry_after_seconds: Option<u64>) -> Self;
}

/// The bad-request handler shared by every player operation.
fn player_bad_request<T: PlayerFailure>(error: poem::Error) -> T {
    T::from_problem(problem_for_unreadable_request(&error), None)
}

/// One response enum per operation, sharing the failures a player command can meet.
macro_rules! player_response {
    ($(#[$doc:meta])* $name:ident { $(#[$ok_meta:meta])* $ok:ident $(($ok_type:ty))? }) => {
        $(#[$doc])*
        #[derive(ApiResponse)]
        #[oai(bad_request_handler = "player_bad_request")]
        enum $name {
            $(#[$ok_meta])* $ok $(($ok_type))?,
            /// `bad_request`: the body could not be read.
            #[oai(status = 400, content_type = "application/problem+json")]
            BadRequest(Json<Problem>),
            /// `unauthenticated`.
            #[oai(status = 401, content_type = "application/problem+json")]
            Unauthenticated(Json<Problem>),
            /// `premium_required`: the Spotify account needs Premium for this.
            #[oai(status = 403, content_type = "application/problem+json")]
            Forbidden(Json<Problem>),
            /// `provider_not_configured`, `not_connected`, `needs_reconnect`, `no_active_device`,
            /// `command_not_allowed` or `command_refused`: the detail says what to do.
            #[oai(status = 409, content_type = "application/problem+json")]
            Conflict(Json<Problem>),
            /// `payload_too_large`.
            #[oai(status = 413, content_type = "application/problem+json")]
            PayloadTooLarge(Json<Problem>),
            /// `invalid_track`, `invalid_device`, `invalid_query` or `invalid_value`: a value
            /// breaks a rule of the document.
            #[oai(status = 422, content_type = "application/problem+json")]
            Unprocessable(Json<Problem>),
            /// `unsupported_media_type`.
            #[oai(status = 415, content_type = "application/problem+json")]
            UnsupportedMediaType(Json<Problem>),
            /// `rate_limited`: Spotify asks to wait; `Retry-After` says how long, in seconds.
            #[oai(status = 429, content_type = "application/problem+json")]
            RateLimited(Json<Problem>, #[oai(header = "Retry-After")] u64),
            /// `internal_error`.
            #[oai(status = 500, content_type = "application/problem+json")]
            Internal(Json<Problem>),
            /// `provider_unavailable`: Spotify could not be reached or failed; try again shortly.
            #[oai(status = 503, content_type = "application/problem+json")]
            Unavailable(Json<Problem>),
        }

        impl PlayerFailure for $name {
            fn from_problem(problem: Problem, retry_after_seconds: Option<u64>) -> Self {
                match problem.status {
                    400 => Self::BadRequest(problem.json()),
                    401 => Self::Unauthenticated(problem.json()),
                    403 => Self::Forbidden(problem.json()),
                    409 => Self::Conflict(problem.json()),
                    413 => Self::PayloadTooLarge(problem.json()),
                    415 => Self::UnsupportedMediaType(problem.json()),
                    422 => Self::Unprocessable(problem.json()),
                    429 => Self::RateLimited(problem.json(), retry_after_seconds.unwrap_or(1)),
                    503 => Self::Unavailable(problem.json()),
                    _ => Self::Internal(problem.json()),
                }
            }
        }
    };
}

player_response!(PlaybackResponse {
    /// What is playing.
    #[oai(status = 200)]
    Ok(Json<PlaybackOut>)
});
player_response!(DevicesResponse {
    /// The account's devices.
    #[oai(status = 200)]
    Ok(Json<DevicesOut>)
});
player_response!(SearchResponse {
    /// Tracks of the caller's Spotify matching the query, best first (at most ten).
    #[oai(status = 200)]
    Ok(Json<FoundOut>)
});
player_response!(CommandResponse {
    /// Done.
    #[oai(status = 204)]
    Done
});

/// A failed player command, described for a person: the status, stable code, title and a
/// sentence saying what to do. Rooms reuse it for their `playback_failed` events.
#[derive(Debug, Clone)]
pub(crate) struct Described {
    pub(crate) status: StatusCode,
    pub(crate) code: &'static str,
    pub(crate) title: &'static str,
    pub(crate) detail: String,
    pub(crate) retry_after_seconds: Option<u64>,
}

fn described(
    status: StatusCode,
    code: &'static str,
    title: &'static str,
    detail: impl Into<String>,
) -> Described {
    Described {
        status,
        code,
        title,
        detail: detail.into(),
        retry_after_seconds: None,
    }
}

/// Describes a failed player command.
pub(crate) fn describe_player_failure(error: &PlayerCommandError) -> Described {
    let conflict = StatusCode::CONFLICT;
    match error {
        PlayerCommandError::Access(AccessError::NotConfigured(provider)) => described(
            conflict,
            "provider_not_configured",
            "Provider not configured",
            format!(
                "Add your {} app's client id and secret in settings (PUT /api/v1/connections/{}/credentials), then connect.",
                provider.display_name(),
                provider.as_str()
            ),
        ),
        PlayerCommandError::Access(AccessError::NotConnected(provider)) => described(
            conflict,
            "not_connected",
            "Not connected",
            format!(
                "Connect your {} account first (GET /api/v1/connections/{}/authorize).",
                provider.display_name(),
                provider.as_str()
            ),
        ),
        PlayerCommandError::Access(AccessError::NeedsReconnect { provider, reason }) => described(
            conflict,
            "needs_reconnect",
            "Connect again",
            format!(
                "{} Connect {} again (GET /api/v1/connections/{}/authorize).",
                capitalised(reason),
                provider.display_name(),
                provider.as_str()
            ),
        ),
        PlayerCommandError::Access(AccessError::RateLimited { retry_after })
        | PlayerCommandError::Player(PlayerError::RateLimited { retry_after }) => {
            let seconds = retry_after.as_secs().max(1);
            let mut limited = described(
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limited",
                "Spotify asks to wait",
                format!("Spotify is limiting requests; try again in {seconds} seconds."),
            );
            limited.retry_after_seconds = Some(seconds);
            limited
        }
        PlayerCommandError::Access(AccessError::Unavailable(_))
        | PlayerCommandError::Player(PlayerError::Unavailable(_)) => described(
            StatusCode::SERVICE_UNAVAILABLE,
            "provider_unavailable",
            "Spotify is unavailable",
            "Spotify could not be reached or failed; try again in a moment.",
        ),
        PlayerCommandError::Access(AccessError::Unknown(error)) => {
            let problem = Problem::internal(error);
            described(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal_error",
                "Something went wrong on the server",
                problem.detail,
            )
        }
        PlayerCommandError::Player(PlayerError::NoActiveDevice) => described(
            conflict,
            "no_active_device",
            "No active device",
            "Open Spotify on a device (phone, computer or speaker) and start any song once, then try again.",
        ),
        PlayerCommandError::Player(PlayerError::PremiumRequired) => described(
            StatusCode::FORBIDDEN,
            "premium_required",
            "Spotify Premium required",
            "Controlling playback needs a Spotify Premium account.",
        ),
        PlayerCommandError::Player(PlayerError::Restricted(message)) => described(
            conflict,
            "command_not_allowed",
            "Not allowed right now",
            format!("Spotify does not allow this right now ({message})."),
        ),
        PlayerCommandError::Player(PlayerError::Rejected(message)) => described(
            conflict,
            "command_refused",
            "Refused by Spotify",
            format!("Spotify refused the command ({message})."),
        ),
        PlayerCommandError::Player(PlayerError::TokenRejected) => described(
            conflict,
            "needs_reconnect",
            "Connect again",
            "Spotify rejects the stored authorization even after a refresh; connect Spotify again (GET /api/v1/connections/spotify/authorize).",
        ),
    }
}

/// A failed command as the problem a person can act on.
fn failure<T: PlayerFailure>(error: PlayerCommandError) -> T {
    let described = describe_player_failure(&error);
    T::from_problem(
        Problem::new(
            described.status,
            described.code,
            described.title,
            described.detail,
        ),
        described.retry_after_seconds,
    )
}

fn command(outcome: Result<(), PlayerCommandError>) -> CommandResponse {
    match outcome {
        Ok(()) => CommandResponse::Done,
        Err(error) => failure(error),
    }
}

/// Playback on the caller's connected Spotify account.
pub(crate) struct PlayerApi {
    pub(crate) state: AppState,
}

#[OpenApi(prefix_path = "/api/v1/player", tag = "PlayerTags::Player")]
impl PlayerApi {
    /// What is playing.
    #[oai(path = "/", method = "get")]
    async fn playback(&self, auth: SessionAuth) -> PlaybackResponse {
        match self.state.player.playback(auth.caller().user.id).await {
            Ok(playback) => PlaybackResponse::Ok(Json(playback.into())),
            Err(error) => failure(error),
        }
    }

    /// Search the caller's Spotify catalogue (to queue or play a track).
    #[oai(path = "/search", method = "get")]
    async fn search(
        &self,
        auth: SessionAuth,
        /// Words of a title or an artist.
        q: poem_openapi::param::Query<
            crate::api::checked::Checked<crate::api::checked::SearchWords>,
        >,
    ) -> SearchResponse {
        match self
            .state
            .player
            .search(auth.caller().user.id, q.0.as_str())
            .await
        {
            Ok(found) => SearchResponse::Ok(Json(FoundOut {
                tracks: found.into_iter().map(TrackOut::from).collect(),
            })),
            Err(error) => failure(error),
        }
    }

    /// The account's devices.
    #[oai(path = "/devices", method = "get")]
    async fn devices(&self, auth: SessionAuth) -> DevicesResponse {
        match self.state.player.devices(auth.caller().user.id).await {
            Ok(devices) => DevicesResponse::Ok(Json(DevicesOut {
                devices: devices.into_iter().map(DeviceOut::from).collect(),
            })),
            Err(error) => failure(error),
        }
    }

    /// Play the given tracks, or resume (send `{}`). With no active device, the last device used
    /// is tried once.
    #[oai(path = "/play", method = "put")]
    async fn play(&self, auth: SessionAuth, body: Json<PlayIn>) -> CommandResponse {
        let body = body.0;
        let request = PlayRequest {
            uris: body
                .uris
                .unwrap_or_default()
                .into_iter()
                .map(|uri| uri.as_str().to_owned())
                .collect(),
            device_id: body.device_id,
        };
        command(self.state.player.play(auth.caller().user.id, request).await)
    }

    /// Pause.
    #[oai(path = "/pause", method = "put")]
    async fn pause(&self, auth: SessionAuth) -> CommandResponse {
        command(self.state.player.pause(auth.caller().user.id).await)
    }

    /// Skip to the next track.
    #[oai(path = "/next", method = "post")]
    async fn next(&self, auth: SessionAuth) -> CommandResponse {
        command(self.state.player.next(auth.caller().user.id).await)
    }

    /// Go back to the previous track.
    #[oai(path = "/previous", method = "post")]
    async fn previous(&self, auth: SessionAuth) -> CommandResponse {
        command(self.state.player.previous(auth.caller().user.id).await)
    }

    /// Set the volume (0 to 100).
    #[oai(path = "/volume", method = "put")]
    async fn volume(&self, auth: SessionAuth, body: Json<VolumeIn>) -> CommandResponse {
        command(
            self.state
                .player
                .set_volume(auth.caller().user.id, body.volume_percent)
                .await,
        )
    }

    /// Seek in the current track.
    #[oai(path = "/seek", method = "put")]
    async fn seek(&self, auth: SessionAuth, body: Json<SeekIn>) -> CommandResponse {
        command(
            self.state
                .player
                .seek(auth.caller().user.id, body.position_ms)
                .await,
        )
    }

    /// Add a track to Spotify's queue.
    #[oai(path = "/queue", method = "post")]
    async fn queue(&self, auth: SessionAuth, body: Json<QueueIn>) -> CommandResponse {
        command(
            self.state
                .player
                .queue(auth.caller().user.id, body.0.uri.as_str().to_owned())
                .await,
        )
    }

    /// Move playback to another device.
    #[oai(path = "/device", method = "put")]
    async fn transfer(&self, auth: SessionAuth, body: Json<TransferIn>) -> CommandResponse {
        let TransferIn { device_id, play } = body.0;
        command(
            self.state
                .player
                .transfer(auth.caller().user.id, device_id, play.unwrap_or(false))
                .await,
        )
    }
}
