//! `GET /metrics`: off without the operator's token, and counting what people do with labels
//! that stay few (route templates, never paths; no account anywhere).

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::support::rooms::{connected_host, create_room, join_as_guest, vote};
use crate::support::{PASSWORD, TestApp, spawn_app, spawn_app_with_sim_and};

const TOKEN: &str = "scrape-7f3a9c1e5b2d4f60a8e1c3b5d7f9a1c3";

async fn scrape(app: &TestApp) -> String {
    let response = app.get("/metrics", Some(TOKEN)).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/openmetrics-text"),
        "Prometheus reads the OpenMetrics text format"
    );
    response.text().await.unwrap()
}

/// The value of the sample `line` (name and labels exactly as written), if present.
fn sample(text: &str, line: &str) -> Option<f64> {
    text.lines()
        .find_map(|row| row.strip_prefix(line)?.strip_prefix(' ')?.parse().ok())
}

#[tokio::test]
async fn metrics_are_off_without_a_token_and_refuse_a_wrong_one() {
    let app = spawn_app().await;
    assert_eq!(
        app.get("/metrics", None).await.status(),
        StatusCode::NOT_FOUND
    );

    let t = spawn_app_with_sim_and(&[("SOIREE_METRICS_TOKEN", TOKEN)]).await;
    assert_eq!(
        t.app.get("/metrics", None).await.status(),
        StatusCode::UNAUTHORIZED
    );
    let wrong = t.app.get("/metrics", Some("scrape-wrong")).await;
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    assert!(
        !wrong.text().await.unwrap().contains("soiree_"),
        "nothing leaks"
    );
}

#[tokio::test]
async fn metrics_count_logins_rooms_votes_and_provider_calls_by_template_and_outcome() {
    let t = spawn_app_with_sim_and(&[("SOIREE_METRICS_TOKEN", TOKEN)]).await;
    let app = &t.app;
    let host = connected_host(&t, "metered").await;
    assert_eq!(
        app.login("metered", "not the password").await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.login("metered", PASSWORD).await.status(),
        StatusCode::OK
    );
    let room = create_room(app, &host, json!({"name": "Counted", "like_threshold": 1})).await;
    let code = room["room"]["code"].as_str().unwrap().to_owned();
    let (_, guest) = join_as_guest(app, &code, "Ada").await;
    let track = "spotify:track:4uLU6hMCjMI75M1A2tKUQC";
    assert_eq!(
        vote(app, &code, &guest, track, true).await.status(),
        StatusCode::OK
    );
    let player = app.get("/api/v1/player", Some(&host)).await;
    assert_eq!(player.status(), StatusCode::OK);
    let refused = app
        .send(Method::PUT, "/api/v1/me", Some(&host), Some(json!({})))
        .await;
    assert_eq!(refused.status(), StatusCode::METHOD_NOT_ALLOWED);

    let text = scrape(app).await;
    let expectations = [
        (r#"soiree_registrations_total{outcome="created"}"#, 1.0),
        // Signing up logs in once, then the test logs in again.
        (r#"soiree_logins_total{outcome="success"}"#, 2.0),
        (r#"soiree_logins_total{outcome="refused"}"#, 1.0),
        (r#"soiree_votes_total{outcome="accepted"}"#, 1.0),
        (r#"soiree_room_events_total{type="track_ready"}"#, 1.0),
        (r#"soiree_rooms_open"#, 1.0),
        (r#"soiree_accounts{tier="free"}"#, 1.0),
        (
            r#"soiree_connection_attempts_total{provider="spotify",outcome="ok"}"#,
            1.0,
        ),
        (
            r#"soiree_http_requests_total{route="/api/v1/rooms/{code}/join",method="POST",status="200"}"#,
            1.0,
        ),
        (
            r#"soiree_http_requests_total{route="/api/v1/me",method="PUT",status="405"}"#,
            1.0,
        ),
    ];
    for (line, expected) in expectations {
        assert_eq!(sample(&text, line), Some(expected), "{line} in:\n{text}");
    }
    let provider_calls: f64 = text
        .lines()
        .filter(|row| row.starts_with(r#"soiree_provider_requests_total{provider="spotify""#))
        .filter_map(|row| row.rsplit(' ').next()?.parse::<f64>().ok())
        .sum();
    assert!(
        provider_calls >= 2.0,
        "the token exchange and the player read:\n{text}"
    );
    assert_eq!(
        sample(
            &text,
            r#"soiree_http_request_duration_seconds_count{route="/api/v1/rooms/{code}/votes",method="POST"}"#
        ),
        Some(1.0),
        "latency by route template:\n{text}"
    );
    // Labels never carry what a person typed or an identifier.
    for private in [
        code.as_str(),
        "metered",
        "Ada",
        track,
        "4uLU6hMCjMI75M1A2tKUQC",
    ] {
        assert!(!text.contains(private), "{private} leaked into the metrics");
    }
}
