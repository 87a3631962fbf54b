//! `spawn_app()` starts the real binary and returns a [`TestApp`] with one helper per endpoint.

use std::io::{BufRead as _, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use reqwest::{Method, Response, StatusCode};
use serde_json::{Value, json};
use soiree_storage::testing::ScratchPostgres;

pub(crate) mod browser;
pub(crate) mod rooms;

/// A password that passes the policy, used throughout.
pub(crate) const PASSWORD: &str = "correct horse battery staple";

/// A running `soiree serve` and a client for it.
pub(crate) struct TestApp {
    pub(crate) base_url: String,
    pub(crate) client: reqwest::Client,
    process: Child,
    logs: Arc<Mutex<Vec<String>>>,
    settings: Vec<(String, String)>,
    data_dir: tempfile::TempDir,
    postgres: Option<ScratchPostgres>,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
        if let Some(postgres) = self.postgres.take() {
            drop_postgres_database(postgres);
        }
    }
}

/// Starts the server on SQLite in a fresh data directory.
pub(crate) async fn spawn_app() -> TestApp {
    spawn_app_with(&[]).await
}

/// Starts the server with extra `SOIREE_*` settings.
pub(crate) async fn spawn_app_with(settings: &[(&str, &str)]) -> TestApp {
    spawn(settings, None, None).await
}

/// Starts the server with a `.env` file holding `contents` in its working directory.
pub(crate) async fn spawn_app_with_dotenv(contents: &str) -> TestApp {
    spawn(&[], None, Some(contents)).await
}

/// Starts the server on a fresh PostgreSQL database, when `SOIREE_TEST_POSTGRES_URL` is set.
pub(crate) async fn spawn_app_on_postgres() -> Option<TestApp> {
    let admin_url = postgres_admin_url()?;
    let scratch = ScratchPostgres::create(&admin_url, "soiree_e2e")
        .await
        .expect("creating a PostgreSQL database");
    let url = scratch.url().to_owned();
    Some(spawn(&[("SOIREE_DATABASE_URL", &url)], Some(scratch), None).await)
}

/// The PostgreSQL server's URL, counted as a test that ran against it; `None` (announced, and a
/// failure under CI) when `SOIREE_TEST_POSTGRES_URL` is not set.
pub(crate) fn postgres_admin_url() -> Option<String> {
    match std::env::var("SOIREE_TEST_POSTGRES_URL") {
        Ok(url) if !url.is_empty() => {
            soiree_test_tally::ran(soiree_test_tally::Backend::Postgres);
            Some(url)
        }
        _ => {
            soiree_test_tally::skipped(
                soiree_test_tally::Backend::Postgres,
                "an end-to-end test",
                "set SOIREE_TEST_POSTGRES_URL (see .ci/run)",
            );
            None
        }
    }
}

async fn spawn(
    settings: &[(&str, &str)],
    postgres: Option<ScratchPostgres>,
    dotenv: Option<&str>,
) -> TestApp {
    let data_dir = tempfile::tempdir().expect("creating a data directory");
    if let Some(contents) = dotenv {
        std::fs::write(data_dir.path().join(".env"), contents).expect("writing .env");
    }
    let settings: Vec<(String, String)> = settings
        .iter()
        .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
        .collect();
    let (process, logs, address) = start(data_dir.path(), &settings);
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("building an HTTP client");
    TestApp {
        base_url: format!("http://{address}"),
        client,
        process,
        logs,
        settings,
        data_dir,
        postgres,
    }
}

/// The tier table with every limit lifted (the load generator's).
pub(crate) const UNLIMITED_TIERS: &str =
    concat!(env!("CARGO_MANIFEST_DIR"), "/../load/tiers-unlimited.toml");

/// Starts `soiree serve` in `data_dir` with `settings`; returns the process, its log lines (as
/// they come) and the address it listens on.
fn start(
    data_dir: &std::path::Path,
    settings: &[(String, String)],
) -> (Child, Arc<Mutex<Vec<String>>>, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_soiree"));
    // The server must see only this test's settings: none inherited from the developer's shell,
    // and no `.env` unless the test writes one (it runs in its own data directory).
    for (name, _) in std::env::vars().filter(|(name, _)| name.starts_with("SOIREE_")) {
        command.env_remove(name);
    }
    command
        .arg("serve")
        .current_dir(data_dir)
        .env("SOIREE_BIND", "127.0.0.1:0")
        .env("SOIREE_DATA_DIR", data_dir)
        .env("RUST_LOG", "info")
        // The tests exercise the server, not its limits: every limit is lifted unless a test
        // names its own tier table (the rate-limit tests do).
        .env("SOIREE_TIERS_FILE", UNLIMITED_TIERS)
        // Every test client is 127.0.0.1, and a crowd test opens hundreds of sockets: no cap on
        // connections per address unless a test sets one.
        .env("SOIREE_MAX_CONNECTIONS_PER_ADDRESS", "0")
        .envs(settings.iter().map(|(name, value)| (name, value)))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let mut process = command.spawn().expect("starting the soiree binary");
    let stderr = process.stderr.take().expect("piped stderr");
    let logs = Arc::new(Mutex::new(Vec::new()));
    let (address_sender, address_receiver) = mpsc::channel();
    let thread_logs = Arc::clone(&logs);
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if let Some(address) = line.split("listening on http://").nth(1) {
                let address = address
                    .split_whitespace()
                    .next()
                    .unwrap_or_default()
                    .to_owned();
                let _ = address_sender.send(address);
            }
            thread_logs.lock().expect("log lock").push(line);
        }
    });
    match address_receiver.recv_timeout(Duration::from_secs(60)) {
        Ok(address) => (process, logs, address),
        Err(_) => {
            let _ = process.kill();
            panic!(
                "the server did not start within 60 s; its log:\n{}",
                logs.lock().expect("log lock").join("\n")
            );
        }
    }
}

impl TestApp {
    /// Kills the server at once (SIGKILL: no shutdown, no flush) and starts it again on the same
    /// address, data directory and database, as a crash and a restart would.
    /// Sends SIGTERM, as an orchestrator stopping the server would, and waits for the process to
    /// end (at most 30 s); returns how it ended.
    pub(crate) fn terminate(&mut self) -> std::process::ExitStatus {
        let sent = Command::new("kill")
            .args(["-TERM", &self.process.id().to_string()])
            .status()
            .expect("running kill");
        assert!(sent.success(), "SIGTERM was sent");
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = self.process.try_wait().expect("waiting for the server") {
                return status;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "the server did not stop within 30 s of SIGTERM; its log:\n{}",
                self.logs()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub(crate) fn kill_and_restart(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
        let mut settings = self.settings.clone();
        let address = self.base_url.trim_start_matches("http://").to_owned();
        settings.push(("SOIREE_BIND".to_owned(), address));
        let (process, logs, address) = start(self.data_dir.path(), &settings);
        self.process = process;
        self.logs = logs;
        self.base_url = format!("http://{address}");
    }

    /// Runs `soiree ARGS` as an operator would beside this server: the same data directory,
    /// database and tier table, nothing from the developer's shell; stdin is not a terminal.
    pub(crate) fn command(&self, args: &[&str]) -> std::process::Output {
        let mut command = Command::new(env!("CARGO_BIN_EXE_soiree"));
        for (name, _) in std::env::vars().filter(|(name, _)| name.starts_with("SOIREE_")) {
            command.env_remove(name);
        }
        command
            .args(args)
            .current_dir(self.data_dir.path())
            .env("SOIREE_DATA_DIR", self.data_dir.path())
            .env("RUST_LOG", "warn")
            .env("SOIREE_TIERS_FILE", UNLIMITED_TIERS)
            // Every test client is 127.0.0.1, and a crowd test opens hundreds of sockets: no cap on
            // connections per address unless a test sets one.
            .env("SOIREE_MAX_CONNECTIONS_PER_ADDRESS", "0")
            .envs(self.settings.iter().map(|(name, value)| (name, value)))
            .stdin(Stdio::null())
            .output()
            .expect("running the soiree binary")
    }

    /// The server's data directory.
    /// The PostgreSQL database's URL, when the app runs on one.
    pub(crate) fn database_url(&self) -> Option<&str> {
        self.postgres.as_ref().map(ScratchPostgres::url)
    }

    pub(crate) fn data_dir(&self) -> &std::path::Path {
        self.data_dir.path()
    }

    /// Everything the server has logged so far.
    pub(crate) fn logs(&self) -> String {
        self.logs.lock().expect("log lock").join("\n")
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    pub(crate) async fn get(&self, path: &str, token: Option<&str>) -> Response {
        self.send(Method::GET, path, token, None).await
    }

    pub(crate) async fn send(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Response {
        let mut request = self.client.request(method, self.url(path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        request.send().await.expect("sending a request")
    }

    pub(crate) async fn register(
        &self,
        username: &str,
        password: &str,
        email: Option<&str>,
    ) -> Response {
        let body = json!({ "username": username, "password": password, "email": email });
        self.send(Method::POST, "/api/v1/auth/register", None, Some(body))
            .await
    }

    pub(crate) async fn login(&self, username: &str, password: &str) -> Response {
        let body = json!({ "username": username, "password": password });
        self.send(Method::POST, "/api/v1/auth/login", None, Some(body))
            .await
    }

    /// Registers `username` with [`PASSWORD`] and logs in; returns the token.
    pub(crate) async fn signed_up(&self, username: &str) -> String {
        let registered = self.register(username, PASSWORD, None).await;
        assert_eq!(
            registered.status(),
            StatusCode::CREATED,
            "{}",
            registered.text().await.unwrap_or_default()
        );
        let login = self.login(username, PASSWORD).await;
        assert_eq!(login.status(), StatusCode::OK);
        let body: Value = login.json().await.expect("login body");
        body["token"].as_str().expect("a token").to_owned()
    }

    pub(crate) async fn me(&self, token: &str) -> Response {
        self.get("/api/v1/me", Some(token)).await
    }

    pub(crate) async fn patch_me(&self, token: &str, body: Value) -> Response {
        self.send(Method::PATCH, "/api/v1/me", Some(token), Some(body))
            .await
    }

    pub(crate) async fn logout(&self, token: &str) -> Response {
        self.send(Method::POST, "/api/v1/auth/logout", Some(token), None)
            .await
    }
}

/// Reads a problem document, checking its media type and the fields every problem has.
pub(crate) async fn problem(response: Response, status: StatusCode) -> Value {
    assert_eq!(response.status(), status);
    let content_type = response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert_eq!(content_type, "application/problem+json");
    let body: Value = response.json().await.expect("a JSON problem document");
    assert_eq!(body["status"], status.as_u16(), "{body}");
    let code = body["code"].as_str().expect("a code");
    assert_eq!(body["type"], format!("urn:soiree:problem:{code}"), "{body}");
    assert!(
        body["title"]
            .as_str()
            .is_some_and(|title| !title.is_empty()),
        "{body}"
    );
    assert!(
        body["detail"]
            .as_str()
            .is_some_and(|detail| detail.ends_with('.')),
        "{body}"
    );
    body
}

/// Polls `condition` until it holds or `deadline` passes.
pub(crate) async fn eventually<F, Fut>(deadline: Duration, what: &str, mut condition: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let start = Instant::now();
    while !condition().await {
        assert!(
            start.elapsed() < deadline,
            "timed out after {deadline:?} waiting until {what}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Drops a test database from a fresh runtime (this runs inside `Drop`, possibly while a test's
/// runtime is shutting down).
fn drop_postgres_database(postgres: ScratchPostgres) {
    let outcome = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .ok()?;
        runtime.block_on(postgres.drop_database()).ok()
    })
    .join();
    if !matches!(outcome, Ok(Some(()))) {
        eprintln!("note: a PostgreSQL test database could not be dropped");
    }
}

/// Two servers on one fresh PostgreSQL database (sharing the secret key), both pointed at an
/// in-test simulator, as a scaled-out deployment runs, with `extra` settings; `None` without
/// `SOIREE_TEST_POSTGRES_URL`.
pub(crate) async fn spawn_pair_on_postgres(
    extra: &[(&str, &str)],
) -> Option<(TestApp, TestApp, soiree_provider_sim::RunningSimulator)> {
    use soiree_provider_sim::{SimProvider, Simulator};
    let admin_url = postgres_admin_url()?;
    let scratch = ScratchPostgres::create(&admin_url, "soiree_e2e")
        .await
        .expect("creating a PostgreSQL database");
    let url = scratch.url().to_owned();
    let simulator = Simulator::new(11);
    simulator.register_app(SimProvider::Spotify, "e2e-spotify", CLIENT_SECRET, &[]);
    let sim = simulator
        .serve("127.0.0.1:0")
        .await
        .expect("starting the simulator");
    // Both processes must open each other's sealed secrets: one key (32 bytes of 7s, base64).
    let key = "k1:BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=";
    let mut settings = vec![
        ("SOIREE_DATABASE_URL", url.as_str()),
        ("SOIREE_SECRET_KEY", key),
        (
            "SOIREE_SPOTIFY_ACCOUNTS_URL",
            sim.urls.spotify_accounts.as_str(),
        ),
        ("SOIREE_SPOTIFY_API_URL", sim.urls.spotify_api.as_str()),
    ];
    settings.extend_from_slice(extra);
    let first = spawn(&settings, Some(scratch), None).await;
    let second = spawn(&settings, None, None).await;
    Some((first, second, sim))
}

/// A running server whose providers are an in-test simulator, with one developer app registered
/// at each provider (client id `e2e-{provider}`, secret [`CLIENT_SECRET`]).
pub(crate) struct TestAppWithSim {
    pub(crate) app: TestApp,
    pub(crate) sim: soiree_provider_sim::RunningSimulator,
}

/// The simulated developer apps' secret: a canary that must never appear in a response or log.
pub(crate) const CLIENT_SECRET: &str = "canary-client-secret-e2e-4242";

pub(crate) async fn spawn_app_with_sim() -> TestAppWithSim {
    spawn_app_with_sim_and(&[]).await
}

/// [`spawn_app_with_sim`] with more settings.
pub(crate) async fn spawn_app_with_sim_and(settings: &[(&str, &str)]) -> TestAppWithSim {
    use soiree_provider_sim::{SimProvider, Simulator};
    let simulator = Simulator::new(7);
    simulator.register_app(SimProvider::Spotify, "e2e-spotify", CLIENT_SECRET, &[]);
    simulator.register_app(
        SimProvider::SoundCloud,
        "e2e-soundcloud",
        CLIENT_SECRET,
        &[],
    );
    let sim = simulator
        .serve("127.0.0.1:0")
        .await
        .expect("starting the simulator");
    let urls = sim.urls.clone();
    let mut all = vec![
        (
            "SOIREE_SPOTIFY_ACCOUNTS_URL",
            urls.spotify_accounts.as_str(),
        ),
        ("SOIREE_SPOTIFY_API_URL", urls.spotify_api.as_str()),
        ("SOIREE_SOUNDCLOUD_AUTH_URL", urls.soundcloud_auth.as_str()),
        ("SOIREE_SOUNDCLOUD_API_URL", urls.soundcloud_api.as_str()),
    ];
    all.extend_from_slice(settings);
    let app = spawn_app_with(&all).await;
    TestAppWithSim { app, sim }
}

/// Starts an authorization as `token`'s session and answers the (simulated) provider's consent
/// page as a browser would, as `sim_user` with `decision` (`approve` or `deny`); returns the
/// callback URL the provider redirected the browser to.
pub(crate) async fn consent(
    app: &TestApp,
    token: &str,
    provider: &str,
    sim_user: &str,
    decision: &str,
) -> String {
    let authorize = app
        .get(
            &format!("/api/v1/connections/{provider}/authorize"),
            Some(token),
        )
        .await;
    assert_eq!(authorize.status(), StatusCode::OK);
    let auth_url: Value = authorize.json().await.expect("an authorize body");
    let auth_url =
        url::Url::parse(auth_url["auth_url"].as_str().expect("auth_url")).expect("a URL");
    let mut form: Vec<(String, String)> = auth_url.query_pairs().into_owned().collect();
    form.push(("user".into(), sim_user.into()));
    form.push(("decision".into(), decision.into()));
    let mut action = auth_url.clone();
    action.set_query(None);
    let answer = app
        .client
        .post(action)
        .form(&form)
        .send()
        .await
        .expect("consenting");
    assert_eq!(
        answer.status(),
        StatusCode::FOUND,
        "the simulator redirects back"
    );
    answer.headers()[reqwest::header::LOCATION]
        .to_str()
        .expect("a location")
        .to_owned()
}

impl TestAppWithSim {
    /// `PUT /api/v1/connections/{provider}/credentials` with the registered app.
    pub(crate) async fn configure(&self, token: &str, provider: &str) -> Response {
        let body =
            json!({ "client_id": format!("e2e-{provider}"), "client_secret": CLIENT_SECRET });
        self.app
            .send(
                Method::PUT,
                &format!("/api/v1/connections/{provider}/credentials"),
                Some(token),
                Some(body),
            )
            .await
    }

    /// Starts an authorization as `token`'s session and consents at the simulator as `sim_user`
    /// (`approve` or `deny`); returns the callback URL the provider redirected the browser to.
    pub(crate) async fn consent(
        &self,
        token: &str,
        provider: &str,
        sim_user: &str,
        decision: &str,
    ) -> String {
        consent(&self.app, token, provider, sim_user, decision).await
    }

    /// Follows the provider's redirect in the browser session of `token` (its cookie).
    pub(crate) async fn callback(&self, callback_url: &str, token: Option<&str>) -> Response {
        let mut request = self.app.client.get(callback_url);
        if let Some(token) = token {
            request = request.header(reqwest::header::COOKIE, format!("soiree_session={token}"));
        }
        request.send().await.expect("following the callback")
    }

    /// Configures, consents as `sim_user` and completes the callback.
    pub(crate) async fn connect(&self, token: &str, provider: &str, sim_user: &str) {
        assert_eq!(
            self.configure(token, provider).await.status(),
            StatusCode::OK
        );
        let callback = self.consent(token, provider, sim_user, "approve").await;
        let answer = self.callback(&callback, Some(token)).await;
        let location = answer
            .headers()
            .get(reqwest::header::LOCATION)
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        assert_eq!(
            (answer.status(), location.as_str()),
            (
                StatusCode::FOUND,
                format!("/connect?connected={provider}").as_str()
            )
        );
    }

    /// A `/_sim` switch.
    pub(crate) async fn sim(&self, method: Method, path: &str, body: Value) -> Response {
        self.app
            .client
            .request(method, format!("{}/_sim{path}", self.sim.urls.base))
            .json(&body)
            .send()
            .await
            .expect("a simulator switch")
    }

    /// The simulator's player state of `sim_user`.
    pub(crate) async fn sim_player(&self, sim_user: &str) -> Value {
        let response = self
            .app
            .client
            .get(format!(
                "{}/_sim/users/{sim_user}/player",
                self.sim.urls.base
            ))
            .send()
            .await
            .expect("reading the simulated player");
        response.json().await.expect("a player body")
    }

    /// The status of one provider in `GET /api/v1/connections`.
    pub(crate) async fn connection(&self, token: &str, provider: &str) -> Value {
        let list: Value = self
            .app
            .get("/api/v1/connections", Some(token))
            .await
            .json()
            .await
            .expect("a connections body");
        list["connections"]
            .as_array()
            .expect("connections")
            .iter()
            .find(|entry| entry["provider"] == provider)
            .cloned()
            .expect("the provider is listed")
    }

    /// How many refresh requests the simulated token endpoint of `provider` received.
    pub(crate) fn refreshes(&self, provider: &str) -> u64 {
        let path = match provider {
            "spotify" => "/spotify/accounts/api/token",
            _ => "/soundcloud/auth/oauth/token",
        };
        self.sim
            .simulator
            .calls(&format!("POST {path} refresh_token"))
    }
}
