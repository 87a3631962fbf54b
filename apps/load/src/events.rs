//! Live events for a crowd: many listeners in one room, one voter at a steady rate; how long a
//! vote takes to reach every listener, and whether the voter notices the crowd.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::StreamExt as _;
use hyper::{Method, StatusCode};
use serde_json::json;
use tokio::sync::Mutex;
use tokio_tungstenite::tungstenite::Message;

use crate::http::Connection;
use crate::measure::{Latencies, ServerProcess, megabytes};
use crate::setup::{guests, last_seq, room, run_prefix, track};
use crate::sockets::open_all;

#[derive(Debug, clap::Args)]
pub(crate) struct EventsArgs {
    /// Guests listening to the room's events.
    #[arg(long, default_value_t = 1000)]
    listeners: usize,
    /// Votes per second from the one voter.
    #[arg(long, default_value_t = 20)]
    rate: u32,
    /// How long votes are sent with the listeners connected (and, before, without them).
    #[arg(long, default_value = "20s", value_parser = humantime::parse_duration)]
    duration: Duration,
}

/// Sends votes at `rate` for `duration`; returns when each was sent and how long each took.
async fn vote_steadily(
    address: SocketAddr,
    code: &str,
    token: &str,
    rate: u32,
    duration: Duration,
) -> anyhow::Result<(Vec<Instant>, Latencies)> {
    let mut connection = Connection::open(address).await?;
    let path = format!("/api/v1/rooms/{code}/votes");
    let mut ticks = tokio::time::interval(Duration::from_secs(1) / rate.max(1));
    let stop_at = Instant::now() + duration;
    let mut sent_at = Vec::new();
    let mut latencies = Vec::new();
    let mut turn = 0usize;
    while Instant::now() < stop_at {
        ticks.tick().await;
        let body = json!({ "track_uri": track(turn % 50), "is_like": turn.is_multiple_of(2) });
        turn += 1;
        let sent = Instant::now();
        let answer = connection
            .send(Method::POST, &path, Some(token), Some(&body))
            .await?;
        anyhow::ensure!(
            answer.status == StatusCode::OK,
            "a vote was refused: {} {}",
            answer.status,
            answer.body
        );
        latencies.push(u64::try_from(sent.elapsed().as_micros()).unwrap_or(u64::MAX));
        sent_at.push(sent);
    }
    Ok((sent_at, Latencies::new(latencies)))
}

/// [`vote_steadily`] on a thread and runtime of its own, as a phone apart from the listening
/// ones: on the generator's shared runtime its answers would wait behind the listeners' reads,
/// which a real phone's would not.
async fn vote_apart(
    address: SocketAddr,
    code: &str,
    token: &str,
    rate: u32,
    duration: Duration,
) -> anyhow::Result<(Vec<Instant>, Latencies)> {
    let (code, token) = (code.to_owned(), token.to_owned());
    tokio::task::spawn_blocking(move || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?
            .block_on(vote_steadily(address, &code, &token, rate, duration))
    })
    .await?
}

pub(crate) async fn run(
    address: SocketAddr,
    server: Option<ServerProcess>,
    args: EventsArgs,
) -> anyhow::Result<()> {
    let prefix = run_prefix();
    let mut connection = Connection::open(address).await?;
    let host = crate::setup::account(&mut connection, &format!("{prefix}host")).await?;
    let code = room(&mut connection, &host, json!({ "like_threshold": 10_000 })).await?;
    println!(
        "voter alone for {:?} at {} votes/s",
        args.duration, args.rate
    );
    let (_, alone) = vote_apart(address, &code, &host, args.rate, args.duration).await?;

    println!("{} guests join and listen", args.listeners);
    let tokens = guests(address, &code, args.listeners, 16).await?;
    let after = last_seq(&mut connection, &code, &host).await?;
    let rss_before = server.map(|server| server.rss_bytes()).transpose()?;
    let sockets = open_all(address, &code, &tokens, after, 200).await?;
    // Each listener records when each vote_tallied arrived; the k-th is the k-th vote's.
    let received: Arc<Mutex<Vec<Vec<Instant>>>> = Arc::default();
    let mut listeners = Vec::new();
    for mut socket in sockets {
        let received = Arc::clone(&received);
        listeners.push(tokio::spawn(async move {
            let mut mine = Vec::new();
            while let Some(Ok(message)) = socket.next().await {
                if let Message::Text(text) = message
                    && text.as_str().contains("\"type\":\"vote_tallied\"")
                {
                    mine.push(Instant::now());
                }
            }
            received.lock().await.push(mine);
        }));
    }
    let rss_listening = server.map(|server| server.rss_bytes()).transpose()?;
    println!(
        "voter with {} listeners for {:?}",
        args.listeners, args.duration
    );
    let cpu_start = server.map(|server| server.cpu_time()).transpose()?;
    let (sent_at, crowded) = vote_apart(address, &code, &host, args.rate, args.duration).await?;
    let cpu = match (server, cpu_start) {
        (Some(server), Some(start)) => Some(server.cpu_time()? - start),
        _ => None,
    };
    // Let the last events arrive, then end the sockets by closing the room.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let closed = connection
        .send(
            Method::POST,
            &format!("/api/v1/rooms/{code}/close"),
            Some(&host),
            None,
        )
        .await?;
    anyhow::ensure!(
        closed.status == StatusCode::OK,
        "closing the room: {}",
        closed.status
    );
    for listener in listeners {
        listener.await?;
    }
    let received = received.lock().await;
    let mut delays = Vec::new();
    let mut missing = 0usize;
    for arrivals in received.iter() {
        missing += sent_at.len().saturating_sub(arrivals.len());
        for (sent, arrived) in sent_at.iter().zip(arrivals) {
            delays.push(
                u64::try_from(arrived.saturating_duration_since(*sent).as_micros())
                    .unwrap_or(u64::MAX),
            );
        }
    }
    let delays = Latencies::new(delays);
    println!();
    println!("votes sent             {}", sent_at.len());
    println!("vote → listener        {}", delays.summary());
    println!("events missing         {missing}");
    println!("voter alone            {}", alone.summary());
    println!("voter with listeners   {}", crowded.summary());
    if let (Some(server), Some(before), Some(listening)) = (server, rss_before, rss_listening) {
        println!(
            "server                 pid {}, RSS {:.1} MB before the sockets, {:.1} MB with them, CPU {:.2} cores while voting",
            server.pid(),
            megabytes(before),
            megabytes(listening),
            cpu.unwrap_or_default().as_secs_f64() / args.duration.as_secs_f64()
        );
    }
    Ok(())
}
