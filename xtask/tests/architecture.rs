//! The dependency rules of ARCHITECTURE.md, checked against `cargo metadata`
//! and `cargo tree`: dependencies between our crates point one way only,
//! the validation crate pulls in no HTTP or async machinery, and xtask
//! depends on none of our crates.

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;

use serde_json::Value;

fn metadata() -> Value {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let output = Command::new(cargo)
        .args(["metadata", "--format-version", "1"])
        .current_dir(xtask::workspace_root())
        .output()
        .expect("cargo metadata runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

/// Package name → names of its normal (non-dev, non-build) dependencies.
fn normal_graph(metadata: &Value) -> BTreeMap<String, BTreeSet<String>> {
    let names: BTreeMap<&str, &str> = metadata["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["id"].as_str().unwrap(), p["name"].as_str().unwrap()))
        .collect();
    metadata["resolve"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|node| {
            let deps = node["deps"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|d| {
                    d["dep_kinds"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .any(|k| k["kind"].is_null())
                })
                .map(|d| names[d["pkg"].as_str().unwrap()].to_owned())
                .collect();
            (names[node["id"].as_str().unwrap()].to_owned(), deps)
        })
        .collect()
}

fn closure(graph: &BTreeMap<String, BTreeSet<String>>, root: &str) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    let mut stack = vec![root.to_owned()];
    while let Some(name) = stack.pop() {
        for dep in graph.get(&name).into_iter().flatten() {
            if seen.insert(dep.clone()) {
                stack.push(dep.clone());
            }
        }
    }
    seen
}

#[test]
fn our_crates_depend_on_each_other_one_way_only() {
    let graph = normal_graph(&metadata());
    let allowed: &[(&str, &[&str])] = &[
        ("motionkit-validation", &[]),
        ("motionkit-models", &["motionkit-validation"]),
        (
            "motionkit-transport",
            &["motionkit-models", "motionkit-validation"],
        ),
        (
            "motionkit-deepmotion",
            &[
                "motionkit-transport",
                "motionkit-models",
                "motionkit-validation",
            ],
        ),
        (
            "motionkit-motiondynamic",
            &[
                "motionkit-transport",
                "motionkit-models",
                "motionkit-validation",
            ],
        ),
        // The clients only through the optional `clients` feature, which
        // the next test pins down.
        (
            "motionkit-sandbox",
            &[
                "motionkit-models",
                "motionkit-validation",
                "motionkit-deepmotion",
                "motionkit-motiondynamic",
            ],
        ),
        (
            "motionkit-cli",
            &[
                "motionkit-deepmotion",
                "motionkit-motiondynamic",
                "motionkit-sandbox",
                "motionkit-transport",
                "motionkit-models",
                "motionkit-validation",
            ],
        ),
    ];
    for (package, may_use) in allowed {
        let ours: BTreeSet<&str> = graph[*package]
            .iter()
            .map(String::as_str)
            .filter(|d| d.starts_with("motionkit-"))
            .collect();
        let extra: Vec<&&str> = ours.iter().filter(|d| !may_use.contains(d)).collect();
        assert!(extra.is_empty(), "{package} must not depend on {extra:?}");
    }
}

/// The sandbox's emulation never depends on the clients: they are optional
/// dependencies, turned on by the `clients` feature alone (its ready
/// clients for tests), and no client crate depends on the sandbox.
#[test]
fn the_sandbox_reaches_the_clients_only_through_its_clients_feature() {
    let metadata = metadata();
    let packages = metadata["packages"].as_array().unwrap();
    let package = |name: &str| {
        packages
            .iter()
            .find(|p| p["name"] == name)
            .unwrap_or_else(|| panic!("{name} is a workspace package"))
    };
    let sandbox = package("motionkit-sandbox");
    for dep in sandbox["dependencies"].as_array().unwrap() {
        let name = dep["name"].as_str().unwrap();
        if matches!(name, "motionkit-deepmotion" | "motionkit-motiondynamic") {
            assert_eq!(dep["optional"], true, "{name} must be optional");
            let turned_on_by: Vec<&str> = sandbox["features"]
                .as_object()
                .unwrap()
                .iter()
                .filter(|(_, enables)| {
                    enables
                        .as_array()
                        .unwrap()
                        .iter()
                        .any(|e| e.as_str() == Some(&format!("dep:{name}")))
                })
                .map(|(feature, _)| feature.as_str())
                .collect();
            assert_eq!(turned_on_by, ["clients"], "{name}");
        }
    }
    for client in [
        "motionkit-deepmotion",
        "motionkit-motiondynamic",
        "motionkit-transport",
    ] {
        let depends_on_sandbox = package(client)["dependencies"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["name"] == "motionkit-sandbox");
        assert!(
            !depends_on_sandbox,
            "{client} must not depend on the sandbox"
        );
    }
}

#[test]
fn validation_pulls_in_no_http_or_async_crates() {
    let graph = normal_graph(&metadata());
    let deps = closure(&graph, "motionkit-validation");
    for banned in [
        "reqwest",
        "tokio",
        "hyper",
        "axum",
        "motionkit-models",
        "motionkit-transport",
    ] {
        assert!(
            !deps.contains(banned),
            "motionkit-validation depends on {banned}: {deps:?}"
        );
    }
    assert!(deps.contains("regex"), "the closure was computed: {deps:?}");
}

/// xtask depends on nothing it generates into: regenerating the models
/// must not need the crates that use them to compile first. Read from
/// `cargo tree`, the same view as `cargo build -p xtask`.
#[test]
fn xtask_depends_on_no_crate_of_ours() {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let output = Command::new(cargo)
        .args(["tree", "-p", "xtask", "-e", "normal", "--prefix", "none"])
        .args(["--format", "{p}"])
        .current_dir(xtask::workspace_root())
        .output()
        .expect("cargo tree runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let packages: BTreeSet<String> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| line.split_whitespace().next())
        .map(str::to_owned)
        .collect();
    assert!(
        packages.contains("xtask") && packages.contains("serde_json"),
        "the tree was read: {packages:?}"
    );
    let ours: Vec<&String> = packages
        .iter()
        .filter(|p| p.starts_with("motionkit"))
        .collect();
    assert!(ours.is_empty(), "xtask depends on {ours:?}");
    for heavy in ["tokio", "reqwest", "axum", "clap"] {
        assert!(!packages.contains(heavy), "xtask depends on {heavy}");
    }
}
