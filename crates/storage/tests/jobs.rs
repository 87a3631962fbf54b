//! Scheduled jobs run once per period across processes; housekeeping sweeps what has outlived
//! its use, and only that.

// A failing test panics; that is how it reports.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::sync::Arc;
use std::time::Duration;

use chrono::DateTime;
use soiree_kernel::{Housekeeping as _, JobSchedule, Retention, SystemClock, Tally, UserId};
use soiree_rooms::memory::{FixedAllowance, RecordingSink, StaticDirectory};
use soiree_rooms::{
    LikeThreshold, Member, NewRoom, RoomOptions, RoomRepository as _, RoomsService, Viewer,
};
use soiree_storage::Database;
use soiree_tiers::UsageReports as _;
use support::{account, test_databases};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_due_job_is_claimed_once_however_many_processes_ask() {
    for test in test_databases().await {
        let backend = test.backend;
        let second = Database::connect(test.database_url()).await.unwrap();
        let schedules: [Arc<dyn JobSchedule>; 2] =
            [Arc::new(test.database.jobs()), Arc::new(second.jobs())];
        let now = DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        let day = Duration::from_secs(86_400);
        let claims: Vec<_> = (0..20)
            .map(|attempt| {
                let schedule = Arc::clone(&schedules[attempt % 2]);
                tokio::spawn(async move {
                    schedule
                        .claim("analytics", &format!("p{attempt}"), now, day)
                        .await
                        .unwrap()
                })
            })
            .collect();
        let mut won = 0;
        for claim in claims {
            won += usize::from(claim.await.unwrap());
        }
        assert_eq!(won, 1, "{backend}: one run per period");
        let schedule = &schedules[0];
        let later = now + chrono::Duration::hours(23);
        assert!(!schedule.claim("analytics", "p", later, day).await.unwrap());
        assert!(
            schedule.claim("cleanup", "p", later, day).await.unwrap(),
            "{backend}: another job is its own"
        );
        schedule.finished("analytics", later, "ok").await.unwrap();
        let next_day = now + chrono::Duration::hours(24);
        assert!(
            schedule
                .claim("analytics", "p", next_day, day)
                .await
                .unwrap(),
            "{backend}: due again a period later"
        );
        second.close().await.unwrap();
        test.finish().await;
    }
}

#[tokio::test]
async fn housekeeping_sweeps_closed_rooms_past_retention_and_keeps_the_rest() {
    for test in test_databases().await {
        let backend = test.backend;
        let host = account(&test.database, "host").await;
        let rooms = RoomsService::new(
            Arc::new(test.database.rooms()),
            Arc::new(StaticDirectory::default()),
            Arc::new(FixedAllowance::default()),
            Arc::new(RecordingSink::default()),
            Arc::new(SystemClock),
        );
        let member = Member {
            user_id: host,
            display_name: "Host".into(),
        };
        let new = || NewRoom {
            name: None,
            like_threshold: LikeThreshold::DEFAULT,
            options: RoomOptions::default(),
        };
        let (closed, _) = rooms.create(&member, new()).await.unwrap();
        let (open, _) = rooms.create(&member, new()).await.unwrap();
        rooms.close(&closed.code, Viewer::User(host)).await.unwrap();

        let jobs = test.database.jobs();
        let now = chrono::Utc::now();
        let swept = jobs.sweep(&Retention::default(), now).await.unwrap();
        assert_eq!(swept.closed_rooms, 0, "{backend}: closed today, kept");
        let month_later = now + chrono::Duration::days(31);
        let swept = jobs
            .sweep(&Retention::default(), month_later)
            .await
            .unwrap();
        assert_eq!(swept.closed_rooms, 1, "{backend}");
        let store = test.database.rooms();
        assert!(store.room(closed.id).await.unwrap().is_none());
        assert!(
            store.participants(closed.id).await.unwrap().is_empty(),
            "{backend}: its participants went with it"
        );
        assert!(store.room(open.id).await.unwrap().is_some(), "{backend}");
        test.finish().await;
    }
}

#[tokio::test]
async fn housekeeping_sweeps_security_events_past_a_year() {
    use soiree_users::{SecurityEvent, SecurityEventKind, SecurityEventRepository as _};
    for test in test_databases().await {
        let backend = test.backend;
        let person = account(&test.database, "person").await;
        let events = test.database.users();
        let now = chrono::Utc::now();
        for age in [400, 10] {
            let event = SecurityEvent::new(
                person,
                SecurityEventKind::LoginSucceeded,
                now - chrono::Duration::days(age),
            );
            events.record_event(&event).await.unwrap();
        }
        let swept = test
            .database
            .jobs()
            .sweep(&Retention::default(), now)
            .await
            .unwrap();
        assert_eq!(swept.security_events, 1, "{backend}");
        assert_eq!(
            events.events_of(person, 10).await.unwrap().len(),
            1,
            "{backend}"
        );
        test.finish().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn daily_counts_add_up_under_parallel_adds_and_reach_the_activity_report() {
    for test in test_databases().await {
        let backend = test.backend;
        let second = Database::connect(test.database_url()).await.unwrap();
        let tallies: [Arc<dyn Tally>; 2] =
            [Arc::new(test.database.jobs()), Arc::new(second.jobs())];
        let now = chrono::Utc::now();
        let account = UserId::generate();
        let adds: Vec<_> = (0..30)
            .map(|attempt| {
                let tally = Arc::clone(&tallies[attempt % 2]);
                let subject = if attempt % 3 == 0 {
                    account.to_string()
                } else {
                    String::new()
                };
                let name = if attempt % 3 == 0 {
                    "http_5xx"
                } else {
                    "token_refresh.spotify.ok"
                };
                tokio::spawn(async move { tally.add(name, &subject, now).await.unwrap() })
            })
            .collect();
        for add in adds {
            add.await.unwrap();
        }
        let activity = test
            .database
            .reports()
            .activity(now - chrono::Duration::hours(1))
            .await
            .unwrap();
        assert_eq!(
            activity.counts,
            vec![("token_refresh.spotify.ok".to_owned(), 20)],
            "{backend}"
        );
        assert_eq!(
            activity.errors_by_account,
            vec![(account, 10, 0)],
            "{backend}"
        );
        second.close().await.unwrap();
        test.finish().await;
    }
}
