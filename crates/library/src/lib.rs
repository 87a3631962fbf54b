//! The music library of Soirée: the tracks of the operator's music folder, scanned incrementally
//! (a file is read again only when its size or modification time changed), searched without
//! regard to case or accents, and shown only to those who may see them; and people's playlists,
//! within their tier's quota, seen and changed by their owner only.
//!
//! The crate owns the rules and the ports they need ([`MusicFolder`] reads the folder and the
//! files' tags, [`TrackRepository`] keeps the catalogue); [`LibraryService`] is the use-case entry
//! point. It knows nothing of files, audio formats, HTTP or databases: adapters implement the
//! ports, and [`memory`] holds in-process versions for tests and examples.
//!
//! ```
//! # use std::sync::Arc;
//! # use soiree_kernel::{SystemClock, UserId};
//! # use soiree_library::{LibraryService, SongQuery, memory::{InMemoryFolder, InMemoryListening, InMemoryTracks}, TrackTags};
//! # tokio_test_block_on(async {
//! let folder = Arc::new(InMemoryFolder::default());
//! folder.put("Beyoncé/Halo.flac", TrackTags::titled("Halo", "Beyoncé"));
//! let library = LibraryService::new(
//!     folder,
//!     Arc::new(InMemoryTracks::default()),
//!     Arc::new(InMemoryListening::default()),
//!     Arc::new(SystemClock),
//! );
//! let report = library.scan(&|_| {}).await.unwrap();
//! assert_eq!(report.added, 1);
//! let found = library.songs(UserId::generate(), &SongQuery::words("beyonce")).await.unwrap();
//! assert_eq!(found.tracks[0].tags.title, "Halo");
//! # });
//! # fn tokio_test_block_on<F: std::future::Future>(future: F) -> F::Output {
//! #     tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(future)
//! # }
//! ```

mod browse;
mod error;
pub mod memory;
mod model;
mod playlist;
mod ports;
mod scan;
mod search;
mod service;
mod upload;

pub use browse::{
    AlbumKey, AlbumOrder, AlbumQuery, AlbumSummary, ArtistSummary, Favourite, Favourites,
    NOW_PLAYING_FOR, NowPlaying,
};
pub use error::{StreamError, TrackError};
pub use model::{
    FileEntry, MediaFile, PAGE_SIZE, ProviderTrack, SongPage, SongQuery, Track, TrackId,
    TrackSource, TrackTags, Viewer,
};
pub use playlist::{
    CreatePlaylistError, EntryId, InvalidPlaylistName, MAX_ENTRIES, Playlist, PlaylistEntry,
    PlaylistError, PlaylistId, PlaylistItem, PlaylistName, PlaylistSummary, PlaylistsService,
};
pub use ports::{
    Indexed, ListeningRepository, MusicFolder, PlaylistAllowance, PlaylistRepository, ReadFile,
    TrackRepository, Unreadable,
};
pub use scan::{ScanProgress, ScanReport, Skipped};
pub use search::search_key;
pub use service::LibraryService;
pub use upload::{
    DeleteUploadError, PendingUpload, SavedUpload, StorageAllowance, UploadError, UploadSpace,
    UploadUsage, Uploaded, UploadsService,
};
