//! Cross-site request forgery: a request that changes something and is authenticated by a cookie
//! (the pages' session, or a guest's room cookie) must come from this server's own pages. The
//! browser says where a request comes from in `Origin` (or, when it sends none, `Referer`); a
//! request from another site, or that says nothing, is refused. A request with an
//! `Authorization` header is exempt: another site cannot make a browser send one.

use poem::http::{Method, StatusCode, header};
use poem::{Endpoint, IntoResponse, Middleware, Request, Response, Result};

use crate::cookie::{SESSION_COOKIE_NAME, read_cookie};
use crate::problem::Problem;
use crate::room_auth::GUEST_COOKIE_NAME;

/// The check, for the server whose origin (`scheme://host[:port]`) is `origin`.
#[derive(Debug, Clone)]
pub(crate) struct SameOrigin {
    pub(crate) origin: String,
}

impl<E: Endpoint> Middleware<E> for SameOrigin {
    type Output = SameOriginEndpoint<E>;

    fn transform(&self, inner: E) -> Self::Output {
        SameOriginEndpoint {
            inner,
            origin: self.origin.clone(),
        }
    }
}

#[derive(Debug)]
pub(crate) struct SameOriginEndpoint<E> {
    inner: E,
    origin: String,
}

/// Whether the request comes from a page of `origin`, as far as the browser says.
fn from_own_pages(request: &Request, origin: &str) -> bool {
    let text = |name| {
        request
            .headers()
            .get(name)
            .and_then(|value| value.to_str().ok())
    };
    match text(header::ORIGIN) {
        Some(sent) => sent.trim_end_matches('/') == origin,
        None => text(header::REFERER)
            .is_some_and(|referer| referer == origin || referer.starts_with(&format!("{origin}/"))),
    }
}

fn checked(request: &Request) -> bool {
    let changes = !matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    let by_cookie = [SESSION_COOKIE_NAME, GUEST_COOKIE_NAME]
        .iter()
        .any(|name| read_cookie(request, name).is_some());
    changes && by_cookie && !request.headers().contains_key(header::AUTHORIZATION)
}

impl<E: Endpoint> Endpoint for SameOriginEndpoint<E> {
    type Output = Response;

    async fn call(&self, request: Request) -> Result<Self::Output> {
        if checked(&request) && !from_own_pages(&request, &self.origin) {
            return Ok(Problem::new(
                StatusCode::FORBIDDEN,
                "origin_not_allowed",
                "Origin not allowed",
                "Changes made with a browser's session cookie are accepted from Soirée's own pages only; other programs send the session as an Authorization: Bearer header.",
            )
            .into_response());
        }
        self.inner
            .call(request)
            .await
            .map(IntoResponse::into_response)
    }
}
