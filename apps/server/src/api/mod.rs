//! The HTTP API: one poem-openapi struct per area, each operation with its own response enum so
//! that its statuses live in one place. Handlers translate between API objects and domain types
//! and call one service method; they hold no business rule.

mod account_data;
mod accounts;
mod app_passwords;
pub(crate) mod checked;
mod connections;
mod export;
mod health;
mod insights;
mod library;
mod me;
mod objects;
mod optional_json;
mod player;
mod playlists;
mod security;
mod sessions;
mod strict;
mod sync;
pub(crate) use optional_json::OptionalJson;
mod rooms;
mod tiers;
mod uploads;

pub(crate) use account_data::AccountDataApi;
pub(crate) use accounts::AccountsApi;
pub(crate) use app_passwords::AppPasswordsApi;
pub(crate) use connections::{ConnectionsApi, callback_path};
pub(crate) use export::ExportApi;
pub(crate) use health::HealthApi;
pub(crate) use insights::InsightsApi;
pub(crate) use insights::{RecommendationsOut, recommendation_problem};
pub(crate) use library::LibraryApi;
pub(crate) use me::MeApi;
pub(crate) use player::PlayerApi;
pub(crate) use playlists::PlaylistsApi;
pub(crate) use rooms::{RoomEventsApi, RoomsApi, event_json};
pub(crate) use security::SecurityApi;
use security::reauthentication_required;
pub(crate) use sessions::SessionsApi;
pub(crate) use sync::SyncApi;
pub(crate) use tiers::{TiersApi, UsersApi};
pub(crate) use uploads::{UPLOADS_PATH, UploadsApi};
