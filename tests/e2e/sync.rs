//! The liked-track sync through the real binary and the simulator: connect, first sync (every
//! page), a new like costs one request, an unlike leaves at a full read, a rate limit pauses.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::rooms::connected_host;
use crate::support::{TestAppWithSim, eventually, spawn_app_with_sim};

const LIKES_ROUTE: &str = "GET /spotify/api/v1/me/tracks";

/// The token `/metrics` asks for in the downloads' test.
const METRICS_TOKEN: &str = "scrape-0c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f";

async fn sync_status(t: &TestAppWithSim, token: &str) -> Value {
    let response = t.app.get("/api/v1/library/sync", Some(token)).await;
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

async fn sync_now(t: &TestAppWithSim, token: &str, full: bool) -> Value {
    let path = if full {
        "/api/v1/library/sync?full=true"
    } else {
        "/api/v1/library/sync"
    };
    let response = t.app.send(Method::POST, path, Some(token), None).await;
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    response.json().await.unwrap()
}

/// Waits for the `runs`-th run of the Spotify sync to end; its status.
async fn after_run(t: &TestAppWithSim, token: &str, runs: usize) -> Value {
    eventually(Duration::from_secs(20), "a sync run to end", || {
        let status = sync_status(t, token);
        async move {
            status.await["services"][0]["runs"]
                .as_array()
                .map_or(0, Vec::len)
                >= runs
        }
    })
    .await;
    // Runs only accumulate: what was seen is still there.
    sync_status(t, token).await["services"][0].clone()
}

async fn first_drive(t: &TestAppWithSim, token: &str) -> String {
    sync_status(t, token).await["drive"]["path"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn library_total(t: &TestAppWithSim, token: &str) -> u64 {
    let songs: Value = t
        .app
        .get("/api/v1/songs", Some(token))
        .await
        .json()
        .await
        .unwrap();
    songs["total"].as_u64().unwrap()
}

#[tokio::test]
async fn likes_sync_into_the_library_incrementally_and_a_full_read_removes_unlikes() {
    let t = spawn_app_with_sim().await;
    let ada = connected_host(&t, "ada").await;
    let liked = t.sim_player("ada").await["liked"].as_array().unwrap().len();
    assert_eq!(liked, 30);

    // Asked for right after connecting: the first run reads every page.
    let asked = sync_now(&t, &ada, false).await;
    assert_eq!(asked["services"][0]["service"], "spotify", "{asked}");
    let first = after_run(&t, &ada, 1).await;
    let run = &first["runs"][0];
    assert_eq!(run["outcome"], "finished", "{first}");
    assert_eq!(run["mode"], "full", "{first}");
    assert_eq!(run["added"], 30, "{first}");
    assert_eq!(first["likes"], 30);
    assert_eq!(
        library_total(&t, &ada).await,
        30,
        "likes are library tracks"
    );
    let export: Value = t
        .app
        .get("/api/v1/me/export", Some(&ada))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        export["likes"].as_array().unwrap().len(),
        30,
        "in the export"
    );
    assert_eq!(export["likes"][0]["service"], "spotify");
    assert!(
        export["likes"][0]["liked_at"].is_string(),
        "{}",
        export["likes"][0]
    );

    // The drive folder: one JSON line per like, and a playlist of them (the service's links).
    let drive = std::path::PathBuf::from(first_drive(&t, &ada).await);
    let lines = |name: &str| {
        std::fs::read_to_string(drive.join(name))
            .unwrap()
            .lines()
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };
    let liked = lines("liked.jsonl");
    assert_eq!(liked.len(), 30);
    let line: Value = serde_json::from_str(&liked[0]).unwrap();
    assert!(
        line["uri"].as_str().unwrap().starts_with("spotify:track:"),
        "{line}"
    );
    let playlist = lines("liked.m3u8");
    assert_eq!(playlist[0], "#EXTM3U");
    assert_eq!(playlist.len(), 1 + 2 * 30);
    assert!(
        playlist[2].starts_with("https://open.spotify.com/track/"),
        "{}",
        playlist[2]
    );
    let calls = t.sim.simulator.calls(LIKES_ROUTE);

    // A new like: the next run costs one request and adds it.
    let new: Value = t
        .sim(Method::POST, "/users/ada/likes", json!({"count": 1}))
        .await
        .json()
        .await
        .unwrap();
    let new = new["liked"][0].as_str().unwrap().to_owned();
    sync_now(&t, &ada, false).await;
    let second = after_run(&t, &ada, 2).await;
    let run = &second["runs"][0];
    assert_eq!(
        (run["mode"].as_str(), run["added"].as_u64()),
        (Some("incremental"), Some(1)),
        "{second}"
    );
    assert_eq!(run["requests"], 1, "{second}");
    assert_eq!(t.sim.simulator.calls(LIKES_ROUTE), calls + 1);
    let found: Value = t
        .app
        .get("/api/v1/songs", Some(&ada))
        .await
        .json()
        .await
        .unwrap();
    assert!(
        found["songs"]
            .as_array()
            .unwrap()
            .iter()
            .any(|song| song["provider_uri"] == new.as_str()),
        "{found}"
    );

    // Unliked at the service: an incremental run does not notice, a full read does.
    let gone = t
        .sim(
            Method::DELETE,
            &format!("/users/ada/likes/{new}"),
            json!({}),
        )
        .await;
    assert_eq!(gone.status(), StatusCode::NO_CONTENT);
    sync_now(&t, &ada, true).await;
    let third = after_run(&t, &ada, 3).await;
    let run = &third["runs"][0];
    assert_eq!(
        (run["mode"].as_str(), run["removed"].as_u64()),
        (Some("full"), Some(1)),
        "{third}"
    );
    assert_eq!(third["likes"], 30);
    assert_eq!(library_total(&t, &ada).await, 30);
    // The drive was written again without it.
    let after = std::fs::read_to_string(drive.join("liked.jsonl")).unwrap();
    assert_eq!(after.lines().count(), 30);
    assert!(!after.contains(&new));
    let usage = sync_status(&t, &ada).await["drive"]["bytes"]
        .as_u64()
        .unwrap();
    assert!(usage > 1_000, "drive usage shown: {usage}");

    // The operator's activity report counts the runs.
    let analytics = t
        .app
        .command(&["generate-analytics", "--format", "csv", "--period", "1h"]);
    let report = String::from_utf8_lossy(&analytics.stdout).into_owned();
    for figure in [
        "sync.runs,3",
        "sync.likes_added,31",
        "sync.likes_removed,1",
        "sync.failures,0",
        "sync.people,1",
    ] {
        assert!(report.contains(figure), "{figure} in {report}");
    }

    // The account goes: its drive folder goes with it.
    let erased = t
        .app
        .send(Method::DELETE, "/api/v1/me", Some(&ada), None)
        .await;
    assert_eq!(erased.status(), StatusCode::NO_CONTENT);
    assert!(!drive.exists());

    // Nobody else sees any of it.
    let bob = t.app.signed_up("bobby").await;
    assert_eq!(library_total(&t, &bob).await, 0);
    assert_eq!(sync_status(&t, &bob).await["services"], json!([]));
}

#[tokio::test]
async fn a_rate_limit_pauses_the_sync_and_the_page_says_until_when() {
    let t = spawn_app_with_sim().await;
    let ada = connected_host(&t, "ada").await;
    t.sim(
        Method::POST,
        "/faults",
        json!({"route": LIKES_ROUTE, "status": 429, "retry_after": 3600, "count": 1}),
    )
    .await;
    sync_now(&t, &ada, false).await;
    eventually(
        Duration::from_secs(20),
        "the run paused by the rate limit",
        || {
            let read = sync_status(&t, &ada);
            async move { read.await["services"][0]["running"]["waiting_until"].is_string() }
        },
    )
    .await;
    // It waits an hour: still paused now.
    let status = sync_status(&t, &ada).await;
    let service = &status["services"][0];
    let until: chrono::DateTime<chrono::Utc> = service["running"]["waiting_until"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let wait = until - chrono::Utc::now();
    assert!(
        wait > chrono::Duration::minutes(55) && wait <= chrono::Duration::minutes(60),
        "Retry-After honoured: {service}"
    );
    assert_eq!(service["next_run_at"], service["running"]["waiting_until"]);
    // Asking again does not jump the wait.
    let before = t.sim.simulator.calls(LIKES_ROUTE);
    let again = sync_now(&t, &ada, false).await;
    assert_eq!(
        again["services"][0]["running"]["waiting_until"],
        service["running"]["waiting_until"]
    );
    assert_eq!(t.sim.simulator.calls(LIKES_ROUTE), before);
}

/// The `.wav` files in `folder`, and whether any part file was left.
fn drive_files(folder: &std::path::Path) -> (Vec<std::path::PathBuf>, bool) {
    let entries: Vec<std::path::PathBuf> = std::fs::read_dir(folder)
        .map(|read| read.map(|entry| entry.unwrap().path()).collect())
        .unwrap_or_default();
    let parts = entries.iter().any(|path| {
        path.extension()
            .is_some_and(|extension| extension == "part")
    });
    let wavs = entries
        .into_iter()
        .filter(|path| path.extension().is_some_and(|extension| extension == "wav"))
        .collect();
    (wavs, parts)
}

#[tokio::test]
async fn downloadable_soundcloud_likes_become_files_within_the_quota_and_leave_with_the_unlike() {
    // A quota of 100 kB: the simulator's downloadable tracks are WAVs of 16 to 48 kB.
    let directory = tempfile::tempdir().unwrap();
    let tiers = directory.path().join("tiers.toml");
    std::fs::write(&tiers, "[tiers.free]\nstorage = \"100 kB\"\n").unwrap();
    let t = crate::support::spawn_app_with_sim_and(&[
        ("SOIREE_TIERS_FILE", tiers.to_str().unwrap()),
        ("SOIREE_METRICS_TOKEN", METRICS_TOKEN),
    ])
    .await;
    let ada = t.app.signed_up("ada").await;
    t.connect(&ada, "soundcloud", "ada").await;
    sync_now(&t, &ada, false).await;
    eventually(
        Duration::from_secs(30),
        "the likes synced and every download ended",
        || {
            let read = sync_status(&t, &ada);
            async move {
                let status = read.await;
                let downloads = &status["drive"]["downloads"];
                !status["services"][0]["runs"].as_array().unwrap().is_empty()
                    && downloads["done"].as_u64().unwrap_or(0) > 0
                    && downloads["pending"] == 0
            }
        },
    )
    .await;
    let status = sync_status(&t, &ada).await;
    let downloads = &status["drive"]["downloads"];
    assert!(
        downloads["no_room"].as_u64().unwrap() > 0,
        "some did not fit: {downloads}"
    );
    assert!(
        downloads["unfinished"]
            .as_array()
            .unwrap()
            .iter()
            .all(|file| file["state"] == "no_room" && file["bytes"] == 0),
        "{downloads}"
    );

    // Whole WAV files, nothing half written, all counted in the quota and within it.
    let folder =
        std::path::PathBuf::from(status["drive"]["path"].as_str().unwrap()).join("soundcloud");
    let (files, parts) = drive_files(&folder);
    assert!(!parts, "no part file left");
    assert_eq!(files.len() as u64, downloads["done"].as_u64().unwrap());
    let on_disk: u64 = files
        .iter()
        .map(|file| {
            let bytes = std::fs::read(file).unwrap();
            assert_eq!(&bytes[..4], b"RIFF", "{}", file.display());
            bytes.len() as u64
        })
        .sum();
    assert_eq!(downloads["bytes"], on_disk);
    // The playlist plays the downloaded files, and their likes' lines name them.
    let drive = folder.parent().unwrap();
    let playlist = std::fs::read_to_string(drive.join("liked.m3u8")).unwrap();
    let liked = std::fs::read_to_string(drive.join("liked.jsonl")).unwrap();
    for file in &files {
        let name = format!("soundcloud/{}", file.file_name().unwrap().to_str().unwrap());
        assert!(
            playlist.lines().any(|line| line == name),
            "{name} in {playlist}"
        );
        assert!(
            liked.contains(&format!("\"file\":\"{name}\"")),
            "{name} in {liked}"
        );
    }
    assert!(
        playlist
            .lines()
            .any(|line| line.starts_with("https://soundcloud.com/")),
        "the others stay links: {playlist}"
    );
    let uploads: Value = t
        .app
        .get("/api/v1/library/uploads", Some(&ada))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(uploads["used_bytes"], on_disk, "the quota counts downloads");
    assert!(on_disk <= 100_000);
    let export: Value = t
        .app
        .get("/api/v1/me/export", Some(&ada))
        .await
        .json()
        .await
        .unwrap();
    let exported = export["downloads"].as_array().unwrap();
    assert_eq!(
        exported
            .iter()
            .filter(|file| file["state"] == "done")
            .count(),
        files.len(),
        "in the export"
    );
    // The operator sees them in /metrics.
    let metrics = t
        .app
        .get("/metrics", Some(METRICS_TOKEN))
        .await
        .text()
        .await
        .unwrap();
    let done = format!(
        "soiree_drive_downloads_total{{service=\"soundcloud\",outcome=\"done\"}} {}",
        files.len()
    );
    assert!(metrics.contains(&done), "{done} in {metrics}");
    assert!(metrics.contains(&format!(
        "soiree_drive_download_bytes_total{{service=\"soundcloud\"}} {on_disk}"
    )));
    assert!(
        metrics
            .contains("soiree_drive_downloads_total{service=\"soundcloud\",outcome=\"no_room\"}")
    );

    // Unliked at SoundCloud: the full read takes the file away, and its bytes off the quota.
    let first = files[0].file_name().unwrap().to_str().unwrap().to_owned();
    let id = first
        .rsplit_once('[')
        .and_then(|(_, rest)| rest.split_once(']'))
        .map(|(id, _)| id.to_owned())
        .unwrap();
    let gone = t
        .sim(
            Method::DELETE,
            &format!("/users/ada/likes/soundcloud:tracks:{id}"),
            json!({}),
        )
        .await;
    assert_eq!(gone.status(), StatusCode::NO_CONTENT);
    sync_now(&t, &ada, true).await;
    eventually(Duration::from_secs(20), "the unliked file removed", || {
        let file = folder.join(&first);
        async move { !file.exists() }
    })
    .await;
    // Sync now also tries again what did not fit: with the room the unlike made, perhaps one
    // fits now. Once nothing is on its way, the quota counts exactly what the drive holds.
    eventually(Duration::from_secs(20), "the downloads tried again", || {
        let read = sync_status(&t, &ada);
        async move { read.await["drive"]["downloads"]["pending"] == 0 }
    })
    .await;
    let (files, parts) = drive_files(&folder);
    assert!(!parts);
    let on_disk: u64 = files
        .iter()
        .map(|file| std::fs::metadata(file).unwrap().len())
        .sum();
    let uploads: Value = t
        .app
        .get("/api/v1/library/uploads", Some(&ada))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(uploads["used_bytes"], on_disk);
    assert!(on_disk <= 100_000);
}
