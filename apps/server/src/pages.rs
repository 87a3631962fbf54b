//! The web pages served so far: `/connect`, where a person logs in, enters their provider app's
//! credentials, presses Connect, and plays. It is static HTML that talks to the JSON API with the
//! session cookie; the full set of pages (DESIGN §1) comes later.

use poem::http::header;
use poem::{Response, handler};

const CONNECT: &str = include_str!("../pages/connect.html");

/// `GET /connect` (also the target of the OAuth callback's redirect).
#[handler]
pub(crate) fn connect() -> Response {
    Response::builder()
        .content_type("text/html; charset=utf-8")
        .header(
            header::CONTENT_SECURITY_POLICY,
            "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; frame-ancestors 'none'",
        )
        .body(CONNECT)
}
