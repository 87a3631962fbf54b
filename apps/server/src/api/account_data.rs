//! The person's rights over their data (GD-1): `GET /api/v1/me/export` (everything held about
//! them, as one JSON document written section by section) and `DELETE /api/v1/me` (erasure).
//!
//! Both span several services, so this module orders them: the export reads each in turn; the
//! erasure closes the rooms the person hosts, anonymises their part in other people's rooms, then
//! removes the account (sessions, two-step login, provider connections and their tokens,
//! security events and tier history go with it).

use chrono::{DateTime, Utc};
use futures_util::StreamExt as _;
use poem::Body;
use poem_openapi::payload::{Json, Payload};
use poem_openapi::registry::{MetaSchemaRef, Registry};
use poem_openapi::types::{ToJSON, Type as _};
use poem_openapi::{ApiResponse, Object, OpenApi, Tags};
use soiree_kernel::UserId;
use soiree_rooms::{CastVote, Viewer};
use soiree_users::{Authenticated, SecurityEventKind};

use super::objects::UserOut;
use crate::auth::SessionAuth;
use crate::problem::{Problem, problem_variants};
use crate::state::AppState;

#[derive(Tags)]
enum DataTags {
    /// The caller's data: export and erasure.
    Me,
}

/// Two-step login, without its secret.
#[derive(Object, Debug)]
#[oai(rename = "ExportedMfa")]
struct MfaOut {
    enabled: bool,
    #[oai(skip_serializing_if_is_none)]
    enabled_at: Option<DateTime<Utc>>,
    recovery_codes_left: u32,
}

/// A session's metadata (never its token).
#[derive(Object, Debug)]
#[oai(rename = "ExportedSession")]
struct SessionOut {
    created_at: DateTime<Utc>,
    last_used_at: DateTime<Utc>,
    #[oai(skip_serializing_if_is_none)]
    device: Option<String>,
    #[oai(skip_serializing_if_is_none)]
    address: Option<String>,
}

/// A provider connection's status (never a token or a secret).
#[derive(Object, Debug)]
#[oai(rename = "ExportedConnection")]
struct ConnectionOut {
    provider: String,
    /// `not_configured`, `configured`, `connected` or `needs_reconnect`.
    status: String,
    /// The developer app's client id, when set (not a secret).
    #[oai(skip_serializing_if_is_none)]
    client_id: Option<String>,
    /// The linked provider account's id and name.
    #[oai(skip_serializing_if_is_none)]
    account_id: Option<String>,
    #[oai(skip_serializing_if_is_none)]
    account_name: Option<String>,
}

/// A room the person hosts or joined.
#[derive(Object, Debug)]
#[oai(rename = "ExportedRoom")]
struct RoomOut {
    code: String,
    #[oai(skip_serializing_if_is_none)]
    name: Option<String>,
    /// `host` or `guest`.
    role: String,
    /// The name they had in it.
    display_name: String,
    joined_at: DateTime<Utc>,
    #[oai(skip_serializing_if_is_none)]
    left_at: Option<DateTime<Utc>>,
    #[oai(skip_serializing_if_is_none)]
    closed_at: Option<DateTime<Utc>>,
}

/// A vote they cast.
#[derive(Object, Debug)]
#[oai(rename = "ExportedVote")]
struct VoteOut {
    room: String,
    track_uri: String,
    /// `up` or `down`.
    vote: String,
    cast_at: DateTime<Utc>,
}

/// An entry of their security log.
#[derive(Object, Debug)]
#[oai(rename = "ExportedSecurityEvent")]
struct EventOut {
    kind: String,
    at: DateTime<Utc>,
    #[oai(skip_serializing_if_is_none)]
    device: Option<String>,
    #[oai(skip_serializing_if_is_none)]
    address: Option<String>,
    #[oai(skip_serializing_if_is_none)]
    detail: Option<String>,
    new_device: bool,
}

/// A change of their tier.
#[derive(Object, Debug)]
#[oai(rename = "ExportedTierChange")]
struct TierChangeOut {
    from: String,
    to: String,
    at: DateTime<Utc>,
    #[oai(skip_serializing_if_is_none)]
    reason: Option<String>,
}

/// A playlist of theirs, with its entries in order.
#[derive(Object, Debug)]
#[oai(rename = "ExportedPlaylist")]
struct PlaylistOut {
    name: String,
    created_at: DateTime<Utc>,
    /// Each a library track's id or a provider's track URI.
    tracks: Vec<String>,
}

/// An app password's name and date (never its secret).
#[derive(Object, Debug)]
#[oai(rename = "ExportedAppPassword")]
struct AppPasswordOut {
    name: String,
    created_at: DateTime<Utc>,
}

/// An uploaded file's details (the file itself is streamed from the library).
#[derive(Object, Debug)]
#[oai(rename = "ExportedUpload")]
struct UploadOut {
    id: uuid::Uuid,
    title: String,
    artists: Vec<String>,
    content_type: String,
    size: u64,
    sha256: String,
    uploaded_at: DateTime<Utc>,
}

/// A music service's track in the caller's library.
#[derive(Object, Debug)]
#[oai(rename = "ExportedServiceTrack")]
struct ServiceTrackOut {
    id: uuid::Uuid,
    uri: String,
    title: String,
    artists: Vec<String>,
    #[oai(skip_serializing_if_is_none)]
    album: Option<String>,
    added_at: DateTime<Utc>,
}

/// A like the sync keeps.
#[derive(Object, Debug)]
#[oai(rename = "ExportedLike")]
struct LikeOut {
    service: String,
    uri: String,
    title: String,
    artists: Vec<String>,
    #[oai(skip_serializing_if_is_none)]
    album: Option<String>,
    #[oai(skip_serializing_if_is_none)]
    liked_at: Option<DateTime<Utc>>,
    #[oai(skip_serializing_if_is_none)]
    link: Option<String>,
}

/// A file of the caller's drive folder, downloaded from a service.
#[derive(Object, Debug)]
#[oai(rename = "ExportedDownload")]
struct DownloadOut {
    service: String,
    uri: String,
    /// Its name in the drive folder.
    file_name: String,
    /// `done`, `pending`, `failed` or `no_room`.
    state: String,
    bytes: u64,
}

/// The caller's own settings.
#[derive(Object, Debug)]
#[oai(rename = "ExportedSettings")]
struct SettingsOut {
    recommendations: bool,
    /// The sync interval chosen, in minutes (absent: the server's).
    #[oai(skip_serializing_if_is_none)]
    sync_every_minutes: Option<u32>,
    /// `default`, `every_days` or `when_asked`.
    full_read: String,
    #[oai(skip_serializing_if_is_none)]
    full_read_every_days: Option<u32>,
}

/// Everything Soirée holds about the caller. Tokens, secrets, password and TOTP seed are
/// never included.
#[derive(Object, Debug)]
#[oai(rename = "AccountExport")]
struct ExportOut {
    /// `soiree-export/1`.
    format: String,
    exported_at: DateTime<Utc>,
    account: UserOut,
    two_step_login: MfaOut,
    sessions: Vec<SessionOut>,
    connections: Vec<ConnectionOut>,
    rooms: Vec<RoomOut>,
    votes: Vec<VoteOut>,
    security_events: Vec<EventOut>,
    tier_changes: Vec<TierChangeOut>,
    playlists: Vec<PlaylistOut>,
    app_passwords: Vec<AppPasswordOut>,
    uploads: Vec<UploadOut>,
    /// Music services' tracks in the library (played in rooms you hosted, liked there).
    service_tracks: Vec<ServiceTrackOut>,
    /// Your likes on your connected services, as the sync keeps them.
    likes: Vec<LikeOut>,
    /// The files downloaded into your drive folder (the files themselves are there).
    downloads: Vec<DownloadOut>,
    settings: SettingsOut,
}

/// The export, written to the socket one section at a time (documented as [`ExportOut`]).
struct ExportStream(Body);

impl Payload for ExportStream {
    const CONTENT_TYPE: &'static str = "application/json";

    fn schema_ref() -> MetaSchemaRef {
        ExportOut::schema_ref()
    }

    fn register(registry: &mut Registry) {
        ExportOut::register(registry);
    }
}

impl poem::IntoResponse for ExportStream {
    fn into_response(self) -> poem::Response {
        poem::Response::builder()
            .content_type("application/json")
            .body(self.0)
    }
}

#[derive(ApiResponse)]
enum ExportResponse {
    /// The caller's data, as a download (`soiree-export-{username}.json`).
    #[oai(status = 200)]
    Ok(ExportStream, #[oai(header = "Content-Disposition")] String),
    /// `unauthenticated`.
    #[oai(status = 401, content_type = "application/problem+json")]
    #[allow(dead_code)] // Listed for the OpenAPI document; the security scheme raises it.
    Unauthenticated(Json<Problem>),
    /// `internal_error`.
    #[oai(status = 500, content_type = "application/problem+json")]
    Internal(Json<Problem>),
}

#[derive(ApiResponse)]
pub(super) enum EraseResponse {
    /// Erased: the account, its sessions, connections, tokens and security log are gone; votes
    /// in other people's rooms stay, anonymous; rooms it hosted are closed and removed; the
    /// username is free. The session cookie is cleared.
    #[oai(status = 204)]
    Erased(#[oai(header = "Set-Cookie")] String),
    /// `unauthenticated`.
    #[oai(status = 401, content_type = "application/problem+json")]
    Unauthenticated(Json<Problem>),
    /// `reauthentication_required`: confirm the password first (`POST
    /// /api/v1/auth/reauthenticate`).
    #[oai(status = 403, content_type = "application/problem+json")]
    Forbidden(Json<Problem>),
    /// `internal_error`.
    #[oai(status = 500, content_type = "application/problem+json")]
    Internal(Json<Problem>),
}

problem_variants!(EraseResponse {
    401 => Unauthenticated, 403 => Forbidden, 500 => Internal,
} else internal);

/// How many security events an export carries at most (the newest).
const EXPORTED_EVENTS: u32 = 10_000;

/// The sections of an export, in order.
#[derive(Clone, Copy)]
enum Section {
    Account,
    TwoStepLogin,
    Sessions,
    Connections,
    Rooms,
    Votes,
    SecurityEvents,
    TierChanges,
    Playlists,
    AppPasswords,
    Uploads,
    ServiceTracks,
    Likes,
    Downloads,
    Settings,
}

impl Section {
    const ALL: [Self; 15] = [
        Self::Account,
        Self::TwoStepLogin,
        Self::Sessions,
        Self::Connections,
        Self::Rooms,
        Self::Votes,
        Self::SecurityEvents,
        Self::TierChanges,
        Self::Playlists,
        Self::AppPasswords,
        Self::Uploads,
        Self::ServiceTracks,
        Self::Likes,
        Self::Downloads,
        Self::Settings,
    ];

    fn name(self) -> &'static str {
        match self {
            Self::Account => "account",
            Self::TwoStepLogin => "two_step_login",
            Self::Sessions => "sessions",
            Self::Connections => "connections",
            Self::Rooms => "rooms",
            Self::Votes => "votes",
            Self::SecurityEvents => "security_events",
            Self::TierChanges => "tier_changes",
            Self::Playlists => "playlists",
            Self::AppPasswords => "app_passwords",
            Self::Uploads => "uploads",
            Self::ServiceTracks => "service_tracks",
            Self::Likes => "likes",
            Self::Downloads => "downloads",
            Self::Settings => "settings",
        }
    }
}

fn listed<T: ToJSON>(items: Vec<T>) -> serde_json::Value {
    serde_json::Value::Array(items.iter().filter_map(ToJSON::to_json).collect())
}

/// One section's value.
async fn section(
    state: &AppState,
    caller: &Authenticated,
    section: Section,
) -> anyhow::Result<serde_json::Value> {
    let user_id = caller.user.id;
    Ok(match section {
        Section::Account => UserOut::from(caller.user.clone())
            .to_json()
            .unwrap_or_default(),
        Section::TwoStepLogin => {
            let status = state.users.mfa_status(user_id).await?;
            MfaOut {
                enabled: status.enabled,
                enabled_at: status.enabled_at,
                recovery_codes_left: status.recovery_codes_left,
            }
            .to_json()
            .unwrap_or_default()
        }
        Section::Sessions => listed(
            state
                .users
                .sessions(user_id)
                .await?
                .into_iter()
                .map(|session| SessionOut {
                    created_at: session.created_at,
                    last_used_at: session.last_seen_at,
                    device: session.client.device,
                    address: session.client.address,
                })
                .collect(),
        ),
        Section::Connections => listed(
            state
                .connections
                .connections(user_id)
                .await?
                .into_iter()
                .map(|connection| {
                    let status = match connection.status() {
                        soiree_connections::ConnectionStatus::NotConfigured => "not_configured",
                        soiree_connections::ConnectionStatus::Configured => "configured",
                        soiree_connections::ConnectionStatus::Connected { .. } => "connected",
                        soiree_connections::ConnectionStatus::NeedsReconnect { .. } => {
                            "needs_reconnect"
                        }
                    };
                    ConnectionOut {
                        provider: connection.provider.as_str().to_owned(),
                        status: status.to_owned(),
                        client_id: connection
                            .credentials
                            .as_ref()
                            .map(|credentials| credentials.client_id.as_str().to_owned()),
                        account_id: connection
                            .account
                            .as_ref()
                            .map(|account| account.id.clone()),
                        account_name: connection
                            .account
                            .as_ref()
                            .and_then(|account| account.display_name.clone()),
                    }
                })
                .collect(),
        ),
        Section::Rooms => listed(
            state
                .personal_rooms
                .rooms_of(user_id)
                .await?
                .into_iter()
                .map(|(room, participant)| RoomOut {
                    code: room.code.as_str().to_owned(),
                    name: room.name.as_ref().map(|name| name.as_str().to_owned()),
                    role: if room.host == user_id {
                        "host"
                    } else {
                        "guest"
                    }
                    .to_owned(),
                    display_name: participant.display_name.as_str().to_owned(),
                    joined_at: participant.joined_at,
                    left_at: participant.left_at,
                    closed_at: room.closed_at,
                })
                .collect(),
        ),
        Section::Votes => listed(
            state
                .personal_rooms
                .votes_of(user_id)
                .await?
                .into_iter()
                .map(|vote: CastVote| VoteOut {
                    room: vote.room.as_str().to_owned(),
                    track_uri: vote.track_uri,
                    vote: if vote.like { "up" } else { "down" }.to_owned(),
                    cast_at: vote.cast_at,
                })
                .collect(),
        ),
        Section::SecurityEvents => listed(
            state
                .users
                .security_events(user_id, EXPORTED_EVENTS)
                .await?
                .into_iter()
                .map(|event| EventOut {
                    kind: event.kind.as_str().to_owned(),
                    at: event.at,
                    device: event.client.device,
                    address: event.client.address,
                    detail: event.detail,
                    new_device: event.new_device,
                })
                .collect(),
        ),
        Section::TierChanges => listed(
            state
                .tiers
                .history(user_id, u32::MAX)
                .await?
                .into_iter()
                .map(|change| TierChangeOut {
                    from: change.from.as_str().to_owned(),
                    to: change.to.as_str().to_owned(),
                    at: change.at,
                    reason: change.reason,
                })
                .collect(),
        ),
        Section::Playlists => {
            let mut playlists = Vec::new();
            for summary in state.library.playlists.list(user_id).await? {
                let Ok(playlist) = state.library.playlists.get(user_id, summary.id).await else {
                    continue; // deleted meanwhile
                };
                playlists.push(PlaylistOut {
                    name: playlist.name.as_str().to_owned(),
                    created_at: playlist.created_at,
                    tracks: playlist
                        .entries
                        .into_iter()
                        .map(|entry| match entry.item {
                            soiree_library::PlaylistItem::Library(track) => {
                                track.as_uuid().to_string()
                            }
                            soiree_library::PlaylistItem::Provider(uri) => uri.as_str().to_owned(),
                        })
                        .collect(),
                });
            }
            listed(playlists)
        }
        Section::Uploads => {
            let uploads = match &state.library.uploads {
                Some(uploads) => uploads.usage(user_id).await?.tracks,
                None => Vec::new(),
            };
            listed(
                uploads
                    .into_iter()
                    .map(|track| UploadOut {
                        id: track.id.as_uuid(),
                        size: track.bytes(),
                        title: track.tags.title,
                        artists: track.tags.artists,
                        content_type: track
                            .media
                            .map(|media| media.content_type)
                            .unwrap_or_default(),
                        sha256: match track.source {
                            soiree_library::TrackSource::Upload { content_hash, .. } => {
                                content_hash
                            }
                            soiree_library::TrackSource::Folder { .. }
                            | soiree_library::TrackSource::Provider { .. } => String::new(),
                        },
                        uploaded_at: track.added_at,
                    })
                    .collect(),
            )
        }
        Section::ServiceTracks => listed(
            state
                .library
                .service
                .provider_tracks(user_id)
                .await?
                .into_iter()
                .map(|track| ServiceTrackOut {
                    id: track.id.as_uuid(),
                    uri: track.source.provider_uri().unwrap_or_default().to_owned(),
                    title: track.tags.title,
                    artists: track.tags.artists,
                    album: track.tags.album,
                    added_at: track.added_at,
                })
                .collect(),
        ),
        Section::Downloads => listed(
            state
                .sync
                .downloads
                .files(user_id)
                .await?
                .into_iter()
                .map(|file| DownloadOut {
                    service: file.service,
                    uri: file.uri,
                    file_name: file.file_name,
                    state: file.state.as_str().to_owned(),
                    bytes: file.bytes,
                })
                .collect(),
        ),
        Section::Settings => {
            let preferences = state.sync.service.preferences(user_id).await?;
            let (full_read, full_read_every_days) = match preferences.full_read {
                soiree_sync::FullRead::Default => ("default", None),
                soiree_sync::FullRead::EveryDays(days) => ("every_days", Some(days)),
                soiree_sync::FullRead::WhenAsked => ("when_asked", None),
            };
            SettingsOut {
                recommendations: state.insights.recommendations_on(user_id).await?,
                sync_every_minutes: preferences.every_minutes,
                full_read: full_read.to_owned(),
                full_read_every_days,
            }
            .to_json()
            .unwrap_or_default()
        }
        Section::Likes => listed(
            state
                .sync
                .service
                .likes(user_id)
                .await?
                .into_iter()
                .map(|(service, liked)| LikeOut {
                    service,
                    uri: liked.uri,
                    title: liked.title,
                    artists: liked.artists,
                    album: liked.album,
                    liked_at: liked.liked_at,
                    link: liked.link,
                })
                .collect(),
        ),
        Section::AppPasswords => listed(
            state
                .users
                .app_passwords(user_id)
                .await?
                .into_iter()
                .map(|app_password| AppPasswordOut {
                    name: app_password.name.as_str().to_owned(),
                    created_at: app_password.created_at,
                })
                .collect(),
        ),
    })
}

/// The export as a stream of JSON text: the opening, then each section as it is read. A section
/// that fails ends the stream early (the client sees a truncated download, and the log the
/// cause), since the status was already sent.
fn export_stream(state: AppState, caller: Authenticated) -> Body {
    let opening = format!(
        "{{\"format\":\"soiree-export/1\",\"exported_at\":{}",
        serde_json::Value::String(Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
    );
    let sections = futures_util::stream::iter(Section::ALL).then(move |part| {
        let state = state.clone();
        let caller = caller.clone();
        async move {
            match section(&state, &caller, part).await {
                Ok(value) => Ok(format!(",\"{}\":{value}", part.name())),
                Err(error) => {
                    tracing::error!(
                        error = format!("{error:#}"),
                        section = part.name(),
                        "export failed"
                    );
                    Err(std::io::Error::other("the export could not be completed"))
                }
            }
        }
    });
    let chunks = futures_util::stream::once(async move { Ok(opening) })
        .chain(sections)
        .chain(futures_util::stream::once(async {
            Ok::<_, std::io::Error>("}".to_owned())
        }));
    Body::from_bytes_stream(chunks)
}

/// The person's data: export and erasure.
pub(crate) struct AccountDataApi {
    pub(crate) state: AppState,
}

#[OpenApi(prefix_path = "/api/v1", tag = "DataTags::Me")]
impl AccountDataApi {
    /// Everything Soirée holds about the caller, as one JSON document: account and profile,
    /// two-step login status, sessions (metadata), provider connections (status only), rooms
    /// hosted and joined, votes, security log and tier history. No token, secret, password or
    /// TOTP seed is ever included. Logged in the security log.
    #[oai(path = "/me/export", method = "get")]
    async fn export(&self, auth: SessionAuth) -> ExportResponse {
        let caller = auth.caller().clone();
        if let Err(error) = self
            .state
            .users
            .record(
                caller.user.id,
                SecurityEventKind::DataExported,
                &caller.session.client,
                None,
            )
            .await
        {
            return ExportResponse::Internal(Problem::internal(&error).json());
        }
        let disposition = format!(
            "attachment; filename=\"soiree-export-{}.json\"",
            caller.user.username.as_str()
        );
        ExportResponse::Ok(
            ExportStream(export_stream(self.state.clone(), caller)),
            disposition,
        )
    }
}

/// `DELETE /api/v1/me` (routed with the other `/me` operations, in [`super::me`]): checks the
/// re-authentication window, then erases.
pub(super) async fn erase_caller(state: &AppState, caller: &Authenticated) -> EraseResponse {
    if let Err(error) = state.users.ensure_recent_authentication(caller) {
        return EraseResponse::from_problem(super::reauthentication_required(&error));
    }
    match erase(state, caller.user.id).await {
        Ok(()) => EraseResponse::Erased(state.session_cookie.clear()),
        Err(error) => EraseResponse::from_problem(Problem::internal(&error)),
    }
}

/// Closes the hosted rooms, anonymises the rest, removes the account.
async fn erase(state: &AppState, user_id: UserId) -> anyhow::Result<()> {
    for (room, _) in state.personal_rooms.rooms_of(user_id).await? {
        if room.host == user_id && room.is_open() {
            state
                .rooms
                .close(&room.code, Viewer::User(user_id))
                .await
                .map_err(anyhow::Error::from)?;
        }
    }
    let anonymised = state.personal_rooms.anonymise(user_id).await?;
    // Library tracks have no foreign key to the account: uploads (rows and files) and music
    // services' tracks go here.
    if let Some(uploads) = &state.library.uploads {
        uploads.delete_all(user_id).await?;
    }
    state
        .library
        .service
        .forget_provider_tracks(user_id)
        .await?;
    state.sync.drive.remove(user_id).await?;
    state.users.remove_account(user_id).await?;
    tracing::info!(%user_id, anonymised, "account erased at its owner's request");
    Ok(())
}
