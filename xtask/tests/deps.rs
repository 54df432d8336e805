//! `cargo xtask deps --check`: the lean builds stay lean, and the check
//! can see the heavy parts it guards against.

use xtask::deps::{check, tree};
use xtask::workspace_root;

#[test]
fn the_lean_builds_have_none_of_the_heavy_parts() {
    if let Err(e) = check(&workspace_root()) {
        panic!("{e}");
    }
}

#[test]
fn the_check_sees_the_parts_an_opt_in_feature_brings() {
    let root = workspace_root();
    let lean = tree(&root, "motionkit-motiondynamic", None).unwrap();
    let full = tree(
        &root,
        "motionkit-motiondynamic",
        Some(&["rustls", "axum", "graphql"]),
    )
    .unwrap();
    for part in ["axum", "hyper/server", "graphql_client"] {
        assert!(!lean.has(part), "{part} in the default tree");
        assert!(full.has(part), "{part} not seen with its feature on");
    }
    let cli = tree(&root, "motionkit-cli", None).unwrap();
    for part in ["rusqlite", "async-graphql", "jsonwebtoken", "mp4"] {
        assert!(
            cli.has(part),
            "{part}: the CLI's default build embeds the sandbox"
        );
    }
    assert!(lean.packages.len() < full.packages.len());
}
