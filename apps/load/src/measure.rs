//! Figures: latency percentiles, and the server's memory and CPU time read from `/proc`.

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::Context as _;

/// Latencies in microseconds, summarised.
pub(crate) struct Latencies(Vec<u64>);

impl Latencies {
    pub(crate) fn new(mut micros: Vec<u64>) -> Self {
        micros.sort_unstable();
        Self(micros)
    }

    pub(crate) fn len(&self) -> usize {
        self.0.len()
    }

    /// The latency below which `share` (0..=1) of the samples lie.
    pub(crate) fn percentile(&self, share: f64) -> Duration {
        if self.0.is_empty() {
            return Duration::ZERO;
        }
        let rank = ((self.0.len() as f64 * share).ceil() as usize).clamp(1, self.0.len());
        Duration::from_micros(self.0[rank - 1])
    }

    pub(crate) fn summary(&self) -> String {
        let ms = |share: f64| self.percentile(share).as_secs_f64() * 1000.0;
        format!(
            "p50 {:.2} ms  p90 {:.2} ms  p99 {:.2} ms  max {:.2} ms  ({} samples)",
            ms(0.50),
            ms(0.90),
            ms(0.99),
            ms(1.0),
            self.len()
        )
    }
}

/// The server process, found by the port it listens on (or named with `--server-pid`).
#[derive(Debug, Clone, Copy)]
pub(crate) struct ServerProcess(u32);

impl ServerProcess {
    pub(crate) fn find(address: SocketAddr, pid: Option<u32>) -> Option<Self> {
        pid.or_else(|| listening_pid(address.port())).map(Self)
    }

    pub(crate) fn pid(&self) -> u32 {
        self.0
    }

    /// Resident memory, in bytes.
    pub(crate) fn rss_bytes(&self) -> anyhow::Result<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.0))
            .context("reading the server's /proc status")?;
        let kib: u64 = status
            .lines()
            .find_map(|line| line.strip_prefix("VmRSS:"))
            .and_then(|value| value.split_whitespace().next())
            .and_then(|value| value.parse().ok())
            .context("no VmRSS in /proc status")?;
        Ok(kib * 1024)
    }

    /// User and system CPU time spent so far.
    pub(crate) fn cpu_time(&self) -> anyhow::Result<Duration> {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.0))
            .context("reading the server's /proc stat")?;
        // Fields after the command name (which may hold spaces) start after the last ')'.
        let fields: Vec<&str> = stat
            .rsplit_once(')')
            .map(|(_, rest)| rest.split_whitespace().collect())
            .unwrap_or_default();
        let ticks = |index: usize| -> u64 {
            fields
                .get(index)
                .and_then(|field| field.parse().ok())
                .unwrap_or(0)
        };
        // utime and stime are fields 14 and 15 of the line, 12 and 13 after the state.
        let total = ticks(11) + ticks(12);
        // Linux reports these in clock ticks of 1/100 s on every common configuration.
        Ok(Duration::from_millis(total * 10))
    }
}

/// The process holding a socket that listens on `port` (Linux `/proc`).
fn listening_pid(port: u16) -> Option<u32> {
    let wanted = format!(":{port:04X}");
    let mut inodes = Vec::new();
    for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
        let Ok(text) = std::fs::read_to_string(table) else {
            continue;
        };
        for line in text.lines().skip(1) {
            let fields: Vec<&str> = line.split_whitespace().collect();
            // local_address is field 1, state field 3 (0A: listening), inode field 9.
            if fields.len() > 9 && fields[1].ends_with(&wanted) && fields[3] == "0A" {
                inodes.push(format!("socket:[{}]", fields[9]));
            }
        }
    }
    let processes = std::fs::read_dir("/proc").ok()?;
    for process in processes.flatten() {
        let Ok(pid) = process.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(descriptors) = std::fs::read_dir(process.path().join("fd")) else {
            continue;
        };
        for descriptor in descriptors.flatten() {
            if let Ok(target) = std::fs::read_link(descriptor.path())
                && inodes
                    .iter()
                    .any(|inode| target.to_string_lossy() == *inode)
            {
                return Some(pid);
            }
        }
    }
    None
}

pub(crate) fn megabytes(bytes: u64) -> f64 {
    bytes as f64 / 1_000_000.0
}
