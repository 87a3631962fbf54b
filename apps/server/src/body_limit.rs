//! A limit on request bodies. poem's `SizeLimit` refuses every request without a
//! `Content-Length` (even a GET), so this one checks the header when there is one and otherwise
//! reads a chunked body up to the limit, refusing it with 413 past that. Uploads are not held to
//! it: they stream to disk under their own cap.

use poem::http::header::CONTENT_LENGTH;
use poem::{Body, Endpoint, Middleware, Request, Result};

use crate::problem::{ProblemError, payload_too_large};

/// The largest JSON body the API accepts (the 413 problem's message says 1 MiB).
pub(crate) const MAX_BODY_BYTES: usize = 1024 * 1024;

#[derive(Debug, Clone, Copy)]
pub(crate) struct BodyLimit {
    pub(crate) max_bytes: usize,
}

impl<E: Endpoint> Middleware<E> for BodyLimit {
    type Output = BodyLimitEndpoint<E>;

    fn transform(&self, inner: E) -> Self::Output {
        BodyLimitEndpoint {
            inner,
            max_bytes: self.max_bytes,
        }
    }
}

#[derive(Debug)]
pub(crate) struct BodyLimitEndpoint<E> {
    inner: E,
    max_bytes: usize,
}

fn too_large() -> poem::Error {
    poem::Error::from(ProblemError(payload_too_large()))
}

impl<E: Endpoint> Endpoint for BodyLimitEndpoint<E> {
    type Output = E::Output;

    async fn call(&self, mut request: Request) -> Result<Self::Output> {
        // Uploads stream to disk; each file has its own cap, checked while it is written.
        if request.method() == poem::http::Method::POST
            && request.uri().path() == crate::api::UPLOADS_PATH
        {
            return self.inner.call(request).await;
        }
        let declared = request
            .headers()
            .get(CONTENT_LENGTH)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.parse::<usize>().ok());
        match declared {
            Some(length) if length > self.max_bytes => return Err(too_large()),
            Some(_) => {}
            None => {
                let body = request.take_body();
                if !body.is_empty() {
                    let bytes = body
                        .into_bytes_limit(self.max_bytes)
                        .await
                        .map_err(|_| too_large())?;
                    request.set_body(Body::from_bytes(bytes));
                }
            }
        }
        self.inner.call(request).await
    }
}
