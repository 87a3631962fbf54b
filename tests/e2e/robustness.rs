//! Bad input gets a 4xx problem document, never a 5xx; secrets never reach the log.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::support::{PASSWORD, TestApp, problem, spawn_app};

const JSON: &str = "application/json";

/// One malformed request and the problem it must get.
struct Case {
    method: Method,
    path: &'static str,
    content_type: Option<&'static str>,
    body: &'static str,
    signed_in: bool,
    status: StatusCode,
    code: &'static str,
}

#[tokio::test]
async fn malformed_requests_get_4xx_problem_documents() {
    let app = spawn_app().await;
    let token = app.signed_up("robust").await;
    let register = "/api/v1/auth/register";
    let login = "/api/v1/auth/login";
    let me = "/api/v1/me";
    let bad = StatusCode::BAD_REQUEST;
    let case = |method, path, content_type, body, status, code| Case {
        method,
        path,
        content_type,
        body,
        signed_in: path == me && status != StatusCode::UNAUTHORIZED,
        status,
        code,
    };
    // One row per request: method, path, content type, body, expected status and code.
    #[rustfmt::skip]
    let cases = [
        case(Method::POST, register, Some(JSON), "{\"username\":", bad, "bad_request"),
        case(Method::POST, register, Some(JSON), "{}", bad, "bad_request"),
        case(Method::POST, register, Some(JSON), "[1, 2]", bad, "bad_request"),
        case(Method::POST, register, Some(JSON), "{\"username\":[],\"password\":{}}", bad, "bad_request"),
        case(Method::POST, register, Some(JSON), "", bad, "bad_request"),
        case(Method::POST, register, Some("text/plain"), "{}", StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type"),
        case(Method::POST, register, None, "{}", StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type"),
        case(Method::POST, login, Some(JSON), "{\"username\":\"robust\"}", bad, "bad_request"),
        case(Method::POST, login, Some(JSON), "null", bad, "bad_request"),
        case(Method::PATCH, me, Some(JSON), "{\"display_name\": [\"DJ\"]}", bad, "bad_request"),
        case(Method::PATCH, me, Some(JSON), "not json", bad, "bad_request"),
        case(Method::PATCH, me, Some(JSON), "{}", StatusCode::UNAUTHORIZED, "unauthenticated"),
        case(Method::GET, "/api/v1/nothing-here", None, "", StatusCode::NOT_FOUND, "not_found"),
        case(Method::DELETE, login, None, "", StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed"),
    ];
    for Case {
        method,
        path,
        content_type,
        body,
        signed_in,
        status,
        code,
    } in cases
    {
        let mut request = app.client.request(method.clone(), app.url(path)).body(body);
        if let Some(content_type) = content_type {
            request = request.header(reqwest::header::CONTENT_TYPE, content_type);
        }
        if signed_in {
            request = request.bearer_auth(&token);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), status, "{method} {path} with {body:?}");
        let document = problem(response, status).await;
        assert_eq!(
            document["code"], code,
            "{method} {path} with {body:?}: {document}"
        );
    }
}

/// Sends a request head and up to 2 MiB of body over a raw socket and returns what the server
/// answered. The server may answer and close before the body is sent; that is the point.
async fn oversized_request(app: &TestApp, path: &str, framing: &str, token: &str) -> String {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let address = app.base_url.trim_start_matches("http://").to_owned();
    let mut stream = tokio::net::TcpStream::connect(&address).await.unwrap();
    let head = format!(
        "PATCH {path} HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\n\
         Authorization: Bearer {token}\r\n{framing}\r\nConnection: close\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let chunked = framing.starts_with("Transfer-Encoding");
    let chunk = vec![b' '; 64 * 1024];
    for _ in 0..32 {
        let framed = if chunked {
            [format!("{:x}\r\n", chunk.len()).as_bytes(), &chunk, b"\r\n"].concat()
        } else {
            chunk.clone()
        };
        if stream.write_all(&framed).await.is_err() {
            break;
        }
    }
    if chunked {
        let _ = stream.write_all(b"0\r\n\r\n").await;
    }
    let mut response = Vec::new();
    let _ = stream.read_to_end(&mut response).await;
    String::from_utf8_lossy(&response).into_owned()
}

#[tokio::test]
async fn bodies_over_one_mebibyte_are_refused_with_or_without_a_length_header() {
    let app = spawn_app().await;
    let token = app.signed_up("bulky").await;
    let declared = format!("Content-Length: {}", 2 * 1024 * 1024);
    for framing in [declared.as_str(), "Transfer-Encoding: chunked"] {
        let response = oversized_request(&app, "/api/v1/me", framing, &token).await;
        assert!(
            response.starts_with("HTTP/1.1 413"),
            "{framing}: {response}"
        );
        assert!(
            response.contains("application/problem+json") && response.contains("payload_too_large"),
            "{response}"
        );
    }
    let me: serde_json::Value = app.me(&token).await.json().await.unwrap();
    assert_eq!(
        me["display_name"],
        serde_json::Value::Null,
        "nothing was applied"
    );
}

#[tokio::test]
async fn passwords_and_session_tokens_never_reach_the_log() {
    let app = spawn_app().await;
    let canary_password = "canary-password-7f3e9a1c";
    app.register("canary", canary_password, Some("canary@example.org"))
        .await;
    let login = app.login("canary", canary_password).await;
    let token = login.json::<serde_json::Value>().await.unwrap()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    app.login("canary", "canary-wrong-password-55").await;
    app.me(&token).await;
    app.patch_me(&token, json!({"display_name": "Canary"}))
        .await;
    app.send(
        Method::POST,
        "/api/v1/auth/login",
        None,
        Some(json!({"username": "x", "password": canary_password, "extra": 1})),
    )
    .await;
    app.logout(&token).await;
    let logs = app.logs();
    assert!(
        logs.contains("logged in"),
        "the log is being captured:\n{logs}"
    );
    for secret in [
        canary_password,
        "canary-wrong-password-55",
        &token,
        PASSWORD,
    ] {
        assert!(!logs.contains(secret), "a secret reached the log:\n{logs}");
    }
}

/// Reads until the server closes `stream` (end of stream or reset) or `deadline` passes; true
/// when it closed.
async fn closed_by_server(
    stream: &mut tokio::net::TcpStream,
    deadline: std::time::Duration,
) -> bool {
    use tokio::io::AsyncReadExt as _;
    let mut buffer = [0_u8; 1024];
    tokio::time::timeout(deadline, async {
        loop {
            match stream.read(&mut buffer).await {
                Ok(0) | Err(_) => return true,
                Ok(_) => {}
            }
        }
    })
    .await
    .unwrap_or(false)
}

#[tokio::test]
async fn half_open_connections_are_capped_per_address_and_closed_when_their_head_is_late() {
    use tokio::io::AsyncWriteExt as _;
    let app = crate::support::spawn_app_with(&[
        ("SOIREE_MAX_CONNECTIONS_PER_ADDRESS", "8"),
        ("SOIREE_REQUEST_HEAD_TIMEOUT", "2s"),
    ])
    .await;
    let address = app.url("").trim_start_matches("http://").to_owned();
    // Eight connections that start a request and never finish its head.
    let mut held = Vec::new();
    for _ in 0..8 {
        let mut stream = tokio::net::TcpStream::connect(&address).await.unwrap();
        stream
            .write_all(b"GET /healthz HTTP/1.1\r\nHost: soiree\r\n")
            .await
            .unwrap();
        held.push(stream);
    }
    // The ninth from the same address is closed at once, before it sends anything.
    let mut ninth = tokio::net::TcpStream::connect(&address).await.unwrap();
    assert!(
        closed_by_server(&mut ninth, std::time::Duration::from_secs(5)).await,
        "a connection past the cap is closed"
    );
    // The held ones are closed once their head is late, and their places come back.
    for stream in &mut held {
        assert!(
            closed_by_server(stream, std::time::Duration::from_secs(15)).await,
            "a connection whose head never ends is closed"
        );
    }
    crate::support::eventually(
        std::time::Duration::from_secs(10),
        "the places to come back",
        || async {
            app.client
                .get(app.url("/healthz"))
                .send()
                .await
                .is_ok_and(|response| response.status() == reqwest::StatusCode::OK)
        },
    )
    .await;
    assert!(app.logs().contains("too many open from this address"));
}

#[tokio::test]
async fn an_idle_keep_alive_connection_is_closed_and_a_room_socket_is_kept_alive_by_pings() {
    use futures_util::StreamExt as _;
    use tokio::io::AsyncWriteExt as _;
    use tokio_tungstenite::tungstenite::Message;

    use crate::support::rooms::{create_room, join_as_guest, subscribe};

    let app = crate::support::spawn_app_with(&[("SOIREE_IDLE_TIMEOUT", "2s")]).await;
    let address = app.url("").trim_start_matches("http://").to_owned();
    let mut idle = tokio::net::TcpStream::connect(&address).await.unwrap();
    idle.write_all(b"GET /healthz HTTP/1.1\r\nHost: soiree\r\n\r\n")
        .await
        .unwrap();
    assert!(
        closed_by_server(&mut idle, std::time::Duration::from_secs(15)).await,
        "after its answer, an idle connection is closed"
    );

    // A room socket in a quiet room outlives the idle timeout: the server pings it.
    let host = app.signed_up("quiet").await;
    let room = create_room(&app, &host, serde_json::json!({"name": "Quiet"})).await;
    let code = room["room"]["code"].as_str().unwrap().to_owned();
    let (_, guest) = join_as_guest(&app, &code, "Ada").await;
    let mut socket = subscribe(&app, &code, &guest, None, 0).await.unwrap();
    let outcome = tokio::time::timeout(std::time::Duration::from_secs(5), async {
        while let Some(message) = socket.next().await {
            match message {
                Ok(Message::Close(frame)) => return Some(frame),
                Err(_) => return None,
                Ok(_) => {}
            }
        }
        None
    })
    .await;
    assert!(
        outcome.is_err(),
        "still open after 5 s (idle timeout 2 s): {outcome:?}"
    );
}
