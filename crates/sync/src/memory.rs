//! In-process [`SyncRepository`], [`LikesSource`] and [`LikesLibrary`], for tests, examples and
//! embedders.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use async_trait::async_trait;
use chrono::TimeDelta;
use soiree_kernel::{Timestamp, UserId};

use crate::model::{
    Liked, LikesPage, Outcome, PageFailure, PersonSync, RunId, RunResult, SyncKey, SyncPreferences,
    SyncState,
};
use crate::ports::{LikesLibrary, LikesSource, SyncRepository};
use crate::rules::spread_offset;

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

#[derive(Debug, Default)]
struct Stored {
    connected: Vec<SyncKey>,
    states: BTreeMap<SyncKey, (SyncState, Option<(String, Timestamp)>)>,
    /// Likes with the run that last saw them.
    likes: BTreeMap<SyncKey, Vec<(Liked, RunId)>>,
    runs: Vec<RunResult>,
    preferences: HashMap<UserId, SyncPreferences>,
}

/// The sync's storage in memory. Cloning shares it.
#[derive(Debug, Default, Clone)]
pub struct InMemorySync {
    stored: Arc<Mutex<Stored>>,
}

impl InMemorySync {
    /// `key` is connected (it will be enrolled).
    pub fn connect(&self, key: &SyncKey) {
        lock(&self.stored).connected.push(key.clone());
    }

    /// Who holds `key`'s lease, if anyone.
    pub fn holder(&self, key: &SyncKey) -> Option<String> {
        lock(&self.stored)
            .states
            .get(key)
            .and_then(|(_, lease)| lease.as_ref().map(|(holder, _)| holder.clone()))
    }
}

#[async_trait]
impl SyncRepository for InMemorySync {
    async fn enrol_connected(&self, at: Timestamp, interval: TimeDelta) -> anyhow::Result<u64> {
        let mut stored = lock(&self.stored);
        let mut made = 0;
        for key in stored.connected.clone() {
            if !stored.states.contains_key(&key) {
                let due = at + spread_offset(&key, interval);
                stored
                    .states
                    .insert(key.clone(), (SyncState::new(key, due), None));
                made += 1;
            }
        }
        Ok(made)
    }

    async fn claim_due(
        &self,
        now: Timestamp,
        holder: &str,
        lease: TimeDelta,
        limit: u32,
    ) -> anyhow::Result<Vec<SyncState>> {
        let mut stored = lock(&self.stored);
        let mut due: Vec<&mut (SyncState, Option<(String, Timestamp)>)> = stored
            .states
            .values_mut()
            .filter(|(state, lease)| {
                state.next_run_at <= now
                    && state.stopped.is_none()
                    && lease.as_ref().is_none_or(|(_, until)| *until <= now)
            })
            .collect();
        due.sort_by_key(|(state, _)| state.next_run_at);
        Ok(due
            .into_iter()
            .take(usize::try_from(limit).unwrap_or(usize::MAX))
            .map(|(state, held)| {
                *held = Some((holder.to_owned(), now + lease));
                state.clone()
            })
            .collect())
    }

    async fn save(
        &self,
        state: &SyncState,
        holder: &str,
        lease_until: Timestamp,
    ) -> anyhow::Result<bool> {
        let mut stored = lock(&self.stored);
        let Some((kept, lease)) = stored.states.get_mut(&state.key) else {
            return Ok(false);
        };
        if lease.as_ref().is_none_or(|(own, _)| own != holder) {
            return Ok(false);
        }
        *kept = state.clone();
        *lease = Some((holder.to_owned(), lease_until));
        Ok(true)
    }

    async fn release(&self, key: &SyncKey, holder: &str) -> anyhow::Result<()> {
        if let Some((_, lease)) = lock(&self.stored).states.get_mut(key)
            && lease.as_ref().is_some_and(|(own, _)| own == holder)
        {
            *lease = None;
        }
        Ok(())
    }

    async fn keep_likes(
        &self,
        key: &SyncKey,
        run: RunId,
        likes: &[Liked],
        _at: Timestamp,
    ) -> anyhow::Result<Vec<Liked>> {
        let mut stored = lock(&self.stored);
        let kept = stored.likes.entry(key.clone()).or_default();
        let mut new = Vec::new();
        for liked in likes {
            match kept.iter_mut().find(|(own, _)| own.uri == liked.uri) {
                Some((own, seen)) => {
                    *seen = run;
                    if liked.download_url.is_some() {
                        own.download_url.clone_from(&liked.download_url);
                    }
                }
                None => {
                    kept.push((liked.clone(), run));
                    new.push(liked.clone());
                }
            }
        }
        Ok(new)
    }

    async fn drop_unseen(&self, key: &SyncKey, run: RunId) -> anyhow::Result<Vec<String>> {
        let mut stored = lock(&self.stored);
        let kept = stored.likes.entry(key.clone()).or_default();
        let gone = kept
            .iter()
            .filter(|(_, seen)| *seen != run)
            .map(|(liked, _)| liked.uri.clone())
            .collect();
        kept.retain(|(_, seen)| *seen == run);
        Ok(gone)
    }

    async fn finish(
        &self,
        state: &SyncState,
        result: &RunResult,
        holder: &str,
    ) -> anyhow::Result<()> {
        let mut stored = lock(&self.stored);
        if let Some((kept, lease)) = stored.states.get_mut(&state.key)
            && lease.as_ref().is_some_and(|(own, _)| own == holder)
        {
            *kept = state.clone();
            *lease = None;
            stored.runs.push(result.clone());
        }
        Ok(())
    }

    async fn request_now(&self, user: UserId, now: Timestamp, full: bool) -> anyhow::Result<u64> {
        let mut stored = lock(&self.stored);
        let mut count = 0;
        for (key, (state, _)) in &mut stored.states {
            if key.user == user {
                // A run waiting out a rate limit keeps waiting.
                let waiting = state
                    .run
                    .as_ref()
                    .and_then(|run| run.waiting_until)
                    .is_some_and(|until| until > now);
                if !waiting {
                    state.next_run_at = state.next_run_at.min(now);
                }
                state.full_requested |= full;
                state.stopped = None;
                count += 1;
            }
        }
        Ok(count)
    }

    async fn states_of(&self, user: UserId) -> anyhow::Result<Vec<SyncState>> {
        Ok(lock(&self.stored)
            .states
            .values()
            .filter(|(state, _)| state.key.user == user)
            .map(|(state, _)| state.clone())
            .collect())
    }

    async fn runs_of(&self, key: &SyncKey, limit: u32) -> anyhow::Result<Vec<RunResult>> {
        Ok(lock(&self.stored)
            .runs
            .iter()
            .rev()
            .filter(|run| run.key == *key)
            .take(usize::try_from(limit).unwrap_or(usize::MAX))
            .cloned()
            .collect())
    }

    async fn likes_count(&self, key: &SyncKey) -> anyhow::Result<u64> {
        Ok(lock(&self.stored)
            .likes
            .get(key)
            .map_or(0, |likes| likes.len() as u64))
    }

    async fn activity(&self, since: Timestamp) -> anyhow::Result<Vec<PersonSync>> {
        let mut people: BTreeMap<UserId, PersonSync> = BTreeMap::new();
        for run in lock(&self.stored)
            .runs
            .iter()
            .filter(|run| run.finished_at >= since)
        {
            let person = people.entry(run.key.user).or_insert(PersonSync {
                user: run.key.user,
                runs: 0,
                added: 0,
                removed: 0,
                rate_limit_waits: 0,
                failures: 0,
            });
            person.runs += 1;
            person.added += u64::from(run.added);
            person.removed += u64::from(run.removed);
            person.rate_limit_waits += u64::from(run.rate_limit_waits);
            if run.outcome != Outcome::Finished {
                person.failures += 1;
            }
        }
        Ok(people.into_values().collect())
    }

    async fn likes_of(&self, user: UserId) -> anyhow::Result<Vec<(String, Liked)>> {
        Ok(lock(&self.stored)
            .likes
            .iter()
            .filter(|(key, _)| key.user == user)
            .flat_map(|(key, likes)| {
                likes
                    .iter()
                    .map(|(liked, _)| (key.service.clone(), liked.clone()))
            })
            .collect())
    }

    async fn preferences(&self, user: UserId) -> anyhow::Result<SyncPreferences> {
        Ok(lock(&self.stored)
            .preferences
            .get(&user)
            .copied()
            .unwrap_or_default())
    }

    async fn set_preferences(
        &self,
        user: UserId,
        preferences: SyncPreferences,
    ) -> anyhow::Result<()> {
        lock(&self.stored).preferences.insert(user, preferences);
        Ok(())
    }
}

#[derive(Debug, Default)]
struct Service {
    /// Each key's likes, newest first.
    likes: HashMap<SyncKey, Vec<Liked>>,
    /// Answers to give before the real ones.
    scripted: VecDeque<PageFailure>,
    requests: u64,
    liked_so_far: i64,
}

/// A music service's likes in memory, in pages of a fixed size; answers can be scripted (a 429,
/// a lost connection). Cloning shares it.
#[derive(Debug, Clone)]
pub struct FakeLikes {
    page_size: usize,
    service: Arc<Mutex<Service>>,
}

impl FakeLikes {
    /// A service answering `page_size` likes a page.
    pub fn with_pages(page_size: usize) -> Self {
        Self {
            page_size: page_size.max(1),
            service: Arc::new(Mutex::new(Service::default())),
        }
    }

    /// `key` likes a new track now (it comes first); its address.
    pub fn like(&self, key: &SyncKey) -> String {
        let mut service = lock(&self.service);
        service.liked_so_far += 1;
        let n = service.liked_so_far;
        let uri = format!("{}:track:{n:06}", key.service);
        let liked_at = chrono::DateTime::from_timestamp(1_700_000_000 + n, 0);
        service.likes.entry(key.clone()).or_default().insert(
            0,
            Liked {
                uri: uri.clone(),
                title: format!("Song {n}"),
                artists: vec!["Artist".to_owned()],
                album: None,
                duration_ms: 200_000,
                liked_at,
                link: None,
                download_url: None,
            },
        );
        uri
    }

    /// `key` likes `count` new tracks.
    pub fn like_many(&self, key: &SyncKey, count: usize) {
        for _ in 0..count {
            self.like(key);
        }
    }

    /// `key` takes back the like of `uri`.
    pub fn unlike(&self, key: &SyncKey, uri: &str) {
        if let Some(likes) = lock(&self.service).likes.get_mut(key) {
            likes.retain(|liked| liked.uri != uri);
        }
    }

    /// The next page asked for answers `failure` instead.
    pub fn fail_next(&self, failure: PageFailure) {
        lock(&self.service).scripted.push_back(failure);
    }

    /// Pages asked for so far.
    pub fn requests(&self) -> u64 {
        lock(&self.service).requests
    }
}

#[async_trait]
impl LikesSource for FakeLikes {
    async fn page(&self, key: &SyncKey, cursor: Option<&str>) -> Result<LikesPage, PageFailure> {
        let mut service = lock(&self.service);
        service.requests += 1;
        if let Some(failure) = service.scripted.pop_front() {
            return Err(failure);
        }
        let start: usize = cursor.and_then(|cursor| cursor.parse().ok()).unwrap_or(0);
        let likes = service.likes.get(key).cloned().unwrap_or_default();
        let tracks: Vec<Liked> = likes
            .iter()
            .skip(start)
            .take(self.page_size)
            .cloned()
            .collect();
        let end = start + tracks.len();
        Ok(LikesPage {
            tracks,
            next: (end < likes.len()).then(|| end.to_string()),
        })
    }
}

/// What the library was told, per person. Cloning shares it.
#[derive(Debug, Default, Clone)]
pub struct InMemoryLikesLibrary {
    kept: Arc<Mutex<HashMap<UserId, Vec<String>>>>,
}

impl InMemoryLikesLibrary {
    /// How many of `key`'s likes the library holds.
    pub fn count(&self, key: &SyncKey) -> usize {
        lock(&self.kept).get(&key.user).map_or(0, Vec::len)
    }

    /// Whether the library holds `uri` for `user`.
    pub fn holds(&self, user: UserId, uri: &str) -> bool {
        lock(&self.kept)
            .get(&user)
            .is_some_and(|uris| uris.iter().any(|kept| kept == uri))
    }
}

#[async_trait]
impl LikesLibrary for InMemoryLikesLibrary {
    async fn arrived(&self, user: UserId, likes: &[Liked]) -> anyhow::Result<()> {
        let mut kept = lock(&self.kept);
        let uris = kept.entry(user).or_default();
        for liked in likes {
            if !uris.contains(&liked.uri) {
                uris.push(liked.uri.clone());
            }
        }
        Ok(())
    }

    async fn left(&self, user: UserId, gone: &[String]) -> anyhow::Result<()> {
        if let Some(uris) = lock(&self.kept).get_mut(&user) {
            uris.retain(|uri| !gone.contains(uri));
        }
        Ok(())
    }
}

use crate::downloads::{
    Chunk, Download, DownloadEnd, DownloadQueue, DownloadState, DriveFile, DriveFiles,
    FetchFailure, FileSource, Recorded, StorageRoom,
};

#[derive(Debug, Clone)]
struct Queued {
    download: Download,
    state: DownloadState,
    failure: Option<String>,
    due: Timestamp,
    lease: Option<(String, Timestamp)>,
    file_name: String,
}

/// Downloads in memory. Cloning shares them.
#[derive(Debug, Default, Clone)]
pub struct InMemoryDownloads {
    queued: Arc<Mutex<Vec<Queued>>>,
}

#[async_trait]
impl DownloadQueue for InMemoryDownloads {
    async fn want(
        &self,
        key: &SyncKey,
        likes: &[(Liked, String)],
        at: Timestamp,
    ) -> anyhow::Result<u64> {
        let mut queued = lock(&self.queued);
        let mut added = 0;
        for (liked, stem) in likes {
            let Some(url) = &liked.download_url else {
                continue;
            };
            if queued
                .iter()
                .any(|entry| entry.download.key == *key && entry.download.uri == liked.uri)
            {
                continue;
            }
            queued.push(Queued {
                download: Download {
                    key: key.clone(),
                    uri: liked.uri.clone(),
                    url: url.clone(),
                    stem: stem.clone(),
                    bytes: 0,
                    size: None,
                },
                state: DownloadState::Pending,
                failure: None,
                due: at,
                lease: None,
                file_name: stem.clone(),
            });
            added += 1;
        }
        Ok(added)
    }

    async fn claim(
        &self,
        now: Timestamp,
        holder: &str,
        lease: TimeDelta,
        limit: u32,
    ) -> anyhow::Result<Vec<Download>> {
        let mut queued = lock(&self.queued);
        let mut claimed = Vec::new();
        for entry in queued.iter_mut() {
            if claimed.len() >= usize::try_from(limit).unwrap_or(usize::MAX) {
                break;
            }
            let free = entry.lease.as_ref().is_none_or(|(_, until)| *until <= now);
            if entry.state == DownloadState::Pending && entry.due <= now && free {
                entry.lease = Some((holder.to_owned(), now + lease));
                claimed.push(entry.download.clone());
            }
        }
        Ok(claimed)
    }

    async fn progress(
        &self,
        download: &Download,
        holder: &str,
        lease_until: Timestamp,
        limit: Option<u64>,
    ) -> anyhow::Result<Recorded> {
        let mut queued = lock(&self.queued);
        // What the person's other downloads hold (this store knows no uploads).
        let others: u64 = queued
            .iter()
            .filter(|entry| {
                entry.download.key.user == download.key.user && entry.download.uri != download.uri
            })
            .map(|entry| match entry.state {
                DownloadState::Pending => entry.download.held(),
                _ => entry.download.bytes,
            })
            .sum();
        let Some(entry) = queued
            .iter_mut()
            .find(|entry| entry.download.key == download.key && entry.download.uri == download.uri)
        else {
            return Ok(Recorded::Lost);
        };
        if entry.lease.as_ref().is_none_or(|(held, _)| held != holder) {
            return Ok(Recorded::Lost);
        }
        if limit.is_some_and(|limit| others.saturating_add(download.held()) > limit) {
            entry.download.bytes = 0;
            entry.download.size = None;
            return Ok(Recorded::OverQuota);
        }
        entry.download.bytes = download.bytes;
        entry.download.size = download.size;
        entry.lease = Some((holder.to_owned(), lease_until));
        Ok(Recorded::Counted)
    }

    async fn finish(
        &self,
        download: &Download,
        holder: &str,
        end: &DownloadEnd,
        _at: Timestamp,
    ) -> anyhow::Result<()> {
        let mut queued = lock(&self.queued);
        let Some(entry) = queued.iter_mut().find(|entry| {
            entry.download.key == download.key
                && entry.download.uri == download.uri
                && entry.lease.as_ref().is_some_and(|(held, _)| held == holder)
        }) else {
            return Ok(());
        };
        entry.lease = None;
        entry.download.bytes = download.bytes;
        entry.download.size = download.size;
        match end {
            DownloadEnd::Done { file_name } => {
                entry.state = DownloadState::Done;
                entry.file_name = file_name.clone();
                entry.failure = None;
            }
            DownloadEnd::Failed(reason) => {
                entry.state = DownloadState::Failed;
                entry.failure = Some(reason.clone());
                entry.download.bytes = 0;
            }
            DownloadEnd::NoRoom => {
                entry.state = DownloadState::NoRoom;
                entry.download.bytes = 0;
            }
            DownloadEnd::RetryAt(at, reason) => {
                entry.due = *at;
                entry.failure = Some(reason.clone());
            }
        }
        Ok(())
    }

    async fn drop_uris(&self, key: &SyncKey, uris: &[String]) -> anyhow::Result<Vec<DriveFile>> {
        let mut queued = lock(&self.queued);
        let (gone, kept): (Vec<Queued>, Vec<Queued>) = queued
            .drain(..)
            .partition(|entry| entry.download.key == *key && uris.contains(&entry.download.uri));
        *queued = kept;
        Ok(gone.into_iter().map(file_of).collect())
    }

    async fn retry_no_room(&self, user: UserId, at: Timestamp) -> anyhow::Result<u64> {
        let mut again = 0;
        for entry in lock(&self.queued).iter_mut() {
            if entry.download.key.user == user && entry.state == DownloadState::NoRoom {
                entry.state = DownloadState::Pending;
                entry.due = at;
                again += 1;
            }
        }
        Ok(again)
    }

    async fn files_of(&self, user: UserId) -> anyhow::Result<Vec<DriveFile>> {
        Ok(lock(&self.queued)
            .iter()
            .filter(|entry| entry.download.key.user == user)
            .cloned()
            .map(file_of)
            .collect())
    }
}

fn file_of(entry: Queued) -> DriveFile {
    DriveFile {
        service: entry.download.key.service,
        uri: entry.download.uri,
        file_name: entry.file_name,
        bytes: entry.download.bytes,
        size: entry.download.size,
        state: entry.state,
        failure: entry.failure,
    }
}

/// A service's downloadable files, with failures on demand and a count of requests.
#[derive(Debug, Default, Clone)]
pub struct FakeFiles {
    files: Arc<Mutex<HashMap<String, Vec<u8>>>>,
    failures: Arc<Mutex<VecDeque<(u64, FetchFailure)>>>,
    requests: Arc<Mutex<u32>>,
    says_size: Arc<Mutex<bool>>,
}

impl FakeFiles {
    /// The file at `url` holds `bytes`.
    pub fn put(&self, url: &str, bytes: Vec<u8>) {
        lock(&self.files).insert(url.to_owned(), bytes);
    }

    /// The next request for a piece starting at `from` fails so.
    pub fn fail_at(&self, from: u64, failure: FetchFailure) {
        lock(&self.failures).push_back((from, failure));
    }

    /// Whether answers say the whole file's size (as a `Content-Range` does).
    pub fn say_size(&self, says: bool) {
        *lock(&self.says_size) = says;
    }

    /// Requests made so far.
    pub fn requests(&self) -> u32 {
        *lock(&self.requests)
    }
}

#[async_trait]
impl FileSource for FakeFiles {
    async fn chunk(
        &self,
        _key: &SyncKey,
        url: &str,
        from: u64,
        most: u64,
    ) -> Result<Chunk, FetchFailure> {
        *lock(&self.requests) += 1;
        {
            let mut failures = lock(&self.failures);
            if let Some(index) = failures.iter().position(|(at, _)| *at == from) {
                let (_, failure) = failures
                    .remove(index)
                    .unwrap_or((0, FetchFailure::Gone(String::new())));
                return Err(failure);
            }
        }
        let files = lock(&self.files);
        let file = files
            .get(url)
            .ok_or_else(|| FetchFailure::Gone("not downloadable".to_owned()))?;
        let start = usize::try_from(from).unwrap_or(usize::MAX).min(file.len());
        let end = start
            .saturating_add(usize::try_from(most).unwrap_or(usize::MAX))
            .min(file.len());
        Ok(Chunk {
            bytes: file[start..end].to_vec(),
            total: (*lock(&self.says_size)).then_some(file.len() as u64),
        })
    }
}

/// Each person's files by name, and their bytes.
type Files = BTreeMap<(UserId, String), Vec<u8>>;

/// Drive folders in memory: each person's files by name. Cloning shares them.
#[derive(Debug, Default, Clone)]
pub struct InMemoryDrive {
    files: Arc<Mutex<Files>>,
}

impl InMemoryDrive {
    /// `user`'s file `name`, if it is there.
    pub fn file(&self, user: UserId, name: &str) -> Option<Vec<u8>> {
        lock(&self.files).get(&(user, name.to_owned())).cloned()
    }

    /// The names of `user`'s files.
    pub fn names(&self, user: UserId) -> Vec<String> {
        lock(&self.files)
            .keys()
            .filter(|(owner, _)| *owner == user)
            .map(|(_, name)| name.clone())
            .collect()
    }
}

#[async_trait]
impl DriveFiles for InMemoryDrive {
    async fn write(
        &self,
        user: UserId,
        part: &str,
        offset: u64,
        bytes: &[u8],
    ) -> anyhow::Result<()> {
        let mut files = lock(&self.files);
        let file = files.entry((user, part.to_owned())).or_default();
        file.truncate(usize::try_from(offset)?);
        file.resize(usize::try_from(offset)?, 0);
        file.extend_from_slice(bytes);
        Ok(())
    }

    async fn complete(&self, user: UserId, part: &str, stem: &str) -> anyhow::Result<String> {
        let mut files = lock(&self.files);
        let bytes = files
            .remove(&(user, part.to_owned()))
            .ok_or_else(|| anyhow::anyhow!("no part file {part}"))?;
        let name = format!("{stem}.bin");
        files.insert((user, name.clone()), bytes);
        Ok(name)
    }

    async fn remove(&self, user: UserId, name: &str) -> anyhow::Result<()> {
        lock(&self.files).remove(&(user, name.to_owned()));
        Ok(())
    }
}

/// A storage quota of a fixed number of bytes for everyone, counting what the drive holds.
#[derive(Debug, Clone)]
pub struct DriveRoom {
    /// The quota (`None`: no limit).
    pub quota: Option<u64>,
    /// The drive whose bytes are counted.
    pub drive: InMemoryDrive,
}

#[async_trait]
impl StorageRoom for DriveRoom {
    async fn room_left(&self, user: UserId) -> anyhow::Result<Option<u64>> {
        let used: u64 = lock(&self.drive.files)
            .iter()
            .filter(|((owner, _), _)| *owner == user)
            .map(|(_, bytes)| bytes.len() as u64)
            .sum();
        Ok(self.quota.map(|quota| quota.saturating_sub(used)))
    }

    async fn allowed(&self, _user: UserId) -> anyhow::Result<Option<u64>> {
        Ok(self.quota)
    }
}
