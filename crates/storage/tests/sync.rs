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
