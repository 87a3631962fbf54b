//! The library through the real binary: the music folder scanned at start and by `soiree scan`,
//! searched, and streamed with ranges.

use std::path::Path;
use std::time::Duration;

use reqwest::{Method, StatusCode, header};
use serde_json::Value;
use soiree_media::testing::{PNG_PIXEL, sample_folder};

use crate::support::{TestApp, eventually, problem, spawn_app_with};

/// A server over the sample music folder, scanned; a person's token.
async fn scanned(music: &Path) -> (TestApp, String) {
    sample_folder(music).unwrap();
    let app = spawn_app_with(&[("SOIREE_MUSIC_DIR", music.to_str().unwrap())]).await;
    let token = app.signed_up("ada").await;
    eventually(Duration::from_secs(20), "the start-up scan", || {
        let listed = songs(&app, &token, "");
        async { listed.await["total"] == 3 }
    })
    .await;
    (app, token)
}

async fn songs(app: &TestApp, token: &str, query: &str) -> Value {
    let response = app.get(&format!("/api/v1/songs{query}"), Some(token)).await;
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

async fn halo(app: &TestApp, token: &str) -> Value {
    songs(app, token, "?q=BEYONCE%20halo").await["songs"][0].clone()
}

#[tokio::test]
async fn the_music_folder_is_scanned_at_start_and_searched_without_accents() {
    let music = tempfile::tempdir().unwrap();
    let (app, token) = scanned(music.path()).await;
    let all = songs(&app, &token, "").await;
    let titles: Vec<&str> = all["songs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|song| song["title"].as_str().unwrap())
        .collect();
    // By artist: Beyoncé, Nobody, Sigur Rós.
    assert_eq!(titles, ["Halo", "Rain", "Hoppípolla"]);
    let found = halo(&app, &token).await;
    assert_eq!(found["artists"], serde_json::json!(["Beyoncé"]));
    assert_eq!(found["content_type"], "audio/flac");
    assert_eq!(found["duration_ms"], 2000);
    assert_eq!(
        songs(&app, &token, "?artist=sigur%20ros").await["songs"][0]["title"],
        "Hoppípolla"
    );
    assert_eq!(
        songs(&app, &token, "?q=nothing%20like%20this").await["total"],
        0
    );
    // The unreadable file is in the log with its reason, and did not stop the scan.
    assert!(app.logs().contains("notes.mp3"), "{}", app.logs());

    // Not signed in: nothing.
    assert_eq!(
        app.get("/api/v1/songs", None).await.status(),
        StatusCode::UNAUTHORIZED
    );
    let unknown = app
        .get(
            "/api/v1/library/tracks/01890a5d-ac96-774b-bcce-b302099a8057",
            Some(&token),
        )
        .await;
    assert_eq!(
        problem(unknown, StatusCode::NOT_FOUND).await["code"],
        "track_not_found"
    );

    // `soiree scan` beside the server: nothing changed, nothing read again; the bad file listed.
    let output = app.command(&["scan"]);
    let printed = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{printed}");
    assert!(
        printed.contains(
            "4 audio files: 0 added, 0 read again, 3 unchanged, 0 removed, 1 not readable"
        ),
        "{printed}"
    );
    assert!(
        printed.contains("field/notes.mp3: not a readable"),
        "{printed}"
    );
}

#[tokio::test]
async fn a_track_streams_with_ranges_validators_and_head() {
    let music = tempfile::tempdir().unwrap();
    let (app, token) = scanned(music.path()).await;
    let song = halo(&app, &token).await;
    let bytes = std::fs::read(music.path().join("Beyoncé/I Am/01 Halo.flac")).unwrap();
    let url = app.url(song["stream_url"].as_str().unwrap());
    let get = |range: Option<&str>, extra: Option<(&str, String)>| {
        let mut request = app.client.get(&url).bearer_auth(&token);
        if let Some(range) = range {
            request = request.header(header::RANGE, range);
        }
        if let Some((name, value)) = extra {
            request = request.header(name, value);
        }
        request.send()
    };

    let whole = get(None, None).await.unwrap();
    assert_eq!(whole.status(), StatusCode::OK);
    assert_eq!(whole.headers()[header::CONTENT_TYPE], "audio/flac");
    assert_eq!(whole.headers()[header::ACCEPT_RANGES], "bytes");
    let etag = whole.headers()[header::ETAG].to_str().unwrap().to_owned();
    assert!(whole.headers().contains_key(header::LAST_MODIFIED));
    assert_eq!(whole.bytes().await.unwrap(), bytes);

    let part = get(Some("bytes=4-13"), None).await.unwrap();
    assert_eq!(part.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(
        part.headers()[header::CONTENT_RANGE],
        format!("bytes 4-13/{}", bytes.len()).as_str()
    );
    assert_eq!(part.bytes().await.unwrap(), bytes[4..14]);

    let tail = get(Some("bytes=-8"), None).await.unwrap();
    assert_eq!(tail.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(tail.bytes().await.unwrap(), bytes[bytes.len() - 8..]);

    let beyond = get(Some(&format!("bytes={}-", bytes.len())), None)
        .await
        .unwrap();
    assert_eq!(beyond.status(), StatusCode::RANGE_NOT_SATISFIABLE);
    assert_eq!(
        beyond.headers()[header::CONTENT_RANGE],
        format!("bytes */{}", bytes.len()).as_str()
    );

    // If-Range: the range while the file is the one the client had, else the whole file.
    let same = get(Some("bytes=0-3"), Some(("if-range", etag.clone())))
        .await
        .unwrap();
    assert_eq!(same.status(), StatusCode::PARTIAL_CONTENT);
    let changed = get(Some("bytes=0-3"), Some(("if-range", "\"old\"".to_owned())))
        .await
        .unwrap();
    assert_eq!(changed.status(), StatusCode::OK);
    let cached = get(None, Some(("if-none-match", etag))).await.unwrap();
    assert_eq!(cached.status(), StatusCode::NOT_MODIFIED);

    let head = app
        .client
        .request(Method::HEAD, &url)
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(head.status(), StatusCode::OK);
    assert_eq!(
        head.headers()[header::CONTENT_LENGTH],
        bytes.len().to_string().as_str()
    );
    assert!(head.bytes().await.unwrap().is_empty());

    let cover = app
        .get(song["cover_url"].as_str().unwrap(), Some(&token))
        .await;
    assert_eq!(cover.status(), StatusCode::OK);
    assert_eq!(cover.headers()[header::CONTENT_TYPE], "image/png");
    assert_eq!(cover.bytes().await.unwrap(), PNG_PIXEL);

    // Without a session (a client with no cookie): nothing.
    assert_eq!(
        reqwest::get(&url).await.unwrap().status(),
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn a_missing_music_folder_stops_the_start_with_what_to_do() {
    let missing = tempfile::tempdir().unwrap().path().join("not-there");
    let app = spawn_app_with(&[]).await;
    let output = app.command(&["scan", "--music-dir", missing.to_str().unwrap()]);
    assert!(!output.status.success());
    let said = String::from_utf8_lossy(&output.stderr);
    assert!(
        said.contains("SOIREE_MUSIC_DIR") && said.contains("not-there"),
        "{said}"
    );
}

#[tokio::test]
async fn az_1_a_playlist_mixes_library_and_provider_tracks_and_is_its_owners_alone() {
    let music = tempfile::tempdir().unwrap();
    let (app, ada) = scanned(music.path()).await;
    let bob = app.signed_up("bob").await;
    let halo = halo(&app, &ada).await["id"].as_str().unwrap().to_owned();
    let created = app
        .send(
            Method::POST,
            "/api/v1/playlists",
            Some(&ada),
            Some(serde_json::json!({"name": "Road trip"})),
        )
        .await;
    assert_eq!(created.status(), StatusCode::CREATED);
    let id = created.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = format!("/api/v1/playlists/{id}");
    let spotify = "spotify:track:4uLU6hMCjMI75M1A2tKUQC";
    let added = app
        .send(
            Method::POST,
            &format!("{path}/tracks"),
            Some(&ada),
            Some(serde_json::json!({"tracks": [halo, spotify, halo]})),
        )
        .await;
    assert_eq!(added.status(), StatusCode::OK);
    let list: Value = added.json().await.unwrap();
    let entries: Vec<String> = list["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| entry["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(list["entries"][1]["track_uri"], spotify);
    assert_eq!(list["entries"][0]["track_id"], halo.as_str());
    // Each entry carries what is known of its track.
    assert_eq!(list["entries"][0]["title"], "Halo");
    assert_eq!(
        list["entries"][0]["artists"],
        serde_json::json!(["Beyoncé"])
    );

    // Reordered with one list; a list that is not the playlist's entries is refused.
    let order = serde_json::json!({"entries": [entries[2], entries[0], entries[1]]});
    let reordered: Value = app
        .send(
            Method::PUT,
            &format!("{path}/order"),
            Some(&ada),
            Some(order),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(reordered["entries"][0]["id"], entries[2].as_str());
    assert_eq!(reordered["entries"][2]["track_uri"], spotify);
    let partial = app
        .send(
            Method::PUT,
            &format!("{path}/order"),
            Some(&ada),
            Some(serde_json::json!({"entries": [entries[0]]})),
        )
        .await;
    assert_eq!(
        problem(partial, StatusCode::UNPROCESSABLE_ENTITY).await["code"],
        "order_mismatch"
    );
    for (track, code) in [
        ("not a track", "invalid_track"),
        ("01890a5d-ac96-774b-bcce-b302099a8057", "unknown_track"),
    ] {
        let refused = app
            .send(
                Method::POST,
                &format!("{path}/tracks"),
                Some(&ada),
                Some(serde_json::json!({"tracks": [track]})),
            )
            .await;
        assert_eq!(
            problem(refused, StatusCode::UNPROCESSABLE_ENTITY).await["code"],
            code
        );
    }
    let removed: Value = app
        .send(
            Method::DELETE,
            &format!("{path}/tracks/{}", entries[1]),
            Some(&ada),
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(removed["entries"].as_array().unwrap().len(), 2);

    // Bob sees none of it and changes none of it.
    for (method, route, body) in [
        (Method::GET, path.clone(), None),
        (
            Method::PATCH,
            path.clone(),
            Some(serde_json::json!({"name": "Mine now"})),
        ),
        (
            Method::POST,
            format!("{path}/tracks"),
            Some(serde_json::json!({"tracks": [spotify]})),
        ),
        (
            Method::DELETE,
            format!("{path}/tracks/{}", entries[0]),
            None,
        ),
        (
            Method::PUT,
            format!("{path}/order"),
            Some(serde_json::json!({"entries": []})),
        ),
        (Method::DELETE, path.clone(), None),
    ] {
        let refused = app.send(method.clone(), &route, Some(&bob), body).await;
        assert_eq!(
            problem(refused, StatusCode::NOT_FOUND).await["code"],
            "playlist_not_found",
            "{method} {route}"
        );
    }
    let bobs: Value = app
        .get("/api/v1/playlists", Some(&bob))
        .await
        .json()
        .await
        .unwrap();
    assert!(bobs["playlists"].as_array().unwrap().is_empty());
    let adas: Value = app
        .get("/api/v1/playlists", Some(&ada))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(adas["playlists"][0]["entries"], 2);
    assert_eq!(app.get(&path, Some(&ada)).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_free_account_keeps_ten_playlists_however_many_it_asks_for_at_once() {
    let directory = tempfile::tempdir().unwrap();
    let tiers = directory.path().join("tiers.toml");
    std::fs::write(&tiers, "[pages]\nrequests = \"unlimited\"\n").unwrap();
    let app = spawn_app_with(&[("SOIREE_TIERS_FILE", tiers.to_str().unwrap())]).await;
    let token = app.signed_up("ada").await;
    let asked = futures_util::future::join_all((0..14).map(|number| {
        app.send(
            Method::POST,
            "/api/v1/playlists",
            Some(&token),
            Some(serde_json::json!({"name": format!("List {number}")})),
        )
    }))
    .await;
    let mut created = Vec::new();
    for response in asked {
        match response.status() {
            StatusCode::CREATED => created.push(
                response.json::<Value>().await.unwrap()["id"]
                    .as_str()
                    .unwrap()
                    .to_owned(),
            ),
            StatusCode::FORBIDDEN => {
                assert_eq!(
                    problem(response, StatusCode::FORBIDDEN).await["code"],
                    "quota_exceeded"
                );
            }
            other => panic!("unexpected {other}"),
        }
    }
    assert_eq!(created.len(), 10);
    // The tier's page shows what is used of the quota.
    let standing: Value = app
        .get("/api/v1/me/tier", Some(&token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(standing["usage"]["playlists"], 10);
    assert_eq!(standing["limits"]["playlists"], 10);
    let deleted = app
        .send(
            Method::DELETE,
            &format!("/api/v1/playlists/{}", created[0]),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    let again = app
        .send(
            Method::POST,
            "/api/v1/playlists",
            Some(&token),
            Some(serde_json::json!({"name": "One more"})),
        )
        .await;
    assert_eq!(again.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn a_host_saves_the_party_as_a_playlist_of_what_played() {
    use crate::support::rooms::{connected_host, create_room, vote};
    let t = crate::support::spawn_app_with_sim().await;
    let host = connected_host(&t, "host").await;
    let room = create_room(
        &t.app,
        &host,
        serde_json::json!({"name": "Birthday", "like_threshold": 1}),
    )
    .await;
    let code = room["room"]["code"].as_str().unwrap().to_owned();
    let save = |token: String, body: Value| {
        let app = &t.app;
        async move {
            app.send(
                Method::POST,
                "/api/v1/playlists/from-room",
                Some(&token),
                Some(body),
            )
            .await
        }
    };
    // Nothing played yet.
    let early = save(host.clone(), serde_json::json!({"code": code})).await;
    assert_eq!(
        problem(early, StatusCode::UNPROCESSABLE_ENTITY).await["code"],
        "nothing_played"
    );

    let sim = t.sim_player("ada").await;
    let track = sim["liked"][3].as_str().unwrap().to_owned();
    vote(&t.app, &code, &host, &track, true).await;
    eventually(Duration::from_secs(15), "the winner plays", || async {
        t.sim_player("ada").await["current"] == serde_json::json!(track)
    })
    .await;

    let saved = save(
        host.clone(),
        serde_json::json!({"code": code.to_lowercase(), "name": "Birthday mix"}),
    )
    .await;
    assert_eq!(saved.status(), StatusCode::CREATED);
    let playlist: Value = saved.json().await.unwrap();
    assert_eq!(playlist["name"], "Birthday mix");
    assert_eq!(playlist["entries"][0]["track_uri"], track.as_str());
    assert!(
        playlist["entries"][0]["title"].is_string(),
        "the room described the track: {playlist}"
    );
    assert_eq!(playlist["entries"].as_array().unwrap().len(), 1);
    let default_name: Value = save(host.clone(), serde_json::json!({"code": code}))
        .await
        .json()
        .await
        .unwrap();
    assert!(
        default_name["name"]
            .as_str()
            .unwrap()
            .starts_with(&format!("Party {code}, "))
    );

    // Only the host; an unknown room is not found.
    let guest = t.app.signed_up("guest").await;
    t.app
        .send(
            Method::POST,
            &format!("/api/v1/rooms/{code}/join"),
            Some(&guest),
            Some(serde_json::json!({})),
        )
        .await;
    let by_guest = save(guest.clone(), serde_json::json!({"code": code})).await;
    assert_eq!(
        problem(by_guest, StatusCode::FORBIDDEN).await["code"],
        "not_host"
    );
    let unknown = save(host, serde_json::json!({"code": "ZZZZZZ"})).await;
    assert_eq!(
        problem(unknown, StatusCode::NOT_FOUND).await["code"],
        "room_not_found"
    );
}

#[tokio::test]
async fn a_playlist_is_exported_to_the_persons_spotify_account() {
    use crate::support::rooms::connected_host;
    let t = crate::support::spawn_app_with_sim().await;
    let host = connected_host(&t, "host").await;
    let liked = t.sim_player("ada").await["liked"].clone();
    let uris: Vec<String> = (0..3)
        .map(|n| liked[n].as_str().unwrap().to_owned())
        .collect();
    let made: Value = t
        .app
        .send(
            Method::POST,
            "/api/v1/playlists",
            Some(&host),
            Some(serde_json::json!({"name": "For the road"})),
        )
        .await
        .json()
        .await
        .unwrap();
    let id = made["id"].as_str().unwrap().to_owned();
    let export = |token: String, id: String| {
        let app = &t.app;
        async move {
            app.send(
                Method::POST,
                &format!("/api/v1/playlists/{id}/export"),
                Some(&token),
                None,
            )
            .await
        }
    };
    let empty = export(host.clone(), id.clone()).await;
    assert_eq!(
        problem(empty, StatusCode::UNPROCESSABLE_ENTITY).await["code"],
        "nothing_to_export"
    );
    let added = t
        .app
        .send(
            Method::POST,
            &format!("/api/v1/playlists/{id}/tracks"),
            Some(&host),
            Some(serde_json::json!({"tracks": uris})),
        )
        .await;
    assert_eq!(added.status(), StatusCode::OK);

    let exported = export(host.clone(), id.clone()).await;
    assert_eq!(exported.status(), StatusCode::OK);
    let exported: Value = exported.json().await.unwrap();
    assert_eq!(
        (exported["exported"].as_u64(), exported["skipped"].as_u64()),
        (Some(3), Some(0))
    );
    assert!(
        exported["url"]
            .as_str()
            .unwrap()
            .starts_with("https://open.spotify.com/playlist/")
    );
    let at_spotify = &t.sim_player("ada").await["playlists"][0];
    assert_eq!(at_spotify["name"], "For the road");
    assert_eq!(at_spotify["public"], false);
    assert_eq!(at_spotify["items"], serde_json::json!(uris));

    // Someone without a Spotify app of their own is told to set one up; another person's
    // playlist does not exist.
    let other = t.app.signed_up("zoe").await;
    let theirs: Value = t
        .app
        .send(
            Method::POST,
            "/api/v1/playlists",
            Some(&other),
            Some(serde_json::json!({"name": "Mine"})),
        )
        .await
        .json()
        .await
        .unwrap();
    t.app
        .send(
            Method::POST,
            &format!(
                "/api/v1/playlists/{}/tracks",
                theirs["id"].as_str().unwrap()
            ),
            Some(&other),
            Some(serde_json::json!({"tracks": [uris[0]]})),
        )
        .await;
    let unconnected = export(other.clone(), theirs["id"].as_str().unwrap().to_owned()).await;
    assert_eq!(
        problem(unconnected, StatusCode::CONFLICT).await["code"],
        "provider_not_configured"
    );
    let not_hers = export(other, id).await;
    assert_eq!(
        problem(not_hers, StatusCode::NOT_FOUND).await["code"],
        "playlist_not_found"
    );
}

#[tokio::test]
async fn a_track_that_played_in_a_room_joins_the_hosts_library_without_a_file() {
    use crate::support::rooms::{connected_host, create_room, vote};
    let t = crate::support::spawn_app_with_sim().await;
    // Named as the Subsonic helper signs in.
    let host = connected_host(&t, "ada").await;
    let room = create_room(
        &t.app,
        &host,
        serde_json::json!({"name": "Birthday", "like_threshold": 1}),
    )
    .await;
    let code = room["room"]["code"].as_str().unwrap().to_owned();
    let track = t.sim_player("ada").await["liked"][2]
        .as_str()
        .unwrap()
        .to_owned();
    vote(&t.app, &code, &host, &track, true).await;
    eventually(
        Duration::from_secs(15),
        "the played track in the library",
        || {
            let listed = songs(&t.app, &host, "");
            async { listed.await["total"] == 1 }
        },
    )
    .await;
    let song = songs(&t.app, &host, "").await["songs"][0].clone();
    assert_eq!(song["provider_uri"], track.as_str());
    assert!(song.get("stream_url").is_none(), "no file: {song}");
    assert_ne!(
        song["title"],
        track.as_str(),
        "described by the room: {song}"
    );
    let title = song["title"].as_str().unwrap().to_owned();
    let found = songs(&t.app, &host, &format!("?q={}", title.replace(' ', "%20"))).await;
    assert_eq!(
        found["songs"][0]["id"], song["id"],
        "searchable by its title"
    );

    // No file to stream; nobody else sees it.
    let id = song["id"].as_str().unwrap();
    let stream = t
        .app
        .get(&format!("/api/v1/library/tracks/{id}/stream"), Some(&host))
        .await;
    assert_eq!(
        problem(stream, StatusCode::CONFLICT).await["code"],
        "no_file"
    );
    let other = t.app.signed_up("bob").await;
    assert_eq!(songs(&t.app, &other, "").await["total"], 0);

    // A music app is not shown what it cannot play.
    let made = t
        .app
        .send(
            Method::POST,
            "/api/v1/me/app-passwords",
            Some(&host),
            Some(serde_json::json!({ "name": "Phone" })),
        )
        .await;
    let secret = made.json::<Value>().await.unwrap()["password"]
        .as_str()
        .unwrap()
        .to_owned();
    let searched = crate::subsonic::call(&t.app, &secret, "search3", &[("query", "")]).await;
    assert_eq!(searched["status"], "ok", "{searched}");
    assert_eq!(
        searched["searchResult3"]["song"],
        serde_json::json!([]),
        "{searched}"
    );
    assert_eq!(
        searched["searchResult3"]["artist"],
        serde_json::json!([]),
        "{searched}"
    );

    // Added to a playlist, it is the service's track (and so copies to Spotify).
    let playlist: Value = t
        .app
        .send(
            Method::POST,
            "/api/v1/playlists",
            Some(&host),
            Some(serde_json::json!({"name": "Best of"})),
        )
        .await
        .json()
        .await
        .unwrap();
    let added: Value = t
        .app
        .send(
            Method::POST,
            &format!(
                "/api/v1/playlists/{}/tracks",
                playlist["id"].as_str().unwrap()
            ),
            Some(&host),
            Some(serde_json::json!({"tracks": [id]})),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(added["entries"][0]["track_uri"], track.as_str(), "{added}");

    // It is in the account's export.
    let export: Value = t
        .app
        .get("/api/v1/me/export", Some(&host))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(export["service_tracks"][0]["uri"], track.as_str());
    assert_eq!(export["service_tracks"][0]["title"], title.as_str());
}
