//! Clients that know nothing of motionkit work against the sandbox: the
//! `postgrest` crate selects themes with embedded parameters and filters by
//! `theme_id`, and graphql-core (Python's reference implementation)
//! introspects `/graphql` and validates our query documents against it.
//! The GraphQL check needs `pip install graphql-core`, which `.ci/run` does.

use std::path::Path;
use std::process::Command;

use motionkit_tests::{sandbox, specs};
use serde_json::Value;

const DEMO: &str = "8239de5c-5cbd-4e39-a102-220e5354a551";
const SECRET: &str = "generic-clients-secret";

#[tokio::test]
async fn a_postgrest_client_library_selects_and_filters_themes() {
    let sandbox = sandbox(|args| args.jwt_secret = SECRET.into()).await;
    let token = motionkit_sandbox::mint_token(SECRET, 3600);
    let client = postgrest::Postgrest::new(format!("{}/rest", sandbox.motiondynamic_url()))
        .insert_header("Authorization", format!("Bearer {token}"));

    let body = client
        .from("themes")
        .select("theme_id,title,parameters(*)")
        .eq("theme_id", DEMO.to_uppercase())
        .execute()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let themes: Vec<Value> = serde_json::from_str(&body).unwrap();
    assert_eq!(themes.len(), 1, "{body}");
    assert_eq!(themes[0]["title"], "Product demo");
    assert_eq!(themes[0]["parameters"].as_array().unwrap().len(), 11);

    let body = client
        .from("themes")
        .select("theme_id")
        .in_("theme_id", [DEMO, "5a3e6f10-7c1b-4d2e-9f3a-0b1c2d3e4f50"])
        .order("theme_id.asc")
        .execute()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let themes: Vec<Value> = serde_json::from_str(&body).unwrap();
    assert_eq!(themes.len(), 2, "{body}");
    sandbox.shutdown().await;
}

fn run_checker(url: &str, token: &str, queries: &Path) -> std::process::Output {
    let script =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("generic_clients/graphql_introspection.py");
    let output = Command::new("python3")
        .arg(script)
        .args([url, token])
        .arg(queries)
        .output()
        .expect("python3 runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        !stderr.contains("No module named 'graphql'"),
        "install the generic GraphQL client first: pip install graphql-core"
    );
    output
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_generic_graphql_client_introspects_and_validates_our_documents() {
    let sandbox = sandbox(|args| args.jwt_secret = SECRET.into()).await;
    let token = motionkit_sandbox::mint_token(SECRET, 3600);
    let url = format!("{}/graphql", sandbox.motiondynamic_url());
    let queries = specs().join("motiondynamic/queries");

    let ok = tokio::task::block_in_place(|| run_checker(&url, &token, &queries));
    let report = String::from_utf8_lossy(&ok.stdout).into_owned();
    assert!(
        ok.status.success(),
        "{report}{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    assert!(
        report.contains("4 documents checked, 0 problems"),
        "{report}"
    );

    // The same check rejects a document that does not fit the schema.
    let broken = tempfile::tempdir().unwrap();
    std::fs::write(
        broken.path().join("broken.graphql"),
        "query { allThemes { nodes { themeId colour } } }",
    )
    .unwrap();
    let bad = tokio::task::block_in_place(|| run_checker(&url, &token, broken.path()));
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stdout).contains("colour"));
    sandbox.shutdown().await;
}
