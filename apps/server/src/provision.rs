//! Making accounts for people, as an operator does: one row (username, email, tier, display
//! name, language, time zone) read the same way from a provisioning file and from the operator
//! API, then the account registered, its profile set and its tier recorded. Idempotent: a
//! username that exists is reported as already present and left alone.

use secrecy::SecretString;
use soiree_kernel::Tier;
use soiree_tiers::{ChangedBy, TiersService};
use soiree_users::{
    DisplayName, EmailAddress, Language, NewAccount, Password, ProfileChanges, RegisterError,
    TimeZone, User, Username, UsersService,
};

/// One person to provision, as written (a CSV or JSON row, an API body).
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct MemberRow {
    pub(crate) username: String,
    #[serde(default)]
    pub(crate) email: Option<String>,
    #[serde(default)]
    pub(crate) tier: Option<String>,
    #[serde(default)]
    pub(crate) display_name: Option<String>,
    #[serde(default)]
    pub(crate) language: Option<String>,
    #[serde(default)]
    pub(crate) timezone: Option<String>,
}

/// A row, read.
#[derive(Debug)]
pub(crate) struct Member {
    pub(crate) username: Username,
    pub(crate) email: Option<EmailAddress>,
    pub(crate) tier: Tier,
    pub(crate) profile: ProfileChanges,
}

/// Why a row was refused: a stable code and words that say what to fix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Refusal {
    pub(crate) code: &'static str,
    pub(crate) reason: String,
}

impl Refusal {
    fn new(code: &'static str, reason: &dyn std::fmt::Display) -> Self {
        Self {
            code,
            reason: reason.to_string(),
        }
    }
}

/// What provisioning did.
#[derive(Debug)]
pub(crate) enum Provisioned {
    /// A new account.
    Created(User),
    /// The username exists; nothing was changed.
    AlreadyPresent(User),
}

/// A text field: trimmed, and empty taken as absent.
fn given(text: Option<&str>) -> Option<&str> {
    text.map(str::trim).filter(|text| !text.is_empty())
}

/// Reads a row; every field is checked before anything is stored.
pub(crate) fn parse(row: &MemberRow) -> Result<Member, Refusal> {
    let username = Username::parse(row.username.trim())
        .map_err(|error| Refusal::new("invalid_username", &error))?;
    let email = given(row.email.as_deref())
        .map(EmailAddress::parse)
        .transpose()
        .map_err(|error| Refusal::new("invalid_email", &error))?;
    let tier = given(row.tier.as_deref())
        .map(str::parse::<Tier>)
        .transpose()
        .map_err(|error| Refusal::new("invalid_tier", &error))?
        .unwrap_or(Tier::Free);
    Ok(Member {
        username,
        email,
        tier,
        profile: profile(row)?,
    })
}

/// Reads a row's profile fields (display name, language, time zone); those left out or empty
/// change nothing.
pub(crate) fn profile(row: &MemberRow) -> Result<ProfileChanges, Refusal> {
    let display_name = given(row.display_name.as_deref())
        .map(DisplayName::parse)
        .transpose()
        .map_err(|error| Refusal::new("invalid_display_name", &error))?;
    let language = given(row.language.as_deref())
        .map(Language::parse)
        .transpose()
        .map_err(|error| Refusal::new("invalid_language", &error))?;
    let timezone = given(row.timezone.as_deref())
        .map(TimeZone::parse)
        .transpose()
        .map_err(|error| Refusal::new("invalid_timezone", &error))?;
    Ok(ProfileChanges {
        display_name: display_name.map(Some),
        language: language.map(Some),
        timezone: timezone.map(Some),
    })
}

/// Checks a password for `username` with the registration rules.
pub(crate) fn password(text: String, username: &Username) -> Result<Password, Refusal> {
    Password::parse(SecretString::from(text), username)
        .map_err(|error| Refusal::new("weak_password", &error))
}

/// Registers the member with `password`, sets their profile and tier (recorded as `by`'s
/// change); a username that exists is left as it is.
pub(crate) async fn provision(
    users: &UsersService,
    tiers: &TiersService,
    member: Member,
    password: Password,
    by: ChangedBy,
) -> anyhow::Result<Result<Provisioned, Refusal>> {
    // Looked up first, so that a file applied twice reports its accounts as present (and no
    // password is hashed for nothing); a race with another run ends in UsernameTaken below.
    if let Some(existing) = users.user_by_login(member.username.as_str()).await? {
        return Ok(Ok(Provisioned::AlreadyPresent(existing)));
    }
    let account = NewAccount {
        username: member.username.clone(),
        email: member.email,
        password,
    };
    let user = match users.register(account).await {
        Ok(user) => user,
        Err(RegisterError::UsernameTaken) => {
            let existing = users
                .user_by_login(member.username.as_str())
                .await?
                .ok_or_else(|| anyhow::anyhow!("a taken username has no account"))?;
            return Ok(Ok(Provisioned::AlreadyPresent(existing)));
        }
        Err(error @ RegisterError::EmailTaken) => {
            return Ok(Err(Refusal::new("email_taken", &error)));
        }
        Err(RegisterError::Unknown(error)) => return Err(error),
    };
    let user = users
        .update_profile(user.id, member.profile)
        .await
        .map_err(|error| anyhow::anyhow!("setting a new account's profile: {error}"))?;
    if member.tier != user.tier {
        tiers
            .change_tier(user.id, member.tier, by, Some("provisioned".to_owned()))
            .await
            .map_err(|error| anyhow::anyhow!("setting a new account's tier: {error}"))?;
        users.forget_user(user.id);
    }
    let user = User {
        tier: member.tier,
        ..user
    };
    Ok(Ok(Provisioned::Created(user)))
}
