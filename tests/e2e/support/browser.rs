//! Real browsers for the pages: headless Chromium driven over WebDriver (chromedriver), one
//! session per person, each with its own profile (cookies, local storage).
//!
//! Chromium and chromedriver come from Debian (`apt-get install chromium chromium-driver`; `.ci/run`
//! installs them). Without them a test says so and passes locally; under `CI=true` it fails.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{Value, json};

use super::PASSWORD;

/// How long a page may take to show what a test waits for.
const PATIENCE: Duration = Duration::from_secs(10);

/// A screen size: a phone (with touch and a phone's pixel density) or a desktop window.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Screen {
    Phone,
    Desktop,
}

/// A chromedriver process; it ends with the value.
pub(crate) struct Driver {
    process: Child,
    url: String,
    chromium: PathBuf,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

fn on_path(names: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .flat_map(|dir| names.iter().map(move |name| dir.join(name)))
        .find(|candidate| candidate.is_file())
}

/// Starts chromedriver, or explains why the browser tests cannot run here (`None`). Under
/// `CI=true` a missing browser fails the test.
pub(crate) async fn driver(test: &str) -> Option<Driver> {
    let chromium = std::env::var_os("SOIREE_TEST_CHROMIUM")
        .map(PathBuf::from)
        .or_else(|| on_path(&["chromium", "chromium-browser", "google-chrome"]));
    let chromedriver = std::env::var_os("SOIREE_TEST_CHROMEDRIVER")
        .map(PathBuf::from)
        .or_else(|| on_path(&["chromedriver"]));
    let (Some(chromium), Some(chromedriver)) = (chromium, chromedriver) else {
        soiree_test_tally::skipped(
            soiree_test_tally::Backend::Browser,
            test,
            "no Chromium or chromedriver on PATH (apt-get install chromium chromium-driver)",
        );
        return None;
    };
    soiree_test_tally::ran(soiree_test_tally::Backend::Browser);
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port();
    let process = Command::new(chromedriver)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("starting chromedriver");
    let driver = Driver {
        process,
        url: format!("http://127.0.0.1:{port}"),
        chromium,
    };
    let started = Instant::now();
    loop {
        let ready = reqwest::get(format!("{}/status", driver.url))
            .await
            .ok()
            .filter(|response| response.status().is_success());
        if ready.is_some() {
            break;
        }
        assert!(
            started.elapsed() < PATIENCE,
            "chromedriver did not start within {PATIENCE:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Some(driver)
}

/// One person's browser.
pub(crate) struct Browser {
    pub(crate) client: Client,
    base_url: String,
}

impl Driver {
    /// A new browser (a fresh profile) at `screen` size, in English, on `base_url`.
    pub(crate) async fn browser(&self, screen: Screen, base_url: &str) -> Browser {
        let mut args = vec![
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-quic",
            "--lang=en-US",
        ];
        let mut options = json!({
            "binary": self.chromium,
            "prefs": { "intl.accept_languages": "en-US,en" },
        });
        match screen {
            Screen::Desktop => args.push("--window-size=1280,900"),
            Screen::Phone => {
                options["mobileEmulation"] = json!({
                    "deviceMetrics": { "width": 390, "height": 844, "pixelRatio": 2, "touch": true, "mobile": true },
                });
            }
        }
        options["args"] = json!(args);
        let capabilities = match json!({ "browserName": "chrome", "goog:chromeOptions": options }) {
            Value::Object(map) => map,
            _ => unreachable!("a JSON object"),
        };
        let client = ClientBuilder::new(HttpConnector::new())
            .capabilities(capabilities)
            .connect(&self.url)
            .await
            .expect("opening a Chromium session");
        Browser {
            client,
            base_url: base_url.to_owned(),
        }
    }
}

impl Browser {
    /// Opens a page of the server.
    pub(crate) async fn open(&self, path: &str) {
        self.client
            .goto(&format!("{}{path}", self.base_url))
            .await
            .expect("opening a page");
    }

    /// Tries `attempt` until it succeeds; fails the test with its last reason after [`PATIENCE`].
    async fn until<T, Fut>(&self, mut attempt: impl FnMut() -> Fut) -> T
    where
        Fut: Future<Output = Result<T, String>>,
    {
        let started = Instant::now();
        loop {
            match attempt().await {
                Ok(value) => return value,
                Err(why) => assert!(
                    started.elapsed() < PATIENCE,
                    "{why} on {} after {PATIENCE:?}",
                    self.path().await
                ),
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The visible element matching `css`, waiting until there is one.
    pub(crate) async fn find(&self, css: &str) -> Element {
        self.until(|| async move {
            match self.client.find(Locator::Css(css)).await {
                Ok(element) if element.is_displayed().await.unwrap_or(false) => Ok(element),
                _ => Err(format!("nothing visible matches {css}")),
            }
        })
        .await
    }

    /// Types `text` into the field `css` (after clearing it).
    pub(crate) async fn fill(&self, css: &str, text: &str) {
        let field = self.find(css).await;
        field.clear().await.expect("clearing a field");
        field.send_keys(text).await.expect("typing");
    }

    /// Chooses the file at `path` in the file input `css`.
    pub(crate) async fn attach(&self, css: &str, path: &std::path::Path) {
        let input = self.find(css).await;
        input
            .send_keys(path.to_str().expect("a file path in UTF-8"))
            .await
            .expect("choosing a file");
    }

    /// Clicks the element `css`, finding it again if the page replaced it between the finding
    /// and the click (a list re-rendered by a script).
    pub(crate) async fn click(&self, css: &str) {
        self.until(|| async move {
            let element = self.find(css).await;
            element
                .click()
                .await
                .map_err(|error| format!("clicking {css}: {error}"))
        })
        .await;
    }

    /// Logs in as `username` (with the tests' password) on the login page, which must be open.
    pub(crate) async fn log_in(&self, username: &str) {
        self.fill("#username", username).await;
        self.fill("#password", PASSWORD).await;
        self.click("#login button[type=submit]").await;
    }

    /// Waits until the element `css` shows text containing `expected`; returns its text.
    pub(crate) async fn sees(&self, css: &str, expected: &str) -> String {
        self.until(|| async move {
            let text = match self.client.find(Locator::Css(css)).await {
                Ok(element) if element.is_displayed().await.unwrap_or(false) => {
                    element.text().await.unwrap_or_default()
                }
                _ => String::new(),
            };
            if text.contains(expected) {
                Ok(text)
            } else {
                Err(format!("{css} shows {text:?}, not {expected:?}"))
            }
        })
        .await
    }

    /// Waits until the address is `path` (with any query).
    pub(crate) async fn arrives_at(&self, path: &str) {
        self.until(|| async move {
            let here = self.path().await;
            if here == path {
                Ok(())
            } else {
                Err(format!("still not at {path}"))
            }
        })
        .await;
    }

    /// The current page's path.
    pub(crate) async fn path(&self) -> String {
        self.client
            .current_url()
            .await
            .map(|url| url.path().to_owned())
            .unwrap_or_default()
    }

    /// Scrolls the element `css` to the top of the window (before a screenshot of it).
    pub(crate) async fn scroll_to(&self, css: &str) {
        self.find(css).await;
        self.client
            .execute(
                "document.querySelector(arguments[0]).scrollIntoView({block: 'start'})",
                vec![serde_json::Value::from(css)],
            )
            .await
            .expect("scrolling");
    }

    /// Runs `script` in the page (an async function body; its result, awaited).
    pub(crate) async fn script(&self, script: &str) -> serde_json::Value {
        self.client
            .execute_async(
                &format!(
                    "const done = arguments[arguments.length - 1]; (async () => {{ {script} }})().then(done, (error) => done({{ error: String(error) }}));"
                ),
                vec![],
            )
            .await
            .expect("running a script in the page")
    }

    /// Answers "OK" to the page's next confirmation dialogs (`window.confirm`), as a person who
    /// means it would.
    pub(crate) async fn confirms_dialogs(&self) {
        self.client
            .execute("window.confirm = () => true", vec![])
            .await
            .expect("answering dialogs");
    }

    /// Saves a screenshot as `name`.png in `SOIREE_SCREENSHOTS` (a folder), when it is set; the
    /// project's documentation pictures are made this way.
    pub(crate) async fn screenshot(&self, name: &str) {
        let Some(folder) = std::env::var_os("SOIREE_SCREENSHOTS") else {
            return;
        };
        let png = self.client.screenshot().await.expect("a screenshot");
        std::fs::create_dir_all(&folder).expect("the screenshots folder");
        std::fs::write(PathBuf::from(folder).join(format!("{name}.png")), png)
            .expect("writing a screenshot");
    }

    /// Ends the session.
    pub(crate) async fn close(self) {
        let _ = self.client.close().await;
    }
}
