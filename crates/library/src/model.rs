//! The library's values: tracks, where they come from, their tags, and what a search asks.

use soiree_kernel::{Timestamp, UserId};
use uuid::Uuid;

/// A track's id (UUID v7). Not a secret: who may see the track is checked on every read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TrackId(Uuid);

impl TrackId {
    /// A fresh, time-ordered id.
    pub fn generate() -> Self {
        Self(Uuid::now_v7())
    }

    /// Wraps a stored or requested id.
    pub fn from_uuid(uuid: Uuid) -> Self {
        Self(uuid)
    }

    /// The UUID.
    pub fn as_uuid(&self) -> Uuid {
        self.0
    }
}

/// Where a track comes from, which decides who sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TrackSource {
    /// A file of the operator's music folder, by its path relative to the folder (`/`-separated):
    /// everyone with an account sees it.
    Folder {
        /// The path inside the folder.
        path: String,
    },
    /// A file someone uploaded: only they see it.
    Upload {
        /// Who uploaded it.
        owner: UserId,
        /// Its path in the uploads' space (`{owner}/{content hash}.{ext}`).
        path: String,
        /// The SHA-256 of its content, in hex (the same file is kept once per person).
        content_hash: String,
    },
}

impl TrackSource {
    /// Whether `viewer` may see a track from here.
    pub fn visible_to(&self, viewer: UserId) -> bool {
        match self {
            Self::Folder { .. } => true,
            Self::Upload { owner, .. } => *owner == viewer,
        }
    }
}

/// What a file's tags say (and its length).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TrackTags {
    /// The title; the file's name when the tags have none.
    pub title: String,
    /// The artists, in order.
    pub artists: Vec<String>,
    /// The album.
    pub album: Option<String>,
    /// The album's artist, when it differs from the track's.
    pub album_artist: Option<String>,
    /// The track's number on its disc.
    pub track_number: Option<u32>,
    /// The disc's number.
    pub disc_number: Option<u32>,
    /// The year.
    pub year: Option<u32>,
    /// The genre.
    pub genre: Option<String>,
    /// The length in milliseconds.
    pub duration_ms: Option<u64>,
    /// Whether the file holds a cover picture.
    pub has_cover: bool,
}

impl TrackTags {
    /// Tags with a title and one artist (for tests and examples).
    pub fn titled(title: &str, artist: &str) -> Self {
        Self {
            title: title.to_owned(),
            artists: vec![artist.to_owned()],
            ..Self::default()
        }
    }
}

/// A file as the folder lists it, before it is read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileEntry {
    /// The path inside the folder (`/`-separated).
    pub path: String,
    /// Its size in bytes.
    pub size: u64,
    /// Its modification time.
    pub modified_at: Timestamp,
}

/// The stored file behind a track.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaFile {
    /// The media type found in its content (`audio/flac`, `audio/mpeg`, ...), not guessed from
    /// its name.
    pub content_type: String,
    /// Its size in bytes, when it was read.
    pub size: u64,
    /// Its modification time, when it was read.
    pub modified_at: Timestamp,
}

/// A track of the library.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Track {
    /// Its id.
    pub id: TrackId,
    /// Where it comes from.
    pub source: TrackSource,
    /// What its tags say.
    pub tags: TrackTags,
    /// The file.
    pub media: MediaFile,
    /// When it entered the library.
    pub added_at: Timestamp,
}

/// How many tracks a page of results holds.
pub const PAGE_SIZE: u32 = 50;

/// A search of the catalogue. Every given part must match (case and accents ignored); words
/// match anywhere in the title, the artists or the album.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SongQuery {
    /// Words to find.
    pub words: Option<String>,
    /// Part of an artist's name.
    pub artist: Option<String>,
    /// Part of the album's name.
    pub album: Option<String>,
    /// The page, from 0.
    pub page: u32,
}

impl SongQuery {
    /// A search for `words` (first page).
    pub fn words(words: &str) -> Self {
        Self {
            words: Some(words.to_owned()),
            ..Self::default()
        }
    }
}

/// One page of a search.
#[derive(Debug, Clone)]
pub struct SongPage {
    /// The tracks, by artist, album, disc, track number and title.
    pub tracks: Vec<Track>,
    /// How many match in all.
    pub total: u64,
    /// The page.
    pub page: u32,
}
