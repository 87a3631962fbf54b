//! The web pages (DESIGN §1): one page per thing a person does, rendered on the server from
//! templates compiled into the binary, in the visitor's language, then brought to life by small
//! scripts that call the same JSON API as any other client, with the session cookie.
//!
//! Pages hold no business rule: a handler finds out who is visiting (the session cookie), checks
//! what the page needs (a sign-in, an existing room) and renders. Everything else happens in the
//! browser through `/api/v1`, except the insights page, whose charts are drawn on the server as
//! SVG from the same service `GET /api/v1/me/insights` reads.

mod assets;
mod charts;
mod i18n;

use std::ops::Deref;

use askama::Template;
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use poem::http::{Method, StatusCode, header};
use poem::web::{Data, Path, Query};
use poem::{Endpoint, EndpointExt as _, IntoResponse, Request, Response, Route, handler};
use serde::Deserialize;
use soiree_connections::Provider;
use soiree_rooms::{Room, RoomCode};
use soiree_users::Authenticated;

use crate::cookie::{SESSION_COOKIE_NAME, read_cookie};
use crate::problem::Problem;
use crate::state::AppState;
use i18n::{EN, FR, Texts, script_texts};

/// What pages may load and where their scripts may connect: only this server, plus album art
/// (the providers' image hosts, and the simulator's inline pictures).
const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
     img-src 'self' data: https:; connect-src 'self'; object-src 'none'; base-uri 'self'; \
     form-action 'self'; frame-ancestors 'none'";

/// The routes of the pages and their assets.
pub(crate) fn routes() -> Route {
    Route::new()
        .at("/", poem::get(home))
        .at("/signup", poem::get(signup))
        .at("/login", poem::get(login))
        .at("/dashboard", poem::get(dashboard))
        .at("/connect", poem::get(connect))
        .at("/settings", poem::get(settings))
        .at("/insights", poem::get(insights))
        .at("/music", poem::get(music))
        .at("/library", poem::get(library))
        .at("/playlists", poem::get(playlists))
        .at("/operator", poem::get(operator))
        .at("/rooms/new", poem::get(new_room))
        .at("/rooms/:code", poem::get(party))
        .at("/rooms/:code/tv", poem::get(tv))
        .at("/favicon.svg", poem::get(assets::favicon))
        .at("/assets/:name", poem::get(assets::asset))
}

/// Turns the "not found" of a browser's page request into the not-found page (API clients keep
/// their problem document).
pub(crate) fn with_not_found_page<E: Endpoint + 'static>(endpoint: E) -> impl Endpoint {
    endpoint.around(|inner, request| async move {
        let wants_page = request.method() == Method::GET
            && !request.uri().path().starts_with("/api/")
            && request
                .headers()
                .get(header::ACCEPT)
                .and_then(|accept| accept.to_str().ok())
                .is_some_and(|accept| accept.contains("text/html"));
        if !wants_page {
            return inner.call(request).await.map(IntoResponse::into_response);
        }
        // Who is visiting matters only for a not-found page: kept aside, looked up only then.
        let state = request.data::<AppState>().cloned();
        let token = read_cookie(&request, SESSION_COOKIE_NAME).map(str::to_owned);
        let accept_language = accept_language(&request).to_owned();
        match inner.call(request).await {
            Ok(response) => Ok(response.into_response()),
            Err(error) if error.status() == StatusCode::NOT_FOUND => match state {
                Some(state) => {
                    let visit = Visit::from_parts(&state, token.as_deref(), &accept_language).await;
                    Ok(not_found(
                        &visit,
                        visit.texts.not_found_title,
                        visit.texts.not_found_text,
                    ))
                }
                None => Err(error),
            },
            Err(error) => Err(error),
        }
    })
}

fn accept_language(request: &Request) -> &str {
    request
        .headers()
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
}

/// Who is looking at a page, and in which language.
struct Visit {
    caller: Option<Authenticated>,
    texts: &'static Texts,
}

impl Visit {
    async fn of(state: &AppState, request: &Request) -> Self {
        let token = read_cookie(request, SESSION_COOKIE_NAME);
        Self::from_parts(state, token, accept_language(request)).await
    }

    /// The visitor behind a session token (if any and still valid), in the account's language,
    /// else the browser's.
    async fn from_parts(state: &AppState, token: Option<&str>, accept_language: &str) -> Self {
        let caller = match token {
            Some(token) => state.users.authenticate(token).await.ok(),
            None => None,
        };
        let texts = match caller
            .as_ref()
            .and_then(|caller| caller.user.profile.language.as_ref())
        {
            Some(language) => texts_for(language.as_str()),
            None => from_browser(accept_language),
        };
        Self { caller, texts }
    }

    /// What every page shows, with `script` as the page's script.
    fn common(&self, script: &'static str) -> Common {
        Common {
            t: self.texts,
            signed_in: self
                .caller
                .as_ref()
                .map(|caller| caller.user.shown_name().to_owned()),
            operator: self
                .caller
                .as_ref()
                .is_some_and(|caller| caller.user.operator),
            script,
            script_texts: script_texts(self.texts.lang),
        }
    }
}

/// The pages' words for a language tag: French for `fr` and its regions, else English.
fn texts_for(language: &str) -> &'static Texts {
    let primary = language.split(['-', '_']).next().unwrap_or_default();
    if primary.eq_ignore_ascii_case("fr") {
        &FR
    } else {
        &EN
    }
}

/// The first language of `Accept-Language` that the pages speak (browsers list them in order
/// of preference), else English.
fn from_browser(accept_language: &str) -> &'static Texts {
    accept_language
        .split(',')
        .filter_map(|item| item.split(';').next())
        .map(|tag| tag.trim().split(['-', '_']).next().unwrap_or_default())
        .find(|primary| primary.eq_ignore_ascii_case("en") || primary.eq_ignore_ascii_case("fr"))
        .map_or(&EN, texts_for)
}

/// The parts of every page: its words, who is signed in, and its script.
struct Common {
    t: &'static Texts,
    /// The signed-in person's shown name.
    signed_in: Option<String>,
    /// Whether they are an operator (the operator page is in their menu).
    operator: bool,
    /// The page's script, under `/assets/{script}.js`.
    script: &'static str,
    /// The script's words, as JSON.
    script_texts: &'static str,
}

/// Declares a page template: its fields besides [`Common`], which its templates reach directly.
macro_rules! page {
    ($name:ident, $path:literal $(, $field:ident: $ty:ty)* $(,)?) => {
        #[derive(Template)]
        #[template(path = $path)]
        struct $name {
            common: Common,
            $($field: $ty,)*
        }

        impl Deref for $name {
            type Target = Common;
            fn deref(&self) -> &Common {
                &self.common
            }
        }
    };
}

page!(HomePage, "home.html");
page!(SignupPage, "signup.html", next: String, next_query: String);
page!(LoginPage, "login.html", next: String, next_query: String);
page!(DashboardPage, "dashboard.html", name: String);
page!(ConnectPage, "connect.html", redirect_spotify: String, redirect_soundcloud: String);
page!(
    SettingsPage,
    "settings.html",
    username: String,
    display_name: String,
    language: String,
    timezone: String,
    redirect_spotify: String,
    redirect_soundcloud: String,
);
page!(MusicPage, "music.html");
page!(
    InsightsPage,
    "insights.html",
    totals: soiree_insights::Counts,
    quiet_weeks: bool,
    weekly_svg: String,
    artists_svg: String,
    top_tracks: Vec<TrackLine>,
    rooms: soiree_insights::RoomsSummary,
    recent_rooms: Vec<RoomLine>,
    recommendations: Option<Vec<RecommendationLine>>,
    sync: Vec<SyncLine>,
);

/// A top track as the insights page lists it.
struct TrackLine {
    title: String,
    artists: String,
    score: u32,
}

/// A room as the insights page lists it.
struct RoomLine {
    code: String,
    name: String,
    hosted: bool,
    day: String,
    closed: bool,
}

/// A recommendation as the insights page lists it, with where to open it.
struct RecommendationLine {
    title: String,
    artists: String,
    reason: String,
    link: Option<String>,
}

/// A service's sync in figures.
struct SyncLine {
    service: String,
    likes: u64,
    runs: usize,
    added: u32,
}
page!(LibraryPage, "library.html");
page!(PlaylistsPage, "playlists.html");
page!(OperatorPage, "operator.html");
page!(NewRoomPage, "room_new.html");
page!(RoomPage, "room.html", code: String, room_title: String, share_url: String, qr_svg: String);
page!(TvPage, "tv.html", code: String, share_url: String, qr_svg: String);
page!(NotFoundPage, "not_found.html", heading: &'static str, text: &'static str);

/// A rendered page with the pages' security headers.
fn html(status: StatusCode, rendered: askama::Result<String>) -> Response {
    match rendered {
        Ok(body) => Response::builder()
            .status(status)
            .content_type("text/html; charset=utf-8")
            .header(header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY)
            .body(body),
        Err(error) => Problem::internal(&format!("rendering a page: {error}")).into_response(),
    }
}

fn ok(rendered: askama::Result<String>) -> Response {
    html(StatusCode::OK, rendered)
}

fn not_found(visit: &Visit, heading: &'static str, text: &'static str) -> Response {
    let page = NotFoundPage {
        common: visit.common("soiree"),
        heading,
        text,
    };
    html(StatusCode::NOT_FOUND, page.render())
}

fn see_other(location: &str) -> Response {
    Response::builder()
        .status(StatusCode::SEE_OTHER)
        .header(header::LOCATION, location)
        .finish()
}

/// Where a page that needs a sign-in sends a visitor without one.
fn to_login(path: &str) -> Response {
    see_other(&format!("/login{}", next_query(path)))
}

/// `?next={path}`, encoded.
fn next_query(path: &str) -> String {
    format!("?next={}", utf8_percent_encode(path, NON_ALPHANUMERIC))
}

/// A path on this server to go to after signing in; anything else (another site, a protocol
/// relative `//host`) becomes the dashboard, so a link cannot send people elsewhere.
fn local_path(next: Option<&str>) -> String {
    next.filter(|path| {
        path.starts_with('/') && !path.starts_with("//") && !path.contains(['\\', '\r', '\n', '\t'])
    })
    .unwrap_or("/dashboard")
    .to_owned()
}

#[derive(Debug, Deserialize)]
struct NextParam {
    next: Option<String>,
}

#[handler]
async fn home(request: &Request, Data(state): Data<&AppState>) -> Response {
    let visit = Visit::of(state, request).await;
    ok(HomePage {
        common: visit.common("home"),
    }
    .render())
}

#[handler]
async fn signup(
    request: &Request,
    Data(state): Data<&AppState>,
    Query(param): Query<NextParam>,
) -> Response {
    account_form(
        state,
        request,
        param,
        "signup",
        |common, next_query, next| {
            SignupPage {
                common,
                next_query,
                next,
            }
            .render()
        },
    )
    .await
}

#[handler]
async fn login(
    request: &Request,
    Data(state): Data<&AppState>,
    Query(param): Query<NextParam>,
) -> Response {
    account_form(
        state,
        request,
        param,
        "login",
        |common, next_query, next| {
            LoginPage {
                common,
                next_query,
                next,
            }
            .render()
        },
    )
    .await
}

/// The sign-up or login form (`render` gets the common parts, `?next=` and where to go after);
/// a visitor signed in already goes straight on.
async fn account_form(
    state: &AppState,
    request: &Request,
    param: NextParam,
    script: &'static str,
    render: impl FnOnce(Common, String, String) -> askama::Result<String>,
) -> Response {
    let visit = Visit::of(state, request).await;
    let next = local_path(param.next.as_deref());
    if visit.caller.is_some() {
        return see_other(&next);
    }
    ok(render(visit.common(script), next_query(&next), next))
}

/// The signed-in visitor, or the redirect to the login page that comes back to `path`.
async fn signed_in(
    state: &AppState,
    request: &Request,
) -> Result<(Visit, Authenticated), Response> {
    let visit = Visit::of(state, request).await;
    match visit.caller.clone() {
        Some(caller) => Ok((visit, caller)),
        None => Err(to_login(
            request
                .uri()
                .path_and_query()
                .map_or("/dashboard", |path| path.as_str()),
        )),
    }
}

#[handler]
async fn dashboard(request: &Request, Data(state): Data<&AppState>) -> Response {
    match signed_in(state, request).await {
        Ok((visit, caller)) => ok(DashboardPage {
            common: visit.common("dashboard"),
            name: caller.user.shown_name().to_owned(),
        }
        .render()),
        Err(redirect) => redirect,
    }
}

#[handler]
async fn connect(request: &Request, Data(state): Data<&AppState>) -> Response {
    match signed_in(state, request).await {
        Ok((visit, _)) => ok(ConnectPage {
            common: visit.common("connect"),
            redirect_spotify: state.connections.redirect_uri(Provider::Spotify),
            redirect_soundcloud: state.connections.redirect_uri(Provider::SoundCloud),
        }
        .render()),
        Err(redirect) => redirect,
    }
}

#[handler]
async fn settings(request: &Request, Data(state): Data<&AppState>) -> Response {
    match signed_in(state, request).await {
        Ok((visit, caller)) => {
            let profile = &caller.user.profile;
            ok(SettingsPage {
                common: visit.common("settings"),
                username: caller.user.username.as_str().to_owned(),
                display_name: profile
                    .display_name
                    .as_ref()
                    .map(|name| name.as_str().to_owned())
                    .unwrap_or_default(),
                language: profile
                    .language
                    .as_ref()
                    .map(|language| language.as_str().to_owned())
                    .unwrap_or_default(),
                timezone: profile
                    .timezone
                    .as_ref()
                    .map(|zone| zone.as_str().to_owned())
                    .unwrap_or_default(),
                redirect_spotify: state.connections.redirect_uri(Provider::Spotify),
                redirect_soundcloud: state.connections.redirect_uri(Provider::SoundCloud),
            }
            .render())
        }
        Err(redirect) => redirect,
    }
}

/// Where a service's track opens in a browser, when its address says.
fn track_link(uri: &str) -> Option<String> {
    uri.strip_prefix("spotify:track:")
        .map(|id| format!("https://open.spotify.com/track/{id}"))
}

/// Insights: the last weeks and the top artists as charts drawn here, top tracks, rooms, the
/// sync's figures and recommendations.
#[handler]
async fn insights(request: &Request, Data(state): Data<&AppState>) -> Response {
    let (visit, caller) = match signed_in(state, request).await {
        Ok(signed_in) => signed_in,
        Err(redirect) => return redirect,
    };
    let user = caller.user.id;
    let t = visit.texts;
    let (insights, found, sync) = match tokio::try_join!(
        async {
            state
                .insights
                .insights(user)
                .await
                .map_err(anyhow::Error::from)
        },
        async {
            match state.insights.recommendations(user, 10).await {
                Ok(found) => Ok(Some(found)),
                Err(soiree_insights::RecommendError::SwitchedOff) => Ok(None),
                Err(error) => Err(anyhow::Error::from(error)),
            }
        },
        state.sync.service.status(user),
    ) {
        Ok(all) => all,
        Err(error) => return Problem::internal(&format!("{error:#}")).into_response(),
    };
    let artists: Vec<(String, u32)> = insights
        .top_artists
        .iter()
        .map(|artist| (artist.name.clone(), artist.counts.score()))
        .collect();
    ok(InsightsPage {
        common: visit.common("insights"),
        totals: insights.totals,
        quiet_weeks: insights.weeks.iter().all(|week| week.counts.score() == 0),
        weekly_svg: charts::weekly_bars(
            &insights.weeks,
            &charts::Legend {
                liked: t.insights_liked,
                played: t.insights_played,
                voted_up: t.insights_voted_up,
                title: t.insights_weeks,
            },
        ),
        artists_svg: charts::ranked_bars(&artists, t.insights_top_artists),
        top_tracks: insights
            .top_tracks
            .into_iter()
            .map(|top| TrackLine {
                score: top.counts.score(),
                title: top.track.title,
                artists: top.track.artists.join(", "),
            })
            .collect(),
        recent_rooms: insights
            .rooms
            .recent
            .iter()
            .map(|visit| RoomLine {
                code: visit.code.clone(),
                name: visit.name.clone().unwrap_or_default(),
                hosted: visit.role == soiree_insights::RoomRole::Host,
                day: visit.at.format("%Y-%m-%d").to_string(),
                closed: visit.closed,
            })
            .collect(),
        rooms: insights.rooms,
        recommendations: found.map(|found| {
            found
                .into_iter()
                .map(|found| RecommendationLine {
                    reason: found.reason(),
                    link: track_link(&found.track.uri),
                    title: found.track.title,
                    artists: found.track.artists.join(", "),
                })
                .collect()
        }),
        sync: sync
            .into_iter()
            .map(|status| SyncLine {
                service: status.state.key.service.clone(),
                likes: status.likes,
                runs: status.runs.len(),
                added: status.runs.iter().map(|run| run.added).sum(),
            })
            .collect(),
    }
    .render())
}

#[handler]
async fn music(request: &Request, Data(state): Data<&AppState>) -> Response {
    match signed_in(state, request).await {
        Ok((visit, _)) => ok(MusicPage {
            common: visit.common("music"),
        }
        .render()),
        Err(redirect) => redirect,
    }
}

/// The library: search the music folder and play a song here, in the browser.
#[handler]
async fn library(request: &Request, Data(state): Data<&AppState>) -> Response {
    match signed_in(state, request).await {
        Ok((visit, _)) => ok(LibraryPage {
            common: visit.common("library"),
        }
        .render()),
        Err(redirect) => redirect,
    }
}

/// Playlists: make them, fill them from the library, reorder, remove.
#[handler]
async fn playlists(request: &Request, Data(state): Data<&AppState>) -> Response {
    match signed_in(state, request).await {
        Ok((visit, _)) => ok(PlaylistsPage {
            common: visit.common("playlists"),
        }
        .render()),
        Err(redirect) => redirect,
    }
}

/// The operator's page: accounts, their tiers and limits. Anyone else is told it is not theirs.
#[handler]
async fn operator(request: &Request, Data(state): Data<&AppState>) -> Response {
    match signed_in(state, request).await {
        Ok((visit, caller)) if caller.user.operator => ok(OperatorPage {
            common: visit.common("operator"),
        }
        .render()),
        Ok((visit, _)) => not_found(
            &visit,
            visit.texts.operator_page_not_yours,
            visit.texts.operator_page_not_yours_text,
        ),
        Err(redirect) => redirect,
    }
}

#[handler]
async fn new_room(request: &Request, Data(state): Data<&AppState>) -> Response {
    match signed_in(state, request).await {
        Ok((visit, _)) => ok(NewRoomPage {
            common: visit.common("room-new"),
        }
        .render()),
        Err(redirect) => redirect,
    }
}

/// The room behind a code as typed: the room, a redirect to its canonical address (codes are
/// shown uppercase), or the page saying there is no such party.
async fn room_of(
    state: &AppState,
    visit: &Visit,
    typed: &str,
    suffix: &str,
) -> Result<Room, Response> {
    let missing = || {
        not_found(
            visit,
            visit.texts.room_not_found_title,
            visit.texts.room_not_found_text,
        )
    };
    let code = RoomCode::parse(typed).map_err(|_| missing())?;
    if code.as_str() != typed {
        return Err(see_other(&format!("/rooms/{code}{suffix}")));
    }
    match state.rooms.find(&code).await {
        Ok(Some(room)) => Ok(room),
        Ok(None) => Err(missing()),
        Err(error) => Err(Problem::internal(&error).into_response()),
    }
}

/// The room's join link, and its QR code as inline SVG.
fn share(state: &AppState, code: &RoomCode) -> (String, String) {
    let url = format!("{}/rooms/{code}", state.public_origin);
    let qr = crate::qr::svg(&url);
    (url, qr)
}

#[handler]
async fn party(
    request: &Request,
    Data(state): Data<&AppState>,
    Path(code): Path<String>,
) -> Response {
    let visit = Visit::of(state, request).await;
    let room = match room_of(state, &visit, &code, "").await {
        Ok(room) => room,
        Err(response) => return response,
    };
    let (share_url, qr_svg) = share(state, &room.code);
    let room_title = room.name.as_ref().map_or_else(
        || format!("{} {}", visit.texts.room_default_title, room.code),
        |name| name.as_str().to_owned(),
    );
    ok(RoomPage {
        common: visit.common("room"),
        code: room.code.to_string(),
        room_title,
        share_url,
        qr_svg,
    }
    .render())
}

#[handler]
async fn tv(request: &Request, Data(state): Data<&AppState>, Path(code): Path<String>) -> Response {
    let visit = Visit::of(state, request).await;
    let room = match room_of(state, &visit, &code, "/tv").await {
        Ok(room) => room,
        Err(response) => return response,
    };
    let (share_url, qr_svg) = share(state, &room.code);
    ok(TvPage {
        common: visit.common("tv"),
        code: room.code.to_string(),
        share_url,
        qr_svg,
    }
    .render())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_browser_language_picks_french_only_when_preferred() {
        assert_eq!(from_browser("fr-FR,fr;q=0.9,en;q=0.8").lang, "fr");
        assert_eq!(from_browser("de-DE,fr;q=0.8,en;q=0.5").lang, "fr");
        assert_eq!(from_browser("en-US,en;q=0.9,fr;q=0.8").lang, "en");
        assert_eq!(from_browser("de-DE").lang, "en");
        assert_eq!(from_browser("").lang, "en");
    }

    #[test]
    fn after_sign_in_only_local_paths_are_followed() {
        assert_eq!(local_path(Some("/rooms/K7XQ2M")), "/rooms/K7XQ2M");
        assert_eq!(local_path(Some("//evil.example/x")), "/dashboard");
        assert_eq!(local_path(Some("https://evil.example/")), "/dashboard");
        assert_eq!(local_path(Some("/\\evil.example")), "/dashboard");
        assert_eq!(local_path(None), "/dashboard");
        assert_eq!(
            next_query("/rooms/K7XQ2M/tv"),
            "?next=%2Frooms%2FK7XQ2M%2Ftv"
        );
    }
}
