//! What the library needs from the outside world. Adapters (`soiree-media` for the folder,
//! `soiree-storage` for the catalogue) implement these; [`crate::memory`] holds in-process
//! versions.

use std::path::PathBuf;

use async_trait::async_trait;
use soiree_kernel::UserId;

use crate::browse::{AlbumKey, AlbumQuery, AlbumSummary, ArtistSummary, Favourite};
use crate::model::{FileEntry, SongQuery, Track, TrackId, TrackTags, Viewer};
use crate::playlist::{
    EntryId, Playlist, PlaylistEntry, PlaylistId, PlaylistName, PlaylistSummary,
};

/// What reading a file gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadFile {
    /// Its tags.
    pub tags: TrackTags,
    /// The media type its content shows.
    pub content_type: String,
}

/// Why a file could not be read, in words for the operator (the format, the damage).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Unreadable(pub String);

/// The operator's music folder.
#[async_trait]
pub trait MusicFolder: Send + Sync + std::fmt::Debug {
    /// Every audio file in the folder and below (by name: the formats the library plays), with
    /// its size and modification time. Files that vanish while listed are left out.
    async fn files(&self) -> anyhow::Result<Vec<FileEntry>>;

    /// The tags and media type of one file. MUST identify the format from the content, not the
    /// name, and answer [`Unreadable`] (never panic) for a file it cannot read.
    async fn read(&self, path: &str) -> Result<ReadFile, Unreadable>;

    /// The cover picture embedded in one file (its media type and bytes), if any.
    async fn cover(&self, path: &str) -> anyhow::Result<Option<(String, Vec<u8>)>>;

    /// Where the file can be streamed from; `None` when the path leaves the folder.
    fn location(&self, path: &str) -> Option<PathBuf>;
}

/// A folder track as the catalogue knows it, for the incremental scan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Indexed {
    /// The track.
    pub id: TrackId,
    /// Its file as last read.
    pub file: FileEntry,
}

/// The catalogue.
#[async_trait]
pub trait TrackRepository: Send + Sync + std::fmt::Debug {
    /// Every folder track with the size and time its file had when read.
    async fn folder_index(&self) -> anyhow::Result<Vec<Indexed>>;

    /// Stores tracks, new or changed: the folder's, and providers' tracks in their owners'
    /// libraries. MUST keep one track per [`Track::unique_key`] (the folder path; the owner and
    /// the service's address): a track stored already takes the new tags and keeps its id and
    /// the time it was added, so that two scans (or two rooms) at once, in any number of
    /// processes, never make two tracks of one file (or one address).
    async fn save(&self, tracks: &[Track]) -> anyhow::Result<()>;

    /// Removes tracks (their files are gone).
    async fn remove(&self, ids: &[TrackId]) -> anyhow::Result<u64>;

    /// The tracks `viewer` may see that match `query` (compared by [`crate::search_key`]), in
    /// artist, album, disc, track number and title order, skipping `offset`, at most `limit`;
    /// with how many match in all.
    async fn search(
        &self,
        viewer: Viewer,
        query: &SongQuery,
        offset: u64,
        limit: u64,
    ) -> anyhow::Result<(Vec<Track>, u64)>;

    /// The track with this id, whoever may see it.
    async fn track(&self, id: TrackId) -> anyhow::Result<Option<Track>>;

    /// The tracks with these ids, whoever may see them, in any order (one read, not one per
    /// id).
    async fn tracks(&self, ids: &[TrackId]) -> anyhow::Result<Vec<Track>>;

    /// The bytes `owner` stores against their quota: their uploads, and whatever else the
    /// embedder counts there (Soirée's storage adds the drive's downloads).
    async fn uploaded_bytes(&self, owner: UserId) -> anyhow::Result<u64>;

    /// `owner`'s uploads, newest first.
    async fn uploads_of(&self, owner: UserId) -> anyhow::Result<Vec<Track>>;

    /// The providers' tracks in `owner`'s library, newest first.
    async fn provider_tracks_of(&self, owner: UserId) -> anyhow::Result<Vec<Track>>;

    /// `owner`'s upload with this content, if any.
    async fn upload_by_hash(
        &self,
        owner: UserId,
        content_hash: &str,
    ) -> anyhow::Result<Option<Track>>;

    /// Stores an upload's track unless its owner has the same content already or it would take
    /// them past `limit` bytes (`None`: no limit). MUST decide and insert in one step per owner,
    /// so that uploads stored at once, through any number of processes, never pass the limit
    /// nor store one content twice.
    async fn save_upload(
        &self,
        track: &Track,
        limit: Option<u64>,
    ) -> anyhow::Result<crate::upload::SavedUpload>;

    /// Every artist `viewer` may see (tracks grouped by [`TrackTags::main_artist`]), by name
    /// (compared by [`crate::search_key`]).
    async fn artists(&self, viewer: Viewer) -> anyhow::Result<Vec<ArtistSummary>>;

    /// The albums `viewer` may see (tracks grouped by main artist and folded album title), as
    /// `query` asks. [`crate::AlbumOrder::Starred`], `Frequent` and `Recent` are the viewer's
    /// own stars and plays.
    async fn albums(&self, viewer: Viewer, query: &AlbumQuery)
    -> anyhow::Result<Vec<AlbumSummary>>;

    /// The tracks of one album that `viewer` may see, by disc, track number and title.
    async fn album_tracks(&self, viewer: Viewer, album: &AlbumKey) -> anyhow::Result<Vec<Track>>;

    /// Up to `count` tracks `viewer` may see, drawn at random.
    async fn random(&self, viewer: Viewer, count: u32) -> anyhow::Result<Vec<Track>>;
}

/// A person's listening: stars, plays, and what they play now.
#[async_trait]
pub trait ListeningRepository: Send + Sync + std::fmt::Debug {
    /// Stars `items` for `user_id` at `at`; an item starred already keeps its first time.
    async fn star(
        &self,
        user_id: UserId,
        items: &[Favourite],
        at: soiree_kernel::Timestamp,
    ) -> anyhow::Result<()>;

    /// Unstars `items`.
    async fn unstar(&self, user_id: UserId, items: &[Favourite]) -> anyhow::Result<()>;

    /// What `user_id` starred, most recent first. A track that left the catalogue MUST leave
    /// its stars.
    async fn favourites_of(
        &self,
        user_id: UserId,
    ) -> anyhow::Result<Vec<(Favourite, soiree_kernel::Timestamp)>>;

    /// Records a play of a track to its end.
    async fn record_play(
        &self,
        user_id: UserId,
        track: TrackId,
        at: soiree_kernel::Timestamp,
    ) -> anyhow::Result<()>;

    /// Records what `user_id` plays now (one track per person: it replaces the last).
    async fn set_now_playing(
        &self,
        user_id: UserId,
        track: TrackId,
        client: &str,
        at: soiree_kernel::Timestamp,
    ) -> anyhow::Result<()>;

    /// Who plays what, reported at or after `since`, most recent first.
    async fn now_playing(
        &self,
        since: soiree_kernel::Timestamp,
    ) -> anyhow::Result<Vec<(UserId, TrackId, String, soiree_kernel::Timestamp)>>;
}

/// Playlists.
#[async_trait]
pub trait PlaylistRepository: Send + Sync + std::fmt::Debug {
    /// Stores a new playlist unless its owner has `limit` or more already (`None`: no limit);
    /// whether it did. MUST count and insert in one step per owner, so that playlists made at
    /// once, through any number of processes, never pass the limit.
    async fn create(&self, playlist: &Playlist, limit: Option<u32>) -> anyhow::Result<bool>;

    /// The owner's playlists, most recently changed first.
    async fn playlists_of(&self, owner: UserId) -> anyhow::Result<Vec<PlaylistSummary>>;

    /// The playlist with its entries in order, whoever owns it.
    async fn playlist(&self, id: PlaylistId) -> anyhow::Result<Option<Playlist>>;

    /// Renames it at `at`; `false` when there is no such playlist.
    async fn rename(
        &self,
        id: PlaylistId,
        name: &PlaylistName,
        at: soiree_kernel::Timestamp,
    ) -> anyhow::Result<bool>;

    /// Deletes it with its entries; `false` when there is no such playlist.
    async fn delete(&self, id: PlaylistId) -> anyhow::Result<bool>;

    /// Appends entries after the last one; `false` when there is no such playlist.
    async fn append(
        &self,
        id: PlaylistId,
        entries: &[PlaylistEntry],
        at: soiree_kernel::Timestamp,
    ) -> anyhow::Result<bool>;

    /// Removes one entry; `false` when it is not in the playlist.
    async fn remove_entry(
        &self,
        id: PlaylistId,
        entry: EntryId,
        at: soiree_kernel::Timestamp,
    ) -> anyhow::Result<bool>;

    /// Gives the entries the positions of `order` (every entry of the playlist, once). SHOULD
    /// be one statement, whatever the length of the playlist; `false` when there is no such
    /// playlist.
    async fn reorder(
        &self,
        id: PlaylistId,
        order: &[EntryId],
        at: soiree_kernel::Timestamp,
    ) -> anyhow::Result<bool>;
}

/// How many playlists an account may keep (the app satisfies it with the tiers service).
#[async_trait]
pub trait PlaylistAllowance: Send + Sync + std::fmt::Debug {
    /// `None`: no limit.
    async fn playlists_allowed(&self, owner: UserId) -> anyhow::Result<Option<u32>>;
}
