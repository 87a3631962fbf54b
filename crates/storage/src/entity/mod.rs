//! SeaORM entities: the shape of rows, private to this crate.

pub(crate) mod app_passwords;
pub(crate) mod connections;
pub(crate) mod library_plays;
pub(crate) mod library_stars;
pub(crate) mod library_tracks;
pub(crate) mod login_challenges;
pub(crate) mod login_failures;
pub(crate) mod mfa_recovery_codes;
pub(crate) mod mfa_totp;
pub(crate) mod now_playing;
pub(crate) mod oauth_authorizations;
pub(crate) mod playlist_entries;
pub(crate) mod playlists;
pub(crate) mod room_events;
pub(crate) mod room_participants;
pub(crate) mod room_players;
pub(crate) mod room_skip_votes;
pub(crate) mod room_tracks;
pub(crate) mod room_votes;
pub(crate) mod rooms;
pub(crate) mod scheduled_jobs;
pub(crate) mod security_events;
pub(crate) mod sessions;
pub(crate) mod tier_changes;
pub(crate) mod track_details;
pub(crate) mod users;
