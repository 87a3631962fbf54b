//! Rooms speak music: tracks by name and artwork in queues and events, searching the host's
//! catalogue, share links, and joining without a body.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::rooms::{
    connected_host, create_room, join_as_guest, queue, subscribe, until, vote,
};
use crate::support::{problem, spawn_app_with_sim};

#[tokio::test]
async fn a_guest_finds_a_song_in_the_hosts_catalogue_pastes_its_link_and_everyone_sees_its_name() {
    let t = spawn_app_with_sim().await;
    let host = connected_host(&t, "host").await;
    let code = create_room(&t.app, &host, json!({"like_threshold": 2})).await["room"]["code"]
        .as_str()
        .unwrap()
        .to_owned();
    let (_, guest) = join_as_guest(&t.app, &code, "Zoe").await;
    let mut host_socket = subscribe(&t.app, &code, &host, None, 0).await.unwrap();

    let search = |query: &str| {
        let path = format!("/api/v1/rooms/{code}/search?q={query}");
        let app = &t.app;
        let guest = guest.clone();
        async move { app.get(&path, Some(&guest)).await }
    };
    let found = search("a").await;
    assert_eq!(found.status(), StatusCode::OK);
    let found: Value = found.json().await.unwrap();
    let tracks = found["tracks"].as_array().unwrap();
    assert!(!tracks.is_empty() && tracks.len() <= 10, "{found}");
    let first = &tracks[0];
    assert!(
        first["title"]
            .as_str()
            .is_some_and(|title| !title.is_empty())
    );
    assert!(first["artists"][0].as_str().is_some());
    assert!(
        first["artwork_url"]
            .as_str()
            .is_some_and(|url| url.starts_with("data:image/svg+xml")),
        "the simulator's covers work offline: {first}"
    );
    let problem_doc = problem(search("%20").await, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(problem_doc["code"], "invalid_query");

    // A Spotify share link is a track like its URI.
    let uri = first["uri"].as_str().unwrap();
    let id = uri.trim_start_matches("spotify:track:");
    let link = format!("https://open.spotify.com/intl-fr/track/{id}?si=0123abcd");
    let voted = vote(&t.app, &code, &guest, &link, true).await;
    assert_eq!(voted.status(), StatusCode::OK);
    let listed = queue(&t.app, &code, &host).await;
    assert_eq!(listed["tracks"][0]["track_uri"], uri);
    assert_eq!(listed["tracks"][0]["track"]["title"], first["title"]);
    let snapshot: Value = t
        .app
        .get(&format!("/api/v1/rooms/{code}"), Some(&guest))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(snapshot["queue"][0]["track"]["title"], first["title"]);
    let mut seen = Vec::new();
    until(&mut host_socket, "vote_tallied", &mut seen).await;
    assert_eq!(seen.last().unwrap()["track"]["title"], first["title"]);

    // A track pasted by link and never searched is described by the host's Spotify.
    let sim = t.sim_player("ada").await;
    let liked = sim["liked"][3].as_str().unwrap().to_owned();
    let voted = vote(&t.app, &code, &host, &liked, true).await;
    assert_eq!(voted.status(), StatusCode::OK);
    let listed = queue(&t.app, &code, &host).await;
    let entry = listed["tracks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|entry| entry["track_uri"] == liked)
        .cloned()
        .unwrap();
    assert!(entry["track"]["title"].as_str().is_some(), "{entry}");
}

#[tokio::test]
async fn a_signed_in_person_joins_with_no_body_at_all() {
    let t = spawn_app_with_sim().await;
    let host = connected_host(&t, "host").await;
    let code = create_room(&t.app, &host, json!({})).await["room"]["code"]
        .as_str()
        .unwrap()
        .to_owned();
    let ada = t.app.signed_up("ada").await;
    let joined = t
        .app
        .client
        .post(t.app.url(&format!("/api/v1/rooms/{code}/join")))
        .bearer_auth(&ada)
        .send()
        .await
        .unwrap();
    assert_eq!(
        joined.status(),
        StatusCode::OK,
        "{}",
        joined.text().await.unwrap_or_default()
    );
    // Without a session, the display name is still needed.
    let anonymous = t
        .app
        .send(
            Method::POST,
            &format!("/api/v1/rooms/{code}/join"),
            None,
            None,
        )
        .await;
    assert_eq!(
        problem(anonymous, StatusCode::UNPROCESSABLE_ENTITY).await["code"],
        "invalid_display_name"
    );
}

#[tokio::test]
async fn a_person_sees_their_rooms_and_searches_their_own_catalogue_for_the_player() {
    let t = spawn_app_with_sim().await;
    let host = connected_host(&t, "host").await;
    let code = create_room(&t.app, &host, json!({"name": "Birthday"})).await["room"]["code"]
        .as_str()
        .unwrap()
        .to_owned();
    let mine: Value = t
        .app
        .get("/api/v1/me/rooms", Some(&host))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(mine["rooms"][0]["code"], code);
    assert_eq!(mine["rooms"][0]["name"], "Birthday");
    assert_eq!(mine["rooms"][0]["is_host"], true);
    let stranger = t.app.signed_up("stranger").await;
    let theirs: Value = t
        .app
        .get("/api/v1/me/rooms", Some(&stranger))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(theirs["rooms"], json!([]), "nobody else's rooms");

    let found = t.app.get("/api/v1/player/search?q=a", Some(&host)).await;
    assert_eq!(found.status(), StatusCode::OK);
    let found: Value = found.json().await.unwrap();
    assert!(
        found["tracks"][0]["artwork_url"].as_str().is_some(),
        "{found}"
    );
    let playing: Value = t
        .app
        .get("/api/v1/player", Some(&host))
        .await
        .json()
        .await
        .unwrap();
    if let Some(item) = playing.get("item") {
        assert!(item["artwork_url"].as_str().is_some(), "{playing}");
    }
}
