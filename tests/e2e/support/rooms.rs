//! Room helpers shared by the end-to-end tests: create, join and vote over HTTP, and follow a
//! room's events over a WebSocket.

use std::time::Duration;

use futures_util::StreamExt as _;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;

use super::{TestApp, TestAppWithSim};

pub(crate) type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Opens the room's event socket as `token` (a session or guest token), with an optional Origin.
pub(crate) async fn subscribe(
    app: &TestApp,
    code: &str,
    token: &str,
    origin: Option<&str>,
    after: u64,
) -> Result<Socket, u16> {
    let url = format!(
        "{}/api/v1/rooms/{code}/events?after={after}",
        app.base_url.replace("http://", "ws://")
    );
    let mut request = url.into_client_request().expect("a WebSocket request");
    request.headers_mut().insert(
        "authorization",
        format!("Bearer {token}").parse().expect("a header"),
    );
    if let Some(origin) = origin {
        request
            .headers_mut()
            .insert("origin", origin.parse().expect("a header"));
    }
    match tokio_tungstenite::connect_async(request).await {
        Ok((socket, _)) => Ok(socket),
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            Err(response.status().as_u16())
        }
        Err(other) => panic!("connecting the socket: {other}"),
    }
}

/// Reads events until one of `kind` arrives (or the deadline passes); returns all read.
pub(crate) async fn until(socket: &mut Socket, kind: &str, seen: &mut Vec<Value>) {
    let found = tokio::time::timeout(Duration::from_secs(15), async {
        while let Some(message) = socket.next().await {
            if let Ok(Message::Text(text)) = message {
                let event: Value = serde_json::from_str(&text).expect("events are JSON");
                let done = event["type"] == kind;
                seen.push(event);
                if done {
                    return true;
                }
            } else if matches!(message, Ok(Message::Close(_)) | Err(_)) {
                return false;
            }
        }
        false
    })
    .await;
    assert!(matches!(found, Ok(true)), "no {kind} event; saw {seen:?}");
}

/// Waits until the server closes the socket (or the deadline passes).
pub(crate) async fn closed(socket: &mut Socket) -> bool {
    closed_within(socket, Duration::from_secs(15)).await
}

/// Waits until the server closes the socket, at most `deadline`.
pub(crate) async fn closed_within(socket: &mut Socket, deadline: Duration) -> bool {
    tokio::time::timeout(deadline, async {
        while let Some(message) = socket.next().await {
            if matches!(message, Ok(Message::Close(_)) | Err(_)) {
                return true;
            }
        }
        true
    })
    .await
    .unwrap_or(false)
}

pub(crate) async fn create_room(app: &TestApp, token: &str, body: Value) -> Value {
    let created = app
        .send(Method::POST, "/api/v1/rooms", Some(token), Some(body))
        .await;
    assert_eq!(created.status(), StatusCode::CREATED);
    created.json().await.unwrap()
}

pub(crate) async fn join_as_guest(app: &TestApp, code: &str, name: &str) -> (Value, String) {
    let joined = app
        .send(
            Method::POST,
            &format!("/api/v1/rooms/{code}/join"),
            None,
            Some(json!({"display_name": name})),
        )
        .await;
    assert_eq!(joined.status(), StatusCode::OK);
    let body: Value = joined.json().await.unwrap();
    let token = body["guest_token"]
        .as_str()
        .expect("a guest token")
        .to_owned();
    (body, token)
}

pub(crate) async fn vote(
    app: &TestApp,
    code: &str,
    token: &str,
    track: &str,
    like: bool,
) -> reqwest::Response {
    app.send(
        Method::POST,
        &format!("/api/v1/rooms/{code}/votes"),
        Some(token),
        Some(json!({"track_uri": track, "is_like": like})),
    )
    .await
}

/// The room's queue as `token` sees it (`GET /api/v1/rooms/{code}/queue`).
pub(crate) async fn queue(app: &TestApp, code: &str, token: &str) -> Value {
    let queue = app
        .get(&format!("/api/v1/rooms/{code}/queue"), Some(token))
        .await;
    assert_eq!(queue.status(), StatusCode::OK);
    queue.json().await.expect("a queue body")
}

/// Signs `name` up and connects their Spotify as the simulated `ada`; returns their token.
pub(crate) async fn connected_host(t: &TestAppWithSim, name: &str) -> String {
    let token = t.app.signed_up(name).await;
    t.connect(&token, "spotify", "ada").await;
    token
}
