//! Benchmark: insights and recommendations on a server of many people, in SQLite (or the
//! PostgreSQL database named by `SOIREE_BENCH_DATABASE_URL`): PEOPLE people each liking LIKES
//! songs of a catalogue of 20 000 where a few songs are liked by many (a skewed draw, as real
//! likes are); then one person's recommendations and insights, timed, for a few people.
//!
//! `cargo run --release -p soiree-storage --example recommendations [PEOPLE] [LIKES]`
//! (docs/benchmarks.md).

// A benchmark stops at the first surprise.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use std::sync::Arc;
use std::time::Instant;

use soiree_insights::{InsightsConfig, InsightsService};
use soiree_kernel::{SystemClock, UserId};
use soiree_sync::{Liked, RunId, SyncKey, SyncRepository as _};

const CATALOGUE: u64 = 20_000;

/// A small deterministic generator (SplitMix64): the same server at every run.
struct Draw(u64);

impl Draw {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A song: low numbers far more often than high ones (the square of a uniform draw).
    fn song(&mut self) -> u64 {
        let uniform = (self.next() % 1_000_000) as f64 / 1_000_000.0;
        (uniform * uniform * CATALOGUE as f64) as u64
    }
}

async fn account(database: &soiree_storage::Database, n: usize) -> UserId {
    use soiree_users::UserRepository as _;
    let id = UserId::generate();
    database
        .users()
        .insert_user(&soiree_users::StoredUser {
            user: soiree_users::User {
                id,
                username: soiree_users::Username::parse(&format!("person{n}")).unwrap(),
                email: None,
                profile: soiree_users::Profile::default(),
                tier: soiree_kernel::Tier::Free,
                operator: false,
                created_at: chrono::Utc::now(),
            },
            password_hash: soiree_users::PasswordHash::from_phc("$none".into()),
        })
        .await
        .unwrap();
    id
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let mut args = std::env::args().skip(1);
    let people: usize = args.next().and_then(|n| n.parse().ok()).unwrap_or(1_000);
    let per_person: usize = args.next().and_then(|n| n.parse().ok()).unwrap_or(200);
    let directory = tempfile::tempdir().unwrap();
    let url = std::env::var("SOIREE_BENCH_DATABASE_URL")
        .unwrap_or_else(|_| format!("sqlite://{}/bench.db?mode=rwc", directory.path().display()));
    let database = soiree_storage::Database::connect(&url).await.unwrap();
    database.migrate().await.unwrap();
    let store = database.sync();
    let mut draw = Draw(7);
    let started = Instant::now();
    let mut users = Vec::with_capacity(people);
    for n in 0..people {
        let user = account(&database, n).await;
        let mut songs: Vec<u64> = (0..per_person).map(|_| draw.song()).collect();
        songs.sort_unstable();
        songs.dedup();
        let likes: Vec<Liked> = songs
            .into_iter()
            .map(|song| Liked {
                uri: format!("spotify:track:{song:022}"),
                title: format!("Song {song}"),
                artists: vec![format!("Artist {}", song % 500)],
                album: None,
                duration_ms: 200_000,
                liked_at: None,
                link: None,
                download_url: None,
            })
            .collect();
        store
            .keep_likes(
                &SyncKey::new(user, "spotify"),
                RunId::generate(),
                &likes,
                chrono::Utc::now(),
            )
            .await
            .unwrap();
        users.push(user);
    }
    println!(
        "backend: {:?}, {people} people × {per_person} likes drawn from {CATALOGUE} songs: filled in {:.1} s",
        database.backend(),
        started.elapsed().as_secs_f64()
    );
    let insights = InsightsService::new(
        Arc::new(database.insights()),
        Arc::new(database.insights()),
        Arc::new(database.insights()),
        Arc::new(SystemClock),
        InsightsConfig::default(),
    );
    for user in users.iter().take(5) {
        use soiree_insights::Tastes as _;
        let store = database.insights();
        let started = Instant::now();
        let mine = store.taste_of(*user).await.unwrap();
        let taste = started.elapsed();
        let started = Instant::now();
        let others = store.neighbours(*user, 200).await.unwrap();
        let neighbours = started.elapsed();
        let started = Instant::now();
        soiree_insights::recommend(&mine, &others, 20, &|_| true);
        println!(
            "  taste {:.1} ms, neighbours {:.1} ms ({} people, {} songs), counting {:.1} ms",
            taste.as_secs_f64() * 1000.0,
            neighbours.as_secs_f64() * 1000.0,
            others.len(),
            others.iter().map(|other| other.uris.len()).sum::<usize>(),
            started.elapsed().as_secs_f64() * 1000.0
        );
        let started = Instant::now();
        let found = insights.recommendations(*user, 20).await.unwrap();
        let recommended = started.elapsed();
        let started = Instant::now();
        let summary = insights.insights(*user).await.unwrap();
        println!(
            "recommendations: {:.1} ms ({} found, the first {}); insights: {:.1} ms ({} likes)",
            recommended.as_secs_f64() * 1000.0,
            found.len(),
            found
                .first()
                .map_or_else(String::new, |first| first.reason()),
            started.elapsed().as_secs_f64() * 1000.0,
            summary.totals.liked,
        );
    }
    database.close().await.unwrap();
}
