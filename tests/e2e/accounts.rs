//! Accounts and sessions through the real binary.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{
    PASSWORD, TestApp, eventually, problem, spawn_app, spawn_app_on_postgres, spawn_app_with,
};

/// register → login → me → patch → logout → 401, as a client would do it.
async fn account_journey(app: &TestApp) {
    let registered = app.register("Ada", PASSWORD, Some("ada@example.org")).await;
    assert_eq!(registered.status(), StatusCode::CREATED);
    let user: Value = registered.json().await.unwrap();
    assert_eq!(
        (user["username"].as_str(), user["email"].as_str()),
        (Some("Ada"), Some("ada@example.org"))
    );
    assert_eq!(user["tier"], "free");
    assert!(
        user.get("password").is_none() && user.get("password_hash").is_none(),
        "{user}"
    );
    assert!(!user.to_string().contains("argon2"), "{user}");

    let login = app.login("ada@EXAMPLE.org", PASSWORD).await;
    assert_eq!(login.status(), StatusCode::OK);
    let session: Value = login.json().await.unwrap();
    let token = session["token"].as_str().unwrap().to_owned();
    assert_eq!(session["token_type"], "Bearer");
    assert_eq!(session["user"]["id"], user["id"]);

    let me: Value = app.me(&token).await.json().await.unwrap();
    assert_eq!(me["id"], user["id"]);

    let patched = app
        .patch_me(
            &token,
            json!({"display_name": "DJ Ada", "language": "fr-CA", "timezone": "Europe/Paris"}),
        )
        .await;
    assert_eq!(patched.status(), StatusCode::OK);
    let cleared = app.patch_me(&token, json!({"language": null})).await;
    let after: Value = cleared.json().await.unwrap();
    assert_eq!(
        (
            &after["display_name"],
            &after["language"],
            &after["timezone"]
        ),
        (&json!("DJ Ada"), &Value::Null, &json!("Europe/Paris"))
    );
    assert!(
        after.get("language").is_none(),
        "an unset field is absent, as the OpenAPI document says, not null: {after}"
    );
    let me_again: Value = app.me(&token).await.json().await.unwrap();
    assert_eq!(me_again, after, "the change was stored");

    assert_eq!(app.logout(&token).await.status(), StatusCode::NO_CONTENT);
    let body = problem(app.me(&token).await, StatusCode::UNAUTHORIZED).await;
    assert_eq!(body["code"], "unauthenticated");
}

#[tokio::test]
async fn account_journey_on_sqlite() {
    account_journey(&spawn_app().await).await;
}

#[tokio::test]
async fn account_journey_on_postgres() {
    // Without PostgreSQL the support has said so (and failed under CI).
    if let Some(app) = spawn_app_on_postgres().await {
        account_journey(&app).await;
    }
}

#[tokio::test]
async fn usernames_and_emails_are_unique_regardless_of_case() {
    let app = spawn_app().await;
    assert_eq!(
        app.register("party", PASSWORD, Some("host@example.org"))
            .await
            .status(),
        StatusCode::CREATED
    );
    let same_name = problem(
        app.register("PARTY", PASSWORD, None).await,
        StatusCode::CONFLICT,
    )
    .await;
    assert_eq!(same_name["code"], "username_taken");
    let same_email = problem(
        app.register("other", PASSWORD, Some("Host@Example.org"))
            .await,
        StatusCode::CONFLICT,
    )
    .await;
    assert_eq!(same_email["code"], "email_taken");
}

#[tokio::test]
async fn bad_registrations_say_which_value_to_fix() {
    let app = spawn_app().await;
    let cases = [
        ("ab", PASSWORD, None, "invalid_username"),
        ("has space", PASSWORD, None, "invalid_username"),
        ("ada", PASSWORD, Some("not-an-address"), "invalid_email"),
        ("ada", "short", None, "weak_password"),
        ("ada", "password123", None, "weak_password"),
    ];
    for (username, password, email, code) in cases {
        let body = problem(
            app.register(username, password, email).await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
        assert_eq!(body["code"], code, "{username} / {email:?}");
        assert!(
            !body["detail"].as_str().unwrap().contains(password),
            "the detail never repeats the password"
        );
    }
}

#[tokio::test]
async fn pw_2_a_100_character_password_works_and_its_99_character_prefix_does_not() {
    let app = spawn_app().await;
    let long: String = "party-".repeat(17).chars().take(100).collect();
    assert_eq!(
        app.register("longpass", &long, None).await.status(),
        StatusCode::CREATED
    );
    assert_eq!(app.login("longpass", &long).await.status(), StatusCode::OK);
    let prefix = problem(
        app.login("longpass", &long[..99]).await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
    assert_eq!(prefix["code"], "invalid_credentials");
    let common = problem(
        app.register("commoner", "password123", None).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(common["code"], "weak_password");
}

#[tokio::test]
async fn au_1_unknown_user_and_wrong_password_answer_identically() {
    let app = spawn_app().await;
    app.signed_up("known").await;
    let wrong_password = app.login("known", "not the password").await;
    let unknown_user = app.login("unknown", "not the password").await;
    assert_eq!(wrong_password.status(), unknown_user.status());
    assert_eq!(wrong_password.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        wrong_password.text().await.unwrap(),
        unknown_user.text().await.unwrap()
    );
}

#[tokio::test]
async fn au_2_after_ten_failures_even_the_right_password_gets_the_generic_answer() {
    let app = spawn_app().await;
    app.signed_up("target").await;
    let generic = app
        .login("target", "wrong guess")
        .await
        .text()
        .await
        .unwrap();
    for _ in 1..10 {
        assert_eq!(
            app.login("target", "wrong guess").await.status(),
            StatusCode::UNAUTHORIZED
        );
    }
    let throttled = app.login("target", PASSWORD).await;
    assert_eq!(throttled.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        throttled.text().await.unwrap(),
        generic,
        "a throttled account gets the same answer"
    );
    // The growing wait itself is shown with a controllable clock in soiree-users' service tests.
}

#[tokio::test]
async fn se_1_each_login_is_a_new_session_and_logout_ends_only_its_own() {
    let app = spawn_app().await;
    let first = app.signed_up("ada").await;
    let second_login: Value = app.login("ada", PASSWORD).await.json().await.unwrap();
    let second = second_login["token"].as_str().unwrap();
    assert_ne!(first, second);
    assert_eq!(app.logout(&first).await.status(), StatusCode::NO_CONTENT);
    problem(app.me(&first).await, StatusCode::UNAUTHORIZED).await;
    assert_eq!(app.me(second).await.status(), StatusCode::OK);
    problem(app.logout(&first).await, StatusCode::UNAUTHORIZED).await;
}

#[tokio::test]
async fn se_2_the_idle_timeout_is_configurable() {
    let app = spawn_app_with(&[("SOIREE_SESSION_IDLE_TIMEOUT", "2s")]).await;
    let token = app.signed_up("sleepy").await;
    assert_eq!(app.me(&token).await.status(), StatusCode::OK);
    eventually(Duration::from_secs(20), "the idle session ends", || async {
        app.me(&token).await.status() == StatusCode::UNAUTHORIZED
    })
    .await;
}

fn set_cookie(response: &reqwest::Response) -> String {
    response
        .headers()
        .get(reqwest::header::SET_COOKIE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test]
async fn se_3_the_session_cookie_is_http_only_lax_and_works_for_the_api() {
    let app = spawn_app().await;
    app.register("cookie", PASSWORD, None).await;
    let login = app.login("cookie", PASSWORD).await;
    let cookie = set_cookie(&login);
    let token = login.json::<Value>().await.unwrap()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        cookie,
        format!("soiree_session={token}; Path=/; Max-Age=86400; HttpOnly; SameSite=Lax")
    );

    let by_cookie = app
        .client
        .get(app.url("/api/v1/me"))
        .header(reqwest::header::COOKIE, format!("soiree_session={token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(by_cookie.status(), StatusCode::OK);

    let logout = app.logout(&token).await;
    assert!(
        set_cookie(&logout).starts_with("soiree_session=; Path=/; Max-Age=0;"),
        "logout clears the cookie"
    );
}

#[tokio::test]
async fn se_3_the_cookie_is_secure_when_the_public_url_is_https() {
    let app = spawn_app_with(&[("SOIREE_PUBLIC_URL", "https://party.example.org")]).await;
    app.register("secure", PASSWORD, None).await;
    let cookie = set_cookie(&app.login("secure", PASSWORD).await);
    assert!(
        cookie.ends_with("; HttpOnly; SameSite=Lax; Secure"),
        "{cookie}"
    );
}

#[tokio::test]
async fn az_2_fields_that_are_not_the_callers_to_set_are_refused() {
    let app = spawn_app().await;
    let sneaky = json!({"username": "sneaky", "password": PASSWORD, "tier": "vip"});
    let refused = app
        .send(
            reqwest::Method::POST,
            "/api/v1/auth/register",
            None,
            Some(sneaky),
        )
        .await;
    assert_eq!(
        problem(refused, StatusCode::BAD_REQUEST).await["code"],
        "bad_request"
    );
    assert_eq!(
        app.login("sneaky", PASSWORD).await.status(),
        StatusCode::UNAUTHORIZED,
        "nothing was created"
    );

    let token = app.signed_up("honest").await;
    for field in [
        json!({"tier": "vip"}),
        json!({"username": "root"}),
        json!({"id": "x"}),
        json!({"role": "admin"}),
        json!({"owner_id": "x"}),
        json!({"operator": true}),
    ] {
        let body = problem(
            app.patch_me(&token, field.clone()).await,
            StatusCode::BAD_REQUEST,
        )
        .await;
        let detail = body["detail"].as_str().unwrap();
        assert!(
            detail.contains("a field this operation does not take"),
            "{field}: {body}"
        );
        // The caller's own words are not repeated back (they could be anything).
        let name = field.as_object().unwrap().keys().next().unwrap();
        assert!(!detail.contains(name.as_str()), "{field}: {body}");
    }
    // Choosing a tier names no account: the caller's own, and only where self-service is on.
    let aimed = app
        .send(
            reqwest::Method::POST,
            "/api/v1/me/tier",
            Some(&token),
            Some(json!({"tier": "vip", "user_id": "someone-else"})),
        )
        .await;
    assert_eq!(aimed.status(), StatusCode::BAD_REQUEST);
    let me: Value = app.me(&token).await.json().await.unwrap();
    assert_eq!(
        (&me["tier"], &me["username"]),
        (&json!("free"), &json!("honest"))
    );
}

#[tokio::test]
async fn profile_values_are_checked() {
    let app = spawn_app().await;
    let token = app.signed_up("checked").await;
    let cases = [
        (json!({"display_name": ""}), "invalid_display_name"),
        (json!({"language": "english"}), "invalid_language"),
        (json!({"timezone": "Mars/Olympus"}), "invalid_timezone"),
    ];
    for (body, code) in cases {
        let refused = problem(
            app.patch_me(&token, body.clone()).await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
        assert_eq!(refused["code"], code, "{body}");
    }
    let me: Value = app.me(&token).await.json().await.unwrap();
    assert_eq!(
        (&me["display_name"], &me["language"], &me["timezone"]),
        (&Value::Null, &Value::Null, &Value::Null)
    );
}

/// How many times the server logged `line` (password checks leave one line each).
fn logged(app: &TestApp, line: &str) -> usize {
    app.logs().lines().filter(|row| row.contains(line)).count()
}

/// Fires `count` wrong passwords for `username` at once, spread over `apps`.
async fn parallel_wrong_passwords(apps: &[&TestApp], username: &str, count: usize) {
    let attempts: Vec<_> = (0..count)
        .map(|attempt| {
            let client = apps[attempt % apps.len()].client.clone();
            let url = apps[attempt % apps.len()].url("/api/v1/auth/login");
            let body = json!({"username": username, "password": format!("guess {attempt}")});
            // Spawned before any is awaited, so that they really are in flight together.
            tokio::spawn(async move { client.post(url).json(&body).send().await.unwrap().status() })
        })
        .collect();
    for attempt in attempts {
        assert_eq!(attempt.await.unwrap(), StatusCode::UNAUTHORIZED);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn au_2_a_hundred_wrong_passwords_at_once_get_ten_password_checks() {
    let app = spawn_app().await;
    app.signed_up("besieged").await;
    parallel_wrong_passwords(&[&app], "besieged", 100).await;
    assert_eq!(
        logged(&app, "login failed: wrong password"),
        10,
        "{}",
        app.logs()
    );
    assert_eq!(logged(&app, "login refused: account throttled"), 90);
    assert_eq!(
        app.login("besieged", PASSWORD).await.status(),
        StatusCode::UNAUTHORIZED,
        "the owner waits out the throttle too"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn au_2_a_hundred_wrong_passwords_at_once_through_two_instances_get_ten_checks() {
    let Some((a, b, _sim)) = crate::support::spawn_pair_on_postgres(&[]).await else {
        return; // The support has said why (and failed under CI).
    };
    a.signed_up("besieged").await;
    parallel_wrong_passwords(&[&a, &b], "besieged", 100).await;
    let checks =
        logged(&a, "login failed: wrong password") + logged(&b, "login failed: wrong password");
    assert_eq!(checks, 10, "one budget for both instances");
}

#[tokio::test]
async fn au_1_throttled_unknown_and_wrong_password_answers_take_alike_long() {
    async fn timed(app: &TestApp, username: &str, password: &str) -> (Duration, String) {
        let started = std::time::Instant::now();
        let response = app.login(username, password).await;
        let took = started.elapsed();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        (took, response.text().await.unwrap())
    }
    fn median(mut samples: Vec<Duration>) -> Duration {
        samples.sort();
        samples[samples.len() / 2]
    }
    let app = spawn_app().await;
    app.signed_up("target").await;
    app.signed_up("throttled").await;
    for _ in 0..10 {
        let _ = app.login("throttled", "guess").await;
    }
    let (mut unknown, mut wrong, mut throttled) = (Vec::new(), Vec::new(), Vec::new());
    let mut bodies = std::collections::HashSet::new();
    // Interleaved, so that whatever else the machine does falls on all three alike.
    for round in 0..15 {
        let (took, body) = timed(&app, &format!("nobody{round}"), "guess").await;
        unknown.push(took);
        bodies.insert(body);
        // A different account for wrong passwords, kept under its throttle by a success.
        let (took, body) = timed(&app, "target", "guess").await;
        wrong.push(took);
        bodies.insert(body);
        if round % 5 == 4 {
            assert_eq!(app.login("target", PASSWORD).await.status(), StatusCode::OK);
        }
        let (took, body) = timed(&app, "throttled", PASSWORD).await;
        throttled.push(took);
        bodies.insert(body);
    }
    assert_eq!(bodies.len(), 1, "one answer for all three: {bodies:?}");
    let medians = [median(unknown), median(wrong), median(throttled)];
    let (fastest, slowest) = (medians.iter().min().unwrap(), medians.iter().max().unwrap());
    // Each costs one Argon2 verification; before, a throttled answer came ten times sooner.
    assert!(
        slowest.as_secs_f64() < fastest.as_secs_f64() * 2.0,
        "medians (unknown, wrong, throttled): {medians:?}"
    );
}

/// Logs `username` in with [`PASSWORD`] from a browser that calls itself `device`.
async fn login_from(app: &TestApp, username: &str, device: &str) -> String {
    let response = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .header("user-agent", device)
        .json(&json!({"username": username, "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    body["token"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn se_1_a_person_lists_their_sessions_and_ends_one_or_every_other() {
    let app = spawn_app().await;
    let first = app.signed_up("many").await;
    let phone = login_from(&app, "many", "Phone browser").await;
    let laptop = login_from(&app, "many", "Laptop browser").await;
    let stranger = app.signed_up("stranger").await;

    let listed: Value = app
        .get("/api/v1/me/sessions", Some(&laptop))
        .await
        .json()
        .await
        .unwrap();
    let sessions = listed["sessions"].as_array().unwrap();
    assert_eq!(sessions.len(), 3, "{listed}");
    let current: Vec<&Value> = sessions.iter().filter(|s| s["current"] == true).collect();
    assert_eq!(current.len(), 1);
    assert_eq!(current[0]["device"], "Laptop browser");
    assert_eq!(current[0]["address"], "127.0.0.1");
    let phone_id = sessions
        .iter()
        .find(|s| s["device"] == "Phone browser")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();

    // Another person's session is not theirs to end, nor is an unknown one.
    let theirs: Value = app
        .get("/api/v1/me/sessions", Some(&stranger))
        .await
        .json()
        .await
        .unwrap();
    let theirs = theirs["sessions"][0]["id"].as_str().unwrap().to_owned();
    for id in [theirs.as_str(), "0190a000-0000-7000-8000-000000000000"] {
        let refused = app
            .send(
                reqwest::Method::DELETE,
                &format!("/api/v1/me/sessions/{id}"),
                Some(&laptop),
                None,
            )
            .await;
        assert_eq!(
            problem(refused, StatusCode::NOT_FOUND).await["code"],
            "session_not_found"
        );
    }
    assert_eq!(app.me(&stranger).await.status(), StatusCode::OK);

    let ended = app
        .send(
            reqwest::Method::DELETE,
            &format!("/api/v1/me/sessions/{phone_id}"),
            Some(&laptop),
            None,
        )
        .await;
    assert_eq!(ended.status(), StatusCode::NO_CONTENT);
    assert_eq!(app.me(&phone).await.status(), StatusCode::UNAUTHORIZED);

    let others: Value = app
        .send(
            reqwest::Method::DELETE,
            "/api/v1/me/sessions",
            Some(&laptop),
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(others["revoked"], 1, "the sign-up's session");
    assert_eq!(app.me(&first).await.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(app.me(&laptop).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_password_change_needs_the_current_password_and_ends_every_other_session() {
    let app = spawn_app().await;
    let here = app.signed_up("changer").await;
    let elsewhere = login_from(&app, "changer", "Old tablet").await;
    let change =
        |current: &str, new: &str| json!({"current_password": current, "new_password": new});
    let wrong = app
        .send(
            reqwest::Method::PUT,
            "/api/v1/me/password",
            Some(&here),
            Some(change("guess", "a new long passphrase")),
        )
        .await;
    assert_eq!(
        problem(wrong, StatusCode::FORBIDDEN).await["code"],
        "wrong_password"
    );
    let weak = app
        .send(
            reqwest::Method::PUT,
            "/api/v1/me/password",
            Some(&here),
            Some(change(PASSWORD, "password")),
        )
        .await;
    assert_eq!(
        problem(weak, StatusCode::UNPROCESSABLE_ENTITY).await["code"],
        "weak_password"
    );
    let changed = app
        .send(
            reqwest::Method::PUT,
            "/api/v1/me/password",
            Some(&here),
            Some(change(PASSWORD, "a new long passphrase")),
        )
        .await;
    assert_eq!(changed.status(), StatusCode::OK);
    assert_eq!(changed.json::<Value>().await.unwrap()["revoked"], 1);
    assert_eq!(app.me(&elsewhere).await.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        app.me(&here).await.status(),
        StatusCode::OK,
        "this session goes on"
    );
    assert_eq!(
        app.login("changer", PASSWORD).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.login("changer", "a new long passphrase").await.status(),
        StatusCode::OK
    );
}
