//! The pages' style sheet, scripts and icon, compiled into the binary: the pages work on a party
//! network with no internet, and there is nothing to ship beside the server.

use poem::http::StatusCode;
use poem::web::Path;
use poem::{Response, handler};

/// One file under `apps/server/assets/`.
struct Asset {
    name: &'static str,
    body: &'static str,
}

macro_rules! assets {
    ($($name:literal,)+) => {
        &[$(Asset { name: $name, body: include_str!(concat!("../../assets/", $name)) },)+]
    };
}

static ASSETS: &[Asset] = assets! {
    "soiree.css",
    "soiree.js",
    "home.js",
    "signup.js",
    "login.js",
    "dashboard.js",
    "providers.js",
    "connect.js",
    "settings.js",
    "music.js",
    "library.js",
    "playlists.js",
    "insights.js",
    "room-new.js",
    "room.js",
    "tv.js",
    "tiers.js",
    "operator.js",
};

const FAVICON: &str = include_str!("../../assets/favicon.svg");

/// `GET /assets/{name}`.
#[handler]
pub(super) fn asset(Path(name): Path<String>) -> Response {
    let content_type = if name.ends_with(".css") {
        "text/css; charset=utf-8"
    } else {
        "text/javascript; charset=utf-8"
    };
    match ASSETS.iter().find(|asset| asset.name == name) {
        Some(asset) => Response::builder()
            .content_type(content_type)
            .body(asset.body),
        None => Response::builder().status(StatusCode::NOT_FOUND).finish(),
    }
}

/// `GET /favicon.svg`.
#[handler]
pub(super) fn favicon() -> Response {
    Response::builder()
        .content_type("image/svg+xml")
        .body(FAVICON)
}
