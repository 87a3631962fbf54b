//! The sync's rules over in-memory ports and a clock the tests move.

use std::sync::Arc;
use std::time::Duration;

use chrono::TimeDelta;
use soiree_kernel::{ManualClock, UserId};

use super::*;
use crate::memory::{FakeLikes, InMemoryLikesLibrary, InMemorySync};
use crate::model::SyncKey;

struct Harness {
    likes: FakeLikes,
    store: InMemorySync,
    library: InMemoryLikesLibrary,
    clock: ManualClock,
    sync: SyncService,
    ada: SyncKey,
}

/// Ada, connected and enrolled (due within the interval), over a service of 50 likes a page.
fn harness() -> Harness {
    let clock =
        ManualClock::starting_at(chrono::DateTime::from_timestamp(1_800_000_000, 0).unwrap());
    let likes = FakeLikes::with_pages(50);
    let store = InMemorySync::default();
    let library = InMemoryLikesLibrary::default();
    let ada = SyncKey::new(UserId::generate(), "spotify");
    store.connect(&ada);
    let sync = service(&likes, &store, &library, &clock, "process-a");
    futures_lite_block(store.enrol_connected(clock.now(), TimeDelta::minutes(30))).unwrap();
    Harness {
        likes,
        store,
        library,
        clock,
        sync,
        ada,
    }
}

fn service(
    likes: &FakeLikes,
    store: &InMemorySync,
    library: &InMemoryLikesLibrary,
    clock: &ManualClock,
    holder: &str,
) -> SyncService {
    SyncService::new(
        Arc::new(likes.clone()),
        Arc::new(store.clone()),
        Arc::new(library.clone()),
        Arc::new(clock.clone()),
        SyncConfig::default(),
        holder,
    )
}

/// Enrolling in memory never waits.
fn futures_lite_block<F: std::future::Future>(future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    let waker = std::task::Waker::noop();
    match future
        .as_mut()
        .poll(&mut std::task::Context::from_waker(waker))
    {
        std::task::Poll::Ready(output) => output,
        std::task::Poll::Pending => unreachable!("the in-memory store never waits"),
    }
}

impl Harness {
    /// Moves the clock one interval on and runs a pass.
    async fn next_turn(&self) -> usize {
        self.clock.advance(TimeDelta::minutes(30));
        self.sync.run_due().await.unwrap()
    }

    async fn last_run(&self) -> RunResult {
        self.sync.status(self.ada.user).await.unwrap()[0].runs[0].clone()
    }
}

#[tokio::test]
async fn the_first_run_reads_every_page_and_an_unchanged_person_then_costs_one_request() {
    let h = harness();
    h.likes.like_many(&h.ada, 120);
    // Enrolled somewhere in the interval: not due at once, due within 30 minutes.
    assert_eq!(h.sync.run_due().await.unwrap(), 0);
    assert_eq!(h.next_turn().await, 1);
    let first = h.last_run().await;
    assert_eq!(
        (first.mode, first.pages, first.requests, first.added),
        (SyncMode::Full, 3, 3, 120)
    );
    assert_eq!(h.library.count(&h.ada), 120);

    // Nothing new: one request, nothing added.
    let before = h.likes.requests();
    assert_eq!(h.next_turn().await, 1);
    let second = h.last_run().await;
    assert_eq!(
        (second.mode, second.requests, second.added),
        (SyncMode::Incremental, 1, 0)
    );
    assert_eq!(h.likes.requests(), before + 1);
}

#[tokio::test]
async fn a_new_like_arrives_with_one_request_and_an_unlike_leaves_at_the_full_read() {
    let h = harness();
    h.likes.like_many(&h.ada, 60);
    h.next_turn().await;
    let old = h.likes.like(&h.ada);
    h.likes.like_many(&h.ada, 2);
    h.next_turn().await;
    let run = h.last_run().await;
    assert_eq!(
        (run.requests, run.added),
        (1, 3),
        "three new likes, one page"
    );
    assert!(h.library.holds(h.ada.user, &old));

    // An unlike is not seen by incremental runs...
    h.likes.unlike(&h.ada, &old);
    h.next_turn().await;
    assert!(h.library.holds(h.ada.user, &old));
    // ...but by the full read its owner asks for.
    assert_eq!(h.sync.request_now(h.ada.user, true).await.unwrap(), 1);
    h.sync.run_due().await.unwrap();
    let full = h.last_run().await;
    assert_eq!(
        (full.mode, full.removed, full.added),
        (SyncMode::Full, 1, 0)
    );
    assert!(!h.library.holds(h.ada.user, &old));
    assert_eq!(h.sync.status(h.ada.user).await.unwrap()[0].likes, 62);
}

#[tokio::test]
async fn a_full_read_comes_by_itself_once_a_week() {
    let h = harness();
    h.likes.like_many(&h.ada, 5);
    h.next_turn().await;
    let gone = h.likes.like(&h.ada);
    h.next_turn().await;
    h.likes.unlike(&h.ada, &gone);
    h.clock.advance(TimeDelta::days(7));
    h.sync.run_due().await.unwrap();
    assert_eq!(h.last_run().await.mode, SyncMode::Full);
    assert!(!h.library.holds(h.ada.user, &gone));
}

#[tokio::test]
async fn a_rate_limit_pauses_the_run_where_it_stopped_and_it_resumes_after_the_wait() {
    let h = harness();
    h.likes.like_many(&h.ada, 200);
    h.next_turn().await;
    // New likes across three pages; the service limits the second page for ten minutes.
    h.likes.like_many(&h.ada, 120);
    h.clock.advance(TimeDelta::minutes(30));
    let before = h.likes.requests();
    h.likes.fail_next(PageFailure::RateLimited {
        retry_after: Duration::from_secs(600),
    });
    let paused = h.sync.run_due().await.unwrap();
    assert_eq!(paused, 1, "taken up, paused, and the worker let go");
    assert_eq!(h.likes.requests(), before + 1);
    let status = &h.sync.status(h.ada.user).await.unwrap()[0];
    let run = status.state.run.as_ref().expect("a paused run");
    assert_eq!(run.rate_limit_waits, 1);
    let until = run.waiting_until.expect("waiting for the rate limit");
    assert_eq!(until, h.clock.now() + TimeDelta::minutes(10));
    assert!(
        h.store.holder(&h.ada).is_none(),
        "the lease is given up while it waits"
    );

    // Not before the wait is over.
    h.clock.advance(TimeDelta::minutes(9));
    assert_eq!(h.sync.run_due().await.unwrap(), 0);
    h.clock.advance(TimeDelta::minutes(1));
    assert_eq!(h.sync.run_due().await.unwrap(), 1);
    let run = h.last_run().await;
    assert_eq!(run.added, 120);
    assert_eq!(run.rate_limit_waits, 1);
    assert_eq!(h.library.count(&h.ada), 320);
}

#[tokio::test]
async fn a_run_paused_part_way_carries_on_from_its_page_not_from_the_start() {
    let h = harness();
    h.likes.like_many(&h.ada, 150);
    h.clock.advance(TimeDelta::minutes(30));
    // The full first read: page one, then 429 on page two.
    let likes = h.likes.clone();
    // Script the failure for the second request only: the first answers normally.
    struct SecondFails(FakeLikes);
    impl std::fmt::Debug for SecondFails {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("SecondFails")
        }
    }
    #[async_trait::async_trait]
    impl LikesSource for SecondFails {
        async fn page(
            &self,
            key: &SyncKey,
            cursor: Option<&str>,
        ) -> Result<crate::model::LikesPage, PageFailure> {
            if cursor.is_some() && self.0.requests() == 1 {
                self.0.fail_next(PageFailure::RateLimited {
                    retry_after: Duration::from_secs(60),
                });
            }
            self.0.page(key, cursor).await
        }
    }
    let limited = SyncService::new(
        Arc::new(SecondFails(likes.clone())),
        Arc::new(h.store.clone()),
        Arc::new(h.library.clone()),
        Arc::new(h.clock.clone()),
        SyncConfig::default(),
        "process-a",
    );
    limited.run_due().await.unwrap();
    assert_eq!(h.library.count(&h.ada), 50, "the first page is kept");
    let run = limited.status(h.ada.user).await.unwrap()[0]
        .state
        .run
        .clone()
        .unwrap();
    assert_eq!((run.pages, run.cursor.as_deref()), (1, Some("50")));
    h.clock.advance(TimeDelta::minutes(1));
    limited.run_due().await.unwrap();
    let done = limited.status(h.ada.user).await.unwrap()[0].runs[0].clone();
    // Pages 2 and 3 asked once more each after the pause, page 1 never again.
    assert_eq!((done.pages, done.requests, done.added), (3, 4, 150));
    assert_eq!(likes.requests(), 4);
}

#[tokio::test]
async fn a_connection_that_needs_reconnecting_stops_the_sync_and_says_so_until_asked_again() {
    let h = harness();
    h.likes.like_many(&h.ada, 3);
    h.likes.fail_next(PageFailure::NeedsReconnect(
        "the refresh token was revoked".into(),
    ));
    h.next_turn().await;
    let status = &h.sync.status(h.ada.user).await.unwrap()[0];
    assert_eq!(
        status.state.stopped.as_deref(),
        Some("the refresh token was revoked")
    );
    assert_eq!(status.runs[0].outcome.as_str(), "stopped");
    // Stopped: no more runs, no requests.
    let before = h.likes.requests();
    h.next_turn().await;
    h.next_turn().await;
    assert_eq!(h.likes.requests(), before);
    // Reconnected, the person asks for a run: it goes again.
    h.sync.request_now(h.ada.user, false).await.unwrap();
    h.sync.run_due().await.unwrap();
    assert_eq!(h.library.count(&h.ada), 3);
    assert!(
        h.sync.status(h.ada.user).await.unwrap()[0]
            .state
            .stopped
            .is_none()
    );
}

#[tokio::test]
async fn a_held_run_is_not_taken_by_another_process_until_its_lease_expires() {
    let h = harness();
    h.clock.advance(TimeDelta::minutes(30));
    let now = h.clock.now();
    let lease = TimeDelta::minutes(2);
    let a = h
        .store
        .claim_due(now, "process-a", lease, 10)
        .await
        .unwrap();
    assert_eq!(a.len(), 1);
    let b = h
        .store
        .claim_due(now, "process-b", lease, 10)
        .await
        .unwrap();
    assert!(b.is_empty(), "held by process a");
    // Process a died: after its lease, b takes the run over.
    let later = now + lease;
    let b = h
        .store
        .claim_due(later, "process-b", lease, 10)
        .await
        .unwrap();
    assert_eq!(b.len(), 1);
    assert!(
        !h.store
            .save(&a[0], "process-a", later + lease)
            .await
            .unwrap(),
        "a lost it"
    );
}

/// A service that notes how many reads are under way at once.
#[derive(Debug)]
struct Overlapping {
    inner: FakeLikes,
    now: std::sync::atomic::AtomicUsize,
    most: std::sync::atomic::AtomicUsize,
}

#[async_trait::async_trait]
impl LikesSource for Overlapping {
    async fn page(
        &self,
        key: &SyncKey,
        cursor: Option<&str>,
    ) -> Result<crate::model::LikesPage, PageFailure> {
        use std::sync::atomic::Ordering::SeqCst;
        let now = self.now.fetch_add(1, SeqCst) + 1;
        self.most.fetch_max(now, SeqCst);
        for _ in 0..3 {
            tokio::task::yield_now().await;
        }
        let page = self.inner.page(key, cursor).await;
        self.now.fetch_sub(1, SeqCst);
        page
    }
}

#[tokio::test]
async fn a_pass_syncs_a_few_people_at_once_and_each_once() {
    let clock =
        ManualClock::starting_at(chrono::DateTime::from_timestamp(1_800_000_000, 0).unwrap());
    let likes = FakeLikes::with_pages(10);
    let store = InMemorySync::default();
    let library = InMemoryLikesLibrary::default();
    let people: Vec<SyncKey> = (0..6)
        .map(|_| SyncKey::new(UserId::generate(), "spotify"))
        .collect();
    for key in &people {
        store.connect(key);
        likes.like_many(key, 25);
    }
    let watched = Arc::new(Overlapping {
        inner: likes.clone(),
        now: std::sync::atomic::AtomicUsize::new(0),
        most: std::sync::atomic::AtomicUsize::new(0),
    });
    let sync = SyncService::new(
        watched.clone(),
        Arc::new(store.clone()),
        Arc::new(library.clone()),
        Arc::new(clock.clone()),
        SyncConfig::default(),
        "process-a",
    );
    sync.run_due().await.unwrap();
    clock.advance(TimeDelta::minutes(30));
    assert_eq!(sync.run_due().await.unwrap(), 6);
    let most = watched.most.load(std::sync::atomic::Ordering::SeqCst);
    assert!((2..=4).contains(&most), "{most} reads at once");
    for key in &people {
        assert_eq!(library.count(key), 25);
    }
    assert_eq!(likes.requests(), 6 * 3);
}

#[tokio::test]
async fn a_person_who_chose_a_longer_interval_is_synced_that_often_and_not_more_often_than_the_server()
 {
    let h = harness();
    h.likes.like_many(&h.ada, 5);
    h.next_turn().await;
    assert!(matches!(
        h.sync
            .set_preferences(
                h.ada.user,
                SyncPreferences {
                    every_minutes: Some(10),
                    ..SyncPreferences::default()
                }
            )
            .await,
        Err(PreferencesError::TooOften { least: 30 })
    ));
    assert!(matches!(
        h.sync
            .set_preferences(
                h.ada.user,
                SyncPreferences {
                    every_minutes: Some(60 * 24 * 8),
                    ..SyncPreferences::default()
                }
            )
            .await,
        Err(PreferencesError::TooRare)
    ));
    h.sync
        .set_preferences(
            h.ada.user,
            SyncPreferences {
                every_minutes: Some(120),
                ..SyncPreferences::default()
            },
        )
        .await
        .unwrap();
    // The run already scheduled comes; after it, every two hours.
    assert_eq!(h.next_turn().await, 1);
    let mut runs = 0;
    for _ in 0..8 {
        runs += h.next_turn().await;
    }
    assert_eq!(runs, 2, "four hours: two runs, not eight");
}

#[tokio::test]
async fn full_reads_follow_the_persons_choice_and_only_when_asked_means_never_by_themselves() {
    let h = harness();
    h.likes.like_many(&h.ada, 5);
    h.next_turn().await;
    let when_asked = SyncPreferences {
        full_read: FullRead::WhenAsked,
        ..SyncPreferences::default()
    };
    h.sync
        .set_preferences(h.ada.user, when_asked)
        .await
        .unwrap();
    assert_eq!(h.sync.preferences(h.ada.user).await.unwrap(), when_asked);
    h.clock.advance(TimeDelta::days(8));
    h.sync.run_due().await.unwrap();
    assert_eq!(h.last_run().await.mode, SyncMode::Incremental);
    h.sync.request_now(h.ada.user, true).await.unwrap();
    h.sync.run_due().await.unwrap();
    assert_eq!(h.last_run().await.mode, SyncMode::Full, "asked");

    h.sync
        .set_preferences(
            h.ada.user,
            SyncPreferences {
                full_read: FullRead::EveryDays(1),
                ..SyncPreferences::default()
            },
        )
        .await
        .unwrap();
    h.clock.advance(TimeDelta::days(1));
    h.sync.run_due().await.unwrap();
    assert_eq!(h.last_run().await.mode, SyncMode::Full, "a day later");
    assert!(matches!(
        h.sync
            .set_preferences(
                h.ada.user,
                SyncPreferences {
                    full_read: FullRead::EveryDays(0),
                    ..SyncPreferences::default()
                }
            )
            .await,
        Err(PreferencesError::TooRare)
    ));
}
