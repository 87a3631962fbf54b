//! Liveness and readiness, for load balancers and orchestrators.

use poem::http::StatusCode;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi, Tags};

use crate::problem::Problem;
use crate::state::AppState;

#[derive(Tags)]
enum HealthTags {
    /// Liveness and readiness.
    Operations,
}

/// A health status.
#[derive(Object)]
struct Health {
    /// `ok` or `ready`.
    status: String,
}

#[derive(ApiResponse)]
enum LiveResponse {
    /// The process is up.
    #[oai(status = 200)]
    Ok(Json<Health>),
}

#[derive(ApiResponse)]
enum ReadyResponse {
    /// The database answers and takes writes; the server can take traffic.
    #[oai(status = 200)]
    Ready(Json<Health>),
    /// `not_ready`: the database does not answer, or does not take writes (read-only file or
    /// directory, full disk, a PostgreSQL standby).
    #[oai(status = 503, content_type = "application/problem+json")]
    NotReady(Json<Problem>),
}

/// Liveness and readiness.
pub(crate) struct HealthApi {
    pub(crate) state: AppState,
}

#[OpenApi(tag = "HealthTags::Operations")]
impl HealthApi {
    /// Whether the process is up.
    #[oai(path = "/healthz", method = "get")]
    async fn healthz(&self) -> LiveResponse {
        LiveResponse::Ok(Json(Health {
            status: "ok".to_owned(),
        }))
    }

    /// Whether the server can take traffic (its database answers and takes writes).
    #[oai(path = "/readyz", method = "get")]
    async fn readyz(&self) -> ReadyResponse {
        match self.state.database.check_writable().await {
            Ok(()) => ReadyResponse::Ready(Json(Health {
                status: "ready".to_owned(),
            })),
            Err(error) => {
                tracing::warn!(error = format!("{error:#}"), "readiness check failed");
                ReadyResponse::NotReady(
                    Problem::new(
                        StatusCode::SERVICE_UNAVAILABLE,
                        "not_ready",
                        "Not ready",
                        "The database does not answer or does not take writes; the server log says why, and the server will be ready when it does.",
                    )
                    .json(),
                )
            }
        }
    }
}
