//! Authorization (a consent page) and the token endpoint, for both providers.

use std::collections::HashMap;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use chrono::{Duration, Utc};
use poem::http::{StatusCode, header};
use poem::web::{Data, Form, Query};
use poem::{Request, Response, Route, get, handler};
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::state::{AccessToken, Code, RefreshToken, SimProvider, World, random_token};
use crate::{Simulator, json};

pub(crate) fn routes(provider: SimProvider) -> Route {
    let token_path = match provider {
        SimProvider::Spotify => "/api/token",
        SimProvider::SoundCloud => "/oauth/token",
    };
    Route::new()
        .at(
            "/authorize",
            get(authorize_endpoint(provider)).post(decide(provider)),
        )
        .at(token_path, poem::post(token(provider)))
}

// poem handlers cannot capture values, so each provider gets its own small handlers.
fn authorize_endpoint(provider: SimProvider) -> poem::endpoint::BoxEndpoint<'static, Response> {
    use poem::EndpointExt as _;
    match provider {
        SimProvider::Spotify => authorize_spotify.boxed(),
        SimProvider::SoundCloud => authorize_soundcloud.boxed(),
    }
}

fn decide(provider: SimProvider) -> poem::endpoint::BoxEndpoint<'static, Response> {
    use poem::EndpointExt as _;
    match provider {
        SimProvider::Spotify => decide_spotify.boxed(),
        SimProvider::SoundCloud => decide_soundcloud.boxed(),
    }
}

fn token(provider: SimProvider) -> poem::endpoint::BoxEndpoint<'static, Response> {
    use poem::EndpointExt as _;
    match provider {
        SimProvider::Spotify => token_spotify.boxed(),
        SimProvider::SoundCloud => token_soundcloud.boxed(),
    }
}

#[handler]
fn authorize_spotify(
    simulator: Data<&Simulator>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    authorize(&simulator, SimProvider::Spotify, &query)
}

#[handler]
fn authorize_soundcloud(
    simulator: Data<&Simulator>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    authorize(&simulator, SimProvider::SoundCloud, &query)
}

#[handler]
fn decide_spotify(
    simulator: Data<&Simulator>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    decision(&simulator, SimProvider::Spotify, &form)
}

#[handler]
fn decide_soundcloud(
    simulator: Data<&Simulator>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    decision(&simulator, SimProvider::SoundCloud, &form)
}

#[handler]
fn token_spotify(
    simulator: Data<&Simulator>,
    request: &Request,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    token_request(&simulator, SimProvider::Spotify, request, &form)
}

#[handler]
fn token_soundcloud(
    simulator: Data<&Simulator>,
    request: &Request,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    token_request(&simulator, SimProvider::SoundCloud, request, &form)
}

fn error_page(message: &str) -> Response {
    Response::builder()
        .status(StatusCode::BAD_REQUEST)
        .content_type("text/html; charset=utf-8")
        .body(format!(
            "<!doctype html><title>Error</title><h1>{message}</h1>"
        ))
}

/// Checks an authorization request the way the provider's authorize page does.
fn check_request(
    world: &World,
    provider: SimProvider,
    params: &HashMap<String, String>,
) -> Result<(), &'static str> {
    let client_id = params
        .get("client_id")
        .ok_or("INVALID_CLIENT: Missing client id")?;
    let app = world
        .apps
        .get(&(provider, client_id.clone()))
        .ok_or("INVALID_CLIENT: Invalid client")?;
    let redirect_uri = params
        .get("redirect_uri")
        .ok_or("INVALID_CLIENT: Missing redirect URI")?;
    if !app.redirect_uris.is_empty() && !app.redirect_uris.contains(redirect_uri) {
        return Err("INVALID_CLIENT: Invalid redirect URI");
    }
    if redirect_uri.starts_with("http://localhost") {
        return Err("INVALID_CLIENT: Insecure redirect URI");
    }
    if params.get("response_type").map(String::as_str) != Some("code") {
        return Err("unsupported_response_type");
    }
    let challenge = params.get("code_challenge");
    let method = params.get("code_challenge_method").map(String::as_str);
    match (provider, challenge, method) {
        (_, Some(_), Some("S256")) => Ok(()),
        (SimProvider::Spotify, None, None) => Ok(()),
        _ => Err("invalid_request: PKCE with code_challenge_method=S256 is required"),
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn authorize(
    simulator: &Simulator,
    provider: SimProvider,
    query: &HashMap<String, String>,
) -> Response {
    let world = simulator.world();
    if let Err(message) = check_request(&world, provider, query) {
        return error_page(message);
    }
    let hidden: String = query
        .iter()
        .map(|(name, value)| {
            format!(
                r#"<input type="hidden" name="{}" value="{}">"#,
                escape(name),
                escape(value)
            )
        })
        .collect();
    let users: String = world
        .users
        .iter()
        .map(|user| {
            format!(
                r#"<option value="{}">{} ({})</option>"#,
                user.id,
                escape(&user.display_name),
                if user.premium { "Premium" } else { "Free" }
            )
        })
        .collect();
    let name = match provider {
        SimProvider::Spotify => "Spotify",
        SimProvider::SoundCloud => "SoundCloud",
    };
    let scopes = escape(query.get("scope").map(String::as_str).unwrap_or(""));
    let page = format!(
        r#"<!doctype html><html lang="en"><meta charset="utf-8"><title>{name} (simulated): authorize</title>
<body style="font-family:sans-serif;max-width:32rem;margin:3rem auto">
<h1>{name} <small>(simulator)</small></h1>
<p>An app asks to connect to your account with these permissions: <code>{scopes}</code></p>
<form method="post">{hidden}
<label>Sign in as <select name="user">{users}</select></label>
<p><button name="decision" value="approve">Agree</button> <button name="decision" value="deny">Cancel</button></p>
</form></body></html>"#
    );
    Response::builder()
        .content_type("text/html; charset=utf-8")
        .body(page)
}

fn redirect(target: &str, pairs: &[(&str, &str)]) -> Response {
    let mut url = match url::Url::parse(target) {
        Ok(url) => url,
        Err(_) => return error_page("INVALID_CLIENT: Invalid redirect URI"),
    };
    {
        let mut query = url.query_pairs_mut();
        for (name, value) in pairs {
            query.append_pair(name, value);
        }
    }
    Response::builder()
        .status(StatusCode::FOUND)
        .header(header::LOCATION, url.as_str())
        .finish()
}

fn decision(
    simulator: &Simulator,
    provider: SimProvider,
    form: &HashMap<String, String>,
) -> Response {
    let mut world = simulator.world();
    if let Err(message) = check_request(&world, provider, form) {
        return error_page(message);
    }
    let redirect_uri = form.get("redirect_uri").cloned().unwrap_or_default();
    let state = form.get("state").cloned().unwrap_or_default();
    if form.get("decision").map(String::as_str) != Some("approve") {
        return redirect(
            &redirect_uri,
            &[("error", "access_denied"), ("state", &state)],
        );
    }
    let Some(user_id) = form
        .get("user")
        .filter(|user| world.user(user).is_some())
        .cloned()
    else {
        return error_page("Unknown user");
    };
    let code = random_token("code-");
    world.codes.insert(
        code.clone(),
        Code {
            provider,
            client_id: form.get("client_id").cloned().unwrap_or_default(),
            redirect_uri: redirect_uri.clone(),
            challenge: form.get("code_challenge").cloned(),
            user_id,
            scope: form.get("scope").cloned().unwrap_or_default(),
            expires_at: Utc::now() + Duration::minutes(10),
            used: false,
        },
    );
    redirect(&redirect_uri, &[("code", &code), ("state", &state)])
}

/// An OAuth error in the provider's shape: Spotify always answers 400 with the standard body;
/// SoundCloud answers `invalid_client` with 401 and `invalid_grant` in its `code`/`message` form.
fn oauth_error(provider: SimProvider, error: &str, description: &str) -> Response {
    match (provider, error) {
        (SimProvider::Spotify, _) => json(
            StatusCode::BAD_REQUEST,
            json!({"error": error, "error_description": description}),
        ),
        (SimProvider::SoundCloud, "invalid_client") => {
            json(StatusCode::UNAUTHORIZED, json!({"error": error}))
        }
        (SimProvider::SoundCloud, _) => json(
            StatusCode::BAD_REQUEST,
            json!({"code": 400, "message": error, "link": "https://developers.soundcloud.com/docs/api/explorer/open-api", "status": "400 - Bad Request", "errors": [{"error_message": description}], "error": null}),
        ),
    }
}

/// The client id and secret, from `Authorization: Basic` or the form.
fn client_credentials(
    request: &Request,
    form: &HashMap<String, String>,
) -> Option<(String, String)> {
    let basic = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Basic "))
        .and_then(|encoded| STANDARD.decode(encoded).ok())
        .and_then(|decoded| String::from_utf8(decoded).ok())
        .and_then(|pair| {
            pair.split_once(':')
                .map(|(id, secret)| (id.to_owned(), secret.to_owned()))
        });
    basic.or_else(|| {
        Some((
            form.get("client_id")?.clone(),
            form.get("client_secret")?.clone(),
        ))
    })
}

fn token_request(
    simulator: &Simulator,
    provider: SimProvider,
    request: &Request,
    form: &HashMap<String, String>,
) -> Response {
    let mut world = simulator.world();
    let grant_type = form.get("grant_type").cloned().unwrap_or_default();
    *world
        .calls
        .entry(format!(
            "{} {} {grant_type}",
            request.method(),
            request.original_uri().path()
        ))
        .or_default() += 1;
    let Some((client_id, secret)) = client_credentials(request, form) else {
        return oauth_error(provider, "invalid_client", "Invalid client");
    };
    match world.apps.get(&(provider, client_id.clone())) {
        None => return oauth_error(provider, "invalid_client", "Invalid client"),
        Some(app) if app.secret != secret => {
            return oauth_error(provider, "invalid_client", "Invalid client secret");
        }
        Some(_) => {}
    }
    let now = Utc::now();
    let (user_id, scope, issue_refresh) = match grant_type.as_str() {
        "authorization_code" => {
            let code = form.get("code").cloned().unwrap_or_default();
            let Some(grant) = world.codes.get_mut(&code) else {
                return oauth_error(provider, "invalid_grant", "Invalid authorization code");
            };
            if grant.used
                || grant.expires_at < now
                || grant.client_id != client_id
                || grant.provider != provider
            {
                return oauth_error(provider, "invalid_grant", "Invalid authorization code");
            }
            if form.get("redirect_uri") != Some(&grant.redirect_uri) {
                return oauth_error(provider, "invalid_grant", "Invalid redirect URI");
            }
            if let Some(challenge) = &grant.challenge {
                let verifier = form.get("code_verifier").cloned().unwrap_or_default();
                if URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes())) != *challenge {
                    return oauth_error(provider, "invalid_grant", "code_verifier was incorrect");
                }
            }
            grant.used = true;
            (grant.user_id.clone(), grant.scope.clone(), true)
        }
        "refresh_token" => {
            let presented = form.get("refresh_token").cloned().unwrap_or_default();
            let rotate = world.rotate.get(&provider).copied().unwrap_or(false);
            let Some(refresh) = world.refresh_tokens.get_mut(&presented) else {
                return oauth_error(provider, "invalid_grant", "Invalid refresh token");
            };
            if refresh.revoked || refresh.client_id != client_id || refresh.provider != provider {
                return oauth_error(provider, "invalid_grant", "Refresh token revoked");
            }
            if rotate {
                refresh.revoked = true;
            }
            (refresh.user_id.clone(), refresh.scope.clone(), rotate)
        }
        _ => {
            return oauth_error(
                provider,
                "unsupported_grant_type",
                "grant_type must be authorization_code or refresh_token",
            );
        }
    };
    let access_token = random_token("access-");
    let lifetime = world.token_lifetime;
    world.access_tokens.insert(
        access_token.clone(),
        AccessToken {
            provider,
            user_id: user_id.clone(),
            expires_at: now + lifetime,
        },
    );
    let mut body = json!({
        "access_token": access_token,
        "token_type": if provider == SimProvider::Spotify { "Bearer" } else { "bearer" },
        "expires_in": lifetime.num_seconds(),
        "scope": scope,
    });
    if issue_refresh {
        let refresh_token = random_token("refresh-");
        world.refresh_tokens.insert(
            refresh_token.clone(),
            RefreshToken {
                provider,
                client_id,
                user_id,
                scope,
                revoked: false,
            },
        );
        body["refresh_token"] = json!(refresh_token);
    }
    json(StatusCode::OK, body)
}
