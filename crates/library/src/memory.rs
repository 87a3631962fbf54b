//! In-process implementations of the library ports, for tests, examples and embedders.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use async_trait::async_trait;
use soiree_kernel::{Timestamp, UserId};

use crate::model::{FileEntry, SongQuery, Track, TrackId, TrackSource, TrackTags};
use crate::playlist::{
    EntryId, Playlist, PlaylistEntry, PlaylistId, PlaylistName, PlaylistSummary,
};
use crate::ports::{
    Indexed, MusicFolder, PlaylistAllowance, PlaylistRepository, ReadFile, TrackRepository,
    Unreadable,
};
use crate::search::search_key;

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A file of the folder: where it is listed, and its tags or why it cannot be read.
type StoredFile = (FileEntry, Result<TrackTags, String>);

/// A music folder in memory: files with their tags, or a reason they cannot be read. Counts
/// reads, so tests see what a scan read again.
#[derive(Debug, Default)]
pub struct InMemoryFolder {
    files: Mutex<BTreeMap<String, StoredFile>>,
    reads: AtomicUsize,
    clock: AtomicUsize,
}

impl InMemoryFolder {
    /// Adds (or changes) a readable file.
    pub fn put(&self, path: &str, tags: TrackTags) {
        self.store(path, Ok(tags));
    }

    /// Adds a file that cannot be read, for `reason`.
    pub fn put_unreadable(&self, path: &str, reason: &str) {
        self.store(path, Err(reason.to_owned()));
    }

    /// Removes a file.
    pub fn delete(&self, path: &str) {
        lock(&self.files).remove(path);
    }

    /// How many files were read so far.
    pub fn reads(&self) -> usize {
        self.reads.load(Ordering::SeqCst)
    }

    fn store(&self, path: &str, content: Result<TrackTags, String>) {
        // Each change is a new modification time, as on disk.
        let tick = self.clock.fetch_add(1, Ordering::SeqCst) as i64;
        let entry = FileEntry {
            path: path.to_owned(),
            size: 1_000,
            modified_at: chrono::DateTime::from_timestamp(1_800_000_000 + tick, 0)
                .unwrap_or_default(),
        };
        lock(&self.files).insert(path.to_owned(), (entry, content));
    }
}

#[async_trait]
impl MusicFolder for InMemoryFolder {
    async fn files(&self) -> anyhow::Result<Vec<FileEntry>> {
        Ok(lock(&self.files)
            .values()
            .map(|(entry, _)| entry.clone())
            .collect())
    }

    async fn read(&self, path: &str) -> Result<ReadFile, Unreadable> {
        self.reads.fetch_add(1, Ordering::SeqCst);
        match lock(&self.files).get(path) {
            Some((_, Ok(tags))) => Ok(ReadFile {
                tags: tags.clone(),
                content_type: "audio/flac".to_owned(),
            }),
            Some((_, Err(reason))) => Err(Unreadable(reason.clone())),
            None => Err(Unreadable("the file is gone".to_owned())),
        }
    }

    async fn cover(&self, _path: &str) -> anyhow::Result<Option<(String, Vec<u8>)>> {
        Ok(None)
    }

    fn location(&self, path: &str) -> Option<PathBuf> {
        Some(PathBuf::from(path))
    }
}

/// The catalogue in memory. Cloning shares it.
#[derive(Debug, Default, Clone)]
pub struct InMemoryTracks {
    tracks: Arc<Mutex<BTreeMap<TrackId, Track>>>,
}

fn folder_path(track: &Track) -> &str {
    let TrackSource::Folder { path } = &track.source;
    path
}

fn matches(track: &Track, query: &SongQuery) -> bool {
    let artists = search_key(&track.tags.artists.join(" "));
    let album = search_key(track.tags.album.as_deref().unwrap_or_default());
    let all = format!("{} {artists} {album}", search_key(&track.tags.title));
    let words_match = query
        .words
        .as_deref()
        .is_none_or(|words| search_key(words).split(' ').all(|word| all.contains(word)));
    words_match
        && query
            .artist
            .as_deref()
            .is_none_or(|artist| artists.contains(&search_key(artist)))
        && query
            .album
            .as_deref()
            .is_none_or(|wanted| album.contains(&search_key(wanted)))
}

/// The catalogue's order: artist, album, disc, track number, title.
pub(crate) fn order_key(track: &Track) -> (String, String, u32, u32, String) {
    (
        search_key(&track.tags.artists.join(" ")),
        search_key(track.tags.album.as_deref().unwrap_or_default()),
        track.tags.disc_number.unwrap_or(0),
        track.tags.track_number.unwrap_or(0),
        search_key(&track.tags.title),
    )
}

#[async_trait]
impl TrackRepository for InMemoryTracks {
    async fn folder_index(&self) -> anyhow::Result<Vec<Indexed>> {
        Ok(lock(&self.tracks)
            .values()
            .map(|track| Indexed {
                id: track.id,
                file: FileEntry {
                    path: folder_path(track).to_owned(),
                    size: track.media.size,
                    modified_at: track.media.modified_at,
                },
            })
            .collect())
    }

    async fn save(&self, tracks: &[Track]) -> anyhow::Result<()> {
        let mut stored = lock(&self.tracks);
        for track in tracks {
            let existing = stored
                .values()
                .find(|kept| folder_path(kept) == folder_path(track))
                .map(|kept| kept.id);
            let mut track = track.clone();
            if let Some(id) = existing {
                track.id = id;
            }
            stored.insert(track.id, track);
        }
        Ok(())
    }

    async fn remove(&self, ids: &[TrackId]) -> anyhow::Result<u64> {
        let mut stored = lock(&self.tracks);
        Ok(ids.iter().filter(|id| stored.remove(id).is_some()).count() as u64)
    }

    async fn search(
        &self,
        viewer: UserId,
        query: &SongQuery,
        offset: u64,
        limit: u64,
    ) -> anyhow::Result<(Vec<Track>, u64)> {
        let mut found: Vec<Track> = lock(&self.tracks)
            .values()
            .filter(|track| track.source.visible_to(viewer) && matches(track, query))
            .cloned()
            .collect();
        found.sort_by_key(order_key);
        let total = found.len() as u64;
        let page = found
            .into_iter()
            .skip(usize::try_from(offset).unwrap_or(usize::MAX))
            .take(usize::try_from(limit).unwrap_or(usize::MAX))
            .collect();
        Ok((page, total))
    }

    async fn track(&self, id: TrackId) -> anyhow::Result<Option<Track>> {
        Ok(lock(&self.tracks).get(&id).cloned())
    }
}

/// Playlists in memory. Cloning shares them.
#[derive(Debug, Default, Clone)]
pub struct InMemoryPlaylists {
    playlists: Arc<Mutex<BTreeMap<PlaylistId, Playlist>>>,
}

#[async_trait]
impl PlaylistRepository for InMemoryPlaylists {
    async fn create(&self, playlist: &Playlist, limit: Option<u32>) -> anyhow::Result<bool> {
        let mut stored = lock(&self.playlists);
        let owned = stored
            .values()
            .filter(|kept| kept.owner == playlist.owner)
            .count();
        if limit.is_some_and(|limit| owned >= limit as usize) {
            return Ok(false);
        }
        stored.insert(playlist.id, playlist.clone());
        Ok(true)
    }

    async fn playlists_of(&self, owner: UserId) -> anyhow::Result<Vec<PlaylistSummary>> {
        let mut found: Vec<PlaylistSummary> = lock(&self.playlists)
            .values()
            .filter(|playlist| playlist.owner == owner)
            .map(|playlist| PlaylistSummary {
                id: playlist.id,
                name: playlist.name.clone(),
                entries: playlist.entries.len() as u32,
                updated_at: playlist.updated_at,
            })
            .collect();
        found.sort_by_key(|summary| std::cmp::Reverse(summary.updated_at));
        Ok(found)
    }

    async fn playlist(&self, id: PlaylistId) -> anyhow::Result<Option<Playlist>> {
        Ok(lock(&self.playlists).get(&id).cloned())
    }

    async fn rename(
        &self,
        id: PlaylistId,
        name: &PlaylistName,
        at: Timestamp,
    ) -> anyhow::Result<bool> {
        Ok(lock(&self.playlists)
            .get_mut(&id)
            .map(|playlist| {
                playlist.name = name.clone();
                playlist.updated_at = at;
            })
            .is_some())
    }

    async fn delete(&self, id: PlaylistId) -> anyhow::Result<bool> {
        Ok(lock(&self.playlists).remove(&id).is_some())
    }

    async fn append(
        &self,
        id: PlaylistId,
        entries: &[PlaylistEntry],
        at: Timestamp,
    ) -> anyhow::Result<bool> {
        Ok(lock(&self.playlists)
            .get_mut(&id)
            .map(|playlist| {
                playlist.entries.extend_from_slice(entries);
                playlist.updated_at = at;
            })
            .is_some())
    }

    async fn remove_entry(
        &self,
        id: PlaylistId,
        entry: EntryId,
        at: Timestamp,
    ) -> anyhow::Result<bool> {
        let mut stored = lock(&self.playlists);
        let Some(playlist) = stored.get_mut(&id) else {
            return Ok(false);
        };
        let before = playlist.entries.len();
        playlist.entries.retain(|kept| kept.id != entry);
        playlist.updated_at = at;
        Ok(playlist.entries.len() < before)
    }

    async fn reorder(
        &self,
        id: PlaylistId,
        order: &[EntryId],
        at: Timestamp,
    ) -> anyhow::Result<bool> {
        let mut stored = lock(&self.playlists);
        let Some(playlist) = stored.get_mut(&id) else {
            return Ok(false);
        };
        playlist
            .entries
            .sort_by_key(|entry| order.iter().position(|id| *id == entry.id));
        playlist.updated_at = at;
        Ok(true)
    }
}

/// The same playlist allowance for everyone.
#[derive(Debug, Clone, Copy, Default)]
pub struct FixedPlaylistAllowance(pub Option<u32>);

#[async_trait]
impl PlaylistAllowance for FixedPlaylistAllowance {
    async fn playlists_allowed(&self, _owner: UserId) -> anyhow::Result<Option<u32>> {
        Ok(self.0)
    }
}
