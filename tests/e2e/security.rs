//! Two-step login, step-up, the security log, export and erasure, through the real binary.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use soiree_users::TotpSeed;

use crate::support::rooms::{closed, connected_host, create_room, queue, subscribe, until, vote};
use crate::support::{
    PASSWORD, TestApp, eventually, problem, spawn_app, spawn_app_with, spawn_app_with_sim,
};

const TRACK: &str = "spotify:track:4uLU6hMCjMI75M1A2tKUQC";

/// The code an authenticator app shows now for `seed`.
fn code_now(seed: &TotpSeed) -> String {
    seed.code_at(chrono::Utc::now())
}

/// Enrols `token`'s account in two-step login; its seed and recovery codes.
async fn enrol(app: &TestApp, token: &str) -> (TotpSeed, Vec<String>) {
    let enrolment = app
        .send(Method::POST, "/api/v1/auth/mfa/totp", Some(token), None)
        .await;
    assert_eq!(enrolment.status(), StatusCode::OK);
    let enrolment: Value = enrolment.json().await.unwrap();
    assert!(enrolment["qr_svg"].as_str().unwrap().starts_with("<svg"));
    let uri = enrolment["otpauth_uri"].as_str().unwrap();
    assert!(uri.starts_with("otpauth://totp/"), "{uri}");
    let seed = TotpSeed::from_base32(enrolment["secret"].as_str().unwrap()).unwrap();
    // Nothing changes until a code confirms it.
    assert_eq!(
        app.login_status_of(token).await,
        json!({"enabled": false, "recovery_codes_left": 0})
    );
    let wrong = app
        .send(
            Method::POST,
            "/api/v1/auth/mfa/totp/confirm",
            Some(token),
            Some(json!({"code": "12345"})),
        )
        .await;
    assert_eq!(
        problem(wrong, StatusCode::FORBIDDEN).await["code"],
        "invalid_code"
    );
    let confirmed = app
        .send(
            Method::POST,
            "/api/v1/auth/mfa/totp/confirm",
            Some(token),
            Some(json!({"code": code_now(&seed)})),
        )
        .await;
    assert_eq!(confirmed.status(), StatusCode::OK);
    let codes: Value = confirmed.json().await.unwrap();
    let codes = codes["recovery_codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|code| code.as_str().unwrap().to_owned())
        .collect::<Vec<_>>();
    assert_eq!(codes.len(), 10);
    (seed, codes)
}

impl TestApp {
    async fn login_status_of(&self, token: &str) -> Value {
        let status: Value = self
            .get("/api/v1/auth/mfa", Some(token))
            .await
            .json()
            .await
            .unwrap();
        let mut status = status;
        status.as_object_mut().unwrap().remove("enabled_at");
        status
    }

    /// The first step of a login of an account with two-step login: its challenge.
    async fn challenge(&self, username: &str) -> String {
        let first = self.login(username, PASSWORD).await;
        assert_eq!(first.status(), StatusCode::ACCEPTED);
        let first: Value = first.json().await.unwrap();
        assert_eq!(first["code"], "mfa_required");
        assert!(
            first.get("token").is_none(),
            "no session before the second step"
        );
        first["challenge"].as_str().unwrap().to_owned()
    }

    async fn second_step(&self, challenge: &str, code: &str) -> reqwest::Response {
        self.send(
            Method::POST,
            "/api/v1/auth/login/mfa",
            None,
            Some(json!({"challenge": challenge, "code": code})),
        )
        .await
    }
}

#[tokio::test]
async fn mf_1_two_step_login_accepts_each_code_once() {
    let app = spawn_app().await;
    let token = app.signed_up("ada").await;
    let (seed, _codes) = enrol(&app, &token).await;

    // The code that confirmed enrolment is used; the next step's code is accepted (one step of
    // drift either way).
    let code = seed.code_at(chrono::Utc::now() + chrono::Duration::seconds(30));
    let challenge = app.challenge("ada").await;
    let signed_in = app.second_step(&challenge, &code).await;
    assert_eq!(signed_in.status(), StatusCode::OK);
    let body: Value = signed_in.json().await.unwrap();
    assert_eq!(
        app.me(body["token"].as_str().unwrap()).await.status(),
        StatusCode::OK
    );

    // The same code again, on a new challenge: refused, as a wrong code is.
    let again = app.challenge("ada").await;
    let reused = app.second_step(&again, &code).await;
    assert_eq!(
        problem(reused, StatusCode::UNAUTHORIZED).await["code"],
        "invalid_code"
    );
    // The used challenge is gone.
    let replayed = app.second_step(&challenge, &code).await;
    assert_eq!(
        problem(replayed, StatusCode::UNAUTHORIZED).await["code"],
        "challenge_expired"
    );
}

#[tokio::test]
async fn mf_2_recovery_codes_work_once_and_disabling_needs_the_password_or_a_code() {
    let app = spawn_app().await;
    let token = app.signed_up("ada").await;
    let (_seed, codes) = enrol(&app, &token).await;
    let challenge = app.challenge("ada").await;
    assert_eq!(
        app.second_step(&challenge, &codes[0]).await.status(),
        StatusCode::OK
    );
    let challenge = app.challenge("ada").await;
    let reused = app.second_step(&challenge, &codes[0]).await;
    assert_eq!(
        problem(reused, StatusCode::UNAUTHORIZED).await["code"],
        "invalid_code"
    );
    assert_eq!(app.login_status_of(&token).await["recovery_codes_left"], 9);

    let disable = |proof: &str| {
        app.send(
            Method::DELETE,
            "/api/v1/auth/mfa/totp",
            Some(&token),
            Some(json!({"password_or_code": proof})),
        )
    };
    let refused = disable("not the password").await;
    assert_eq!(
        problem(refused, StatusCode::FORBIDDEN).await["code"],
        "invalid_code"
    );
    assert_eq!(disable(PASSWORD).await.status(), StatusCode::NO_CONTENT);
    assert_eq!(app.login("ada", PASSWORD).await.status(), StatusCode::OK);

    let events: Value = app
        .get("/api/v1/me/security-events", Some(&token))
        .await
        .json()
        .await
        .unwrap();
    let kinds: Vec<&str> = events["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|event| event["kind"].as_str().unwrap())
        .collect();
    for kind in [
        "mfa_enabled",
        "recovery_code_used",
        "login_failed",
        "mfa_disabled",
    ] {
        assert!(kinds.contains(&kind), "{kind} in {kinds:?}");
    }
}

#[tokio::test]
async fn sensitive_changes_need_a_recent_authentication() {
    let app = spawn_app_with(&[("SOIREE_REAUTHENTICATION_WINDOW", "2s")]).await;
    let token = app.signed_up("ada").await;
    eventually(Duration::from_secs(10), "the login to age", || {
        let enrol = app.send(Method::POST, "/api/v1/auth/mfa/totp", Some(&token), None);
        async { enrol.await.status() == StatusCode::FORBIDDEN }
    })
    .await;
    let stale = app
        .send(Method::DELETE, "/api/v1/me", Some(&token), None)
        .await;
    assert_eq!(
        problem(stale, StatusCode::FORBIDDEN).await["code"],
        "reauthentication_required"
    );
    let credentials = app
        .send(
            Method::PUT,
            "/api/v1/connections/spotify/credentials",
            Some(&token),
            Some(json!({"client_id": "app", "client_secret": "0123456789abcdef0123"})),
        )
        .await;
    assert_eq!(
        problem(credentials, StatusCode::FORBIDDEN).await["code"],
        "reauthentication_required"
    );
    let wrong = app
        .send(
            Method::POST,
            "/api/v1/auth/reauthenticate",
            Some(&token),
            Some(json!({"password": "not the password"})),
        )
        .await;
    assert_eq!(
        problem(wrong, StatusCode::FORBIDDEN).await["code"],
        "wrong_password"
    );
    let confirmed = app
        .send(
            Method::POST,
            "/api/v1/auth/reauthenticate",
            Some(&token),
            Some(json!({"password": PASSWORD})),
        )
        .await;
    assert_eq!(confirmed.status(), StatusCode::OK);
    let enrol = app
        .send(Method::POST, "/api/v1/auth/mfa/totp", Some(&token), None)
        .await;
    assert_eq!(enrol.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_login_from_a_new_device_is_flagged_until_acknowledged() {
    let app = spawn_app().await;
    let token = app.signed_up("ada").await;
    let phone = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .header(
            "user-agent",
            "Mozilla/5.0 (Linux; Android 15) Chrome/141.0 Mobile Safari/537.36",
        )
        .json(&json!({"username": "ada", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(phone.status(), StatusCode::OK);
    let events: Value = app
        .get("/api/v1/me/security-events", Some(&token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(events["needs_attention"], 1, "{events}");
    assert_eq!(events["events"][0]["new_device"], true);
    let acknowledged = app
        .send(
            Method::POST,
            "/api/v1/me/security-events/acknowledge",
            Some(&token),
            None,
        )
        .await;
    assert_eq!(acknowledged.status(), StatusCode::OK);
    let events: Value = app
        .get("/api/v1/me/security-events", Some(&token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(events["needs_attention"], 0);
}

#[tokio::test]
async fn gd_1_export_holds_the_persons_data_and_erasure_removes_them() {
    let t = spawn_app_with_sim().await;
    let app = &t.app;
    let ada = connected_host(&t, "ada").await;
    let bob = connected_host(&t, "bob").await;
    // Ada hosts a room Bob votes in; Bob hosts a room Ada votes in.
    let party = json!({"name": "A party", "like_threshold": 10});
    let adas = create_room(app, &ada, party.clone()).await;
    let bobs = create_room(app, &bob, party).await;
    let (adas, bobs) = (
        adas["room"]["code"].as_str().unwrap().to_owned(),
        bobs["room"]["code"].as_str().unwrap().to_owned(),
    );
    let adas_id = app.me(&ada).await.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    for (token, code) in [(&bob, &adas), (&ada, &bobs)] {
        let joined = app
            .send(
                Method::POST,
                &format!("/api/v1/rooms/{code}/join"),
                Some(token),
                None,
            )
            .await;
        assert_eq!(joined.status(), StatusCode::OK);
        assert!(
            vote(app, code, token, TRACK, true)
                .await
                .status()
                .is_success()
        );
    }
    assert!(
        vote(app, &bobs, &bob, TRACK, true)
            .await
            .status()
            .is_success()
    );

    let playlist = app
        .send(
            Method::POST,
            "/api/v1/playlists",
            Some(&ada),
            Some(json!({"name": "Ada's mix"})),
        )
        .await;
    assert_eq!(playlist.status(), StatusCode::CREATED);
    let app_password: Value = app
        .send(
            Method::POST,
            "/api/v1/me/app-passwords",
            Some(&ada),
            Some(json!({"name": "Ada's phone"})),
        )
        .await
        .json()
        .await
        .unwrap();
    let app_secret = app_password["password"].as_str().unwrap().to_owned();
    let uploaded =
        crate::uploads::upload(app, &ada, "mine.flac", crate::uploads::flac("Mine")).await;
    assert_eq!(uploaded.status(), StatusCode::CREATED);
    let export = app.get("/api/v1/me/export", Some(&ada)).await;
    assert_eq!(export.status(), StatusCode::OK);
    assert!(
        export.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("soiree-export-ada.json")
    );
    let text = export.text().await.unwrap();
    let data: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(data["format"], "soiree-export/1");
    assert_eq!(data["account"]["username"], "ada");
    assert_eq!(data["rooms"].as_array().unwrap().len(), 2, "{text}");
    assert_eq!(data["votes"][0]["room"], bobs.as_str());
    assert_eq!(data["connections"][0]["status"], "connected");
    assert_eq!(data["playlists"][0]["name"], "Ada's mix");
    assert_eq!(data["app_passwords"][0]["name"], "Ada's phone");
    assert_eq!(data["uploads"][0]["title"], "Mine");
    assert!(!text.contains(&app_secret), "an app password in the export");
    assert!(!data["sessions"].as_array().unwrap().is_empty());
    assert!(!data["security_events"].as_array().unwrap().is_empty());
    // No secret: not the session token, not the provider app's secret, not a token.
    assert!(!text.contains(&ada), "the session token is in the export");
    assert!(!text.contains(crate::support::CLIENT_SECRET), "{text}");
    for secret_word in [
        "client_secret",
        "access_token",
        "refresh_token",
        "password_hash",
        "\"password\"",
        "seed",
    ] {
        assert!(!text.contains(secret_word), "{secret_word} in {text}");
    }

    // Ada follows Bob's room, Bob follows hers, when she erases her account.
    let mut adas_socket = subscribe(app, &bobs, &ada, None, 0).await.unwrap();
    let mut bobs_socket = subscribe(app, &adas, &bob, None, 0).await.unwrap();
    let erased = app
        .send(Method::DELETE, "/api/v1/me", Some(&ada), None)
        .await;
    assert_eq!(erased.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        crate::uploads::files_under(&app.data_dir().join("uploads")),
        0,
        "her uploaded files go with her"
    );
    assert!(
        closed(&mut adas_socket).await,
        "her socket ends with her sessions"
    );
    let mut told = Vec::new();
    until(&mut bobs_socket, "room_closed", &mut told).await;
    assert_eq!(
        problem(app.login("ada", PASSWORD).await, StatusCode::UNAUTHORIZED).await["code"],
        "invalid_credentials"
    );
    assert_eq!(
        app.get("/api/v1/me/export", Some(&ada)).await.status(),
        StatusCode::UNAUTHORIZED
    );
    // Ada's vote in Bob's room still counts; her room is gone; Bob's export names her nowhere.
    let bobs_queue = queue(app, &bobs, &bob).await;
    assert_eq!(bobs_queue["tracks"][0]["likes"], 2, "{bobs_queue}");
    assert_eq!(
        app.get(&format!("/api/v1/rooms/{adas}"), Some(&bob))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    let participants: Value = app
        .get(&format!("/api/v1/rooms/{bobs}/participants"), Some(&bob))
        .await
        .json()
        .await
        .unwrap();
    let names: Vec<&str> = participants["participants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|participant| participant["display_name"].as_str().unwrap())
        .collect();
    assert_eq!(names.len(), 2, "{participants}");
    assert!(!names.contains(&"ada"), "{names:?}");
    assert!(
        !participants.to_string().contains(&adas_id),
        "{participants}"
    );
    // The room's replayed events name her no more either.
    let mut socket = subscribe(app, &bobs, &bob, None, 0).await.unwrap();
    let mut seen = Vec::new();
    until(&mut socket, "vote_tallied", &mut seen).await;
    let joined: Vec<&Value> = seen
        .iter()
        .filter(|event| event["type"] == "participant_joined")
        .collect();
    // The host is in the room from its creation; Ada's join is the one event that named her.
    assert_eq!(joined.len(), 1, "{seen:?}");
    let name = joined[0]["display_name"].as_str().unwrap();
    assert!(name.starts_with("Former guest "), "{name}");
    let bobs_export = app
        .get("/api/v1/me/export", Some(&bob))
        .await
        .text()
        .await
        .unwrap();
    assert!(!bobs_export.contains(&adas_id), "{bobs_export}");
    assert!(!bobs_export.contains(&adas), "Ada's room in {bobs_export}");
    // The name is free again.
    assert_eq!(
        app.register("ada", PASSWORD, None).await.status(),
        StatusCode::CREATED
    );
}

#[tokio::test]
async fn app_passwords_are_shown_once_listed_without_secrets_and_revoked_by_their_owner_only() {
    let app = spawn_app().await;
    let ada = app.signed_up("ada").await;
    let bob = app.signed_up("bob").await;
    let made = app
        .send(
            Method::POST,
            "/api/v1/me/app-passwords",
            Some(&ada),
            Some(json!({"name": "Phone"})),
        )
        .await;
    assert_eq!(made.status(), StatusCode::CREATED);
    let made: Value = made.json().await.unwrap();
    let secret = made["password"].as_str().unwrap().to_owned();
    assert_eq!(secret.len(), 24);
    let listed = app
        .get("/api/v1/me/app-passwords", Some(&ada))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        listed.contains("Phone") && !listed.contains(&secret),
        "{listed}"
    );
    let route = format!("/api/v1/me/app-passwords/{}", made["id"].as_str().unwrap());
    let foreign = app.send(Method::DELETE, &route, Some(&bob), None).await;
    assert_eq!(
        problem(foreign, StatusCode::NOT_FOUND).await["code"],
        "app_password_not_found"
    );
    assert_eq!(
        app.send(Method::DELETE, &route, Some(&ada), None)
            .await
            .status(),
        StatusCode::NO_CONTENT
    );
    let events = app
        .get("/api/v1/me/security-events", Some(&ada))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        events.contains("app_password_created") && events.contains("app_password_revoked"),
        "{events}"
    );
    assert!(!app.logs().contains(&secret), "the secret reached the log");
}
