//! Benchmark: one person's 10 000 likes synced into SQLite (or the PostgreSQL database named by
//! `SOIREE_BENCH_DATABASE_URL`), through the sync's real storage and the library's, from an
//! in-memory service answering 50 likes a page (Spotify's page); then an unchanged run. Prints
//! the time of each run, the requests made, and the process's peak memory.
//!
//! `cargo run --release -p soiree-storage --example sync_likes [LIKES]` (docs/benchmarks.md).

// A benchmark stops at the first surprise.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use std::sync::Arc;
use std::time::Instant;

use async_trait::async_trait;
use soiree_kernel::{SystemClock, UserId};
use soiree_library::{LibraryService, ProviderTrack, TrackTags, memory::InMemoryFolder};
use soiree_sync::memory::FakeLikes;
use soiree_sync::{Liked, LikesLibrary, SyncConfig, SyncKey, SyncService};

/// Likes into the library, as the server does.
#[derive(Debug)]
struct IntoLibrary(Arc<LibraryService>);

#[async_trait]
impl LikesLibrary for IntoLibrary {
    async fn arrived(&self, user: UserId, likes: &[Liked]) -> anyhow::Result<()> {
        let tracks = likes
            .iter()
            .map(|liked| ProviderTrack {
                uri: liked.uri.clone(),
                tags: TrackTags {
                    title: liked.title.clone(),
                    artists: liked.artists.clone(),
                    duration_ms: Some(liked.duration_ms),
                    ..TrackTags::default()
                },
            })
            .collect();
        self.0.keep_provider_tracks(user, tracks).await
    }

    async fn left(&self, user: UserId, uris: &[String]) -> anyhow::Result<()> {
        self.0.forget_provider_uris(user, uris).await.map(|_| ())
    }
}

/// An account with a Spotify connection (the sync enrols connected people).
async fn connected_account(database: &soiree_storage::Database) -> UserId {
    use secrecy::SecretString;
    use soiree_connections::ConnectionRepository as _;
    use soiree_users::UserRepository as _;
    let id = UserId::generate();
    database
        .users()
        .insert_user(&soiree_users::StoredUser {
            user: soiree_users::User {
                id,
                username: soiree_users::Username::parse("bencher").unwrap(),
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
    let sealer = soiree_storage::Sealer::new(
        soiree_storage::SealingKey::generate("bench").unwrap(),
        vec![],
    );
    database
        .connections(Arc::new(sealer))
        .save_connection(
            id,
            soiree_connections::Provider::Spotify,
            &soiree_connections::TokenSet {
                access_token: SecretString::from("access"),
                refresh_token: None,
                expires_at: chrono::Utc::now() + chrono::Duration::hours(1),
                scope: None,
            },
            &soiree_connections::ProviderAccount {
                id: "bencher".into(),
                display_name: None,
            },
        )
        .await
        .unwrap();
    id
}

fn peak_memory_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let likes_wanted: usize = std::env::args()
        .nth(1)
        .and_then(|count| count.parse().ok())
        .unwrap_or(10_000);
    let directory = tempfile::tempdir().unwrap();
    let url = std::env::var("SOIREE_BENCH_DATABASE_URL")
        .unwrap_or_else(|_| format!("sqlite://{}/bench.db?mode=rwc", directory.path().display()));
    let database = soiree_storage::Database::connect(&url).await.unwrap();
    database.migrate().await.unwrap();
    let user = connected_account(&database).await;

    let key = SyncKey::new(user, "spotify");
    let likes = FakeLikes::with_pages(50);
    likes.like_many(&key, likes_wanted);
    let library = Arc::new(LibraryService::new(
        Arc::new(InMemoryFolder::default()),
        Arc::new(database.library()),
        Arc::new(database.listening()),
        Arc::new(SystemClock),
    ));
    let sync = SyncService::new(
        Arc::new(likes.clone()),
        Arc::new(database.sync()),
        Arc::new(IntoLibrary(Arc::clone(&library))),
        Arc::new(SystemClock),
        SyncConfig::default(),
        "bench",
    );
    println!(
        "backend: {:?}, likes: {likes_wanted}, baseline peak memory: {} MiB",
        database.backend(),
        peak_memory_kib() / 1024
    );

    sync.request_now(user, false).await.unwrap();
    let started = Instant::now();
    sync.run_due().await.unwrap();
    let first = started.elapsed();
    let status = &sync.status(user).await.unwrap()[0];
    let run = &status.runs[0];
    println!(
        "first sync (full read): {:.2} s, {} pages, {} requests, {} likes kept, {} library tracks",
        first.as_secs_f64(),
        run.pages,
        run.requests,
        status.likes,
        library.provider_tracks(user).await.unwrap().len(),
    );

    let before = likes.requests();
    sync.request_now(user, false).await.unwrap();
    let started = Instant::now();
    sync.run_due().await.unwrap();
    println!(
        "unchanged person: {:.1} ms, {} request(s)",
        started.elapsed().as_secs_f64() * 1000.0,
        likes.requests() - before
    );
    println!("peak memory: {} MiB", peak_memory_kib() / 1024);
    database.close().await.unwrap();
}
