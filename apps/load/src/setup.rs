//! Accounts, rooms and participants for a run, made through the public API like any client.

use std::net::SocketAddr;

use anyhow::{Context as _, bail};
use hyper::{Method, StatusCode};
use serde_json::{Value, json};

use crate::http::Connection;

/// The password every account of a run gets (it passes the server's policy).
const PASSWORD: &str = "load generator passphrase";

/// A name no earlier run used, so that runs can follow each other on one server.
pub(crate) fn run_prefix() -> String {
    format!("l{}", &uuid::Uuid::now_v7().simple().to_string()[20..])
}

/// Registers `username` and logs in; returns the session token.
pub(crate) async fn account(connection: &mut Connection, username: &str) -> anyhow::Result<String> {
    let body = json!({ "username": username, "password": PASSWORD });
    let registered = connection
        .send(Method::POST, "/api/v1/auth/register", None, Some(&body))
        .await?;
    if registered.status != StatusCode::CREATED {
        bail!(
            "registering {username}: {} {}",
            registered.status,
            registered.body
        );
    }
    let login = connection
        .send(Method::POST, "/api/v1/auth/login", None, Some(&body))
        .await?;
    if login.status != StatusCode::OK {
        bail!("logging in {username}: {} {}", login.status, login.body);
    }
    login.body["token"]
        .as_str()
        .map(str::to_owned)
        .context("a login without a token")
}

/// `count` accounts, made over `parallel` connections at once.
pub(crate) async fn accounts(
    address: SocketAddr,
    prefix: &str,
    count: usize,
    parallel: usize,
) -> anyhow::Result<Vec<String>> {
    let mut tasks = Vec::new();
    for worker in 0..parallel.max(1) {
        let prefix = prefix.to_owned();
        let parallel = parallel.max(1);
        tasks.push(tokio::spawn(async move {
            let mut connection = Connection::open(address).await?;
            let mut tokens = Vec::new();
            for index in (worker..count).step_by(parallel) {
                let token = account(&mut connection, &format!("{prefix}u{index}")).await?;
                tokens.push((index, token));
            }
            anyhow::Ok(tokens)
        }));
    }
    let mut tokens = Vec::new();
    for task in tasks {
        tokens.extend(task.await??);
    }
    tokens.sort();
    Ok(tokens.into_iter().map(|(_, token)| token).collect())
}

/// Creates a room as `host`; returns its code.
pub(crate) async fn room(
    connection: &mut Connection,
    host: &str,
    body: Value,
) -> anyhow::Result<String> {
    let created = connection
        .send(Method::POST, "/api/v1/rooms", Some(host), Some(&body))
        .await?;
    if created.status != StatusCode::CREATED {
        bail!("creating a room: {} {}", created.status, created.body);
    }
    created.body["room"]["code"]
        .as_str()
        .map(str::to_owned)
        .context("a room without a code")
}

/// Joins `code` with each account token.
pub(crate) async fn join_all(
    address: SocketAddr,
    code: &str,
    tokens: &[String],
    parallel: usize,
) -> anyhow::Result<()> {
    let mut tasks = Vec::new();
    let parallel = parallel.max(1);
    for worker in 0..parallel {
        let chunk: Vec<String> = tokens
            .iter()
            .skip(worker)
            .step_by(parallel)
            .cloned()
            .collect();
        let path = format!("/api/v1/rooms/{code}/join");
        tasks.push(tokio::spawn(async move {
            let mut connection = Connection::open(address).await?;
            for token in chunk {
                let joined = connection
                    .send(Method::POST, &path, Some(&token), Some(&json!({})))
                    .await?;
                if joined.status != StatusCode::OK {
                    bail!("joining: {} {}", joined.status, joined.body);
                }
            }
            anyhow::Ok(())
        }));
    }
    for task in tasks {
        task.await??;
    }
    Ok(())
}

/// `count` guests join `code`; returns their tokens.
pub(crate) async fn guests(
    address: SocketAddr,
    code: &str,
    count: usize,
    parallel: usize,
) -> anyhow::Result<Vec<String>> {
    let mut tasks = Vec::new();
    let parallel = parallel.max(1);
    for worker in 0..parallel {
        let path = format!("/api/v1/rooms/{code}/join");
        tasks.push(tokio::spawn(async move {
            let mut connection = Connection::open(address).await?;
            let mut tokens = Vec::new();
            for index in (worker..count).step_by(parallel) {
                let body = json!({ "display_name": format!("Guest {index}") });
                let joined = connection
                    .send(Method::POST, &path, None, Some(&body))
                    .await?;
                if joined.status != StatusCode::OK {
                    bail!("joining as a guest: {} {}", joined.status, joined.body);
                }
                let token = joined.body["guest_token"]
                    .as_str()
                    .context("a guest join without a token")?
                    .to_owned();
                tokens.push(token);
            }
            anyhow::Ok(tokens)
        }));
    }
    let mut tokens = Vec::new();
    for task in tasks {
        tokens.extend(task.await??);
    }
    Ok(tokens)
}

/// The room's last event number, from its snapshot.
pub(crate) async fn last_seq(
    connection: &mut Connection,
    code: &str,
    token: &str,
) -> anyhow::Result<u64> {
    let snapshot = connection
        .send(
            Method::GET,
            &format!("/api/v1/rooms/{code}"),
            Some(token),
            None,
        )
        .await?;
    snapshot.body["last_seq"].as_u64().with_context(|| {
        format!(
            "a snapshot without last_seq: {} {}",
            snapshot.status, snapshot.body
        )
    })
}

/// A track URI for index `n` (valid for the server; no provider is asked about it).
pub(crate) fn track(n: usize) -> String {
    format!("spotify:track:{:0>22}", n)
}
