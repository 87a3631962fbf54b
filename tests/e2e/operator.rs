//! The operator and the automation CLI: provisioning files with bad rows, operators made only
//! from the command line, the operator API refused to everyone else (AZ-1), tier changes up and
//! down with nothing deleted and every change recorded, self-service where the operator opens
//! it, and the reports.

use std::os::unix::fs::PermissionsExt as _;
use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::rooms::create_room;
use crate::support::{TestApp, eventually, problem, spawn_app_with, spawn_app_with_sim};

/// The default tier table, with the anonymous surfaces and the pages lifted so that the test's
/// own sign-ups are not what it measures; `extra` is appended.
async fn app_with_tiers(extra: &str) -> (tempfile::TempDir, TestApp) {
    let directory = tempfile::tempdir().unwrap();
    let path = directory.path().join("tiers.toml");
    std::fs::write(
        &path,
        format!(
            "{extra}\n[pages]\nrequests = \"unlimited\"\n[anonymous]\nlogins = \"unlimited\"\nregistrations = \"unlimited\"\n"
        ),
    )
    .unwrap();
    let app = spawn_app_with(&[("SOIREE_TIERS_FILE", path.to_str().unwrap())]).await;
    (directory, app)
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The generated passwords' file the CLI wrote in the data directory: `(path, username, password)`.
fn passwords(app: &TestApp) -> Vec<(std::path::PathBuf, String, String)> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(app.data_dir()).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if name.starts_with("provisioned-passwords-") {
            for line in std::fs::read_to_string(&path).unwrap().lines() {
                let (user, password) = line.split_once('\t').unwrap();
                found.push((path.clone(), user.to_owned(), password.to_owned()));
            }
        }
    }
    found
}

async fn token(app: &TestApp, username: &str, password: &str) -> String {
    let login = app.login(username, password).await;
    assert_eq!(login.status(), StatusCode::OK, "{username} logs in");
    login.json::<Value>().await.unwrap()["token"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn provision_users_applies_a_file_reports_bad_rows_and_never_prints_a_password() {
    let (_tiers, app) = app_with_tiers("").await;
    let csv = app.data_dir().join("people.csv");
    std::fs::write(
        &csv,
        "username,email,tier,display_name,language,timezone\n\
         ada,ada@example.org,premium,Ada L,en,Europe/London\n\
         bob,,,Bob,,\n\
         x,,free,,,\n\
         cyd,cy@example.org,gold,,,\n\
         dee,ada@example.org,,,,\n\
         eve,,vip,,fr,Mars/Olympus\n",
    )
    .unwrap();
    let first = app.command(&["provision-users", csv.to_str().unwrap(), "--operator"]);
    let stdout = text(&first.stdout);
    assert!(!first.status.success(), "bad rows make the run fail");
    for expected in [
        "line 2: created ada (premium)",
        "line 3: created bob (free)",
        "line 4: refused: invalid_username",
        "line 5: refused: invalid_tier: unknown tier \"gold\"",
        "line 6: refused: email_taken",
        "line 7: refused: invalid_timezone",
        "2 created, 0 already present, 4 refused.",
    ] {
        assert!(stdout.contains(expected), "{expected:?} in:\n{stdout}");
    }
    assert!(text(&first.stderr).contains("4 row(s)"));

    let generated = passwords(&app);
    assert_eq!(generated.len(), 2);
    let (path, _, _) = &generated[0];
    let mode = std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "readable by the operator only");
    for (_, _, password) in &generated {
        assert!(
            !stdout.contains(password.as_str()) && !text(&first.stderr).contains(password.as_str())
        );
    }
    let (_, _, ada_password) = generated.iter().find(|(_, user, _)| user == "ada").unwrap();
    let ada = token(&app, "ada", ada_password).await;
    let me: Value = app.me(&ada).await.json().await.unwrap();
    assert_eq!(
        (&me["tier"], &me["display_name"], &me["timezone"]),
        (&json!("premium"), &json!("Ada L"), &json!("Europe/London"))
    );

    // Applied again: nothing new, nothing changed, the operator flag kept.
    let again = app.command(&["provision-users", csv.to_str().unwrap()]);
    let stdout = text(&again.stdout);
    assert!(
        stdout.contains("line 2: already present ada")
            && stdout.contains("0 created, 2 already present, 4 refused."),
        "{stdout}"
    );
    assert_eq!(passwords(&app).len(), 2, "no new password file");

    // JSON, with a row that names a field the file format does not have.
    let file = app.data_dir().join("more.json");
    std::fs::write(
        &file,
        r#"[{"username": "fay", "tier": "enterprise"}, {"username": "gus", "role": "admin"}]"#,
    )
    .unwrap();
    let json_run = app.command(&["provision-users", file.to_str().unwrap()]);
    let stdout = text(&json_run.stdout);
    assert!(
        stdout.contains("entry 1: created fay (enterprise)")
            && stdout.contains("entry 2: refused: invalid_row: unknown field `role`"),
        "{stdout}"
    );
    let unknown = app.data_dir().join("people.txt");
    std::fs::write(&unknown, "ada").unwrap();
    let refused = app.command(&["provision-users", unknown.to_str().unwrap()]);
    assert!(!refused.status.success());
    assert!(text(&refused.stderr).contains(".csv (with a header row) or .json"));
}

#[tokio::test]
async fn az_1_the_operator_api_is_for_operators_only() {
    let (_tiers, app) = app_with_tiers("").await;
    let person = app.signed_up("person").await;
    let me: Value = app.me(&person).await.json().await.unwrap();
    let id = me["id"].as_str().unwrap().to_owned();
    let routes = [
        (Method::GET, "/api/v1/users".to_owned(), None),
        (
            Method::POST,
            "/api/v1/users".to_owned(),
            Some(json!({"username": "newbie", "password": "a long enough password"})),
        ),
        (Method::GET, format!("/api/v1/users/{id}"), None),
        (
            Method::PUT,
            format!("/api/v1/users/{id}"),
            Some(json!({"overrides": {"open_rooms": "unlimited"}})),
        ),
        (
            Method::POST,
            format!("/api/v1/users/{id}/upgrade"),
            Some(json!({"tier": "vip"})),
        ),
        (Method::GET, format!("/api/v1/users/{id}/insights"), None),
    ];
    for (method, path, body) in routes {
        let refused = app
            .send(method.clone(), &path, Some(&person), body.clone())
            .await;
        let refused = problem(refused, StatusCode::FORBIDDEN).await;
        assert_eq!(refused["code"], "operator_only", "{method} {path}");
        let anonymous = app.send(method.clone(), &path, None, body).await;
        assert_eq!(
            anonymous.status(),
            StatusCode::UNAUTHORIZED,
            "{method} {path}"
        );
    }
    // Nothing about the account changed, and no field of a public body makes an operator.
    let me: Value = app.me(&person).await.json().await.unwrap();
    assert_eq!(me["tier"], "free");
    let patched = app.patch_me(&person, json!({"operator": true})).await;
    assert_eq!(patched.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn an_operator_moves_a_person_up_and_down_and_nothing_is_lost() {
    let (_tiers, app) = app_with_tiers("").await;
    let csv = app.data_dir().join("operators.csv");
    std::fs::write(&csv, "username\nroot\n").unwrap();
    assert!(
        app.command(&["provision-users", csv.to_str().unwrap(), "--operator"])
            .status
            .success()
    );
    let (_, _, root_password) = passwords(&app).pop().unwrap();
    let root = token(&app, "root", &root_password).await;
    let carol = app.signed_up("carol").await;
    let carol_id = app.me(&carol).await.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();

    // The operator finds her and moves her up.
    let found: Value = app
        .get("/api/v1/users?q=CAR", Some(&root))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(found["total"], 1);
    assert_eq!(found["users"][0]["username"], "carol");
    let upgraded = app
        .send(
            Method::POST,
            &format!("/api/v1/users/{carol_id}/upgrade"),
            Some(&root),
            Some(json!({"tier": "premium", "reason": "band night"})),
        )
        .await;
    assert_eq!(upgraded.status(), StatusCode::OK);
    let standing: Value = upgraded.json().await.unwrap();
    assert_eq!(standing["tier"], "premium");
    assert_eq!(standing["limits"]["open_rooms"], 10);
    for _ in 0..5 {
        create_room(&app, &carol, json!({})).await;
    }

    // Down again: her five rooms stay open, and a sixth is refused until she is under three.
    let downgraded: Value = app
        .send(
            Method::POST,
            &format!("/api/v1/users/{carol_id}/upgrade"),
            Some(&root),
            Some(json!({"tier": "free"})),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(downgraded["usage"]["open_rooms"], 5);
    assert_eq!(downgraded["limits"]["open_rooms"], 3);
    let mine: Value = app
        .get("/api/v1/me/rooms", Some(&carol))
        .await
        .json()
        .await
        .unwrap();
    let open = mine["rooms"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|room| room["closed"] == false)
        .count();
    assert_eq!(open, 5, "nothing is closed by a downgrade");
    let refused = app
        .send(Method::POST, "/api/v1/rooms", Some(&carol), Some(json!({})))
        .await;
    assert_eq!(
        problem(refused, StatusCode::FORBIDDEN).await["code"],
        "quota_exceeded"
    );

    // The tier analysis names her; an override for her alone lets her open more.
    let analysis = app.command(&["analyze-tiers", "--format", "json"]);
    assert!(analysis.status.success(), "{}", text(&analysis.stderr));
    let lines: Value = serde_json::from_slice(&analysis.stdout).unwrap();
    let carol_line = lines
        .as_array()
        .unwrap()
        .iter()
        .find(|line| line["username"] == "carol")
        .expect("carol is an upgrade candidate");
    assert_eq!(carol_line["measures"][0]["status"], "over");
    let overridden: Value = app
        .send(
            Method::PUT,
            &format!("/api/v1/users/{carol_id}"),
            Some(&root),
            Some(json!({"overrides": {"open_rooms": "unlimited"}, "reason": "festival"})),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(overridden["standing"]["limits"]["open_rooms"], Value::Null);
    assert_eq!(
        overridden["standing"]["limits"]["overridden"],
        json!(["open_rooms"])
    );
    create_room(&app, &carol, json!({})).await;

    // Every change is recorded, the latest first, and she sees them too.
    let hers: Value = app
        .get("/api/v1/me/tier", Some(&carol))
        .await
        .json()
        .await
        .unwrap();
    let changes = hers["changes"].as_array().unwrap();
    assert_eq!(changes.len(), 3, "{hers}");
    assert_eq!(
        (&changes[0]["overrides"], &changes[0]["reason"]),
        (&json!("open_rooms=unlimited"), &json!("festival"))
    );
    assert_eq!(
        (&changes[1]["from"], &changes[1]["to"]),
        (&json!("premium"), &json!("free"))
    );
    assert_eq!(
        (&changes[2]["to"], &changes[2]["by"], &changes[2]["reason"]),
        (&json!("premium"), &json!("operator"), &json!("band night"))
    );

    // The activity report counts them.
    let analytics = app.command(&["generate-analytics", "--format", "csv", "--period", "1h"]);
    let report = text(&analytics.stdout);
    assert!(
        report.contains("accounts.free,2") && report.contains("accounts.tier_changes,3"),
        "{report}"
    );
}

#[tokio::test]
async fn people_choose_their_own_tier_only_where_the_operator_allows_it() {
    let (_closed_file, closed) = app_with_tiers("").await;
    let person = closed.signed_up("person").await;
    let refused = closed
        .send(
            Method::POST,
            "/api/v1/me/tier",
            Some(&person),
            Some(json!({"tier": "vip"})),
        )
        .await;
    assert_eq!(
        problem(refused, StatusCode::FORBIDDEN).await["code"],
        "self_service_closed"
    );
    let standing: Value = closed
        .get("/api/v1/me/tier", Some(&person))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (
            &standing["tier"],
            &standing["self_service"],
            &standing["limits"]["api_requests_per_hour"]
        ),
        (&json!("free"), &json!(false), &json!(100))
    );

    let (_open_file, open) = app_with_tiers("self_service = true").await;
    let person = open.signed_up("person").await;
    let changed = open
        .send(
            Method::POST,
            "/api/v1/me/tier",
            Some(&person),
            Some(json!({"tier": "premium"})),
        )
        .await;
    assert_eq!(changed.status(), StatusCode::OK);
    let me: Value = open.me(&person).await.json().await.unwrap();
    assert_eq!(me["tier"], "premium");
    let standing: Value = open
        .get("/api/v1/me/tier", Some(&person))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(standing["changes"][0]["by"], "account");
}

#[tokio::test]
async fn serve_applies_a_provisioning_directory_on_its_schedule_and_run_all_runs_every_job() {
    let directory = tempfile::tempdir().unwrap();
    std::fs::write(
        directory.path().join("team.csv"),
        "username,tier\nzed,premium\nx,free\n",
    )
    .unwrap();
    let app = spawn_app_with(&[("SOIREE_PROVISION_DIR", directory.path().to_str().unwrap())]).await;
    eventually(Duration::from_secs(20), "the directory applied", || async {
        passwords(&app).iter().any(|(_, user, _)| user == "zed")
    })
    .await;
    let (_, _, password) = passwords(&app).pop().unwrap();
    let zed = token(&app, "zed", &password).await;
    let me: Value = app.me(&zed).await.json().await.unwrap();
    assert_eq!(me["tier"], "premium");
    let logs = app.logs();
    assert!(
        logs.contains("1 created, 0 already present, 1 refused.")
            && logs.contains("line 3: refused"),
        "{logs}"
    );
    assert!(!logs.contains(&password), "the password is never logged");

    // Once by hand: every job, the directory's second pass finding everyone present.
    let run = app.command(&[
        "run-all",
        "--provision-dir",
        directory.path().to_str().unwrap(),
    ]);
    let stdout = text(&run.stdout);
    assert!(!run.status.success(), "a refused row fails the run");
    for expected in [
        "line 2: already present zed",
        "upgrade candidate(s) among 1 account(s)",
        "Activity from",
        "Clean-up: ",
    ] {
        assert!(stdout.contains(expected), "{expected:?} in:\n{stdout}");
    }
}

#[tokio::test]
async fn the_activity_report_counts_connections_refreshes_and_errors_per_account() {
    let t = spawn_app_with_sim().await;
    let token = t.app.signed_up("listener").await;
    t.connect(&token, "spotify", "ada").await;
    t.sim(Method::POST, "/expire", json!({})).await;
    let devices = t.app.get("/api/v1/player/devices", Some(&token)).await;
    assert_eq!(devices.status(), StatusCode::OK);
    // Two refusals this account meets.
    for _ in 0..2 {
        let missing = t.app.get("/api/v1/rooms/ZZZZZZ", Some(&token)).await;
        assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    }
    // Counting runs beside the requests; the report sees it shortly.
    let mut report = String::new();
    eventually(
        Duration::from_secs(10),
        "the counts are in the report",
        || {
            let run = t
                .app
                .command(&["generate-analytics", "--format", "csv", "--period", "1d"]);
            report = text(&run.stdout);
            let done = report.contains("token_refresh.spotify.ok,1")
                && report.contains("account.listener.refusals,2");
            async move { done }
        },
    )
    .await;
    assert!(
        report.contains("connection_attempt.spotify.ok,1")
            && report.contains("connection_attempts.success_percent,100")
            && report.contains("account.listener.errors,0"),
        "{report}"
    );
}
