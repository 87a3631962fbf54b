//! The Spotify adapter against a wiremock Spotify: request shapes, every documented error,
//! rate limits and Spotify's quirks.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use secrecy::SecretString;
use serde_json::json;
use soiree_connections::{
    OAuthProvider as _, PlayRequest, PlayerError, PlayerProvider as _, ProviderError,
};
use soiree_provider_http::RetryPolicy;
use soiree_spotify::{Spotify, SpotifyConfig};
use wiremock::matchers::{body_json, header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

async fn spotify() -> (MockServer, Spotify) {
    let server = MockServer::start().await;
    let config = SpotifyConfig {
        accounts_url: server.uri(),
        api_url: format!("{}/v1", server.uri()),
    };
    let policy = RetryPolicy {
        base_delay: Duration::from_millis(5),
        ..RetryPolicy::default()
    };
    (server, Spotify::with_policy(&config, policy).unwrap())
}

fn token() -> SecretString {
    SecretString::from("access-token")
}

#[tokio::test]
async fn player_commands_have_the_documented_shape() {
    let (server, spotify) = spotify().await;
    let bearer = || header("authorization", "Bearer access-token");
    let ok = ResponseTemplate::new(204);
    Mock::given(method("PUT"))
        .and(path("/v1/me/player/play"))
        .and(bearer())
        .and(query_param("device_id", "kitchen"))
        .and(body_json(json!({"uris": ["spotify:track:1"]})))
        .respond_with(ok.clone())
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .and(path("/v1/me/player/pause"))
        .and(bearer())
        .respond_with(ok.clone())
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/me/player/next"))
        .and(bearer())
        .respond_with(ok.clone())
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/me/player/previous"))
        .and(bearer())
        .respond_with(ok.clone())
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .and(path("/v1/me/player/volume"))
        .and(query_param("volume_percent", "40"))
        .respond_with(ok.clone())
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .and(path("/v1/me/player/seek"))
        .and(query_param("position_ms", "61000"))
        .respond_with(ok.clone())
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/me/player/queue"))
        .and(query_param("uri", "spotify:track:2"))
        .respond_with(ok.clone())
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .and(path("/v1/me/player"))
        .and(body_json(json!({"device_ids": ["tv"], "play": true})))
        .respond_with(ResponseTemplate::new(202))
        .expect(1)
        .mount(&server)
        .await;

    let play = PlayRequest {
        uris: vec!["spotify:track:1".into()],
        device_id: Some("kitchen".into()),
    };
    spotify.play(&token(), &play).await.unwrap();
    spotify.pause(&token()).await.unwrap();
    spotify.next(&token()).await.unwrap();
    spotify.previous(&token()).await.unwrap();
    spotify.set_volume(&token(), 40).await.unwrap();
    spotify.seek(&token(), 61_000).await.unwrap();
    spotify.queue(&token(), "spotify:track:2").await.unwrap();
    spotify.transfer(&token(), "tv", true).await.unwrap();
}

#[tokio::test]
async fn resume_sends_no_body() {
    let (server, spotify) = spotify().await;
    Mock::given(method("PUT"))
        .and(path("/v1/me/player/play"))
        .respond_with(move |request: &wiremock::Request| {
            assert!(request.body.is_empty(), "resume has no body");
            ResponseTemplate::new(204)
        })
        .expect(1)
        .mount(&server)
        .await;
    spotify
        .play(&token(), &PlayRequest::default())
        .await
        .unwrap();
}

fn error_body(status: u16, message: &str, reason: Option<&str>) -> serde_json::Value {
    match reason {
        Some(reason) => json!({"error": {"status": status, "message": message, "reason": reason}}),
        None => json!({"error": {"status": status, "message": message}}),
    }
}

#[tokio::test]
async fn every_documented_player_error_is_classified() {
    let cases: Vec<(u16, Option<&str>, &str)> = vec![
        (404, Some("NO_ACTIVE_DEVICE"), "no_active_device"),
        (404, None, "no_active_device"),
        (403, Some("PREMIUM_REQUIRED"), "premium_required"),
        (403, Some("UNKNOWN"), "restricted"),
        (403, Some("VOLUME_CONTROL_DISALLOW"), "restricted"),
        (403, Some("NO_NEXT_TRACK"), "restricted"),
        (400, Some("NO_PREV_TRACK"), "rejected"),
        (401, None, "token_rejected"),
        (503, None, "unavailable"),
    ];
    for (status, reason, expected) in cases {
        let (server, spotify) = spotify().await;
        Mock::given(method("POST"))
            .and(path("/v1/me/player/next"))
            .respond_with(ResponseTemplate::new(status).set_body_json(error_body(
                status,
                "Player command failed",
                reason,
            )))
            .expect(1)
            .mount(&server)
            .await;
        let kind = match spotify.next(&token()).await {
            Err(PlayerError::NoActiveDevice) => "no_active_device",
            Err(PlayerError::PremiumRequired) => "premium_required",
            Err(PlayerError::Restricted(_)) => "restricted",
            Err(PlayerError::Rejected(_)) => "rejected",
            Err(PlayerError::TokenRejected) => "token_rejected",
            Err(PlayerError::Unavailable(_)) => "unavailable",
            other => panic!("{status} {reason:?}: {other:?}"),
        };
        assert_eq!(kind, expected, "{status} {reason:?}");
    }
}

#[tokio::test]
async fn a_background_device_answering_play_with_500_reads_as_no_active_device_and_is_not_repeated()
{
    let (server, spotify) = spotify().await;
    Mock::given(method("PUT"))
        .and(path("/v1/me/player/play"))
        .respond_with(ResponseTemplate::new(500).set_body_json(error_body(
            500,
            "Server error",
            None,
        )))
        .expect(1)
        .mount(&server)
        .await;
    let outcome = spotify.play(&token(), &PlayRequest::default()).await;
    assert!(
        matches!(outcome, Err(PlayerError::NoActiveDevice)),
        "{outcome:?}"
    );
}

#[tokio::test]
async fn re_1_a_long_rate_limit_is_surfaced_with_its_wait() {
    let (server, spotify) = spotify().await;
    Mock::given(method("PUT")).and(path("/v1/me/player/pause"))
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "3600")
            .set_body_json(json!({"error": {"status": 429, "message": "API rate limit exceeded", "reason": "QUOTA_EXCEEDED"}})))
        .expect(1)
        .mount(&server)
        .await;
    let outcome = spotify.pause(&token()).await;
    assert!(
        matches!(outcome, Err(PlayerError::RateLimited { retry_after }) if retry_after.as_secs() == 3600),
        "{outcome:?}"
    );
}

#[tokio::test]
async fn nothing_playing_is_none_and_a_playing_track_is_read() {
    let (server, spotify) = spotify().await;
    Mock::given(method("GET"))
        .and(path("/v1/me/player"))
        .respond_with(ResponseTemplate::new(204))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    assert_eq!(spotify.playback(&token()).await.unwrap(), None);

    Mock::given(method("GET")).and(path("/v1/me/player")).respond_with(ResponseTemplate::new(200).set_body_json(json!({
        "device": {"id": "kitchen", "is_active": true, "is_private_session": false, "is_restricted": false,
                   "name": "Kitchen", "type": "Speaker", "volume_percent": 55, "supports_volume": true},
        "repeat_state": "off", "shuffle_state": false, "timestamp": 1_700_000_000_000_i64,
        "progress_ms": 12_000, "is_playing": true, "currently_playing_type": "track",
        "item": {"id": "1", "uri": "spotify:track:1", "name": "Song", "duration_ms": 200_000,
                 "artists": [{"id": "a", "name": "Band", "uri": "spotify:artist:a"}],
                 "album": {"id": "al", "name": "Album", "images": []}, "explicit": false, "type": "track"}
    }))).mount(&server).await;
    let playback = spotify.playback(&token()).await.unwrap().unwrap();
    assert!(playback.is_playing);
    assert_eq!(playback.progress_ms, Some(12_000));
    assert_eq!(playback.device.unwrap().name, "Kitchen");
    let item = playback.item.unwrap();
    assert_eq!(
        (item.uri.as_str(), item.duration_ms, item.artists),
        ("spotify:track:1", 200_000, vec!["Band".to_owned()])
    );
}

#[tokio::test]
async fn devices_are_listed() {
    let (server, spotify) = spotify().await;
    Mock::given(method("GET")).and(path("/v1/me/player/devices")).respond_with(ResponseTemplate::new(200).set_body_json(json!({
        "devices": [
            {"id": "kitchen", "is_active": false, "name": "Kitchen", "type": "Speaker", "volume_percent": 30},
            {"id": null, "is_active": true, "name": "Restricted TV", "type": "TV", "volume_percent": null}
        ]
    }))).mount(&server).await;
    let devices = spotify.devices(&token()).await.unwrap();
    assert_eq!(devices.len(), 2);
    assert_eq!(
        (devices[0].id.as_deref(), devices[1].id.as_deref()),
        (Some("kitchen"), None)
    );
}

#[tokio::test]
async fn the_account_is_linked_by_account_id_when_present() {
    let (server, spotify) = spotify().await;
    Mock::given(method("GET")).and(path("/v1/me")).respond_with(ResponseTemplate::new(200).set_body_json(json!({
        "id": "user-id", "account_id": "account-id", "display_name": "Ada", "uri": "spotify:user:user-id", "images": []
    }))).up_to_n_times(1).mount(&server).await;
    let account = spotify.account(&token()).await.unwrap();
    assert_eq!(
        (account.id.as_str(), account.display_name.as_deref()),
        ("account-id", Some("Ada"))
    );

    Mock::given(method("GET"))
        .and(path("/v1/me"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "id": "user-id", "display_name": null
        })))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    assert_eq!(spotify.account(&token()).await.unwrap().id, "user-id");

    Mock::given(method("GET"))
        .and(path("/v1/me"))
        .respond_with(ResponseTemplate::new(401).set_body_json(
            json!({"error": {"status": 401, "message": "The access token expired"}}),
        ))
        .mount(&server)
        .await;
    assert!(matches!(
        spotify.account(&token()).await,
        Err(ProviderError::TokenRejected)
    ));
}

#[tokio::test]
async fn a_liked_track_is_read_by_offset_with_the_total() {
    let (server, spotify) = spotify().await;
    Mock::given(method("GET")).and(path("/v1/me/tracks")).and(query_param("limit", "1")).and(query_param("offset", "4"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "href": "x", "limit": 1, "next": null, "offset": 4, "previous": null, "total": 30,
            "items": [{"added_at": "2026-01-01T00:00:00Z", "track": {"uri": "spotify:track:0000000000000000000004", "name": "Four", "duration_ms": 1000, "artists": []}}]
        })))
        .expect(1).mount(&server).await;
    let (total, uri) = spotify.liked_track_at(&token(), 4).await.unwrap();
    assert_eq!(
        (total, uri.as_deref()),
        (30, Some("spotify:track:0000000000000000000004"))
    );
}

fn track_object(id: &str, name: &str) -> serde_json::Value {
    json!({
        "id": id, "uri": format!("spotify:track:{id}"), "name": name, "duration_ms": 201_000,
        "artists": [{"name": "Ada"}, {"name": "Grace"}],
        "album": {"name": "Engines", "images": [
            {"url": "https://i.scdn.co/image/large", "width": 640, "height": 640},
            {"url": "https://i.scdn.co/image/medium", "width": 300, "height": 300},
            {"url": "https://i.scdn.co/image/small", "width": 64, "height": 64}
        ]}
    })
}

#[tokio::test]
async fn tracks_and_searches_come_back_with_names_album_and_a_screen_sized_cover() {
    let (server, spotify) = spotify().await;
    Mock::given(method("GET"))
        .and(path("/v1/tracks/4uLU6hMCjMI75M1A2tKUQC"))
        .and(header("authorization", "Bearer access-token"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(track_object("4uLU6hMCjMI75M1A2tKUQC", "Analytical")),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/tracks/0000000000000000000000"))
        .respond_with(
            ResponseTemplate::new(404)
                .set_body_json(json!({"error": {"status": 404, "message": "Resource not found"}})),
        )
        .mount(&server)
        .await;
    // Development-mode apps may ask for at most ten results.
    Mock::given(method("GET"))
        .and(path("/v1/search"))
        .and(query_param("q", "engine"))
        .and(query_param("type", "track"))
        .and(query_param("limit", "10"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"tracks": {
            "href": "x", "limit": 10, "offset": 0, "total": 2, "next": null, "previous": null,
            "items": [track_object("1111111111111111111111", "One"), track_object("2222222222222222222222", "Two")]
        }})))
        .expect(1)
        .mount(&server)
        .await;

    let found = spotify
        .track(&token(), "4uLU6hMCjMI75M1A2tKUQC")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (
            found.name.as_str(),
            found.artists.clone(),
            found.album.as_deref(),
            found.artwork_url.as_deref()
        ),
        (
            "Analytical",
            vec!["Ada".to_owned(), "Grace".to_owned()],
            Some("Engines"),
            Some("https://i.scdn.co/image/medium")
        )
    );
    assert!(
        spotify
            .track(&token(), "0000000000000000000000")
            .await
            .unwrap()
            .is_none()
    );
    let results = spotify.search(&token(), "engine", 50).await.unwrap();
    assert_eq!(
        results
            .iter()
            .map(|track| track.uri.as_str())
            .collect::<Vec<_>>(),
        [
            "spotify:track:1111111111111111111111",
            "spotify:track:2222222222222222222222"
        ]
    );
    assert!(
        spotify.search(&token(), "  ", 10).await.unwrap().is_empty(),
        "no request for nothing"
    );
}

fn liked_item(n: u32, added_at: &str) -> serde_json::Value {
    json!({
        "added_at": added_at,
        "track": {
            "uri": format!("spotify:track:{n:0>22}"), "name": format!("Song {n}"),
            "artists": [{"name": "Ada"}], "duration_ms": 180_000,
            "album": {"name": "Album", "images": []},
        }
    })
}

#[tokio::test]
async fn liked_tracks_are_read_in_pages_of_fifty_with_their_time_and_a_429_is_surfaced() {
    use soiree_connections::LikesProvider as _;
    let (server, spotify) = spotify().await;
    Mock::given(method("GET"))
        .and(path("/v1/me/tracks"))
        .and(query_param("limit", "50"))
        .and(query_param("offset", "0"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "href": "x", "limit": 50, "offset": 0, "previous": null, "total": 51,
            "next": format!("{}/v1/me/tracks?offset=50&limit=50", server.uri()),
            "items": (0..50).map(|n| liked_item(n, "2026-11-20T10:00:00Z")).collect::<Vec<_>>(),
        })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/me/tracks"))
        .and(query_param("offset", "50"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "href": "x", "limit": 50, "offset": 50, "previous": "x", "total": 51, "next": null,
            // An item whose track is gone (null) is left out, not the page.
            "items": [liked_item(50, "2026-11-01T08:30:00Z"), {"added_at": "2026-10-01T00:00:00Z", "track": null}],
        })))
        .expect(1)
        .mount(&server)
        .await;
    let first = spotify.liked_page(&token(), None).await.unwrap();
    assert_eq!(first.tracks.len(), 50);
    assert_eq!(first.next.as_deref(), Some("50"));
    assert_eq!(first.tracks[0].title, "Song 0");
    assert_eq!(
        first.tracks[0].liked_at,
        Some("2026-11-20T10:00:00Z".parse().unwrap())
    );
    assert_eq!(
        first.tracks[0].link.as_deref(),
        Some("https://open.spotify.com/track/0000000000000000000000")
    );
    let last = spotify
        .liked_page(&token(), first.next.as_deref())
        .await
        .unwrap();
    assert_eq!(last.tracks.len(), 1);
    assert_eq!(last.next, None);

    // A long rate limit comes back with its wait, for the sync to pause that person.
    server.reset().await;
    Mock::given(method("GET"))
        .and(path("/v1/me/tracks"))
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "120"))
        .mount(&server)
        .await;
    assert!(matches!(
        spotify.liked_page(&token(), None).await,
        Err(PlayerError::RateLimited { retry_after }) if retry_after == Duration::from_secs(120)
    ));
}
