//! The invariants of docs/architecture.md that a machine can check: domain crates know nothing
//! of storage, HTTP, JSON or providers, not even through a dependency of a dependency.

// A failing test panics; that is how it reports.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeSet, HashMap};
use std::process::Command;

use serde_json::Value;

/// The pure domain crates.
const DOMAIN_CRATES: &[&str] = &[
    "soiree-kernel",
    "soiree-users",
    "soiree-connections",
    "soiree-rooms",
    "soiree-voting",
];

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
];

#[test]
fn domain_crates_do_not_depend_on_storage_http_or_json() {
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

    let names: HashMap<&str, &str> = metadata["packages"]
        .as_array()
        .expect("packages")
        .iter()
        .filter_map(|package| Some((package["id"].as_str()?, package["name"].as_str()?)))
        .collect();
    let nodes: HashMap<&str, Vec<&str>> = metadata["resolve"]["nodes"]
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
                .filter_map(|dependency| dependency["pkg"].as_str())
                .collect();
            Some((node["id"].as_str()?, normal))
        })
        .collect();

    let mut violations = Vec::new();
    for domain in DOMAIN_CRATES {
        let root = names
            .iter()
            .find(|(_, name)| *name == domain)
            .map(|(id, _)| *id)
            .unwrap_or_else(|| panic!("{domain} is in the workspace"));
        let mut seen = BTreeSet::new();
        let mut stack = vec![root];
        while let Some(id) = stack.pop() {
            if !seen.insert(id) {
                continue;
            }
            stack.extend(nodes.get(id).into_iter().flatten().copied());
        }
        for id in seen {
            if FORBIDDEN.contains(&names[id]) {
                violations.push(format!("{domain} depends on {}", names[id]));
            }
        }
    }
    assert!(
        violations.is_empty(),
        "domain crates must stay pure (docs/architecture.md):\n{}",
        violations.join("\n")
    );
}
