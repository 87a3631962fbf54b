//! Connections that cannot be hoarded.
//!
//! A client that opens connections and never finishes a request would otherwise hold them for
//! as long as it likes (seen: 500 half-open connections all held, one held 150 s). Each accepted
//! connection is therefore:
//! - counted against its client address (IPv6 by /64): past the cap, it is closed at once, before
//!   a byte is read; a trusted proxy's address is not capped, since every client comes through it;
//! - given a deadline for its first request's head (the request line and headers): a connection
//!   that has not sent them in time is closed.
//!
//! An idle keep-alive connection is closed by the server's idle timeout (`main.rs`); room sockets
//! stay alive through it because the server pings them.

use std::collections::HashMap;
use std::io;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;

use poem::http::uri::Scheme;
use poem::listener::Acceptor;
use poem::web::{LocalAddr, RemoteAddr};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// What the acceptor enforces.
#[derive(Debug, Clone)]
pub(crate) struct ConnectionLimits {
    /// Connections open at once from one client address (`None`: no cap).
    pub(crate) per_address: Option<usize>,
    /// Time a new connection has to send its first request's head.
    pub(crate) head_deadline: Duration,
    /// Addresses never capped (the reverse proxy's).
    pub(crate) trusted: Arc<[ipnet::IpNet]>,
}

/// Connections open per client network.
#[derive(Debug, Default)]
struct OpenCounts(Mutex<HashMap<String, usize>>);

impl OpenCounts {
    fn take(self: &Arc<Self>, key: String, cap: usize) -> Option<Permit> {
        let mut counts = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        let open = counts.entry(key.clone()).or_default();
        if *open >= cap {
            return None;
        }
        *open += 1;
        Some(Permit {
            counts: Arc::clone(self),
            key,
        })
    }
}

/// One open connection of a client network; it counts until dropped.
#[derive(Debug)]
struct Permit {
    counts: Arc<OpenCounts>,
    key: String,
}

impl Drop for Permit {
    fn drop(&mut self) {
        let mut counts = self.counts.0.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(open) = counts.get_mut(&self.key) {
            *open -= 1;
            if *open == 0 {
                counts.remove(&self.key);
            }
        }
    }
}

/// An acceptor that enforces [`ConnectionLimits`] on the connections `inner` accepts.
pub(crate) struct GuardedAcceptor<A> {
    inner: A,
    limits: ConnectionLimits,
    open: Arc<OpenCounts>,
}

impl<A> GuardedAcceptor<A> {
    pub(crate) fn new(inner: A, limits: ConnectionLimits) -> Self {
        Self {
            inner,
            limits,
            open: Arc::default(),
        }
    }
}

impl<A: Acceptor> Acceptor for GuardedAcceptor<A> {
    type Io = Guarded<A::Io>;

    fn local_addr(&self) -> Vec<LocalAddr> {
        self.inner.local_addr()
    }

    async fn accept(&mut self) -> io::Result<(Self::Io, LocalAddr, RemoteAddr, Scheme)> {
        loop {
            let (io, local, remote, scheme) = self.inner.accept().await?;
            let ip: Option<IpAddr> = remote.as_socket_addr().map(std::net::SocketAddr::ip);
            let capped = self.limits.per_address.filter(|_| {
                ip.is_some_and(|ip| !self.limits.trusted.iter().any(|net| net.contains(&ip)))
            });
            let permit = match (capped, ip) {
                (Some(cap), Some(ip)) => {
                    let Some(permit) = self.open.take(soiree_tiers::client_network(&ip), cap)
                    else {
                        // Closed before a byte is read; the log says so once per refusal.
                        tracing::warn!(client = %soiree_tiers::client_network(&ip), cap, "connection refused: too many open from this address");
                        drop(io);
                        continue;
                    };
                    Some(permit)
                }
                _ => None,
            };
            let guarded = Guarded {
                inner: io,
                _permit: permit,
                head: Some(HeadDeadline {
                    sleep: Box::pin(tokio::time::sleep(self.limits.head_deadline)),
                    matched: 0,
                }),
            };
            return Ok((guarded, local, remote, scheme));
        }
    }
}

/// Until the first request's head is complete: when time is up, and how much of the `\r\n\r\n`
/// that ends it has been seen.
struct HeadDeadline {
    sleep: Pin<Box<tokio::time::Sleep>>,
    matched: usize,
}

impl HeadDeadline {
    /// Looks for the end of the head in `bytes`; true once found.
    fn seen(&mut self, bytes: &[u8]) -> bool {
        const END: &[u8] = b"\r\n\r\n";
        for byte in bytes {
            self.matched = if *byte == END[self.matched] {
                self.matched + 1
            } else if *byte == END[0] {
                1
            } else {
                0
            };
            if self.matched == END.len() {
                return true;
            }
        }
        false
    }
}

/// A connection under [`ConnectionLimits`].
pub(crate) struct Guarded<IO> {
    inner: IO,
    _permit: Option<Permit>,
    head: Option<HeadDeadline>,
}

impl<IO: AsyncRead + Unpin> AsyncRead for Guarded<IO> {
    fn poll_read(
        self: Pin<&mut Self>,
        context: &mut Context<'_>,
        buffer: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if let Some(head) = &mut this.head
            && head.sleep.as_mut().poll(context).is_ready()
        {
            return Poll::Ready(Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "the request head did not arrive in time",
            )));
        }
        let before = buffer.filled().len();
        let polled = Pin::new(&mut this.inner).poll_read(context, buffer);
        if let (Poll::Ready(Ok(())), Some(head)) = (&polled, &mut this.head)
            && head.seen(&buffer.filled()[before..])
        {
            this.head = None;
        }
        polled
    }
}

impl<IO: AsyncWrite + Unpin> AsyncWrite for Guarded<IO> {
    fn poll_write(
        self: Pin<&mut Self>,
        context: &mut Context<'_>,
        bytes: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(context, bytes)
    }

    fn poll_flush(self: Pin<&mut Self>, context: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(context)
    }

    fn poll_shutdown(self: Pin<&mut Self>, context: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(context)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        context: &mut Context<'_>,
        buffers: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write_vectored(context, buffers)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_end_of_a_head_is_found_across_reads() {
        let mut head = HeadDeadline {
            sleep: Box::pin(tokio::time::sleep(Duration::from_secs(1))),
            matched: 0,
        };
        assert!(!head.seen(b"GET / HTTP/1.1\r\nHost: x\r"));
        assert!(!head.seen(b"\n\r"));
        assert!(head.seen(b"\nbody"));
        let mut other = HeadDeadline {
            sleep: Box::pin(tokio::time::sleep(Duration::from_secs(1))),
            matched: 0,
        };
        assert!(!other.seen(b"\r\n\r\r\n"), "a broken sequence starts again");
        assert!(other.seen(b"\r\n"));
    }

    #[test]
    fn a_network_holds_at_most_its_cap_and_gets_places_back() {
        let open = Arc::new(OpenCounts::default());
        let first = open.take("198.51.100.7".into(), 2).unwrap();
        let _second = open.take("198.51.100.7".into(), 2).unwrap();
        assert!(open.take("198.51.100.7".into(), 2).is_none());
        assert!(
            open.take("198.51.100.8".into(), 2).is_some(),
            "another address"
        );
        drop(first);
        assert!(
            open.take("198.51.100.7".into(), 2).is_some(),
            "a place again"
        );
    }
}
