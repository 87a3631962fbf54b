//! Cookie-authenticated changes come from Soirée's own pages only (cross-site request forgery).

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::support::rooms::create_room;
use crate::support::{TestApp, problem, spawn_app};

/// Sends `method path` with the session cookie `token`, as a browser page at `origin` would.
async fn from_page(
    app: &TestApp,
    method: Method,
    path: &str,
    token: &str,
    origin: Option<&str>,
) -> reqwest::Response {
    let mut request = app
        .client
        .request(method, app.url(path))
        .header(reqwest::header::COOKIE, format!("soiree_session={token}"));
    if let Some(origin) = origin {
        request = request.header(reqwest::header::ORIGIN, origin);
    }
    request.send().await.unwrap()
}

#[tokio::test]
async fn a_foreign_page_cannot_close_a_room_disconnect_or_log_out_with_the_cookie() {
    let app = spawn_app().await;
    let host = app.signed_up("host").await;
    let code = create_room(&app, &host, json!({})).await["room"]["code"]
        .as_str()
        .unwrap()
        .to_owned();
    let foreign = Some("https://evil.example");
    for (method, path) in [
        (Method::POST, format!("/api/v1/rooms/{code}/close")),
        (Method::DELETE, "/api/v1/connections/spotify".to_owned()),
        (Method::POST, "/api/v1/auth/logout".to_owned()),
    ] {
        let refused = from_page(&app, method.clone(), &path, &host, foreign).await;
        assert_eq!(
            problem(refused, StatusCode::FORBIDDEN).await["code"],
            "origin_not_allowed",
            "{method} {path}"
        );
        let silent = from_page(&app, method.clone(), &path, &host, None).await;
        assert_eq!(
            silent.status(),
            StatusCode::FORBIDDEN,
            "no Origin nor Referer: {method} {path}"
        );
    }
    let snapshot: serde_json::Value = app
        .get(&format!("/api/v1/rooms/{code}"), Some(&host))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(snapshot["room"]["closed"], false, "nothing was done");
    assert_eq!(
        app.me(&host).await.status(),
        StatusCode::OK,
        "still logged in"
    );

    // The server's own pages may; so may a program with a bearer token.
    let own = app.base_url.clone();
    let closed = from_page(
        &app,
        Method::POST,
        &format!("/api/v1/rooms/{code}/close"),
        &host,
        Some(&own),
    )
    .await;
    assert_eq!(closed.status(), StatusCode::OK);
    let referred = app
        .client
        .post(app.url("/api/v1/auth/logout"))
        .header(reqwest::header::COOKIE, format!("soiree_session={host}"))
        .header(reqwest::header::REFERER, format!("{own}/dashboard"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        referred.status(),
        StatusCode::NO_CONTENT,
        "a Referer of this site will do"
    );
    let other = app.signed_up("other").await;
    let by_bearer = app
        .client
        .post(app.url("/api/v1/auth/logout"))
        .bearer_auth(&other)
        .header(reqwest::header::COOKIE, format!("soiree_session={other}"))
        .header(reqwest::header::ORIGIN, "https://evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(
        by_bearer.status(),
        StatusCode::NO_CONTENT,
        "a bearer token cannot be forged by a page"
    );
}
