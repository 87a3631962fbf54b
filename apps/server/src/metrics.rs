//! `GET /metrics`: what the server does, in the Prometheus text format (prometheus-client).
//!
//! Every label has few values: a route is its template (`/api/v1/rooms/{code}`), never the path;
//! a method outside the HTTP set is `OTHER`; a provider endpoint has its identifiers replaced;
//! outcomes are words from a fixed set. Nothing is labelled by account: the accounts that meet
//! the most errors are in `soiree generate-analytics`, not here.
//!
//! The endpoint is off unless the operator sets a token (`SOIREE_METRICS_TOKEN`); the scraper
//! sends it as `Authorization: Bearer {token}`. Without the token `/metrics` answers 404, as if
//! it did not exist, so nothing about the server leaks to the public.
//!
//! docs/operations.md lists every metric with its meaning and alert rules.

use std::sync::Arc;
use std::time::{Duration, Instant};

use poem::http::{Method, StatusCode, header};
use poem::{Endpoint, IntoResponse, Middleware, Request, Response};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;
use secrecy::{ExposeSecret as _, SecretString};
use soiree_provider_http::{CallObserver, ObservedCall};
use soiree_rooms::RoomId;
use soiree_rooms::{EventSink, RoomEvent};

use crate::api_document::ApiDocument;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    route: &'static str,
    method: &'static str,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    route: &'static str,
    method: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabels {
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ProviderOutcomeLabels {
    provider: &'static str,
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ProviderCallLabels {
    provider: &'static str,
    method: &'static str,
    endpoint: String,
    status: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ProviderLabels {
    provider: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct EventLabels {
    r#type: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct JobLabels {
    job: &'static str,
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct TierLabels {
    tier: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct VersionLabels {
    version: &'static str,
}

type HistogramFamily<L> = Family<L, Histogram, fn() -> Histogram>;

/// Every metric the server exports.
#[derive(Debug)]
pub(crate) struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    durations: HistogramFamily<RouteLabels>,
    sockets: Gauge,
    logins: Family<OutcomeLabels, Counter>,
    registrations: Family<OutcomeLabels, Counter>,
    votes: Family<OutcomeLabels, Counter>,
    room_events: Family<EventLabels, Counter>,
    rooms_open: Gauge,
    accounts: Family<TierLabels, Gauge>,
    connection_attempts: Family<ProviderOutcomeLabels, Counter>,
    token_refreshes: Family<ProviderOutcomeLabels, Counter>,
    provider_calls: Family<ProviderCallLabels, Counter>,
    provider_durations: HistogramFamily<ProviderLabels>,
    provider_rate_limited: Family<ProviderLabels, Counter>,
    provider_wait_asked: Family<ProviderLabels, Counter<f64>>,
    job_runs: Family<JobLabels, Counter>,
    sync_runs: Family<SyncLabels, Counter>,
    sync_likes: Family<SyncLikeLabels, Counter>,
    drive_downloads: Family<DownloadLabels, Counter>,
    drive_download_bytes: Family<DownloadBytesLabels, Counter>,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct DownloadLabels {
    service: String,
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct DownloadBytesLabels {
    service: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct SyncLabels {
    service: String,
    mode: &'static str,
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct SyncLikeLabels {
    service: String,
    change: &'static str,
}

fn latency_histogram() -> Histogram {
    // 1 ms to ~16 s: a vote takes a millisecond, a provider call a few hundred.
    Histogram::new(prometheus_client::metrics::histogram::exponential_buckets(
        0.001, 2.0, 15,
    ))
}

impl Metrics {
    pub(crate) fn new() -> Self {
        let mut registry = Registry::with_prefix("soiree");
        let this = Self {
            requests: Family::default(),
            durations: Family::new_with_constructor(latency_histogram),
            sockets: Gauge::default(),
            logins: Family::default(),
            registrations: Family::default(),
            votes: Family::default(),
            room_events: Family::default(),
            rooms_open: Gauge::default(),
            accounts: Family::default(),
            connection_attempts: Family::default(),
            token_refreshes: Family::default(),
            provider_calls: Family::default(),
            provider_durations: Family::new_with_constructor(latency_histogram),
            provider_rate_limited: Family::default(),
            provider_wait_asked: Family::default(),
            job_runs: Family::default(),
            sync_runs: Family::default(),
            drive_downloads: Family::default(),
            drive_download_bytes: Family::default(),
            sync_likes: Family::default(),
            registry: Registry::default(),
        };
        let build = Family::<VersionLabels, Gauge>::default();
        build
            .get_or_create(&VersionLabels {
                version: env!("CARGO_PKG_VERSION"),
            })
            .set(1);
        registry.register("build_info", "The running version (always 1)", build);
        registry.register(
            "http_requests",
            "HTTP requests answered, by route template, method and status",
            this.requests.clone(),
        );
        registry.register(
            "http_request_duration_seconds",
            "Time to answer HTTP requests, by route template and method",
            this.durations.clone(),
        );
        registry.register(
            "websocket_connections",
            "Room event sockets open now in this process",
            this.sockets.clone(),
        );
        registry.register(
            "logins",
            "Login attempts by outcome (success, refused, rate_limited, invalid, error)",
            this.logins.clone(),
        );
        registry.register(
            "registrations",
            "Registrations by outcome (created, taken, invalid, rate_limited, error)",
            this.registrations.clone(),
        );
        registry.register(
            "votes",
            "Votes sent by outcome (accepted, refused, rate_limited, invalid, error)",
            this.votes.clone(),
        );
        registry.register(
            "room_events",
            "Room events appended in this process, by type (track_ready, vote_tallied, ...)",
            this.room_events.clone(),
        );
        registry.register(
            "rooms_open",
            "Rooms open now (all processes: read from the database at each scrape)",
            this.rooms_open.clone(),
        );
        registry.register(
            "accounts",
            "Accounts now, by tier (read from the database at each scrape)",
            this.accounts.clone(),
        );
        registry.register(
            "connection_attempts",
            "Provider connections attempted (authorization codes exchanged), by provider and outcome",
            this.connection_attempts.clone(),
        );
        registry.register(
            "token_refreshes",
            "Provider token refreshes, by provider and outcome",
            this.token_refreshes.clone(),
        );
        registry.register(
            "provider_requests",
            "Requests to providers, by provider, method, endpoint and status (`none`: no answer)",
            this.provider_calls.clone(),
        );
        registry.register(
            "provider_request_duration_seconds",
            "Time providers took to answer, by provider",
            this.provider_durations.clone(),
        );
        registry.register(
            "provider_rate_limited",
            "Provider answers of 429 Too Many Requests, by provider",
            this.provider_rate_limited.clone(),
        );
        registry.register(
            "provider_retry_after_seconds",
            "Waits providers asked for with Retry-After, summed, by provider",
            this.provider_wait_asked.clone(),
        );
        registry.register(
            "job_runs",
            "Scheduled job runs in this process, by job and outcome (ok, failed)",
            this.job_runs.clone(),
        );
        registry.register(
            "sync_runs",
            "Liked-track sync runs ended in this process, by service, mode (incremental, full) and outcome (finished, stopped, failed)",
            this.sync_runs.clone(),
        );
        registry.register(
            "sync_likes",
            "Likes the sync added or removed, by service",
            this.sync_likes.clone(),
        );
        registry.register(
            "drive_downloads",
            "Downloads into drive folders whose try ended in this process, by service and outcome (done, failed, no_room, retry)",
            this.drive_downloads.clone(),
        );
        registry.register(
            "drive_download_bytes",
            "Bytes of files downloaded whole into drive folders in this process, by service",
            this.drive_download_bytes.clone(),
        );
        Self { registry, ..this }
    }

    /// One HTTP request answered.
    fn answered(&self, route: &'static str, method: &Method, status: StatusCode, took: Duration) {
        let method = method_label(method);
        self.requests
            .get_or_create(&RequestLabels {
                route,
                method,
                status: status.as_u16(),
            })
            .inc();
        self.durations
            .get_or_create(&RouteLabels { route, method })
            .observe(took.as_secs_f64());
        let family = match (method, route) {
            ("POST", "/api/v1/auth/login") => Some((&self.logins, "success")),
            ("POST", "/api/v1/auth/register") => Some((&self.registrations, "created")),
            ("POST", "/api/v1/rooms/{code}/votes") => Some((&self.votes, "accepted")),
            _ => None,
        };
        if let Some((family, success)) = family {
            let outcome = match status.as_u16() {
                200..=299 => success,
                401 | 403 => "refused",
                404 | 409 if route.ends_with("/votes") => "refused",
                409 => "taken",
                429 => "rate_limited",
                500..=599 => "error",
                _ => "invalid",
            };
            family.get_or_create(&OutcomeLabels { outcome }).inc();
        }
    }

    /// A room event socket opened; it counts until the guard is dropped.
    pub(crate) fn socket_opened(self: &Arc<Self>) -> SocketGuard {
        self.sockets.inc();
        SocketGuard(Arc::clone(self))
    }

    /// A code exchanged (a connection attempt) or a token refreshed, with its outcome.
    pub(crate) fn token_request(
        &self,
        refresh: bool,
        provider: &'static str,
        outcome: &'static str,
    ) {
        let family = if refresh {
            &self.token_refreshes
        } else {
            &self.connection_attempts
        };
        family
            .get_or_create(&ProviderOutcomeLabels { provider, outcome })
            .inc();
    }

    /// One run of a scheduled job.
    pub(crate) fn job_ran(&self, job: &'static str, succeeded: bool) {
        let outcome = if succeeded { "ok" } else { "failed" };
        self.job_runs
            .get_or_create(&JobLabels { job, outcome })
            .inc();
    }

    /// One sync run ended.
    pub(crate) fn sync_ran(&self, result: &soiree_sync::RunResult) {
        let service = result.key.service.clone();
        self.sync_runs
            .get_or_create(&SyncLabels {
                service: service.clone(),
                mode: result.mode.as_str(),
                outcome: result.outcome.as_str(),
            })
            .inc();
        for (change, count) in [("added", result.added), ("removed", result.removed)] {
            self.sync_likes
                .get_or_create(&SyncLikeLabels {
                    service: service.clone(),
                    change,
                })
                .inc_by(u64::from(count));
        }
    }

    /// One download's try ended.
    pub(crate) fn download_ended(
        &self,
        download: &soiree_sync::downloads::Download,
        end: &soiree_sync::downloads::DownloadEnd,
    ) {
        use soiree_sync::downloads::DownloadEnd;
        let service = download.key.service.clone();
        let outcome = match end {
            DownloadEnd::Done { .. } => "done",
            DownloadEnd::Failed(_) => "failed",
            DownloadEnd::NoRoom => "no_room",
            DownloadEnd::RetryAt(..) => "retry",
        };
        if outcome == "done" {
            self.drive_download_bytes
                .get_or_create(&DownloadBytesLabels {
                    service: service.clone(),
                })
                .inc_by(download.bytes);
        }
        self.drive_downloads
            .get_or_create(&DownloadLabels { service, outcome })
            .inc();
    }

    /// A provider observer for `provider`.
    pub(crate) fn provider_observer(
        self: &Arc<Self>,
        provider: &'static str,
    ) -> Arc<dyn CallObserver> {
        Arc::new(ProviderCalls {
            metrics: Arc::clone(self),
            provider,
        })
    }

    /// The text of a scrape, after reading the gauges that live in the database.
    async fn scrape(&self, reports: &dyn soiree_tiers::UsageReports) -> String {
        match reports.census().await {
            Ok(census) => {
                self.rooms_open
                    .set(i64::try_from(census.rooms_open).unwrap_or(i64::MAX));
                for (tier, count) in census.accounts_by_tier {
                    self.accounts
                        .get_or_create(&TierLabels {
                            tier: tier.as_str(),
                        })
                        .set(i64::try_from(count).unwrap_or(i64::MAX));
                }
            }
            // The rest of the scrape is still worth having; the gauges keep their last values.
            Err(error) => tracing::warn!("metrics: could not count accounts and rooms: {error:#}"),
        }
        let mut text = String::new();
        if let Err(error) = prometheus_client::encoding::text::encode(&mut text, &self.registry) {
            tracing::error!(%error, "metrics: could not encode");
        }
        text
    }
}

fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        _ => "OTHER",
    }
}

/// Counts a socket as open while it lives.
#[derive(Debug)]
pub(crate) struct SocketGuard(Arc<Metrics>);

impl Drop for SocketGuard {
    fn drop(&mut self) {
        self.0.sockets.dec();
    }
}

#[derive(Debug)]
struct ProviderCalls {
    metrics: Arc<Metrics>,
    provider: &'static str,
}

impl CallObserver for ProviderCalls {
    fn observed(&self, call: &ObservedCall<'_>) {
        let provider = self.provider;
        let method =
            Method::from_bytes(call.method.as_bytes()).map_or("OTHER", |m| method_label(&m));
        self.metrics
            .provider_calls
            .get_or_create(&ProviderCallLabels {
                provider,
                method,
                endpoint: call.endpoint.to_owned(),
                status: call
                    .status
                    .map_or_else(|| "none".to_owned(), |status| status.to_string()),
            })
            .inc();
        self.metrics
            .provider_durations
            .get_or_create(&ProviderLabels { provider })
            .observe(call.took.as_secs_f64());
        if let Some(wait) = call.retry_after {
            self.metrics
                .provider_rate_limited
                .get_or_create(&ProviderLabels { provider })
                .inc();
            self.metrics
                .provider_wait_asked
                .get_or_create(&ProviderLabels { provider })
                .inc_by(wait.as_secs_f64());
        }
    }
}

/// The rooms' event sink, counting each event once, where it is appended.
#[derive(Debug)]
pub(crate) struct CountedEvents<S> {
    pub(crate) inner: S,
    pub(crate) metrics: Arc<Metrics>,
}

impl<S: EventSink> EventSink for CountedEvents<S> {
    fn appended(&self, room: RoomId, events: &[RoomEvent]) {
        for event in events {
            self.metrics
                .room_events
                .get_or_create(&EventLabels {
                    r#type: event.kind.name(),
                })
                .inc();
        }
        self.inner.appended(room, events);
    }
}

/// Counts every request by the route it matched (the API's template; pages, the document and
/// anything else by a fixed name).
#[derive(Debug, Clone)]
pub(crate) struct RequestMetrics {
    pub(crate) metrics: Arc<Metrics>,
    pub(crate) document: Arc<ApiDocument>,
}

impl<E: Endpoint> Middleware<E> for RequestMetrics {
    type Output = RequestMetricsEndpoint<E>;

    fn transform(&self, inner: E) -> Self::Output {
        RequestMetricsEndpoint {
            inner,
            config: self.clone(),
        }
    }
}

#[derive(Debug)]
pub(crate) struct RequestMetricsEndpoint<E> {
    inner: E,
    config: RequestMetrics,
}

impl<E: Endpoint> Endpoint for RequestMetricsEndpoint<E> {
    type Output = Response;

    async fn call(&self, request: Request) -> poem::Result<Response> {
        let started = Instant::now();
        let method = request.method().clone();
        let path = request.uri().path();
        // Every label is a &'static str: counting a request allocates nothing.
        let route = match (self.config.document.route_of(path), path) {
            (Some(template), _) => template,
            (None, "/metrics") => "/metrics",
            (None, "/openapi.json") => "/openapi.json",
            (None, "/docs") => "/docs",
            (None, path) if path.starts_with("/api/") => "(unknown)",
            (None, path) if path.starts_with("/assets/") => "(assets)",
            (None, _) => "(pages)",
        };
        let response = self.inner.call(request).await?.into_response();
        self.config
            .metrics
            .answered(route, &method, response.status(), started.elapsed());
        Ok(response)
    }
}

/// `GET /metrics`, answered only to the bearer of the operator's token.
pub(crate) fn endpoint(
    metrics: Arc<Metrics>,
    reports: Arc<dyn soiree_tiers::UsageReports>,
    token: Option<SecretString>,
) -> impl Endpoint<Output = Response> {
    poem::endpoint::make(move |request: Request| {
        let metrics = Arc::clone(&metrics);
        let reports = Arc::clone(&reports);
        let token = token.clone();
        async move {
            let Some(token) = token else {
                return Ok::<_, poem::Error>(StatusCode::NOT_FOUND.into_response());
            };
            let presented = request
                .header(header::AUTHORIZATION)
                .and_then(|value| value.strip_prefix("Bearer "))
                .unwrap_or_default();
            if !constant_time_eq(presented.as_bytes(), token.expose_secret().as_bytes()) {
                return Ok(Response::builder()
                    .status(StatusCode::UNAUTHORIZED)
                    .header(header::WWW_AUTHENTICATE, "Bearer realm=\"metrics\"")
                    .body(
                        "Send the metrics token as Authorization: Bearer {SOIREE_METRICS_TOKEN}.\n",
                    ));
            }
            Ok(Response::builder()
                .content_type("application/openmetrics-text; version=1.0.0; charset=utf-8")
                .body(metrics.scrape(reports.as_ref()).await))
        }
    })
}

/// Equality that takes as long whatever the first difference (the token is a secret).
fn constant_time_eq(left: &[u8], right: &[u8]) -> bool {
    left.len() == right.len()
        && left
            .iter()
            .zip(right)
            .fold(0_u8, |difference, (a, b)| difference | (a ^ b))
            == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_stay_few_whatever_the_requests() {
        let metrics = Metrics::new();
        for method in [Method::GET, Method::from_bytes(b"BREW").unwrap()] {
            metrics.answered(
                "/api/v1/auth/login",
                &method,
                StatusCode::UNAUTHORIZED,
                Duration::from_millis(3),
            );
        }
        metrics.answered(
            "/api/v1/auth/login",
            &Method::POST,
            StatusCode::OK,
            Duration::ZERO,
        );
        metrics.answered(
            "/api/v1/auth/login",
            &Method::POST,
            StatusCode::TOO_MANY_REQUESTS,
            Duration::ZERO,
        );
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &metrics.registry).unwrap();
        assert!(text.contains(r#"soiree_http_requests_total{route="/api/v1/auth/login",method="OTHER",status="401"} 1"#), "{text}");
        assert!(
            text.contains(r#"soiree_logins_total{outcome="success"} 1"#),
            "{text}"
        );
        assert!(
            text.contains(r#"soiree_logins_total{outcome="rate_limited"} 1"#),
            "{text}"
        );
        assert!(!text.contains("BREW"));
    }

    #[test]
    fn tokens_compare_whole() {
        assert!(constant_time_eq(b"secret", b"secret"));
        assert!(!constant_time_eq(b"secret", b"secreT"));
        assert!(!constant_time_eq(b"secret", b"secret2"));
        assert!(!constant_time_eq(b"", b"secret"));
    }
}
