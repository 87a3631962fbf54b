//! Playlists: `GET|POST /api/v1/playlists`, `GET|PATCH|DELETE /api/v1/playlists/{id}`,
//! `POST /api/v1/playlists/{id}/tracks`, `DELETE /api/v1/playlists/{id}/tracks/{entry}`,
//! `PUT /api/v1/playlists/{id}/order`. Only the owner sees or changes a playlist.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use poem::http::StatusCode;
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi, Tags};
use soiree_kernel::TrackRef;
use soiree_library::{
    CreatePlaylistError, EntryId, Playlist, PlaylistError, PlaylistId, PlaylistItem, PlaylistName,
    TrackId,
};

use crate::auth::SessionAuth;
use crate::problem::{Problem, capitalised, problem_variants};
use crate::state::AppState;

#[derive(Tags)]
enum PlaylistTags {
    /// The caller's playlists.
    Playlists,
}

/// A playlist's name.
#[derive(Object)]
#[oai(rename = "PlaylistName", deny_unknown_fields)]
struct NameIn {
    /// 1 to 100 characters.
    #[oai(
        validator(min_length = 1, max_length = 100),
        deserialize_with = "crate::api::strict::text"
    )]
    name: String,
}

/// A party to keep as a playlist.
#[derive(Object)]
#[oai(rename = "SavedParty", deny_unknown_fields)]
struct PartyIn {
    /// The room's code (you must be its host).
    #[oai(
        validator(min_length = 1, max_length = 16),
        deserialize_with = "crate::api::strict::text"
    )]
    code: String,
    /// The playlist's name (1 to 100 characters); by default "Party {code}, {date}".
    #[oai(
        validator(min_length = 1, max_length = 100),
        deserialize_with = "crate::api::strict::text"
    )]
    name: Option<String>,
}

/// Tracks to add, in order.
#[derive(Object)]
#[oai(rename = "PlaylistAdditions", deny_unknown_fields)]
struct TracksIn {
    /// Each a library track's id (from `GET /api/v1/songs`) or a provider's track URI
    /// (`spotify:track:…`); 1 to 500 at once.
    #[oai(
        validator(min_items = 1, max_items = 500),
        deserialize_with = "crate::api::strict::text"
    )]
    tracks: Vec<String>,
}

/// A new order.
#[derive(Object)]
#[oai(rename = "PlaylistOrder", deny_unknown_fields)]
struct OrderIn {
    /// Every entry's id, once, in the new order.
    #[oai(validator(max_items = 10000))]
    entries: Vec<uuid::Uuid>,
}

#[derive(Object, Debug)]
#[oai(rename = "PlaylistEntry")]
struct EntryOut {
    id: uuid::Uuid,
    /// A library track (see `GET /api/v1/library/tracks/{id}`).
    #[oai(skip_serializing_if_is_none)]
    track_id: Option<uuid::Uuid>,
    /// A provider's track.
    #[oai(skip_serializing_if_is_none)]
    track_uri: Option<String>,
    added_at: DateTime<Utc>,
    /// The track's title, when known (a provider track is known once a room or search has
    /// described it).
    #[oai(skip_serializing_if_is_none)]
    title: Option<String>,
    /// Its artists, when known.
    artists: Vec<String>,
    #[oai(skip_serializing_if_is_none)]
    duration_ms: Option<u64>,
}

#[derive(Object, Debug)]
#[oai(rename = "Playlist")]
struct PlaylistOut {
    id: uuid::Uuid,
    name: String,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    /// In order.
    entries: Vec<EntryOut>,
}

/// A playlist with what is known of each entry: library tracks in one read of the catalogue,
/// provider tracks in one read of their stored details.
async fn playlist_out(state: &AppState, playlist: Playlist) -> anyhow::Result<PlaylistOut> {
    let library_ids: Vec<TrackId> = playlist
        .entries
        .iter()
        .filter_map(|entry| match &entry.item {
            PlaylistItem::Library(id) => Some(*id),
            PlaylistItem::Provider(_) => None,
        })
        .collect();
    let provider_refs: Vec<TrackRef> = playlist
        .entries
        .iter()
        .filter_map(|entry| match &entry.item {
            PlaylistItem::Provider(track) => Some(track.clone()),
            PlaylistItem::Library(_) => None,
        })
        .collect();
    let songs: HashMap<TrackId, soiree_library::Track> = state
        .library
        .service
        .tracks(playlist.owner, &library_ids)
        .await?
        .into_iter()
        .map(|track| (track.id, track))
        .collect();
    let details = state.tracks.get(&provider_refs).await?;
    Ok(PlaylistOut {
        id: playlist.id.as_uuid(),
        name: playlist.name.as_str().to_owned(),
        created_at: playlist.created_at,
        updated_at: playlist.updated_at,
        entries: playlist
            .entries
            .into_iter()
            .map(|entry| {
                let (track_id, track_uri, title, artists, duration_ms) = match &entry.item {
                    PlaylistItem::Library(id) => {
                        let song = songs.get(id);
                        (
                            Some(id.as_uuid()),
                            None,
                            song.map(|song| song.tags.title.clone()),
                            song.map(|song| song.tags.artists.clone())
                                .unwrap_or_default(),
                            song.and_then(|song| song.tags.duration_ms),
                        )
                    }
                    PlaylistItem::Provider(track) => {
                        let info = details.get(track);
                        (
                            None,
                            Some(track.as_str().to_owned()),
                            info.map(|info| info.title.clone()),
                            info.map(|info| info.artists.clone()).unwrap_or_default(),
                            info.map(|info| info.duration_ms),
                        )
                    }
                };
                EntryOut {
                    id: entry.id.as_uuid(),
                    track_id,
                    track_uri,
                    added_at: entry.added_at,
                    title,
                    artists,
                    duration_ms,
                }
            })
            .collect(),
    })
}

/// The answer for a playlist read or changed: 200 (201 when `created`) with its details.
async fn answer(
    state: &AppState,
    result: Result<Playlist, PlaylistError>,
    created: bool,
) -> PlaylistResponse {
    let playlist = match result {
        Ok(playlist) => playlist,
        Err(error) => return PlaylistResponse::from(error),
    };
    match playlist_out(state, playlist).await {
        Ok(out) if created => PlaylistResponse::Created(Json(out)),
        Ok(out) => PlaylistResponse::Ok(Json(out)),
        Err(error) => PlaylistResponse::from_problem(Problem::internal(&error)),
    }
}

#[derive(Object, Debug)]
#[oai(rename = "PlaylistSummary")]
struct SummaryOut {
    id: uuid::Uuid,
    name: String,
    /// How many entries.
    entries: u32,
    updated_at: DateTime<Utc>,
}

#[derive(Object, Debug)]
struct PlaylistsOut {
    /// Most recently changed first.
    playlists: Vec<SummaryOut>,
}

#[derive(ApiResponse)]
enum ListResponse {
    /// The caller's playlists.
    #[oai(status = 200)]
    Ok(Json<PlaylistsOut>),
    /// `unauthenticated`.
    #[oai(status = 401, content_type = "application/problem+json")]
    #[allow(dead_code)] // Listed for the OpenAPI document; the security scheme raises it.
    Unauthenticated(Json<Problem>),
    /// `internal_error`.
    #[oai(status = 500, content_type = "application/problem+json")]
    Internal(Json<Problem>),
}

/// The answer of every operation on one playlist.
#[derive(ApiResponse)]
#[oai(bad_request_handler = "PlaylistResponse::bad_request_handler")]
enum PlaylistResponse {
    /// The playlist after the change.
    #[oai(status = 200)]
    Ok(Json<PlaylistOut>),
    /// A new playlist.
    #[oai(status = 201)]
    Created(Json<PlaylistOut>),
    /// Deleted.
    #[oai(status = 204)]
    Deleted,
    /// `bad_request`: the body or an id cannot be read.
    #[oai(status = 400, content_type = "application/problem+json")]
    BadRequest(Json<Problem>),
    /// `unauthenticated`.
    #[oai(status = 401, content_type = "application/problem+json")]
    Unauthenticated(Json<Problem>),
    /// `quota_exceeded`: as many playlists as the tier allows; `not_host`: only a room's host
    /// saves its party.
    #[oai(status = 403, content_type = "application/problem+json")]
    Forbidden(Json<Problem>),
    /// `playlist_not_found` (none of the caller's), `entry_not_found`, `room_not_found`.
    #[oai(status = 404, content_type = "application/problem+json")]
    NotFound(Json<Problem>),
    /// `payload_too_large`.
    #[oai(status = 413, content_type = "application/problem+json")]
    PayloadTooLarge(Json<Problem>),
    /// `unsupported_media_type`.
    #[oai(status = 415, content_type = "application/problem+json")]
    UnsupportedMediaType(Json<Problem>),
    /// `invalid_playlist_name`, `invalid_track` (neither a track id nor a track URI),
    /// `unknown_track` (not in the caller's library), `too_many_entries` (over 10 000),
    /// `order_mismatch` (the order must list every entry once), `nothing_played` (a party with
    /// no track played yet).
    #[oai(status = 422, content_type = "application/problem+json")]
    Invalid(Json<Problem>),
    /// `internal_error`.
    #[oai(status = 500, content_type = "application/problem+json")]
    Internal(Json<Problem>),
}

problem_variants!(PlaylistResponse {
    400 => BadRequest, 401 => Unauthenticated, 403 => Forbidden, 404 => NotFound,
    413 => PayloadTooLarge, 415 => UnsupportedMediaType, 422 => Invalid, 500 => Internal,
});

impl From<CreatePlaylistError> for PlaylistResponse {
    fn from(error: CreatePlaylistError) -> Self {
        match error {
            CreatePlaylistError::QuotaExceeded { .. } => Self::from_problem(Problem::new(
                StatusCode::FORBIDDEN,
                "quota_exceeded",
                "Quota reached",
                capitalised(&error),
            )),
            CreatePlaylistError::Unknown(error) => Self::from_problem(Problem::internal(&error)),
        }
    }
}

impl From<PlaylistError> for PlaylistResponse {
    fn from(error: PlaylistError) -> Self {
        let (status, code, title) = match &error {
            PlaylistError::NotFound => (
                StatusCode::NOT_FOUND,
                "playlist_not_found",
                "No such playlist",
            ),
            PlaylistError::EntryNotFound => {
                (StatusCode::NOT_FOUND, "entry_not_found", "No such entry")
            }
            PlaylistError::UnknownTrack => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "unknown_track",
                "No such track",
            ),
            PlaylistError::TooManyEntries => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "too_many_entries",
                "Playlist full",
            ),
            PlaylistError::OrderMismatch => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "order_mismatch",
                "Not the playlist's entries",
            ),
            PlaylistError::Unknown(cause) => return Self::from_problem(Problem::internal(cause)),
        };
        Self::from_problem(Problem::new(status, code, title, capitalised(&error)))
    }
}

fn name(text: &str) -> Result<PlaylistName, PlaylistResponse> {
    PlaylistName::parse(text).map_err(|error| {
        PlaylistResponse::from_problem(Problem::invalid(
            "invalid_playlist_name",
            capitalised(&error),
        ))
    })
}

fn item(text: &str) -> Result<PlaylistItem, PlaylistResponse> {
    if let Ok(id) = text.parse::<uuid::Uuid>() {
        return Ok(PlaylistItem::Library(TrackId::from_uuid(id)));
    }
    TrackRef::parse(text).map(PlaylistItem::Provider).map_err(|_| {
        PlaylistResponse::from_problem(Problem::invalid(
            "invalid_track",
            "Each track is a library track's id (from GET /api/v1/songs) or a track URI such as spotify:track:4uLU6hMCjMI75M1A2tKUQC.",
        ))
    })
}

/// The caller's playlists.
pub(crate) struct PlaylistsApi {
    pub(crate) state: AppState,
}

#[OpenApi(prefix_path = "/api/v1/playlists", tag = "PlaylistTags::Playlists")]
impl PlaylistsApi {
    /// The caller's playlists, most recently changed first.
    #[oai(path = "/", method = "get")]
    async fn list(&self, auth: SessionAuth) -> ListResponse {
        match self
            .state
            .library
            .playlists
            .list(auth.caller().user.id)
            .await
        {
            Ok(found) => ListResponse::Ok(Json(PlaylistsOut {
                playlists: found
                    .into_iter()
                    .map(|summary| SummaryOut {
                        id: summary.id.as_uuid(),
                        name: summary.name.as_str().to_owned(),
                        entries: summary.entries,
                        updated_at: summary.updated_at,
                    })
                    .collect(),
            })),
            Err(error) => ListResponse::Internal(Problem::internal(&error).json()),
        }
    }

    /// A new, empty playlist, within the tier's playlist quota (Free: 10).
    #[oai(path = "/", method = "post")]
    async fn create(&self, auth: SessionAuth, body: Json<NameIn>) -> PlaylistResponse {
        let name = match name(&body.0.name) {
            Ok(name) => name,
            Err(refused) => return refused,
        };
        match self
            .state
            .library
            .playlists
            .create(auth.caller().user.id, name)
            .await
        {
            Ok(playlist) => answer(&self.state, Ok(playlist), true).await,
            Err(error) => PlaylistResponse::from(error),
        }
    }

    /// Saves a party: a new playlist of the tracks a room you host played, in the order they
    /// played (then the one playing now), within your playlist quota. Export it to Spotify from
    /// the provider later; the playlist keeps the tracks' provider URIs.
    #[oai(path = "/from-room", method = "post")]
    async fn save_party(&self, auth: SessionAuth, body: Json<PartyIn>) -> PlaylistResponse {
        let owner = auth.caller().user.id;
        let not_found = || {
            PlaylistResponse::from_problem(Problem::new(
                StatusCode::NOT_FOUND,
                "room_not_found",
                "No such room",
                "No room has this code; check it with the host.".to_owned(),
            ))
        };
        let Ok(code) = soiree_rooms::RoomCode::parse(&body.0.code) else {
            return not_found();
        };
        let played = match self.state.voting.played_for_host(&code, owner).await {
            Ok(played) => played,
            Err(soiree_voting::PlayedTracksError::NotFound) => return not_found(),
            Err(error @ soiree_voting::PlayedTracksError::NotHost) => {
                return PlaylistResponse::from_problem(Problem::new(
                    StatusCode::FORBIDDEN,
                    "not_host",
                    "Only the host",
                    capitalised(&error),
                ));
            }
            Err(soiree_voting::PlayedTracksError::Unknown(error)) => {
                return PlaylistResponse::from_problem(Problem::internal(&error));
            }
        };
        if played.is_empty() {
            return PlaylistResponse::from_problem(Problem::invalid(
                "nothing_played",
                "Nothing has played in this room yet; save the party once a track has played."
                    .to_owned(),
            ));
        }
        let text = body.0.name.unwrap_or_else(|| {
            format!("Party {}, {}", code.as_str(), Utc::now().format("%Y-%m-%d"))
        });
        let name = match name(&text) {
            Ok(name) => name,
            Err(refused) => return refused,
        };
        let playlists = &self.state.library.playlists;
        let playlist = match playlists.create(owner, name).await {
            Ok(playlist) => playlist,
            Err(error) => return PlaylistResponse::from(error),
        };
        let items = played
            .into_iter()
            .map(|track| PlaylistItem::Provider(track.track))
            .collect();
        let filled = playlists.add(owner, playlist.id, items).await;
        answer(&self.state, filled, true).await
    }

    /// One of the caller's playlists with its entries in order.
    #[oai(path = "/:id", method = "get")]
    async fn get(&self, auth: SessionAuth, id: Path<uuid::Uuid>) -> PlaylistResponse {
        let found = self
            .state
            .library
            .playlists
            .get(auth.caller().user.id, PlaylistId::from_uuid(id.0))
            .await;
        answer(&self.state, found, false).await
    }

    /// Rename one of the caller's playlists.
    #[oai(path = "/:id", method = "patch")]
    async fn rename(
        &self,
        auth: SessionAuth,
        id: Path<uuid::Uuid>,
        body: Json<NameIn>,
    ) -> PlaylistResponse {
        let name = match name(&body.0.name) {
            Ok(name) => name,
            Err(refused) => return refused,
        };
        let renamed = self
            .state
            .library
            .playlists
            .rename(auth.caller().user.id, PlaylistId::from_uuid(id.0), name)
            .await;
        answer(&self.state, renamed, false).await
    }

    /// Delete one of the caller's playlists (its place in the quota is free at once).
    #[oai(path = "/:id", method = "delete")]
    async fn delete(&self, auth: SessionAuth, id: Path<uuid::Uuid>) -> PlaylistResponse {
        let deleted = self
            .state
            .library
            .playlists
            .delete(auth.caller().user.id, PlaylistId::from_uuid(id.0))
            .await;
        deleted.map_or_else(PlaylistResponse::from, |()| PlaylistResponse::Deleted)
    }

    /// Add tracks at the end: library tracks by id, provider tracks by URI.
    #[oai(path = "/:id/tracks", method = "post")]
    async fn add(
        &self,
        auth: SessionAuth,
        id: Path<uuid::Uuid>,
        body: Json<TracksIn>,
    ) -> PlaylistResponse {
        let items = match body
            .0
            .tracks
            .iter()
            .map(|text| item(text))
            .collect::<Result<Vec<_>, _>>()
        {
            Ok(items) => items,
            Err(refused) => return refused,
        };
        let added = self
            .state
            .library
            .playlists
            .add(auth.caller().user.id, PlaylistId::from_uuid(id.0), items)
            .await;
        answer(&self.state, added, false).await
    }

    /// Remove one entry.
    #[oai(path = "/:id/tracks/:entry", method = "delete")]
    async fn remove(
        &self,
        auth: SessionAuth,
        id: Path<uuid::Uuid>,
        entry: Path<uuid::Uuid>,
    ) -> PlaylistResponse {
        let removed = self
            .state
            .library
            .playlists
            .remove(
                auth.caller().user.id,
                PlaylistId::from_uuid(id.0),
                EntryId::from_uuid(entry.0),
            )
            .await;
        answer(&self.state, removed, false).await
    }

    /// Put the entries in a new order (every entry's id, once); written in one statement.
    #[oai(path = "/:id/order", method = "put")]
    async fn reorder(
        &self,
        auth: SessionAuth,
        id: Path<uuid::Uuid>,
        body: Json<OrderIn>,
    ) -> PlaylistResponse {
        let order = body.0.entries.into_iter().map(EntryId::from_uuid).collect();
        let reordered = self
            .state
            .library
            .playlists
            .reorder(auth.caller().user.id, PlaylistId::from_uuid(id.0), order)
            .await;
        answer(&self.state, reordered, false).await
    }
}
