//! Streaming a stored file as HTTP says: `Accept-Ranges: bytes`, one range answered with 206,
//! an unsatisfiable one with 416, `If-Range` (a range only while the file is the one the client
//! had), `ETag` and `Last-Modified` with `If-None-Match` and `If-Modified-Since` (304). The
//! header parsing is the `headers` crate's (hyperium, already under poem); the decision is
//! [`decide`], pure.

use std::ops::Bound;
use std::path::Path;
use std::time::SystemTime;

use headers::{
    ETag, HeaderMapExt as _, IfModifiedSince, IfNoneMatch, IfRange, LastModified, Range,
};
use poem::http::{HeaderMap, StatusCode, header};
use poem::{Body, Response};
use tokio::io::{AsyncReadExt as _, AsyncSeekExt as _};

/// What to send for a request, given the file's length and validators.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Decision {
    /// The whole file (200).
    Whole,
    /// Bytes `start..end` (206).
    Part { start: u64, end: u64 },
    /// The client's copy is current (304).
    NotModified,
    /// The range lies outside the file (416).
    Unsatisfiable,
}

/// The strong validator of a file: its length and modification time.
pub(crate) fn etag_of(len: u64, modified: SystemTime) -> ETag {
    let since = modified
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default();
    format!(
        "\"{len:x}-{:x}-{:x}\"",
        since.as_secs(),
        since.subsec_nanos()
    )
    .parse()
    .unwrap_or_else(|_| unreachable!("hex digits in quotes are an entity tag"))
}

/// What to answer `headers` for a file of `len` bytes with these validators.
pub(crate) fn decide(headers: &HeaderMap, len: u64, etag: &ETag, modified: SystemTime) -> Decision {
    let last_modified = LastModified::from(modified);
    if let Some(if_none_match) = headers.typed_get::<IfNoneMatch>() {
        if !if_none_match.precondition_passes(etag) {
            return Decision::NotModified;
        }
    } else if let Some(since) = headers.typed_get::<IfModifiedSince>()
        && !since.is_modified(modified)
    {
        return Decision::NotModified;
    }
    let Some(range) = headers.typed_get::<Range>() else {
        return Decision::Whole;
    };
    // A range for another version of the file: the whole new one instead.
    if let Some(if_range) = headers.typed_get::<IfRange>()
        && if_range.is_modified(Some(etag), Some(&last_modified))
    {
        return Decision::Whole;
    }
    let mut ranges = range.satisfiable_ranges(len);
    let Some((start, end)) = ranges.next() else {
        return Decision::Unsatisfiable;
    };
    if ranges.next().is_some() {
        // Several ranges: the whole file is a correct answer, and simpler for every player.
        return Decision::Whole;
    }
    let start = match start {
        Bound::Included(n) => n,
        Bound::Excluded(n) => n + 1,
        Bound::Unbounded => 0,
    };
    let end = match end {
        Bound::Included(n) => n.saturating_add(1).min(len),
        Bound::Excluded(n) => n.min(len),
        Bound::Unbounded => len,
    };
    if start >= end {
        return Decision::Unsatisfiable;
    }
    Decision::Part { start, end }
}

/// The response for `path` (of media type `content_type`) to a request with `headers`.
pub(crate) async fn respond(
    path: &Path,
    content_type: &str,
    headers: &HeaderMap,
) -> std::io::Result<Response> {
    let mut file = tokio::fs::File::open(path).await?;
    let metadata = file.metadata().await?;
    let len = metadata.len();
    let modified = metadata.modified()?;
    let etag = etag_of(len, modified);
    let mut response = Response::builder()
        .header(header::ACCEPT_RANGES, "bytes")
        .typed_header(etag.clone())
        .typed_header(LastModified::from(modified));
    let response = match decide(headers, len, &etag, modified) {
        Decision::NotModified => response.status(StatusCode::NOT_MODIFIED).finish(),
        Decision::Unsatisfiable => {
            let problem = crate::problem::Problem::new(
                StatusCode::RANGE_NOT_SATISFIABLE,
                "range_not_satisfiable",
                "Range not satisfiable",
                format!("The file has {len} bytes; ask for a range that starts inside it."),
            );
            response
                .status(StatusCode::RANGE_NOT_SATISFIABLE)
                .header(header::CONTENT_RANGE, format!("bytes */{len}"))
                .content_type("application/problem+json")
                .body(poem_openapi::types::ToJSON::to_json_string(&problem))
        }
        Decision::Whole => {
            response = response.content_type(content_type);
            response
                .header(header::CONTENT_LENGTH, len)
                .body(Body::from_async_read(file))
        }
        Decision::Part { start, end } => {
            file.seek(std::io::SeekFrom::Start(start)).await?;
            response
                .status(StatusCode::PARTIAL_CONTENT)
                .content_type(content_type)
                .header(
                    header::CONTENT_RANGE,
                    format!("bytes {start}-{}/{len}", end - 1),
                )
                .header(header::CONTENT_LENGTH, end - start)
                .body(Body::from_async_read(file.take(end - start)))
        }
    };
    Ok(response)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use poem::http::HeaderValue;

    use super::*;

    fn with(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for (name, value) in pairs {
            headers.insert(*name, HeaderValue::from_str(value).unwrap());
        }
        headers
    }

    #[test]
    fn ranges_conditions_and_validators() {
        let modified = SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        let etag = etag_of(1_000, modified);
        let mut written = HeaderMap::new();
        written.typed_insert(etag.clone());
        let tag = written[header::ETAG].to_str().unwrap().to_owned();
        let date = httpdate::fmt_http_date(modified);
        let older = httpdate::fmt_http_date(modified - Duration::from_secs(60));
        let cases: [(&[(&str, &str)], Decision); 12] = [
            (&[], Decision::Whole),
            (
                &[("range", "bytes=0-99")],
                Decision::Part { start: 0, end: 100 },
            ),
            (
                &[("range", "bytes=900-")],
                Decision::Part {
                    start: 900,
                    end: 1_000,
                },
            ),
            (
                &[("range", "bytes=-100")],
                Decision::Part {
                    start: 900,
                    end: 1_000,
                },
            ),
            (
                &[("range", "bytes=500-5000")],
                Decision::Part {
                    start: 500,
                    end: 1_000,
                },
            ),
            (&[("range", "bytes=1000-")], Decision::Unsatisfiable),
            (&[("range", "bytes=0-1,5-6")], Decision::Whole),
            (
                &[("range", "bytes=0-99"), ("if-range", &tag)],
                Decision::Part { start: 0, end: 100 },
            ),
            (
                &[("range", "bytes=0-99"), ("if-range", "\"other\"")],
                Decision::Whole,
            ),
            (
                &[("range", "bytes=0-99"), ("if-range", &older)],
                Decision::Whole,
            ),
            (&[("if-none-match", &tag)], Decision::NotModified),
            (&[("if-modified-since", &date)], Decision::NotModified),
        ];
        for (headers, expected) in cases {
            assert_eq!(
                decide(&with(headers), 1_000, &etag, modified),
                expected,
                "{headers:?}"
            );
        }
        assert_ne!(
            etag_of(1_001, modified),
            etag,
            "a new length is a new version"
        );
    }
}
