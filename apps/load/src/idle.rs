//! Many idle WebSockets: their memory, the server's CPU while nothing happens, and a vote's
//! latency meanwhile (in another room, so that it measures the idle sockets, not a fan-out).

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use hyper::{Method, StatusCode};
use serde_json::json;

use crate::http::Connection;
use crate::measure::{Latencies, ServerProcess, megabytes};
use crate::setup::{guests, last_seq, room, run_prefix, track};
use crate::sockets::open_all;

#[derive(Debug, clap::Args)]
pub(crate) struct IdleArgs {
    /// Idle sockets to open.
    #[arg(long, default_value_t = 10_000)]
    sockets: usize,
    /// How long they stay idle while the server's CPU time is measured.
    #[arg(long, default_value = "20s", value_parser = humantime::parse_duration)]
    idle: Duration,
}

pub(crate) async fn run(
    address: SocketAddr,
    server: Option<ServerProcess>,
    args: IdleArgs,
) -> anyhow::Result<()> {
    let server = server.ok_or_else(|| {
        anyhow::anyhow!("the server process was not found; name it with --server-pid")
    })?;
    let prefix = run_prefix();
    let mut connection = Connection::open(address).await?;
    let host = crate::setup::account(&mut connection, &format!("{prefix}host")).await?;
    let crowd_room = room(&mut connection, &host, json!({ "like_threshold": 10_000 })).await?;
    let vote_room = room(&mut connection, &host, json!({ "like_threshold": 10_000 })).await?;
    println!("{} guests join", args.sockets);
    let tokens = guests(address, &crowd_room, args.sockets, 16).await?;
    let after = last_seq(&mut connection, &crowd_room, &host).await?;
    let rss_before = server.rss_bytes()?;
    println!("opening {} sockets", args.sockets);
    let opened_at = Instant::now();
    let sockets = open_all(address, &crowd_room, &tokens, after, 200).await?;
    println!("opened in {:.1} s", opened_at.elapsed().as_secs_f64());
    // Let the last handshakes settle before measuring.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let rss_open = server.rss_bytes()?;
    let cpu_start = server.cpu_time()?;
    tokio::time::sleep(args.idle).await;
    let idle_cpu = server.cpu_time()? - cpu_start;

    let path = format!("/api/v1/rooms/{vote_room}/votes");
    let mut latencies = Vec::new();
    for turn in 0..50 {
        let body = json!({ "track_uri": track(turn), "is_like": true });
        let sent = Instant::now();
        let answer = connection
            .send(Method::POST, &path, Some(&host), Some(&body))
            .await?;
        anyhow::ensure!(
            answer.status == StatusCode::OK,
            "a vote was refused: {}",
            answer.status
        );
        latencies.push(u64::try_from(sent.elapsed().as_micros()).unwrap_or(u64::MAX));
    }
    let latencies = Latencies::new(latencies);
    drop(sockets);
    println!();
    println!("sockets open        {}", args.sockets);
    println!(
        "server RSS          {:.1} MB before, {:.1} MB with the sockets open ({:.1} KB per socket)",
        megabytes(rss_before),
        megabytes(rss_open),
        (rss_open.saturating_sub(rss_before)) as f64 / args.sockets.max(1) as f64 / 1000.0
    );
    println!(
        "server CPU idle     {:.3} cores over {:?}",
        idle_cpu.as_secs_f64() / args.idle.as_secs_f64(),
        args.idle
    );
    println!("a vote meanwhile    {}", latencies.summary());
    Ok(())
}
