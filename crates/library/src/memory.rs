//! In-process implementations of the library ports, for tests, examples and embedders.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use async_trait::async_trait;
use soiree_kernel::{Timestamp, UserId};

use crate::browse::{
    AlbumKey, AlbumOrder, AlbumQuery, AlbumSummary, ArtistSummary, Favourite, summarise,
};
use crate::model::{FileEntry, SongQuery, Track, TrackId, TrackSource, TrackTags, Viewer};
use crate::playlist::{
    EntryId, Playlist, PlaylistEntry, PlaylistId, PlaylistName, PlaylistSummary,
};
use crate::ports::{
    Indexed, ListeningRepository, MusicFolder, PlaylistAllowance, PlaylistRepository, ReadFile,
    TrackRepository, Unreadable,
};
use crate::search::search_key;
use crate::upload::{PendingUpload, SavedUpload, StorageAllowance, UploadSpace};

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
    listening: Option<InMemoryListening>,
}

/// The folder path of a folder track.
fn folder_path(track: &Track) -> Option<&str> {
    match &track.source {
        TrackSource::Folder { path } => Some(path),
        TrackSource::Upload { .. } | TrackSource::Provider { .. } => None,
    }
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
            .filter_map(|track| {
                let media = track.media.as_ref()?;
                Some(Indexed {
                    id: track.id,
                    file: FileEntry {
                        path: folder_path(track)?.to_owned(),
                        size: media.size,
                        modified_at: media.modified_at,
                    },
                })
            })
            .collect())
    }

    async fn save(&self, tracks: &[Track]) -> anyhow::Result<()> {
        let mut stored = lock(&self.tracks);
        for track in tracks {
            let key = track.unique_key();
            let existing = stored
                .values()
                .find(|kept| kept.unique_key() == key)
                .map(|kept| (kept.id, kept.added_at));
            let mut track = track.clone();
            if let Some((id, added_at)) = existing {
                track.id = id;
                track.added_at = added_at;
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
        viewer: Viewer,
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

    async fn uploaded_bytes(&self, owner: UserId) -> anyhow::Result<u64> {
        Ok(self.uploads_of(owner).await?.iter().map(Track::bytes).sum())
    }

    async fn uploads_of(&self, owner: UserId) -> anyhow::Result<Vec<Track>> {
        let mut uploads: Vec<Track> = lock(&self.tracks)
            .values()
            .filter(|track| matches!(&track.source, TrackSource::Upload { owner: own, .. } if *own == owner))
            .cloned()
            .collect();
        uploads.sort_by_key(|track| std::cmp::Reverse(track.added_at));
        Ok(uploads)
    }

    async fn provider_tracks_of(&self, owner: UserId) -> anyhow::Result<Vec<Track>> {
        let mut tracks: Vec<Track> = lock(&self.tracks)
            .values()
            .filter(|track| matches!(&track.source, TrackSource::Provider { owner: own, .. } if *own == owner))
            .cloned()
            .collect();
        tracks.sort_by_key(|track| std::cmp::Reverse(track.added_at));
        Ok(tracks)
    }

    async fn upload_by_hash(
        &self,
        owner: UserId,
        content_hash: &str,
    ) -> anyhow::Result<Option<Track>> {
        Ok(self
            .uploads_of(owner)
            .await?
            .into_iter()
            .find(|track| matches!(&track.source, TrackSource::Upload { content_hash: hash, .. } if hash == content_hash)))
    }

    async fn save_upload(&self, track: &Track, limit: Option<u64>) -> anyhow::Result<SavedUpload> {
        let TrackSource::Upload {
            owner,
            content_hash,
            ..
        } = &track.source
        else {
            anyhow::bail!("save_upload takes uploads only");
        };
        // One lock for the check and the insert, as the database's owner row lock.
        let mut stored = lock(&self.tracks);
        let mut used = 0;
        for kept in stored.values() {
            if let TrackSource::Upload {
                owner: own,
                content_hash: hash,
                ..
            } = &kept.source
                && own == owner
            {
                if hash == content_hash {
                    return Ok(SavedUpload::Duplicate(kept.id));
                }
                used += kept.bytes();
            }
        }
        if limit.is_some_and(|limit| used + track.bytes() > limit) {
            return Ok(SavedUpload::OverQuota);
        }
        stored.insert(track.id, track.clone());
        Ok(SavedUpload::Saved)
    }

    async fn tracks(&self, ids: &[TrackId]) -> anyhow::Result<Vec<Track>> {
        let tracks = lock(&self.tracks);
        Ok(ids
            .iter()
            .filter_map(|id| tracks.get(id).cloned())
            .collect())
    }

    async fn artists(&self, viewer: Viewer) -> anyhow::Result<Vec<ArtistSummary>> {
        let mut artists: BTreeMap<String, (String, BTreeSet<String>, u32)> = BTreeMap::new();
        for track in lock(&self.tracks)
            .values()
            .filter(|track| track.source.visible_to(viewer))
        {
            let name = track.tags.main_artist();
            let entry = artists
                .entry(search_key(name))
                .or_insert_with(|| (name.to_owned(), BTreeSet::new(), 0));
            entry
                .1
                .insert(search_key(track.tags.album.as_deref().unwrap_or_default()));
            entry.2 += 1;
        }
        Ok(artists
            .into_values()
            .map(|(name, albums, tracks)| ArtistSummary {
                name,
                albums: u32::try_from(albums.len()).unwrap_or(u32::MAX),
                tracks,
            })
            .collect())
    }

    async fn albums(
        &self,
        viewer: Viewer,
        query: &AlbumQuery,
    ) -> anyhow::Result<Vec<AlbumSummary>> {
        let mut grouped: BTreeMap<(String, String), Vec<Track>> = BTreeMap::new();
        for track in lock(&self.tracks)
            .values()
            .filter(|track| track.source.visible_to(viewer))
        {
            let key = AlbumKey::of(track);
            grouped
                .entry((key.artist, search_key(&key.title)))
                .or_default()
                .push(track.clone());
        }
        let mut albums: Vec<AlbumSummary> = grouped
            .into_iter()
            .filter_map(|((artist, _), tracks)| {
                let key = AlbumKey::of(&tracks[0]);
                summarise(&AlbumKey { artist, ..key }, &tracks)
            })
            .filter(|album| {
                query
                    .artist
                    .as_ref()
                    .is_none_or(|artist| &album.key.artist == artist)
            })
            .collect();
        let listening = self.listening.clone().unwrap_or_default();
        match &query.order {
            AlbumOrder::Newest => albums.sort_by_key(|album| std::cmp::Reverse(album.added_at)),
            AlbumOrder::ByTitle | AlbumOrder::Random => {
                albums.sort_by_key(|album| search_key(&album.key.title));
            }
            AlbumOrder::ByArtist => albums
                .sort_by_key(|album| (search_key(&album.key.artist), search_key(&album.key.title))),
            AlbumOrder::ByYear { from, to } => {
                let (low, high) = ((*from).min(*to), (*from).max(*to));
                albums.retain(|album| album.year.is_some_and(|year| (low..=high).contains(&year)));
                albums.sort_by_key(|album| album.year);
                if from > to {
                    albums.reverse();
                }
            }
            AlbumOrder::ByGenre(genre) => {
                albums.retain(|album| {
                    album
                        .genre
                        .as_deref()
                        .is_some_and(|own| search_key(own) == search_key(genre))
                });
                albums.sort_by_key(|album| search_key(&album.key.title));
            }
            AlbumOrder::Starred => {
                let starred = listening.favourites_of(viewer.user).await?;
                let when = |album: &AlbumSummary| {
                    starred.iter().find_map(|(item, at)| match item {
                        Favourite::Album(key)
                            if key.artist == album.key.artist
                                && search_key(&key.title) == search_key(&album.key.title) =>
                        {
                            Some(*at)
                        }
                        _ => None,
                    })
                };
                albums.retain(|album| when(album).is_some());
                albums.sort_by_key(|album| std::cmp::Reverse(when(album)));
            }
            AlbumOrder::Frequent | AlbumOrder::Recent => {
                let plays = lock(&listening.plays).clone();
                let tracks = lock(&self.tracks).clone();
                let of = |album: &AlbumSummary| {
                    plays
                        .iter()
                        .filter(|(user, id, _)| {
                            *user == viewer.user
                                && tracks.get(id).is_some_and(|track| album.key.holds(track))
                        })
                        .map(|(_, _, at)| *at)
                        .collect::<Vec<_>>()
                };
                albums.retain(|album| !of(album).is_empty());
                if query.order == AlbumOrder::Frequent {
                    albums.sort_by_key(|album| std::cmp::Reverse(of(album).len()));
                } else {
                    albums.sort_by_key(|album| std::cmp::Reverse(of(album).into_iter().max()));
                }
            }
        }
        Ok(albums
            .into_iter()
            .skip(usize::try_from(query.offset).unwrap_or(usize::MAX))
            .take(usize::try_from(query.limit).unwrap_or(usize::MAX))
            .collect())
    }

    async fn album_tracks(&self, viewer: Viewer, album: &AlbumKey) -> anyhow::Result<Vec<Track>> {
        let mut tracks: Vec<Track> = lock(&self.tracks)
            .values()
            .filter(|track| track.source.visible_to(viewer) && album.holds(track))
            .cloned()
            .collect();
        tracks.sort_by_key(|track| {
            (
                track.tags.disc_number.unwrap_or(0),
                track.tags.track_number.unwrap_or(0),
                search_key(&track.tags.title),
            )
        });
        Ok(tracks)
    }

    async fn random(&self, viewer: Viewer, count: u32) -> anyhow::Result<Vec<Track>> {
        // Not random in memory: the first ones, which is what tests can check.
        Ok(lock(&self.tracks)
            .values()
            .filter(|track| track.source.visible_to(viewer))
            .take(count as usize)
            .cloned()
            .collect())
    }
}

impl InMemoryTracks {
    /// A catalogue whose album lists by stars and plays read `listening`.
    pub fn sharing(listening: InMemoryListening) -> Self {
        Self {
            listening: Some(listening),
            ..Self::default()
        }
    }
}

/// A track someone plays, from which app, since when.
type Playing = (TrackId, String, Timestamp);

/// Stars, plays and what people play now, in memory. Cloning shares them.
#[derive(Debug, Default, Clone)]
pub struct InMemoryListening {
    stars: Arc<Mutex<Vec<(UserId, Favourite, Timestamp)>>>,
    plays: Arc<Mutex<Vec<(UserId, TrackId, Timestamp)>>>,
    now: Arc<Mutex<BTreeMap<UserId, Playing>>>,
}

#[async_trait]
impl ListeningRepository for InMemoryListening {
    async fn star(
        &self,
        user_id: UserId,
        items: &[Favourite],
        at: Timestamp,
    ) -> anyhow::Result<()> {
        let mut stars = lock(&self.stars);
        for item in items {
            if !stars
                .iter()
                .any(|(user, own, _)| *user == user_id && own == item)
            {
                stars.push((user_id, item.clone(), at));
            }
        }
        Ok(())
    }

    async fn unstar(&self, user_id: UserId, items: &[Favourite]) -> anyhow::Result<()> {
        lock(&self.stars).retain(|(user, item, _)| *user != user_id || !items.contains(item));
        Ok(())
    }

    async fn favourites_of(&self, user_id: UserId) -> anyhow::Result<Vec<(Favourite, Timestamp)>> {
        let mut own: Vec<(Favourite, Timestamp)> = lock(&self.stars)
            .iter()
            .filter(|(user, _, _)| *user == user_id)
            .map(|(_, item, at)| (item.clone(), *at))
            .collect();
        own.sort_by_key(|(_, at)| std::cmp::Reverse(*at));
        Ok(own)
    }

    async fn record_play(
        &self,
        user_id: UserId,
        track: TrackId,
        at: Timestamp,
    ) -> anyhow::Result<()> {
        lock(&self.plays).push((user_id, track, at));
        Ok(())
    }

    async fn set_now_playing(
        &self,
        user_id: UserId,
        track: TrackId,
        client: &str,
        at: Timestamp,
    ) -> anyhow::Result<()> {
        lock(&self.now).insert(user_id, (track, client.to_owned(), at));
        Ok(())
    }

    async fn now_playing(
        &self,
        since: Timestamp,
    ) -> anyhow::Result<Vec<(UserId, TrackId, String, Timestamp)>> {
        let mut playing: Vec<_> = lock(&self.now)
            .iter()
            .filter(|(_, (_, _, at))| *at >= since)
            .map(|(user, (track, client, at))| (*user, *track, client.clone(), *at))
            .collect();
        playing.sort_by_key(|(_, _, _, at)| std::cmp::Reverse(*at));
        Ok(playing)
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

/// An upload space in memory: files by path. A pending file reads as FLAC when it starts as
/// one (`fLaC`), titled by its name; anything else is not audio.
#[derive(Debug, Default, Clone)]
pub struct InMemoryUploadSpace {
    files: Arc<Mutex<BTreeMap<String, Vec<u8>>>>,
    pending: Arc<AtomicUsize>,
}

impl InMemoryUploadSpace {
    /// The kept files' paths.
    pub fn paths(&self) -> Vec<String> {
        lock(&self.files).keys().cloned().collect()
    }

    /// How many files are being written now.
    pub fn pending(&self) -> usize {
        self.pending.load(Ordering::SeqCst)
    }
}

struct MemoryPending {
    bytes: Vec<u8>,
    space: InMemoryUploadSpace,
}

impl Drop for MemoryPending {
    fn drop(&mut self) {
        self.space.pending.fetch_sub(1, Ordering::SeqCst);
    }
}

#[async_trait]
impl PendingUpload for MemoryPending {
    async fn write(&mut self, bytes: &[u8]) -> anyhow::Result<()> {
        self.bytes.extend_from_slice(bytes);
        // A disk makes writers wait: uploads sent at once interleave here, as on a server.
        YieldOnce(false).await;
        Ok(())
    }

    async fn read(&mut self, name: &str) -> Result<ReadFile, Unreadable> {
        if self.bytes.starts_with(b"fLaC") {
            Ok(ReadFile {
                tags: TrackTags::titled(name, ""),
                content_type: "audio/flac".to_owned(),
            })
        } else {
            Err(Unreadable(
                "its content is not an audio format the library knows".to_owned(),
            ))
        }
    }

    async fn keep(self: Box<Self>, path: &str) -> anyhow::Result<()> {
        lock(&self.space.files).insert(path.to_owned(), self.bytes.clone());
        Ok(())
    }
}

#[async_trait]
impl UploadSpace for InMemoryUploadSpace {
    async fn start(&self) -> anyhow::Result<Box<dyn PendingUpload>> {
        self.pending.fetch_add(1, Ordering::SeqCst);
        Ok(Box::new(MemoryPending {
            bytes: Vec::new(),
            space: self.clone(),
        }))
    }

    async fn remove(&self, path: &str) -> anyhow::Result<()> {
        lock(&self.files).remove(path);
        Ok(())
    }
}

/// A fixed storage quota for every owner (`None`: no limit).
#[derive(Debug, Clone, Copy, Default)]
pub struct FixedStorageAllowance(pub Option<u64>);

#[async_trait]
impl StorageAllowance for FixedStorageAllowance {
    async fn storage_allowed(&self, _owner: UserId) -> anyhow::Result<Option<u64>> {
        Ok(self.0)
    }
}

/// A future that lets others run once before it finishes.
struct YieldOnce(bool);

impl std::future::Future for YieldOnce {
    type Output = ();

    fn poll(
        mut self: std::pin::Pin<&mut Self>,
        context: &mut std::task::Context<'_>,
    ) -> std::task::Poll<()> {
        if self.0 {
            return std::task::Poll::Ready(());
        }
        self.0 = true;
        context.waker().wake_by_ref();
        std::task::Poll::Pending
    }
}
