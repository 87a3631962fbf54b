//! The Subsonic API (`/rest/*`), as OpenSubsonic describes it, so that the music apps people
//! already use (DSub, Symfonium, Feishin, Supersonic, ...) browse, search, stream and keep
//! playlists here. It is a second door to the same services as `/api/v1`: calls are parsed
//! here, answered by the library and playlists services, and written as Subsonic XML or JSON
//! ([`response`]).
//!
//! Apps sign in with an app password, never the account password: `u` with `p` (plain or
//! `enc:` hex) or with `t = md5(password + s)`, or the OpenSubsonic `apiKey` alone. Failed
//! sign-ins count in the account's login throttle (AU-2). As the protocol says, errors are
//! answered with status 200 and a Subsonic error element (`code`, `message`); the API document
//! at `/openapi.json` does not describe this API.

mod calls;
mod ids;
mod response;

use poem::http::{Method, StatusCode};
use poem::{Body, Request, Response, handler, web::Data};
use secrecy::SecretString;
use soiree_users::{AppCredential, AppSignInError, User};

use crate::state::AppState;
pub(crate) use response::{Failure, Format, Node, respond};

/// A call's parameters: the query string's, then a `POST` form's (the OpenSubsonic `formPost`
/// extension); a name may repeat (`id=1&id=2`).
#[derive(Debug, Default)]
pub(crate) struct Params(Vec<(String, String)>);

impl Params {
    /// The first value of `name`.
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    /// Every value of `name`.
    pub(crate) fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.0
            .iter()
            .filter(move |(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    /// The value of `name`, which the call needs.
    pub(crate) fn required(&self, name: &str) -> Result<&str, Failure> {
        self.get(name)
            .filter(|value| !value.is_empty())
            .ok_or_else(|| Failure::missing(name))
    }

    /// `name` as a number, `default` when absent.
    pub(crate) fn number<T: std::str::FromStr>(
        &self,
        name: &str,
        default: T,
    ) -> Result<T, Failure> {
        match self.get(name).filter(|value| !value.is_empty()) {
            None => Ok(default),
            Some(text) => text.trim().parse().map_err(|_| {
                Failure::new(
                    0,
                    format!("Parameter {name} must be a whole number, not {text:?}"),
                )
            }),
        }
    }

    /// `name` as true or false, `default` when absent.
    pub(crate) fn flag(&self, name: &str, default: bool) -> bool {
        match self.get(name) {
            Some(value) => value.eq_ignore_ascii_case("true") || value == "1",
            None => default,
        }
    }
}

/// The most a `POST` form may hold (a playlist of 10 000 song ids fits).
const MAX_FORM_BYTES: usize = 1024 * 1024;

/// `/rest/{call}` and `/rest/{call}.view`, by `GET` or `POST`.
#[handler]
pub(crate) async fn endpoint(request: &Request, body: Body, state: Data<&AppState>) -> Response {
    let mut params = Params(
        serde_urlencoded::from_str(request.uri().query().unwrap_or_default()).unwrap_or_default(),
    );
    let is_form = request
        .content_type()
        .is_some_and(|kind| kind.starts_with("application/x-www-form-urlencoded"));
    if request.method() == Method::POST && is_form {
        match body.into_bytes_limit(MAX_FORM_BYTES).await {
            Ok(bytes) => {
                let form: Vec<(String, String)> =
                    serde_urlencoded::from_bytes(&bytes).unwrap_or_default();
                params.0.extend(form);
            }
            Err(_) => {
                return respond(
                    Format::parse(params.get("f")),
                    Err(Failure::new(0, "The form is too large (at most 1 MiB)")),
                );
            }
        }
    }
    let format = Format::parse(params.get("f"));
    let path = request.uri().path();
    let call = path
        .rsplit('/')
        .next()
        .unwrap_or_default()
        .trim_end_matches(".view")
        .to_owned();
    if !calls::CALLS.contains(&call.as_str()) {
        return unknown(format, &call);
    }
    // The one call apps make before they sign in.
    if call == "getOpenSubsonicExtensions" {
        return respond(format, Ok(calls::extensions()));
    }
    let caller = match sign_in(&state, request, &params).await {
        Ok(caller) => caller,
        Err(failure) => return respond(format, Err(failure)),
    };
    let context = calls::Call {
        state: &state,
        caller: &caller,
        params: &params,
        request,
    };
    match calls::answer(&call, &context).await {
        Some(Ok(calls::Answer::Tree(node))) => respond(format, Ok(node)),
        Some(Ok(calls::Answer::Raw(response))) => response,
        Some(Err(failure)) => respond(format, Err(failure)),
        None => unknown(format, &call),
    }
}

/// The answer to a call this server does not know: a 404 with a Subsonic error.
fn unknown(format: Format, call: &str) -> Response {
    let mut response = respond(
        format,
        Err(Failure::new(
            0,
            format!("Unknown call {call:?}; docs/library.md lists the calls this server answers"),
        )),
    );
    response.set_status(StatusCode::NOT_FOUND);
    response
}

/// The account a call comes from, by the scheme the app used.
async fn sign_in(state: &AppState, request: &Request, params: &Params) -> Result<User, Failure> {
    if let Some(key) = params.get("apiKey") {
        if params.get("u").is_some() {
            return Err(Failure::new(
                43,
                "Multiple conflicting authentication mechanisms provided: send apiKey alone, without u",
            ));
        }
        return state.users.user_by_api_key(key).await?.ok_or_else(|| {
            Failure::new(
                44,
                "Invalid API key: make an app password on the settings page and use it as the key",
            )
        });
    }
    let username = params.required("u")?;
    let credential = if let Some(password) = params.get("p") {
        let password = match password.strip_prefix("enc:") {
            Some(encoded) => hex::decode(encoded)
                .ok()
                .and_then(|bytes| String::from_utf8(bytes).ok())
                .ok_or_else(|| Failure::new(40, "Wrong username or password"))?,
            None => password.to_owned(),
        };
        AppCredential::Password(SecretString::from(password))
    } else if let (Some(token), Some(salt)) = (params.get("t"), params.get("s")) {
        AppCredential::Token {
            token: token.to_owned(),
            salt: salt.to_owned(),
        }
    } else {
        return Err(Failure::missing("p, or t and s"));
    };
    let client = soiree_users::ClientInfo::new(
        request
            .header(poem::http::header::USER_AGENT)
            .or(params.get("c")),
        crate::limits::client_address(request, &state.trusted_proxies),
    );
    match state
        .users
        .app_sign_in(username, &credential, &client)
        .await
    {
        Ok(user) => Ok(user),
        Err(AppSignInError::WrongCredentials) => Err(Failure::new(
            40,
            "Wrong username or password: use an app password made on the settings page, not your account password",
        )),
        Err(AppSignInError::Unknown(error)) => Err(Failure::internal(&error)),
    }
}

/// The routes under `/rest`.
pub(crate) fn routes() -> poem::Route {
    poem::Route::new().at(
        "/:call",
        poem::RouteMethod::new()
            .get(endpoint)
            .post(endpoint)
            .head(endpoint),
    )
}

impl From<soiree_library::TrackError> for Failure {
    fn from(error: soiree_library::TrackError) -> Self {
        match error {
            soiree_library::TrackError::NotFound => Failure::not_found("Song"),
            soiree_library::TrackError::Unknown(error) => Failure::internal(&error),
        }
    }
}
