//! The session cookie that the web pages use instead of a bearer header (SE-3).

use chrono::Duration;
use poem::Request;
use poem::http::header;

/// The cookie's name.
pub(crate) const SESSION_COOKIE_NAME: &str = "soiree_session";

/// How the session cookie is written.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SessionCookie {
    /// `Secure` is set when the public URL is HTTPS; browsers would drop a `Secure` cookie over
    /// plain HTTP, which is how the embedded default runs on a laptop.
    pub(crate) secure: bool,
    /// The cookie lives as long as the session's absolute timeout.
    pub(crate) max_age: Duration,
}

impl SessionCookie {
    /// `Set-Cookie` for a new session.
    pub(crate) fn set(&self, token: &str) -> String {
        self.with_value(token, self.max_age.num_seconds())
    }

    /// `Set-Cookie` that removes the cookie.
    pub(crate) fn clear(&self) -> String {
        self.with_value("", 0)
    }

    fn with_value(&self, value: &str, max_age_seconds: i64) -> String {
        let secure = if self.secure { "; Secure" } else { "" };
        format!(
            "{SESSION_COOKIE_NAME}={value}; Path=/; Max-Age={max_age_seconds}; HttpOnly; SameSite=Lax{secure}"
        )
    }
}

/// The value of the request's cookie `name`, read from the `Cookie` headers. (Outside the OpenAPI
/// routes no cookie jar is set up, so middleware and pages read the header themselves.)
pub(crate) fn read_cookie<'r>(request: &'r Request, name: &str) -> Option<&'r str> {
    request
        .headers()
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|cookies| cookies.split(';'))
        .filter_map(|cookie| cookie.split_once('='))
        .find(|(key, _)| key.trim() == name)
        .map(|(_, value)| value.trim())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn se_3_cookie_attributes() {
        let plain = SessionCookie {
            secure: false,
            max_age: Duration::hours(24),
        };
        assert_eq!(
            plain.set("abc"),
            "soiree_session=abc; Path=/; Max-Age=86400; HttpOnly; SameSite=Lax"
        );
        let https = SessionCookie {
            secure: true,
            ..plain
        };
        assert!(
            https
                .set("abc")
                .ends_with("; HttpOnly; SameSite=Lax; Secure")
        );
        assert!(
            https
                .clear()
                .starts_with("soiree_session=; Path=/; Max-Age=0;")
        );
    }
}
