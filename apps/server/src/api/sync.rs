//! `GET|POST /api/v1/library/sync`: where the caller's liked-track sync stands on each
//! connected service (the run under way, the last runs), and a run now.

use poem_openapi::param::Query;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi, Tags};
use soiree_sync::downloads::{DownloadState, DriveFile};
use soiree_sync::{RunResult, SyncStatus};

use crate::auth::SessionAuth;
use crate::problem::{Problem, problem_variants};
use crate::state::AppState;

#[derive(Tags)]
enum SyncTags {
    /// The sync of liked tracks from your connected services into your library.
    Library,
}

/// The run under way.
#[derive(Object, Debug)]
struct RunningOut {
    /// `incremental` (new likes only) or `full` (every like; unlikes are removed).
    mode: String,
    started_at: chrono::DateTime<chrono::Utc>,
    /// Pages of likes read so far.
    pages: u32,
    /// New likes so far.
    added: u32,
    /// The service asked to wait: the run carries on from where it stopped after this.
    #[oai(skip_serializing_if_is_none)]
    waiting_until: Option<chrono::DateTime<chrono::Utc>>,
}

/// A run that ended.
#[derive(Object, Debug)]
#[oai(rename = "SyncRun")]
struct RunOut {
    mode: String,
    started_at: chrono::DateTime<chrono::Utc>,
    finished_at: chrono::DateTime<chrono::Utc>,
    /// `finished`, `stopped` (the connection needs reconnecting) or `failed` (tried again next
    /// time).
    outcome: String,
    #[oai(skip_serializing_if_is_none)]
    reason: Option<String>,
    pages: u32,
    /// Requests made to the service (an unchanged library costs one).
    requests: u32,
    added: u32,
    removed: u32,
    /// Times the service's rate limit paused the run.
    rate_limit_waits: u32,
}

impl From<RunResult> for RunOut {
    fn from(run: RunResult) -> Self {
        Self {
            mode: run.mode.as_str().to_owned(),
            started_at: run.started_at,
            finished_at: run.finished_at,
            outcome: run.outcome.as_str().to_owned(),
            reason: run.outcome.reason().map(str::to_owned),
            pages: run.pages,
            requests: run.requests,
            added: run.added,
            removed: run.removed,
            rate_limit_waits: run.rate_limit_waits,
        }
    }
}

/// One service's sync.
#[derive(Object, Debug)]
#[oai(rename = "ServiceSync")]
struct ServiceOut {
    /// `spotify` or `soundcloud`.
    service: String,
    /// Likes kept from it.
    likes: u64,
    /// When it runs next (or goes on, after a rate limit).
    next_run_at: chrono::DateTime<chrono::Utc>,
    /// When the last full read (which notices unlikes) ended.
    #[oai(skip_serializing_if_is_none)]
    last_full_at: Option<chrono::DateTime<chrono::Utc>>,
    /// Why the sync stopped for this service (connect it again, then sync now).
    #[oai(skip_serializing_if_is_none)]
    stopped: Option<String>,
    #[oai(skip_serializing_if_is_none)]
    running: Option<RunningOut>,
    /// The last runs, newest first.
    runs: Vec<RunOut>,
}

impl From<SyncStatus> for ServiceOut {
    fn from(status: SyncStatus) -> Self {
        let state = status.state;
        Self {
            service: state.key.service.clone(),
            likes: status.likes,
            next_run_at: state.next_run_at,
            last_full_at: state.last_full_at,
            stopped: state.stopped,
            running: state.run.map(|run| RunningOut {
                mode: run.mode.as_str().to_owned(),
                started_at: run.started_at,
                pages: run.pages,
                added: run.added,
                waiting_until: run.waiting_until,
            }),
            runs: status.runs.into_iter().map(RunOut::from).collect(),
        }
    }
}

/// A download that is not whole (yet).
#[derive(Object, Debug)]
#[oai(rename = "DriveDownload")]
struct DownloadOut {
    service: String,
    /// The track's address.
    uri: String,
    /// Its file's name in the drive.
    file_name: String,
    /// `pending` (waiting for its next try), `failed` (the service refused it) or `no_room`
    /// (it does not fit in your storage quota).
    state: String,
    /// Bytes written so far.
    bytes: u64,
    #[oai(skip_serializing_if_is_none)]
    size: Option<u64>,
    #[oai(skip_serializing_if_is_none)]
    reason: Option<String>,
}

/// The downloads of tracks their artists made downloadable (SoundCloud).
#[derive(Object, Debug)]
#[oai(rename = "DriveDownloads")]
struct DownloadsOut {
    /// Files whole in the drive.
    done: u32,
    /// Their bytes, counted in your storage quota (with what pending downloads hold).
    bytes: u64,
    /// Waiting for their (next) try.
    pending: u32,
    /// Refused by the service.
    failed: u32,
    /// Too big for what is left of your storage quota.
    no_room: u32,
    /// The downloads that are not whole, at most twenty.
    unfinished: Vec<DownloadOut>,
}

impl DownloadsOut {
    fn of(files: Vec<DriveFile>) -> Self {
        let count = |state: DownloadState| {
            u32::try_from(files.iter().filter(|file| file.state == state).count())
                .unwrap_or(u32::MAX)
        };
        Self {
            done: count(DownloadState::Done),
            bytes: files.iter().map(|file| file.bytes).sum(),
            pending: count(DownloadState::Pending),
            failed: count(DownloadState::Failed),
            no_room: count(DownloadState::NoRoom),
            unfinished: files
                .iter()
                .filter(|file| file.state != DownloadState::Done)
                .take(20)
                .map(|file| DownloadOut {
                    service: file.service.clone(),
                    uri: file.uri.clone(),
                    file_name: file.file_name.clone(),
                    state: file.state.as_str().to_owned(),
                    bytes: file.bytes,
                    size: file.size,
                    reason: file.failure.clone(),
                })
                .collect(),
        }
    }
}

/// The caller's drive folder on the server.
#[derive(Object, Debug)]
struct DriveOut {
    /// Where it is: `liked.jsonl` (one line per like), `liked.m3u8` (a playlist of them) and
    /// `soundcloud/` (the files of downloadable tracks).
    path: String,
    /// The bytes it holds.
    bytes: u64,
    downloads: DownloadsOut,
}

/// The caller's sync.
#[derive(Object, Debug)]
#[oai(rename = "LikesSync")]
struct SyncOut {
    /// How often each service is synced, in seconds.
    interval_seconds: i64,
    drive: DriveOut,
    /// One entry per connected service (a service connected in the last seconds appears at
    /// the sync loop's next pass).
    services: Vec<ServiceOut>,
}

#[derive(ApiResponse)]
#[oai(bad_request_handler = "SyncResponse::bad_request_handler")]
enum SyncResponse {
    #[oai(status = 200)]
    Ok(Json<SyncOut>),
    /// Asked for: the run starts within seconds; `GET` shows its progress.
    #[oai(status = 202)]
    Accepted(Json<SyncOut>),
    /// `bad_request`: `full` is not `true` or `false`.
    #[oai(status = 400, content_type = "application/problem+json")]
    BadRequest(Json<Problem>),
    /// `unauthenticated`.
    #[oai(status = 401, content_type = "application/problem+json")]
    Unauthenticated(Json<Problem>),
    /// `internal_error`.
    #[oai(status = 500, content_type = "application/problem+json")]
    Internal(Json<Problem>),
}

problem_variants!(SyncResponse { 400 => BadRequest, 401 => Unauthenticated, 500 => Internal });

pub(crate) struct SyncApi {
    pub(crate) state: AppState,
}

impl SyncApi {
    async fn status(&self, user: soiree_kernel::UserId) -> anyhow::Result<SyncOut> {
        let sync = &self.state.sync.service;
        let drive = &self.state.sync.drive;
        Ok(SyncOut {
            interval_seconds: sync.config().interval.num_seconds(),
            drive: DriveOut {
                path: drive.path_of(user).display().to_string(),
                bytes: drive.usage(user).await,
                downloads: DownloadsOut::of(self.state.sync.downloads.files(user).await?),
            },
            services: sync
                .status(user)
                .await?
                .into_iter()
                .map(ServiceOut::from)
                .collect(),
        })
    }
}

#[OpenApi(prefix_path = "/api/v1", tag = "SyncTags::Library")]
impl SyncApi {
    /// Where your liked-track sync stands: per connected service, the likes kept, the run
    /// under way (pages read, tracks added, waiting for a rate limit until …) and the last runs.
    #[oai(path = "/library/sync", method = "get")]
    async fn get_sync(&self, auth: SessionAuth) -> SyncResponse {
        match self.status(auth.caller().user.id).await {
            Ok(status) => SyncResponse::Ok(Json(status)),
            Err(error) => SyncResponse::from_problem(Problem::internal(&error)),
        }
    }

    /// Sync your liked tracks now (`full=true`: read every like, so that unlikes leave your
    /// library). A run waiting out a service's rate limit keeps waiting. A service whose sync
    /// stopped (it needed reconnecting) is tried again.
    #[oai(path = "/library/sync", method = "post")]
    async fn sync_now(&self, auth: SessionAuth, full: Query<Option<bool>>) -> SyncResponse {
        let user = auth.caller().user.id;
        if let Err(error) = self.state.sync.now(user, full.0.unwrap_or(false)).await {
            return SyncResponse::from_problem(Problem::internal(&error));
        }
        match self.status(user).await {
            Ok(status) => SyncResponse::Accepted(Json(status)),
            Err(error) => SyncResponse::from_problem(Problem::internal(&error)),
        }
    }
}
