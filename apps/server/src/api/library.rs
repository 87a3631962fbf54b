//! The library: `GET /api/v1/songs` (search), `GET /api/v1/library/tracks/{id}` (one track),
//! `…/stream` (the file, with ranges), `…/cover` (its picture), and the operator's
//! `POST|GET /api/v1/library/scan`.

use poem::http::StatusCode;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::registry::{
    MetaMediaType, MetaResponse, MetaResponses, MetaSchema, MetaSchemaRef, Registry,
};
use poem_openapi::types::Type as _;
use poem_openapi::{ApiResponse, Object, OpenApi, Tags};
use std::collections::HashSet;

use soiree_library::{
    AlbumOrder, AlbumQuery, Favourite, PAGE_SIZE, SongQuery, StreamError, Track, TrackError,
    TrackId,
};

use crate::auth::SessionAuth;
use crate::problem::{Problem, capitalised, problem_variants};
use crate::state::AppState;

#[derive(Tags)]
enum LibraryTags {
    /// The music library: the operator's folder, searched and streamed.
    Library,
}

/// A track of the library.
#[derive(Object, Debug)]
#[oai(rename = "Song")]
pub(crate) struct SongOut {
    id: uuid::Uuid,
    title: String,
    artists: Vec<String>,
    #[oai(skip_serializing_if_is_none)]
    album: Option<String>,
    #[oai(skip_serializing_if_is_none)]
    album_artist: Option<String>,
    #[oai(skip_serializing_if_is_none)]
    track_number: Option<u32>,
    #[oai(skip_serializing_if_is_none)]
    disc_number: Option<u32>,
    #[oai(skip_serializing_if_is_none)]
    year: Option<u32>,
    #[oai(skip_serializing_if_is_none)]
    genre: Option<String>,
    #[oai(skip_serializing_if_is_none)]
    duration_ms: Option<u64>,
    /// The file's media type, found from its content; absent for a music service's track.
    #[oai(skip_serializing_if_is_none)]
    content_type: Option<String>,
    /// The file's size in bytes (0 for a music service's track).
    size: u64,
    /// `GET` it for the audio (ranges accepted); absent for a music service's track, which
    /// has no file here.
    #[oai(skip_serializing_if_is_none)]
    stream_url: Option<String>,
    /// The music service's address of the track (`spotify:track:…`, `soundcloud:tracks:…`),
    /// for a track that played in a room you hosted or that you like there: it plays through
    /// the service (add it to a room, or to a playlist copied to Spotify).
    #[oai(skip_serializing_if_is_none)]
    provider_uri: Option<String>,
    /// `GET` it for the embedded cover; absent when the file has none.
    #[oai(skip_serializing_if_is_none)]
    cover_url: Option<String>,
    /// Whether the caller starred it (a favourite; `PUT|DELETE …/star`).
    starred: bool,
}

impl From<Track> for SongOut {
    fn from(track: Track) -> Self {
        let id = track.id.as_uuid();
        let size = track.bytes();
        let tags = track.tags;
        Self {
            id,
            title: tags.title,
            artists: tags.artists,
            album: tags.album,
            album_artist: tags.album_artist,
            track_number: tags.track_number,
            disc_number: tags.disc_number,
            year: tags.year,
            genre: tags.genre,
            duration_ms: tags.duration_ms,
            size,
            content_type: track.media.map(|media| media.content_type),
            stream_url: track
                .source
                .provider_uri()
                .is_none()
                .then(|| format!("/api/v1/library/tracks/{id}/stream")),
            provider_uri: track.source.provider_uri().map(str::to_owned),
            cover_url: tags
                .has_cover
                .then(|| format!("/api/v1/library/tracks/{id}/cover")),
            starred: false,
        }
    }
}

impl SongOut {
    fn starred_if(mut self, starred: &HashSet<uuid::Uuid>) -> Self {
        self.starred = starred.contains(&self.id);
        self
    }
}

/// An artist of the catalogue: the album's artist, else the track's first (empty: unknown).
#[derive(Object, Debug)]
#[oai(rename = "LibraryArtist")]
struct ArtistOut {
    name: String,
    albums: u32,
    tracks: u32,
}

#[derive(Object, Debug)]
struct ArtistsOut {
    artists: Vec<ArtistOut>,
}

/// An album of the catalogue (its tracks: `GET /api/v1/songs?artist=&album=`).
#[derive(Object, Debug)]
#[oai(rename = "LibraryAlbum")]
struct AlbumOut {
    /// The album's artist (empty: unknown).
    artist: String,
    /// The title (empty: tracks without an album).
    title: String,
    tracks: u32,
    duration_ms: u64,
    #[oai(skip_serializing_if_is_none)]
    year: Option<u32>,
    #[oai(skip_serializing_if_is_none)]
    genre: Option<String>,
}

#[derive(Object, Debug)]
struct AlbumsOut {
    albums: Vec<AlbumOut>,
}

#[derive(Object, Debug)]
struct FavouritesOut {
    /// The starred songs, most recently starred first.
    songs: Vec<SongOut>,
}

#[derive(ApiResponse)]
enum ArtistsResponse {
    #[oai(status = 200)]
    Ok(Json<ArtistsOut>),
    /// `unauthenticated`.
    #[oai(status = 401, content_type = "application/problem+json")]
    Unauthenticated(Json<Problem>),
    /// `internal_error`.
    #[oai(status = 500, content_type = "application/problem+json")]
    Internal(Json<Problem>),
}

problem_variants!(ArtistsResponse { 401 => Unauthenticated, 500 => Internal } else internal);

#[derive(ApiResponse)]
#[oai(bad_request_handler = "AlbumsResponse::bad_request_handler")]
enum AlbumsResponse {
    #[oai(status = 200)]
    Ok(Json<AlbumsOut>),
    /// `bad_request`: a parameter is too long.
    #[oai(status = 400, content_type = "application/problem+json")]
    BadRequest(Json<Problem>),
    /// `unauthenticated`.
    #[oai(status = 401, content_type = "application/problem+json")]
    Unauthenticated(Json<Problem>),
    /// `internal_error`.
    #[oai(status = 500, content_type = "application/problem+json")]
    Internal(Json<Problem>),
}

problem_variants!(AlbumsResponse { 400 => BadRequest, 401 => Unauthenticated, 500 => Internal });

#[derive(ApiResponse)]
enum FavouritesResponse {
    #[oai(status = 200)]
    Ok(Json<FavouritesOut>),
    /// `unauthenticated`.
    #[oai(status = 401, content_type = "application/problem+json")]
    Unauthenticated(Json<Problem>),
    /// `internal_error`.
    #[oai(status = 500, content_type = "application/problem+json")]
    Internal(Json<Problem>),
}

problem_variants!(FavouritesResponse { 401 => Unauthenticated, 500 => Internal } else internal);

#[derive(ApiResponse)]
#[oai(bad_request_handler = "StarResponse::bad_request_handler")]
enum StarResponse {
    /// Done (starring twice, or unstarring what is not starred, changes nothing).
    #[oai(status = 204)]
    Done,
    /// `bad_request`: the id is not a track id.
    #[oai(status = 400, content_type = "application/problem+json")]
    BadRequest(Json<Problem>),
    /// `unauthenticated`.
    #[oai(status = 401, content_type = "application/problem+json")]
    Unauthenticated(Json<Problem>),
    /// `track_not_found`: no such track among those the caller may see.
    #[oai(status = 404, content_type = "application/problem+json")]
    NotFound(Json<Problem>),
    /// `internal_error`.
    #[oai(status = 500, content_type = "application/problem+json")]
    Internal(Json<Problem>),
}

problem_variants!(StarResponse {
    400 => BadRequest, 401 => Unauthenticated, 404 => NotFound, 500 => Internal,
});

/// The ids of the tracks `viewer` starred.
async fn starred_ids(
    state: &AppState,
    viewer: soiree_kernel::UserId,
) -> anyhow::Result<HashSet<uuid::Uuid>> {
    Ok(state
        .library
        .service
        .starred_items(viewer)
        .await?
        .into_iter()
        .filter_map(|(item, _)| match item {
            Favourite::Track(id) => Some(id.as_uuid()),
            _ => None,
        })
        .collect())
}

#[derive(Object, Debug)]
struct SongsOut {
    songs: Vec<SongOut>,
    /// How many match in all.
    total: u64,
    /// This page (from 0).
    page: u32,
    /// Songs per page.
    page_size: u32,
}

/// A file the scan could not read.
#[derive(Object, Debug)]
struct SkippedOut {
    path: String,
    reason: String,
}

/// The last scan's result.
#[derive(Object, Debug)]
struct ScanResultOut {
    finished_at: chrono::DateTime<chrono::Utc>,
    /// `ok`, or `failed` (see `error`).
    outcome: String,
    #[oai(skip_serializing_if_is_none)]
    error: Option<String>,
    files: u64,
    added: u64,
    updated: u64,
    unchanged: u64,
    removed: u64,
    /// Files that could not be read, with why (at most 100 listed; `skipped_total` counts all).
    skipped: Vec<SkippedOut>,
    skipped_total: u64,
}

/// Where the music folder's scan stands.
#[derive(Object, Debug)]
#[oai(rename = "LibraryScan")]
struct ScanOut {
    /// Whether a music folder is configured (`SOIREE_MUSIC_DIR`).
    music_folder: bool,
    running: bool,
    /// While running: files looked at, and in all.
    #[oai(skip_serializing_if_is_none)]
    done: Option<u64>,
    #[oai(skip_serializing_if_is_none)]
    total: Option<u64>,
    #[oai(skip_serializing_if_is_none)]
    last: Option<ScanResultOut>,
}

fn scan_out(state: &AppState) -> ScanOut {
    let scan = state.library.scan_state();
    let last = scan.last.map(|(finished_at, result)| match result {
        Ok(report) => ScanResultOut {
            finished_at,
            outcome: "ok".to_owned(),
            error: None,
            files: report.files as u64,
            added: report.added as u64,
            updated: report.updated as u64,
            unchanged: report.unchanged as u64,
            removed: report.removed,
            skipped_total: report.skipped.len() as u64,
            skipped: report
                .skipped
                .into_iter()
                .take(100)
                .map(|skipped| SkippedOut {
                    path: skipped.path,
                    reason: skipped.reason,
                })
                .collect(),
        },
        Err(error) => ScanResultOut {
            finished_at,
            outcome: "failed".to_owned(),
            error: Some(error),
            files: 0,
            added: 0,
            updated: 0,
            unchanged: 0,
            removed: 0,
            skipped: Vec::new(),
            skipped_total: 0,
        },
    });
    ScanOut {
        music_folder: state.library.has_folder,
        running: scan.running.is_some(),
        done: scan.running.map(|(done, _)| done as u64),
        total: scan.running.map(|(_, total)| total as u64),
        last,
    }
}

#[derive(ApiResponse)]
#[oai(bad_request_handler = "SongsResponse::bad_request_handler")]
enum SongsResponse {
    /// A page of the catalogue.
    #[oai(status = 200)]
    Ok(Json<SongsOut>),
    /// `bad_request`: a parameter is out of range.
    #[oai(status = 400, content_type = "application/problem+json")]
    BadRequest(Json<Problem>),
    /// `unauthenticated`.
    #[oai(status = 401, content_type = "application/problem+json")]
    Unauthenticated(Json<Problem>),
    /// `internal_error`.
    #[oai(status = 500, content_type = "application/problem+json")]
    Internal(Json<Problem>),
}

problem_variants!(SongsResponse { 400 => BadRequest, 401 => Unauthenticated, 500 => Internal });

#[derive(ApiResponse)]
#[oai(bad_request_handler = "TrackResponse::bad_request_handler")]
enum TrackResponse {
    /// The track.
    #[oai(status = 200)]
    Ok(Json<SongOut>),
    /// `bad_request`: the id is not a track id.
    #[oai(status = 400, content_type = "application/problem+json")]
    BadRequest(Json<Problem>),
    /// `unauthenticated`.
    #[oai(status = 401, content_type = "application/problem+json")]
    Unauthenticated(Json<Problem>),
    /// `track_not_found`: no such track among those the caller may see.
    #[oai(status = 404, content_type = "application/problem+json")]
    NotFound(Json<Problem>),
    /// `internal_error`.
    #[oai(status = 500, content_type = "application/problem+json")]
    Internal(Json<Problem>),
}

problem_variants!(TrackResponse {
    400 => BadRequest, 401 => Unauthenticated, 404 => NotFound, 500 => Internal,
});

/// The audio of a track, or its cover: bytes, with what HTTP says of ranges and validators.
struct FileResponse(poem::Response);

impl poem::IntoResponse for FileResponse {
    fn into_response(self) -> poem::Response {
        self.0
    }
}

fn problem_response(status: u16, description: &'static str) -> MetaResponse {
    MetaResponse {
        description,
        status: Some(status),
        status_range: None,
        content: vec![MetaMediaType {
            content_type: "application/problem+json",
            schema: Problem::schema_ref(),
        }],
        headers: vec![],
    }
}

fn bytes_response(
    status: u16,
    description: &'static str,
    content_type: &'static str,
) -> MetaResponse {
    MetaResponse {
        description,
        status: Some(status),
        status_range: None,
        content: vec![MetaMediaType {
            content_type,
            schema: MetaSchemaRef::Inline(Box::new(MetaSchema::new_with_format(
                "string", "binary",
            ))),
        }],
        headers: vec![],
    }
}

impl ApiResponse for FileResponse {
    const BAD_REQUEST_HANDLER: bool = true;

    fn meta() -> MetaResponses {
        MetaResponses {
            responses: vec![
                bytes_response(
                    200,
                    "The whole file, with `Accept-Ranges: bytes`, `ETag` and `Last-Modified`; its real media type.",
                    "*/*",
                ),
                bytes_response(206, "The range asked for (`Content-Range`).", "*/*"),
                MetaResponse {
                    description: "The client's copy is current (`If-None-Match`, `If-Modified-Since`).",
                    status: Some(304),
                    status_range: None,
                    content: vec![],
                    headers: vec![],
                },
                problem_response(400, "`bad_request`: the id is not a track id."),
                problem_response(401, "`unauthenticated`."),
                problem_response(
                    404,
                    "`track_not_found`, or `cover_not_found` (the file has no picture).",
                ),
                problem_response(
                    409,
                    "`no_file`: a music service's track (it has `provider_uri`): it plays through the service.",
                ),
                problem_response(
                    416,
                    "`range_not_satisfiable`: the range lies outside the file (`Content-Range: bytes */{length}`).",
                ),
                problem_response(500, "`internal_error`."),
            ],
        }
    }

    fn register(registry: &mut Registry) {
        Problem::register(registry);
    }

    fn from_parse_request_error(error: poem::Error) -> Self {
        Self::problem(crate::problem::problem_for_unreadable_request(&error))
    }
}

impl FileResponse {
    fn problem(problem: Problem) -> Self {
        use poem::IntoResponse as _;
        let status =
            StatusCode::from_u16(problem.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut response = problem.json().into_response();
        response.set_status(status);
        response.headers_mut().insert(
            poem::http::header::CONTENT_TYPE,
            poem::http::HeaderValue::from_static("application/problem+json"),
        );
        Self(response)
    }
}

/// Why a track's audio cannot be sent.
fn stream_problem(error: StreamError) -> Problem {
    match error {
        StreamError::NotFound => track_not_found(&TrackError::NotFound),
        error @ StreamError::NoFile { .. } => Problem::new(
            StatusCode::CONFLICT,
            "no_file",
            "No file here",
            capitalised(&error),
        ),
        StreamError::Unknown(error) => Problem::internal(&error),
    }
}

pub(crate) fn track_not_found(error: &TrackError) -> Problem {
    Problem::new(
        StatusCode::NOT_FOUND,
        "track_not_found",
        "No such track",
        capitalised(error),
    )
}

#[derive(ApiResponse)]
enum ScanResponse {
    /// Where the scan stands.
    #[oai(status = 200)]
    Ok(Json<ScanOut>),
    /// A scan started; follow it with `GET /api/v1/library/scan`.
    #[oai(status = 202)]
    Started(Json<ScanOut>),
    /// `unauthenticated`.
    #[oai(status = 401, content_type = "application/problem+json")]
    Unauthenticated(Json<Problem>),
    /// `operator_only`.
    #[oai(status = 403, content_type = "application/problem+json")]
    Forbidden(Json<Problem>),
    /// `scan_running`: a scan is under way; `no_music_folder`: `SOIREE_MUSIC_DIR` is not set.
    #[oai(status = 409, content_type = "application/problem+json")]
    Conflict(Json<Problem>),
    /// `internal_error`.
    #[oai(status = 500, content_type = "application/problem+json")]
    Internal(Json<Problem>),
}

problem_variants!(ScanResponse {
    401 => Unauthenticated, 403 => Forbidden, 409 => Conflict, 500 => Internal,
} else internal);

/// The music library.
pub(crate) struct LibraryApi {
    pub(crate) state: AppState,
}

#[OpenApi(prefix_path = "/api/v1", tag = "LibraryTags::Library")]
impl LibraryApi {
    /// The catalogue the caller may see (the operator's music folder), by artist, album, disc,
    /// track number and title; `q` finds words in the title, artists and album, `artist` and
    /// `album` narrow, all without regard to case or accents. 50 a page.
    #[oai(path = "/songs", method = "get")]
    async fn songs(
        &self,
        auth: SessionAuth,
        /// Words to find.
        #[oai(validator(max_length = 200))]
        q: Query<Option<String>>,
        /// Part of an artist's name.
        #[oai(validator(max_length = 200))]
        artist: Query<Option<String>>,
        /// Part of the album's name.
        #[oai(validator(max_length = 200))]
        album: Query<Option<String>>,
        /// The page, from 0.
        #[oai(validator(maximum(value = "100000")))]
        page: Query<Option<u32>>,
    ) -> SongsResponse {
        // The document bounds each parameter (200 characters); empty ones ask for nothing.
        let text = |value: Option<String>| value.filter(|value| !value.trim().is_empty());
        let query = SongQuery {
            words: text(q.0),
            artist: text(artist.0),
            album: text(album.0),
            page: page.0.unwrap_or(0),
        };
        let viewer = auth.caller().user.id;
        let starred = match starred_ids(&self.state, viewer).await {
            Ok(starred) => starred,
            Err(error) => return SongsResponse::from_problem(Problem::internal(&error)),
        };
        match self.state.library.service.songs(viewer, &query).await {
            Ok(found) => SongsResponse::Ok(Json(SongsOut {
                songs: found
                    .tracks
                    .into_iter()
                    .map(|track| SongOut::from(track).starred_if(&starred))
                    .collect(),
                total: found.total,
                page: found.page,
                page_size: PAGE_SIZE,
            })),
            Err(error) => SongsResponse::from_problem(Problem::internal(&error)),
        }
    }

    /// One track of the catalogue.
    #[oai(path = "/library/tracks/:id", method = "get")]
    async fn track(&self, auth: SessionAuth, id: Path<uuid::Uuid>) -> TrackResponse {
        let viewer = auth.caller().user.id;
        let starred = match starred_ids(&self.state, viewer).await {
            Ok(starred) => starred,
            Err(error) => return TrackResponse::from_problem(Problem::internal(&error)),
        };
        match self
            .state
            .library
            .service
            .track(viewer, TrackId::from_uuid(id.0))
            .await
        {
            Ok(track) => TrackResponse::Ok(Json(SongOut::from(track).starred_if(&starred))),
            Err(error @ TrackError::NotFound) => {
                TrackResponse::from_problem(track_not_found(&error))
            }
            Err(TrackError::Unknown(error)) => {
                TrackResponse::from_problem(Problem::internal(&error))
            }
        }
    }

    /// Stars the track for the caller (a favourite, also seen by music apps).
    #[oai(path = "/library/tracks/:id/star", method = "put")]
    async fn star(&self, auth: SessionAuth, id: Path<uuid::Uuid>) -> StarResponse {
        let items = [Favourite::Track(TrackId::from_uuid(id.0))];
        match self
            .state
            .library
            .service
            .star(auth.caller().user.id, &items)
            .await
        {
            Ok(()) => StarResponse::Done,
            Err(error @ TrackError::NotFound) => {
                StarResponse::from_problem(track_not_found(&error))
            }
            Err(TrackError::Unknown(error)) => {
                StarResponse::from_problem(Problem::internal(&error))
            }
        }
    }

    /// Unstars the track.
    #[oai(path = "/library/tracks/:id/star", method = "delete")]
    async fn unstar(&self, auth: SessionAuth, id: Path<uuid::Uuid>) -> StarResponse {
        let items = [Favourite::Track(TrackId::from_uuid(id.0))];
        match self
            .state
            .library
            .service
            .unstar(auth.caller().user.id, &items)
            .await
        {
            Ok(()) => StarResponse::Done,
            Err(error) => StarResponse::from_problem(Problem::internal(&error)),
        }
    }

    /// The caller's starred songs, most recently starred first.
    #[oai(path = "/library/favourites", method = "get")]
    async fn favourites(&self, auth: SessionAuth) -> FavouritesResponse {
        match self
            .state
            .library
            .service
            .favourites(auth.caller().user.id)
            .await
        {
            Ok(favourites) => FavouritesResponse::Ok(Json(FavouritesOut {
                songs: favourites
                    .tracks
                    .into_iter()
                    .map(|(track, _)| SongOut {
                        starred: true,
                        ..SongOut::from(track)
                    })
                    .collect(),
            })),
            Err(error) => FavouritesResponse::from_problem(Problem::internal(&error)),
        }
    }

    /// The artists of the catalogue (each album's artist, else a track's first), by name.
    #[oai(path = "/library/artists", method = "get")]
    async fn artists(&self, auth: SessionAuth) -> ArtistsResponse {
        match self
            .state
            .library
            .service
            .artists(auth.caller().user.id)
            .await
        {
            Ok(artists) => ArtistsResponse::Ok(Json(ArtistsOut {
                artists: artists
                    .into_iter()
                    .map(|artist| ArtistOut {
                        name: artist.name,
                        albums: artist.albums,
                        tracks: artist.tracks,
                    })
                    .collect(),
            })),
            Err(error) => ArtistsResponse::from_problem(Problem::internal(&error)),
        }
    }

    /// The albums of the catalogue by artist and title (at most 500), or one artist's.
    #[oai(path = "/library/albums", method = "get")]
    async fn albums(
        &self,
        auth: SessionAuth,
        /// The album artist's name, exactly as `GET /api/v1/library/artists` gives it.
        #[oai(validator(max_length = 200))]
        artist: Query<Option<String>>,
    ) -> AlbumsResponse {
        let query = AlbumQuery {
            artist: artist.0,
            ..AlbumQuery::first(AlbumOrder::ByArtist, 500)
        };
        match self
            .state
            .library
            .service
            .albums(auth.caller().user.id, &query)
            .await
        {
            Ok(albums) => AlbumsResponse::Ok(Json(AlbumsOut {
                albums: albums
                    .into_iter()
                    .map(|album| AlbumOut {
                        artist: album.key.artist,
                        title: album.key.title,
                        tracks: album.tracks,
                        duration_ms: album.duration_ms,
                        year: album.year,
                        genre: album.genre,
                    })
                    .collect(),
            })),
            Err(error) => AlbumsResponse::from_problem(Problem::internal(&error)),
        }
    }

    /// The track's audio, for a player: ranges (`Range`, `If-Range`), validators (`ETag`,
    /// `Last-Modified`) and `HEAD` as HTTP says, so that seeking works.
    #[oai(path = "/library/tracks/:id/stream", method = "get")]
    async fn stream(
        &self,
        request: &poem::Request,
        auth: SessionAuth,
        id: Path<uuid::Uuid>,
    ) -> FileResponse {
        let found = self
            .state
            .library
            .service
            .stream(auth.caller().user.id, TrackId::from_uuid(id.0))
            .await;
        let (_, media, location) = match found {
            Ok(found) => found,
            Err(error) => return FileResponse::problem(stream_problem(error)),
        };
        match crate::library::stream::respond(&location, &media.content_type, request.headers())
            .await
        {
            Ok(response) => FileResponse(response),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                FileResponse::problem(track_not_found(&TrackError::NotFound))
            }
            Err(error) => FileResponse::problem(Problem::internal(&error)),
        }
    }

    /// The picture embedded in the track's file.
    #[oai(path = "/library/tracks/:id/cover", method = "get")]
    async fn cover(&self, auth: SessionAuth, id: Path<uuid::Uuid>) -> FileResponse {
        match self
            .state
            .library
            .service
            .cover(auth.caller().user.id, TrackId::from_uuid(id.0))
            .await
        {
            Ok(Some((content_type, bytes))) => FileResponse(
                poem::Response::builder()
                    .content_type(content_type)
                    .header(poem::http::header::CACHE_CONTROL, "private, max-age=86400")
                    .body(bytes),
            ),
            Ok(None) => FileResponse::problem(Problem::new(
                StatusCode::NOT_FOUND,
                "cover_not_found",
                "No cover",
                "This track's file holds no picture.",
            )),
            Err(error @ TrackError::NotFound) => FileResponse::problem(track_not_found(&error)),
            Err(TrackError::Unknown(error)) => FileResponse::problem(Problem::internal(&error)),
        }
    }

    /// Scan the music folder now (operators): new and changed files are read, removed ones
    /// forgotten. It runs in the background; `GET /api/v1/library/scan` shows its progress.
    #[oai(path = "/library/scan", method = "post")]
    async fn start_scan(&self, auth: SessionAuth) -> ScanResponse {
        if let Err(problem) = super::tiers::operator(&auth) {
            return ScanResponse::from_problem(problem);
        }
        if !self.state.library.has_folder {
            return ScanResponse::from_problem(Problem::new(
                StatusCode::CONFLICT,
                "no_music_folder",
                "No music folder",
                "No music folder is configured: set SOIREE_MUSIC_DIR to a folder of music and restart the server.",
            ));
        }
        if !self.state.library.start_scan() {
            return ScanResponse::from_problem(Problem::new(
                StatusCode::CONFLICT,
                "scan_running",
                "A scan is running",
                "A scan of the music folder is under way; follow it with GET /api/v1/library/scan.",
            ));
        }
        ScanResponse::Started(Json(scan_out(&self.state)))
    }

    /// Where the music folder's scan stands (operators): its progress while it runs, and the
    /// last one's result with every file it could not read.
    #[oai(path = "/library/scan", method = "get")]
    async fn scan(&self, auth: SessionAuth) -> ScanResponse {
        if let Err(problem) = super::tiers::operator(&auth) {
            return ScanResponse::from_problem(problem);
        }
        ScanResponse::Ok(Json(scan_out(&self.state)))
    }
}
