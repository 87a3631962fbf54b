//! The pages as HTTP sees them: who may open which, in which language, with which headers, and
//! what a browser gets for an address that does not exist. (`browser.rs` drives them in Chromium.)

use reqwest::header::{
    ACCEPT, ACCEPT_LANGUAGE, CONTENT_SECURITY_POLICY, CONTENT_TYPE, COOKIE, LOCATION,
};
use reqwest::{Response, StatusCode};
use serde_json::{Value, json};

use crate::support::rooms::create_room;
use crate::support::{TestApp, spawn_app};

/// `GET path` as a browser: HTML accepted, a language, and the session cookie of `token`.
async fn visit(app: &TestApp, path: &str, token: Option<&str>, language: &str) -> Response {
    let mut request = app
        .client
        .get(app.url(path))
        .header(ACCEPT, "text/html,application/xhtml+xml,*/*;q=0.8")
        .header(ACCEPT_LANGUAGE, language);
    if let Some(token) = token {
        request = request.header(COOKIE, format!("soiree_session={token}"));
    }
    request.send().await.unwrap()
}

fn location(response: &Response) -> &str {
    response.headers()[LOCATION].to_str().unwrap()
}

#[tokio::test]
async fn the_public_pages_speak_the_browsers_language_and_load_nothing_from_elsewhere() {
    let app = spawn_app().await;
    for path in ["/", "/signup", "/login"] {
        let page = visit(&app, path, None, "en-GB,en;q=0.9").await;
        assert_eq!(page.status(), StatusCode::OK, "{path}");
        assert!(
            page.headers()[CONTENT_TYPE]
                .to_str()
                .unwrap()
                .starts_with("text/html")
        );
        let policy = page.headers()[CONTENT_SECURITY_POLICY]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(
            policy.contains("script-src 'self'") && policy.contains("frame-ancestors 'none'"),
            "{policy}"
        );
        let html = page.text().await.unwrap();
        assert!(html.contains(r#"<html lang="en">"#), "{path}");
        // Every script and style sheet comes from this server, and loads.
        for asset in html
            .split(['"', '\''])
            .filter(|part| part.starts_with("/assets/") || part == &"/favicon.svg")
        {
            let loaded = app.get(asset, None).await;
            assert_eq!(loaded.status(), StatusCode::OK, "{asset}");
            let text = loaded
                .text()
                .await
                .unwrap()
                .replace("http://www.w3.org/2000/svg", "");
            assert!(
                !text.contains("http://") && !text.contains("https://"),
                "{asset} must not load anything from another site"
            );
        }
        assert!(
            !html.contains("http://cdn") && !html.contains("https://"),
            "{path}"
        );
    }

    let french = visit(&app, "/", None, "fr-FR,fr;q=0.9,en;q=0.8")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        french.contains(r#"<html lang="fr">"#) && french.contains("La fête choisit la musique.")
    );
    let german_then_french = visit(&app, "/", None, "de-DE,fr;q=0.5")
        .await
        .text()
        .await
        .unwrap();
    assert!(german_then_french.contains(r#"<html lang="fr">"#));
    let english_first = visit(&app, "/", None, "en-US,fr;q=0.8")
        .await
        .text()
        .await
        .unwrap();
    assert!(english_first.contains("The party picks the music."));
}

#[tokio::test]
async fn pages_for_people_with_an_account_send_others_to_log_in_and_back() {
    let app = spawn_app().await;
    for (path, back) in [
        ("/dashboard", "%2Fdashboard"),
        (
            "/connect?connected=spotify",
            "%2Fconnect%3Fconnected%3Dspotify",
        ),
        ("/settings", "%2Fsettings"),
        ("/music", "%2Fmusic"),
        ("/insights", "%2Finsights"),
        ("/rooms/new", "%2Frooms%2Fnew"),
    ] {
        let page = visit(&app, path, None, "en").await;
        assert_eq!(page.status(), StatusCode::SEE_OTHER, "{path}");
        assert_eq!(location(&page), format!("/login?next={back}"), "{path}");
    }

    let token = app.signed_up("marguerite").await;
    for path in [
        "/dashboard",
        "/connect?connected=spotify",
        "/settings",
        "/music",
        "/insights",
        "/rooms/new",
    ] {
        let page = visit(&app, path, Some(&token), "en").await;
        assert_eq!(page.status(), StatusCode::OK, "{path}");
        let html = page.text().await.unwrap();
        assert!(html.contains("marguerite"), "{path} shows who is signed in");
    }
    let connect = visit(&app, "/connect?connected=spotify", Some(&token), "en").await;
    let html = connect.text().await.unwrap();
    assert!(html.contains("Connect your music") && html.contains("/assets/connect.js"));
    assert!(
        html.contains("/api/v1/connections/spotify/callback"),
        "the page shows the redirect URI to register"
    );

    // Signed in already, the login page goes where it was asked to, and only on this site.
    let login = visit(&app, "/login?next=%2Frooms%2Fnew", Some(&token), "en").await;
    assert_eq!(
        (login.status(), location(&login)),
        (StatusCode::SEE_OTHER, "/rooms/new")
    );
    let elsewhere = visit(
        &app,
        "/login?next=%2F%2Fevil.example%2F",
        Some(&token),
        "en",
    )
    .await;
    assert_eq!(location(&elsewhere), "/dashboard");
    let form = visit(
        &app,
        "/login?next=https%3A%2F%2Fevil.example%2F",
        None,
        "en",
    )
    .await;
    assert!(
        form.text()
            .await
            .unwrap()
            .contains(r#"data-next="/dashboard""#)
    );

    // A session that ended is no session.
    app.logout(&token).await;
    let after = visit(&app, "/dashboard", Some(&token), "en").await;
    assert_eq!(after.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn the_accounts_language_wins_over_the_browsers() {
    let app = spawn_app().await;
    let token = app.signed_up("jeanne").await;
    let changed = app.patch_me(&token, json!({"language": "fr-CA"})).await;
    assert_eq!(changed.status(), StatusCode::OK);
    let html = visit(&app, "/dashboard", Some(&token), "en-US")
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("Bonjour, jeanne"), "{html}");
    let settings = visit(&app, "/settings", Some(&token), "en-US")
        .await
        .text()
        .await
        .unwrap();
    assert!(settings.contains("Réglages"));
}

#[tokio::test]
async fn every_room_has_a_page_a_tv_screen_and_a_qr_code_and_only_rooms_do() {
    let app = spawn_app().await;
    let host = app.signed_up("host").await;
    let created: Value = create_room(&app, &host, json!({"name": "Rooftop <b>party</b>"})).await;
    let code = created["room"]["code"].as_str().unwrap().to_owned();

    // Anyone with the code sees the room's page (to join it); its name is text, not markup.
    let page = visit(&app, &format!("/rooms/{code}"), None, "en").await;
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(
        html.contains("Rooftop &") && !html.contains("<b>party</b>"),
        "{html}"
    );
    assert!(
        html.contains(&format!("{}/rooms/{code}", app.base_url)),
        "the join link"
    );
    assert!(
        html.contains("<svg") && !html.contains("<?xml"),
        "the QR code, inline"
    );

    let tv = visit(&app, &format!("/rooms/{code}/tv"), Some(&host), "en").await;
    assert_eq!(tv.status(), StatusCode::OK);
    assert!(tv.text().await.unwrap().contains(&code));

    // Codes are read in any case and shown in capitals.
    let lower = visit(
        &app,
        &format!("/rooms/{}/tv", code.to_lowercase()),
        None,
        "en",
    )
    .await;
    assert_eq!(
        (lower.status(), location(&lower)),
        (StatusCode::SEE_OTHER, format!("/rooms/{code}/tv").as_str())
    );

    for missing in ["/rooms/ZZZZZZ", "/rooms/not-a-code", "/rooms/ZZZZZZ/tv"] {
        let page = visit(&app, missing, None, "en").await;
        assert_eq!(page.status(), StatusCode::NOT_FOUND, "{missing}");
        assert!(
            page.text()
                .await
                .unwrap()
                .contains("No party has this code"),
            "{missing}"
        );
    }
}

#[tokio::test]
async fn an_unknown_address_is_a_page_for_browsers_and_a_problem_for_programs() {
    let app = spawn_app().await;
    let page = visit(&app, "/no/such/page", None, "fr").await;
    assert_eq!(page.status(), StatusCode::NOT_FOUND);
    assert!(
        page.headers()[CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert!(page.text().await.unwrap().contains("Rien ici"));

    let program = app.get("/no/such/page", None).await;
    assert_eq!(program.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        program.headers()[CONTENT_TYPE],
        "application/problem+json",
        "without Accept: text/html"
    );
    let api = visit(&app, "/api/v1/no-such-route", None, "en").await;
    assert_eq!(api.headers()[CONTENT_TYPE], "application/problem+json");
    let asset = app.get("/assets/missing.js", None).await;
    assert_eq!(asset.status(), StatusCode::NOT_FOUND);
}
