//! The SeaORM adapter: it implements the domain ports on SQLite (the embedded default) and
//! PostgreSQL (for several processes), with the schema from `soiree-migration`.
//!
//! Entities (`DeriveEntityModel`) live here and nowhere else, and no `DbErr` leaves this crate:
//! every repository translates storage failures into the port's error type, with context. The
//! domain crates know nothing of this one.

mod browse;
mod changes;
mod connections;
mod database;
mod drive;
mod entity;
mod insights;
mod jobs;
mod library;
mod playlists;
mod rate;
mod reports;
mod rooms;
mod sealing;
mod security;
mod sync;
#[cfg(feature = "testing")]
pub mod testing;
mod tiers;
mod tracks;
mod uploads;
mod users;

pub use browse::SqlListeningStore;
pub use changes::{Change, ChangeFeed};
pub use connections::SqlConnectionStore;
pub use database::{Backend, Database};
pub use insights::SqlInsightsStore;
pub use jobs::SqlJobs;
pub use library::SqlLibraryStore;
pub use playlists::SqlPlaylistStore;
pub use rate::SqlRateCounter;
pub use reports::SqlUsageReports;
pub use rooms::SqlRoomStore;
pub use sealing::{InvalidKey, OpenError, Sealer, SealingKey};
pub use sync::SqlSyncStore;
pub use tiers::SqlTierBook;
pub use tracks::SqlTrackStore;
pub use users::SqlUserStore;
