//! The SoundCloud API subset: `/me`, `/me/likes/tracks` (cursor pages via `next_href`) and the
//! download of a track its artist made downloadable (`/tracks/{urn}/download`, a redirect to a
//! signed storage address that answers byte ranges).

use std::collections::HashMap;

use chrono::Utc;
use poem::http::StatusCode;
use poem::web::{Data, Query};
use poem::{Request, Response, Route, get, handler};
use serde_json::{Value, json};

use crate::state::{SimProvider, Track, User, World};
use crate::{Simulator, json};

pub(crate) fn routes() -> Route {
    Route::new()
        .at("/me", get(handle_me))
        .at("/me/likes/tracks", get(handle_liked_tracks))
        .at("/tracks/:urn/download", get(handle_download))
}

/// The storage downloads are redirected to (no token: the address is signed).
pub(crate) fn storage_routes() -> Route {
    Route::new().at("/:file", get(handle_stored_file))
}

const API: &str = "https://api.soundcloud.com";
const CREATED_AT: &str = "2019/01/15 15:40:49 +0000";

fn error(status: StatusCode, message: &str) -> Response {
    json(
        status,
        json!({"code": status.as_u16(), "message": message, "link": "https://developers.soundcloud.com/docs/api/explorer/open-api", "status": format!("{} - {}", status.as_u16(), status.canonical_reason().unwrap_or("")), "errors": [], "error": null}),
    )
}

/// `Authorization: OAuth <token>` (or `Bearer`, which SoundCloud accepts too).
fn authenticate(world: &World, request: &Request) -> Result<String, Response> {
    let header = request
        .headers()
        .get(poem::http::header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default();
    let token = header
        .strip_prefix("OAuth ")
        .or_else(|| header.strip_prefix("Bearer "))
        .ok_or_else(|| error(StatusCode::UNAUTHORIZED, "401 - Unauthorized"))?;
    let access = world
        .access_tokens
        .get(token)
        .filter(|access| {
            access.provider == SimProvider::SoundCloud && access.expires_at > Utc::now()
        })
        .ok_or_else(|| error(StatusCode::UNAUTHORIZED, "401 - Unauthorized"))?;
    Ok(access.user_id.clone())
}

fn user_json(user: &User) -> Value {
    json!({
        "avatar_url": format!("https://i1.sndcdn.com/avatars-{}-large.jpg", user.numeric_id),
        "city": "Berlin", "country": "Germany", "description": "Simulated listener",
        "first_name": user.display_name.split(' ').next().unwrap_or_default(),
        "followers_count": 12, "followings_count": 34, "full_name": user.display_name,
        "urn": format!("soundcloud:users:{}", user.numeric_id), "kind": "user",
        "created_at": CREATED_AT, "last_modified": CREATED_AT,
        "last_name": user.display_name.split(' ').nth(1).unwrap_or_default(),
        "permalink": user.id, "permalink_url": format!("https://soundcloud.com/{}", user.id),
        "plan": if user.premium { "Pro Unlimited" } else { "Free" },
        "playlist_count": 0, "public_favorites_count": user.liked.len(), "reposts_count": 0, "track_count": 0,
        "uri": format!("{API}/users/soundcloud:users:{}", user.numeric_id),
        "username": user.id,
    })
}

/// Removes null fields except those SoundCloud's document declares nullable; the others are
/// simply left out, as the real API does for unknown values.
fn without_nulls(mut value: Value, nullable: &[&str]) -> Value {
    if let Value::Object(map) = &mut value {
        map.retain(|key, field| !field.is_null() || nullable.contains(&key.as_str()));
    }
    value
}

fn track_json(track: &Track, owner: &User) -> Value {
    without_nulls(
        json!({
            "kind": "track", "title": track.name, "artwork_url": null, "bpm": null, "comment_count": 0,
            "commentable": true, "created_at": CREATED_AT, "description": "", "download_count": 0,
            "downloadable": track.downloadable, "duration": track.duration_ms, "embeddable_by": "all",
            "favoritings_count": 3, "genre": "Electronic", "urn": format!("soundcloud:tracks:{}", track.numeric_id),
            "isrc": null, "key_signature": null, "label_name": null, "license": "all-rights-reserved",
            "metadata_artist": track.artist,
            "permalink_url": format!("https://soundcloud.com/{}/{}", owner.id, track.id.to_lowercase()),
            "playback_count": 100, "purchase_title": null, "purchase_url": null, "release": null,
            "release_day": null, "release_month": null, "release_year": null, "sharing": "public",
            "stream_url": format!("{API}/tracks/soundcloud:tracks:{}/stream", track.numeric_id),
            "streamable": true, "tag_list": "", "uri": format!("{API}/tracks/soundcloud:tracks:{}", track.numeric_id),
            "user": user_json(owner), "user_favorite": true, "user_playback_count": 1,
            "waveform_url": format!("https://wave.sndcdn.com/{}.png", track.id), "available_country_codes": null,
            "access": "playable",
            "download_url": track.downloadable.then(|| format!("{API}/tracks/soundcloud:tracks:{}/download", track.numeric_id)),
        }),
        &["access", "download_url"],
    )
}

#[handler]
fn handle_me(simulator: Data<&Simulator>, request: &Request) -> Response {
    let world = simulator.world();
    match authenticate(&world, request).map(|user_id| world.user(&user_id).map(user_json)) {
        Ok(Some(body)) => json(StatusCode::OK, body),
        Ok(None) => error(StatusCode::NOT_FOUND, "404 - Not Found"),
        Err(response) => response,
    }
}

#[handler]
fn handle_liked_tracks(
    simulator: Data<&Simulator>,
    request: &Request,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let world = simulator.world();
    let user_id = match authenticate(&world, request) {
        Ok(user_id) => user_id,
        Err(response) => return response,
    };
    let limit = match query.get("limit").map(|text| text.parse::<usize>()) {
        None => 50,
        Some(Ok(limit)) if (1..=200).contains(&limit) => limit,
        Some(_) => return error(StatusCode::BAD_REQUEST, "400 - Bad Request"),
    };
    let cursor = query
        .get("cursor")
        .and_then(|text| text.parse::<usize>().ok())
        .unwrap_or(0);
    let Some(user) = world.user(&user_id) else {
        return error(StatusCode::NOT_FOUND, "404 - Not Found");
    };
    let collection: Vec<Value> = user
        .liked
        .iter()
        .skip(cursor)
        .take(limit)
        .filter_map(|(_, id)| world.track(id).map(|track| track_json(track, user)))
        .collect();
    let mut body = json!({ "collection": collection });
    // The last page leaves `next_href` out altogether, which clients must handle like null.
    if cursor + limit < user.liked.len() {
        body["next_href"] = json!(format!(
            "{API}/me/likes/tracks?limit={limit}&linked_partitioning=true&cursor={}",
            cursor + limit
        ));
    }
    json(StatusCode::OK, body)
}

/// The file of a downloadable track: a silent WAV of one to three seconds.
fn file_of(track: &Track) -> Vec<u8> {
    soiree_media::testing::wav_of_seconds(1 + (track.numeric_id % 3) as u32)
}

fn downloadable<'a>(world: &'a World, urn: &str) -> Option<&'a Track> {
    let numeric: u64 = urn
        .strip_prefix("soundcloud:tracks:")
        .unwrap_or(urn)
        .parse()
        .ok()?;
    world
        .catalogue
        .iter()
        .find(|track| track.numeric_id == numeric && track.downloadable)
}

/// `GET /tracks/{urn}/download`: for the signed-in listener, a redirect to the file in storage
/// (404 when the track is not downloadable).
#[handler]
fn handle_download(
    simulator: Data<&Simulator>,
    request: &Request,
    poem::web::Path(urn): poem::web::Path<String>,
) -> Response {
    let world = simulator.world();
    if let Err(response) = authenticate(&world, request) {
        return response;
    }
    match downloadable(&world, &urn) {
        Some(track) => Response::builder()
            .status(StatusCode::FOUND)
            .header(
                poem::http::header::LOCATION,
                format!("../../../storage/{}.wav?signature=sim", track.numeric_id),
            )
            .finish(),
        None => error(StatusCode::NOT_FOUND, "404 - Not Found"),
    }
}

/// `GET /storage/{id}.wav`: the file, or the byte range asked for (`Range: bytes=a-b`).
#[handler]
fn handle_stored_file(
    simulator: Data<&Simulator>,
    request: &Request,
    poem::web::Path(file): poem::web::Path<String>,
) -> Response {
    let world = simulator.world();
    let Some(track) = file
        .strip_suffix(".wav")
        .and_then(|id| downloadable(&world, id))
    else {
        return error(StatusCode::NOT_FOUND, "404 - Not Found");
    };
    let bytes = file_of(track);
    let total = bytes.len() as u64;
    let range = request
        .headers()
        .get(poem::http::header::RANGE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("bytes="))
        .and_then(|value| value.split_once('-'))
        .and_then(|(start, end)| {
            let start: u64 = start.parse().ok()?;
            let end: u64 = end.parse().ok().unwrap_or(total.saturating_sub(1));
            Some((start, end.min(total.saturating_sub(1))))
        });
    let builder = Response::builder().content_type("audio/wav");
    match range {
        None => builder.status(StatusCode::OK).body(bytes),
        Some((start, _)) if start >= total => builder
            .status(StatusCode::RANGE_NOT_SATISFIABLE)
            .header(
                poem::http::header::CONTENT_RANGE,
                format!("bytes */{total}"),
            )
            .finish(),
        Some((start, end)) => builder
            .status(StatusCode::PARTIAL_CONTENT)
            .header(
                poem::http::header::CONTENT_RANGE,
                format!("bytes {start}-{end}/{total}"),
            )
            .body(bytes[start as usize..=end as usize].to_vec()),
    }
}
