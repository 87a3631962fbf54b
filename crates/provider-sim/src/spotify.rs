//! The Spotify Web API subset: profile, liked tracks, tracks, search and the player.

use std::collections::HashMap;

use chrono::Utc;
use poem::http::StatusCode;
use poem::web::{Data, Path, Query};
use poem::{Body, Request, Response, Route, get, handler, post, put};
use serde_json::{Value, json};

use crate::state::{SimPlaylist, SimProvider, Track, User, World, random_token};
use crate::{Simulator, json};

pub(crate) fn routes() -> Route {
    Route::new()
        .at("/me", get(handle_me))
        .at("/me/tracks", get(handle_saved_tracks))
        .at("/me/player", get(handle_playback).put(handle_transfer))
        .at("/me/player/devices", get(handle_devices))
        .at("/me/player/play", put(handle_play))
        .at("/me/player/pause", put(handle_pause))
        .at("/me/player/next", post(handle_next))
        .at("/me/player/previous", post(handle_previous))
        .at("/me/player/volume", put(handle_volume))
        .at("/me/player/seek", put(handle_seek))
        .at("/me/player/queue", post(handle_queue))
        .at("/me/playlists", post(handle_create_playlist))
        .at("/playlists/:id/items", post(handle_add_items))
        .at("/tracks/:id", get(handle_track))
        .at("/search", get(handle_search))
}

const API: &str = "https://api.spotify.com/v1";

fn error(status: StatusCode, message: &str, reason: Option<&str>) -> Response {
    let mut detail = json!({"status": status.as_u16(), "message": message});
    if let Some(reason) = reason {
        detail["reason"] = json!(reason);
    }
    json(status, json!({ "error": detail }))
}

/// The user behind the bearer token, or the 401 Spotify gives.
fn authenticate(world: &World, request: &Request) -> Result<String, Response> {
    let token = request
        .headers()
        .get(poem::http::header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .ok_or_else(|| error(StatusCode::UNAUTHORIZED, "No token provided", None))?;
    let access = world
        .access_tokens
        .get(token)
        .filter(|access| access.provider == SimProvider::Spotify)
        .ok_or_else(|| error(StatusCode::UNAUTHORIZED, "Invalid access token", None))?;
    if access.expires_at <= Utc::now() {
        return Err(error(
            StatusCode::UNAUTHORIZED,
            "The access token expired",
            None,
        ));
    }
    Ok(access.user_id.clone())
}

/// An album cover drawn from its name: a `data:` image, so that the demo shows artwork on a
/// network without internet (the real service links to its image servers).
fn artwork(album: &str, album_id: &str) -> String {
    let hue = album_id.bytes().fold(0u32, |hash, byte| {
        hash.wrapping_mul(31).wrapping_add(u32::from(byte))
    }) % 360;
    let initials: String = album
        .split_whitespace()
        .filter_map(|word| word.chars().next())
        .filter(char::is_ascii_alphanumeric)
        .take(2)
        .collect();
    let svg = format!(
        "<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 64 64'><rect width='64' height='64' fill='hsl({hue},60%,45%)'/><text x='32' y='41' font-family='sans-serif' font-size='24' fill='white' text-anchor='middle'>{initials}</text></svg>"
    );
    let encoded: String = svg
        .chars()
        .map(|c| match c {
            '<' => "%3C".to_owned(),
            '>' => "%3E".to_owned(),
            '#' => "%23".to_owned(),
            '%' => "%25".to_owned(),
            ' ' => "%20".to_owned(),
            other => other.to_string(),
        })
        .collect();
    format!("data:image/svg+xml,{encoded}")
}

pub(crate) fn track_json(track: &Track) -> Value {
    let artist = json!({
        "external_urls": {"spotify": format!("https://open.spotify.com/artist/{}", track.artist_id)},
        "href": format!("{API}/artists/{}", track.artist_id),
        "id": track.artist_id, "name": track.artist, "type": "artist",
        "uri": format!("spotify:artist:{}", track.artist_id),
    });
    json!({
        "album": {
            "album_type": "album", "total_tracks": 10, "available_markets": ["DE", "FR", "GB", "US"],
            "external_urls": {"spotify": format!("https://open.spotify.com/album/{}", track.album_id)},
            "href": format!("{API}/albums/{}", track.album_id), "id": track.album_id,
            "images": [{"url": artwork(&track.album, &track.album_id), "height": 640, "width": 640}],
            "name": track.album, "release_date": "2024-05-17", "release_date_precision": "day",
            "type": "album", "uri": format!("spotify:album:{}", track.album_id), "artists": [artist.clone()],
        },
        "artists": [artist],
        "available_markets": ["DE", "FR", "GB", "US"],
        "disc_number": 1,
        "duration_ms": track.duration_ms,
        "explicit": false,
        "external_ids": {"isrc": format!("SIM{:09}", track.numeric_id)},
        "external_urls": {"spotify": format!("https://open.spotify.com/track/{}", track.id)},
        "href": format!("{API}/tracks/{}", track.id),
        "id": track.id,
        "is_local": false,
        "is_playable": true,
        "name": track.name,
        "popularity": 42,
        "preview_url": null,
        "track_number": 1,
        "type": "track",
        "uri": format!("spotify:track:{}", track.id),
    })
}

fn paging(href: &str, items: Vec<Value>, limit: usize, offset: usize, total: usize) -> Value {
    let page = |offset: usize| format!("{href}?offset={offset}&limit={limit}");
    json!({
        "href": page(offset),
        "items": items,
        "limit": limit,
        "next": if offset + limit < total { Value::from(page(offset + limit)) } else { Value::Null },
        "offset": offset,
        "previous": if offset > 0 { Value::from(page(offset.saturating_sub(limit))) } else { Value::Null },
        "total": total,
    })
}

fn limit_offset(
    query: &HashMap<String, String>,
    default: usize,
    max: usize,
) -> Result<(usize, usize), Response> {
    let limit = match query.get("limit") {
        None => default,
        Some(text) => text
            .parse::<usize>()
            .ok()
            .filter(|limit| (1..=max).contains(limit))
            .ok_or_else(|| error(StatusCode::BAD_REQUEST, "Invalid limit", None))?,
    };
    let offset = match query.get("offset") {
        None => 0,
        Some(text) => text
            .parse::<usize>()
            .map_err(|_| error(StatusCode::BAD_REQUEST, "Invalid offset", None))?,
    };
    Ok((limit, offset))
}

#[handler]
fn handle_me(simulator: Data<&Simulator>, request: &Request) -> Response {
    let world = simulator.world();
    let user_id = match authenticate(&world, request) {
        Ok(user_id) => user_id,
        Err(response) => return response,
    };
    let Some(user) = world.user(&user_id) else {
        return error(StatusCode::NOT_FOUND, "User not found", None);
    };
    // Development-mode apps no longer get email, country or product (PROVIDERS.md).
    json(
        StatusCode::OK,
        json!({
            "id": user.id,
            "account_id": format!("acct-{}", user.id),
            "display_name": user.display_name,
            "external_urls": {"spotify": format!("https://open.spotify.com/user/{}", user.id)},
            "href": format!("{API}/users/{}", user.id),
            "images": [],
            "type": "user",
            "uri": format!("spotify:user:{}", user.id),
        }),
    )
}

#[handler]
fn handle_saved_tracks(
    simulator: Data<&Simulator>,
    request: &Request,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let world = simulator.world();
    let user_id = match authenticate(&world, request) {
        Ok(user_id) => user_id,
        Err(response) => return response,
    };
    let (limit, offset) = match limit_offset(&query, 20, 50) {
        Ok(pair) => pair,
        Err(response) => return response,
    };
    let Some(user) = world.user(&user_id) else {
        return error(StatusCode::NOT_FOUND, "User not found", None);
    };
    let items = user
        .liked
        .iter()
        .skip(offset)
        .take(limit)
        .filter_map(|(added_at, id)| world.track(id).map(|track| json!({"added_at": added_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true), "track": track_json(track)})))
        .collect();
    json(
        StatusCode::OK,
        paging(
            &format!("{API}/me/tracks"),
            items,
            limit,
            offset,
            user.liked.len(),
        ),
    )
}

#[handler]
fn handle_track(
    simulator: Data<&Simulator>,
    request: &Request,
    Path(id): Path<String>,
) -> Response {
    let world = simulator.world();
    if let Err(response) = authenticate(&world, request) {
        return response;
    }
    if id.len() != 22 || !id.chars().all(|c| c.is_ascii_alphanumeric()) {
        return error(StatusCode::BAD_REQUEST, "Invalid base62 id", None);
    }
    match world.track(&id) {
        Some(track) => json(StatusCode::OK, track_json(track)),
        None => error(StatusCode::NOT_FOUND, "Resource not found", None),
    }
}

#[handler]
fn handle_search(
    simulator: Data<&Simulator>,
    request: &Request,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let world = simulator.world();
    if let Err(response) = authenticate(&world, request) {
        return response;
    }
    let Some(text) = query.get("q").filter(|text| !text.trim().is_empty()) else {
        return error(StatusCode::BAD_REQUEST, "No search query", None);
    };
    if query.get("type").map(String::as_str) != Some("track") {
        return error(StatusCode::BAD_REQUEST, "Unsupported type", None);
    }
    // Development-mode apps may ask for at most 10 results.
    let (limit, offset) = match limit_offset(&query, 5, 10) {
        Ok(pair) => pair,
        Err(response) => return response,
    };
    let needle = text.to_lowercase();
    let found: Vec<&Track> = world
        .catalogue
        .iter()
        .filter(|track| {
            track.name.to_lowercase().contains(&needle)
                || track.artist.to_lowercase().contains(&needle)
        })
        .collect();
    let items = found
        .iter()
        .skip(offset)
        .take(limit)
        .map(|track| track_json(track))
        .collect();
    json(
        StatusCode::OK,
        json!({"tracks": paging(&format!("{API}/search"), items, limit, offset, found.len())}),
    )
}

fn device_json(user: &User, device: &crate::state::Device) -> Value {
    json!({
        "id": device.id,
        "is_active": user.player.active_device.as_deref() == Some(device.id.as_str()),
        "is_private_session": false,
        "is_restricted": false,
        "name": device.name,
        "type": device.kind,
        "volume_percent": device.volume_percent,
        "supports_volume": true,
    })
}

#[handler]
fn handle_devices(simulator: Data<&Simulator>, request: &Request) -> Response {
    let world = simulator.world();
    let user_id = match authenticate(&world, request) {
        Ok(user_id) => user_id,
        Err(response) => return response,
    };
    let Some(user) = world.user(&user_id) else {
        return error(StatusCode::NOT_FOUND, "User not found", None);
    };
    let devices: Vec<Value> = user
        .devices
        .iter()
        .map(|device| device_json(user, device))
        .collect();
    json(StatusCode::OK, json!({ "devices": devices }))
}

/// Runs a player command for the token's user: authentication, then Premium, then the
/// command itself with playback brought up to date.
fn player_command(
    simulator: &Simulator,
    request: &Request,
    command: impl FnOnce(&mut User, &Catalogue) -> Result<(), Response>,
) -> Response {
    let mut world = simulator.world();
    let user_id = match authenticate(&world, request) {
        Ok(user_id) => user_id,
        Err(response) => return response,
    };
    let catalogue: Catalogue = world
        .catalogue
        .iter()
        .map(|track| (track.id.clone(), track.duration_ms))
        .collect();
    let Some(user) = world.user_mut(&user_id) else {
        return error(StatusCode::NOT_FOUND, "User not found", None);
    };
    if !user.premium {
        return error(
            StatusCode::FORBIDDEN,
            "Player command failed: Premium required",
            Some("PREMIUM_REQUIRED"),
        );
    }
    user.player
        .advance(Utc::now(), |id| catalogue.get(id).copied().unwrap_or(0));
    match command(user, &catalogue) {
        Ok(()) => Response::builder().status(StatusCode::NO_CONTENT).finish(),
        Err(response) => response,
    }
}

fn no_active_device() -> Response {
    error(
        StatusCode::NOT_FOUND,
        "Player command failed: No active device found",
        Some("NO_ACTIVE_DEVICE"),
    )
}

fn require_active(user: &User) -> Result<(), Response> {
    user.player
        .active_device
        .as_ref()
        .map(|_| ())
        .ok_or_else(no_active_device)
}

/// Track ids and their durations.
type Catalogue = HashMap<String, u64>;

fn track_id(uri: &str, catalogue: &Catalogue) -> Option<String> {
    let id = uri.strip_prefix("spotify:track:")?;
    catalogue.contains_key(id).then(|| id.to_owned())
}

#[handler]
async fn handle_play(
    simulator: Data<&Simulator>,
    request: &Request,
    Query(query): Query<HashMap<String, String>>,
    body: Body,
) -> Response {
    let bytes = body.into_vec().await.unwrap_or_default();
    let uris: Vec<String> = if bytes.is_empty() {
        Vec::new()
    } else {
        match serde_json::from_slice::<Value>(&bytes) {
            Ok(value) => value["uris"]
                .as_array()
                .map(|uris| {
                    uris.iter()
                        .filter_map(|uri| uri.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default(),
            Err(_) => return error(StatusCode::BAD_REQUEST, "Malformed json", None),
        }
    };
    player_command(&simulator, request, |user, catalogue| {
        if let Some(device_id) = query.get("device_id") {
            if !user.devices.iter().any(|device| &device.id == device_id) {
                return Err(error(StatusCode::NOT_FOUND, "Device not found", None));
            }
            user.player.active_device = Some(device_id.clone());
        }
        require_active(user)?;
        let now = Utc::now();
        if uris.is_empty() {
            if user.player.current.is_none() {
                return Err(error(
                    StatusCode::FORBIDDEN,
                    "Player command failed: Restriction violated",
                    Some("UNKNOWN"),
                ));
            }
            if user.player.resumed_at.is_none() {
                user.player.resumed_at = Some(now);
            }
            return Ok(());
        }
        let ids: Option<Vec<String>> = uris.iter().map(|uri| track_id(uri, catalogue)).collect();
        let Some(mut ids) = ids.filter(|ids| !ids.is_empty()) else {
            return Err(error(StatusCode::BAD_REQUEST, "Invalid track uri", None));
        };
        let first = ids.remove(0);
        if let Some(current) = user.player.current.replace(first) {
            user.player.history.push(current);
        }
        // A play with URIs replaces the context; the user's queue stays.
        user.player.context = ids.into_iter().collect();
        user.player.position_ms = 0;
        user.player.resumed_at = Some(now);
        Ok(())
    })
}

#[handler]
fn handle_pause(simulator: Data<&Simulator>, request: &Request) -> Response {
    player_command(&simulator, request, |user, _| {
        require_active(user)?;
        if user.player.resumed_at.is_none() {
            return Err(error(
                StatusCode::FORBIDDEN,
                "Player command failed: Restriction violated",
                Some("ALREADY_PAUSED"),
            ));
        }
        user.player.pause(Utc::now());
        Ok(())
    })
}

#[handler]
fn handle_next(simulator: Data<&Simulator>, request: &Request) -> Response {
    player_command(&simulator, request, |user, _| {
        require_active(user)?;
        let Some(next) = user.player.next_up() else {
            return Err(error(
                StatusCode::FORBIDDEN,
                "Player command failed: No next track",
                Some("NO_NEXT_TRACK"),
            ));
        };
        if let Some(current) = user.player.current.replace(next) {
            user.player.history.push(current);
        }
        user.player.position_ms = 0;
        user.player.resumed_at = Some(Utc::now());
        Ok(())
    })
}

#[handler]
fn handle_previous(simulator: Data<&Simulator>, request: &Request) -> Response {
    player_command(&simulator, request, |user, _| {
        require_active(user)?;
        let Some(previous) = user.player.history.pop() else {
            return Err(error(
                StatusCode::FORBIDDEN,
                "Player command failed: No previous track",
                Some("NO_PREV_TRACK"),
            ));
        };
        if let Some(current) = user.player.current.replace(previous) {
            user.player.context.push_front(current);
        }
        user.player.position_ms = 0;
        user.player.resumed_at = Some(Utc::now());
        Ok(())
    })
}

#[handler]
fn handle_volume(
    simulator: Data<&Simulator>,
    request: &Request,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let Some(percent) = query
        .get("volume_percent")
        .and_then(|text| text.parse::<u8>().ok())
        .filter(|percent| *percent <= 100)
    else {
        return error(StatusCode::BAD_REQUEST, "Invalid volume_percent", None);
    };
    player_command(&simulator, request, |user, _| {
        require_active(user)?;
        let active = user.player.active_device.clone();
        if let Some(device) = user
            .devices
            .iter_mut()
            .find(|device| Some(&device.id) == active.as_ref())
        {
            device.volume_percent = percent;
        }
        Ok(())
    })
}

#[handler]
fn handle_seek(
    simulator: Data<&Simulator>,
    request: &Request,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let Some(position) = query
        .get("position_ms")
        .and_then(|text| text.parse::<u64>().ok())
    else {
        return error(StatusCode::BAD_REQUEST, "Invalid position_ms", None);
    };
    player_command(&simulator, request, |user, catalogue| {
        require_active(user)?;
        user.player.seek(position, Utc::now(), |id| {
            catalogue.get(id).copied().unwrap_or(0)
        });
        Ok(())
    })
}

#[handler]
fn handle_queue(
    simulator: Data<&Simulator>,
    request: &Request,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let uri = query.get("uri").cloned().unwrap_or_default();
    player_command(&simulator, request, |user, catalogue| {
        require_active(user)?;
        let id = track_id(&uri, catalogue)
            .ok_or_else(|| error(StatusCode::BAD_REQUEST, "Invalid track uri", None))?;
        user.player.queue.push_back(id);
        Ok(())
    })
}

#[handler]
async fn handle_transfer(simulator: Data<&Simulator>, request: &Request, body: Body) -> Response {
    let body: Value =
        serde_json::from_slice(&body.into_vec().await.unwrap_or_default()).unwrap_or(Value::Null);
    let Some(device_id) = body["device_ids"]
        .as_array()
        .and_then(|ids| ids.first())
        .and_then(Value::as_str)
        .map(str::to_owned)
    else {
        return error(
            StatusCode::BAD_REQUEST,
            "device_ids must name one device",
            None,
        );
    };
    let start = body["play"].as_bool().unwrap_or(false);
    player_command(&simulator, request, |user, _| {
        if !user.devices.iter().any(|device| device.id == device_id) {
            return Err(error(StatusCode::NOT_FOUND, "Device not found", None));
        }
        user.player.active_device = Some(device_id);
        if start && user.player.current.is_some() && user.player.resumed_at.is_none() {
            user.player.resumed_at = Some(Utc::now());
        }
        Ok(())
    })
}

#[handler]
fn handle_playback(simulator: Data<&Simulator>, request: &Request) -> Response {
    let mut world = simulator.world();
    let user_id = match authenticate(&world, request) {
        Ok(user_id) => user_id,
        Err(response) => return response,
    };
    let catalogue: HashMap<String, Track> = world
        .catalogue
        .iter()
        .map(|track| (track.id.clone(), track.clone()))
        .collect();
    let Some(user) = world.user_mut(&user_id) else {
        return error(StatusCode::NOT_FOUND, "User not found", None);
    };
    let now = Utc::now();
    user.player.advance(now, |id| {
        catalogue.get(id).map_or(0, |track| track.duration_ms)
    });
    let (Some(device_id), Some(current)) = (
        user.player.active_device.clone(),
        user.player.current.clone(),
    ) else {
        return Response::builder().status(StatusCode::NO_CONTENT).finish();
    };
    let device = user
        .devices
        .iter()
        .find(|device| device.id == device_id)
        .map(|device| device_json(user, device));
    json(
        StatusCode::OK,
        json!({
            "device": device,
            "repeat_state": "off",
            "shuffle_state": false,
            "timestamp": now.timestamp_millis(),
            "progress_ms": user.player.position_at(now),
            "is_playing": user.player.resumed_at.is_some(),
            "item": catalogue.get(&current).map(track_json),
            "currently_playing_type": "track",
            "actions": {"interrupting_playback": false, "pausing": true, "resuming": true, "seeking": true,
                        "skipping_next": true, "skipping_prev": true, "toggling_repeat_context": true,
                        "toggling_shuffle": true, "toggling_repeat_track": true, "transferring_playback": true},
        }),
    )
}

/// `POST /me/playlists` `{"name", "public"?, "description"?}` → 201 with the playlist (empty).
#[handler]
async fn handle_create_playlist(
    simulator: Data<&Simulator>,
    request: &Request,
    body: Body,
) -> Response {
    let body: Value =
        serde_json::from_slice(&body.into_vec().await.unwrap_or_default()).unwrap_or(Value::Null);
    let Some(name) = body["name"].as_str().filter(|name| !name.is_empty()) else {
        return error(
            StatusCode::BAD_REQUEST,
            "Missing required field: name",
            None,
        );
    };
    let mut world = simulator.world();
    let user_id = match authenticate(&world, request) {
        Ok(user_id) => user_id,
        Err(response) => return response,
    };
    let Some(user) = world.user_mut(&user_id) else {
        return error(StatusCode::NOT_FOUND, "User not found", None);
    };
    // Spotify ids are 22 base-62 characters.
    let id: String = random_token("")
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .chain(std::iter::repeat('0'))
        .take(22)
        .collect();
    let playlist = SimPlaylist {
        id: id.clone(),
        name: name.to_owned(),
        public: body["public"].as_bool().unwrap_or(true),
        items: Vec::new(),
    };
    let out = playlist_json(&playlist, &user.id);
    user.playlists.push(playlist);
    json(StatusCode::CREATED, out)
}

fn playlist_json(playlist: &SimPlaylist, owner: &str) -> Value {
    json!({
        "id": playlist.id,
        "name": playlist.name,
        "public": playlist.public,
        "collaborative": false,
        "uri": format!("spotify:playlist:{}", playlist.id),
        "href": format!("https://api.spotify.com/v1/playlists/{}", playlist.id),
        "external_urls": {"spotify": format!("https://open.spotify.com/playlist/{}", playlist.id)},
        "owner": {"id": owner, "type": "user", "uri": format!("spotify:user:{owner}")},
        "snapshot_id": format!("snapshot-{}", playlist.items.len()),
        "type": "playlist",
        "items": {"total": playlist.items.len()},
    })
}

/// `POST /playlists/{id}/items` `{"uris": [...], "position"?}` → 201 `{"snapshot_id"}`; at most
/// 100 URIs a request, as Spotify.
#[handler]
async fn handle_add_items(
    simulator: Data<&Simulator>,
    request: &Request,
    Path(id): Path<String>,
    body: Body,
) -> Response {
    let body: Value =
        serde_json::from_slice(&body.into_vec().await.unwrap_or_default()).unwrap_or(Value::Null);
    let Some(uris) = body["uris"].as_array() else {
        return error(
            StatusCode::BAD_REQUEST,
            "Missing required field: uris",
            None,
        );
    };
    if uris.len() > 100 {
        return error(
            StatusCode::BAD_REQUEST,
            "You can add a maximum of 100 tracks per request.",
            None,
        );
    }
    let mut added = Vec::with_capacity(uris.len());
    for uri in uris {
        match uri.as_str() {
            Some(uri)
                if uri.starts_with("spotify:track:") || uri.starts_with("spotify:episode:") =>
            {
                added.push(uri.to_owned());
            }
            _ => return error(StatusCode::BAD_REQUEST, "Invalid base62 id", None),
        }
    }
    let mut world = simulator.world();
    let user_id = match authenticate(&world, request) {
        Ok(user_id) => user_id,
        Err(response) => return response,
    };
    let Some(user) = world.user_mut(&user_id) else {
        return error(StatusCode::NOT_FOUND, "User not found", None);
    };
    let Some(playlist) = user.playlists.iter_mut().find(|playlist| playlist.id == id) else {
        return error(StatusCode::NOT_FOUND, "Resource not found", None);
    };
    let at = body["position"]
        .as_u64()
        .map_or(playlist.items.len(), |position| {
            usize::try_from(position)
                .unwrap_or(usize::MAX)
                .min(playlist.items.len())
        });
    playlist.items.splice(at..at, added);
    json(
        StatusCode::CREATED,
        json!({"snapshot_id": format!("snapshot-{}", playlist.items.len())}),
    )
}
