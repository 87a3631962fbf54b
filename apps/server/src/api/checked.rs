//! Text with a rule, checked as it is read, for the fields on busy paths (votes, joins, search).
//!
//! poem-openapi's `pattern` validator compiles its regular expression at every check: on a vote's
//! `track_uri` that made votes three times as expensive (measured in docs/benchmarks.md). A
//! [`Checked`] field compiles its rule's expression once, documents the same pattern and length in
//! the schema, refuses anything but a JSON string, and answers a broken rule with the domain's own
//! problem code (`problem::schema_violation` reads it from the message).

use std::borrow::Cow;
use std::marker::PhantomData;
use std::sync::LazyLock;

use poem_openapi::registry::{MetaSchema, MetaSchemaRef};
use poem_openapi::types::{
    ParseError, ParseFromJSON, ParseFromParameter, ParseResult, ToJSON, Type,
};
use regex::Regex;
use serde_json::Value;

/// A rule for a kind of text.
pub(crate) trait Rule: Send + Sync + 'static {
    /// The pattern, as the document states it and the check applies it.
    const PATTERN: &'static str;
    /// The most characters.
    const MAX_LENGTH: usize;
    /// The problem code a broken rule answers (`invalid_track`, ...).
    const CODE: &'static str;
    /// What the rule is, in a sentence for people (the problem's detail).
    const DETAIL: &'static str;
    /// The pattern, compiled once.
    fn regex() -> &'static Regex;
}

/// Defines a [`Rule`] type with its compiled pattern.
macro_rules! rule {
    ($(#[$doc:meta])* $name:ident, $pattern:literal, $max:literal, $code:literal, $detail:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub(crate) struct $name;

        impl Rule for $name {
            const PATTERN: &'static str = $pattern;
            const MAX_LENGTH: usize = $max;
            const CODE: &'static str = $code;
            const DETAIL: &'static str = $detail;

            fn regex() -> &'static Regex {
                static COMPILED: LazyLock<Regex> = LazyLock::new(|| {
                    #[allow(clippy::expect_used)] // A literal, checked by the tests below.
                    Regex::new($pattern).expect("a valid pattern")
                });
                &COMPILED
            }
        }
    };
}

rule!(
    /// A track: `spotify:track:{22 letters or digits}`, a Spotify share link, or
    /// `soundcloud:tracks:{digits}`.
    TrackUri,
    r"^(spotify:track:[A-Za-z0-9]{22}|soundcloud:tracks:[0-9]{1,20}|(https?://)?open\.spotify\.com/(intl-[^/]*/)?track/[A-Za-z0-9]{22}([?#/].*)?)$",
    512,
    "invalid_track",
    "A track is a Spotify link (https://open.spotify.com/track/...), spotify:track:{22 letters or digits}, or soundcloud:tracks:{digits}."
);
rule!(
    /// A guest's nickname: 1 to 40 characters, no control characters, not blank at either end.
    Nickname,
    r"^[^\s\x00-\x1f\x7f-\x9f]([^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f])?$",
    40,
    "invalid_display_name",
    "A display name has 1 to 40 characters and no control characters."
);
rule!(
    /// Words to search for: something that is not blank, at most 200 characters.
    SearchWords,
    r"\S",
    200,
    "invalid_query",
    "Type a few words of a title or an artist (at most 200 characters)."
);

/// The words of the rule whose problem code is `code`, for the problem document.
pub(crate) fn detail_of(code: &str) -> Option<&'static str> {
    [TrackUri::DETAIL, Nickname::DETAIL, SearchWords::DETAIL]
        .into_iter()
        .zip([TrackUri::CODE, Nickname::CODE, SearchWords::CODE])
        .find_map(|(detail, rule)| (rule == code).then_some(detail))
}

/// A string that follows `R`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Checked<R>(String, PhantomData<R>);

impl<R: Rule> Checked<R> {
    /// The text.
    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }

    fn check(text: String) -> ParseResult<Self> {
        if text.chars().count() <= R::MAX_LENGTH && R::regex().is_match(&text) {
            Ok(Self(text, PhantomData))
        } else {
            Err(ParseError::custom(format!("rule `{}` broken", R::CODE)))
        }
    }
}

impl<R: Rule> std::ops::Deref for Checked<R> {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

impl<R: Rule> Type for Checked<R> {
    const IS_REQUIRED: bool = true;
    type RawValueType = Self;
    type RawElementValueType = Self;

    fn name() -> Cow<'static, str> {
        "string".into()
    }

    fn schema_ref() -> MetaSchemaRef {
        MetaSchemaRef::Inline(Box::new(MetaSchema {
            pattern: Some(R::PATTERN.to_owned()),
            max_length: Some(R::MAX_LENGTH),
            ..MetaSchema::new("string")
        }))
    }

    fn as_raw_value(&self) -> Option<&Self::RawValueType> {
        Some(self)
    }

    fn raw_element_iter<'a>(
        &'a self,
    ) -> Box<dyn Iterator<Item = &'a Self::RawElementValueType> + 'a> {
        Box::new(self.as_raw_value().into_iter())
    }
}

impl<R: Rule> ParseFromJSON for Checked<R> {
    fn parse_from_json(value: Option<Value>) -> ParseResult<Self> {
        match value.unwrap_or_default() {
            Value::String(text) => Self::check(text),
            // A number or boolean is not text, whatever it would print as.
            other => Err(ParseError::expected_type(other)),
        }
    }
}

impl<R: Rule> ParseFromParameter for Checked<R> {
    fn parse_from_parameter(value: &str) -> ParseResult<Self> {
        Self::check(value.to_owned())
    }
}

impl<R: Rule> ToJSON for Checked<R> {
    fn to_json(&self) -> Option<Value> {
        Some(Value::String(self.0.clone()))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn rules_compile_and_check_once_compiled() {
        let track = |text: &str| Checked::<TrackUri>::parse_from_json(Some(json!(text))).is_ok();
        assert!(track("spotify:track:4uLU6hMCjMI75M1A2tKUQC"));
        assert!(track(
            "https://open.spotify.com/intl-fr/track/4uLU6hMCjMI75M1A2tKUQC?si=x"
        ));
        assert!(track("soundcloud:tracks:123"));
        assert!(!track("spotify:track:short"));
        assert!(!track(""));
        let nickname = |text: &str| Checked::<Nickname>::parse_from_json(Some(json!(text))).is_ok();
        assert!(nickname("Ada 2"));
        assert!(!nickname(" Ada"), "not blank at either end");
        assert!(!nickname("A\u{7}da"));
        assert!(!nickname(&"x".repeat(41)));
        assert!(Checked::<SearchWords>::parse_from_parameter("abba").is_ok());
        assert!(Checked::<SearchWords>::parse_from_parameter("   ").is_err());
        assert!(
            Checked::<Nickname>::parse_from_json(Some(json!(12))).is_err(),
            "text only"
        );
        let broken = Checked::<TrackUri>::parse_from_json(Some(json!("nope"))).unwrap_err();
        assert!(
            broken
                .into_message()
                .contains("rule `invalid_track` broken")
        );
    }
}
