//! Many signed-in voters in one room, over a fixed number of keep-alive connections, as fast as
//! the server answers.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use hyper::{Method, StatusCode};
use serde_json::json;

use crate::http::Connection;
use crate::measure::{Latencies, ServerProcess, megabytes};
use crate::setup::{accounts, join_all, room, run_prefix, track};

#[derive(Debug, clap::Args)]
pub(crate) struct VotesArgs {
    /// Signed-in voters in the room.
    #[arg(long, default_value_t = 100)]
    voters: usize,
    /// Distinct tracks they vote on.
    #[arg(long, default_value_t = 50)]
    tracks: usize,
    /// Connections sending votes at once (each waits for its answer before the next vote).
    #[arg(long, default_value_t = 32)]
    connections: usize,
    /// How long votes are measured.
    #[arg(long, default_value = "20s", value_parser = humantime::parse_duration)]
    duration: Duration,
    /// How long votes are sent before measuring starts.
    #[arg(long, default_value = "3s", value_parser = humantime::parse_duration)]
    warmup: Duration,
    /// Likes that make a track ready; the default is above the number of voters, so that the
    /// run measures votes alone and no track is sent to a player.
    #[arg(long)]
    like_threshold: Option<u32>,
}

/// What one connection saw while measuring.
#[derive(Default)]
struct Seen {
    latencies: Vec<u64>,
    refused: Vec<StatusCode>,
    failed: usize,
}

pub(crate) async fn run(
    address: SocketAddr,
    server: Option<ServerProcess>,
    args: VotesArgs,
) -> anyhow::Result<()> {
    let prefix = run_prefix();
    let mut connection = Connection::open(address).await?;
    println!("setting up: {} voters, {} tracks", args.voters, args.tracks);
    let host = crate::setup::account(&mut connection, &format!("{prefix}host")).await?;
    let threshold = args
        .like_threshold
        .unwrap_or(u32::try_from(args.voters + 1).unwrap_or(u32::MAX));
    let code = room(
        &mut connection,
        &host,
        json!({ "like_threshold": threshold, "guests_allowed": false }),
    )
    .await?;
    let voters = accounts(address, &prefix, args.voters, 4).await?;
    join_all(address, &code, &voters, 8).await?;
    println!(
        "voting in room {code} over {} connections: {:?} warm-up, {:?} measured",
        args.connections, args.warmup, args.duration
    );

    let started = Instant::now();
    let measure_from = started + args.warmup;
    let stop_at = measure_from + args.duration;
    let cpu_before = tokio::time::sleep_until(measure_from.into());
    let path = format!("/api/v1/rooms/{code}/votes");
    let mut tasks = Vec::new();
    for worker in 0..args.connections {
        let voters = voters.clone();
        let path = path.clone();
        let tracks = args.tracks.max(1);
        let connections = args.connections;
        tasks.push(tokio::spawn(async move {
            let mut connection = Connection::open(address).await?;
            let mut seen = Seen::default();
            let mut turn = 0usize;
            loop {
                let now = Instant::now();
                if now >= stop_at {
                    break;
                }
                let voter = &voters[(worker + turn * connections) % voters.len()];
                let body = json!({
                    "track_uri": track((worker * 7919 + turn * 31) % tracks),
                    "is_like": !turn.is_multiple_of(3),
                });
                turn += 1;
                let sent = Instant::now();
                let answer = connection
                    .send(Method::POST, &path, Some(voter), Some(&body))
                    .await;
                if sent < measure_from {
                    continue;
                }
                match answer {
                    Ok(answer) if answer.status == StatusCode::OK => seen
                        .latencies
                        .push(u64::try_from(sent.elapsed().as_micros()).unwrap_or(u64::MAX)),
                    Ok(answer) => seen.refused.push(answer.status),
                    Err(_) => seen.failed += 1,
                }
            }
            anyhow::Ok(seen)
        }));
    }
    cpu_before.await;
    let cpu_start = server.map(|server| server.cpu_time()).transpose()?;
    let mut latencies = Vec::new();
    let mut refused = Vec::new();
    let mut failed = 0;
    for task in tasks {
        let seen = task.await??;
        latencies.extend(seen.latencies);
        refused.extend(seen.refused);
        failed += seen.failed;
    }
    let elapsed = stop_at
        .saturating_duration_since(measure_from)
        .as_secs_f64();
    let latencies = Latencies::new(latencies);
    println!();
    println!("votes accepted   {}", latencies.len());
    println!(
        "votes refused    {} {:?}",
        refused.len(),
        first_statuses(&refused)
    );
    println!("requests failed  {failed}");
    println!("votes/s          {:.0}", latencies.len() as f64 / elapsed);
    println!("latency          {}", latencies.summary());
    if let Some(server) = server {
        let cpu = server.cpu_time()? - cpu_start.unwrap_or_default();
        println!(
            "server           pid {}, RSS {:.1} MB, CPU {:.2} cores",
            server.pid(),
            megabytes(server.rss_bytes()?),
            cpu.as_secs_f64() / elapsed
        );
    }
    Ok(())
}

fn first_statuses(statuses: &[StatusCode]) -> Vec<u16> {
    let mut distinct: Vec<u16> = statuses.iter().map(StatusCode::as_u16).collect();
    distinct.sort_unstable();
    distinct.dedup();
    distinct
}
