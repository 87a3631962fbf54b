//! `soiree-load`: drives a running Soirée server as a crowd would, over HTTP and WebSocket, and
//! prints what it measured: votes per second and their latency, how long a vote takes to reach
//! every listener of a room, and what idle sockets cost the server (memory and CPU, read from
//! `/proc` of the server process). See `docs/benchmarks.md` for how to run it.
//!
//! It creates its own accounts and rooms through the public API, with names no earlier run
//! used, so runs can follow each other on one server.

mod events;
mod http;
mod idle;
mod measure;
mod pages;
mod setup;
mod sockets;
mod votes;

use std::net::SocketAddr;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Parser, Subcommand};

/// Load generator for Soirée.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Cli {
    /// The server's address.
    #[arg(long, global = true, default_value = "127.0.0.1:8000")]
    server: SocketAddr,
    /// The server's process id, to read its memory and CPU time (found by its port if left out).
    #[arg(long, global = true)]
    server_pid: Option<u32>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Signed-in voters in one room, as fast as the server answers.
    Votes(votes::VotesArgs),
    /// Many listeners in one room and one steady voter: vote-to-listener latency.
    Events(events::EventsArgs),
    /// Many idle WebSockets: memory, idle CPU, and a vote's latency meanwhile.
    Idle(idle::IdleArgs),
    /// The web pages: the party's page for guests and the host, the TV screen, the dashboard.
    Pages(pages::PagesArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: starting the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    // Check the server answers before setting anything up.
    let mut probe = http::Connection::open(cli.server).await.context(
        "is the server running? start it with `soiree serve` and give its address with --server",
    )?;
    let health = probe
        .send(hyper::Method::GET, "/healthz", None, None)
        .await?;
    anyhow::ensure!(
        health.status.is_success(),
        "{} answered /healthz with {}",
        cli.server,
        health.status
    );
    let server = measure::ServerProcess::find(cli.server, cli.server_pid);
    match server {
        Some(server) => println!("server {} (pid {})", cli.server, server.pid()),
        None => println!(
            "server {} (process not found: memory and CPU are not reported)",
            cli.server
        ),
    }
    match cli.command {
        Command::Votes(args) => votes::run(cli.server, server, args).await,
        Command::Events(args) => events::run(cli.server, server, args).await,
        Command::Idle(args) => idle::run(cli.server, server, args).await,
        Command::Pages(args) => pages::run(cli.server, server, args).await,
    }
}
