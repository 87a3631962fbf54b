//! Tiers as people and operators see them: the caller's own standing and self-service change
//! (`/me/tier`), and the operator API over accounts (`/users`).

use chrono::{DateTime, Utc};
use poem::http::StatusCode;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi, Tags};
use soiree_kernel::{Tier, UserId};
use soiree_tiers::{ChangeTierError, ChangedBy, Limit, Overrides, Quota, Standing, TierChange};
use soiree_users::{Authenticated, ProfileChanges, UpdateProfileError, User};
use uuid::Uuid;

use super::objects::{TierOut, UserOut};
use crate::auth::SessionAuth;
use crate::problem::{Problem, capitalised, problem_variants};
use crate::provision::{self, MemberRow, Provisioned};
use crate::state::AppState;

#[derive(Tags)]
enum TierTags {
    /// Tiers, quotas and the operator's view of accounts.
    Tiers,
}

/// A limit: a number, or `null` for no limit.
type LimitOut = Option<u64>;

fn limit_out(limit: Limit) -> LimitOut {
    match limit {
        Limit::AtMost(most) => Some(most),
        Limit::Unlimited => None,
    }
}

/// What applies to an account: its tier's limits with the operator's overrides.
#[derive(Object, Debug)]
#[oai(rename = "Limits")]
struct LimitsOut {
    /// Playlists kept (`null`: no limit).
    playlists: LimitOut,
    /// Bytes of stored music.
    storage_bytes: LimitOut,
    /// Rooms open at once as host.
    open_rooms: LimitOut,
    /// People in one of the account's rooms at once.
    participants_per_room: LimitOut,
    /// API requests an hour by programs (bearer tokens); the pages have their own budget.
    api_requests_per_hour: LimitOut,
    /// The names of the limits the operator set for this account alone.
    overridden: Vec<String>,
}

fn limits_out(standing: &Standing) -> LimitsOut {
    let per_hour = limit_out(standing.limits.api_requests.hourly());
    let overrides = standing.overrides;
    let mut overridden: Vec<String> = Quota::ALL
        .into_iter()
        .filter(|quota| overrides.quota(*quota).is_some())
        .map(|quota| quota.as_str().to_owned())
        .collect();
    if overrides.api_requests_per_hour.is_some() {
        overridden.push(soiree_tiers::API_REQUESTS.to_owned());
    }
    LimitsOut {
        playlists: limit_out(standing.limit(Quota::Playlists)),
        storage_bytes: limit_out(standing.limit(Quota::StorageBytes)),
        open_rooms: limit_out(standing.limit(Quota::OpenRooms)),
        participants_per_room: limit_out(standing.limit(Quota::ParticipantsPerRoom)),
        api_requests_per_hour: per_hour,
        overridden,
    }
}

/// What an account uses of its quotas now.
#[derive(Object, Debug)]
#[oai(rename = "Usage")]
struct UsageOut {
    /// Rooms open with the account as host.
    open_rooms: u32,
    /// Playlists the account keeps.
    playlists: u32,
    /// Bytes of audio the account uploaded.
    storage_bytes: u64,
}

/// One recorded change of tier or overrides.
#[derive(Object, Debug)]
#[oai(rename = "TierChange")]
struct TierChangeOut {
    from: TierOut,
    to: TierOut,
    /// The overrides after the change (`open_rooms=20, ...`, or `none`).
    overrides: String,
    /// `account` (self-service), `operator` or `command_line`.
    by: String,
    #[oai(skip_serializing_if_is_none)]
    reason: Option<String>,
    at: DateTime<Utc>,
}

impl From<TierChange> for TierChangeOut {
    fn from(change: TierChange) -> Self {
        Self {
            from: change.from.into(),
            to: change.to.into(),
            overrides: change.overrides.to_string(),
            by: change.by.kind().to_owned(),
            reason: change.reason,
            at: change.at,
        }
    }
}

/// An account's tier, what it allows, what it uses, and how it came to be.
#[derive(Object, Debug)]
#[oai(rename = "TierStanding")]
struct StandingOut {
    tier: TierOut,
    limits: LimitsOut,
    usage: UsageOut,
    /// Whether people may change their own tier on this server (`POST /api/v1/me/tier`).
    self_service: bool,
    /// The latest changes first, at most twenty.
    changes: Vec<TierChangeOut>,
}

/// A tier to move to.
#[derive(Object, Debug)]
#[oai(deny_unknown_fields)]
struct TierIn {
    tier: TierOut,
    /// Why (kept with the change; up to 500 characters).
    #[oai(
        validator(max_length = 500),
        deserialize_with = "crate::api::strict::text"
    )]
    reason: Option<String>,
}

fn tier_of(tier: TierOut) -> Tier {
    match tier {
        TierOut::Free => Tier::Free,
        TierOut::Premium => Tier::Premium,
        TierOut::Enterprise => Tier::Enterprise,
        TierOut::Vip => Tier::Vip,
    }
}

#[derive(ApiResponse)]
#[oai(bad_request_handler = "StandingResponse::bad_request_handler")]
enum StandingResponse {
    /// The account's standing.
    #[oai(status = 200)]
    Ok(Json<StandingOut>),
    /// `bad_request`: the id is not a UUID.
    #[oai(status = 400, content_type = "application/problem+json")]
    BadRequest(Json<Problem>),
    /// `unauthenticated`.
    #[oai(status = 401, content_type = "application/problem+json")]
    Unauthenticated(Json<Problem>),
    /// `operator_only`: the route is for the server's operators.
    #[oai(status = 403, content_type = "application/problem+json")]
    Forbidden(Json<Problem>),
    /// `user_not_found`.
    #[oai(status = 404, content_type = "application/problem+json")]
    NotFound(Json<Problem>),
    /// `internal_error`.
    #[oai(status = 500, content_type = "application/problem+json")]
    Internal(Json<Problem>),
}

problem_variants!(StandingResponse {
    400 => BadRequest, 401 => Unauthenticated, 403 => Forbidden, 404 => NotFound, 500 => Internal,
});

#[derive(ApiResponse)]
#[oai(bad_request_handler = "ChangeTierResponse::bad_request_handler")]
enum ChangeTierResponse {
    /// The tier changed (or already was the one asked for); the account's standing now.
    #[oai(status = 200)]
    Ok(Json<StandingOut>),
    /// `bad_request`: the body is not a tier.
    #[oai(status = 400, content_type = "application/problem+json")]
    BadRequest(Json<Problem>),
    /// `unauthenticated`.
    #[oai(status = 401, content_type = "application/problem+json")]
    Unauthenticated(Json<Problem>),
    /// `self_service_closed`: this server does not let people choose their tier;
    /// `operator_only`.
    #[oai(status = 403, content_type = "application/problem+json")]
    Forbidden(Json<Problem>),
    /// `user_not_found`.
    #[oai(status = 404, content_type = "application/problem+json")]
    NotFound(Json<Problem>),
    /// `payload_too_large`.
    #[oai(status = 413, content_type = "application/problem+json")]
    PayloadTooLarge(Json<Problem>),
    /// `unsupported_media_type`.
    #[oai(status = 415, content_type = "application/problem+json")]
    UnsupportedMediaType(Json<Problem>),
    /// `internal_error`.
    #[oai(status = 500, content_type = "application/problem+json")]
    Internal(Json<Problem>),
}

problem_variants!(ChangeTierResponse {
    400 => BadRequest, 401 => Unauthenticated, 403 => Forbidden, 404 => NotFound,
    413 => PayloadTooLarge, 415 => UnsupportedMediaType, 500 => Internal,
});

fn user_not_found() -> Problem {
    Problem::new(
        StatusCode::NOT_FOUND,
        "user_not_found",
        "No such account",
        "No account has this id.",
    )
}

fn operator_only() -> Problem {
    Problem::new(
        StatusCode::FORBIDDEN,
        "operator_only",
        "Operators only",
        "This route is for the server's operators; an operator is made with `soiree provision-users --operator`.",
    )
}

/// The caller, if they are an operator.
pub(crate) fn operator(auth: &SessionAuth) -> Result<&Authenticated, Problem> {
    let caller = auth.caller();
    if caller.user.operator {
        Ok(caller)
    } else {
        Err(operator_only())
    }
}

fn change_problem(error: ChangeTierError) -> Problem {
    match error {
        ChangeTierError::UnknownAccount => user_not_found(),
        ChangeTierError::SelfServiceClosed => Problem::new(
            StatusCode::FORBIDDEN,
            "self_service_closed",
            "Ask the operator",
            capitalised(&error),
        ),
        ChangeTierError::Unknown(error) => Problem::internal(&format!("{error:#}")),
    }
}

impl AppState {
    /// An account's overview, as the API shows it.
    async fn standing_out(&self, user: UserId) -> Result<StandingOut, Problem> {
        let overview = self
            .tiers
            .overview(user)
            .await
            .map_err(|error| match error {
                soiree_tiers::StandingError::UnknownAccount => user_not_found(),
                soiree_tiers::StandingError::Unknown(error) => {
                    Problem::internal(&format!("{error:#}"))
                }
            })?;
        let standing = overview.standing;
        Ok(StandingOut {
            tier: standing.tier.into(),
            limits: limits_out(&standing),
            usage: UsageOut {
                open_rooms: u32::try_from(overview.usage.open_rooms).unwrap_or(u32::MAX),
                playlists: u32::try_from(overview.usage.playlists).unwrap_or(u32::MAX),
                storage_bytes: overview.usage.storage_bytes,
            },
            self_service: self.tiers.table().self_service,
            changes: overview.changes.into_iter().map(Into::into).collect(),
        })
    }
}

/// The caller's tier.
pub(crate) struct TiersApi {
    pub(crate) state: AppState,
}

#[OpenApi(prefix_path = "/api/v1", tag = "TierTags::Tiers")]
impl TiersApi {
    /// The caller's tier: what it allows, what the caller uses, and its recorded changes.
    #[oai(path = "/me/tier", method = "get")]
    async fn my_tier(&self, auth: SessionAuth) -> StandingResponse {
        match self.state.standing_out(auth.caller().user.id).await {
            Ok(standing) => StandingResponse::Ok(Json(standing)),
            Err(problem) => StandingResponse::from_problem(problem),
        }
    }

    /// Change the caller's own tier, where the operator allows self-service (`self_service` in
    /// the tier file). On a downgrade nothing is deleted: what is above the new quotas stays,
    /// and nothing new of that kind can be made until it is under them.
    #[oai(path = "/me/tier", method = "post")]
    async fn change_my_tier(&self, auth: SessionAuth, body: Json<TierIn>) -> ChangeTierResponse {
        let user = auth.caller().user.id;
        let body = body.0;
        let changed = self
            .state
            .tiers
            .change_tier(user, tier_of(body.tier), ChangedBy::Account, body.reason)
            .await;
        if let Err(error) = changed {
            return ChangeTierResponse::from_problem(change_problem(error));
        }
        self.state
            .log_security(
                auth.caller(),
                soiree_users::SecurityEventKind::TierChanged,
                tier_of(body.tier).as_str(),
            )
            .await;
        self.state.users.forget_user(user);
        match self.state.standing_out(user).await {
            Ok(standing) => ChangeTierResponse::Ok(Json(standing)),
            Err(problem) => ChangeTierResponse::from_problem(problem),
        }
    }
}

/// An account as an operator sees it.
#[derive(Object, Debug)]
#[oai(rename = "OperatorUser")]
struct OperatorUserOut {
    #[oai(flatten)]
    user: UserOut,
    /// Whether the account is an operator.
    operator: bool,
}

impl From<User> for OperatorUserOut {
    fn from(user: User) -> Self {
        let operator = user.operator;
        Self {
            user: user.into(),
            operator,
        }
    }
}

/// One page of accounts.
#[derive(Object, Debug)]
#[oai(rename = "UserPage")]
struct UserPageOut {
    users: Vec<OperatorUserOut>,
    /// This page (from 1).
    page: u64,
    per_page: u64,
    /// Accounts that match, in all.
    total: u64,
}

/// An account with its standing.
#[derive(Object, Debug)]
#[oai(rename = "UserDetail")]
struct UserDetailOut {
    user: OperatorUserOut,
    standing: StandingOut,
}

/// A new account, made by an operator (the same rules as `soiree provision-users`).
#[derive(Object, Debug)]
#[oai(rename = "NewUser", deny_unknown_fields)]
struct NewUserIn {
    #[oai(
        validator(pattern = r"^[A-Za-z0-9][A-Za-z0-9._-]{2,31}$"),
        deserialize_with = "crate::api::strict::text"
    )]
    username: String,
    /// The first password, to hand over to the person (8 to 1024 characters).
    #[oai(
        write_only,
        validator(min_length = 8, max_length = 1024),
        deserialize_with = "crate::api::strict::text"
    )]
    password: String,
    #[oai(
        validator(
            max_length = 254,
            pattern = r"^[!-?A-~]{1,64}@[!-\-/-?A-~]+(\.[!-\-/-?A-~]+)+$"
        ),
        deserialize_with = "crate::api::strict::text"
    )]
    email: Option<String>,
    tier: Option<TierOut>,
    #[oai(
        validator(
            max_length = 64,
            pattern = r"^[^\s\x00-\x1f\x7f-\x9f]([^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f])?$"
        ),
        deserialize_with = "crate::api::strict::text"
    )]
    display_name: Option<String>,
    #[oai(
        validator(max_length = 35, pattern = r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$"),
        deserialize_with = "crate::api::strict::text"
    )]
    language: Option<String>,
    #[oai(
        validator(max_length = 64, pattern = r"^[A-Za-z][A-Za-z0-9_+/-]*$"),
        deserialize_with = "crate::api::strict::text"
    )]
    timezone: Option<String>,
}

/// A limit override: a number, `"unlimited"`, or `null` to follow the tier again.
#[derive(Object, Debug, Default)]
#[oai(rename = "LimitOverrides", deny_unknown_fields)]
struct OverridesIn {
    #[oai(
        validator(pattern = r"^(unlimited|[0-9]{1,18})$"),
        deserialize_with = "crate::api::strict::text"
    )]
    playlists: Option<String>,
    #[oai(
        validator(pattern = r"^(unlimited|[0-9]{1,18})$"),
        deserialize_with = "crate::api::strict::text"
    )]
    storage_bytes: Option<String>,
    #[oai(
        validator(pattern = r"^(unlimited|[0-9]{1,18})$"),
        deserialize_with = "crate::api::strict::text"
    )]
    open_rooms: Option<String>,
    #[oai(
        validator(pattern = r"^(unlimited|[0-9]{1,18})$"),
        deserialize_with = "crate::api::strict::text"
    )]
    participants_per_room: Option<String>,
    #[oai(
        validator(pattern = r"^(unlimited|[0-9]{1,18})$"),
        deserialize_with = "crate::api::strict::text"
    )]
    api_requests_per_hour: Option<String>,
}

/// An operator's changes to an account: its profile and its limit overrides. What is left out
/// stays as it is; the tier changes through `/upgrade`.
#[derive(Object, Debug)]
#[oai(rename = "UserUpdate", deny_unknown_fields)]
struct UserUpdateIn {
    #[oai(
        validator(
            max_length = 64,
            pattern = r"^[^\s\x00-\x1f\x7f-\x9f]([^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f])?$"
        ),
        deserialize_with = "crate::api::strict::text"
    )]
    display_name: Option<String>,
    #[oai(
        validator(max_length = 35, pattern = r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$"),
        deserialize_with = "crate::api::strict::text"
    )]
    language: Option<String>,
    #[oai(
        validator(max_length = 64, pattern = r"^[A-Za-z][A-Za-z0-9_+/-]*$"),
        deserialize_with = "crate::api::strict::text"
    )]
    timezone: Option<String>,
    /// Replaces every override: limits left out follow the tier.
    overrides: Option<OverridesIn>,
    /// Why (kept with an overrides change).
    #[oai(
        validator(max_length = 500),
        deserialize_with = "crate::api::strict::text"
    )]
    reason: Option<String>,
}

#[derive(ApiResponse)]
#[oai(bad_request_handler = "UserPageResponse::bad_request_handler")]
enum UserPageResponse {
    /// Accounts, in username order.
    #[oai(status = 200)]
    Ok(Json<UserPageOut>),
    /// `bad_request`: `page` is not a whole number from 1, or `q` is too long.
    #[oai(status = 400, content_type = "application/problem+json")]
    BadRequest(Json<Problem>),
    /// `unauthenticated`.
    #[oai(status = 401, content_type = "application/problem+json")]
    Unauthenticated(Json<Problem>),
    /// `operator_only`.
    #[oai(status = 403, content_type = "application/problem+json")]
    Forbidden(Json<Problem>),
    /// `internal_error`.
    #[oai(status = 500, content_type = "application/problem+json")]
    Internal(Json<Problem>),
}

problem_variants!(UserPageResponse {
    400 => BadRequest, 401 => Unauthenticated, 403 => Forbidden, 500 => Internal,
});

#[derive(ApiResponse)]
#[oai(bad_request_handler = "UserResponse::bad_request_handler")]
enum UserResponse {
    /// The account and its standing.
    #[oai(status = 200)]
    Ok(Json<UserDetailOut>),
    /// The account was made.
    #[oai(status = 201)]
    Created(Json<UserDetailOut>),
    /// `bad_request`.
    #[oai(status = 400, content_type = "application/problem+json")]
    BadRequest(Json<Problem>),
    /// `unauthenticated`.
    #[oai(status = 401, content_type = "application/problem+json")]
    Unauthenticated(Json<Problem>),
    /// `operator_only`.
    #[oai(status = 403, content_type = "application/problem+json")]
    Forbidden(Json<Problem>),
    /// `user_not_found`.
    #[oai(status = 404, content_type = "application/problem+json")]
    NotFound(Json<Problem>),
    /// `username_taken`, `email_taken`.
    #[oai(status = 409, content_type = "application/problem+json")]
    Conflict(Json<Problem>),
    /// `payload_too_large`.
    #[oai(status = 413, content_type = "application/problem+json")]
    PayloadTooLarge(Json<Problem>),
    /// `unsupported_media_type`.
    #[oai(status = 415, content_type = "application/problem+json")]
    UnsupportedMediaType(Json<Problem>),
    /// `invalid_username`, `invalid_email`, `weak_password`, `invalid_display_name`,
    /// `invalid_language`, `invalid_timezone`, `invalid_override`.
    #[oai(status = 422, content_type = "application/problem+json")]
    Invalid(Json<Problem>),
    /// `internal_error`.
    #[oai(status = 500, content_type = "application/problem+json")]
    Internal(Json<Problem>),
}

problem_variants!(UserResponse {
    400 => BadRequest, 401 => Unauthenticated, 403 => Forbidden, 404 => NotFound,
    409 => Conflict, 413 => PayloadTooLarge, 415 => UnsupportedMediaType, 422 => Invalid,
    500 => Internal,
});

fn refusal_problem(refusal: provision::Refusal) -> Problem {
    let status = match refusal.code {
        "email_taken" | "username_taken" => StatusCode::CONFLICT,
        _ => StatusCode::UNPROCESSABLE_ENTITY,
    };
    Problem::new(
        status,
        refusal.code,
        "Not acceptable",
        capitalised(&refusal.reason),
    )
}

fn parse_overrides(input: OverridesIn) -> Result<Overrides, Problem> {
    let mut overrides = Overrides::default();
    for (name, value) in [
        ("playlists", input.playlists),
        ("storage_bytes", input.storage_bytes),
        ("open_rooms", input.open_rooms),
        ("participants_per_room", input.participants_per_room),
        (soiree_tiers::API_REQUESTS, input.api_requests_per_hour),
    ] {
        let Some(value) = value else { continue };
        let limit = Limit::parse(value.trim()).ok_or_else(|| {
            Problem::invalid(
                "invalid_override",
                format!("`{name}` takes a whole number or \"unlimited\"."),
            )
        })?;
        overrides
            .set_named(name, Some(limit))
            .map_err(|error| Problem::invalid("invalid_override", capitalised(&error)))?;
    }
    Ok(overrides)
}

/// The operator API.
pub(crate) struct UsersApi {
    pub(crate) state: AppState,
}

impl UsersApi {
    async fn detail(&self, user: UserId) -> Result<UserDetailOut, Problem> {
        let account = self
            .state
            .users
            .user(user)
            .await
            .map_err(|error| Problem::internal(&format!("{error:#}")))?
            .ok_or_else(user_not_found)?;
        let standing = self.state.standing_out(user).await?;
        Ok(UserDetailOut {
            user: account.into(),
            standing,
        })
    }
}

const PER_PAGE: u64 = 50;

#[OpenApi(prefix_path = "/api/v1/users", tag = "TierTags::Tiers")]
impl UsersApi {
    /// Accounts, fifty a page, in username order; `q` finds those whose username or email
    /// contains it (operators only).
    #[oai(path = "/", method = "get")]
    async fn list(
        &self,
        auth: SessionAuth,
        #[oai(validator(max_length = 254))] q: Query<Option<String>>,
        #[oai(validator(minimum(value = "1"), maximum(value = "1000000")))] page: Query<
            Option<u64>,
        >,
    ) -> UserPageResponse {
        if let Err(problem) = operator(&auth) {
            return UserPageResponse::from_problem(problem);
        }
        let page = page.0.unwrap_or(1).max(1);
        match self
            .state
            .users
            .list(q.0.as_deref(), (page - 1) * PER_PAGE, PER_PAGE)
            .await
        {
            Ok((users, total)) => UserPageResponse::Ok(Json(UserPageOut {
                users: users.into_iter().map(Into::into).collect(),
                page,
                per_page: PER_PAGE,
                total,
            })),
            Err(error) => UserPageResponse::from_problem(Problem::internal(&format!("{error:#}"))),
        }
    }

    /// Make an account (operators only), with the rules of `soiree provision-users`.
    #[oai(path = "/", method = "post")]
    async fn create(&self, auth: SessionAuth, body: Json<NewUserIn>) -> UserResponse {
        let caller = match operator(&auth) {
            Ok(caller) => caller.user.id,
            Err(problem) => return UserResponse::from_problem(problem),
        };
        let body = body.0;
        let row = MemberRow {
            username: body.username,
            email: body.email,
            tier: body.tier.map(|tier| tier_of(tier).as_str().to_owned()),
            display_name: body.display_name,
            language: body.language,
            timezone: body.timezone,
        };
        let member = match provision::parse(&row) {
            Ok(member) => member,
            Err(refusal) => return UserResponse::from_problem(refusal_problem(refusal)),
        };
        let password = match provision::password(body.password, &member.username) {
            Ok(password) => password,
            Err(refusal) => return UserResponse::from_problem(refusal_problem(refusal)),
        };
        let provisioned = provision::provision(
            &self.state.users,
            &self.state.tiers,
            member,
            password,
            ChangedBy::Operator(caller),
        )
        .await;
        match provisioned {
            Ok(Ok(Provisioned::Created(user))) => match self.detail(user.id).await {
                Ok(detail) => UserResponse::Created(Json(detail)),
                Err(problem) => UserResponse::from_problem(problem),
            },
            Ok(Ok(Provisioned::AlreadyPresent(_))) => UserResponse::from_problem(Problem::new(
                StatusCode::CONFLICT,
                "username_taken",
                "The username is taken",
                "An account with this username exists.",
            )),
            Ok(Err(refusal)) => UserResponse::from_problem(refusal_problem(refusal)),
            Err(error) => UserResponse::from_problem(Problem::internal(&format!("{error:#}"))),
        }
    }

    /// An account with its tier, limits, usage and tier changes (operators only).
    #[oai(path = "/:id", method = "get")]
    async fn get(&self, auth: SessionAuth, id: Path<Uuid>) -> UserResponse {
        if let Err(problem) = operator(&auth) {
            return UserResponse::from_problem(problem);
        }
        match self.detail(UserId::from_uuid(id.0)).await {
            Ok(detail) => UserResponse::Ok(Json(detail)),
            Err(problem) => UserResponse::from_problem(problem),
        }
    }

    /// Change an account's profile or limit overrides (operators only).
    #[oai(path = "/:id", method = "put")]
    async fn update(
        &self,
        auth: SessionAuth,
        id: Path<Uuid>,
        body: Json<UserUpdateIn>,
    ) -> UserResponse {
        let caller = match operator(&auth) {
            Ok(caller) => caller.user.id,
            Err(problem) => return UserResponse::from_problem(problem),
        };
        let user = UserId::from_uuid(id.0);
        let body = body.0;
        let row = MemberRow {
            display_name: body.display_name,
            language: body.language,
            timezone: body.timezone,
            ..MemberRow::default()
        };
        let profile: ProfileChanges = match provision::profile(&row) {
            Ok(profile) => profile,
            Err(refusal) => return UserResponse::from_problem(refusal_problem(refusal)),
        };
        let overrides = match body.overrides.map(parse_overrides).transpose() {
            Ok(overrides) => overrides,
            Err(problem) => return UserResponse::from_problem(problem),
        };
        match self.state.users.update_profile(user, profile).await {
            Ok(_) => {}
            Err(UpdateProfileError::NotFound) => {
                return UserResponse::from_problem(user_not_found());
            }
            Err(UpdateProfileError::Unknown(error)) => {
                return UserResponse::from_problem(Problem::internal(&error));
            }
        }
        if let Some(overrides) = overrides
            && let Err(error) = self
                .state
                .tiers
                .set_overrides(user, overrides, ChangedBy::Operator(caller), body.reason)
                .await
        {
            return UserResponse::from_problem(change_problem(error));
        }
        match self.detail(user).await {
            Ok(detail) => UserResponse::Ok(Json(detail)),
            Err(problem) => UserResponse::from_problem(problem),
        }
    }

    /// Move an account to another tier, up or down (operators only). On a downgrade nothing is
    /// deleted; every change is recorded with who made it and why.
    #[oai(path = "/:id/upgrade", method = "post")]
    async fn upgrade(
        &self,
        auth: SessionAuth,
        id: Path<Uuid>,
        body: Json<TierIn>,
    ) -> ChangeTierResponse {
        let caller = match operator(&auth) {
            Ok(caller) => caller.user.id,
            Err(problem) => return ChangeTierResponse::from_problem(problem),
        };
        let user = UserId::from_uuid(id.0);
        let body = body.0;
        if let Err(error) = self
            .state
            .tiers
            .change_tier(
                user,
                tier_of(body.tier),
                ChangedBy::Operator(caller),
                body.reason,
            )
            .await
        {
            return ChangeTierResponse::from_problem(change_problem(error));
        }
        self.state
            .log_security_of(
                user,
                soiree_users::SecurityEventKind::TierChanged,
                tier_of(body.tier).as_str(),
            )
            .await;
        self.state.users.forget_user(user);
        match self.state.standing_out(user).await {
            Ok(standing) => ChangeTierResponse::Ok(Json(standing)),
            Err(problem) => ChangeTierResponse::from_problem(problem),
        }
    }

    /// What an account uses against its limits, with its tier history (operators only).
    #[oai(path = "/:id/insights", method = "get")]
    async fn insights(&self, auth: SessionAuth, id: Path<Uuid>) -> StandingResponse {
        if let Err(problem) = operator(&auth) {
            return StandingResponse::from_problem(problem);
        }
        match self.state.standing_out(UserId::from_uuid(id.0)).await {
            Ok(standing) => StandingResponse::Ok(Json(standing)),
            Err(problem) => StandingResponse::from_problem(problem),
        }
    }
}
