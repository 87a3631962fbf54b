//! Insights, recommendations and settings through the real binary and the simulator: two people
//! whose likes overlap, their insights, a recommendation with its reason (also in a room), the
//! switch that takes someone out of it, and the sync's settings.

use std::time::Duration;

use reqwest::header::{ACCEPT, COOKIE};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::rooms::{create_room, join_as_guest, vote};
use crate::support::{TestAppWithSim, eventually, spawn_app_with_sim};

/// Signs `name` up, connects Spotify as the simulated `sim_user`, and syncs their likes.
pub(crate) async fn synced(t: &TestAppWithSim, name: &str, sim_user: &str) -> String {
    let token = t.app.signed_up(name).await;
    t.connect(&token, "spotify", sim_user).await;
    let asked = t
        .app
        .send(Method::POST, "/api/v1/library/sync", Some(&token), None)
        .await;
    assert_eq!(asked.status(), StatusCode::ACCEPTED);
    eventually(Duration::from_secs(20), "the first sync to end", || {
        let status = t.app.get("/api/v1/library/sync", Some(&token));
        async move {
            let status: Value = status.await.json().await.unwrap();
            status["services"][0]["runs"]
                .as_array()
                .is_some_and(|runs| !runs.is_empty())
        }
    })
    .await;
    token
}

async fn json_of(t: &TestAppWithSim, path: &str, token: &str) -> (StatusCode, Value) {
    let response = t.app.get(path, Some(token)).await;
    (response.status(), response.json().await.unwrap())
}

async fn patch_settings(t: &TestAppWithSim, token: &str, body: Value) -> (StatusCode, Value) {
    let response = t
        .app
        .send(
            Method::PATCH,
            "/api/v1/me/settings",
            Some(token),
            Some(body),
        )
        .await;
    (response.status(), response.json().await.unwrap())
}

fn uris(list: &Value) -> Vec<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|found| found["track"]["uri"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn people_whose_likes_overlap_get_each_others_songs_with_the_reason_and_can_opt_out() {
    let t = spawn_app_with_sim().await;
    // Bob (the simulated `bob`) also likes two of Ada's songs.
    let ada_likes: Vec<String> = t.sim_player("ada").await["liked"]
        .as_array()
        .unwrap()
        .iter()
        .map(|uri| uri.as_str().unwrap().to_owned())
        .collect();
    let shared = &ada_likes[..2];
    let liked = t
        .sim(
            Method::POST,
            "/users/bob/likes",
            json!({ "tracks": shared }),
        )
        .await;
    assert_eq!(liked.status(), StatusCode::OK);
    let ada = synced(&t, "ada", "ada").await;
    let bob = synced(&t, "bob", "bob").await;
    let bob_likes: Vec<String> = t.sim_player("bob").await["liked"]
        .as_array()
        .unwrap()
        .iter()
        .map(|uri| uri.as_str().unwrap().to_owned())
        .collect();

    // Ada's insights: her 30 likes, counted by artist and track, in the last weeks' history.
    let (status, insights) = json_of(&t, "/api/v1/me/insights", &ada).await;
    assert_eq!(status, StatusCode::OK, "{insights}");
    assert_eq!(insights["totals"]["liked"], 30, "{insights}");
    assert!(!insights["top_artists"].as_array().unwrap().is_empty());
    assert_eq!(insights["top_tracks"].as_array().unwrap().len(), 10);
    assert_eq!(insights["weeks"].as_array().unwrap().len(), 12);
    assert_eq!(insights["sync"][0]["service"], "spotify");
    assert_eq!(insights["sync"][0]["likes"], 30);

    // Ada is recommended Bob's other songs, never her own, each liked by one person (Bob) who
    // also likes a song they share (the two above, and any their seeded likes have in common).
    let (status, found) = json_of(&t, "/api/v1/me/recommendations?limit=50", &ada).await;
    assert_eq!(status, StatusCode::OK, "{found}");
    let recommended = uris(&found["recommendations"]);
    assert!(!recommended.is_empty(), "{found}");
    assert!(
        recommended
            .iter()
            .all(|uri| bob_likes.contains(uri) && !ada_likes.contains(uri))
    );
    let first = &found["recommendations"][0];
    assert_eq!(first["people"], 1, "{first}");
    let because = first["because"]["uri"].as_str().unwrap().to_owned();
    assert!(
        ada_likes.contains(&because) && bob_likes.contains(&because),
        "a song they share: {first}"
    );
    let reason = first["reason"].as_str().unwrap();
    assert!(
        reason.starts_with("liked by 1 person who also likes "),
        "{reason}"
    );
    assert!(!reason.contains("bob"), "nobody is named: {reason}");

    // In Ada's room: what it can play and has not queued. A song she votes for leaves the list.
    let room = create_room(&t.app, &ada, json!({"like_threshold": 5})).await;
    let code = room["room"]["code"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/rooms/{code}/recommendations");
    let (status, in_room) = json_of(&t, &path, &ada).await;
    assert_eq!(status, StatusCode::OK, "{in_room}");
    let offered = uris(&in_room["recommendations"]);
    assert!(!offered.is_empty() && offered.len() <= 5, "{in_room}");
    assert_eq!(
        vote(&t.app, &code, &ada, &offered[0], true).await.status(),
        StatusCode::OK
    );
    let (_, in_room) = json_of(&t, &path, &ada).await;
    assert!(
        !uris(&in_room["recommendations"]).contains(&offered[0]),
        "{in_room}"
    );
    // A guest has no likes to go by.
    let (_, guest) = join_as_guest(&t.app, &code, "Guest").await;
    let refused = t.app.get(&path, Some(&guest)).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let problem: Value = refused.json().await.unwrap();
    assert_eq!(problem["code"], "sign_in_for_recommendations");

    // Bob switches recommendations off: he gets none, and his likes count in nobody's.
    let (status, settings) = patch_settings(&t, &bob, json!({ "recommendations": false })).await;
    assert_eq!(status, StatusCode::OK, "{settings}");
    assert_eq!(settings["recommendations"], false);
    let (status, problem) = json_of(&t, "/api/v1/me/recommendations", &bob).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(problem["code"], "recommendations_off");
    let (_, found) = json_of(&t, "/api/v1/me/recommendations", &ada).await;
    assert_eq!(found["recommendations"], json!([]), "{found}");
    let (_, export) = json_of(&t, "/api/v1/me/export", &bob).await;
    assert_eq!(
        export["settings"]["recommendations"], false,
        "in his export"
    );

    // The insights page draws its charts on the server.
    let page = t
        .app
        .client
        .get(t.app.url("/insights"))
        .header(ACCEPT, "text/html")
        .header(COOKIE, format!("soiree_session={ada}"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert_eq!(
        html.matches(r#"<svg class="chart""#).count(),
        2,
        "weeks and artists"
    );
    assert!(html.contains("Recommended for you"));
}

#[tokio::test]
async fn a_person_chooses_how_often_their_likes_sync_within_what_the_server_allows() {
    let t = spawn_app_with_sim().await;
    let ada = t.app.signed_up("ada").await;
    let (status, settings) = json_of(&t, "/api/v1/me/settings", &ada).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(settings["recommendations"], true, "on by default");
    assert_eq!(settings["sync"]["server_interval"], true);
    assert_eq!(settings["sync"]["full_read"], "default");
    assert_eq!(settings["sync"]["full_read_every_days"], 7);
    let (_, me) = json_of(&t, "/api/v1/me", &ada).await;
    assert!(
        settings["drive"]["path"]
            .as_str()
            .unwrap()
            .ends_with(me["id"].as_str().unwrap()),
        "{settings}"
    );
    let least = settings["sync"]["least_minutes"].as_u64().unwrap();

    let (status, problem) =
        patch_settings(&t, &ada, json!({ "sync_every_minutes": least - 1 })).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(problem["code"], "invalid_sync_interval");
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains(&least.to_string())
    );
    let (status, problem) = patch_settings(&t, &ada, json!({ "full_read_every_days": 91 })).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(problem["code"], "invalid_value");

    let (status, settings) = patch_settings(
        &t,
        &ada,
        json!({ "sync_every_minutes": least * 4, "full_read_every_days": 0 }),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{settings}");
    assert_eq!(settings["sync"]["every_minutes"], least * 4);
    assert_eq!(settings["sync"]["server_interval"], false);
    assert_eq!(settings["sync"]["full_read"], "when_asked");
    assert_eq!(settings["recommendations"], true, "left as it was");

    let (_, settings) = patch_settings(
        &t,
        &ada,
        json!({ "sync_every_minutes": null, "full_read_every_days": null }),
    )
    .await;
    assert_eq!(settings["sync"]["server_interval"], true);
    assert_eq!(settings["sync"]["full_read"], "default");
}
