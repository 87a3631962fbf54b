//! One log line per request: its id, method, path, status, duration. Never the query string (the
//! OAuth callback carries the authorization code and state there), headers or bodies.
//!
//! Every request gets an id (a UUIDv7, time-ordered), in its span, so that every line logged
//! while it is handled carries it, and in the problem document of a server error (`instance`),
//! so that an operator can match a person's report to the log.

use std::time::Instant;

use poem::{Endpoint, IntoResponse, Middleware, Request, Response, Result};
use tracing::Instrument as _;

tokio::task_local! {
    static REQUEST_ID: String;
}

/// The id of the request being handled on this task, if any.
pub(crate) fn current_id() -> Option<String> {
    REQUEST_ID.try_with(Clone::clone).ok()
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct RequestLog;

impl<E: Endpoint> Middleware<E> for RequestLog {
    type Output = RequestLogEndpoint<E>;

    fn transform(&self, inner: E) -> Self::Output {
        RequestLogEndpoint { inner }
    }
}

#[derive(Debug)]
pub(crate) struct RequestLogEndpoint<E> {
    inner: E,
}

impl<E: Endpoint> Endpoint for RequestLogEndpoint<E> {
    type Output = Response;

    async fn call(&self, request: Request) -> Result<Self::Output> {
        let id = uuid::Uuid::now_v7().simple().to_string();
        let span = tracing::info_span!("request", %id, method = %request.method(), path = %request.uri().path());
        let started = Instant::now();
        let handled = async move {
            let outcome = self.inner.call(request).await;
            let status = match &outcome {
                Ok(_) => None,
                Err(error) => Some(error.status()),
            };
            let response = outcome.map(IntoResponse::into_response);
            let status = status
                .or_else(|| response.as_ref().ok().map(Response::status))
                .unwrap_or_default();
            let duration_ms = started.elapsed().as_secs_f64() * 1000.0;
            if status.is_server_error() {
                tracing::warn!(status = status.as_u16(), duration_ms, "answered");
            } else {
                tracing::info!(status = status.as_u16(), duration_ms, "answered");
            }
            response
        }
        .instrument(span);
        REQUEST_ID.scope(id, handled).await
    }
}
