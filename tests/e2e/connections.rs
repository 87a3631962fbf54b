//! Connections and the player through the real binary and the provider simulator.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::{CLIENT_SECRET, problem, spawn_app_with_sim};

#[tokio::test]
async fn connect_spotify_and_the_simulated_device_plays_pauses_and_skips() {
    let t = spawn_app_with_sim().await;
    let token = t.app.signed_up("host").await;
    assert_eq!(
        t.connection(&token, "spotify").await["status"],
        "not_configured"
    );
    assert_eq!(
        t.connection(&token, "tidal").await["status"],
        "not_available"
    );

    let configured: Value = t.configure(&token, "spotify").await.json().await.unwrap();
    assert_eq!(
        (&configured["status"], &configured["client_secret_last4"]),
        (&json!("configured"), &json!("4242"))
    );
    assert!(
        configured["redirect_uri"]
            .as_str()
            .unwrap()
            .ends_with("/api/v1/connections/spotify/callback")
    );
    t.connect(&token, "spotify", "ada").await;
    let connected = t.connection(&token, "spotify").await;
    assert_eq!(
        (&connected["status"], &connected["account_name"]),
        (&json!("connected"), &json!("Ada Lovelace"))
    );

    let liked = t.sim_player("ada").await["liked"].clone();
    let (first, second) = (liked[0].as_str().unwrap(), liked[1].as_str().unwrap());
    let play = json!({"uris": [first, second], "device_id": "ada-speaker"});
    assert_eq!(
        t.app
            .send(Method::PUT, "/api/v1/player/play", Some(&token), Some(play))
            .await
            .status(),
        StatusCode::NO_CONTENT
    );
    let player = t.sim_player("ada").await;
    assert_eq!(
        (
            &player["current"],
            &player["is_playing"],
            &player["active_device"]
        ),
        (&json!(first), &json!(true), &json!("ada-speaker"))
    );

    let now: Value = t
        .app
        .get("/api/v1/player", Some(&token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (
            &now["is_playing"],
            &now["item"]["uri"],
            &now["device"]["name"]
        ),
        (&json!(true), &json!(first), &json!("Living Room"))
    );

    assert_eq!(
        t.app
            .send(Method::PUT, "/api/v1/player/pause", Some(&token), None)
            .await
            .status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(t.sim_player("ada").await["is_playing"], false);
    assert_eq!(
        t.app
            .send(Method::POST, "/api/v1/player/next", Some(&token), None)
            .await
            .status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(t.sim_player("ada").await["current"], json!(second));
    let volume = t
        .app
        .send(
            Method::PUT,
            "/api/v1/player/volume",
            Some(&token),
            Some(json!({"volume_percent": 35})),
        )
        .await;
    assert_eq!(volume.status(), StatusCode::NO_CONTENT);
    assert_eq!(t.sim_player("ada").await["volume"], 35);
    let queued = t
        .app
        .send(
            Method::POST,
            "/api/v1/player/queue",
            Some(&token),
            Some(json!({"uri": first})),
        )
        .await;
    assert_eq!(queued.status(), StatusCode::NO_CONTENT);
    let queue = t.sim_player("ada").await["queue"].clone();
    assert_eq!(
        queue.as_array().and_then(|queue| queue.last()),
        Some(&json!(first)),
        "queued last: {queue}"
    );

    let disconnected = t
        .app
        .send(
            Method::DELETE,
            "/api/v1/connections/spotify",
            Some(&token),
            None,
        )
        .await;
    assert_eq!(
        disconnected.json::<Value>().await.unwrap()["status"],
        "configured",
        "credentials stay"
    );
    let after = problem(
        t.app.get("/api/v1/player", Some(&token)).await,
        StatusCode::CONFLICT,
    )
    .await;
    assert_eq!(after["code"], "not_connected");
}

#[tokio::test]
async fn connect_soundcloud_with_its_rotating_tokens() {
    let t = spawn_app_with_sim().await;
    let token = t.app.signed_up("listener").await;
    t.connect(&token, "soundcloud", "bob").await;
    let connected = t.connection(&token, "soundcloud").await;
    assert_eq!(
        (&connected["status"], &connected["account_name"]),
        (&json!("connected"), &json!("Bob Free"))
    );
}

#[tokio::test]
async fn oa_1_a_callback_with_a_bad_state_is_refused_and_nothing_is_stored() {
    let t = spawn_app_with_sim().await;
    let token = t.app.signed_up("victim").await;
    let other = t.app.signed_up("attacker").await;
    assert_eq!(
        t.configure(&token, "spotify").await.status(),
        StatusCode::OK
    );
    let callback = t.consent(&token, "spotify", "ada", "approve").await;
    let url = url::Url::parse(&callback).unwrap();
    let code = url
        .query_pairs()
        .find(|(name, _)| name == "code")
        .unwrap()
        .1
        .into_owned();
    let state = url
        .query_pairs()
        .find(|(name, _)| name == "state")
        .unwrap()
        .1
        .into_owned();
    let base = format!("{}/api/v1/connections/spotify/callback", t.app.base_url);
    let cases = [
        (
            format!("{base}?code={code}"),
            Some(token.as_str()),
            "invalid_state",
        ),
        (
            format!("{base}?code={code}&state={state}x"),
            Some(token.as_str()),
            "invalid_state",
        ),
        (
            format!("{base}?code={code}&state={state}"),
            Some(other.as_str()),
            "wrong_session",
        ),
        (
            format!("{base}?code={code}&state={state}"),
            None,
            "wrong_session",
        ),
        (
            format!(
                "{}/api/v1/connections/soundcloud/callback?code={code}&state={state}",
                t.app.base_url
            ),
            Some(token.as_str()),
            "invalid_state",
        ),
    ];
    for (callback, session, expected) in cases {
        let refused = problem(
            t.callback(&callback, session).await,
            StatusCode::BAD_REQUEST,
        )
        .await;
        assert_eq!(refused["code"], expected, "{callback}");
        assert_eq!(
            t.connection(&token, "spotify").await["status"],
            "configured",
            "nothing stored"
        );
        assert_eq!(
            t.connection(&other, "spotify").await["status"],
            "not_configured"
        );
    }
    assert_eq!(
        t.callback(&callback, Some(&token)).await.status(),
        StatusCode::FOUND
    );
    let replayed = problem(
        t.callback(&callback, Some(&token)).await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(replayed["code"], "invalid_state", "a state works once");
}

#[tokio::test]
async fn oa_2_the_authorize_url_carries_pkce_s256_and_differs_per_flow() {
    let t = spawn_app_with_sim().await;
    let token = t.app.signed_up("pkce").await;
    t.configure(&token, "spotify").await;
    let url = |body: Value| url::Url::parse(body["auth_url"].as_str().unwrap()).unwrap();
    let first = url(t
        .app
        .get("/api/v1/connections/spotify/authorize", Some(&token))
        .await
        .json()
        .await
        .unwrap());
    let second = url(t
        .app
        .get("/api/v1/connections/spotify/authorize", Some(&token))
        .await
        .json()
        .await
        .unwrap());
    let query = |url: &url::Url, name: &str| {
        url.query_pairs()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.into_owned())
    };
    assert_eq!(
        query(&first, "code_challenge_method").as_deref(),
        Some("S256")
    );
    assert_ne!(
        query(&first, "code_challenge"),
        query(&second, "code_challenge")
    );
    assert_ne!(query(&first, "state"), query(&second, "state"));
    assert!(
        query(&first, "redirect_uri")
            .unwrap()
            .starts_with(&t.app.base_url)
    );
}

#[tokio::test]
async fn oa_3_the_callback_redirects_only_to_the_connect_page() {
    let t = spawn_app_with_sim().await;
    let token = t.app.signed_up("redirects").await;
    t.configure(&token, "spotify").await;
    let callback = t.consent(&token, "spotify", "ada", "approve").await;
    let answer = t
        .callback(
            &format!(
                "{callback}&return_to=https://evil.example/steal&redirect_uri=https://evil.example"
            ),
            Some(&token),
        )
        .await;
    assert_eq!(
        answer.headers()[reqwest::header::LOCATION],
        "/connect?connected=spotify"
    );
    let declined = t.consent(&token, "spotify", "ada", "deny").await;
    let answer = t.callback(&declined, Some(&token)).await;
    assert_eq!(
        answer.headers()[reqwest::header::LOCATION],
        "/connect?error=access_denied"
    );
}

#[tokio::test]
async fn oa_6_twenty_concurrent_player_calls_with_a_stale_token_cause_one_refresh() {
    let t = spawn_app_with_sim().await;
    // A token living 30 s is stale as soon as it is stored (the refresh margin is a minute); the
    // refresh then gets an ordinary hour-long one. Rotation is on, so a second refresh would spend
    // a revoked refresh token and show as needs_reconnect.
    t.sim(
        Method::PUT,
        "/settings",
        json!({"token_lifetime_seconds": 30, "rotate_spotify": true}),
    )
    .await;
    let token = t.app.signed_up("busy").await;
    t.connect(&token, "spotify", "ada").await;
    t.sim(
        Method::PUT,
        "/settings",
        json!({"token_lifetime_seconds": 3600}),
    )
    .await;
    let calls = (0..20)
        .map(|_| {
            let client = t.app.client.clone();
            let url = t.app.url("/api/v1/player/devices");
            let token = token.clone();
            tokio::spawn(async move {
                client
                    .get(url)
                    .bearer_auth(token)
                    .send()
                    .await
                    .unwrap()
                    .status()
            })
        })
        // Spawn every request before awaiting any.
        .collect::<Vec<_>>();
    for call in calls {
        assert_eq!(call.await.unwrap(), StatusCode::OK);
    }
    assert_eq!(
        t.refreshes("spotify"),
        1,
        "exactly one token request for twenty callers; log:\n{}",
        t.app.logs()
    );
}

#[tokio::test]
async fn a_token_the_provider_expired_early_is_refreshed_once_and_the_call_succeeds() {
    let t = spawn_app_with_sim().await;
    let token = t.app.signed_up("early").await;
    t.connect(&token, "spotify", "ada").await;
    t.sim(Method::POST, "/expire", json!({})).await;
    assert_eq!(
        t.app
            .get("/api/v1/player/devices", Some(&token))
            .await
            .status(),
        StatusCode::OK
    );
    assert_eq!(t.refreshes("spotify"), 1);
    assert_eq!(
        t.app
            .get("/api/v1/player/devices", Some(&token))
            .await
            .status(),
        StatusCode::OK
    );
    assert_eq!(
        t.refreshes("spotify"),
        1,
        "the new token is used from then on"
    );
}

#[tokio::test]
async fn oa_7_a_revoked_refresh_token_means_reconnect_without_retrying() {
    let t = spawn_app_with_sim().await;
    t.sim(
        Method::PUT,
        "/settings",
        json!({"token_lifetime_seconds": 30}),
    )
    .await;
    let token = t.app.signed_up("revoked").await;
    t.connect(&token, "spotify", "ada").await;
    t.sim(Method::POST, "/revoke", json!({"provider": "spotify"}))
        .await;
    let first = problem(
        t.app.get("/api/v1/player", Some(&token)).await,
        StatusCode::CONFLICT,
    )
    .await;
    assert_eq!(first["code"], "needs_reconnect");
    let second = problem(
        t.app.get("/api/v1/player", Some(&token)).await,
        StatusCode::CONFLICT,
    )
    .await;
    assert_eq!(second["code"], "needs_reconnect");
    assert_eq!(
        t.refreshes("spotify"),
        1,
        "one refused refresh, no retry loop"
    );
    let status = t.connection(&token, "spotify").await;
    assert_eq!(status["status"], "needs_reconnect");
    assert!(
        status["reason"].as_str().unwrap().contains("connect again"),
        "{status}"
    );
    t.connect(&token, "spotify", "ada").await;
    assert_eq!(
        t.app.get("/api/v1/player", Some(&token)).await.status(),
        StatusCode::OK,
        "reconnecting heals it"
    );
}

#[tokio::test]
async fn player_failures_say_what_to_do() {
    let t = spawn_app_with_sim().await;
    let token = t.app.signed_up("host").await;
    let missing = problem(
        t.app
            .send(Method::PUT, "/api/v1/player/pause", Some(&token), None)
            .await,
        StatusCode::CONFLICT,
    )
    .await;
    assert_eq!(missing["code"], "provider_not_configured");
    assert!(
        missing["detail"]
            .as_str()
            .unwrap()
            .contains("/api/v1/connections/spotify/credentials")
    );

    t.connect(&token, "spotify", "ada").await;
    t.sim(Method::POST, "/users/ada/devices/drop", json!({}))
        .await;
    let idle = problem(
        t.app
            .send(
                Method::PUT,
                "/api/v1/player/play",
                Some(&token),
                Some(json!({})),
            )
            .await,
        StatusCode::CONFLICT,
    )
    .await;
    assert_eq!(idle["code"], "no_active_device");
    assert!(
        idle["detail"]
            .as_str()
            .unwrap()
            .contains("Open Spotify on a device")
    );

    t.sim(
        Method::POST,
        "/faults",
        json!({"route": "PUT /spotify/api/v1/me/player/pause", "status": 429, "retry_after": 3600}),
    )
    .await;
    let limited = t
        .app
        .send(Method::PUT, "/api/v1/player/pause", Some(&token), None)
        .await;
    assert_eq!(limited.headers()[reqwest::header::RETRY_AFTER], "3600");
    assert_eq!(
        problem(limited, StatusCode::TOO_MANY_REQUESTS).await["code"],
        "rate_limited"
    );

    let free = t.app.signed_up("guest").await;
    t.connect(&free, "spotify", "bob").await;
    let premium = problem(
        t.app
            .send(Method::PUT, "/api/v1/player/pause", Some(&free), None)
            .await,
        StatusCode::FORBIDDEN,
    )
    .await;
    assert_eq!(premium["code"], "premium_required");
}

#[tokio::test]
async fn resume_plays_the_accounts_last_context_on_a_known_device() {
    let t = spawn_app_with_sim().await;
    let token = t.app.signed_up("resume").await;
    t.connect(&token, "spotify", "ada").await;
    let resumed = t
        .app
        .send(
            Method::PUT,
            "/api/v1/player/play",
            Some(&token),
            Some(json!({})),
        )
        .await;
    assert_eq!(resumed.status(), StatusCode::NO_CONTENT);
    let player = t.sim_player("ada").await;
    assert_eq!(
        (&player["is_playing"], &player["current"]),
        (&json!(true), &player["liked"][0])
    );
}

#[tokio::test]
async fn a_play_without_an_active_device_is_retried_on_a_known_device() {
    let t = spawn_app_with_sim().await;
    let token = t.app.signed_up("retry").await;
    t.connect(&token, "spotify", "ada").await;
    let liked = t.sim_player("ada").await["liked"][0].clone();
    let played = t
        .app
        .send(
            Method::PUT,
            "/api/v1/player/play",
            Some(&token),
            Some(json!({"uris": [liked]})),
        )
        .await;
    assert_eq!(played.status(), StatusCode::NO_CONTENT);
    let player = t.sim_player("ada").await;
    assert_eq!(
        (&player["current"], &player["active_device"]),
        (&liked, &json!("ada-speaker"))
    );
}

#[tokio::test]
async fn az_1_another_users_connection_is_never_visible_or_usable() {
    let t = spawn_app_with_sim().await;
    let owner = t.app.signed_up("owner").await;
    let stranger = t.app.signed_up("stranger").await;
    t.connect(&owner, "spotify", "ada").await;
    let theirs = t.connection(&stranger, "spotify").await;
    assert_eq!(
        (
            &theirs["status"],
            &theirs["client_id"],
            &theirs["account_name"]
        ),
        (&json!("not_configured"), &Value::Null, &Value::Null)
    );
    let refused = problem(
        t.app.get("/api/v1/player", Some(&stranger)).await,
        StatusCode::CONFLICT,
    )
    .await;
    assert_eq!(refused["code"], "provider_not_configured");
    let deleted = t
        .app
        .send(
            Method::DELETE,
            "/api/v1/connections/spotify?forget_credentials=true",
            Some(&stranger),
            None,
        )
        .await;
    assert_eq!(deleted.status(), StatusCode::OK);
    assert_eq!(
        t.connection(&owner, "spotify").await["status"],
        "connected",
        "the stranger's delete touched only their own"
    );
    problem(
        t.app.get("/api/v1/connections", None).await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
}

#[tokio::test]
async fn oa_4_secrets_and_tokens_never_appear_in_responses_or_logs() {
    let t = spawn_app_with_sim().await;
    let token = t.app.signed_up("careful").await;
    let mut bodies = vec![t.configure(&token, "spotify").await.text().await.unwrap()];
    t.connect(&token, "spotify", "ada").await;
    t.sim(Method::POST, "/expire", json!({})).await;
    for path in [
        "/api/v1/connections",
        "/api/v1/player",
        "/api/v1/player/devices",
        "/api/v1/me",
    ] {
        bodies.push(t.app.get(path, Some(&token)).await.text().await.unwrap());
    }
    let logs = t.app.logs();
    assert!(
        logs.contains("access token refreshed"),
        "the log was captured:\n{logs}"
    );
    // The simulator's codes and tokens all carry these prefixes.
    for canary in [CLIENT_SECRET, "code-", "access-", "refresh-"] {
        for body in &bodies {
            assert!(!body.contains(canary), "{canary} in a response: {body}");
        }
        assert!(!logs.contains(canary), "{canary} in the log:\n{logs}");
    }
}

#[tokio::test]
async fn unknown_and_unavailable_providers_are_404_with_a_reason() {
    let t = spawn_app_with_sim().await;
    let token = t.app.signed_up("curious").await;
    let tidal = problem(
        t.app
            .get("/api/v1/connections/tidal/authorize", Some(&token))
            .await,
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_eq!(tidal["code"], "provider_not_available");
    let myspace = problem(
        t.app
            .get("/api/v1/connections/myspace/authorize", Some(&token))
            .await,
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_eq!(myspace["code"], "unknown_provider");
    let unconfigured = problem(
        t.app
            .get("/api/v1/connections/spotify/authorize", Some(&token))
            .await,
        StatusCode::CONFLICT,
    )
    .await;
    assert_eq!(unconfigured["code"], "provider_not_configured");
    let bad = json!({"client_id": "has space", "client_secret": "x"});
    let invalid = problem(
        t.app
            .send(
                Method::PUT,
                "/api/v1/connections/spotify/credentials",
                Some(&token),
                Some(bad),
            )
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(invalid["code"], "invalid_client_id");
}

#[tokio::test]
async fn demo_mode_lets_a_newcomer_connect_and_play_without_a_provider_account() {
    let app = crate::support::spawn_app_with(&[("SOIREE_DEMO", "true")]).await;
    let login = app.login("demo", "soiree-demo-party").await;
    assert_eq!(login.status(), StatusCode::OK, "the demo account exists");
    let token = login.json::<Value>().await.unwrap()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let connections: Value = app
        .get("/api/v1/connections", Some(&token))
        .await
        .json()
        .await
        .unwrap();
    let statuses: Vec<&str> = connections["connections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| entry["status"].as_str().unwrap())
        .collect();
    assert_eq!(
        statuses,
        ["configured", "configured", "not_available"],
        "both demo apps are configured"
    );

    // The browser's part: the consent page of the in-process simulator, then the callback.
    let callback = crate::support::consent(&app, &token, "spotify", "ada", "approve").await;
    let back = app
        .client
        .get(callback)
        .header(reqwest::header::COOKIE, format!("soiree_session={token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        back.headers()[reqwest::header::LOCATION],
        "/connect?connected=spotify"
    );
    let played = app
        .send(
            Method::PUT,
            "/api/v1/player/play",
            Some(&token),
            Some(json!({})),
        )
        .await;
    assert_eq!(
        played.status(),
        StatusCode::NO_CONTENT,
        "the simulated speaker plays"
    );
    let now: Value = app
        .get("/api/v1/player", Some(&token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(now["is_playing"], true);
}

#[tokio::test]
async fn a_seek_past_the_end_moves_to_the_next_track_and_the_player_keeps_answering() {
    let t = spawn_app_with_sim().await;
    let token = t.app.signed_up("seeker").await;
    t.connect(&token, "spotify", "ada").await;
    let liked = t.sim_player("ada").await["liked"].clone();
    let (first, second) = (liked[0].as_str().unwrap(), liked[1].as_str().unwrap());
    let play = json!({"uris": [first, second], "device_id": "ada-speaker"});
    let played = t
        .app
        .send(Method::PUT, "/api/v1/player/play", Some(&token), Some(play))
        .await;
    assert_eq!(played.status(), StatusCode::NO_CONTENT);
    // Far past the end of the track, as a slider dragged too far or a careless program might.
    for position in [86_400_000_u64, u64::from(u32::MAX) * 1000] {
        let seek = t
            .app
            .send(
                Method::PUT,
                "/api/v1/player/seek",
                Some(&token),
                Some(json!({"position_ms": position})),
            )
            .await;
        assert!(seek.status().is_success(), "{}", seek.status());
        let now = t.app.get("/api/v1/player", Some(&token)).await;
        assert_eq!(now.status(), StatusCode::OK, "the player still answers");
    }
    // As Spotify does: the first seek moved on to the next track, the second past its end too,
    // and with nothing after it the player stopped.
    let player = t.sim_player("ada").await;
    assert_eq!(player["current"], Value::Null, "{player}");
    let history = player["history"].as_array().unwrap();
    assert_eq!(
        history[history.len() - 2..],
        [json!(first), json!(second)],
        "{player}"
    );
}
