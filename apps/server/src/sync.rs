//! The liked-track sync, wired: the connections' likes reader as the sync's [`LikesSource`], the
//! library as its [`LikesLibrary`], storage with a metrics count of each run, the drive folder
//! (the likes as files, and the downloads of downloadable tracks as the downloads' [`DriveFiles`],
//! fetched through the connections as their [`FileSource`], within the tier's quota as their
//! [`StorageRoom`]), and the background loop that runs what is due (every few seconds, and at
//! once when someone asks).

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::TimeDelta;
use soiree_connections::{AccessError, LikesService, PlayerCommandError, PlayerError, Provider};
use soiree_kernel::{Timestamp, UserId};
use soiree_library::{LibraryService, ProviderTrack, TrackTags};
use soiree_sync::downloads::{
    Chunk, Download, DownloadEnd, DownloadQueue, DownloadService, DriveFile, DriveFiles,
    FetchFailure, FileSource, Recorded, StorageRoom,
};
use soiree_sync::{
    Liked, LikesLibrary, LikesPage, LikesSource, PageFailure, RunId, RunResult, SyncKey,
    SyncRepository, SyncService, SyncState,
};
use tokio::sync::Notify;
use tokio::task::JoinHandle;

/// How often the loop looks for due runs when nobody asks.
const SYNC_SWEEP: Duration = Duration::from_secs(5);

/// How many passes of downloads the loop makes after each look at the sync.
const DOWNLOAD_PASSES: usize = 4;

/// What a refused call to a person's service means for the sync and the downloads.
enum Refusal {
    NeedsReconnect(String),
    NotConnected,
    RateLimited(Duration),
    Refused(String),
    Unavailable(String),
}

fn refusal(error: PlayerCommandError) -> Refusal {
    match error {
        PlayerCommandError::Access(AccessError::NeedsReconnect { reason, .. }) => {
            Refusal::NeedsReconnect(reason)
        }
        PlayerCommandError::Access(
            AccessError::NotConnected(_) | AccessError::NotConfigured(_),
        ) => Refusal::NotConnected,
        PlayerCommandError::Access(AccessError::RateLimited { retry_after })
        | PlayerCommandError::Player(PlayerError::RateLimited { retry_after }) => {
            Refusal::RateLimited(retry_after)
        }
        PlayerCommandError::Player(PlayerError::TokenRejected) => {
            Refusal::NeedsReconnect("the service refused the connection".to_owned())
        }
        PlayerCommandError::Player(PlayerError::Rejected(reason)) => Refusal::Refused(reason),
        other => Refusal::Unavailable(other.to_string()),
    }
}

/// People's downloadable files through their own connections.
#[derive(Debug)]
pub(crate) struct FilesFromConnections(pub(crate) Arc<LikesService>);

#[async_trait]
impl FileSource for FilesFromConnections {
    async fn chunk(
        &self,
        key: &SyncKey,
        url: &str,
        from: u64,
        most: u64,
    ) -> Result<Chunk, FetchFailure> {
        let provider: Provider = key
            .service
            .parse()
            .map_err(|_| FetchFailure::Gone(format!("no service {}", key.service)))?;
        let piece = self
            .0
            .file_piece(key.user, provider, url, from, most)
            .await
            .map_err(|error| match refusal(error) {
                Refusal::NeedsReconnect(reason) => FetchFailure::NeedsReconnect(reason),
                Refusal::NotConnected => {
                    FetchFailure::NeedsReconnect("not connected any more".to_owned())
                }
                Refusal::RateLimited(retry_after) => FetchFailure::RateLimited { retry_after },
                Refusal::Refused(reason) => FetchFailure::Gone(reason),
                Refusal::Unavailable(reason) => FetchFailure::Unavailable(reason),
            })?;
        Ok(Chunk {
            bytes: piece.bytes,
            total: piece.total,
        })
    }
}

/// What is left of a person's storage quota (their tier's, with its overrides) after their
/// uploads and their drive's downloads.
#[derive(Debug)]
pub(crate) struct RoomInQuota {
    pub(crate) tiers: crate::library::TierStorage,
    pub(crate) used: soiree_storage::SqlLibraryStore,
}

#[async_trait]
impl StorageRoom for RoomInQuota {
    async fn room_left(&self, user: UserId) -> anyhow::Result<Option<u64>> {
        use soiree_library::StorageAllowance as _;
        use soiree_library::TrackRepository as _;
        let Some(allowed) = self.tiers.storage_allowed(user).await? else {
            return Ok(None);
        };
        Ok(Some(
            allowed.saturating_sub(self.used.uploaded_bytes(user).await?),
        ))
    }

    async fn allowed(&self, user: UserId) -> anyhow::Result<Option<u64>> {
        use soiree_library::StorageAllowance as _;
        self.tiers.storage_allowed(user).await
    }
}

/// People's likes through their own connections.
#[derive(Debug)]
pub(crate) struct LikesFromConnections(pub(crate) Arc<LikesService>);

#[async_trait]
impl LikesSource for LikesFromConnections {
    async fn page(&self, key: &SyncKey, cursor: Option<&str>) -> Result<LikesPage, PageFailure> {
        let provider: Provider = key
            .service
            .parse()
            .map_err(|_| PageFailure::Unavailable(format!("no service {}", key.service)))?;
        let page = self
            .0
            .liked_page(key.user, provider, cursor)
            .await
            .map_err(|error| match refusal(error) {
                Refusal::NeedsReconnect(reason) => PageFailure::NeedsReconnect(reason),
                Refusal::NotConnected => PageFailure::NotConnected,
                Refusal::RateLimited(retry_after) => PageFailure::RateLimited { retry_after },
                Refusal::Refused(reason) | Refusal::Unavailable(reason) => {
                    PageFailure::Unavailable(reason)
                }
            })?;
        Ok(LikesPage {
            tracks: page
                .tracks
                .into_iter()
                .map(|track| Liked {
                    uri: track.uri,
                    title: track.title,
                    artists: track.artists,
                    album: track.album,
                    duration_ms: track.duration_ms,
                    liked_at: track.liked_at,
                    link: track.link,
                    download_url: track.download_url,
                })
                .collect(),
            next: page.next,
        })
    }
}

/// Likes become (and stop being) music services' tracks of the person's library.
#[derive(Debug)]
pub(crate) struct LikesIntoLibrary(pub(crate) Arc<LibraryService>);

#[async_trait]
impl LikesLibrary for LikesIntoLibrary {
    async fn arrived(&self, user: UserId, likes: &[Liked]) -> anyhow::Result<()> {
        let tracks = likes
            .iter()
            .map(|liked| ProviderTrack {
                uri: liked.uri.clone(),
                tags: TrackTags {
                    title: liked.title.clone(),
                    artists: liked.artists.clone(),
                    album: liked.album.clone(),
                    duration_ms: Some(liked.duration_ms),
                    ..TrackTags::default()
                },
            })
            .collect();
        self.0.keep_provider_tracks(user, tracks).await
    }

    async fn left(&self, user: UserId, uris: &[String]) -> anyhow::Result<()> {
        self.0.forget_provider_uris(user, uris).await.map(|_| ())
    }
}

/// The sync's storage, counting each run that ends in `/metrics`.
#[derive(Debug)]
pub(crate) struct CountedSync<S> {
    pub(crate) inner: S,
    pub(crate) metrics: Arc<crate::metrics::Metrics>,
}

#[async_trait]
impl<S: SyncRepository> SyncRepository for CountedSync<S> {
    async fn enrol_connected(&self, at: Timestamp, interval: TimeDelta) -> anyhow::Result<u64> {
        self.inner.enrol_connected(at, interval).await
    }

    async fn claim_due(
        &self,
        now: Timestamp,
        holder: &str,
        lease: TimeDelta,
        limit: u32,
    ) -> anyhow::Result<Vec<SyncState>> {
        self.inner.claim_due(now, holder, lease, limit).await
    }

    async fn save(
        &self,
        state: &SyncState,
        holder: &str,
        lease_until: Timestamp,
    ) -> anyhow::Result<bool> {
        self.inner.save(state, holder, lease_until).await
    }

    async fn release(&self, key: &SyncKey, holder: &str) -> anyhow::Result<()> {
        self.inner.release(key, holder).await
    }

    async fn keep_likes(
        &self,
        key: &SyncKey,
        run: RunId,
        likes: &[Liked],
        at: Timestamp,
    ) -> anyhow::Result<Vec<Liked>> {
        self.inner.keep_likes(key, run, likes, at).await
    }

    async fn drop_unseen(&self, key: &SyncKey, run: RunId) -> anyhow::Result<Vec<String>> {
        self.inner.drop_unseen(key, run).await
    }

    async fn finish(
        &self,
        state: &SyncState,
        result: &RunResult,
        holder: &str,
    ) -> anyhow::Result<()> {
        self.inner.finish(state, result, holder).await?;
        self.metrics.sync_ran(result);
        Ok(())
    }

    async fn request_now(&self, user: UserId, now: Timestamp, full: bool) -> anyhow::Result<u64> {
        self.inner.request_now(user, now, full).await
    }

    async fn states_of(&self, user: UserId) -> anyhow::Result<Vec<SyncState>> {
        self.inner.states_of(user).await
    }

    async fn runs_of(&self, key: &SyncKey, limit: u32) -> anyhow::Result<Vec<RunResult>> {
        self.inner.runs_of(key, limit).await
    }

    async fn likes_count(&self, key: &SyncKey) -> anyhow::Result<u64> {
        self.inner.likes_count(key).await
    }

    async fn likes_of(&self, user: UserId) -> anyhow::Result<Vec<(String, Liked)>> {
        self.inner.likes_of(user).await
    }

    async fn activity(&self, since: Timestamp) -> anyhow::Result<Vec<soiree_sync::PersonSync>> {
        self.inner.activity(since).await
    }

    async fn preferences(&self, user: UserId) -> anyhow::Result<soiree_sync::SyncPreferences> {
        self.inner.preferences(user).await
    }

    async fn set_preferences(
        &self,
        user: UserId,
        preferences: soiree_sync::SyncPreferences,
    ) -> anyhow::Result<()> {
        self.inner.set_preferences(user, preferences).await
    }
}

/// The downloads' storage, counting each try that ends in `/metrics`.
#[derive(Debug)]
pub(crate) struct CountedDownloads<Q> {
    pub(crate) inner: Q,
    pub(crate) metrics: Arc<crate::metrics::Metrics>,
}

#[async_trait]
impl<Q: DownloadQueue> DownloadQueue for CountedDownloads<Q> {
    async fn want(
        &self,
        key: &SyncKey,
        likes: &[(Liked, String)],
        at: Timestamp,
    ) -> anyhow::Result<u64> {
        self.inner.want(key, likes, at).await
    }

    async fn claim(
        &self,
        now: Timestamp,
        holder: &str,
        lease: TimeDelta,
        limit: u32,
    ) -> anyhow::Result<Vec<Download>> {
        self.inner.claim(now, holder, lease, limit).await
    }

    async fn progress(
        &self,
        download: &Download,
        holder: &str,
        lease_until: Timestamp,
        limit: Option<u64>,
    ) -> anyhow::Result<Recorded> {
        self.inner
            .progress(download, holder, lease_until, limit)
            .await
    }

    async fn finish(
        &self,
        download: &Download,
        holder: &str,
        end: &DownloadEnd,
        at: Timestamp,
    ) -> anyhow::Result<()> {
        self.inner.finish(download, holder, end, at).await?;
        self.metrics.download_ended(download, end);
        Ok(())
    }

    async fn drop_uris(&self, key: &SyncKey, uris: &[String]) -> anyhow::Result<Vec<DriveFile>> {
        self.inner.drop_uris(key, uris).await
    }

    async fn files_of(&self, user: UserId) -> anyhow::Result<Vec<DriveFile>> {
        self.inner.files_of(user).await
    }

    async fn retry_no_room(&self, user: UserId, at: Timestamp) -> anyhow::Result<u64> {
        self.inner.retry_no_room(user, at).await
    }
}

/// The sync, what wakes its loop, the people's drive folders and the downloads into them.
#[derive(Debug, Clone)]
pub(crate) struct Sync {
    pub(crate) service: Arc<SyncService>,
    pub(crate) wake: Arc<Notify>,
    pub(crate) drive: DriveFolder,
    pub(crate) downloads: Arc<DownloadService>,
}

impl Sync {
    /// Runs `user`'s sync soon (`full`: reading everything), and tries again their downloads
    /// that did not fit in their quota (they may have made room); how many services that is.
    pub(crate) async fn now(&self, user: UserId, full: bool) -> anyhow::Result<u64> {
        let services = self.service.request_now(user, full).await?;
        self.downloads.try_again(user).await?;
        // Likes kept before their download address was (the first full read after an upgrade
        // gives it to them) are downloaded too; asking again for those known is harmless.
        let likes = self.service.likes(user).await?;
        let downloadable: Vec<(String, Liked)> = likes
            .into_iter()
            .filter(|(_, liked)| liked.download_url.is_some())
            .collect();
        for (service, likes) in by_service(&downloadable, |(_, liked)| &liked.uri) {
            let likes: Vec<Liked> = likes.into_iter().map(|(_, liked)| liked.clone()).collect();
            self.downloads
                .want(&SyncKey::new(user, &service), &likes)
                .await?;
        }
        self.wake.notify_one();
        Ok(services)
    }
}

/// Runs due syncs every few seconds, and at once when woken.
pub(crate) fn spawn_sync_loop(sync: Sync) -> JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            tokio::select! {
                () = tokio::time::sleep(SYNC_SWEEP) => {}
                () = sync.wake.notified() => {}
            }
            if let Err(error) = sync.service.run_due().await {
                tracing::warn!(error = format!("{error:#}"), "the sync loop failed a pass");
            }
            // Then the downloads the new likes brought, a few passes at most before the next
            // look at the sync.
            for _ in 0..DOWNLOAD_PASSES {
                match sync.downloads.run_due().await {
                    Ok(0) => break,
                    Ok(_) => {}
                    Err(error) => {
                        tracing::warn!(
                            error = format!("{error:#}"),
                            "the download loop failed a pass"
                        );
                        break;
                    }
                }
            }
        }
    })
}

/// Each person's drive folder, `{base}/{user id}/`: `liked.jsonl` (one line per like, appended as
/// likes arrive, rewritten after a full read) and `liked.m3u8` (a playlist of the likes: the
/// service's link of each, since a service's track has no file here).
#[derive(Debug, Clone)]
pub(crate) struct DriveFolder {
    pub(crate) base: std::path::PathBuf,
    pub(crate) store: Arc<dyn SyncRepository>,
}

/// The service a like's address belongs to.
fn service_of(uri: &str) -> &str {
    uri.split(':').next().unwrap_or_default()
}

/// `file`: the like's downloaded file in the drive, once whole (`soundcloud/…`).
fn json_line(service: &str, liked: &Liked, file: Option<&str>) -> String {
    let mut line = serde_json::json!({
        "service": service,
        "uri": liked.uri,
        "title": liked.title,
        "artists": liked.artists,
        "album": liked.album,
        "duration_ms": liked.duration_ms,
        "liked_at": liked.liked_at,
        "link": liked.link,
        "file": file,
    })
    .to_string();
    line.push('\n');
    line
}

/// A playlist entry: the downloaded file (a path relative to the playlist, which players play)
/// when there is one, else the service's link.
fn m3u_entry(liked: &Liked, file: Option<&str>) -> String {
    // A title cannot break the playlist's lines.
    let flat = |text: &str| text.replace(['\r', '\n'], " ");
    let seconds = liked.duration_ms / 1000;
    format!(
        "#EXTINF:{seconds},{} - {}\n{}\n",
        flat(&liked.artists.join(", ")),
        flat(&liked.title),
        flat(file.or(liked.link.as_deref()).unwrap_or(&liked.uri)),
    )
}

/// The whole downloaded files in `folder`'s service folders, by their stem
/// (`soundcloud/Artist - Title [id]`): the drive's own record of what was downloaded.
fn downloaded_files(folder: &std::path::Path) -> std::collections::HashMap<String, String> {
    let mut found = std::collections::HashMap::new();
    let Ok(services) = std::fs::read_dir(folder) else {
        return found;
    };
    for service in services.filter_map(Result::ok) {
        if !service.path().is_dir() {
            continue;
        }
        let Ok(files) = std::fs::read_dir(service.path()) else {
            continue;
        };
        for file in files.filter_map(Result::ok) {
            let path = file.path();
            let (Some(stem), Some(extension)) = (path.file_stem(), path.extension()) else {
                continue;
            };
            if extension == "part" {
                continue;
            }
            let service = service.file_name().to_string_lossy().into_owned();
            let stem = format!("{service}/{}", stem.to_string_lossy());
            let name = format!("{service}/{}", file.file_name().to_string_lossy());
            found.insert(stem, name);
        }
    }
    found
}

const M3U_HEADER: &str = "#EXTM3U\n";

impl DriveFolder {
    /// `user`'s drive folder.
    pub(crate) fn path_of(&self, user: UserId) -> std::path::PathBuf {
        self.base.join(user.to_string())
    }

    /// Removes `user`'s drive folder (their account is going).
    pub(crate) async fn remove(&self, user: UserId) -> anyhow::Result<()> {
        match tokio::fs::remove_dir_all(self.path_of(user)).await {
            Err(error) if error.kind() != std::io::ErrorKind::NotFound => Err(error.into()),
            _ => Ok(()),
        }
    }

    /// The bytes in `user`'s drive folder.
    pub(crate) async fn usage(&self, user: UserId) -> u64 {
        let folder = self.path_of(user);
        tokio::task::spawn_blocking(move || {
            walkdir::WalkDir::new(folder)
                .into_iter()
                .filter_map(Result::ok)
                .filter_map(|entry| entry.metadata().ok())
                .filter(std::fs::Metadata::is_file)
                .map(|metadata| metadata.len())
                .sum()
        })
        .await
        .unwrap_or(0)
    }

    /// Adds lines for new likes (the playlist gets its header when it is made).
    async fn append(&self, user: UserId, likes: &[Liked]) -> anyhow::Result<()> {
        let folder = self.path_of(user);
        // New likes have no file yet: their download comes after.
        let lines: String = likes
            .iter()
            .map(|liked| json_line(service_of(&liked.uri), liked, None))
            .collect();
        let entries: String = likes.iter().map(|liked| m3u_entry(liked, None)).collect();
        tokio::task::spawn_blocking(move || -> anyhow::Result<()> {
            use std::io::Write as _;
            std::fs::create_dir_all(&folder)?;
            let open = |name: &str| {
                std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(folder.join(name))
            };
            open("liked.jsonl")?.write_all(lines.as_bytes())?;
            let mut playlist = open("liked.m3u8")?;
            if playlist.metadata()?.len() == 0 {
                playlist.write_all(M3U_HEADER.as_bytes())?;
            }
            playlist.write_all(entries.as_bytes())?;
            Ok(())
        })
        .await?
    }

    /// Writes both files again from the likes kept (after a full read took some away, and after
    /// a download, whose file then takes the link's place).
    async fn rewrite(&self, user: UserId) -> anyhow::Result<()> {
        let folder = self.path_of(user);
        let likes = self.store.likes_of(user).await?;
        tokio::task::spawn_blocking(move || -> anyhow::Result<()> {
            use std::io::Write as _;
            let files = downloaded_files(&folder);
            let file_of = |service: &str, liked: &Liked| {
                liked.download_url.as_ref()?;
                files
                    .get(&soiree_sync::downloads::file_stem(service, liked))
                    .map(String::as_str)
            };
            let lines: String = likes
                .iter()
                .map(|(service, liked)| json_line(service, liked, file_of(service, liked)))
                .collect();
            let playlist: String = std::iter::once(M3U_HEADER.to_owned())
                .chain(
                    likes
                        .iter()
                        .map(|(service, liked)| m3u_entry(liked, file_of(service, liked))),
                )
                .collect();
            std::fs::create_dir_all(&folder)?;
            for (name, content) in [("liked.jsonl", lines), ("liked.m3u8", playlist)] {
                let mut file = tempfile::NamedTempFile::new_in(&folder)?;
                file.write_all(content.as_bytes())?;
                file.persist(folder.join(name))?;
            }
            Ok(())
        })
        .await?
    }
}

/// Likes into the person's library, their drive folder, and the downloads of the downloadable.
#[derive(Debug)]
pub(crate) struct LikesEverywhere {
    pub(crate) library: LikesIntoLibrary,
    pub(crate) drive: DriveFolder,
    pub(crate) downloads: Arc<DownloadService>,
}

/// `items` by the service their address belongs to.
fn by_service<T>(items: &[T], uri: impl Fn(&T) -> &str) -> Vec<(String, Vec<&T>)> {
    let mut grouped: Vec<(String, Vec<&T>)> = Vec::new();
    for item in items {
        let service = service_of(uri(item));
        match grouped.iter_mut().find(|(name, _)| name == service) {
            Some((_, list)) => list.push(item),
            None => grouped.push((service.to_owned(), vec![item])),
        }
    }
    grouped
}

#[async_trait]
impl LikesLibrary for LikesEverywhere {
    async fn arrived(&self, user: UserId, likes: &[Liked]) -> anyhow::Result<()> {
        self.library.arrived(user, likes).await?;
        self.drive.append(user, likes).await?;
        for (service, likes) in by_service(likes, |liked| &liked.uri) {
            let likes: Vec<Liked> = likes.into_iter().cloned().collect();
            self.downloads
                .want(&SyncKey::new(user, &service), &likes)
                .await?;
        }
        Ok(())
    }

    async fn left(&self, user: UserId, uris: &[String]) -> anyhow::Result<()> {
        self.library.left(user, uris).await?;
        for (service, gone) in by_service(uris, String::as_str) {
            let gone: Vec<String> = gone.into_iter().cloned().collect();
            self.downloads
                .forget(&SyncKey::new(user, &service), &gone)
                .await?;
        }
        self.drive.rewrite(user).await
    }
}

/// The folder holds the downloads: a part file written piece by piece, then renamed with the
/// extension its content calls for.
#[async_trait]
impl DriveFiles for DriveFolder {
    async fn write(
        &self,
        user: UserId,
        part: &str,
        offset: u64,
        bytes: &[u8],
    ) -> anyhow::Result<()> {
        let path = self.path_of(user).join(part);
        let bytes = bytes.to_vec();
        tokio::task::spawn_blocking(move || -> anyhow::Result<()> {
            use std::io::{Seek as _, SeekFrom, Write as _};
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent)?;
            }
            let mut file = std::fs::OpenOptions::new()
                .create(true)
                .truncate(false)
                .write(true)
                .open(&path)?;
            // Whatever lies beyond `offset` was written but never recorded: written again.
            file.set_len(offset)?;
            file.seek(SeekFrom::Start(offset))?;
            file.write_all(&bytes)?;
            file.sync_data()?;
            Ok(())
        })
        .await?
    }

    async fn complete(&self, user: UserId, part: &str, stem: &str) -> anyhow::Result<String> {
        let folder = self.path_of(user);
        let (part, stem) = (part.to_owned(), stem.to_owned());
        let name = tokio::task::spawn_blocking(move || -> anyhow::Result<String> {
            let from = folder.join(&part);
            let extension = soiree_media::audio_extension(&from).unwrap_or("bin");
            let name = format!("{stem}.{extension}");
            std::fs::rename(&from, folder.join(&name))?;
            Ok(name)
        })
        .await??;
        // The playlist plays the file now, and the like's line names it.
        self.rewrite(user).await?;
        Ok(name)
    }

    async fn remove(&self, user: UserId, name: &str) -> anyhow::Result<()> {
        match tokio::fs::remove_file(self.path_of(user).join(name)).await {
            Err(error) if error.kind() != std::io::ErrorKind::NotFound => Err(error.into()),
            _ => Ok(()),
        }
    }
}
