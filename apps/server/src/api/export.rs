//! `POST /api/v1/playlists/{id}/export`: one of your playlists copied to your Spotify account
//! (a new private playlist, its provider tracks in order), through the player's provider port.

use poem::http::StatusCode;
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi, Tags};
use soiree_library::{PlaylistError, PlaylistId, PlaylistItem};

use crate::api::player::describe_player_failure;
use crate::auth::SessionAuth;
use crate::problem::{Problem, capitalised, problem_for_unreadable_request};
use crate::state::AppState;

#[derive(Tags)]
enum ExportTags {
    /// The caller's playlists.
    Playlists,
}

/// The playlist made at the provider.
#[derive(Object, Debug)]
#[oai(rename = "PlaylistAtProvider")]
struct ExportedOut {
    /// `spotify`.
    provider: String,
    /// The provider's id of the new playlist.
    id: String,
    /// Where to open it, when the provider gives one.
    #[oai(skip_serializing_if_is_none)]
    url: Option<String>,
    /// Tracks copied (the provider tracks, in order).
    exported: u32,
    /// Tracks left out: songs of this server's library, which the provider does not have.
    skipped: u32,
}

#[derive(ApiResponse)]
#[oai(bad_request_handler = "export_bad_request")]
enum ExportResponse {
    /// Copied.
    #[oai(status = 200)]
    Ok(Json<ExportedOut>),
    /// `bad_request`: the id is not a playlist id.
    #[oai(status = 400, content_type = "application/problem+json")]
    BadRequest(Json<Problem>),
    /// `unauthenticated`.
    #[oai(status = 401, content_type = "application/problem+json")]
    Unauthenticated(Json<Problem>),
    /// `command_not_allowed`: Spotify refused (connect again to grant playlists).
    #[oai(status = 403, content_type = "application/problem+json")]
    Forbidden(Json<Problem>),
    /// `playlist_not_found`: none of yours.
    #[oai(status = 404, content_type = "application/problem+json")]
    NotFound(Json<Problem>),
    /// `provider_not_configured`, `not_connected`, `needs_reconnect`, `command_refused`: the
    /// detail says what to do.
    #[oai(status = 409, content_type = "application/problem+json")]
    Conflict(Json<Problem>),
    /// `nothing_to_export`: the playlist holds no provider track.
    #[oai(status = 422, content_type = "application/problem+json")]
    Unprocessable(Json<Problem>),
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

impl ExportResponse {
    fn problem(problem: Problem, retry_after_seconds: Option<u64>) -> Self {
        match problem.status {
            400 => Self::BadRequest(problem.json()),
            401 => Self::Unauthenticated(problem.json()),
            403 => Self::Forbidden(problem.json()),
            404 => Self::NotFound(problem.json()),
            409 => Self::Conflict(problem.json()),
            422 => Self::Unprocessable(problem.json()),
            429 => Self::RateLimited(problem.json(), retry_after_seconds.unwrap_or(1)),
            503 => Self::Unavailable(problem.json()),
            _ => Self::Internal(problem.json()),
        }
    }
}

fn export_bad_request(error: poem::Error) -> ExportResponse {
    ExportResponse::problem(problem_for_unreadable_request(&error), None)
}

/// Exports playlists to the person's provider.
pub(crate) struct ExportApi {
    pub(crate) state: AppState,
}

#[OpenApi(prefix_path = "/api/v1/playlists", tag = "ExportTags::Playlists")]
impl ExportApi {
    /// Copies one of your playlists to your Spotify account as a new private playlist, its
    /// Spotify tracks in order (songs of this server's library are left out: Spotify does not
    /// have them). Exporting again makes another playlist.
    #[oai(path = "/:id/export", method = "post")]
    async fn export(&self, auth: SessionAuth, id: Path<uuid::Uuid>) -> ExportResponse {
        let owner = auth.caller().user.id;
        let playlist = match self
            .state
            .library
            .playlists
            .get(owner, PlaylistId::from_uuid(id.0))
            .await
        {
            Ok(playlist) => playlist,
            Err(error @ PlaylistError::NotFound) => {
                return ExportResponse::problem(
                    Problem::new(
                        StatusCode::NOT_FOUND,
                        "playlist_not_found",
                        "No such playlist",
                        capitalised(&error),
                    ),
                    None,
                );
            }
            Err(error) => {
                return ExportResponse::problem(Problem::internal(&format!("{error:#}")), None);
            }
        };
        let total = playlist.entries.len();
        let uris: Vec<String> = playlist
            .entries
            .into_iter()
            .filter_map(|entry| match entry.item {
                PlaylistItem::Provider(track) if track.as_str().starts_with("spotify:") => {
                    Some(track.as_str().to_owned())
                }
                _ => None,
            })
            .collect();
        if uris.is_empty() {
            return ExportResponse::problem(
                Problem::invalid(
                    "nothing_to_export",
                    "This playlist holds no Spotify track; songs of this server's library cannot be copied to Spotify.".to_owned(),
                ),
                None,
            );
        }
        let exported = u32::try_from(uris.len()).unwrap_or(u32::MAX);
        match self
            .state
            .player
            .export_playlist(owner, playlist.name.as_str(), uris)
            .await
        {
            Ok(made) => ExportResponse::Ok(Json(ExportedOut {
                provider: "spotify".to_owned(),
                id: made.id,
                url: made.url,
                exported,
                skipped: u32::try_from(total).unwrap_or(u32::MAX) - exported,
            })),
            Err(error) => {
                let described = describe_player_failure(&error);
                ExportResponse::problem(
                    Problem::new(
                        described.status,
                        described.code,
                        described.title,
                        described.detail,
                    ),
                    described.retry_after_seconds,
                )
            }
        }
    }
}
