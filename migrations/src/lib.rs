//! Soirée's database schema as an ordered list of migrations, for SQLite and PostgreSQL alike.
//!
//! Files here are append-only: a migration that has landed is never edited; a change to the
//! schema is a new file added at the end of [`Migrator::migrations`]. Only the storage adapter and
//! the `soiree migrate` command use this crate.

use sea_orm_migration::prelude::*;

mod m20261121_000001_accounts_and_sessions;
mod m20261121_000002_connections;
mod m20261121_000003_rooms;
mod m20261123_000004_room_counters_and_players;
mod m20261123_000005_track_details;
mod m20261123_000006_rate_counters;
mod m20261123_000007_guest_sources;
mod m20261123_000008_tiers_and_operators;
mod m20261123_000009_scheduled_jobs;
mod m20261123_000010_daily_counts;
mod m20261123_000011_participant_name_keys;
mod m20261123_000012_session_clients;
mod m20261203_000013_account_security;
mod m20261203_000014_library_tracks;
mod m20261203_000015_playlists;
mod m20261203_000016_app_passwords;
mod m20261203_000017_library_browsing;
mod m20261203_000018_uploads;
mod m20261203_000019_sync;
mod m20261203_000020_settings_and_drive_files;

/// Applies and lists Soirée's migrations.
#[derive(Debug)]
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261121_000001_accounts_and_sessions::Migration),
            Box::new(m20261121_000002_connections::Migration),
            Box::new(m20261121_000003_rooms::Migration),
            Box::new(m20261123_000004_room_counters_and_players::Migration),
            Box::new(m20261123_000005_track_details::Migration),
            Box::new(m20261123_000006_rate_counters::Migration),
            Box::new(m20261123_000007_guest_sources::Migration),
            Box::new(m20261123_000008_tiers_and_operators::Migration),
            Box::new(m20261123_000009_scheduled_jobs::Migration),
            Box::new(m20261123_000010_daily_counts::Migration),
            Box::new(m20261123_000011_participant_name_keys::Migration),
            Box::new(m20261123_000012_session_clients::Migration),
            Box::new(m20261203_000013_account_security::Migration),
            Box::new(m20261203_000014_library_tracks::Migration),
            Box::new(m20261203_000015_playlists::Migration),
            Box::new(m20261203_000016_app_passwords::Migration),
            Box::new(m20261203_000017_library_browsing::Migration),
            Box::new(m20261203_000018_uploads::Migration),
            Box::new(m20261203_000019_sync::Migration),
            Box::new(m20261203_000020_settings_and_drive_files::Migration),
        ]
    }
}
