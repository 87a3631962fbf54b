//! What the library needs from the outside world. Adapters (`soiree-media` for the folder,
//! `soiree-storage` for the catalogue) implement these; [`crate::memory`] holds in-process
//! versions.

use std::path::PathBuf;

use async_trait::async_trait;
use soiree_kernel::UserId;

use crate::model::{FileEntry, SongQuery, Track, TrackId, TrackTags};

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

    /// Stores tracks, new or changed. MUST keep one track per folder path (a unique key): a
    /// track whose path is stored already replaces it and keeps the stored id, so that two
    /// scans at once, in any number of processes, never make two tracks of one file.
    async fn save(&self, tracks: &[Track]) -> anyhow::Result<()>;

    /// Removes tracks (their files are gone).
    async fn remove(&self, ids: &[TrackId]) -> anyhow::Result<u64>;

    /// The tracks `viewer` may see that match `query` (compared by [`crate::search_key`]), in
    /// artist, album, disc, track number and title order, skipping `offset`, at most `limit`;
    /// with how many match in all.
    async fn search(
        &self,
        viewer: UserId,
        query: &SongQuery,
        offset: u64,
        limit: u64,
    ) -> anyhow::Result<(Vec<Track>, u64)>;

    /// The track with this id, whoever may see it.
    async fn track(&self, id: TrackId) -> anyhow::Result<Option<Track>>;
}
