//! Downloads over in-memory ports and a clock the tests move.

use std::sync::Arc;
use std::time::Duration;

use chrono::TimeDelta;
use soiree_kernel::{Clock as _, ManualClock, UserId};

use super::*;
use crate::memory::{DriveRoom, FakeFiles, InMemoryDownloads, InMemoryDrive};
use crate::model::{Liked, SyncKey};

struct Harness {
    files: FakeFiles,
    queue: InMemoryDownloads,
    drive: InMemoryDrive,
    clock: ManualClock,
    downloads: DownloadService,
    ada: SyncKey,
}

fn service(h: &Harness, quota: Option<u64>, holder: &str) -> DownloadService {
    DownloadService::new(
        Arc::new(h.queue.clone()),
        Arc::new(h.files.clone()),
        Arc::new(h.drive.clone()),
        Arc::new(DriveRoom {
            quota,
            drive: h.drive.clone(),
        }),
        Arc::new(h.clock.clone()),
        DownloadConfig {
            chunk: 1000,
            ..DownloadConfig::default()
        },
        holder,
    )
}

/// Ada on SoundCloud, pieces of 1000 bytes, a quota of `quota` bytes.
fn harness(quota: Option<u64>) -> Harness {
    let files = FakeFiles::default();
    let queue = InMemoryDownloads::default();
    let drive = InMemoryDrive::default();
    let clock =
        ManualClock::starting_at(chrono::DateTime::from_timestamp(1_800_000_000, 0).unwrap());
    let ada = SyncKey::new(UserId::generate(), "soundcloud");
    let mut h = Harness {
        downloads: DownloadService::new(
            Arc::new(queue.clone()),
            Arc::new(files.clone()),
            Arc::new(drive.clone()),
            Arc::new(DriveRoom {
                quota: None,
                drive: drive.clone(),
            }),
            Arc::new(clock.clone()),
            DownloadConfig::default(),
            "process-a",
        ),
        files,
        queue,
        drive,
        clock,
        ada,
    };
    h.downloads = service(&h, quota, "process-a");
    h
}

fn liked(n: u32, url: Option<&str>) -> Liked {
    Liked {
        uri: format!("soundcloud:tracks:{n}"),
        title: format!("Song {n}"),
        artists: vec!["Nina".to_owned()],
        album: None,
        duration_ms: 1000,
        liked_at: None,
        link: None,
        download_url: url.map(str::to_owned),
    }
}

fn content(length: usize) -> Vec<u8> {
    (0..length).map(|index| (index % 251) as u8).collect()
}

const URL: &str = "https://api.example/tracks/soundcloud:tracks:1/download";

impl Harness {
    async fn one_downloadable(&self, length: usize) {
        self.files.put(URL, content(length));
        let added = self
            .downloads
            .want(&self.ada, &[liked(1, Some(URL)), liked(2, None)])
            .await
            .unwrap();
        assert_eq!(added, 1, "only the downloadable one");
    }

    async fn state(&self) -> DriveFile {
        self.downloads.files(self.ada.user).await.unwrap()[0].clone()
    }
}

#[tokio::test]
async fn a_downloadable_like_becomes_a_whole_file_fetched_piece_by_piece() {
    let h = harness(None);
    h.one_downloadable(2500).await;

    assert_eq!(h.downloads.run_due().await.unwrap(), 1);

    assert_eq!(h.files.requests(), 3, "1000 + 1000 + 500");
    let file = h.state().await;
    assert_eq!(file.state, DownloadState::Done);
    assert_eq!(file.file_name, "soundcloud/Nina - Song 1 [1].bin");
    assert_eq!(file.bytes, 2500);
    assert_eq!(
        h.drive.file(h.ada.user, &file.file_name),
        Some(content(2500))
    );
    assert_eq!(
        h.drive.names(h.ada.user),
        [file.file_name],
        "no part file left"
    );
    assert_eq!(h.downloads.run_due().await.unwrap(), 0, "done is done");
}

#[tokio::test]
async fn a_download_cut_short_resumes_from_the_bytes_it_kept_not_from_the_start() {
    let h = harness(None);
    h.one_downloadable(2500).await;
    h.files.fail_at(
        2000,
        FetchFailure::Unavailable("connection reset".to_owned()),
    );

    h.downloads.run_due().await.unwrap();
    let waiting = h.state().await;
    assert_eq!(
        (waiting.state, waiting.bytes),
        (DownloadState::Pending, 2000)
    );
    assert_eq!(waiting.failure.as_deref(), Some("connection reset"));
    assert_eq!(
        h.drive
            .file(h.ada.user, "soundcloud/Nina - Song 1 [1].part")
            .map(|part| part.len()),
        Some(2000),
        "the part file holds what was recorded"
    );
    // Not before its time.
    assert_eq!(h.downloads.run_due().await.unwrap(), 0);

    h.clock.advance(TimeDelta::minutes(10));
    let before = h.files.requests();
    h.downloads.run_due().await.unwrap();
    assert_eq!(h.files.requests() - before, 1, "only the last 500 bytes");
    let file = h.state().await;
    assert_eq!(file.state, DownloadState::Done);
    assert_eq!(
        h.drive.file(h.ada.user, &file.file_name),
        Some(content(2500))
    );
}

#[tokio::test]
async fn a_file_too_big_for_the_quota_leaves_nothing_behind_whether_or_not_its_size_is_known() {
    for says_size in [true, false] {
        let h = harness(Some(1800));
        h.files.say_size(says_size);
        h.one_downloadable(2500).await;

        h.downloads.run_due().await.unwrap();

        let file = h.state().await;
        assert_eq!(
            (file.state, file.bytes),
            (DownloadState::NoRoom, 0),
            "size said: {says_size}"
        );
        assert!(
            h.drive.names(h.ada.user).is_empty(),
            "size said: {says_size}"
        );
        assert_eq!(h.downloads.run_due().await.unwrap(), 0, "not tried again");
    }
    // Asked again once room was made (Sync now), it comes.
    let mut h = harness(Some(1800));
    h.one_downloadable(2500).await;
    h.downloads.run_due().await.unwrap();
    assert_eq!(h.state().await.state, DownloadState::NoRoom);
    h.downloads = service(&h, Some(5000), "process-a");
    assert_eq!(h.downloads.try_again(h.ada.user).await.unwrap(), 1);
    h.downloads.run_due().await.unwrap();
    assert_eq!(h.state().await.state, DownloadState::Done);
    // One that fits goes through under the same quota.
    let h = harness(Some(1800));
    h.one_downloadable(1500).await;
    h.downloads.run_due().await.unwrap();
    assert_eq!(h.state().await.state, DownloadState::Done);
}

#[tokio::test]
async fn a_file_the_service_refuses_fails_for_good_and_its_part_goes() {
    let h = harness(None);
    h.one_downloadable(2500).await;
    h.files.fail_at(
        1000,
        FetchFailure::Gone("no longer downloadable".to_owned()),
    );
    h.downloads.run_due().await.unwrap();
    let file = h.state().await;
    assert_eq!((file.state, file.bytes), (DownloadState::Failed, 0));
    assert!(h.drive.names(h.ada.user).is_empty());
}

#[tokio::test]
async fn a_rate_limit_holds_the_download_until_the_wait_is_over() {
    let h = harness(None);
    h.one_downloadable(500).await;
    h.files.fail_at(
        0,
        FetchFailure::RateLimited {
            retry_after: Duration::from_secs(120),
        },
    );
    h.downloads.run_due().await.unwrap();
    h.clock.advance(TimeDelta::seconds(119));
    assert_eq!(h.downloads.run_due().await.unwrap(), 0);
    h.clock.advance(TimeDelta::seconds(1));
    assert_eq!(h.downloads.run_due().await.unwrap(), 1);
    assert_eq!(h.state().await.state, DownloadState::Done);
}

#[tokio::test]
async fn an_unlike_removes_the_download_and_its_file() {
    let h = harness(None);
    h.one_downloadable(500).await;
    h.downloads.run_due().await.unwrap();
    assert_eq!(h.drive.names(h.ada.user).len(), 1);
    h.downloads
        .forget(&h.ada, &["soundcloud:tracks:1".to_owned()])
        .await
        .unwrap();
    assert!(h.drive.names(h.ada.user).is_empty());
    assert!(h.downloads.files(h.ada.user).await.unwrap().is_empty());
}

#[tokio::test]
async fn a_download_is_held_by_one_process_at_a_time() {
    let h = harness(None);
    h.one_downloadable(2500).await;
    // Process B claims it first, and dies with it.
    let b = service(&h, None, "process-b");
    use super::ports::DownloadQueue as _;
    let claimed = h
        .queue
        .claim(h.clock.now(), "process-b", TimeDelta::minutes(2), 8)
        .await
        .unwrap();
    assert_eq!(claimed.len(), 1);
    assert_eq!(h.downloads.run_due().await.unwrap(), 0, "held by B");
    h.clock.advance(TimeDelta::minutes(2));
    assert_eq!(h.downloads.run_due().await.unwrap(), 1, "B's lease ran out");
    assert_eq!(b.run_due().await.unwrap(), 0);
    assert_eq!(h.state().await.state, DownloadState::Done);
}

#[test]
fn a_file_name_holds_nothing_a_file_system_refuses() {
    let mut song = liked(42, None);
    song.title = "../../etc/pass:wd?".to_owned();
    song.artists = vec!["A/C\\DC".to_owned()];
    let stem = file_stem("soundcloud", &song);
    assert_eq!(stem, "soundcloud/A_C_DC - .._.._etc_pass_wd_ [42]");
    assert_eq!(stem.matches('/').count(), 1);
    song.title = "x".repeat(500);
    assert!(file_stem("soundcloud", &song).chars().count() < 150);
}

/// A quota whose room was read before another write spent it (as a second process would see).
#[derive(Debug)]
struct StaleRoom;

#[async_trait::async_trait]
impl StorageRoom for StaleRoom {
    async fn room_left(&self, _user: UserId) -> anyhow::Result<Option<u64>> {
        Ok(None)
    }

    async fn allowed(&self, _user: UserId) -> anyhow::Result<Option<u64>> {
        Ok(Some(2500))
    }
}

#[tokio::test]
async fn the_quota_is_decided_when_the_bytes_are_recorded_not_only_when_they_are_asked_for() {
    let mut h = harness(None);
    h.downloads = DownloadService::new(
        Arc::new(h.queue.clone()),
        Arc::new(h.files.clone()),
        Arc::new(h.drive.clone()),
        Arc::new(StaleRoom),
        Arc::new(h.clock.clone()),
        DownloadConfig {
            chunk: 1000,
            ..DownloadConfig::default()
        },
        "process-a",
    );
    h.one_downloadable(3000).await;
    h.downloads.run_due().await.unwrap();
    let file = h.state().await;
    assert_eq!((file.state, file.bytes), (DownloadState::NoRoom, 0));
    assert!(h.drive.names(h.ada.user).is_empty(), "nothing left behind");
}
