//! `/_sim`: switches and counters for tests.

use chrono::{Duration, Utc};
use poem::http::StatusCode;
use poem::web::{Data, Json, Path};
use poem::{Response, Route, get, handler, post, put};
use serde::Deserialize;
use serde_json::json;

use crate::state::{Fault, SimProvider};
use crate::{Simulator, json};

pub(crate) fn routes() -> Route {
    Route::new()
        .at("/apps", post(handle_register_app))
        .at(
            "/faults",
            post(handle_add_fault).delete(handle_clear_faults),
        )
        .at("/revoke", post(handle_revoke))
        .at("/expire", post(handle_expire))
        .at("/users/:user/devices/drop", post(handle_drop_devices))
        .at("/users/:user/player", get(handle_player))
        .at("/users/:user/likes", post(handle_like))
        .at("/users/:user/likes/:track", poem::delete(handle_unlike))
        .at("/settings", put(handle_settings))
        .at("/calls", get(handle_calls))
}

fn provider(name: &str) -> Option<SimProvider> {
    match name {
        "spotify" => Some(SimProvider::Spotify),
        "soundcloud" => Some(SimProvider::SoundCloud),
        _ => None,
    }
}

fn bad(message: &str) -> Response {
    json(StatusCode::BAD_REQUEST, json!({ "error": message }))
}

fn done() -> Response {
    Response::builder().status(StatusCode::NO_CONTENT).finish()
}

#[derive(Deserialize)]
struct AppIn {
    provider: String,
    client_id: String,
    client_secret: String,
    #[serde(default)]
    redirect_uris: Vec<String>,
}

#[handler]
fn handle_register_app(simulator: Data<&Simulator>, Json(app): Json<AppIn>) -> Response {
    let Some(provider) = provider(&app.provider) else {
        return bad("provider is spotify or soundcloud");
    };
    simulator.register_app(
        provider,
        &app.client_id,
        &app.client_secret,
        &app.redirect_uris,
    );
    done()
}

#[derive(Deserialize)]
struct FaultIn {
    /// `METHOD /path`, such as `PUT /spotify/api/v1/me/player/play`.
    route: String,
    status: Option<u16>,
    retry_after: Option<u64>,
    delay_ms: Option<u64>,
    #[serde(default = "one")]
    count: u32,
}

fn one() -> u32 {
    1
}

#[handler]
fn handle_add_fault(simulator: Data<&Simulator>, Json(fault): Json<FaultIn>) -> Response {
    simulator.world().faults.push(Fault {
        route: fault.route,
        status: fault.status,
        retry_after: fault.retry_after,
        delay_ms: fault.delay_ms,
        remaining: fault.count,
    });
    done()
}

#[handler]
fn handle_clear_faults(simulator: Data<&Simulator>) -> Response {
    simulator.world().faults.clear();
    done()
}

#[derive(Deserialize)]
struct Scope {
    provider: Option<String>,
    user: Option<String>,
}

#[handler]
fn handle_revoke(simulator: Data<&Simulator>, Json(scope): Json<Scope>) -> Response {
    let wanted = scope.provider.as_deref().map(provider);
    let mut world = simulator.world();
    for token in world.refresh_tokens.values_mut() {
        let provider_matches = wanted.is_none_or(|wanted| wanted == Some(token.provider));
        let user_matches = scope
            .user
            .as_ref()
            .is_none_or(|user| *user == token.user_id);
        if provider_matches && user_matches {
            token.revoked = true;
        }
    }
    done()
}

#[handler]
fn handle_expire(simulator: Data<&Simulator>, Json(scope): Json<Scope>) -> Response {
    let wanted = scope.provider.as_deref().map(provider);
    let past = Utc::now() - Duration::seconds(1);
    let mut world = simulator.world();
    for token in world.access_tokens.values_mut() {
        if wanted.is_none_or(|wanted| wanted == Some(token.provider)) {
            token.expires_at = past;
        }
    }
    done()
}

#[handler]
fn handle_drop_devices(simulator: Data<&Simulator>, Path(user): Path<String>) -> Response {
    let mut world = simulator.world();
    let Some(user) = world.user_mut(&user) else {
        return bad("unknown user");
    };
    user.devices.clear();
    user.player.active_device = None;
    done()
}

#[handler]
fn handle_player(simulator: Data<&Simulator>, Path(user): Path<String>) -> Response {
    let mut world = simulator.world();
    let durations: std::collections::HashMap<String, u64> = world
        .catalogue
        .iter()
        .map(|track| (track.id.clone(), track.duration_ms))
        .collect();
    let Some(user) = world.user_mut(&user) else {
        return bad("unknown user");
    };
    let now = Utc::now();
    user.player
        .advance(now, |id| durations.get(id).copied().unwrap_or(0));
    let player = &user.player;
    json(
        StatusCode::OK,
        json!({
            "active_device": player.active_device,
            "current": player.current.as_ref().map(|id| format!("spotify:track:{id}")),
            "is_playing": player.resumed_at.is_some(),
            "progress_ms": player.position_at(now),
            "queue": player.queue.iter().map(|id| format!("spotify:track:{id}")).collect::<Vec<_>>(),
            "history": player.history.iter().map(|id| format!("spotify:track:{id}")).collect::<Vec<_>>(),
            "volume": user.devices.iter().find(|device| Some(&device.id) == player.active_device.as_ref()).map(|device| device.volume_percent),
            "liked": user.liked.iter().map(|(_, id)| format!("spotify:track:{id}")).collect::<Vec<_>>(),
            "playlists": user.playlists.iter().map(|playlist| json!({
                "id": playlist.id,
                "name": playlist.name,
                "public": playlist.public,
                "items": playlist.items,
            })).collect::<Vec<_>>(),
        }),
    )
}

#[derive(Deserialize)]
struct LikeIn {
    #[serde(default = "one_like")]
    count: usize,
    /// These catalogue tracks (by id, Spotify URI or SoundCloud URN) instead of `count` more.
    #[serde(default)]
    tracks: Option<Vec<String>>,
}

fn one_like() -> usize {
    1
}

/// `POST /_sim/users/{user}/likes {"count": N}`: the user likes N more tracks now (at both
/// services); answers their Spotify URIs, newest first. `{"tracks": [...]}` likes those
/// catalogue tracks instead (so that two users share some).
#[handler]
fn handle_like(
    simulator: Data<&Simulator>,
    Path(user): Path<String>,
    Json(like): Json<LikeIn>,
) -> Response {
    if like.count > 100_000 {
        return bad("at most 100000 likes at a time");
    }
    let liked = match like.tracks {
        Some(tracks) => simulator.world().like_these(&user, &tracks),
        None => simulator.world().like_more(&user, like.count),
    };
    match liked {
        Some(uris) => json(StatusCode::OK, json!({ "liked": uris })),
        None => bad("unknown user"),
    }
}

/// `DELETE /_sim/users/{user}/likes/{track}`: the user takes a like back (the track by id,
/// Spotify URI or SoundCloud URN).
#[handler]
fn handle_unlike(
    simulator: Data<&Simulator>,
    Path((user, track)): Path<(String, String)>,
) -> Response {
    if simulator.world().unlike(&user, &track) {
        done()
    } else {
        json(StatusCode::NOT_FOUND, json!({ "error": "not liked" }))
    }
}

#[derive(Deserialize)]
struct SettingsIn {
    token_lifetime_seconds: Option<i64>,
    rotate_spotify: Option<bool>,
    rotate_soundcloud: Option<bool>,
}

#[handler]
fn handle_settings(simulator: Data<&Simulator>, Json(settings): Json<SettingsIn>) -> Response {
    let mut world = simulator.world();
    if let Some(seconds) = settings.token_lifetime_seconds {
        world.token_lifetime = Duration::seconds(seconds.max(1));
    }
    if let Some(rotate) = settings.rotate_spotify {
        world.rotate.insert(SimProvider::Spotify, rotate);
    }
    if let Some(rotate) = settings.rotate_soundcloud {
        world.rotate.insert(SimProvider::SoundCloud, rotate);
    }
    done()
}

#[handler]
fn handle_calls(simulator: Data<&Simulator>) -> Response {
    let world = simulator.world();
    json(StatusCode::OK, json!(world.calls))
}
