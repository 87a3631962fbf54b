//! The HTTP surface: the OpenAPI operations, the document and Swagger UI, and the middleware
//! every request passes through.

use poem::http::header;
use poem::middleware::{CatchPanic, SetHeader};
use std::sync::Arc;

use poem::{Endpoint, EndpointExt as _, IntoEndpoint as _, Response};
use poem_openapi::OpenApiService;

use crate::api::{
    AccountDataApi, AccountsApi, AppPasswordsApi, ConnectionsApi, ExportApi, HealthApi,
    InsightsApi, LibraryApi, MeApi, PlayerApi, PlaylistsApi, RoomEventsApi, RoomsApi, SecurityApi,
    SessionsApi, SyncApi, TiersApi, UploadsApi, UsersApi,
};
use crate::api_document::{AllowHeader, ApiDocument};
use crate::body_limit::{BodyLimit, MAX_BODY_BYTES};
use crate::problem::{Problem, into_problem_response};
use crate::request_log::RequestLog;
use crate::same_origin::SameOrigin;
use crate::state::AppState;

/// Every API struct, in the order they appear in the document.
type Apis = (
    HealthApi,
    AccountsApi,
    MeApi,
    AccountDataApi,
    SessionsApi,
    SecurityApi,
    AppPasswordsApi,
    ConnectionsApi,
    PlayerApi,
    RoomsApi,
    RoomEventsApi,
    // The library's operations, one element (a tuple holds at most 16).
    (
        LibraryApi,
        UploadsApi,
        PlaylistsApi,
        ExportApi,
        SyncApi,
        InsightsApi,
    ),
    TiersApi,
    UsersApi,
);

/// The OpenAPI service with every operation, so that the document covers every route.
fn api(state: &AppState, public_url: &str) -> OpenApiService<Apis, ()> {
    OpenApiService::new(
        (
            HealthApi { state: state.clone() },
            AccountsApi { state: state.clone() },
            MeApi { state: state.clone() },
            AccountDataApi { state: state.clone() },
            SessionsApi { state: state.clone() },
            SecurityApi { state: state.clone() },
            AppPasswordsApi { state: state.clone() },
            ConnectionsApi { state: state.clone() },
            PlayerApi { state: state.clone() },
            RoomsApi { state: state.clone() },
            RoomEventsApi { state: state.clone() },
            (
                LibraryApi { state: state.clone() },
                UploadsApi { state: state.clone() },
                PlaylistsApi { state: state.clone() },
                ExportApi { state: state.clone() },
                SyncApi { state: state.clone() },
                InsightsApi { state: state.clone() },
            ),
            TiersApi { state: state.clone() },
            UsersApi { state: state.clone() },
        ),
        "Soirée",
        env!("CARGO_PKG_VERSION"),
    )
    .description("A self-hosted, multi-user music backend. Errors are RFC 9457 problem documents with a stable `code`.")
    .server(public_url)
}

/// The whole application as one endpoint.
pub(crate) fn build(state: AppState, public_url: &str) -> anyhow::Result<impl Endpoint + use<>> {
    let api = api(&state, public_url);
    let spec = api.spec();
    let document = Arc::new(ApiDocument::new(&spec)?);
    // Swagger UI shows the completed document too (it is embedded in the page as written).
    let docs_page = api.swagger_ui_html().replace(&spec, document.json());
    let docs = poem::endpoint::make_sync(move |_| poem::web::Html(docs_page.clone()));
    let served = Arc::clone(&document);
    let spec = poem::endpoint::make_sync(move |_| {
        Response::builder()
            .content_type("application/json; charset=utf-8")
            .body(served.json().to_owned())
    });
    let same_origin = SameOrigin {
        origin: state.public_origin.clone(),
    };
    // The API keeps its full paths: `/api/v1/...`, and the probes at the root. (Nesting it at `/`
    // would shadow the home page.)
    let api = Arc::new(api.into_endpoint());
    let metrics = crate::metrics::endpoint(
        Arc::clone(&state.metrics),
        Arc::new(state.database.reports()),
        state.metrics_token.clone(),
    );
    let request_metrics = crate::metrics::RequestMetrics {
        metrics: Arc::clone(&state.metrics),
        document: Arc::clone(&document),
    };
    let routes = crate::pages::routes()
        .at("/metrics", metrics)
        .at("/docs", docs)
        .at("/openapi.json", spec)
        .nest_no_strip("/api", Arc::clone(&api))
        .nest("/rest", crate::subsonic::routes())
        .at("/healthz", Arc::clone(&api))
        .at("/readyz", api)
        // Counted only once the request is known to come from where it says (a foreign page
        // must not spend a person's budget).
        .with(crate::limits::RateLimit)
        .with(same_origin);
    Ok(crate::pages::with_not_found_page(routes)
        .with(BodyLimit {
            max_bytes: MAX_BODY_BYTES,
        })
        .data(state)
        // A panic is a bug; the caller still gets a problem document rather than a dropped
        // connection, and the log gets the message (the panic hook has printed the location).
        .with(
            CatchPanic::new().with_handler(|panic: Box<dyn std::any::Any + Send>| {
                let message = panic
                    .downcast_ref::<&str>()
                    .map(|text| (*text).to_owned())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_default();
                Problem::internal(&format!("panic: {message}"))
            }),
        )
        .with(RequestLog)
        .catch_all_error(|error| async move { into_problem_response(error) })
        .with(AllowHeader(document))
        .with(request_metrics)
        .with(
            SetHeader::new()
                // Responses carry session tokens and personal data; nothing should keep them.
                .overriding(header::CACHE_CONTROL, "no-store")
                .overriding(header::X_CONTENT_TYPE_OPTIONS, "nosniff")
                .overriding(header::REFERRER_POLICY, "no-referrer"),
        ))
}
