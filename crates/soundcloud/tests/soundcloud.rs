//! The SoundCloud adapter against a wiremock SoundCloud.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use secrecy::{ExposeSecret as _, SecretString};
use serde_json::json;
use soiree_connections::{
    ClientCredentials, ClientId, ClientSecret, OAuthProvider as _, ProviderError, TokenError,
};
use soiree_soundcloud::{SoundCloud, SoundCloudConfig};
use wiremock::matchers::{body_string_contains, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

async fn soundcloud() -> (MockServer, SoundCloud) {
    let server = MockServer::start().await;
    let config = SoundCloudConfig {
        auth_url: server.uri(),
        api_url: server.uri(),
    };
    (server, SoundCloud::new(&config).unwrap())
}

fn credentials() -> ClientCredentials {
    ClientCredentials {
        client_id: ClientId::parse("sc-id").unwrap(),
        client_secret: ClientSecret::parse(&SecretString::from("sc-secret")).unwrap(),
    }
}

#[tokio::test]
async fn the_profile_is_read_with_an_oauth_header_and_linked_by_urn() {
    let (server, soundcloud) = soundcloud().await;
    Mock::given(method("GET"))
        .and(path("/me"))
        .and(header("authorization", "OAuth the-token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"urn": "soundcloud:users:42", "username": "ada", "full_name": "Ada L."}),
        ))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    let account = soundcloud
        .account(&SecretString::from("the-token"))
        .await
        .unwrap();
    assert_eq!(
        (account.id.as_str(), account.display_name.as_deref()),
        ("soundcloud:users:42", Some("Ada L."))
    );

    // Older answers carry only a numeric id; it becomes the URN.
    Mock::given(method("GET"))
        .and(path("/me"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"id": 7, "username": "bob", "full_name": ""})),
        )
        .up_to_n_times(1)
        .mount(&server)
        .await;
    let account = soundcloud
        .account(&SecretString::from("the-token"))
        .await
        .unwrap();
    assert_eq!(
        (account.id.as_str(), account.display_name.as_deref()),
        ("soundcloud:users:7", Some("bob"))
    );

    Mock::given(method("GET"))
        .and(path("/me"))
        .respond_with(ResponseTemplate::new(401))
        .mount(&server)
        .await;
    assert!(matches!(
        soundcloud.account(&SecretString::from("x")).await,
        Err(ProviderError::TokenRejected)
    ));
}

#[tokio::test]
async fn refreshes_send_credentials_as_form_fields_and_take_the_rotated_token() {
    let (server, soundcloud) = soundcloud().await;
    Mock::given(method("POST")).and(path("/oauth/token"))
        .and(body_string_contains("client_id=sc-id")).and(body_string_contains("client_secret=sc-secret"))
        .and(body_string_contains("grant_type=refresh_token")).and(body_string_contains("refresh_token=r1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "access_token": "a2", "token_type": "bearer", "expires_in": 3599, "refresh_token": "r2", "scope": ""
        })))
        .expect(1).mount(&server).await;
    let grant = soundcloud
        .refresh(&credentials(), &SecretString::from("r1"))
        .await
        .unwrap();
    assert_eq!(
        grant
            .refresh_token
            .map(|token| token.expose_secret().to_owned()),
        Some("r2".into())
    );
}

#[tokio::test]
async fn a_reused_refresh_token_is_invalid_grant_in_either_error_shape() {
    for body in [
        json!({"error": "invalid_grant"}),
        json!({"code": 400, "message": "invalid_grant", "errors": [], "error": null}),
    ] {
        let (server, soundcloud) = soundcloud().await;
        Mock::given(method("POST"))
            .respond_with(ResponseTemplate::new(400).set_body_json(body.clone()))
            .expect(1)
            .mount(&server)
            .await;
        let outcome = soundcloud
            .refresh(&credentials(), &SecretString::from("used"))
            .await;
        assert!(
            matches!(outcome, Err(TokenError::InvalidGrant(_))),
            "{body}: {outcome:?}"
        );
    }
}

#[tokio::test]
async fn authorization_urls_require_pkce_and_carry_no_scope() {
    let (_server, soundcloud) = soundcloud().await;
    let start = soundcloud
        .start_authorization(
            &ClientId::parse("sc-id").unwrap(),
            "http://127.0.0.1:8000/api/v1/connections/soundcloud/callback",
        )
        .unwrap();
    assert!(
        start.authorize_url.contains("code_challenge_method=S256"),
        "{}",
        start.authorize_url
    );
    assert!(
        !start.authorize_url.contains("scope="),
        "{}",
        start.authorize_url
    );
}

#[tokio::test]
async fn liked_tracks_follow_next_href_on_the_configured_api_until_it_is_absent() {
    use soiree_connections::LikesProvider as _;
    use wiremock::matchers::query_param;
    let (server, soundcloud) = soundcloud().await;
    let token = SecretString::from("the-token");
    let track = |n: u64| {
        json!({"urn": format!("soundcloud:tracks:{n}"), "title": format!("Track {n}"), "duration": 90_000,
               "user": {"username": "dj"}, "permalink_url": format!("https://soundcloud.com/dj/{n}")})
    };
    Mock::given(method("GET"))
        .and(path("/me/likes/tracks"))
        .and(header("authorization", "OAuth the-token"))
        .and(query_param("limit", "200"))
        .and(query_param("linked_partitioning", "true"))
        .and(wiremock::matchers::query_param_is_missing("cursor"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "collection": [track(1), track(2)],
            // A next page named on another host: followed on the configured API only.
            "next_href": "https://elsewhere.example/me/likes/tracks?limit=200&linked_partitioning=true&cursor=abc",
        })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/me/likes/tracks"))
        .and(query_param("cursor", "abc"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            // The last page leaves next_href out.
            "collection": [track(3), {"id": 4, "title": "Numeric id", "duration": 1000, "metadata_artist": "Someone"}],
        })))
        .expect(1)
        .mount(&server)
        .await;
    let first = soundcloud.liked_page(&token, None).await.unwrap();
    assert_eq!(first.tracks.len(), 2);
    assert_eq!(first.tracks[0].uri, "soundcloud:tracks:1");
    assert_eq!(first.tracks[0].artists, ["dj"]);
    assert_eq!(first.tracks[0].liked_at, None);
    let last = soundcloud
        .liked_page(&token, first.next.as_deref())
        .await
        .unwrap();
    assert_eq!(last.next, None);
    assert_eq!(last.tracks[1].uri, "soundcloud:tracks:4");
    assert_eq!(last.tracks[1].artists, ["Someone"]);

    // 429 with a long wait is surfaced with it.
    server.reset().await;
    Mock::given(method("GET"))
        .and(path("/me/likes/tracks"))
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "600"))
        .mount(&server)
        .await;
    assert!(matches!(
        soundcloud.liked_page(&token, None).await,
        Err(soiree_connections::PlayerError::RateLimited { retry_after })
            if retry_after == std::time::Duration::from_secs(600)
    ));
}

#[tokio::test]
async fn oa_4_a_downloadable_like_is_fetched_by_range_on_the_api_and_its_storage_gets_no_token() {
    use soiree_connections::{LikesProvider as _, PlayerError};
    let (server, soundcloud) = soundcloud().await;
    let token = SecretString::from("the-token");
    // The likes list names the download on another host: it is asked for on the API.
    Mock::given(method("GET"))
        .and(path("/me/likes/tracks"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"collection": [
            {"urn": "soundcloud:tracks:7", "title": "Free", "duration": 1000, "downloadable": true,
             "download_url": "https://elsewhere.example/tracks/7/download"},
            {"urn": "soundcloud:tracks:8", "title": "Kept", "duration": 1000, "downloadable": false,
             "download_url": null},
        ]})))
        .mount(&server)
        .await;
    let page = soundcloud.liked_page(&token, None).await.unwrap();
    let url = page.tracks[0].download_url.clone().unwrap();
    assert_eq!(
        url,
        format!("{}/tracks/soundcloud:tracks:7/download", server.uri())
    );
    assert_eq!(page.tracks[1].download_url, None);

    // The API redirects to its storage; the storage answers the range without seeing the token.
    Mock::given(method("GET"))
        .and(path("/tracks/soundcloud:tracks:7/download"))
        .and(header("authorization", "OAuth the-token"))
        .and(header("range", "bytes=100-199"))
        .respond_with(ResponseTemplate::new(302).insert_header("Location", "/storage/7.wav?sig=x"))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/storage/7.wav"))
        .and(header("range", "bytes=100-199"))
        .respond_with(
            ResponseTemplate::new(206)
                .insert_header("Content-Range", "bytes 100-199/250")
                .set_body_bytes(vec![9_u8; 100]),
        )
        .expect(1)
        .mount(&server)
        .await;
    let piece = soundcloud.file_piece(&token, &url, 100, 100).await.unwrap();
    assert_eq!((piece.bytes.len(), piece.total), (100, Some(250)));
    let storage_requests: Vec<_> = server
        .received_requests()
        .await
        .unwrap()
        .into_iter()
        .filter(|request| request.url.path().starts_with("/storage/"))
        .collect();
    assert!(
        storage_requests
            .iter()
            .all(|request| !request.headers.contains_key("authorization")),
        "the token stays with the API"
    );

    // A server that ignores ranges: the piece is cut out of the whole file.
    server.reset().await;
    Mock::given(method("GET"))
        .and(path("/tracks/soundcloud:tracks:7/download"))
        .respond_with(ResponseTemplate::new(200).set_body_bytes((0..250_u8).collect::<Vec<_>>()))
        .mount(&server)
        .await;
    let piece = soundcloud.file_piece(&token, &url, 200, 100).await.unwrap();
    assert_eq!(piece.bytes, (200..250_u8).collect::<Vec<_>>());

    // No longer downloadable; an address elsewhere is refused without a request.
    server.reset().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(404))
        .mount(&server)
        .await;
    assert!(matches!(
        soundcloud.file_piece(&token, &url, 0, 100).await,
        Err(PlayerError::Rejected(_))
    ));
    let before = server.received_requests().await.unwrap().len();
    assert!(matches!(
        soundcloud
            .file_piece(
                &token,
                "https://elsewhere.example/tracks/7/download",
                0,
                100
            )
            .await,
        Err(PlayerError::Rejected(_))
    ));
    assert_eq!(server.received_requests().await.unwrap().len(), before);
}
