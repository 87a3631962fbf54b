//! The Web API player (`/me/player/...`).

use async_trait::async_trait;
use reqwest::{Method, Response, StatusCode};
use secrecy::{ExposeSecret, SecretString};
use soiree_connections::{
    Device, ExportedPlaylist, PlayRequest, Playback, PlayerError, PlayerProvider, TrackSummary,
};
use soiree_provider_http::OutboundError;

use crate::Spotify;
use crate::wire;

/// Whether a command may be sent again after a timeout or a 5xx.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Repeat {
    /// Doing it twice is the same as once (pause, volume, seek, transfer, reads).
    Safe,
    /// Doing it twice skips or queues twice (next, previous, queue), or is the command whose 500
    /// means "device in the background" (play).
    Once,
}

impl Spotify {
    async fn command(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<serde_json::Value>,
        token: &SecretString,
        repeat: Repeat,
    ) -> Result<Response, PlayerError> {
        let url = self.url(path);
        let response = self
            .http
            .send(
                |client| {
                    let mut request = client
                        .request(method.clone(), &url)
                        .bearer_auth(token.expose_secret())
                        .query(query);
                    request = match &body {
                        Some(body) => request.json(body),
                        // Spotify wants a length on bodiless PUT and POST.
                        None if method != Method::GET => {
                            request.header(reqwest::header::CONTENT_LENGTH, "0")
                        }
                        None => request,
                    };
                    request
                },
                repeat == Repeat::Safe,
            )
            .await
            .map_err(|failure| match failure {
                OutboundError::RateLimited(retry_after) => PlayerError::RateLimited { retry_after },
                other => PlayerError::Unavailable(other.to_string()),
            })?;
        if response.status().is_success() {
            return Ok(response);
        }
        Err(player_error(response).await)
    }

    /// A page of `GET /me/tracks` (the liked tracks, newest first), read as `T`.
    async fn saved_tracks<T: serde::de::DeserializeOwned>(
        &self,
        token: &SecretString,
        limit: u32,
        offset: u32,
    ) -> Result<T, PlayerError> {
        let query = [("limit", limit.to_string()), ("offset", offset.to_string())];
        self.command(Method::GET, "/me/tracks", &query, None, token, Repeat::Safe)
            .await?
            .json()
            .await
            .map_err(|_| PlayerError::Unavailable("an unreadable list of liked tracks".into()))
    }

    async fn plain(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        token: &SecretString,
        repeat: Repeat,
    ) -> Result<(), PlayerError> {
        self.command(method, path, query, None, token, repeat)
            .await
            .map(|_| ())
    }
}

/// Translates a non-2xx answer using its status and Spotify's `reason`.
async fn player_error(response: Response) -> PlayerError {
    let status = response.status();
    let detail = response
        .json::<wire::ErrorBody>()
        .await
        .ok()
        .map(|body| body.error);
    let reason = detail
        .as_ref()
        .and_then(|detail| detail.reason.clone())
        .unwrap_or_default();
    let message = detail
        .and_then(|detail| detail.message)
        .unwrap_or_else(|| status.to_string());
    match (status, reason.as_str()) {
        (StatusCode::UNAUTHORIZED, _) => PlayerError::TokenRejected,
        (_, "NO_ACTIVE_DEVICE") | (StatusCode::NOT_FOUND, "") => PlayerError::NoActiveDevice,
        (_, "PREMIUM_REQUIRED") => PlayerError::PremiumRequired,
        (StatusCode::FORBIDDEN, _) => PlayerError::Restricted(message),
        (status, _) if status.is_server_error() => PlayerError::Unavailable(message),
        _ => PlayerError::Rejected(message),
    }
}

fn device(device: wire::Device) -> Device {
    Device {
        id: device.id,
        name: device.name,
        kind: device.kind,
        is_active: device.is_active,
        volume_percent: device.volume_percent,
    }
}

fn track(item: serde_json::Value) -> Option<TrackSummary> {
    let track: wire::Track = serde_json::from_value(item).ok()?;
    if !track.uri.starts_with("spotify:track:") {
        return None;
    }
    let (album, artwork_url) = match track.album {
        // The smallest image at least 200 pixels wide is enough for a phone and a TV; Spotify
        // lists images largest first.
        Some(album) => {
            let artwork = album
                .images
                .iter()
                .rev()
                .find(|image| image.width.is_none_or(|width| width >= 200))
                .or(album.images.first())
                .map(|image| image.url.clone());
            (album.name, artwork)
        }
        None => (None, None),
    };
    Some(TrackSummary {
        uri: track.uri,
        name: track.name,
        artists: track
            .artists
            .into_iter()
            .map(|artist| artist.name)
            .collect(),
        duration_ms: track.duration_ms,
        album,
        artwork_url,
    })
}

fn device_query(device_id: &Option<String>) -> Vec<(&'static str, String)> {
    device_id
        .iter()
        .map(|id| ("device_id", id.clone()))
        .collect()
}

#[async_trait]
impl PlayerProvider for Spotify {
    async fn playback(&self, access_token: &SecretString) -> Result<Option<Playback>, PlayerError> {
        let response = self
            .command(
                Method::GET,
                "/me/player",
                &[],
                None,
                access_token,
                Repeat::Safe,
            )
            .await?;
        if response.status() == StatusCode::NO_CONTENT {
            return Ok(None);
        }
        let state: wire::PlaybackState = response
            .json()
            .await
            .map_err(|_| PlayerError::Unavailable("an unreadable playback state".into()))?;
        Ok(Some(Playback {
            device: state.device.map(device),
            is_playing: state.is_playing,
            progress_ms: state.progress_ms,
            item: state.item.and_then(track),
        }))
    }

    async fn devices(&self, access_token: &SecretString) -> Result<Vec<Device>, PlayerError> {
        let response = self
            .command(
                Method::GET,
                "/me/player/devices",
                &[],
                None,
                access_token,
                Repeat::Safe,
            )
            .await?;
        let devices: wire::Devices = response
            .json()
            .await
            .map_err(|_| PlayerError::Unavailable("an unreadable device list".into()))?;
        Ok(devices.devices.into_iter().map(device).collect())
    }

    async fn play(
        &self,
        access_token: &SecretString,
        request: &PlayRequest,
    ) -> Result<(), PlayerError> {
        let body = (!request.uris.is_empty()).then(|| serde_json::json!({ "uris": request.uris }));
        let query = device_query(&request.device_id);
        match self
            .command(
                Method::PUT,
                "/me/player/play",
                &query,
                body,
                access_token,
                Repeat::Once,
            )
            .await
        {
            // A device gone to the background answers a play command with 500.
            Err(PlayerError::Unavailable(_)) => Err(PlayerError::NoActiveDevice),
            outcome => outcome.map(|_| ()),
        }
    }

    async fn pause(&self, access_token: &SecretString) -> Result<(), PlayerError> {
        self.plain(
            Method::PUT,
            "/me/player/pause",
            &[],
            access_token,
            Repeat::Safe,
        )
        .await
    }

    async fn next(&self, access_token: &SecretString) -> Result<(), PlayerError> {
        self.plain(
            Method::POST,
            "/me/player/next",
            &[],
            access_token,
            Repeat::Once,
        )
        .await
    }

    async fn previous(&self, access_token: &SecretString) -> Result<(), PlayerError> {
        self.plain(
            Method::POST,
            "/me/player/previous",
            &[],
            access_token,
            Repeat::Once,
        )
        .await
    }

    async fn set_volume(
        &self,
        access_token: &SecretString,
        percent: u8,
    ) -> Result<(), PlayerError> {
        let query = [("volume_percent", percent.min(100).to_string())];
        self.plain(
            Method::PUT,
            "/me/player/volume",
            &query,
            access_token,
            Repeat::Safe,
        )
        .await
    }

    async fn seek(&self, access_token: &SecretString, position_ms: u64) -> Result<(), PlayerError> {
        let query = [("position_ms", position_ms.to_string())];
        self.plain(
            Method::PUT,
            "/me/player/seek",
            &query,
            access_token,
            Repeat::Safe,
        )
        .await
    }

    async fn queue(&self, access_token: &SecretString, uri: &str) -> Result<(), PlayerError> {
        let query = [("uri", uri.to_owned())];
        self.plain(
            Method::POST,
            "/me/player/queue",
            &query,
            access_token,
            Repeat::Once,
        )
        .await
    }

    async fn create_playlist(
        &self,
        access_token: &SecretString,
        name: &str,
    ) -> Result<ExportedPlaylist, PlayerError> {
        let body = serde_json::json!({
            "name": name,
            "public": false,
            "description": "Saved from Soirée",
        });
        // Not repeated on a lost answer: a second request would make a second playlist.
        let response = self
            .command(
                Method::POST,
                "/me/playlists",
                &[],
                Some(body),
                access_token,
                Repeat::Once,
            )
            .await?;
        let made: serde_json::Value = response
            .json()
            .await
            .map_err(|_| PlayerError::Unavailable("an unreadable playlist".into()))?;
        let id = made["id"]
            .as_str()
            .ok_or_else(|| PlayerError::Unavailable("a playlist without an id".into()))?;
        Ok(ExportedPlaylist {
            id: id.to_owned(),
            url: made["external_urls"]["spotify"].as_str().map(str::to_owned),
        })
    }

    async fn add_to_playlist(
        &self,
        access_token: &SecretString,
        id: &str,
        uris: &[String],
    ) -> Result<(), PlayerError> {
        let path = format!("/playlists/{id}/items");
        self.command(
            Method::POST,
            &path,
            &[],
            Some(serde_json::json!({ "uris": uris })),
            access_token,
            Repeat::Once,
        )
        .await
        .map(|_| ())
    }

    async fn track(
        &self,
        access_token: &SecretString,
        id: &str,
    ) -> Result<Option<TrackSummary>, PlayerError> {
        let path = format!("/tracks/{id}");
        match self
            .command(Method::GET, &path, &[], None, access_token, Repeat::Safe)
            .await
        {
            Ok(response) => {
                let item: serde_json::Value = response
                    .json()
                    .await
                    .map_err(|_| PlayerError::Unavailable("an unreadable track".into()))?;
                Ok(track(item))
            }
            // Spotify answers an unknown or malformed id with 404 or 400.
            Err(PlayerError::Rejected(_) | PlayerError::NoActiveDevice) => Ok(None),
            Err(error) => Err(error),
        }
    }

    async fn search(
        &self,
        access_token: &SecretString,
        query: &str,
        limit: u8,
    ) -> Result<Vec<TrackSummary>, PlayerError> {
        if query.trim().is_empty() {
            return Ok(Vec::new());
        }
        let query = [
            ("q", query.to_owned()),
            ("type", "track".to_owned()),
            ("limit", limit.clamp(1, 10).to_string()),
        ];
        let response = self
            .command(
                Method::GET,
                "/search",
                &query,
                None,
                access_token,
                Repeat::Safe,
            )
            .await?;
        let results: wire::SearchResults = response
            .json()
            .await
            .map_err(|_| PlayerError::Unavailable("unreadable search results".into()))?;
        Ok(results.tracks.items.into_iter().filter_map(track).collect())
    }

    async fn liked_track_at(
        &self,
        access_token: &SecretString,
        offset: u32,
    ) -> Result<(u32, Option<String>), PlayerError> {
        let page: wire::SavedTracks = self.saved_tracks(access_token, 1, offset).await?;
        let uri = page.items.into_iter().next().map(|item| item.track.uri);
        Ok((page.total, uri))
    }

    async fn transfer(
        &self,
        access_token: &SecretString,
        device_id: &str,
        play: bool,
    ) -> Result<(), PlayerError> {
        let body = serde_json::json!({ "device_ids": [device_id], "play": play });
        self.command(
            Method::PUT,
            "/me/player",
            &[],
            Some(body),
            access_token,
            Repeat::Safe,
        )
        .await
        .map(|_| ())
    }
}

/// How many liked tracks one request reads (Spotify's most).
const LIKES_PER_PAGE: u32 = 50;

#[async_trait]
impl soiree_connections::LikesProvider for Spotify {
    fn provider(&self) -> soiree_connections::Provider {
        soiree_connections::Provider::Spotify
    }

    /// `GET /me/tracks?limit=50&offset=…`, newest first; the cursor is the next offset.
    async fn liked_page(
        &self,
        access_token: &SecretString,
        cursor: Option<&str>,
    ) -> Result<soiree_connections::LikedPage, PlayerError> {
        let offset: u32 = cursor.and_then(|cursor| cursor.parse().ok()).unwrap_or(0);
        let page: wire::LikedPage = self
            .saved_tracks(access_token, LIKES_PER_PAGE, offset)
            .await?;
        let read = u32::try_from(page.items.len()).unwrap_or(u32::MAX);
        let tracks = page
            .items
            .into_iter()
            .filter_map(|item| {
                let summary = track(item.track?)?;
                let liked_at = item
                    .added_at
                    .and_then(|at| chrono::DateTime::parse_from_rfc3339(&at).ok())
                    .map(|at| at.with_timezone(&chrono::Utc));
                let id = summary.uri.trim_start_matches("spotify:track:").to_owned();
                Some(soiree_connections::LikedTrack {
                    link: Some(format!("https://open.spotify.com/track/{id}")),
                    download_url: None,
                    uri: summary.uri,
                    title: summary.name,
                    artists: summary.artists,
                    album: summary.album,
                    duration_ms: summary.duration_ms,
                    liked_at,
                })
            })
            .collect();
        Ok(soiree_connections::LikedPage {
            tracks,
            next: page
                .next
                .filter(|_| read > 0)
                .map(|_| (offset + read).to_string()),
        })
    }
}
