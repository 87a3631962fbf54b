//! The Subsonic API through the real binary: every sign-in scheme over app passwords, the
//! answers apps read on connecting and in daily use (JSON and XML), stars, playlists,
//! streaming with ranges, scrobbles; and a real Subsonic client library (py-sonic) doing the
//! same from Python.

use std::path::Path;
use std::time::Duration;

use md5::Digest as _;
use reqwest::{Method, StatusCode, header};
use serde_json::{Value, json};
use soiree_media::testing::{PNG_PIXEL, sample_folder};

use crate::support::{PASSWORD, TestApp, eventually, spawn_app_with};

/// A server over the sample folder, scanned; a person with an app password.
async fn with_app_password(music: &Path) -> (TestApp, String, String) {
    sample_folder(music).unwrap();
    let app = spawn_app_with(&[("SOIREE_MUSIC_DIR", music.to_str().unwrap())]).await;
    let token = app.signed_up("ada").await;
    eventually(Duration::from_secs(20), "the start-up scan", || {
        let listed = app.get("/api/v1/songs", Some(&token));
        async { listed.await.json::<Value>().await.unwrap()["total"] == 3 }
    })
    .await;
    let made = app
        .send(
            Method::POST,
            "/api/v1/me/app-passwords",
            Some(&token),
            Some(json!({ "name": "Phone" })),
        )
        .await;
    assert_eq!(made.status(), StatusCode::CREATED);
    let secret = made.json::<Value>().await.unwrap()["password"]
        .as_str()
        .unwrap()
        .to_owned();
    (app, token, secret)
}

fn salted(secret: &str, salt: &str) -> String {
    let mut digest = md5::Md5::new();
    digest.update(secret.as_bytes());
    digest.update(salt.as_bytes());
    hex::encode(digest.finalize())
}

/// A call with the token scheme, answered in JSON: its `subsonic-response`.
pub(crate) async fn call(
    app: &TestApp,
    secret: &str,
    name: &str,
    params: &[(&str, &str)],
) -> Value {
    let token = salted(secret, "pepper");
    let mut query = vec![
        ("u", "ada"),
        ("t", token.as_str()),
        ("s", "pepper"),
        ("v", "1.16.1"),
        ("c", "e2e"),
        ("f", "json"),
    ];
    query.extend_from_slice(params);
    let response = app
        .client
        .get(app.url(&format!("/rest/{name}.view")))
        .query(&query)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK, "{name}");
    response.json::<Value>().await.unwrap()["subsonic-response"].clone()
}

fn ok(answer: &Value) -> &Value {
    assert_eq!(answer["status"], "ok", "{answer}");
    answer
}

fn failed(answer: &Value, code: u64) {
    assert_eq!(answer["status"], "failed", "{answer}");
    assert_eq!(answer["error"]["code"], code, "{answer}");
}

async fn raw(app: &TestApp, params: &[(&str, &str)]) -> Value {
    let response = app
        .client
        .get(app.url("/rest/ping"))
        .query(&[("v", "1.16.1"), ("c", "e2e"), ("f", "json")])
        .query(params)
        .send()
        .await
        .unwrap();
    response.json::<Value>().await.unwrap()["subsonic-response"].clone()
}

#[tokio::test]
async fn au_2_music_apps_sign_in_with_app_passwords_by_every_scheme_and_never_the_account_password()
{
    let music = tempfile::tempdir().unwrap();
    let (app, _, secret) = with_app_password(music.path()).await;
    let encoded = format!("enc:{}", hex::encode(&secret));
    let token = salted(&secret, "c19b2d");
    ok(&raw(&app, &[("u", "ada"), ("p", &secret)]).await);
    ok(&raw(&app, &[("u", "ADA"), ("p", &encoded)]).await);
    ok(&raw(&app, &[("u", "ada"), ("t", &token), ("s", "c19b2d")]).await);
    ok(&raw(&app, &[("apiKey", &secret)]).await);
    // The account's own password is not an app password; nor is a wrong salt.
    failed(&raw(&app, &[("u", "ada"), ("p", PASSWORD)]).await, 40);
    failed(
        &raw(&app, &[("u", "ada"), ("t", &token), ("s", "other")]).await,
        40,
    );
    failed(&raw(&app, &[("apiKey", "nope")]).await, 44);
    failed(&raw(&app, &[("apiKey", &secret), ("u", "ada")]).await, 43);
    failed(&raw(&app, &[]).await, 10);
    // Secrets never come back in the answer.
    let answer = raw(&app, &[("u", "ada"), ("p", "wrong")]).await.to_string();
    assert!(!answer.contains("wrong") && !answer.contains(&secret));
    // The extensions are there before signing in.
    let extensions = app
        .client
        .get(app.url("/rest/getOpenSubsonicExtensions?f=json"))
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    let names: Vec<&str> = extensions["subsonic-response"]["openSubsonicExtensions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|extension| extension["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["apiKeyAuthentication", "formPost"]);

    // Guesses sent at once count like a login's: after them, even the right key is refused.
    let guesses = (0..30).map(|n| {
        let app = &app;
        async move {
            let wrong = format!("guess-{n}");
            raw(app, &[("u", "ada"), ("p", &wrong)]).await
        }
    });
    for answer in futures_util::future::join_all(guesses).await {
        failed(&answer, 40);
    }
    failed(&raw(&app, &[("u", "ada"), ("p", &secret)]).await, 40);
}

#[tokio::test]
async fn apps_browse_search_star_and_keep_playlists_in_json_and_xml() {
    let music = tempfile::tempdir().unwrap();
    let (app, _, secret) = with_app_password(music.path()).await;
    let secret = secret.as_str();
    let app = &app;

    ok(&call(app, secret, "getLicense", &[]).await);
    let user = call(app, secret, "getUser", &[("username", "ada")]).await;
    assert_eq!(ok(&user)["user"]["streamRole"], true);
    assert_eq!(user["user"]["folder"], json!([1]));
    failed(
        &call(app, secret, "getUser", &[("username", "bob")]).await,
        50,
    );
    let folders = call(app, secret, "getMusicFolders", &[]).await;
    assert_eq!(folders["musicFolders"]["musicFolder"][0]["id"], 1);

    // Artists by letter, their albums, an album's songs.
    let artists = call(app, secret, "getArtists", &[]).await;
    let index = ok(&artists)["artists"]["index"].as_array().unwrap();
    let letters: Vec<&str> = index.iter().map(|i| i["name"].as_str().unwrap()).collect();
    assert_eq!(letters, ["B", "N", "S"]);
    let beyonce = &index[0]["artist"][0];
    assert_eq!(beyonce["name"], "Beyoncé");
    assert_eq!(beyonce["albumCount"], 1);
    let artist = call(
        app,
        secret,
        "getArtist",
        &[("id", beyonce["id"].as_str().unwrap())],
    )
    .await;
    let album_id = ok(&artist)["artist"]["album"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(artist["artist"]["album"][0]["name"], "I Am… Sasha Fierce");
    let album = call(app, secret, "getAlbum", &[("id", &album_id)]).await;
    let halo = ok(&album)["album"]["song"][0].clone();
    assert_eq!(halo["title"], "Halo");
    assert_eq!(halo["contentType"], "audio/flac");
    assert_eq!(halo["suffix"], "flac");
    assert_eq!(halo["albumId"], album_id.as_str());
    let halo_id = halo["id"].as_str().unwrap().to_owned();
    let song = call(app, secret, "getSong", &[("id", &halo_id)]).await;
    assert_eq!(ok(&song)["song"]["title"], "Halo");
    failed(
        &call(
            app,
            secret,
            "getSong",
            &[("id", "00000000-0000-7000-8000-000000000000")],
        )
        .await,
        70,
    );
    failed(&call(app, secret, "getSong", &[]).await, 10);

    // Folder-style browsing.
    let indexes = call(app, secret, "getIndexes", &[]).await;
    let sigur = ok(&indexes)["indexes"]["index"][2]["artist"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let directory = call(app, secret, "getMusicDirectory", &[("id", &sigur)]).await;
    let takk = ok(&directory)["directory"]["child"][0].clone();
    assert_eq!(
        (takk["isDir"].clone(), takk["title"].clone()),
        (json!(true), json!("Takk…"))
    );
    let songs = call(
        app,
        secret,
        "getMusicDirectory",
        &[("id", takk["id"].as_str().unwrap())],
    )
    .await;
    assert_eq!(ok(&songs)["directory"]["child"][0]["title"], "Hoppípolla");

    // Lists and search.
    let newest = call(
        app,
        secret,
        "getAlbumList2",
        &[("type", "newest"), ("size", "10")],
    )
    .await;
    assert_eq!(
        ok(&newest)["albumList2"]["album"].as_array().unwrap().len(),
        3
    );
    failed(&call(app, secret, "getAlbumList2", &[]).await, 10);
    let random = call(app, secret, "getRandomSongs", &[("size", "2")]).await;
    assert_eq!(
        ok(&random)["randomSongs"]["song"].as_array().unwrap().len(),
        2
    );
    let found = call(app, secret, "search3", &[("query", "beyonce")]).await;
    let result = &ok(&found)["searchResult3"];
    assert_eq!(result["artist"][0]["name"], "Beyoncé");
    assert_eq!(result["album"][0]["name"], "I Am… Sasha Fierce");
    assert_eq!(result["song"][0]["title"], "Halo");
    let everything = call(
        app,
        secret,
        "search3",
        &[("query", "\"\""), ("songCount", "500")],
    )
    .await;
    assert_eq!(
        everything["searchResult3"]["song"]
            .as_array()
            .unwrap()
            .len(),
        3
    );

    // Stars, also seen in lists.
    ok(&call(
        app,
        secret,
        "star",
        &[("id", &halo_id), ("albumId", &album_id)],
    )
    .await);
    let starred = call(app, secret, "getStarred2", &[]).await;
    assert_eq!(ok(&starred)["starred2"]["song"][0]["title"], "Halo");
    assert_eq!(starred["starred2"]["album"][0]["id"], album_id.as_str());
    let starred_list = call(app, secret, "getAlbumList2", &[("type", "starred")]).await;
    assert_eq!(
        starred_list["albumList2"]["album"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert!(call(app, secret, "getSong", &[("id", &halo_id)]).await["song"]["starred"].is_string());
    ok(&call(app, secret, "unstar", &[("id", &halo_id)]).await);
    let starred = call(app, secret, "getStarred2", &[]).await;
    assert_eq!(starred["starred2"]["song"], json!([]));

    // Playlists: made with songs, renamed, a song removed by index and one added, deleted.
    let everything_ids: Vec<String> = everything["searchResult3"]["song"]
        .as_array()
        .unwrap()
        .iter()
        .map(|song| song["id"].as_str().unwrap().to_owned())
        .collect();
    let made = call(
        app,
        secret,
        "createPlaylist",
        &[
            ("name", "Road trip"),
            ("songId", &everything_ids[0]),
            ("songId", &everything_ids[1]),
        ],
    )
    .await;
    let playlist = &ok(&made)["playlist"];
    assert_eq!(playlist["songCount"], 2);
    let playlist_id = playlist["id"].as_str().unwrap().to_owned();
    ok(&call(
        app,
        secret,
        "updatePlaylist",
        &[
            ("playlistId", &playlist_id),
            ("name", "Long road trip"),
            ("songIndexToRemove", "0"),
            ("songIdToAdd", &everything_ids[2]),
        ],
    )
    .await);
    let read = call(app, secret, "getPlaylist", &[("id", &playlist_id)]).await;
    let entries: Vec<&str> = ok(&read)["playlist"]["entry"]
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| entry["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        entries,
        [everything_ids[1].as_str(), everything_ids[2].as_str()]
    );
    assert_eq!(read["playlist"]["name"], "Long road trip");
    let listed = call(app, secret, "getPlaylists", &[]).await;
    assert_eq!(listed["playlists"]["playlist"][0]["songCount"], 2);
    ok(&call(app, secret, "deletePlaylist", &[("id", &playlist_id)]).await);
    failed(
        &call(app, secret, "getPlaylist", &[("id", &playlist_id)]).await,
        70,
    );

    // Scrobbles: now playing, then a play that orders "recent".
    ok(&call(
        app,
        secret,
        "scrobble",
        &[("id", &halo_id), ("submission", "false")],
    )
    .await);
    let playing = call(app, secret, "getNowPlaying", &[]).await;
    let entry = &ok(&playing)["nowPlaying"]["entry"][0];
    assert_eq!(
        (entry["username"].clone(), entry["title"].clone()),
        (json!("ada"), json!("Halo"))
    );
    ok(&call(app, secret, "scrobble", &[("id", &halo_id)]).await);
    let recent = call(app, secret, "getAlbumList2", &[("type", "recent")]).await;
    assert_eq!(recent["albumList2"]["album"][0]["id"], album_id.as_str());

    // XML, as most apps ask by default.
    let token = salted(secret, "salt");
    let xml = app
        .client
        .get(app.url("/rest/getAlbum"))
        .query(&[
            ("u", "ada"),
            ("t", &token),
            ("s", "salt"),
            ("v", "1.16.1"),
            ("c", "e2e"),
            ("id", &album_id),
        ])
        .send()
        .await
        .unwrap();
    assert!(
        xml.headers()[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/xml")
    );
    let xml = xml.text().await.unwrap();
    assert!(
        xml.contains("<subsonic-response xmlns=\"http://subsonic.org/restapi\" status=\"ok\""),
        "{xml}"
    );
    assert!(xml.contains("<song id=\""), "{xml}");
    assert!(xml.contains("title=\"Halo\""), "{xml}");
    // A form post (formPost), with a list.
    let posted = app
        .client
        .post(app.url("/rest/star.view"))
        .form(&[
            ("u", "ada"),
            ("t", token.as_str()),
            ("s", "salt"),
            ("v", "1.16.1"),
            ("c", "e2e"),
            ("f", "json"),
            ("id", halo_id.as_str()),
            ("artistId", beyonce["id"].as_str().unwrap()),
        ])
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    ok(&posted["subsonic-response"]);
    let starred = call(app, secret, "getStarred2", &[]).await;
    assert_eq!(starred["starred2"]["artist"][0]["name"], "Beyoncé");
    // An unknown call says so.
    let unknown = app
        .client
        .get(app.url("/rest/getPodcasts?f=json"))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn apps_stream_with_ranges_download_and_get_cover_art() {
    let music = tempfile::tempdir().unwrap();
    let (app, _, secret) = with_app_password(music.path()).await;
    let found = call(&app, &secret, "search3", &[("query", "halo")]).await;
    let halo = found["searchResult3"]["song"][0].clone();
    let id = halo["id"].as_str().unwrap();
    let size = halo["size"].as_u64().unwrap();
    let token = salted(&secret, "salt");
    let auth = [
        ("u", "ada"),
        ("t", token.as_str()),
        ("s", "salt"),
        ("v", "1.16.1"),
        ("c", "e2e"),
    ];
    let whole = app
        .client
        .get(app.url("/rest/stream"))
        .query(&auth)
        .query(&[("id", id)])
        .send()
        .await
        .unwrap();
    assert_eq!(whole.status(), StatusCode::OK);
    assert_eq!(whole.headers()[header::CONTENT_TYPE], "audio/flac");
    assert_eq!(whole.headers()[header::ACCEPT_RANGES], "bytes");
    assert_eq!(whole.bytes().await.unwrap().len() as u64, size);
    let part = app
        .client
        .get(app.url("/rest/stream"))
        .query(&auth)
        .query(&[("id", id), ("maxBitRate", "128")])
        .header(header::RANGE, "bytes=4-9")
        .send()
        .await
        .unwrap();
    assert_eq!(part.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(
        part.headers()[header::CONTENT_RANGE],
        format!("bytes 4-9/{size}").as_str()
    );
    assert_eq!(part.bytes().await.unwrap().len(), 6);
    let download = app
        .client
        .get(app.url("/rest/download"))
        .query(&auth)
        .query(&[("id", id)])
        .send()
        .await
        .unwrap();
    assert_eq!(
        download.headers()[header::CONTENT_DISPOSITION],
        "attachment; filename*=UTF-8''Halo.flac"
    );
    let cover = app
        .client
        .get(app.url("/rest/getCoverArt"))
        .query(&auth)
        .query(&[("id", halo["coverArt"].as_str().unwrap())])
        .send()
        .await
        .unwrap();
    assert_eq!(cover.headers()[header::CONTENT_TYPE], "image/png");
    assert_eq!(cover.bytes().await.unwrap().as_ref(), PNG_PIXEL);
    let album_cover = app
        .client
        .get(app.url("/rest/getCoverArt"))
        .query(&auth)
        .query(&[("id", halo["albumId"].as_str().unwrap()), ("size", "300")])
        .send()
        .await
        .unwrap();
    assert_eq!(album_cover.bytes().await.unwrap().as_ref(), PNG_PIXEL);
    // A song that is not there is a Subsonic error, not bytes.
    let missing = app
        .client
        .get(app.url("/rest/stream"))
        .query(&auth)
        .query(&[
            ("id", "00000000-0000-7000-8000-000000000000"),
            ("f", "json"),
        ])
        .send()
        .await
        .unwrap();
    let missing: Value = missing.json().await.unwrap();
    failed(&missing["subsonic-response"], 70);
}

/// py-sonic, a Subsonic client library from PyPI, against the real binary (`.ci/run` installs
/// it; without it this test is skipped with a notice, and fails under CI).
#[tokio::test]
async fn a_real_subsonic_client_library_pings_browses_searches_streams_and_edits_a_playlist() {
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/subsonic/client.py"
    );
    let has_client = std::process::Command::new("python3")
        .args(["-c", "import libsonic"])
        .status()
        .is_ok_and(|status| status.success());
    if !has_client {
        soiree_test_tally::skipped(
            soiree_test_tally::Backend::SubsonicClient,
            "the Subsonic client test",
            "pip install py-sonic==1.2.0",
        );
        return;
    }
    soiree_test_tally::ran(soiree_test_tally::Backend::SubsonicClient);
    let music = tempfile::tempdir().unwrap();
    let (app, _, secret) = with_app_password(music.path()).await;
    let (host, port) = app
        .base_url
        .trim_start_matches("http://")
        .rsplit_once(':')
        .unwrap();
    let output = tokio::process::Command::new("python3")
        .args([script, &format!("http://{host}"), port, "ada", &secret])
        .output()
        .await
        .unwrap();
    let said = format!(
        "{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(output.status.success(), "the client failed:\n{said}");
    assert!(said.contains("all checks passed"), "{said}");
}
