//! The invariants of docs/architecture.md that a machine can check: domain crates know nothing
//! of storage, HTTP, JSON, providers or an async runtime, not even through a dependency of a
//! dependency, and depend on each other only along the allowed arrows.

// A failing test panics; that is how it reports.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeSet, HashMap};
use std::process::Command;

use serde_json::Value;

/// What a domain crate must never reach, directly or transitively (normal dependencies only).
const FORBIDDEN: &[&str] = &[
    "sea-orm",
    "sea-query",
    "sqlx",
    "poem",
    "poem-openapi",
    "reqwest",
    "hyper",
    "serde_json",
    "soiree-storage",
    // Domain crates are runtime-agnostic: an embedder chooses the runtime (tokio is only a
    // dev-dependency of their tests).
    "tokio",
];

/// The only dependencies a domain crate may have on other workspace crates (DESIGN §2).
const ALLOWED_ARROWS: &[(&str, &[&str])] = &[
    ("soiree-kernel", &[]),
    ("soiree-users", &["soiree-kernel"]),
    ("soiree-tiers", &["soiree-kernel"]),
    ("soiree-connections", &["soiree-kernel"]),
    ("soiree-rooms", &["soiree-kernel"]),
    ("soiree-voting", &["soiree-rooms", "soiree-kernel"]),
    ("soiree-library", &["soiree-kernel"]),
    ("soiree-sync", &["soiree-kernel"]),
    ("soiree-insights", &["soiree-kernel"]),
];

/// The resolved dependency graph: package names by id, and each package's normal dependencies.
struct Graph {
    names: HashMap<String, String>,
    nodes: HashMap<String, Vec<String>>,
}

impl Graph {
    fn id_of(&self, name: &str) -> &str {
        self.names
            .iter()
            .find(|(_, package)| *package == name)
            .map(|(id, _)| id.as_str())
            .unwrap_or_else(|| panic!("{name} is in the workspace"))
    }

    fn direct(&self, name: &str) -> BTreeSet<&str> {
        self.nodes
            .get(self.id_of(name))
            .into_iter()
            .flatten()
            .map(|id| self.names[id].as_str())
            .collect()
    }

    fn transitive(&self, name: &str) -> BTreeSet<&str> {
        let mut seen = BTreeSet::new();
        let mut stack = vec![self.id_of(name)];
        while let Some(id) = stack.pop() {
            if !seen.insert(id) {
                continue;
            }
            stack.extend(self.nodes.get(id).into_iter().flatten().map(String::as_str));
        }
        seen.into_iter().map(|id| self.names[id].as_str()).collect()
    }
}

fn graph() -> Graph {
    let output = Command::new(env!("CARGO"))
        .args(["metadata", "--format-version", "1", "--locked"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("running cargo metadata");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let metadata: Value = serde_json::from_slice(&output.stdout).expect("cargo metadata is JSON");

    let names = metadata["packages"]
        .as_array()
        .expect("packages")
        .iter()
        .filter_map(|package| {
            Some((
                package["id"].as_str()?.to_owned(),
                package["name"].as_str()?.to_owned(),
            ))
        })
        .collect();
    let nodes = metadata["resolve"]["nodes"]
        .as_array()
        .expect("resolve nodes")
        .iter()
        .filter_map(|node| {
            let normal = node["deps"]
                .as_array()?
                .iter()
                .filter(|dependency| {
                    dependency["dep_kinds"]
                        .as_array()
                        .is_some_and(|kinds| kinds.iter().any(|kind| kind["kind"].is_null()))
                })
                .filter_map(|dependency| Some(dependency["pkg"].as_str()?.to_owned()))
                .collect();
            Some((node["id"].as_str()?.to_owned(), normal))
        })
        .collect();
    Graph { names, nodes }
}

#[test]
fn domain_crates_do_not_depend_on_storage_http_json_or_a_runtime() {
    let graph = graph();
    let mut violations = Vec::new();
    for (domain, _) in ALLOWED_ARROWS {
        for dependency in graph.transitive(domain) {
            if FORBIDDEN.contains(&dependency) {
                violations.push(format!("{domain} depends on {dependency}"));
            }
        }
    }
    assert!(
        violations.is_empty(),
        "domain crates must stay pure (docs/architecture.md):\n{}",
        violations.join("\n")
    );
}

#[test]
fn domain_crates_depend_on_each_other_only_along_the_allowed_arrows() {
    let graph = graph();
    let mut violations = Vec::new();
    for (domain, allowed) in ALLOWED_ARROWS {
        for dependency in graph.direct(domain) {
            if dependency.starts_with("soiree-") && !allowed.contains(&dependency) {
                violations.push(format!("{domain} → {dependency}"));
            }
        }
    }
    assert!(
        violations.is_empty(),
        "arrows between domain crates not in DESIGN §2 (voting → rooms → kernel; users, \
         connections → kernel):\n{}",
        violations.join("\n")
    );
}
