//! The library in the server: the music folder (`SOIREE_MUSIC_DIR`) wired to the catalogue, the
//! scan run in the background with its progress for the operator, and streaming with ranges.

pub(crate) mod stream;

use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};

use anyhow::Context as _;
use async_trait::async_trait;
use soiree_kernel::UserId;
use soiree_library::{
    LibraryService, PlaylistAllowance, PlaylistsService, ScanReport, StorageAllowance,
    UploadsService,
};
use soiree_storage::Database;
use soiree_tiers::{Limit, QuotaBook as _, TiersService};

/// Where a scan stands, for `GET /api/v1/library/scan` and the log.
#[derive(Debug, Clone, Default)]
pub(crate) struct ScanState {
    /// Files looked at and in all, while a scan runs.
    pub(crate) running: Option<(usize, usize)>,
    /// The last scan's report and when it ended.
    pub(crate) last: Option<(chrono::DateTime<chrono::Utc>, Result<ScanReport, String>)>,
}

/// The library with its scan state.
#[derive(Debug, Clone)]
pub(crate) struct Library {
    pub(crate) service: Arc<LibraryService>,
    pub(crate) playlists: Arc<PlaylistsService>,
    /// People's uploads (`None` for commands that do not serve them).
    pub(crate) uploads: Option<Arc<UploadsService>>,
    /// Whether a music folder is configured.
    pub(crate) has_folder: bool,
    state: Arc<Mutex<ScanState>>,
}

impl Library {
    /// The library over `music_dir` (checked now: a missing folder fails the start with its
    /// path), people's uploads (kept as `uploads` says) and the database's catalogue; without
    /// a folder, an empty one.
    pub(crate) fn open(
        music_dir: Option<&Path>,
        uploads: Option<UploadSettings>,
        database: &Database,
        tiers: Arc<TiersService>,
    ) -> anyhow::Result<Self> {
        let folder: Arc<dyn soiree_library::MusicFolder> = match music_dir {
            Some(dir) => Arc::new(soiree_media::FolderOnDisk::new(dir).context(
                "SOIREE_MUSIC_DIR: set it to an existing folder of music, or leave it unset",
            )?),
            None => Arc::new(soiree_media::NoFolder),
        };
        let tracks = Arc::new(database.library());
        let mut service = LibraryService::new(
            folder,
            tracks.clone(),
            Arc::new(database.listening()),
            Arc::new(soiree_kernel::SystemClock),
        );
        let uploads = match uploads {
            Some(settings) => {
                let space = soiree_media::UploadsOnDisk::open(&settings.dir)
                    .context("SOIREE_DATA_DIR: the uploads folder under it must be writable")?;
                service = service.with_uploads(space.reader());
                Some(Arc::new(UploadsService::new(
                    Arc::new(space),
                    tracks.clone(),
                    Arc::new(TierStorage(Arc::clone(&tiers))),
                    Arc::new(soiree_kernel::SystemClock),
                    settings.max_file_bytes,
                )))
            }
            None => None,
        };
        Ok(Self {
            service: Arc::new(service),
            uploads,
            playlists: Arc::new(PlaylistsService::new(
                Arc::new(database.playlists()),
                tracks,
                Arc::new(TierPlaylists(tiers)),
                Arc::new(soiree_kernel::SystemClock),
            )),
            has_folder: music_dir.is_some(),
            state: Arc::new(Mutex::new(ScanState::default())),
        })
    }

    /// Where the scan stands.
    pub(crate) fn scan_state(&self) -> ScanState {
        self.state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Starts a scan in the background unless one runs; whether it started.
    pub(crate) fn start_scan(&self) -> bool {
        {
            let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
            if state.running.is_some() {
                return false;
            }
            state.running = Some((0, 0));
        }
        let library = self.clone();
        tokio::spawn(async move {
            let report = library.scan_now().await;
            if let Err(error) = &report {
                tracing::error!(error = format!("{error:#}"), "the music folder scan failed");
            }
        });
        true
    }

    /// Scans now, recording progress (and logging it every 10 %); the report.
    pub(crate) async fn scan_now(&self) -> anyhow::Result<ScanReport> {
        let state = Arc::clone(&self.state);
        let progress = move |progress: soiree_library::ScanProgress| {
            let step = (progress.total / 10).max(1);
            if progress.done.is_multiple_of(step) || progress.done == progress.total {
                tracing::info!(
                    done = progress.done,
                    total = progress.total,
                    "scanning the music folder"
                );
            }
            state.lock().unwrap_or_else(PoisonError::into_inner).running =
                Some((progress.done, progress.total));
        };
        let report = self.service.scan(&progress).await;
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        state.running = None;
        state.last = Some((
            chrono::Utc::now(),
            report
                .as_ref()
                .map(Clone::clone)
                .map_err(|error| format!("{error:#}")),
        ));
        report
    }
}

/// Where people's uploads are kept and how big one may be.
#[derive(Debug, Clone)]
pub(crate) struct UploadSettings {
    pub(crate) dir: std::path::PathBuf,
    pub(crate) max_file_bytes: u64,
}

/// How many bytes of uploads an account's tier allows (its overrides included).
#[derive(Debug)]
pub(crate) struct TierStorage(pub(crate) Arc<TiersService>);

#[async_trait]
impl StorageAllowance for TierStorage {
    async fn storage_allowed(&self, owner: UserId) -> anyhow::Result<Option<u64>> {
        let standing = self.0.standing(owner).await?;
        Ok(match standing.limits.quotas.storage_bytes {
            Limit::AtMost(most) => Some(most),
            Limit::Unlimited => None,
        })
    }
}

/// How many playlists an account's tier allows (its overrides included).
#[derive(Debug)]
struct TierPlaylists(Arc<TiersService>);

#[async_trait]
impl PlaylistAllowance for TierPlaylists {
    async fn playlists_allowed(&self, owner: UserId) -> anyhow::Result<Option<u32>> {
        let standing = self.0.standing(owner).await?;
        Ok(match standing.limits.quotas.playlists {
            Limit::AtMost(most) => Some(u32::try_from(most).unwrap_or(u32::MAX)),
            Limit::Unlimited => None,
        })
    }
}
