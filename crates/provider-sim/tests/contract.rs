//! The simulator against the providers' published OpenAPI documents (`../shared/specs/`), and
//! its OAuth behaving as the real services do. The contract part says so clearly when the specs
//! folder is absent (a clone of the project alone), and runs whenever it is present, as in CI.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::path::PathBuf;

use base64::Engine as _;
use serde_json::Value;
use sha2::{Digest, Sha256};
use soiree_provider_sim::{RunningSimulator, SimProvider, Simulator};

const REDIRECT: &str = "http://127.0.0.1:9999/api/v1/connections/spotify/callback";
const SC_REDIRECT: &str = "http://127.0.0.1:9999/api/v1/connections/soundcloud/callback";
const VERIFIER: &str = "a-pkce-verifier-of-sufficient-length-0123456789";

async fn simulator() -> RunningSimulator {
    let simulator = Simulator::new(42);
    simulator.register_app(
        SimProvider::Spotify,
        "app",
        "secret",
        &[REDIRECT.to_owned()],
    );
    simulator.register_app(
        SimProvider::SoundCloud,
        "sc-app",
        "sc-secret",
        &[SC_REDIRECT.to_owned()],
    );
    simulator.serve("127.0.0.1:0").await.unwrap()
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

fn challenge(verifier: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// Consents at the simulator's authorize page as `user` and returns the redirect's query.
async fn consent(
    authorize: &str,
    params: &[(&str, &str)],
    user: &str,
    decision: &str,
) -> HashMap<String, String> {
    let client = client();
    let page = client.get(authorize).query(params).send().await.unwrap();
    assert_eq!(page.status(), 200, "the consent page shows");
    assert!(
        page.text()
            .await
            .unwrap()
            .contains("<form method=\"post\">")
    );
    let mut form: Vec<(&str, &str)> = params.to_vec();
    form.push(("user", user));
    form.push(("decision", decision));
    let answer = client.post(authorize).form(&form).send().await.unwrap();
    assert_eq!(answer.status(), 302);
    let location = answer.headers()["location"].to_str().unwrap().to_owned();
    url::Url::parse(&location)
        .unwrap()
        .query_pairs()
        .into_owned()
        .collect()
}

async fn spotify_code(sim: &RunningSimulator, user: &str) -> String {
    let code_challenge = challenge(VERIFIER);
    let params = [
        ("client_id", "app"),
        ("response_type", "code"),
        ("redirect_uri", REDIRECT),
        ("state", "s1"),
        ("scope", "user-read-private"),
        ("code_challenge_method", "S256"),
        ("code_challenge", code_challenge.as_str()),
    ];
    let query = consent(
        &format!("{}/authorize", sim.urls.spotify_accounts),
        &params,
        user,
        "approve",
    )
    .await;
    assert_eq!(query.get("state").map(String::as_str), Some("s1"));
    query["code"].clone()
}

async fn spotify_token(
    sim: &RunningSimulator,
    form: &[(&str, &str)],
    secret: &str,
) -> (u16, Value) {
    let response = client()
        .post(format!("{}/api/token", sim.urls.spotify_accounts))
        .basic_auth("app", Some(secret))
        .form(form)
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

async fn spotify_access(sim: &RunningSimulator, user: &str) -> String {
    let code = spotify_code(sim, user).await;
    let form = [
        ("grant_type", "authorization_code"),
        ("code", &code),
        ("redirect_uri", REDIRECT),
        ("code_verifier", VERIFIER),
    ];
    let (status, body) = spotify_token(sim, &form, "secret").await;
    assert_eq!(status, 200, "{body}");
    body["access_token"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn spotify_codes_are_bound_to_secret_verifier_and_single_use() {
    let sim = simulator().await;
    let code = spotify_code(&sim, "ada").await;
    let exchange = |verifier: &'static str| {
        [
            ("grant_type", "authorization_code"),
            ("code", ""),
            ("redirect_uri", REDIRECT),
            ("code_verifier", verifier),
        ]
    };
    let mut wrong_verifier = exchange("not-the-verifier");
    wrong_verifier[1].1 = &code;
    let (status, body) = spotify_token(&sim, &wrong_verifier, "secret").await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant")),
        "{body}"
    );
    let mut good = exchange(VERIFIER);
    good[1].1 = &code;
    let (status, body) = spotify_token(&sim, &good, "wrong-secret").await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_client")),
        "{body}"
    );
    let (status, body) = spotify_token(&sim, &good, "secret").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        (body["token_type"].as_str(), body["expires_in"].as_i64()),
        (Some("Bearer"), Some(3600))
    );
    let refresh = body["refresh_token"].as_str().unwrap().to_owned();
    let (status, _) = spotify_token(&sim, &good, "secret").await;
    assert_eq!(status, 400, "a code works once");

    // Spotify does not rotate by default: no new refresh token, and the old one keeps working.
    for _ in 0..3 {
        let (status, body) = spotify_token(
            &sim,
            &[("grant_type", "refresh_token"), ("refresh_token", &refresh)],
            "secret",
        )
        .await;
        assert_eq!(status, 200, "{body}");
        assert!(body.get("refresh_token").is_none());
    }
}

#[tokio::test]
async fn soundcloud_refresh_tokens_rotate_and_a_used_one_is_refused_in_soundclouds_shape() {
    let sim = simulator().await;
    let code_challenge = challenge(VERIFIER);
    let params = [
        ("client_id", "sc-app"),
        ("response_type", "code"),
        ("redirect_uri", SC_REDIRECT),
        ("state", "s"),
        ("code_challenge_method", "S256"),
        ("code_challenge", code_challenge.as_str()),
    ];
    let query = consent(
        &format!("{}/authorize", sim.urls.soundcloud_auth),
        &params,
        "ada",
        "approve",
    )
    .await;
    let token_url = format!("{}/oauth/token", sim.urls.soundcloud_auth);
    let post = |form: Vec<(&'static str, String)>| {
        let token_url = token_url.clone();
        async move {
            let response = client().post(&token_url).form(&form).send().await.unwrap();
            (
                response.status().as_u16(),
                response.json::<Value>().await.unwrap(),
            )
        }
    };
    let credentials = || {
        vec![
            ("client_id", "sc-app".to_owned()),
            ("client_secret", "sc-secret".to_owned()),
        ]
    };
    let mut form = credentials();
    form.extend([
        ("grant_type", "authorization_code".into()),
        ("code", query["code"].clone()),
        ("redirect_uri", SC_REDIRECT.into()),
        ("code_verifier", VERIFIER.into()),
    ]);
    let (status, body) = post(form).await;
    assert_eq!(status, 200, "{body}");
    let first = body["refresh_token"].as_str().unwrap().to_owned();
    let mut form = credentials();
    form.extend([
        ("grant_type", "refresh_token".into()),
        ("refresh_token", first.clone()),
    ]);
    let (status, body) = post(form.clone()).await;
    assert_eq!(status, 200);
    assert_ne!(
        body["refresh_token"].as_str(),
        Some(first.as_str()),
        "rotated"
    );
    let (status, body) = post(form).await;
    assert_eq!(
        (status, body["message"].as_str()),
        (400, Some("invalid_grant")),
        "reuse is refused: {body}"
    );

    let declined = consent(
        &format!("{}/authorize", sim.urls.soundcloud_auth),
        &params,
        "ada",
        "deny",
    )
    .await;
    assert_eq!(
        declined.get("error").map(String::as_str),
        Some("access_denied")
    );
}

/// The providers' OpenAPI documents, or `None` (announced) when `../shared/specs` is absent.
fn specs_dir() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/specs");
    if dir.is_dir() {
        soiree_test_tally::ran(soiree_test_tally::Backend::ProviderSpecs);
        return Some(dir);
    }
    soiree_test_tally::skipped(
        soiree_test_tally::Backend::ProviderSpecs,
        "a provider contract test",
        &format!("{} is absent", dir.display()),
    );
    None
}

/// OpenAPI 3.0's `nullable: true` as JSON Schema: the type also admits null.
fn nullable_to_json_schema(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for child in map.values_mut() {
                nullable_to_json_schema(child);
            }
            if map.remove("nullable") == Some(Value::Bool(true)) {
                match map.get("type").cloned() {
                    Some(Value::String(kind)) => {
                        map.insert("type".into(), serde_json::json!([kind, "null"]));
                    }
                    _ => {
                        let inner = Value::Object(std::mem::take(map));
                        map.insert("anyOf".into(), serde_json::json!([inner, {"type": "null"}]));
                    }
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(nullable_to_json_schema),
        _ => {}
    }
}

/// A validator for the JSON body of the named response of a spec.
fn response_validator(spec: &Value, response: &str) -> jsonschema::Validator {
    // The media type is `application/json`, with `; charset=utf-8` in SoundCloud's document.
    let content = spec["components"]["responses"][response]["content"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    let schema = content
        .iter()
        .find(|(media_type, _)| media_type.starts_with("application/json"))
        .map(|(_, body)| body["schema"].clone())
        .unwrap_or(Value::Null);
    assert!(!schema.is_null(), "the spec has a {response} response");
    let mut root = serde_json::json!({ "components": spec["components"].clone() });
    root.as_object_mut()
        .unwrap()
        .extend(schema.as_object().unwrap().clone());
    // Structure and types are checked; string formats are not: SoundCloud's document calls
    // `created_at` a date-time while the API sends "2019/01/15 15:40:49 +0000" (PROVIDERS.md), and
    // the simulator follows what the API does.
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft4)
        .should_validate_formats(false)
        .build(&root)
        .unwrap()
}

fn load(dir: &std::path::Path, file: &str) -> Value {
    let text = std::fs::read_to_string(dir.join(file)).unwrap();
    let mut spec: Value = serde_yaml_ng::from_str(&text).unwrap();
    nullable_to_json_schema(&mut spec);
    spec
}

fn check(spec: &Value, response: &str, body: &Value) {
    let validator = response_validator(spec, response);
    let errors: Vec<String> = validator
        .iter_errors(body)
        .map(|error| {
            let mut message = error.to_string();
            message.truncate(300);
            format!("{message} at {}", error.instance_path())
        })
        .collect();
    let mut shown = body.to_string();
    shown.truncate(2_000);
    assert!(errors.is_empty(), "{response}: {errors:#?}\n{shown}");
}

#[tokio::test]
async fn spotify_responses_match_the_published_web_api_document() {
    let Some(dir) = specs_dir() else { return };
    let spec = load(&dir, "spotify-web-api.yml");
    let sim = simulator().await;
    let token = spotify_access(&sim, "ada").await;
    let get = |path: String| {
        let token = token.clone();
        async move {
            let response = client().get(path).bearer_auth(token).send().await.unwrap();
            assert!(response.status().is_success(), "{}", response.status());
            response.json::<Value>().await.unwrap()
        }
    };
    let api = &sim.urls.spotify_api;
    let liked = get(format!("{api}/me/tracks?limit=5")).await;
    check(&spec, "PagingSavedTrackObject", &liked);
    check(&spec, "OnePrivateUser", &get(format!("{api}/me")).await);
    check(
        &spec,
        "ManyDevices",
        &get(format!("{api}/me/player/devices")).await,
    );
    let track_id = liked["items"][0]["track"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    check(
        &spec,
        "OneTrack",
        &get(format!("{api}/tracks/{track_id}")).await,
    );
    check(
        &spec,
        "SearchItems",
        &get(format!("{api}/search?q=the&type=track&limit=3")).await,
    );

    let play = client()
        .put(format!("{api}/me/player/play?device_id=ada-speaker"))
        .bearer_auth(&token)
        .json(&serde_json::json!({"uris": [format!("spotify:track:{track_id}")]}))
        .send()
        .await
        .unwrap();
    assert_eq!(play.status(), 204);
    check(
        &spec,
        "OneCurrentlyPlaying",
        &get(format!("{api}/me/player")).await,
    );

    let unauthorized = client()
        .get(format!("{api}/me"))
        .bearer_auth("nope")
        .send()
        .await
        .unwrap();
    assert_eq!(unauthorized.status(), 401);
    check(&spec, "Unauthorized", &unauthorized.json().await.unwrap());
}

#[tokio::test]
async fn soundcloud_responses_match_the_published_api_document() {
    let Some(dir) = specs_dir() else { return };
    let spec = load(&dir, "soundcloud-api.yaml");
    let sim = simulator().await;
    let code_challenge = challenge(VERIFIER);
    let params = [
        ("client_id", "sc-app"),
        ("response_type", "code"),
        ("redirect_uri", SC_REDIRECT),
        ("state", "s"),
        ("code_challenge_method", "S256"),
        ("code_challenge", code_challenge.as_str()),
    ];
    let query = consent(
        &format!("{}/authorize", sim.urls.soundcloud_auth),
        &params,
        "ada",
        "approve",
    )
    .await;
    let token: Value = client()
        .post(format!("{}/oauth/token", sim.urls.soundcloud_auth))
        .form(&[
            ("client_id", "sc-app"),
            ("client_secret", "sc-secret"),
            ("grant_type", "authorization_code"),
            ("code", query["code"].as_str()),
            ("redirect_uri", SC_REDIRECT),
            ("code_verifier", VERIFIER),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let access = token["access_token"].as_str().unwrap().to_owned();
    let get = |path: String| {
        let access = access.clone();
        async move {
            let response = client()
                .get(path)
                .header("authorization", format!("OAuth {access}"))
                .send()
                .await
                .unwrap();
            assert!(response.status().is_success(), "{}", response.status());
            response.json::<Value>().await.unwrap()
        }
    };
    let api = &sim.urls.soundcloud_api;
    check(&spec, "Me", &get(format!("{api}/me")).await);
    let mut page = get(format!(
        "{api}/me/likes/tracks?limit=12&linked_partitioning=true"
    ))
    .await;
    check(&spec, "Tracks", &page);
    let mut seen = page["collection"].as_array().unwrap().len();
    while let Some(next) = page
        .get("next_href")
        .and_then(Value::as_str)
        .map(str::to_owned)
    {
        page = get(next.replace("https://api.soundcloud.com", api)).await;
        check(&spec, "Tracks", &page);
        seen += page["collection"].as_array().unwrap().len();
    }
    assert_eq!(
        seen, 30,
        "following next_href until it is absent reaches every like"
    );
}
