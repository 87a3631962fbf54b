//! Spotify's JSON, as far as Soirée reads it. Unknown fields are ignored; optional ones may be
//! absent or null, as the Web API documents.

use serde::Deserialize;

#[derive(Debug, Deserialize)]
pub(crate) struct Profile {
    pub(crate) id: String,
    #[serde(default)]
    pub(crate) account_id: Option<String>,
    #[serde(default)]
    pub(crate) display_name: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct ErrorBody {
    pub(crate) error: ErrorDetail,
}

#[derive(Debug, Deserialize)]
pub(crate) struct ErrorDetail {
    #[serde(default)]
    pub(crate) message: Option<String>,
    #[serde(default)]
    pub(crate) reason: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Device {
    #[serde(default)]
    pub(crate) id: Option<String>,
    #[serde(default)]
    pub(crate) is_active: bool,
    #[serde(default)]
    pub(crate) name: String,
    #[serde(rename = "type", default)]
    pub(crate) kind: String,
    #[serde(default)]
    pub(crate) volume_percent: Option<u8>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Devices {
    pub(crate) devices: Vec<Device>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Artist {
    pub(crate) name: String,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Image {
    pub(crate) url: String,
    #[serde(default)]
    pub(crate) width: Option<u32>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Album {
    #[serde(default)]
    pub(crate) name: Option<String>,
    #[serde(default)]
    pub(crate) images: Vec<Image>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Track {
    pub(crate) uri: String,
    pub(crate) name: String,
    #[serde(default)]
    pub(crate) artists: Vec<Artist>,
    #[serde(default)]
    pub(crate) duration_ms: u64,
    #[serde(default)]
    pub(crate) album: Option<Album>,
}

/// The `tracks` page of `GET /search?type=track`.
#[derive(Debug, Deserialize)]
pub(crate) struct SearchResults {
    pub(crate) tracks: SearchPage,
}

#[derive(Debug, Deserialize)]
pub(crate) struct SearchPage {
    #[serde(default)]
    pub(crate) items: Vec<serde_json::Value>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct SavedTrack {
    pub(crate) track: Track,
}

/// A page of `GET /me/tracks`.
#[derive(Debug, Deserialize)]
pub(crate) struct SavedTracks {
    #[serde(default)]
    pub(crate) items: Vec<SavedTrack>,
    #[serde(default)]
    pub(crate) total: u32,
}

/// A page of `GET /me/tracks` as the sync reads it: each item's time and track (an item whose
/// track cannot be read is left out, not the page).
#[derive(Debug, Deserialize)]
pub(crate) struct LikedPage {
    #[serde(default)]
    pub(crate) items: Vec<LikedItem>,
    #[serde(default)]
    pub(crate) next: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct LikedItem {
    #[serde(default)]
    pub(crate) added_at: Option<String>,
    #[serde(default)]
    pub(crate) track: Option<serde_json::Value>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct PlaybackState {
    #[serde(default)]
    pub(crate) device: Option<Device>,
    #[serde(default)]
    pub(crate) is_playing: bool,
    #[serde(default)]
    pub(crate) progress_ms: Option<u64>,
    /// A track, an episode, or null (an ad, or nothing loaded); only tracks are read.
    #[serde(default)]
    pub(crate) item: Option<serde_json::Value>,
}
