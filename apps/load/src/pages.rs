//! The pages: what a crowd opening the party's page (and a host their dashboard) costs, over a
//! fixed number of keep-alive connections, as fast as the server answers.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use hyper::StatusCode;
use serde_json::json;

use crate::http::Connection;
use crate::measure::{Latencies, ServerProcess, megabytes};
use crate::setup::{account, room, run_prefix};

#[derive(Debug, clap::Args)]
pub(crate) struct PagesArgs {
    /// Connections asking for pages at once (each waits for its answer before the next).
    #[arg(long, default_value_t = 16)]
    connections: usize,
    /// How long pages are measured.
    #[arg(long, default_value = "10s", value_parser = humantime::parse_duration)]
    duration: Duration,
    /// How long pages are asked for before measuring starts.
    #[arg(long, default_value = "2s", value_parser = humantime::parse_duration)]
    warmup: Duration,
}

/// What is asked for, in turn: a guest opening the party (with its QR code), its two scripts
/// and style sheet, and the host's own pages (signed in).
fn requests(code: &str) -> Vec<(&'static str, String, bool)> {
    vec![
        ("party page, guest", format!("/rooms/{code}"), false),
        ("party page, host", format!("/rooms/{code}"), true),
        ("TV page", format!("/rooms/{code}/tv"), true),
        ("dashboard", "/dashboard".to_owned(), true),
        ("home", "/".to_owned(), false),
        ("room.js", "/assets/room.js".to_owned(), false),
        ("soiree.css", "/assets/soiree.css".to_owned(), false),
    ]
}

pub(crate) async fn run(
    address: SocketAddr,
    server: Option<ServerProcess>,
    args: PagesArgs,
) -> anyhow::Result<()> {
    let prefix = run_prefix();
    let mut connection = Connection::open(address).await?;
    let host = account(&mut connection, &format!("{prefix}host")).await?;
    let code = room(&mut connection, &host, json!({ "name": "Load test" })).await?;
    let kinds = requests(&code);
    for (name, path, signed_in) in &kinds {
        let (status, bytes) = connection
            .page(path, signed_in.then_some(host.as_str()))
            .await?;
        anyhow::ensure!(
            status == StatusCode::OK,
            "{name} ({path}) answered {status}"
        );
        println!("{name:<18} {path:<22} {bytes:>6} bytes");
    }
    println!(
        "asking over {} connections: {:?} warm-up, {:?} measured",
        args.connections, args.warmup, args.duration
    );

    let measure_from = Instant::now() + args.warmup;
    let stop_at = measure_from + args.duration;
    let mut tasks = Vec::new();
    for worker in 0..args.connections {
        let kinds = kinds.clone();
        let host = host.clone();
        tasks.push(tokio::spawn(async move {
            let mut connection = Connection::open(address).await?;
            let mut seen: Vec<Vec<u64>> = vec![Vec::new(); kinds.len()];
            let mut failed = 0usize;
            let mut turn = worker;
            while Instant::now() < stop_at {
                let kind = turn % kinds.len();
                turn += 1;
                let (_, path, signed_in) = &kinds[kind];
                let sent = Instant::now();
                let answer = connection
                    .page(path, signed_in.then_some(host.as_str()))
                    .await;
                if sent < measure_from {
                    continue;
                }
                match answer {
                    Ok((StatusCode::OK, _)) => seen[kind]
                        .push(u64::try_from(sent.elapsed().as_micros()).unwrap_or(u64::MAX)),
                    _ => failed += 1,
                }
            }
            anyhow::Ok((seen, failed))
        }));
    }
    tokio::time::sleep_until(measure_from.into()).await;
    let cpu_start = server.map(|server| server.cpu_time()).transpose()?;
    let mut by_kind: Vec<Vec<u64>> = vec![Vec::new(); kinds.len()];
    let mut failed = 0;
    for task in tasks {
        let (seen, task_failed) = task.await??;
        for (all, mine) in by_kind.iter_mut().zip(seen) {
            all.extend(mine);
        }
        failed += task_failed;
    }
    let elapsed = args.duration.as_secs_f64();
    let total: usize = by_kind.iter().map(Vec::len).sum();
    println!();
    for ((name, _, _), latencies) in kinds.iter().zip(by_kind) {
        println!("{name:<18} {}", Latencies::new(latencies).summary());
    }
    println!("requests failed    {failed}");
    println!("requests/s         {:.0}", total as f64 / elapsed);
    if let Some(server) = server {
        let cpu = server.cpu_time()? - cpu_start.unwrap_or_default();
        println!(
            "server             pid {}, RSS {:.1} MB, CPU {:.2} cores",
            server.pid(),
            megabytes(server.rss_bytes()?),
            cpu.as_secs_f64() / elapsed
        );
    }
    Ok(())
}
