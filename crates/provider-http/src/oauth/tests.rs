use secrecy::{ExposeSecret, SecretString};
use soiree_connections::{ClientCredentials, ClientId, ClientSecret, TokenError};
use wiremock::matchers::{body_string_contains, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use super::*;
use crate::client::RetryPolicy;

fn credentials() -> ClientCredentials {
    ClientCredentials {
        client_id: ClientId::parse("app-id").unwrap(),
        client_secret: ClientSecret::parse(&SecretString::from("app-secret")).unwrap(),
    }
}

fn endpoints(server: &MockServer, authentication: ClientAuthentication) -> OAuthEndpoints {
    OAuthEndpoints::new(
        &format!("{}/authorize", server.uri()),
        &format!("{}/api/token", server.uri()),
        &["user-read-private", "user-library-read"],
        authentication,
    )
    .unwrap()
}

fn http() -> OutboundClient {
    OutboundClient::new(RetryPolicy::default()).unwrap()
}

fn query(url: &str, name: &str) -> Option<String> {
    let parsed = url::Url::parse(url).ok()?;
    parsed
        .query_pairs()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
}

#[tokio::test]
async fn oa_2_authorization_urls_carry_s256_pkce_and_fresh_state() {
    let server = MockServer::start().await;
    let endpoints = endpoints(&server, ClientAuthentication::BasicHeader);
    let redirect = "http://127.0.0.1:8000/api/v1/connections/spotify/callback";
    let first = endpoints.start_authorization("app-id", redirect).unwrap();
    let second = endpoints.start_authorization("app-id", redirect).unwrap();
    let url = &first.authorize_url;
    assert_eq!(query(url, "code_challenge_method").as_deref(), Some("S256"));
    assert_eq!(query(url, "response_type").as_deref(), Some("code"));
    assert_eq!(query(url, "client_id").as_deref(), Some("app-id"));
    assert_eq!(query(url, "redirect_uri").as_deref(), Some(redirect));
    assert_eq!(
        query(url, "scope").as_deref(),
        Some("user-read-private user-library-read")
    );
    assert_eq!(
        query(url, "state").as_deref(),
        Some(first.state.expose_secret())
    );
    assert_eq!(
        first.pkce_verifier.expose_secret().len(),
        43,
        "a 43-character verifier"
    );
    assert!(first.state.expose_secret().len() >= 43, "256 bits of state");
    assert_ne!(first.state.expose_secret(), second.state.expose_secret());
    assert_ne!(
        first.pkce_verifier.expose_secret(),
        second.pkce_verifier.expose_secret()
    );
    assert_ne!(
        query(url, "code_challenge"),
        query(&second.authorize_url, "code_challenge")
    );
    assert!(
        !url.contains(first.pkce_verifier.expose_secret()),
        "only the challenge travels"
    );
}

#[tokio::test]
async fn oa_2_the_code_exchange_sends_basic_auth_and_the_matching_verifier() {
    let server = MockServer::start().await;
    // base64("app-id:app-secret")
    Mock::given(method("POST"))
        .and(path("/api/token"))
        .and(header("authorization", "Basic YXBwLWlkOmFwcC1zZWNyZXQ="))
        .and(body_string_contains("grant_type=authorization_code"))
        .and(body_string_contains("code=the-code"))
        .and(body_string_contains("code_verifier=the-verifier"))
        .and(body_string_contains(
            "redirect_uri=http%3A%2F%2F127.0.0.1%3A8000%2Fcb",
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "access_token": "access-1", "token_type": "Bearer", "expires_in": 3600,
            "refresh_token": "refresh-1", "scope": "user-read-private"
        })))
        .expect(1)
        .mount(&server)
        .await;
    let grant = endpoints(&server, ClientAuthentication::BasicHeader)
        .exchange_code(
            &http(),
            &credentials(),
            "the-code",
            &SecretString::from("the-verifier"),
            "http://127.0.0.1:8000/cb",
        )
        .await
        .unwrap();
    assert_eq!(grant.access_token.expose_secret(), "access-1");
    assert_eq!(
        grant
            .refresh_token
            .as_ref()
            .map(|token| token.expose_secret().to_owned()),
        Some("refresh-1".into())
    );
    assert_eq!(grant.expires_in, chrono::Duration::hours(1));
}

#[tokio::test]
async fn form_field_authentication_sends_the_secret_in_the_body() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(body_string_contains("client_id=app-id"))
        .and(body_string_contains("client_secret=app-secret"))
        .and(body_string_contains("grant_type=refresh_token"))
        .and(body_string_contains("refresh_token=old-refresh"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "access_token": "access-2", "token_type": "bearer", "expires_in": 3599, "refresh_token": "new-refresh"
        })))
        .expect(1)
        .mount(&server)
        .await;
    let grant = endpoints(&server, ClientAuthentication::FormFields)
        .refresh(&http(), &credentials(), &SecretString::from("old-refresh"))
        .await
        .unwrap();
    assert_eq!(
        grant
            .refresh_token
            .map(|token| token.expose_secret().to_owned()),
        Some("new-refresh".into())
    );
}

#[tokio::test]
async fn oa_5_a_refresh_response_without_a_refresh_token_is_read_as_none() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "access_token": "access-3", "token_type": "Bearer", "expires_in": 3600
        })))
        .mount(&server)
        .await;
    let grant = endpoints(&server, ClientAuthentication::BasicHeader)
        .refresh(&http(), &credentials(), &SecretString::from("kept"))
        .await
        .unwrap();
    assert!(grant.refresh_token.is_none());
}

#[tokio::test]
async fn every_documented_token_error_is_classified() {
    let cases: Vec<(u16, serde_json::Value, &str)> = vec![
        (
            400,
            serde_json::json!({"error": "invalid_grant", "error_description": "Invalid refresh token"}),
            "grant",
        ),
        (
            400,
            serde_json::json!({"error": "invalid_grant", "error_description": "Refresh token revoked"}),
            "grant",
        ),
        (
            400,
            serde_json::json!({"error": "invalid_grant", "error_description": "code_verifier was incorrect"}),
            "grant",
        ),
        (
            400,
            serde_json::json!({"error": "invalid_client", "error_description": "Invalid client secret"}),
            "client",
        ),
        (
            401,
            serde_json::json!({"error": "invalid_client"}),
            "client",
        ),
        (
            400,
            serde_json::json!({"code": 400, "message": "invalid_grant", "link": "https://developers.soundcloud.com"}),
            "grant",
        ),
        (
            401,
            serde_json::json!({"code": 401, "message": "invalid_client"}),
            "client",
        ),
        (
            503,
            serde_json::json!({"error": "server_error"}),
            "unavailable",
        ),
    ];
    for (status, body, expected) in cases {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(ResponseTemplate::new(status).set_body_json(body.clone()))
            .expect(1)
            .mount(&server)
            .await;
        let outcome = endpoints(&server, ClientAuthentication::BasicHeader)
            .refresh(&http(), &credentials(), &SecretString::from("r"))
            .await;
        let kind = match outcome {
            Err(TokenError::InvalidGrant(_)) => "grant",
            Err(TokenError::InvalidClient(_)) => "client",
            Err(TokenError::Unavailable(_)) => "unavailable",
            other => panic!("{status} {body}: unexpected {other:?}"),
        };
        assert_eq!(kind, expected, "{status} {body}");
    }
}

#[tokio::test]
async fn a_long_rate_limit_on_the_token_endpoint_is_reported_with_its_wait() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "7200"))
        .expect(1)
        .mount(&server)
        .await;
    let outcome = endpoints(&server, ClientAuthentication::BasicHeader)
        .refresh(&http(), &credentials(), &SecretString::from("r"))
        .await;
    assert!(
        matches!(outcome, Err(TokenError::RateLimited { retry_after }) if retry_after.as_secs() == 7200),
        "{outcome:?}"
    );
}
