//! Uploads through the real binary: multipart, streamed to disk, read by content, kept once per
//! content, their owner's alone, within the storage quota even when sent at once, and nothing
//! left behind by a refused one.

use std::path::Path;

use reqwest::{Method, StatusCode, multipart};
use serde_json::Value;
use soiree_media::testing::{Tagged, flac_bytes, wav_of_seconds, write_tagged};

use crate::support::{TestApp, problem, spawn_app_with};

/// A tagged FLAC file's bytes, titled `title`.
pub(crate) fn flac(title: &str) -> Vec<u8> {
    let folder = tempfile::tempdir().unwrap();
    let path = folder.path().join("made.flac");
    write_tagged(
        &path,
        &flac_bytes(),
        &Tagged {
            title,
            artist: "Ada",
            ..Tagged::default()
        },
    )
    .unwrap();
    std::fs::read(path).unwrap()
}

pub(crate) async fn upload(
    app: &TestApp,
    token: &str,
    name: &str,
    bytes: Vec<u8>,
) -> reqwest::Response {
    let part = multipart::Part::bytes(bytes).file_name(name.to_owned());
    app.client
        .post(app.url("/api/v1/library/uploads"))
        .bearer_auth(token)
        .multipart(multipart::Form::new().part("file", part))
        .send()
        .await
        .unwrap()
}

/// Files kept under the data directory's uploads (pending ones included).
pub(crate) fn files_under(root: &Path) -> usize {
    fn walk(dir: &Path) -> usize {
        std::fs::read_dir(dir).map_or(0, |entries| {
            entries
                .flatten()
                .map(|entry| {
                    let path = entry.path();
                    if path.is_dir() { walk(&path) } else { 1 }
                })
                .sum()
        })
    }
    walk(root)
}

#[tokio::test]
async fn uploads_are_read_by_content_kept_once_and_their_owners_alone() {
    let app = spawn_app_with(&[]).await;
    let ada = app.signed_up("ada").await;
    let bob = app.signed_up("bob").await;
    let bytes = flac("Sunrise");
    // A FLAC file named .mp3 is still FLAC.
    let stored = upload(&app, &ada, "whatever.mp3", bytes.clone()).await;
    assert_eq!(stored.status(), StatusCode::CREATED);
    let stored: Value = stored.json().await.unwrap();
    let song = &stored["uploaded"][0]["song"];
    assert_eq!(song["title"], "Sunrise");
    assert_eq!(song["content_type"], "audio/flac");
    assert_eq!(stored["uploaded"][0]["duplicate"], false);
    let streamed = app
        .get(song["stream_url"].as_str().unwrap(), Some(&ada))
        .await;
    assert_eq!(streamed.status(), StatusCode::OK);
    assert_eq!(streamed.bytes().await.unwrap().as_ref(), bytes.as_slice());

    // Ada's alone.
    let found: Value = app
        .get("/api/v1/songs?q=sunrise", Some(&ada))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(found["total"], 1);
    let hidden: Value = app
        .get("/api/v1/songs?q=sunrise", Some(&bob))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(hidden["total"], 0);
    let stream = app
        .get(song["stream_url"].as_str().unwrap(), Some(&bob))
        .await;
    assert_eq!(stream.status(), StatusCode::NOT_FOUND);

    // The same content again: nothing new.
    let again: Value = upload(&app, &ada, "copy.flac", bytes.clone())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(again["uploaded"][0]["duplicate"], true);
    assert_eq!(again["uploaded"][0]["song"]["id"], song["id"]);
    let root = app.data_dir().join("uploads");
    assert_eq!(files_under(&root), 1);

    // Not audio, whatever its name: refused, nothing left.
    let page = upload(&app, &ada, "song.mp3", b"<html>not a song</html>".to_vec()).await;
    let refused = problem(page, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(refused["code"], "not_audio");
    assert_eq!(files_under(&root), 1);

    // Listed with the quota; deleted, its file goes.
    let listed: Value = app
        .get("/api/v1/library/uploads", Some(&ada))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed["uploads"].as_array().unwrap().len(), 1);
    assert_eq!(listed["used_bytes"], bytes.len());
    let tier: Value = app
        .get("/api/v1/me/tier", Some(&ada))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(tier["usage"]["storage_bytes"], bytes.len());
    let path = format!("/api/v1/library/uploads/{}", song["id"].as_str().unwrap());
    let by_bob = app.send(Method::DELETE, &path, Some(&bob), None).await;
    assert_eq!(
        problem(by_bob, StatusCode::NOT_FOUND).await["code"],
        "upload_not_found"
    );
    let deleted = app.send(Method::DELETE, &path, Some(&ada), None).await;
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    assert_eq!(files_under(&root), 0);
    let listed: Value = app
        .get("/api/v1/library/uploads", Some(&ada))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed["used_bytes"], 0);
}

#[tokio::test]
async fn the_storage_quota_holds_for_uploads_sent_at_once_and_a_big_file_is_stopped() {
    let files: Vec<Vec<u8>> = (0..8).map(|n| flac(&format!("Song {n}"))).collect();
    let largest = files.iter().map(Vec::len).max().unwrap();
    // Room for two files, not three.
    let quota = largest * 2 + largest / 2;
    let directory = tempfile::tempdir().unwrap();
    let tiers = directory.path().join("tiers.toml");
    std::fs::write(
        &tiers,
        format!("[tiers.free]\nstorage = \"{quota} B\"\n\n[pages]\nrequests = \"unlimited\"\n"),
    )
    .unwrap();
    let app = spawn_app_with(&[("SOIREE_TIERS_FILE", tiers.to_str().unwrap())]).await;
    let ada = app.signed_up("ada").await;
    let names: Vec<String> = (0..files.len()).map(|n| format!("{n}.flac")).collect();
    let sent = futures_util::future::join_all(
        files
            .iter()
            .zip(&names)
            .map(|(bytes, name)| upload(&app, &ada, name, bytes.clone())),
    )
    .await;
    let mut stored = 0;
    for response in sent {
        match response.status() {
            StatusCode::CREATED => stored += 1,
            StatusCode::FORBIDDEN => {
                assert_eq!(
                    response.json::<Value>().await.unwrap()["code"],
                    "quota_exceeded"
                );
            }
            other => panic!("{other}: {}", response.text().await.unwrap()),
        }
    }
    assert_eq!(stored, 2);
    let listed: Value = app
        .get("/api/v1/library/uploads", Some(&ada))
        .await
        .json()
        .await
        .unwrap();
    assert!(listed["used_bytes"].as_u64().unwrap() <= quota as u64);
    assert_eq!(listed["limit_bytes"], quota);
    assert_eq!(
        files_under(&app.data_dir().join("uploads")),
        2,
        "refused uploads left nothing"
    );

    // A file past the size cap is stopped while it streams (1 MB cap, a 1.6 MB file).
    let capped = spawn_app_with(&[("SOIREE_MAX_UPLOAD_MB", "1")]).await;
    let bob = capped.signed_up("bob").await;
    let big = upload(&capped, &bob, "long.wav", wav_of_seconds(100)).await;
    assert_eq!(
        problem(big, StatusCode::PAYLOAD_TOO_LARGE).await["code"],
        "upload_too_large"
    );
    assert_eq!(files_under(&capped.data_dir().join("uploads")), 0);
    let small = upload(&capped, &bob, "short.flac", flac("Short")).await;
    assert_eq!(small.status(), StatusCode::CREATED);
}
