//! A party nobody can stuff: the attack a review replayed (one client joining as 30 guests to
//! force a track to ready, hosts opening rooms without end, rooms flooded with guests) now fails,
//! with the server's default limits.

use futures_util::future::join_all;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::rooms::{create_room, queue, vote};
use crate::support::{TestApp, problem, spawn_app_with};

const TRACK: &str = "spotify:track:4uLU6hMCjMI75M1A2tKUQC";

/// The server as an operator runs it: the default tier table (the tests' usual file lifts every
/// limit), with only the pages' own budget lifted.
async fn app_with_default_limits() -> (tempfile::TempDir, TestApp) {
    let directory = tempfile::tempdir().unwrap();
    let path = directory.path().join("tiers.toml");
    std::fs::write(&path, "[pages]\nrequests = \"unlimited\"\n").unwrap();
    let app = spawn_app_with(&[("SOIREE_TIERS_FILE", path.to_str().unwrap())]).await;
    (directory, app)
}

async fn join(app: &TestApp, code: &str, name: &str) -> reqwest::Response {
    app.send(
        Method::POST,
        &format!("/api/v1/rooms/{code}/join"),
        None,
        Some(json!({"display_name": name})),
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_client_joining_as_thirty_guests_cannot_force_a_track_to_ready() {
    let (_directory, app) = app_with_default_limits().await;
    let host = app.signed_up("host").await;
    let room = create_room(&app, &host, json!({"like_threshold": 12})).await;
    let code = room["room"]["code"].as_str().unwrap().to_owned();

    // Thirty guests at once from one client, all calling themselves the host's name.
    let joined = join_all((0..30).map(|_| join(&app, &code, "Host"))).await;
    let mut tokens = Vec::new();
    let mut names = Vec::new();
    for response in joined {
        assert_eq!(response.status(), StatusCode::OK);
        let body: Value = response.json().await.unwrap();
        tokens.push(body["guest_token"].as_str().unwrap().to_owned());
        names.push(body["display_name"].as_str().unwrap().to_owned());
    }
    names.sort();
    names.dedup();
    assert_eq!(names.len(), 30, "every nickname distinct: {names:?}");
    assert!(
        !names.contains(&"Host".to_owned()),
        "nobody takes the host's name"
    );

    // Every one of them likes the same track, at once.
    let votes = join_all(
        tokens
            .iter()
            .map(|token| vote(&app, &code, token, TRACK, true)),
    )
    .await;
    let mut counted = 0;
    for response in votes {
        match response.status() {
            StatusCode::OK | StatusCode::CREATED => counted += 1,
            StatusCode::TOO_MANY_REQUESTS => {
                let body = problem(response, StatusCode::TOO_MANY_REQUESTS).await;
                assert_eq!(body["code"], "rate_limited");
            }
            other => panic!("unexpected {other}"),
        }
    }
    assert_eq!(
        counted, 10,
        "guests from one client share one guest's ten votes per two minutes"
    );
    let queue = queue(&app, &code, &host).await;
    assert_eq!(queue["tracks"][0]["likes"], 10);
    assert_eq!(queue["tracks"][0]["state"], "candidate", "{queue}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_free_host_opens_three_rooms_at_once_however_many_they_ask_for() {
    let (_directory, app) = app_with_default_limits().await;
    let host = app.signed_up("host").await;
    let asked = join_all(
        (0..12).map(|_| app.send(Method::POST, "/api/v1/rooms", Some(&host), Some(json!({})))),
    )
    .await;
    let mut codes = Vec::new();
    for response in asked {
        if response.status() == StatusCode::CREATED {
            let body: Value = response.json().await.unwrap();
            codes.push(body["room"]["code"].as_str().unwrap().to_owned());
        } else {
            let body = problem(response, StatusCode::FORBIDDEN).await;
            assert_eq!(body["code"], "quota_exceeded");
            let detail = body["detail"].as_str().unwrap();
            assert!(
                detail.contains("tier (free) allows 3 open rooms")
                    && detail.contains("close a room")
                    && detail.contains("higher tier"),
                "{detail}"
            );
        }
    }
    assert_eq!(codes.len(), 3);
    // Closing one makes a place.
    let closed = app
        .send(
            Method::POST,
            &format!("/api/v1/rooms/{}/close", codes[0]),
            Some(&host),
            None,
        )
        .await;
    assert!(closed.status().is_success());
    create_room(&app, &host, json!({})).await;
}

#[tokio::test]
async fn a_host_caps_guests_and_can_lift_the_cap() {
    let (_directory, app) = app_with_default_limits().await;
    let host = app.signed_up("host").await;
    let room = create_room(&app, &host, json!({"max_guests": 2})).await;
    assert_eq!(room["room"]["max_guests"], 2);
    let code = room["room"]["code"].as_str().unwrap().to_owned();
    for name in ["Ada", "Bob"] {
        assert_eq!(join(&app, &code, name).await.status(), StatusCode::OK);
    }
    let refused = problem(join(&app, &code, "Cy").await, StatusCode::CONFLICT).await;
    assert_eq!(refused["code"], "no_guest_places");
    assert!(refused["detail"].as_str().unwrap().contains("sign in"));
    // Someone with an account still gets in.
    let member = app.signed_up("member").await;
    let joined = app
        .send(
            Method::POST,
            &format!("/api/v1/rooms/{code}/join"),
            Some(&member),
            None,
        )
        .await;
    assert_eq!(joined.status(), StatusCode::OK);
    // The host lifts the cap.
    let lifted = app
        .send(
            Method::PATCH,
            &format!("/api/v1/rooms/{code}"),
            Some(&host),
            Some(json!({"max_guests": null})),
        )
        .await;
    assert_eq!(lifted.status(), StatusCode::OK);
    assert_eq!(join(&app, &code, "Cy").await.status(), StatusCode::OK);
    let invalid = app
        .send(
            Method::POST,
            "/api/v1/rooms",
            Some(&host),
            Some(json!({"max_guests": 0})),
        )
        .await;
    assert_eq!(
        problem(invalid, StatusCode::UNPROCESSABLE_ENTITY).await["code"],
        "invalid_guest_cap"
    );
}
