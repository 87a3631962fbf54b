//! The liked-track sync on SQLite and PostgreSQL: two instances never run one person's sync at
//! once, every person is synced once per turn, and likes are kept and dropped page by page.

// A failing test panics; that is how it reports.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use chrono::TimeDelta;
use secrecy::SecretString;
use soiree_connections::{ConnectionRepository as _, Provider, ProviderAccount, TokenSet};
use soiree_kernel::{Clock as _, ManualClock, UserId};
use soiree_storage::{Sealer, SealingKey};
use soiree_sync::memory::{FakeLikes, InMemoryLikesLibrary};
use soiree_sync::{
    LikesPage, LikesSource, PageFailure, SyncConfig, SyncKey, SyncRepository as _, SyncService,
};
use support::test_databases;

/// A service that notes how many reads of one person's likes overlap, and lets other tasks
/// run in the middle of each read (so that overlapping runs would show).
#[derive(Debug)]
struct Watched {
    inner: FakeLikes,
    reading: Mutex<HashMap<SyncKey, u32>>,
    overlaps: Mutex<u32>,
}

#[async_trait]
impl LikesSource for Watched {
    async fn page(&self, key: &SyncKey, cursor: Option<&str>) -> Result<LikesPage, PageFailure> {
        {
            let mut reading = self.reading.lock().unwrap();
            let now = reading.entry(key.clone()).or_default();
            *now += 1;
            if *now > 1 {
                *self.overlaps.lock().unwrap() += 1;
            }
        }
        for _ in 0..5 {
            tokio::task::yield_now().await;
        }
        let page = self.inner.page(key, cursor).await;
        *self.reading.lock().unwrap().get_mut(key).unwrap() -= 1;
        page
    }
}

async fn connect(database: &soiree_storage::Database, name: &str) -> UserId {
    let user = support::account(database, name).await;
    let store = database.connections(Arc::new(Sealer::new(
        SealingKey::generate("k1").unwrap(),
        vec![],
    )));
    store
        .save_connection(
            user,
            Provider::Spotify,
            &TokenSet {
                access_token: SecretString::from("access"),
                refresh_token: Some(SecretString::from("refresh")),
                expires_at: chrono::DateTime::from_timestamp(1_900_000_000, 0).unwrap(),
                scope: None,
            },
            &ProviderAccount {
                id: format!("spotify-{name}"),
                display_name: None,
            },
        )
        .await
        .unwrap();
    user
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_instances_never_sync_one_person_at_once_and_each_person_once_per_turn() {
    for test in test_databases().await {
        let backend = test.backend;
        let second = soiree_storage::Database::connect(test.database_url())
            .await
            .unwrap();
        let mut people = Vec::new();
        for n in 0..12 {
            people.push(connect(&test.database, &format!("person{n:02}")).await);
        }
        let likes = FakeLikes::with_pages(20);
        for user in &people {
            likes.like_many(&SyncKey::new(*user, "spotify"), 45);
        }
        let watched = Arc::new(Watched {
            inner: likes.clone(),
            reading: Mutex::new(HashMap::new()),
            overlaps: Mutex::new(0),
        });
        let clock = ManualClock::starting_at(chrono::Utc::now());
        let library = InMemoryLikesLibrary::default();
        let services: Vec<Arc<SyncService>> = [(&test.database, "a"), (&second, "b")]
            .into_iter()
            .map(|(database, holder)| {
                Arc::new(SyncService::new(
                    watched.clone(),
                    Arc::new(database.sync()),
                    Arc::new(library.clone()),
                    Arc::new(clock.clone()),
                    SyncConfig {
                        per_pass: 3,
                        ..SyncConfig::default()
                    },
                    format!("process-{holder}"),
                ))
            })
            .collect();
        // Enrolled at once by both: one state per person.
        let (a, b) = tokio::join!(services[0].run_due(), services[1].run_due());
        assert_eq!(
            a.unwrap() + b.unwrap(),
            0,
            "{backend}: spread over the interval"
        );
        clock.advance(TimeDelta::minutes(30));
        // Both instances take turns at the due people, eight passes at once, round after round
        // (a pass that loses every row it found to another takes none).
        let mut taken = 0;
        for _ in 0..12 {
            let passes: Vec<_> = (0..8)
                .map(|n| {
                    let sync = Arc::clone(&services[n % 2]);
                    tokio::spawn(async move { sync.run_due().await.unwrap() })
                })
                .collect();
            for pass in passes {
                taken += pass.await.unwrap();
            }
            if taken >= 12 {
                break;
            }
        }
        assert_eq!(taken, 12, "{backend}: each person once");
        assert_eq!(
            *watched.overlaps.lock().unwrap(),
            0,
            "{backend}: never two reads of one person at once"
        );
        assert_eq!(likes.requests(), 12 * 3, "{backend}: three pages each");
        for user in &people {
            let key = SyncKey::new(*user, "spotify");
            assert_eq!(library.count(&key), 45, "{backend}");
            let status = services[1].status(*user).await.unwrap();
            assert_eq!(status[0].likes, 45, "{backend}");
            assert_eq!(status[0].runs.len(), 1, "{backend}");
            assert!(status[0].state.next_run_at > clock.now(), "{backend}");
        }

        // The operator's figures: one run per person, 45 likes each.
        let activity = test
            .database
            .sync()
            .activity(clock.now() - TimeDelta::hours(1))
            .await
            .unwrap();
        assert_eq!(activity.len(), 12, "{backend}");
        assert!(
            activity
                .iter()
                .all(|person| (person.runs, person.added, person.failures) == (1, 45, 0)),
            "{backend}: {activity:?}"
        );

        // The next turn: an unchanged person costs one request; a new like arrives; a full read
        // asked for drops what was unliked.
        let ada = SyncKey::new(people[0], "spotify");
        let gone = likes.like(&ada);
        likes.like(&ada);
        clock.advance(TimeDelta::minutes(30));
        let before = likes.requests();
        let (a, b) = tokio::join!(services[0].run_due(), services[1].run_due());
        let (mut a, mut b) = (a.unwrap(), b.unwrap());
        while a + b < 12 {
            let (more_a, more_b) = tokio::join!(services[0].run_due(), services[1].run_due());
            a += more_a.unwrap();
            b += more_b.unwrap();
        }
        assert_eq!(
            likes.requests() - before,
            12,
            "{backend}: one request per person"
        );
        assert_eq!(library.count(&ada), 47, "{backend}");
        likes.unlike(&ada, &gone);
        services[0].request_now(ada.user, true).await.unwrap();
        services[1].run_due().await.unwrap();
        let status = services[0].status(ada.user).await.unwrap();
        assert_eq!(status[0].runs[0].removed, 1, "{backend}");
        assert_eq!(status[0].likes, 46, "{backend}");
        assert!(!library.holds(ada.user, &gone), "{backend}");
        assert_eq!(
            test.database.sync().likes_count(&ada).await.unwrap(),
            46,
            "{backend}"
        );
        let _ = second.close().await;
        test.finish().await;
    }
}

/// `count` SoundCloud likes the artists made downloadable, each a file of 3 000 `byte`s that
/// `files` serves.
fn downloadable_likes(
    files: &soiree_sync::memory::FakeFiles,
    count: u32,
    byte: u8,
) -> Vec<soiree_sync::Liked> {
    (0..count)
        .map(|n| {
            let url = format!("https://api.example/tracks/soundcloud:tracks:{n}/download");
            files.put(&url, vec![byte; 3000]);
            soiree_sync::Liked {
                uri: format!("soundcloud:tracks:{n}"),
                title: format!("Song {n}"),
                artists: vec!["Nina".into()],
                album: None,
                duration_ms: 1000,
                liked_at: None,
                link: None,
                download_url: Some(url),
            }
        })
        .collect()
}

/// One download service per instance (`process-a` on the first database, `process-b` on the
/// second), sharing the service's files, the drive and the clock; `room` says what each sees of
/// the quota.
fn download_services(
    instances: [&soiree_storage::Database; 2],
    files: &soiree_sync::memory::FakeFiles,
    drive: &soiree_sync::memory::InMemoryDrive,
    clock: &ManualClock,
    room: impl Fn(&soiree_storage::Database) -> Arc<dyn soiree_sync::downloads::StorageRoom>,
    config: soiree_sync::downloads::DownloadConfig,
) -> Vec<Arc<soiree_sync::downloads::DownloadService>> {
    instances
        .into_iter()
        .zip(["a", "b"])
        .map(|(database, holder)| {
            Arc::new(soiree_sync::downloads::DownloadService::new(
                Arc::new(database.sync()),
                Arc::new(files.clone()),
                Arc::new(drive.clone()),
                room(database),
                Arc::new(clock.clone()),
                config.clone(),
                format!("process-{holder}"),
            ))
        })
        .collect()
}

/// Downloads on both databases: two instances carry twelve downloads on at once, each is fetched
/// once and held by one process at a time, the bytes count against the quota as they are
/// written, and an unlike drops its download.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_instances_download_each_file_once_and_the_bytes_count_in_the_quota() {
    use soiree_library::TrackRepository as _;
    use soiree_sync::downloads::{DownloadConfig, DownloadQueue as _, DownloadState, StorageRoom};
    use soiree_sync::memory::{FakeFiles, InMemoryDrive};

    /// The room the database says is left under a quota of 100 000 bytes.
    #[derive(Debug)]
    struct Left(soiree_storage::SqlLibraryStore);

    #[async_trait]
    impl StorageRoom for Left {
        async fn room_left(&self, user: UserId) -> anyhow::Result<Option<u64>> {
            Ok(Some(
                100_000_u64.saturating_sub(self.0.uploaded_bytes(user).await?),
            ))
        }

        async fn allowed(&self, _user: UserId) -> anyhow::Result<Option<u64>> {
            Ok(Some(100_000))
        }
    }

    for test in test_databases().await {
        let backend = test.backend;
        let second = soiree_storage::Database::connect(test.database_url())
            .await
            .unwrap();
        let ada = SyncKey::new(connect(&test.database, "ada").await, "soundcloud");
        let files = FakeFiles::default();
        // As a `Content-Range` says: each file's size comes with its first piece.
        files.say_size(true);
        let drive = InMemoryDrive::default();
        let clock = ManualClock::starting_at(chrono::Utc::now());
        let likes = downloadable_likes(&files, 12, 7);
        let services = download_services(
            [&test.database, &second],
            &files,
            &drive,
            &clock,
            |database| Arc::new(Left(database.library())),
            DownloadConfig {
                chunk: 1000,
                per_pass: 2,
                ..DownloadConfig::default()
            },
        );
        // Both take the likes in: one download each.
        let (a, b) = tokio::join!(
            services[0].want(&ada, &likes),
            services[1].want(&ada, &likes)
        );
        assert_eq!(a.unwrap() + b.unwrap(), 12, "{backend}");

        let mut taken = 0;
        for _ in 0..20 {
            let passes: Vec<_> = (0..6)
                .map(|n| {
                    let downloads = Arc::clone(&services[n % 2]);
                    tokio::spawn(async move { downloads.run_due().await.unwrap() })
                })
                .collect();
            for pass in passes {
                taken += pass.await.unwrap();
            }
            if taken >= 12 {
                break;
            }
        }
        assert_eq!(taken, 12, "{backend}: each download once");
        assert_eq!(files.requests(), 12 * 3, "{backend}: three pieces each");
        let done = services[0].files(ada.user).await.unwrap();
        assert!(
            done.iter()
                .all(|file| file.state == DownloadState::Done && file.bytes == 3000),
            "{backend}: {done:?}"
        );
        assert_eq!(
            test.database
                .library()
                .uploaded_bytes(ada.user)
                .await
                .unwrap(),
            36_000,
            "{backend}: downloads count against the quota"
        );

        // The quota runs out: the next download does not fit, and leaves nothing behind.
        let big = "https://api.example/tracks/soundcloud:tracks:99/download".to_owned();
        files.put(&big, vec![1; 70_000]);
        let mut too_big = likes[0].clone();
        too_big.uri = "soundcloud:tracks:99".into();
        too_big.download_url = Some(big);
        services[0].want(&ada, &[too_big]).await.unwrap();
        services[1].run_due().await.unwrap();
        let refused = services[0]
            .files(ada.user)
            .await
            .unwrap()
            .into_iter()
            .find(|file| file.uri == "soundcloud:tracks:99")
            .unwrap();
        assert_eq!(
            (refused.state, refused.bytes),
            (DownloadState::NoRoom, 0),
            "{backend}"
        );
        assert_eq!(
            test.database
                .library()
                .uploaded_bytes(ada.user)
                .await
                .unwrap(),
            36_000,
            "{backend}: nothing of it counted"
        );

        // A like kept before its service said it could be downloaded takes the address when a
        // read sees it again.
        use soiree_sync::SyncRepository as _;
        let store = test.database.sync();
        let mut older = likes[0].clone();
        older.uri = "soundcloud:tracks:500".into();
        older.download_url = None;
        store
            .keep_likes(
                &ada,
                soiree_sync::RunId::generate(),
                &[older.clone()],
                clock.now(),
            )
            .await
            .unwrap();
        older.download_url =
            Some("https://api.example/tracks/soundcloud:tracks:500/download".into());
        let again = store
            .keep_likes(
                &ada,
                soiree_sync::RunId::generate(),
                &[older.clone()],
                clock.now(),
            )
            .await
            .unwrap();
        assert!(again.is_empty(), "{backend}: not new");
        let kept = store.likes_of(ada.user).await.unwrap();
        assert_eq!(
            kept.iter()
                .find(|(_, liked)| liked.uri == older.uri)
                .unwrap()
                .1
                .download_url,
            older.download_url,
            "{backend}"
        );

        // Asked again (Sync now), what did not fit is due again.
        assert_eq!(
            services[1].try_again(ada.user).await.unwrap(),
            1,
            "{backend}"
        );
        assert_eq!(
            test.database
                .sync()
                .files_of(ada.user)
                .await
                .unwrap()
                .iter()
                .filter(|file| file.state == DownloadState::Pending)
                .count(),
            1,
            "{backend}"
        );

        // An unlike drops the download and its file.
        services[0]
            .forget(&ada, &["soundcloud:tracks:0".to_owned()])
            .await
            .unwrap();
        assert_eq!(drive.names(ada.user).len(), 11, "{backend}");
        assert_eq!(
            test.database.sync().files_of(ada.user).await.unwrap().len(),
            12,
            "{backend}: eleven files and the one that did not fit"
        );
        let _ = second.close().await;
        test.finish().await;
    }
}

/// What every process sees before any writes: room for everything (as two processes that read
/// the room at the same moment would), and a quota of 5 000 bytes.
#[derive(Debug)]
struct FiveThousand;

#[async_trait]
impl soiree_sync::downloads::StorageRoom for FiveThousand {
    async fn room_left(&self, _user: UserId) -> anyhow::Result<Option<u64>> {
        Ok(None)
    }

    async fn allowed(&self, _user: UserId) -> anyhow::Result<Option<u64>> {
        Ok(Some(5_000))
    }
}

/// Two instances download two files of one person at the same time, each told there is room:
/// the quota is decided when the bytes are recorded, one recording at a time per person, so one
/// file is whole and the other, which would pass the quota, leaves nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_quota_holds_when_two_instances_download_for_one_person_at_once() {
    use soiree_library::TrackRepository as _;
    use soiree_sync::downloads::{DownloadConfig, DownloadState};
    use soiree_sync::memory::{FakeFiles, InMemoryDrive};
    for test in test_databases().await {
        let backend = test.backend;
        let second = soiree_storage::Database::connect(test.database_url())
            .await
            .unwrap();
        let ada = SyncKey::new(connect(&test.database, "ada").await, "soundcloud");
        let files = FakeFiles::default();
        files.say_size(true);
        let drive = InMemoryDrive::default();
        let clock = ManualClock::starting_at(chrono::Utc::now());
        let likes = downloadable_likes(&files, 2, 3);
        let services = download_services(
            [&test.database, &second],
            &files,
            &drive,
            &clock,
            |_| Arc::new(FiveThousand),
            DownloadConfig {
                chunk: 500,
                per_pass: 1,
                ..DownloadConfig::default()
            },
        );
        services[0].want(&ada, &likes).await.unwrap();
        // Both instances at once, round after round (a pass that finds the other's row held
        // takes nothing), until both downloads were taken.
        let mut taken = 0;
        for _ in 0..10 {
            let passes: Vec<_> = services
                .iter()
                .map(|downloads| {
                    let downloads = Arc::clone(downloads);
                    tokio::spawn(async move { downloads.run_due().await.unwrap() })
                })
                .collect();
            for pass in passes {
                taken += pass.await.unwrap();
            }
            if taken >= 2 {
                break;
            }
        }
        assert_eq!(taken, 2, "{backend}: each download once");
        let states: Vec<DownloadState> = services[0]
            .files(ada.user)
            .await
            .unwrap()
            .into_iter()
            .map(|file| file.state)
            .collect();
        assert_eq!(
            states
                .iter()
                .filter(|state| **state == DownloadState::Done)
                .count(),
            1,
            "{backend}: {states:?}"
        );
        assert_eq!(
            states
                .iter()
                .filter(|state| **state == DownloadState::NoRoom)
                .count(),
            1,
            "{backend}: {states:?}"
        );
        assert_eq!(
            test.database
                .library()
                .uploaded_bytes(ada.user)
                .await
                .unwrap(),
            3000,
            "{backend}"
        );
        assert_eq!(
            drive.names(ada.user).len(),
            1,
            "{backend}: no part file left"
        );
        let _ = second.close().await;
        test.finish().await;
    }
}

/// The interleaving the test above meets only now and then, step by step on both databases: two
/// downloads of one person are started, each would fit alone but not both; the first to say its
/// size holds the room for the rest of it, so the second is refused at its first piece (holding
/// nothing from then on) and the first is recorded to its end.
#[tokio::test]
async fn a_download_that_said_its_size_holds_its_room_against_another_started_at_once() {
    use soiree_sync::downloads::{DownloadQueue as _, Recorded};
    for test in test_databases().await {
        let backend = test.backend;
        let store = test.database.sync();
        let ada = SyncKey::new(connect(&test.database, "ada").await, "soundcloud");
        let files = soiree_sync::memory::FakeFiles::default();
        let likes: Vec<_> = downloadable_likes(&files, 2, 1)
            .into_iter()
            .map(|like| {
                let stem = like.uri.clone();
                (like, stem)
            })
            .collect();
        let now = chrono::Utc::now();
        store.want(&ada, &likes, now).await.unwrap();
        let lease = now + TimeDelta::minutes(5);
        let mut claimed = store
            .claim(now, "process-a", TimeDelta::minutes(5), 2)
            .await
            .unwrap();
        assert_eq!(claimed.len(), 2, "{backend}");
        let piece = |download: &mut soiree_sync::downloads::Download| {
            download.bytes += 500;
            download.size = Some(3000);
        };
        let (first, second) = claimed.split_at_mut(1);
        let (first, second) = (&mut first[0], &mut second[0]);
        piece(first);
        assert_eq!(
            store
                .progress(first, "process-a", lease, Some(5000))
                .await
                .unwrap(),
            Recorded::Counted,
            "{backend}: the first piece of the first"
        );
        piece(second);
        assert_eq!(
            store
                .progress(second, "process-a", lease, Some(5000))
                .await
                .unwrap(),
            Recorded::OverQuota,
            "{backend}: 3 000 held and 3 000 more would pass 5 000"
        );
        for _ in 0..5 {
            piece(first);
            assert_eq!(
                store
                    .progress(first, "process-a", lease, Some(5000))
                    .await
                    .unwrap(),
                Recorded::Counted,
                "{backend}: the refused one holds nothing"
            );
        }
        test.finish().await;
    }
}
