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
    /// A track of a music service in someone's library (it played in a room they hosted, or
    /// they like it there): only they see it, and it has no file to stream; it plays through
    /// the service.
    Provider {
        /// Whose library holds it.
        owner: UserId,
        /// The service's address of the track (`spotify:track:…`, `soundcloud:tracks:…`).
        uri: String,
    },
}

impl TrackSource {
    /// Whether `viewer` may see a track from here.
    pub fn visible_to(&self, viewer: impl Into<Viewer>) -> bool {
        let viewer = viewer.into();
        match self {
            Self::Folder { .. } => true,
            Self::Upload { owner, .. } => *owner == viewer.user,
            Self::Provider { owner, .. } => *owner == viewer.user && !viewer.files_only,
        }
    }

    /// The track's owner, when it is someone's own (an upload or a provider track).
    pub fn owner(&self) -> Option<UserId> {
        match self {
            Self::Folder { .. } => None,
            Self::Upload { owner, .. } | Self::Provider { owner, .. } => Some(*owner),
        }
    }

    /// The music service's address, for a provider track.
    pub fn provider_uri(&self) -> Option<&str> {
        match self {
            Self::Provider { uri, .. } => Some(uri),
            Self::Folder { .. } | Self::Upload { .. } => None,
        }
    }
}

/// Who reads the catalogue, and whether they can only use tracks with a file (a music app
/// speaking Subsonic cannot play a provider's track: it is left out of what it is shown).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Viewer {
    /// The person.
    pub user: UserId,
    /// Whether tracks without a file are left out.
    pub files_only: bool,
}

impl Viewer {
    /// `user`, shown only tracks that have a file.
    pub fn files_only(user: UserId) -> Self {
        Self {
            user,
            files_only: true,
        }
    }
}

impl From<UserId> for Viewer {
    /// `user`, shown every track they may see.
    fn from(user: UserId) -> Self {
        Self {
            user,
            files_only: false,
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
    /// The file; `None` for a provider's track, which has none.
    pub media: Option<MediaFile>,
    /// When it entered the library.
    pub added_at: Timestamp,
}

impl Track {
    /// The bytes of its file (0 for a provider's track).
    pub fn bytes(&self) -> u64 {
        self.media.as_ref().map_or(0, |media| media.size)
    }

    /// The key that keeps it once in the catalogue: the folder path, the owner's path of an
    /// upload, or the owner and the service's address of a provider track.
    pub fn unique_key(&self) -> String {
        match &self.source {
            TrackSource::Folder { path } => format!("folder:{path}"),
            TrackSource::Upload { path, .. } => format!("upload:{path}"),
            TrackSource::Provider { owner, uri } => format!("provider:{owner}/{uri}"),
        }
    }
}

/// A music service's track to keep in someone's library, with what the service said of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderTrack {
    /// The service's address of it.
    pub uri: String,
    /// Its title, artists, album and length.
    pub tags: TrackTags,
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
