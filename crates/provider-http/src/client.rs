//! Sending requests with timeouts, bounded retries and `Retry-After`.

use std::time::Duration;

use rand_core::{OsRng, RngCore as _};
use reqwest::header::{HeaderMap, RETRY_AFTER};
use reqwest::{Client, RequestBuilder, Response, StatusCode};

/// How hard to try.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// Attempts in all, the first included.
    pub max_attempts: u32,
    /// The first backoff; it doubles per attempt, with up to 50 % random jitter added.
    pub base_delay: Duration,
    /// The longest `Retry-After` that is waited out; a longer one is returned as
    /// [`OutboundError::RateLimited`] for the caller to surface.
    pub max_retry_after: Duration,
    /// The time limit of one attempt, from sending to the last byte.
    pub timeout: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 3,
            base_delay: Duration::from_millis(200),
            max_retry_after: Duration::from_secs(5),
            timeout: Duration::from_secs(10),
        }
    }
}

/// Why a request got no usable answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OutboundError {
    /// 429 with a wait above the cap, or still 429 after the retries.
    #[error("the provider asks to wait {} s", .0.as_secs())]
    RateLimited(Duration),
    /// No answer in time.
    #[error("the provider did not answer within the time limit")]
    Timeout,
    /// Connection refused, DNS failure, TLS failure, a broken response.
    #[error("the provider could not be reached")]
    Unreachable,
    /// 5xx after the retries (or at once, for a call that must not be repeated).
    #[error("the provider failed with status {0}")]
    ServerError(u16),
}

/// The wait a response asks for: `Retry-After` in seconds (the form both providers use). A 429
/// without the header waits one second.
pub fn retry_after(headers: &HeaderMap) -> Duration {
    headers
        .get(RETRY_AFTER)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.trim().parse::<u64>().ok())
        .map_or(Duration::from_secs(1), Duration::from_secs)
}

/// One attempt of one call, as an observer sees it (for metrics): never a URL's query, a header
/// or a body.
#[derive(Debug, Clone, Copy)]
pub struct ObservedCall<'a> {
    /// The request's method.
    pub method: &'a str,
    /// The URL's path with its identifiers as `{id}` (see [`endpoint_of`]), so that the
    /// endpoints are few.
    pub endpoint: &'a str,
    /// The status answered; `None` when no answer came (timeout, unreachable).
    pub status: Option<u16>,
    /// What a 429 asked to wait.
    pub retry_after: Option<Duration>,
    /// From sending to the answer's head (or to the failure).
    pub took: Duration,
}

/// Told of every attempt an [`OutboundClient`] makes (the server counts them by endpoint and
/// status). It must return at once: it runs on the call's path.
pub trait CallObserver: Send + Sync + std::fmt::Debug {
    /// One attempt ended.
    fn observed(&self, call: &ObservedCall<'_>);
}

/// A path with each segment that holds an identifier (only digits, or 16 characters or more
/// that are not hyphenated words) replaced by `{id}`: `/v1/tracks/4iV5W9uYEdYUVa79Axb7Rh` is `/v1/tracks/{id}`.
pub fn endpoint_of(path: &str) -> String {
    path.split('/')
        .map(|segment| {
            let digits = !segment.is_empty() && segment.bytes().all(|byte| byte.is_ascii_digit());
            // Long, and not a word-like name such as `currently-playing`.
            let long_id = segment.len() >= 16
                && (segment.bytes().any(|byte| byte.is_ascii_digit()) || !segment.contains('-'));
            if digits || long_id { "{id}" } else { segment }
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// A reqwest client under a [`RetryPolicy`].
#[derive(Debug, Clone)]
pub struct OutboundClient {
    http: Client,
    policy: RetryPolicy,
    observer: Option<std::sync::Arc<dyn CallObserver>>,
}

impl OutboundClient {
    /// A client following `policy`. Redirects are not followed: no provider API redirects, and
    /// following them would let a compromised endpoint send tokens elsewhere.
    pub fn new(policy: RetryPolicy) -> Result<Self, OutboundError> {
        let http = Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .timeout(policy.timeout)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("soiree/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|_| OutboundError::Unreachable)?;
        Ok(Self {
            http,
            policy,
            observer: None,
        })
    }

    /// The same client, telling `observer` of every attempt.
    #[must_use]
    pub fn observed_by(mut self, observer: std::sync::Arc<dyn CallObserver>) -> Self {
        self.observer = Some(observer);
        self
    }

    /// Sends one attempt, telling the observer how it ended.
    async fn attempt(&self, request: RequestBuilder) -> reqwest::Result<Response> {
        let request = request.build()?;
        let Some(observer) = &self.observer else {
            return self.http.execute(request).await;
        };
        let method = request.method().as_str().to_owned();
        let endpoint = endpoint_of(request.url().path());
        let started = std::time::Instant::now();
        let outcome = self.http.execute(request).await;
        let status = outcome.as_ref().ok().map(|response| response.status());
        observer.observed(&ObservedCall {
            method: &method,
            endpoint: &endpoint,
            status: status.map(|status| status.as_u16()),
            retry_after: outcome
                .as_ref()
                .ok()
                .filter(|response| response.status() == StatusCode::TOO_MANY_REQUESTS)
                .map(|response| retry_after(response.headers())),
            took: started.elapsed(),
        });
        outcome
    }

    /// Sends the request `build` makes, retrying per the policy:
    /// - 429: waits `Retry-After` when it is within the cap and tries again (the provider did not
    ///   act on the request, so this is safe for any method); beyond the cap, returns
    ///   [`OutboundError::RateLimited`] at once;
    /// - timeouts, unreachable and 5xx: tried again with backoff only if `idempotent`.
    ///
    /// Any other status is returned for the caller to interpret.
    pub async fn send(
        &self,
        build: impl Fn(&Client) -> RequestBuilder,
        idempotent: bool,
    ) -> Result<Response, OutboundError> {
        let mut attempt = 1;
        loop {
            let last = attempt >= self.policy.max_attempts;
            match self.attempt(build(&self.http)).await {
                Ok(response) if response.status() == StatusCode::TOO_MANY_REQUESTS => {
                    let wait = retry_after(response.headers());
                    if wait > self.policy.max_retry_after || last {
                        return Err(OutboundError::RateLimited(wait));
                    }
                    tracing::info!(
                        wait_ms = wait.as_millis() as u64,
                        "provider rate limit; waiting as asked"
                    );
                    tokio::time::sleep(wait).await;
                }
                Ok(response) if response.status().is_server_error() => {
                    if !idempotent || last {
                        return Err(OutboundError::ServerError(response.status().as_u16()));
                    }
                    self.back_off(attempt).await;
                }
                Ok(response) => return Ok(response),
                Err(error) => {
                    let failure = if error.is_timeout() {
                        OutboundError::Timeout
                    } else {
                        OutboundError::Unreachable
                    };
                    if !idempotent || last {
                        return Err(failure);
                    }
                    tracing::info!(%failure, attempt, "provider call failed; retrying");
                    self.back_off(attempt).await;
                }
            }
            attempt += 1;
        }
    }

    async fn back_off(&self, attempt: u32) {
        let base = self.policy.base_delay * 2_u32.saturating_pow(attempt.saturating_sub(1));
        let jitter_ms = u64::from(OsRng.next_u32()) % (base.as_millis() as u64 / 2 + 1);
        tokio::time::sleep(base + Duration::from_millis(jitter_ms)).await;
    }

    /// The underlying reqwest client.
    pub fn http(&self) -> &Client {
        &self.http
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn endpoints_hide_identifiers() {
        assert_eq!(
            super::endpoint_of("/v1/tracks/4iV5W9uYEdYUVa79Axb7Rh"),
            "/v1/tracks/{id}"
        );
        assert_eq!(
            super::endpoint_of("/tracks/123/streams"),
            "/tracks/{id}/streams"
        );
        assert_eq!(
            super::endpoint_of("/v1/me/player/currently-playing"),
            "/v1/me/player/currently-playing"
        );
    }

    use std::time::Instant;

    use wiremock::matchers::{method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};

    use super::*;

    fn client() -> OutboundClient {
        OutboundClient::new(RetryPolicy {
            base_delay: Duration::from_millis(10),
            timeout: Duration::from_millis(500),
            ..RetryPolicy::default()
        })
        .unwrap()
    }

    #[tokio::test]
    async fn re_1_a_429_with_retry_after_2_is_waited_out_then_succeeds() {
        let server = MockServer::start().await;
        Mock::given(path("/thing"))
            .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "2"))
            .up_to_n_times(1)
            .mount(&server)
            .await;
        Mock::given(path("/thing"))
            .respond_with(ResponseTemplate::new(200))
            .mount(&server)
            .await;
        let started = Instant::now();
        let url = format!("{}/thing", server.uri());
        let response = client().send(|http| http.get(&url), true).await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert!(
            started.elapsed() >= Duration::from_secs(2),
            "waited {:?}",
            started.elapsed()
        );
    }

    #[tokio::test]
    async fn re_1_a_wait_beyond_the_cap_is_reported_not_slept() {
        let server = MockServer::start().await;
        Mock::given(path("/thing"))
            .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "3600"))
            .expect(1)
            .mount(&server)
            .await;
        let url = format!("{}/thing", server.uri());
        let outcome = client().send(|http| http.get(&url), true).await;
        assert_eq!(
            outcome.err(),
            Some(OutboundError::RateLimited(Duration::from_secs(3600)))
        );
    }

    #[tokio::test]
    async fn re_1_a_persistent_503_is_a_clear_error_after_bounded_retries() {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .respond_with(ResponseTemplate::new(503))
            .expect(3)
            .mount(&server)
            .await;
        let url = format!("{}/thing", server.uri());
        assert_eq!(
            client().send(|http| http.get(&url), true).await.err(),
            Some(OutboundError::ServerError(503))
        );
    }

    #[tokio::test]
    async fn calls_that_must_not_repeat_are_sent_once() {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(ResponseTemplate::new(502))
            .expect(1)
            .mount(&server)
            .await;
        let url = format!("{}/thing", server.uri());
        assert_eq!(
            client().send(|http| http.post(&url), false).await.err(),
            Some(OutboundError::ServerError(502))
        );
    }

    #[tokio::test]
    async fn re_1_a_slow_provider_times_out_instead_of_hanging() {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(5)))
            .mount(&server)
            .await;
        let url = format!("{}/thing", server.uri());
        assert_eq!(
            client().send(|http| http.get(&url), true).await.err(),
            Some(OutboundError::Timeout)
        );
    }
}
