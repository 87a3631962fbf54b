//! Rate-limit counters in the database: one budget however many processes spend it.

// A failing test panics; that is how it reports.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;

use soiree_kernel::{ManualClock, UserId};
use soiree_storage::Database;
use soiree_tiers::{
    Admission, AnonymousSurface, RateCounter, RateKey, RateLimits, RatePolicy, Subject, TierTable,
};
use support::test_databases;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn rl_1_a_budget_holds_under_parallel_requests_from_two_instances() {
    for test in test_databases().await {
        let backend = test.backend;
        // Two pools on one database: two server processes.
        let second = Database::connect(test.database_url()).await.unwrap();
        let counters: [Arc<dyn RateCounter>; 2] = [
            Arc::new(test.database.rate_counter()),
            Arc::new(second.rate_counter()),
        ];
        let clock = Arc::new(ManualClock::starting_at(
            chrono::DateTime::from_timestamp(1_800_000_030, 0).unwrap(),
        ));
        let mut table = TierTable::defaults();
        table.set_anonymous(AnonymousSurface::Login, RatePolicy::per_minute(10));
        let instances: Vec<RateLimits> = counters
            .iter()
            .map(|counter| RateLimits::new(table.clone(), Arc::clone(counter), clock.clone()))
            .collect();
        let subject = Subject::Address {
            surface: AnonymousSurface::Login,
            address: IpAddr::V4(Ipv4Addr::new(203, 0, 113, 9)),
        };

        // 40 attempts at once, half through each instance, on a multi-threaded runtime.
        let attempts: Vec<_> = (0..40)
            .map(|attempt| {
                let limits = instances[attempt % 2].clone();
                tokio::spawn(async move { limits.admit(&subject).await.unwrap() })
            })
            .collect();
        let mut allowed = 0;
        let mut refused = 0;
        for attempt in attempts {
            match attempt.await.unwrap() {
                Admission::Allowed { .. } => allowed += 1,
                Admission::Refused { retry_after, .. } => {
                    assert_eq!(retry_after.as_secs(), 30, "{backend}");
                    refused += 1;
                }
                Admission::Unlimited => panic!("{backend}: the login budget is limited"),
            }
        }
        assert_eq!(
            (allowed, refused),
            (10, 30),
            "{backend}: one budget of 10, not two"
        );

        // Another address has its own budget; the next window starts afresh.
        let other = Subject::Address {
            surface: AnonymousSurface::Login,
            address: IpAddr::V4(Ipv4Addr::new(203, 0, 113, 10)),
        };
        assert!(
            matches!(
                instances[1].admit(&other).await.unwrap(),
                Admission::Allowed { remaining: 9, .. }
            ),
            "{backend}"
        );
        clock.advance(chrono::Duration::seconds(30));
        assert!(
            matches!(
                instances[0].admit(&subject).await.unwrap(),
                Admission::Allowed { remaining: 9, .. }
            ),
            "{backend}"
        );

        // Ended windows are cleared.
        clock.advance(chrono::Duration::seconds(3600));
        let key = RateKey::of(&Subject::Pages {
            user: UserId::generate(),
        });
        counters[0]
            .hit(&key, 1_800_003_660, std::time::Duration::from_secs(60))
            .await
            .unwrap();
        let rows = soiree_storage::testing::dump_tables(&test.database, &["rate_counters"])
            .await
            .unwrap();
        assert!(!rows.contains("203.0.113.9"), "{backend}: {rows}");
        assert!(rows.contains(key.as_str()), "{backend}: {rows}");

        second.close().await.unwrap();
        test.finish().await;
    }
}
