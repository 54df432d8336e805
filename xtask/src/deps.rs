//! `cargo xtask deps [--check]`: what each published crate pulls in.
//!
//! Without `--check`, counts the normal dependencies of every published
//! crate with its default features and with `--no-default-features` plus one
//! TLS backend, and writes the table to `docs/DEPENDENCIES.md`. With
//! `--check`, writes nothing and fails when a lean tree gains a heavy part:
//! a web server framework, SQLite, a GraphQL server, the GraphQL client's
//! code generator where it is optional, or a JWT library in the CLI built
//! without the sandbox (the rules are in [`RULES`]), or when the committed
//! table differs from the counts.
//!
//! Everything here reads the locked tree (`cargo tree --locked`, the
//! versions in `Cargo.lock`), the tree that `cargo install --locked` and
//! this repository's builds get. A project that depends on our crates
//! resolves afresh and may get newer versions of some dependencies, with a
//! few packages more or fewer; the table says so. The rules hold either
//! way: the parts they forbid come from our own features, not from the
//! resolver's choice of versions.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

/// The published crates, in dependency order.
pub const CRATES: &[&str] = &[
    "motionkit-validation",
    "motionkit-models",
    "motionkit-transport",
    "motionkit-deepmotion",
    "motionkit-motiondynamic",
    "motionkit-sandbox",
    "motionkit-cli",
];

/// The feature set of a lean build: one TLS backend where the crate has
/// one (validation and models have no TLS at all).
fn lean_features(krate: &str) -> &'static [&'static str] {
    match krate {
        "motionkit-validation" | "motionkit-models" => &[],
        _ => &["rustls"],
    }
}

/// One rule: in this build of this crate, none of these packages (or, for
/// `"hyper/server"`, no hyper built with its `server` feature).
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    /// Package name.
    pub krate: &'static str,
    /// `None`: default features; `Some(features)`: `--no-default-features`
    /// with these.
    pub features: Option<&'static [&'static str]>,
    /// Packages that must not appear.
    pub forbidden: &'static [&'static str],
}

const SERVER_PARTS: &[&str] = &["axum", "hyper/server", "rusqlite", "async-graphql"];

/// What the lean builds must not contain.
pub const RULES: &[Rule] = &[
    Rule {
        krate: "motionkit-validation",
        features: None,
        forbidden: &[
            "reqwest",
            "tokio",
            "hyper",
            "axum",
            "rusqlite",
            "async-graphql",
        ],
    },
    Rule {
        krate: "motionkit-models",
        features: None,
        forbidden: &["schemars", "reqwest", "tokio", "axum"],
    },
    Rule {
        krate: "motionkit-transport",
        features: None,
        forbidden: SERVER_PARTS,
    },
    Rule {
        krate: "motionkit-deepmotion",
        features: None,
        forbidden: SERVER_PARTS,
    },
    Rule {
        krate: "motionkit-motiondynamic",
        features: None,
        forbidden: &[
            "axum",
            "hyper/server",
            "rusqlite",
            "async-graphql",
            "graphql_client",
        ],
    },
    Rule {
        krate: "motionkit-deepmotion",
        features: Some(&["native-tls"]),
        forbidden: &["rustls", "axum"],
    },
    Rule {
        krate: "motionkit-motiondynamic",
        features: Some(&["native-tls"]),
        forbidden: &["rustls", "axum", "graphql_client"],
    },
    Rule {
        krate: "motionkit-cli",
        features: Some(&["rustls"]),
        forbidden: &[
            "rusqlite",
            "async-graphql",
            "jsonwebtoken",
            "mp4",
            "gltf",
            "less-avc",
        ],
    },
    Rule {
        krate: "motionkit-cli",
        features: Some(&["native-tls"]),
        forbidden: &["rustls", "rusqlite", "async-graphql", "jsonwebtoken"],
    },
];

/// The packages (`name`) in the normal dependency tree of `krate`, itself
/// excluded, and the `name/feature` pairs enabled on them.
pub fn tree(root: &Path, krate: &str, features: Option<&[&str]>) -> Result<Tree, String> {
    let mut command = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    command
        .current_dir(root)
        .args([
            "tree",
            "--locked",
            "-e",
            "normal,features",
            "--prefix",
            "none",
        ])
        .args(["--format", "{p} {f}", "-p", krate]);
    if let Some(features) = features {
        command.arg("--no-default-features");
        if !features.is_empty() {
            command.args(["--features", &features.join(",")]);
        }
    }
    let output = command
        .output()
        .map_err(|e| format!("cannot run cargo tree: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "cargo tree -p {krate} failed:\n{}",
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    let mut packages = BTreeSet::new();
    let mut features = BTreeSet::new();
    for line in String::from_utf8_lossy(&output.stdout).lines() {
        // `name vX.Y.Z (path) f1,f2` or, for a feature node,
        // `name feature "f"`, which the packages' own lines already cover.
        let mut words = line.split_whitespace();
        let (Some(name), Some(version)) = (words.next(), words.next()) else {
            continue;
        };
        if !version.starts_with('v') || name == krate {
            continue;
        }
        packages.insert(format!("{name} {version}"));
        if let Some(list) = line.rsplit(' ').next().filter(|l| !l.starts_with('v')) {
            for feature in list
                .split(',')
                .filter(|f| !f.is_empty() && !f.contains('('))
            {
                features.insert(format!("{name}/{feature}"));
            }
        }
    }
    Ok(Tree { packages, features })
}

/// A dependency tree, as [`tree`] reads it.
#[derive(Debug)]
pub struct Tree {
    /// `name vX.Y.Z`
    pub packages: BTreeSet<String>,
    /// `name/feature`
    features: BTreeSet<String>,
}

impl Tree {
    /// Whether `what` (`name`, or `name/feature`) is in the tree.
    pub fn has(&self, what: &str) -> bool {
        if what.contains('/') {
            self.features.contains(what)
        } else {
            self.packages
                .iter()
                .any(|p| p.split(' ').next() == Some(what))
        }
    }
}

/// Every rule that a tree breaks, one line each.
pub fn check(root: &Path) -> Result<(), String> {
    let mut problems = Vec::new();
    for rule in RULES {
        let tree = tree(root, rule.krate, rule.features)?;
        let build = match rule.features {
            None => "default features".to_owned(),
            Some(f) => format!("--no-default-features --features {}", f.join(",")),
        };
        for forbidden in rule.forbidden {
            if tree.has(forbidden) {
                problems.push(format!(
                    "{} with {build} depends on {forbidden}",
                    rule.krate
                ));
            }
        }
    }
    let committed = std::fs::read_to_string(root.join(TABLE_PATH)).unwrap_or_default();
    if committed != table(root)? {
        problems.push(format!(
            "{TABLE_PATH} does not match the locked tree: run `cargo xtask deps`"
        ));
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("\n"))
    }
}

/// `docs/DEPENDENCIES.md`.
pub fn table(root: &Path) -> Result<String, String> {
    let mut out = String::from(
        "# Dependencies\n\n\
         Normal dependencies of each published crate (unique packages in\n\
         `cargo tree --locked -e normal`, the crate itself excluded), with its\n\
         default features and with `--no-default-features` plus one TLS backend\n\
         (`rustls`; validation and models have no TLS). Written by\n\
         `cargo xtask deps`; `cargo xtask deps --check` (run by `.ci/run`)\n\
         fails when this table is stale or when a lean tree gains axum,\n\
         hyper's server, rusqlite, async-graphql, graphql_client\n\
         (motiondynamic) or, for the CLI without its `sandbox` feature,\n\
         jsonwebtoken, mp4, gltf or less-avc.\n\n\
         **What is counted: the locked tree.** The counts are of the versions\n\
         in this repository's `Cargo.lock`, which is what `cargo install\n\
         --locked` and the repository's own builds use. A project that adds\n\
         these crates resolves its dependencies afresh and may get newer\n\
         versions, with a few packages more or fewer: for example, with\n\
         `encoding_rs` 0.8.44 (which adds `simdutf8`, `core_detect` and\n\
         `multiversion_no_op`) a fresh resolve of a lean\n\
         `motionkit-deepmotion` had 3 packages more than the locked tree. The\n\
         rules of `--check` hold either way: the parts they forbid come from\n\
         our features, not from the versions a resolver picks. To see your\n\
         own count, run `cargo tree -e normal -p CRATE` in your project.\n\n\
         | crate | packages, default features | packages, `--no-default-features` + TLS | the default features |\n\
         |---|---:|---:|---|\n",
    );
    for krate in CRATES {
        let default = tree(root, krate, None)?;
        let lean = tree(root, krate, Some(lean_features(krate)))?;
        let defaults = default_features(root, krate)?;
        out.push_str(&format!(
            "| `{krate}` | {} | {} | {} |\n",
            default.packages.len(),
            lean.packages.len(),
            if defaults.is_empty() {
                "(none)".to_owned()
            } else {
                defaults
                    .iter()
                    .map(|f| format!("`{f}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            }
        ));
    }
    out.push_str(
        "\nThe heavy parts are features: `axum` (the ready webhook routers of\n\
         deepmotion and motiondynamic), `graphql` (motiondynamic's GraphQL\n\
         client), `schemars` (models' JSON Schemas), `sandbox` (the CLI's\n\
         embedded emulator: SQLite, async-graphql, jsonwebtoken, and mp4, gltf\n\
         and less-avc for its output files) and `bin`\n\
         (the sandbox binary's clap and tracing-subscriber). See each crate's\n\
         `Cargo.toml` for the full list.\n",
    );
    Ok(out)
}

fn default_features(root: &Path, krate: &str) -> Result<Vec<String>, String> {
    let dir = krate.trim_start_matches("motionkit-");
    let manifest = std::fs::read_to_string(root.join("crates").join(dir).join("Cargo.toml"))
        .map_err(|e| format!("{krate}: {e}"))?;
    let line = manifest
        .lines()
        .find(|l| l.starts_with("default = ["))
        .unwrap_or("default = []");
    Ok(line
        .trim_start_matches("default = [")
        .trim_end_matches(']')
        .split(',')
        .map(|f| f.trim().trim_matches('"').to_owned())
        .filter(|f| !f.is_empty())
        .collect())
}

/// Where the table lives, relative to the workspace root.
pub const TABLE_PATH: &str = "docs/DEPENDENCIES.md";
