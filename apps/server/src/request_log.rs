//! One log line per request: method, path, status, duration. Never the query string (the OAuth
//! callback carries the authorization code and state there), headers or bodies.

use std::time::Instant;

use poem::{Endpoint, IntoResponse, Middleware, Request, Response, Result};
use tracing::Instrument as _;

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
        let span = tracing::info_span!("request", method = %request.method(), path = %request.uri().path());
        let started = Instant::now();
        async move {
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
        .instrument(span)
        .await
    }
}
