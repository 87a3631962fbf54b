//! WebSockets to a room: opening many, listening to them, and what they cost the server.

use std::net::SocketAddr;

use anyhow::Context as _;
use futures_util::StreamExt as _;
use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// A client socket.
pub(crate) type Socket = WebSocketStream<MaybeTlsStream<tokio::net::TcpStream>>;

/// Opens the room's event socket as the holder of `token`, from event `after` on.
pub(crate) async fn open(
    address: SocketAddr,
    code: &str,
    token: &str,
    after: u64,
) -> anyhow::Result<Socket> {
    let mut request = format!("ws://{address}/api/v1/rooms/{code}/events?after={after}")
        .into_client_request()
        .context("building a WebSocket request")?;
    request.headers_mut().insert(
        "authorization",
        format!("Bearer {token}")
            .parse()
            .context("a token header")?,
    );
    // The generator holds thousands of these: small buffers keep it light.
    let config = WebSocketConfig::default()
        .read_buffer_size(4 * 1024)
        .write_buffer_size(0);
    let (socket, _) = tokio_tungstenite::connect_async_with_config(request, Some(config), true)
        .await
        .context("opening a room's event socket")?;
    Ok(socket)
}

/// Opens one socket per token, `parallel` at a time.
pub(crate) async fn open_all(
    address: SocketAddr,
    code: &str,
    tokens: &[String],
    after: u64,
    parallel: usize,
) -> anyhow::Result<Vec<Socket>> {
    let opened = futures_util::stream::iter(tokens.iter().cloned())
        .map(|token| {
            let code = code.to_owned();
            async move { open(address, &code, &token, after).await }
        })
        .buffered(parallel.max(1))
        .collect::<Vec<_>>()
        .await;
    opened.into_iter().collect()
}
