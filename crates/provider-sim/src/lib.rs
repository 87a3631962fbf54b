//! A faithful fake of the Spotify accounts service and Web API subset Soirée uses, and of
//! SoundCloud's OAuth, `/me` and `/me/likes/tracks`, for tests and `soiree serve --demo`.
//!
//! Faithful means: real OAuth (codes bound to client, redirect URI and PKCE challenge; client
//! secrets checked; single-use codes), access tokens that expire, refresh tokens that rotate where
//! the provider rotates them, users with liked tracks from a catalogue generated from a seed,
//! premium and free accounts, devices, and playback that advances with time. Responses follow the
//! providers' published OpenAPI documents (see the tests) and their error shapes.
//!
//! Test switches live under `/_sim`: script the next N answers of a route (a status with
//! `Retry-After`, or a delay), revoke refresh tokens, expire access tokens, drop devices, change
//! token lifetime or rotation, read call counters and a user's player.
//!
//! Paths: Spotify's accounts service at `{base}/spotify/accounts`, its Web API at
//! `{base}/spotify/api/v1`; SoundCloud's auth at `{base}/soundcloud/auth`, its API at
//! `{base}/soundcloud/api`.

// Handlers return a ready `Response` as their error: in a fake HTTP server every error is an
// answer to send, and boxing them would only add noise.
#![allow(clippy::result_large_err)]

mod admin;
mod oauth;
mod soundcloud;
mod spotify;
mod state;

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use anyhow::Context as _;
use poem::http::StatusCode;
use poem::listener::{Acceptor as _, Listener as _, TcpListener};
use poem::{Endpoint, EndpointExt as _, IntoResponse, Response, Route};

pub use state::SimProvider;
use state::World;

/// Where the simulated services live under a simulator's base URL.
#[derive(Debug, Clone)]
pub struct SimUrls {
    /// The simulator's own address, `http://127.0.0.1:PORT`.
    pub base: String,
    /// Spotify's accounts service (authorize, token).
    pub spotify_accounts: String,
    /// Spotify's Web API.
    pub spotify_api: String,
    /// SoundCloud's authorization service.
    pub soundcloud_auth: String,
    /// SoundCloud's API.
    pub soundcloud_api: String,
}

impl SimUrls {
    /// The URLs of a simulator at `base`.
    pub fn at(base: &str) -> Self {
        let base = base.trim_end_matches('/').to_owned();
        Self {
            spotify_accounts: format!("{base}/spotify/accounts"),
            spotify_api: format!("{base}/spotify/api/v1"),
            soundcloud_auth: format!("{base}/soundcloud/auth"),
            soundcloud_api: format!("{base}/soundcloud/api"),
            base,
        }
    }
}

/// A simulator: its world, shared by every request.
#[derive(Debug, Clone)]
pub struct Simulator {
    world: Arc<Mutex<World>>,
}

impl Simulator {
    /// A simulator whose catalogue and users come from `seed`.
    pub fn new(seed: u64) -> Self {
        Self {
            world: Arc::new(Mutex::new(World::generate(seed))),
        }
    }

    pub(crate) fn world(&self) -> MutexGuard<'_, World> {
        self.world.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Registers a developer app. `redirect_uris` empty accepts any redirect URI.
    pub fn register_app(
        &self,
        provider: SimProvider,
        client_id: &str,
        client_secret: &str,
        redirect_uris: &[String],
    ) {
        self.world().apps.insert(
            (provider, client_id.to_owned()),
            state::App {
                secret: client_secret.to_owned(),
                redirect_uris: redirect_uris.to_vec(),
            },
        );
    }

    /// How many requests `route` (such as `POST /spotify/accounts/api/token`) received.
    pub fn calls(&self, route: &str) -> u64 {
        self.world().calls.get(route).copied().unwrap_or(0)
    }

    /// The simulator as one poem endpoint.
    pub fn endpoint(&self) -> impl Endpoint + use<> {
        let simulator = self.clone();
        Route::new()
            .nest("/spotify/accounts", oauth::routes(SimProvider::Spotify))
            .nest("/soundcloud/auth", oauth::routes(SimProvider::SoundCloud))
            .nest("/spotify/api/v1", spotify::routes())
            .nest("/soundcloud/api", soundcloud::routes())
            .nest("/soundcloud/storage", soundcloud::storage_routes())
            .nest("/_sim", admin::routes())
            .data(self.clone())
            .around(move |endpoint, request| {
                let simulator = simulator.clone();
                async move {
                    let route = format!("{} {}", request.method(), request.uri().path());
                    let fault = if route.contains(" /_sim") {
                        None
                    } else {
                        simulator.world().record_call(&route)
                    };
                    if let Some(fault) = fault {
                        if let Some(delay) = fault.delay_ms {
                            tokio::time::sleep(std::time::Duration::from_millis(delay)).await;
                        }
                        if let Some(status) = fault.status {
                            return Ok(fault_response(status, fault.retry_after));
                        }
                    }
                    Ok(endpoint.call(request).await?.into_response())
                }
            })
    }

    /// Serves the simulator on `address` (port 0 picks one) in a background task.
    pub async fn serve(self, address: &str) -> anyhow::Result<RunningSimulator> {
        let acceptor = TcpListener::bind(address.to_owned())
            .into_acceptor()
            .await
            .with_context(|| format!("binding the provider simulator to {address}"))?;
        let local = acceptor
            .local_addr()
            .first()
            .and_then(|address| address.as_socket_addr().copied())
            .context("reading the simulator's address")?;
        let endpoint = self.endpoint();
        let task = tokio::spawn(async move {
            if let Err(error) = poem::Server::new_with_acceptor(acceptor)
                .run(endpoint)
                .await
            {
                tracing::error!(%error, "the provider simulator stopped");
            }
        });
        Ok(RunningSimulator {
            urls: SimUrls::at(&format!("http://{local}")),
            simulator: self,
            task,
        })
    }
}

/// A simulator serving in the background; dropping it stops it.
#[derive(Debug)]
pub struct RunningSimulator {
    /// Where it serves.
    pub urls: SimUrls,
    /// Its world, for switches and counters.
    pub simulator: Simulator,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for RunningSimulator {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn fault_response(status: u16, retry_after: Option<u64>) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let body = serde_json::json!({"error": {"status": status.as_u16(), "message": status.canonical_reason().unwrap_or("error")}});
    let mut response = Response::builder()
        .status(status)
        .content_type("application/json")
        .body(body.to_string());
    if let Some(seconds) = retry_after
        && let Ok(value) = poem::http::HeaderValue::from_str(&seconds.to_string())
    {
        response
            .headers_mut()
            .insert(poem::http::header::RETRY_AFTER, value);
    }
    response
}

/// A JSON response with a status.
pub(crate) fn json(status: StatusCode, body: serde_json::Value) -> Response {
    Response::builder()
        .status(status)
        .content_type("application/json")
        .body(body.to_string())
}
