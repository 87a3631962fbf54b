//! The account's value types. Each is parsed once at the edge (`parse` returns the type or says
//! why not) and is valid from then on: fields are private and there are no setters.

use std::fmt;
use std::str::FromStr;

use soiree_kernel::{Tier, Timestamp, UserId};

use crate::password::Password;

/// A login name: 3 to 32 characters from `a-z A-Z 0-9 . _ -`, starting with a letter or digit.
///
/// The spelling is kept as typed; uniqueness and lookup use [`Username::key`], its lowercase
/// form, so `Ada` and `ada` are the same account. It never contains `@`, which is how a login
/// identifier is told apart from an email address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Username(String);

/// Why a username was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidUsername {
    /// Shorter than 3 or longer than 32 characters.
    #[error("a username has 3 to 32 characters")]
    Length,
    /// A character outside `a-z A-Z 0-9 . _ -`, or a first character that is not a letter or digit.
    #[error(
        "a username uses only letters a-z, digits, '.', '_' and '-', and starts with a letter or digit"
    )]
    Characters,
}

impl Username {
    /// Parses a username as typed (surrounding spaces are ignored).
    pub fn parse(text: &str) -> Result<Self, InvalidUsername> {
        let text = text.trim();
        if !(3..=32).contains(&text.chars().count()) {
            return Err(InvalidUsername::Length);
        }
        let allowed =
            |character: char| character.is_ascii_alphanumeric() || "._-".contains(character);
        let starts_well = text
            .chars()
            .next()
            .is_some_and(|first| first.is_ascii_alphanumeric());
        if !starts_well || !text.chars().all(allowed) {
            return Err(InvalidUsername::Characters);
        }
        Ok(Self(text.to_owned()))
    }

    /// The spelling the user chose.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The case-insensitive key used for uniqueness and lookup.
    pub fn key(&self) -> String {
        self.0.to_ascii_lowercase()
    }
}

impl fmt::Display for Username {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(&self.0)
    }
}

/// An email address, checked for shape only (one `@`, a dotted domain, no spaces, at most 254
/// characters). Nobody can prove an address exists without sending mail, so this refuses only
/// what cannot be an address. Uniqueness and lookup use [`EmailAddress::key`], its lowercase form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailAddress(String);

/// Why an email address was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("an email address looks like name@example.org and has at most 254 characters")]
pub struct InvalidEmail;

impl EmailAddress {
    /// Parses an address as typed (surrounding spaces are ignored).
    pub fn parse(text: &str) -> Result<Self, InvalidEmail> {
        let text = text.trim();
        if text.len() > 254
            || text
                .chars()
                .any(|character| character.is_whitespace() || character.is_control())
        {
            return Err(InvalidEmail);
        }
        let (local, domain) = text.split_once('@').ok_or(InvalidEmail)?;
        let domain_ok = !domain.contains('@')
            && domain.contains('.')
            && domain.split('.').all(|label| !label.is_empty());
        if local.is_empty() || local.len() > 64 || !domain_ok {
            return Err(InvalidEmail);
        }
        Ok(Self(text.to_owned()))
    }

    /// The address as the user typed it.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The case-insensitive key used for uniqueness and lookup.
    pub fn key(&self) -> String {
        self.0.to_lowercase()
    }
}

impl fmt::Display for EmailAddress {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(&self.0)
    }
}

/// The name shown to other people (in rooms, for instance): 1 to 64 characters, no control
/// characters, surrounding spaces removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisplayName(String);

/// Why a display name was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a display name has 1 to 64 characters and no control characters")]
pub struct InvalidDisplayName;

impl DisplayName {
    /// Parses a display name as typed.
    pub fn parse(text: &str) -> Result<Self, InvalidDisplayName> {
        let text = text.trim();
        let length = text.chars().count();
        if !(1..=64).contains(&length) || text.chars().any(char::is_control) {
            return Err(InvalidDisplayName);
        }
        Ok(Self(text.to_owned()))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A preferred language as a BCP 47 tag such as `en`, `fr-CA` or `zh-Hant-TW`.
///
/// Only the shape is checked (a 2 or 3 letter language, then subtags of 2 to 8 letters or digits),
/// so that unknown but well-formed tags still work; the primary subtag is stored lowercase.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Language(String);

/// Why a language tag was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a language is a BCP 47 tag such as \"en\", \"fr-CA\" or \"zh-Hant-TW\"")]
pub struct InvalidLanguage;

impl Language {
    /// Parses a language tag.
    pub fn parse(text: &str) -> Result<Self, InvalidLanguage> {
        let text = text.trim();
        let mut subtags = text.split('-');
        let primary = subtags.next().unwrap_or_default();
        let primary_ok =
            (2..=3).contains(&primary.len()) && primary.chars().all(|c| c.is_ascii_alphabetic());
        let rest_ok = subtags.all(|subtag| {
            (2..=8).contains(&subtag.len()) && subtag.chars().all(|c| c.is_ascii_alphanumeric())
        });
        if !primary_ok || !rest_ok || text.len() > 35 {
            return Err(InvalidLanguage);
        }
        let (primary, rest) = text.split_at(primary.len());
        Ok(Self(format!("{}{}", primary.to_ascii_lowercase(), rest)))
    }

    /// The tag.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A time zone from the IANA database, such as `Europe/Paris` or `UTC`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimeZone(chrono_tz::Tz);

/// Why a time zone was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a time zone is an IANA name such as \"Europe/Paris\", \"America/New_York\" or \"UTC\"")]
pub struct InvalidTimeZone;

impl TimeZone {
    /// Parses an IANA time zone name (exact spelling, as the database has it).
    pub fn parse(text: &str) -> Result<Self, InvalidTimeZone> {
        chrono_tz::Tz::from_str(text.trim())
            .map(Self)
            .map_err(|_| InvalidTimeZone)
    }

    /// The IANA name.
    pub fn as_str(&self) -> &'static str {
        self.0.name()
    }
}

/// What a user says about themselves. Every field is optional.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Profile {
    /// The name others see; when absent, the username is shown.
    pub display_name: Option<DisplayName>,
    /// Preferred language.
    pub language: Option<Language>,
    /// Time zone, for schedules and insights.
    pub timezone: Option<TimeZone>,
}

/// A change to a [`Profile`]: for each field, `None` leaves it alone, `Some(None)` clears it and
/// `Some(Some(value))` sets it. Nothing else about an account can be changed this way.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ProfileChanges {
    /// New display name.
    pub display_name: Option<Option<DisplayName>>,
    /// New language.
    pub language: Option<Option<Language>>,
    /// New time zone.
    pub timezone: Option<Option<TimeZone>>,
}

impl ProfileChanges {
    /// The profile after these changes.
    pub fn apply_to(self, mut profile: Profile) -> Profile {
        if let Some(display_name) = self.display_name {
            profile.display_name = display_name;
        }
        if let Some(language) = self.language {
            profile.language = language;
        }
        if let Some(timezone) = self.timezone {
            profile.timezone = timezone;
        }
        profile
    }
}

/// An account as the rest of the system sees it. It never carries the password hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// Stable id.
    pub id: UserId,
    /// Login name.
    pub username: Username,
    /// Optional email address, also usable to log in.
    pub email: Option<EmailAddress>,
    /// Display name, language, time zone.
    pub profile: Profile,
    /// Service tier; new accounts are [`Tier::Free`].
    pub tier: Tier,
    /// Whether the account runs this server (the operator API). Set only from the command line,
    /// never through the public API; new accounts are not operators.
    pub operator: bool,
    /// When the account was registered.
    pub created_at: Timestamp,
}

impl User {
    /// The name to show other people: the display name, or the username when there is none.
    pub fn shown_name(&self) -> &str {
        self.profile
            .display_name
            .as_ref()
            .map_or(self.username.as_str(), DisplayName::as_str)
    }
}

/// What registering an account needs, already parsed.
#[derive(Debug)]
pub struct NewAccount {
    /// The login name.
    pub username: Username,
    /// An optional email address.
    pub email: Option<EmailAddress>,
    /// A password that met the policy.
    pub password: Password,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check<T: fmt::Debug, E: fmt::Debug>(
        parse: fn(&str) -> Result<T, E>,
        cases: &[(&str, bool)],
    ) {
        for (input, accepted) in cases {
            assert_eq!(
                parse(input).is_ok(),
                *accepted,
                "input {input:?} gave {:?}",
                parse(input)
            );
        }
    }

    #[test]
    fn usernames() {
        check(
            Username::parse,
            &[
                ("ada", true),
                ("  Ada.Lovelace_1815-x ", true),
                ("ab", false),
                (&"a".repeat(33), false),
                (&"a".repeat(32), true),
                ("ada@example.org", false),
                ("_ada", false),
                ("ada lovelace", false),
                ("adä", false),
            ],
        );
        let username = Username::parse("Ada").unwrap();
        assert_eq!((username.as_str(), username.key().as_str()), ("Ada", "ada"));
    }

    #[test]
    fn email_addresses() {
        check(
            EmailAddress::parse,
            &[
                ("ada@example.org", true),
                ("Ada.Lovelace+soiree@Example.ORG", true),
                ("ada", false),
                ("ada@", false),
                ("@example.org", false),
                ("ada@example", false),
                ("ada@@example.org", false),
                ("ada @example.org", false),
                ("ada@example..org", false),
            ],
        );
        assert_eq!(
            EmailAddress::parse("Ada@Example.ORG").unwrap().key(),
            "ada@example.org"
        );
    }

    #[test]
    fn display_names_languages_and_time_zones() {
        check(
            DisplayName::parse,
            &[
                ("DJ Ada", true),
                ("   ", false),
                ("tab\tname", false),
                (&"é".repeat(64), true),
                (&"é".repeat(65), false),
            ],
        );
        check(
            Language::parse,
            &[
                ("en", true),
                ("fr-CA", true),
                ("zh-Hant-TW", true),
                ("EN-gb", true),
                ("e", false),
                ("english", false),
                ("en_GB", false),
                ("", false),
            ],
        );
        check(
            TimeZone::parse,
            &[
                ("Europe/Paris", true),
                ("UTC", true),
                ("America/New_York", true),
                ("Mars/Olympus", false),
                ("", false),
            ],
        );
        assert_eq!(Language::parse("EN-GB").unwrap().as_str(), "en-GB");
    }

    #[test]
    fn profile_changes_touch_only_the_fields_they_name() {
        let profile = Profile {
            display_name: Some(DisplayName::parse("Ada").unwrap()),
            language: Some(Language::parse("en").unwrap()),
            timezone: None,
        };
        let changes = ProfileChanges {
            display_name: None,
            language: Some(None),
            timezone: Some(Some(TimeZone::parse("Europe/London").unwrap())),
        };
        let changed = changes.apply_to(profile);
        assert_eq!(
            changed.display_name.as_ref().map(DisplayName::as_str),
            Some("Ada")
        );
        assert_eq!(changed.language, None);
        assert_eq!(
            changed.timezone.as_ref().map(TimeZone::as_str),
            Some("Europe/London")
        );
    }
}
