//! Rate limits on every request (RL-1): programs by their account's tier, people using the
//! pages by a generous budget of their own, and the anonymous surfaces (login, registration,
//! looking rooms up by code, joining as a guest) by client address. Each request is counted once
//! in each budget it spends, before it is handled; the counting itself is `soiree-tiers`'s, shared
//! by every process on PostgreSQL. Answers say where the caller stands (`RateLimit-Policy`,
//! `RateLimit`); a refusal is a 429 `rate_limited` with `Retry-After`.

mod client;
pub(crate) mod connections;
mod file;

use std::net::IpAddr;
use std::time::Duration;

use poem::http::{HeaderValue, Method, StatusCode, header};
use poem::{Endpoint, IntoResponse, Middleware, Request, Response, Result};
use soiree_rooms::GuestToken;
use soiree_tiers::{Admission, AnonymousSurface, RateKey, RatePolicy, Subject};

pub(crate) use client::{client_address, guest_source, parse_network};
pub(crate) use file::read as read_tier_file;

use crate::cookie::{SESSION_COOKIE_NAME, read_cookie};
use crate::problem::Problem;
use crate::room_auth::GUEST_COOKIE_NAME;
use crate::state::AppState;

/// The middleware; the limits and trusted proxies come from the [`AppState`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct RateLimit;

impl<E: Endpoint> Middleware<E> for RateLimit {
    type Output = RateLimitEndpoint<E>;

    fn transform(&self, inner: E) -> Self::Output {
        RateLimitEndpoint { inner }
    }
}

#[derive(Debug)]
pub(crate) struct RateLimitEndpoint<E> {
    inner: E,
}

impl<E: Endpoint> Endpoint for RateLimitEndpoint<E> {
    type Output = Response;

    async fn call(&self, request: Request) -> Result<Self::Output> {
        let Some(state) = request.data::<AppState>().cloned() else {
            return self
                .inner
                .call(request)
                .await
                .map(IntoResponse::into_response);
        };
        let mut shown = None;
        let subjects = subjects(&request, &state).await;
        let account = subjects.iter().find_map(|subject| match subject {
            Subject::Program { user, .. } | Subject::Pages { user } => Some(*user),
            Subject::Address { .. } => None,
        });
        for subject in subjects {
            // A program's budget is its account's: its tier's, or the operator's override.
            let policy = match subject {
                Subject::Program { user, .. } => match state.tiers.standing_of(user).await {
                    Ok(standing) => standing.limits.api_requests,
                    Err(_) => state.limits.policy(&subject),
                },
                _ => state.limits.policy(&subject),
            };
            match state
                .limits
                .admit_under(&RateKey::of(&subject), policy)
                .await
            {
                Ok(Admission::Unlimited) => {}
                Ok(Admission::Allowed {
                    policy,
                    remaining,
                    reset,
                }) => {
                    shown.get_or_insert((subject, policy, remaining, reset));
                }
                Ok(Admission::Refused {
                    policy,
                    retry_after,
                }) => return Ok(too_many(&subject, policy, retry_after)),
                Err(error) => {
                    return Ok(Problem::internal(&format!("{error:#}")).into_response());
                }
            }
        }
        let mut response = self.inner.call(request).await?.into_response();
        // Refusals and errors per account, and server errors overall, for the operator's
        // reports (anonymous refusals are not counted: a scanner would turn them into writes).
        let status = response.status();
        let kind = if status.is_server_error() {
            Some("http_5xx")
        } else if status.is_client_error() {
            Some("http_4xx")
        } else {
            None
        };
        if let Some(kind) = kind {
            if let Some(user) = account {
                crate::tally::count(&state.tally, kind.to_owned(), user.to_string());
            }
            if status.is_server_error() {
                crate::tally::count(&state.tally, kind.to_owned(), String::new());
            }
        }
        if let Some((subject, policy, remaining, reset)) = shown {
            let name = budget_name(&subject);
            let headers = response.headers_mut();
            // The IETF httpapi draft's fields: the policy (quota `q` per window `w` seconds) and
            // where the caller stands in it (`r` remaining, `t` seconds until it refills).
            let policy_field = format!(
                "\"{name}\";q={};w={}",
                quota(policy),
                policy.window.as_secs()
            );
            let standing = format!("\"{name}\";r={remaining};t={}", reset.as_secs());
            for (field, value) in [("ratelimit-policy", policy_field), ("ratelimit", standing)] {
                if let Ok(value) = HeaderValue::from_str(&value) {
                    headers.insert(field, value);
                }
            }
        }
        Ok(response)
    }
}

/// The budgets a request spends from.
async fn subjects(request: &Request, state: &AppState) -> Vec<Subject> {
    let path = request.uri().path();
    let api = path.starts_with("/api/");
    if path.starts_with("/assets/") || path == "/favicon.svg" {
        return Vec::new();
    }
    if api && let Some(token) = bearer(request) {
        // A room's guest is limited by the room's own rules (its votes); a token that does not
        // authenticate is refused by the route itself.
        if GuestToken::looks_like(token) {
            return Vec::new();
        }
        return match state.users.authenticate(token).await {
            Ok(caller) => vec![Subject::Program {
                user: caller.user.id,
                tier: caller.user.tier,
            }],
            Err(_) => Vec::new(),
        };
    }
    if let Some(token) = read_cookie(request, SESSION_COOKIE_NAME)
        && let Ok(caller) = state.users.authenticate(token).await
    {
        return vec![Subject::Pages {
            user: caller.user.id,
        }];
    }
    if api && read_cookie(request, GUEST_COOKIE_NAME).is_some() {
        return Vec::new();
    }
    let Some(address) = client::client_address(request, &state.trusted_proxies) else {
        return Vec::new();
    };
    let by = |surface| Subject::Address { surface, address };
    let method = request.method();
    if api && method == Method::POST && path == "/api/v1/auth/login" {
        return vec![by(AnonymousSurface::Login)];
    }
    if api && method == Method::POST && path == "/api/v1/auth/register" {
        return vec![by(AnonymousSurface::Registration)];
    }
    if names_a_room(path) {
        // Unknown and existing codes spend alike, so that guessing codes is slow whatever the
        // answers say.
        if method == Method::POST && path.ends_with("/join") {
            return vec![
                by(AnonymousSurface::RoomLookup),
                by(AnonymousSurface::GuestJoin),
            ];
        }
        return vec![by(AnonymousSurface::RoomLookup)];
    }
    Vec::new()
}

/// Whether `path` names a room by its code: its page, TV screen, or an API route under it.
fn names_a_room(path: &str) -> bool {
    let code = path
        .strip_prefix("/api/v1/rooms/")
        .or_else(|| path.strip_prefix("/rooms/"))
        .and_then(|rest| rest.split('/').next())
        .unwrap_or_default();
    !code.is_empty() && code != "new"
}

fn bearer(request: &Request) -> Option<&str> {
    request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .map(str::trim)
}

/// The budget's name in the headers.
fn budget_name(subject: &Subject) -> &'static str {
    match subject {
        Subject::Program { .. } => "api",
        Subject::Pages { .. } => "pages",
        Subject::Address { surface, .. } => surface.as_str(),
    }
}

fn quota(policy: RatePolicy) -> String {
    policy.limit.to_string()
}

/// "an hour", "a minute", "10 seconds".
fn per(window: Duration) -> String {
    match window.as_secs() {
        1 => "a second".to_owned(),
        60 => "a minute".to_owned(),
        3600 => "an hour".to_owned(),
        86_400 => "a day".to_owned(),
        seconds => format!("{seconds} seconds"),
    }
}

/// "45 seconds", "12 minutes".
fn wait(duration: Duration) -> String {
    let seconds = duration.as_secs().max(1);
    match seconds {
        1 => "a second".to_owned(),
        2..=119 => format!("{seconds} seconds"),
        _ => format!("{} minutes", seconds.div_ceil(60)),
    }
}

/// The 429 answer: a problem document saying what the limit is and when to try again.
fn too_many(subject: &Subject, policy: RatePolicy, retry_after: Duration) -> Response {
    let limit = format!("{} {}", quota(policy), per(policy.window));
    let wait = wait(retry_after);
    let detail = match subject {
        Subject::Program { tier, .. } => format!(
            "This account's tier ({tier}) allows {} API requests {}. Try again in {wait}, or ask the operator for a higher tier.",
            quota(policy),
            per(policy.window)
        ),
        Subject::Pages { .. } => {
            format!("Too many requests from this account ({limit} at most). Try again in {wait}.")
        }
        Subject::Address { surface, address } => {
            let what = match surface {
                AnonymousSurface::Login => "login attempts",
                AnonymousSurface::Registration => "new accounts",
                AnonymousSurface::RoomLookup => "party codes tried",
                AnonymousSurface::GuestJoin => "guests joining",
            };
            let from = if address_is_shared(address) {
                "this network"
            } else {
                "this address"
            };
            format!("Too many {what} from {from} ({limit} at most). Try again in {wait}.")
        }
    };
    let mut response = Problem::new(
        StatusCode::TOO_MANY_REQUESTS,
        "rate_limited",
        "Too many requests",
        detail,
    )
    .into_response();
    if let Ok(value) = HeaderValue::from_str(&retry_after.as_secs().max(1).to_string()) {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    response
}

/// IPv6 clients are counted by their /64 network.
fn address_is_shared(address: &IpAddr) -> bool {
    address.is_ipv6()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn room_codes_are_found_in_pages_and_api_routes_only() {
        for (path, names) in [
            ("/rooms/K7XQ2M", true),
            ("/rooms/K7XQ2M/tv", true),
            ("/rooms/new", false),
            ("/api/v1/rooms/K7XQ2M", true),
            ("/api/v1/rooms/K7XQ2M/join", true),
            ("/api/v1/rooms", false),
            ("/api/v1/rooms/", false),
            ("/dashboard", false),
        ] {
            assert_eq!(names_a_room(path), names, "{path}");
        }
    }

    #[test]
    fn waits_and_windows_read_as_words() {
        assert_eq!(wait(Duration::from_secs(0)), "a second");
        assert_eq!(wait(Duration::from_secs(45)), "45 seconds");
        assert_eq!(wait(Duration::from_secs(1201)), "21 minutes");
        assert_eq!(per(Duration::from_secs(3600)), "an hour");
        assert_eq!(per(Duration::from_secs(90)), "90 seconds");
    }
}
