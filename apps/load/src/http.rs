//! A keep-alive HTTP/1.1 connection to the server, one request at a time: what each simulated
//! phone does, at the least cost to the machine the server shares.

use std::net::SocketAddr;

use anyhow::Context as _;
use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper::client::conn::http1::SendRequest;
use hyper::{Method, Request, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::Value;

/// One connection.
pub(crate) struct Connection {
    address: SocketAddr,
    host: String,
    sender: SendRequest<Full<Bytes>>,
}

/// A response: status and JSON body (`Value::Null` when empty or not JSON).
pub(crate) struct Answer {
    pub(crate) status: StatusCode,
    pub(crate) body: Value,
}

impl Connection {
    pub(crate) async fn open(address: SocketAddr) -> anyhow::Result<Self> {
        let stream = tokio::net::TcpStream::connect(address)
            .await
            .with_context(|| format!("connecting to {address}"))?;
        stream.set_nodelay(true)?;
        let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .context("starting HTTP/1.1")?;
        tokio::spawn(async move {
            let _ = connection.await;
        });
        Ok(Self {
            address,
            host: address.to_string(),
            sender,
        })
    }

    /// Sends one API request with a bearer token; reconnects once if the server closed the
    /// connection.
    pub(crate) async fn send(
        &mut self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
    ) -> anyhow::Result<Answer> {
        let authorization =
            token.map(|token| (hyper::header::AUTHORIZATION, format!("Bearer {token}")));
        let (status, bytes) = self.exchange(method, path, authorization, body).await?;
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Ok(Answer { status, body })
    }

    /// Gets a page as a browser would (accepting HTML, with the session cookie `token`); answers
    /// the status and the body's length.
    pub(crate) async fn page(
        &mut self,
        path: &str,
        token: Option<&str>,
    ) -> anyhow::Result<(StatusCode, usize)> {
        let cookie = token.map(|token| (hyper::header::COOKIE, format!("soiree_session={token}")));
        let (status, bytes) = self.exchange(Method::GET, path, cookie, None).await?;
        Ok((status, bytes.len()))
    }

    async fn exchange(
        &mut self,
        method: Method,
        path: &str,
        credential: Option<(hyper::header::HeaderName, String)>,
        body: Option<&Value>,
    ) -> anyhow::Result<(StatusCode, Bytes)> {
        if self.sender.is_closed() {
            *self = Self::open(self.address).await?;
        }
        self.sender
            .ready()
            .await
            .context("waiting for the connection")?;
        let mut request = Request::builder()
            .method(method)
            .uri(path)
            .header(hyper::header::HOST, &self.host)
            .header(hyper::header::ACCEPT, "text/html,application/json");
        if let Some((name, value)) = credential {
            request = request.header(name, value);
        }
        let payload = match body {
            Some(body) => {
                request = request.header(hyper::header::CONTENT_TYPE, "application/json");
                Bytes::from(body.to_string())
            }
            None => Bytes::new(),
        };
        let response = self
            .sender
            .send_request(request.body(Full::new(payload))?)
            .await
            .context("sending a request")?;
        let status = response.status();
        let bytes = response
            .into_body()
            .collect()
            .await
            .context("reading a response")?
            .to_bytes();
        Ok((status, bytes))
    }
}
