//! Rate limits as callers meet them (RL-1): a program's budget is its tier's, people on the pages
//! have their own, anonymous surfaces count per client address, every limit holds under
//! parallel requests and across two processes on PostgreSQL, and a refusal says when to come
//! back.

use futures_util::future::join_all;
use reqwest::header::{COOKIE, ORIGIN, RETRY_AFTER};
use reqwest::{Method, Response, StatusCode};
use serde_json::json;

use crate::support::rooms::create_room;
use crate::support::{PASSWORD, TestApp, problem, spawn_app_with, spawn_pair_on_postgres};

/// A tier table in the test's own directory.
fn tier_file(contents: &str) -> (tempfile::TempDir, String) {
    let directory = tempfile::tempdir().unwrap();
    let path = directory.path().join("tiers.toml");
    std::fs::write(&path, contents).unwrap();
    let path = path.to_str().unwrap().to_owned();
    (directory, path)
}

fn header<'r>(response: &'r Response, name: &str) -> &'r str {
    response
        .headers()
        .get(name)
        .map_or("", |value| value.to_str().unwrap())
}

/// How many of `responses` were let through, and how many refused with a proper 429.
async fn tally(responses: Vec<Response>) -> (usize, usize) {
    let mut through = 0;
    let mut refused = 0;
    for response in responses {
        if response.status() == StatusCode::TOO_MANY_REQUESTS {
            assert!(response.headers().contains_key(RETRY_AFTER));
            let body = problem(response, StatusCode::TOO_MANY_REQUESTS).await;
            assert_eq!(body["code"], "rate_limited");
            refused += 1;
        } else {
            through += 1;
        }
    }
    (through, refused)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn rl_1_a_programs_budget_is_its_tiers_and_a_refusal_says_when_to_come_back() {
    let (_directory, tiers) = tier_file(
        r#"
        [tiers.free]
        api_requests = "5/hour"
        [pages]
        requests = "1000/minute"
        "#,
    );
    let app = spawn_app_with(&[("SOIREE_TIERS_FILE", &tiers)]).await;
    let token = app.signed_up("program").await;

    let first = app.me(&token).await;
    assert_eq!(first.status(), StatusCode::OK);
    assert_eq!(header(&first, "ratelimit-policy"), "\"api\";q=5;w=3600");
    let standing = header(&first, "ratelimit");
    assert!(standing.starts_with("\"api\";r=4;t="), "{standing}");

    // The rest of the hour's budget, asked for all at once: exactly four more get through.
    let burst = join_all((0..12).map(|_| app.me(&token))).await;
    assert_eq!(tally(burst).await, (4, 8), "5 an hour, not more");

    let refused = app.me(&token).await;
    let wait: u64 = header(&refused, "retry-after").parse().unwrap();
    assert!((1..=3600).contains(&wait), "{wait}");
    let body = problem(refused, StatusCode::TOO_MANY_REQUESTS).await;
    let detail = body["detail"].as_str().unwrap();
    assert!(
        detail.contains("tier (free) allows 5 API requests an hour")
            && detail.contains("Try again in"),
        "{detail}"
    );

    // The same person on the pages (the session cookie) has a budget of their own.
    let from_pages = app
        .client
        .get(app.url("/api/v1/me"))
        .header(COOKIE, format!("soiree_session={token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(from_pages.status(), StatusCode::OK);
    assert_eq!(
        header(&from_pages, "ratelimit-policy"),
        "\"pages\";q=1000;w=60"
    );

    // Another account's budget is untouched.
    let other = app.signed_up("other").await;
    assert_eq!(app.me(&other).await.status(), StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn rl_1_anonymous_surfaces_count_per_address_and_codes_are_slow_to_guess() {
    let (_directory, tiers) = tier_file(
        r#"
        [anonymous]
        logins = "3/minute"
        registrations = "3/hour"
        room_lookups = "4/minute"
        guest_joins = "2/hour"
        "#,
    );
    let app = spawn_app_with(&[("SOIREE_TIERS_FILE", &tiers)]).await;
    // One registration and one login spent on the host.
    let host = app.signed_up("host").await;

    // Logins, all at once, some claiming to come from elsewhere: two more get an answer.
    let logins = join_all((0..8).map(|n| {
        app.client
            .post(app.url("/api/v1/auth/login"))
            .header("x-forwarded-for", format!("198.51.100.{n}"))
            .json(&json!({"username": "nobody", "password": "wrong password here"}))
            .send()
    }))
    .await
    .into_iter()
    .map(Result::unwrap)
    .collect();
    assert_eq!(
        tally(logins).await,
        (2, 6),
        "X-Forwarded-For from an untrusted peer is ignored"
    );

    // Registrations: three an hour from one address.
    let mut registrations = Vec::new();
    for n in 0..3 {
        registrations.push(app.register(&format!("newcomer{n}"), PASSWORD, None).await);
    }
    assert_eq!(tally(registrations).await, (2, 1));

    // Room look-ups: unknown and existing codes, pages and API alike, four a minute; after that
    // nothing tells a real code from a made-up one.
    let code = create_room(&app, &host, json!({})).await["room"]["code"]
        .as_str()
        .unwrap()
        .to_owned();
    let lookups = [
        app.get(&format!("/rooms/{code}"), None).await,
        app.get("/rooms/ZZZZZZ", None).await,
        app.get(&format!("/api/v1/rooms/{code}"), None).await,
        app.get("/api/v1/rooms/ZZZZZZ", None).await,
    ];
    assert!(
        lookups
            .iter()
            .all(|answer| answer.status() != StatusCode::TOO_MANY_REQUESTS)
    );
    for path in [
        format!("/rooms/{code}"),
        "/rooms/ZZZZZZ".to_owned(),
        format!("/api/v1/rooms/{code}/join"),
    ] {
        let answer = app.send(Method::GET, &path, None, None).await;
        assert_eq!(answer.status(), StatusCode::TOO_MANY_REQUESTS, "{path}");
    }
    // The host, signed in, is not an anonymous visitor.
    assert_eq!(
        app.get(&format!("/api/v1/rooms/{code}"), Some(&host))
            .await
            .status(),
        StatusCode::OK
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn rl_1_one_budget_across_two_instances_on_postgresql() {
    let (_directory, tiers) = tier_file("[tiers.free]\napi_requests = \"6/hour\"\n");
    let Some((a, b, _sim)) = spawn_pair_on_postgres(&[("SOIREE_TIERS_FILE", &tiers)]).await else {
        return; // The support has said why (and failed under CI).
    };
    let token = a.signed_up("spender").await;
    // 20 requests at once, alternating between the two processes: six in all get through.
    let apps: [&TestApp; 2] = [&a, &b];
    let answers = join_all((0..20).map(|n| apps[n % 2].me(&token))).await;
    assert_eq!(
        tally(answers).await,
        (6, 14),
        "one budget, not one per process"
    );
}

#[tokio::test]
async fn a_page_on_another_site_cannot_spend_a_persons_budget() {
    let (_directory, tiers) = tier_file("[pages]\nrequests = \"2/minute\"\n");
    let app = spawn_app_with(&[("SOIREE_TIERS_FILE", &tiers)]).await;
    let token = app.signed_up("visitor").await;
    let with_cookie = |method: Method, path: &str| {
        app.client
            .request(method, app.url(path))
            .header(COOKIE, format!("soiree_session={token}"))
    };
    // A foreign page is refused before anything is counted.
    for _ in 0..3 {
        let foreign = with_cookie(Method::POST, "/api/v1/auth/logout")
            .header(ORIGIN, "https://evil.example")
            .send()
            .await
            .unwrap();
        assert_eq!(foreign.status(), StatusCode::FORBIDDEN);
    }
    // So the person's own two requests of the minute are still there, and a third is not.
    for expected in [
        StatusCode::OK,
        StatusCode::OK,
        StatusCode::TOO_MANY_REQUESTS,
    ] {
        let own = with_cookie(Method::GET, "/api/v1/me").send().await.unwrap();
        assert_eq!(own.status(), expected);
    }
}
