//! The sandbox serves its OpenAPI documents, and answers what they say.
//! Each test below pins a behaviour an independent fuzzer (schemathesis,
//! run by `.ci/schemathesis.sh`) checks against those documents.

use motionkit_sandbox::{Sandbox, SandboxArgs, SandboxConfig, mint_token};
use serde_json::{Value, json};

const SECRET: &str = "test-secret";

async fn start() -> Sandbox {
    let args = SandboxArgs::default()
        .jwt_secret(SECRET.into())
        .rate_limit(1000);
    Sandbox::start(SandboxConfig::from_args(args).unwrap())
        .await
        .unwrap()
}

fn client() -> reqwest::Client {
    reqwest::Client::builder().no_proxy().build().unwrap()
}

fn committed(service: &str) -> Value {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("src/openapi")
        .join(format!("{service}.json"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[tokio::test]
async fn deepmotion_serves_its_document_without_a_session() {
    let sandbox = start().await;
    let response = client()
        .get(format!("{}/openapi.json", sandbox.deepmotion_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/openapi+json")
    );
    let mut served: Value = response.json().await.unwrap();
    assert_eq!(served["servers"][0]["url"], sandbox.deepmotion_url());
    let mut expected = committed("deepmotion");
    served.as_object_mut().unwrap().remove("servers");
    expected.as_object_mut().unwrap().remove("servers");
    assert_eq!(
        served, expected,
        "the sandbox serves the committed document"
    );
    sandbox.shutdown().await;
}

#[tokio::test]
async fn motiondynamic_serves_its_document_at_the_rest_root() {
    let sandbox = start().await;
    // Like PostgREST's root, it needs no token.
    let response = client()
        .get(format!("{}/rest/", sandbox.motiondynamic_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let mut served: Value = response.json().await.unwrap();
    assert_eq!(served["servers"][0]["url"], sandbox.motiondynamic_url());
    let mut expected = committed("motiondynamic");
    served.as_object_mut().unwrap().remove("servers");
    expected.as_object_mut().unwrap().remove("servers");
    assert_eq!(served, expected);
    // The tables still need one.
    let response = client()
        .get(format!("{}/rest/themes", sandbox.motiondynamic_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    let response = client()
        .get(format!("{}/rest/themes", sandbox.motiondynamic_url()))
        .bearer_auth(mint_token(SECRET, 60))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    sandbox.shutdown().await;
}

/// Checks `body`, answered with `status` to `method path`, against the
/// response schema the document gives for that status (formats included,
/// as schemathesis checks them).
fn assert_conforms(doc: &Value, method: &str, path: &str, status: u16, body: &Value) {
    let response = &doc["paths"][path][method]["responses"][status.to_string()];
    assert!(
        response.is_object(),
        "{status} is not documented for {method} {path}"
    );
    let mut schema = response["content"]["application/json"]["schema"].clone();
    assert!(
        schema.is_object(),
        "{method} {path} {status} has a JSON schema"
    );
    schema["components"] = doc["components"].clone();
    let validator = jsonschema::options()
        .with_draft(jsonschema::Draft::Draft202012)
        .should_validate_formats(true)
        .build(&schema)
        .unwrap();
    let errors: Vec<String> = validator.iter_errors(body).map(|e| e.to_string()).collect();
    assert!(
        errors.is_empty(),
        "{method} {path} {status}: {errors:?} in {body}"
    );
}

/// Found by schemathesis: a generation whose values name no parameter is
/// stored and discarded, not refused, and reading it back must still match
/// the document (which therefore gives `parameter_id` no `uuid` format).
#[tokio::test]
async fn a_generation_with_a_non_uuid_parameter_id_conforms() {
    let sandbox = start().await;
    let doc = committed("motiondynamic");
    let token = mint_token(SECRET, 60);
    let response = client()
        .post(format!("{}/rest/generations", sandbox.motiondynamic_url()))
        .bearer_auth(&token)
        .header("Prefer", "return=representation")
        .json(&json!({
            "theme_id": "8239de5c-5cbd-4e39-a102-220e5354A551",
            "values": [{"parameter_id": "", "value": ""}],
            "webhook": "http://127.0.0.1:9/hook",
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let rows: Value = response.json().await.unwrap();
    // A value for no parameter of the theme breaks none of the document's
    // four checks: stored as given, not discarded.
    assert_eq!(rows[0]["status"], "pending");
    assert_eq!(rows[0]["values"][0]["parameter_id"], "");
    assert_conforms(&doc, "post", "/rest/generations", 201, &rows);
    let id = rows[0]["generation_id"].as_str().unwrap();
    let response = client()
        .get(format!(
            "{}/rest/generations?generation_id=eq.{id}",
            sandbox.motiondynamic_url()
        ))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let rows: Value = response.json().await.unwrap();
    assert_conforms(&doc, "get", "/rest/generations", 200, &rows);
    sandbox.shutdown().await;
}

async fn graphql(sandbox: &Sandbox, query: &str) -> Value {
    let response = client()
        .post(format!("{}/graphql", sandbox.motiondynamic_url()))
        .bearer_auth(mint_token(SECRET, 60))
        .json(&json!({ "query": query }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

/// Found by schemathesis: an `ID` argument written as an integer (which
/// GraphQL coerces to text) failed inside the resolver with "internal: not
/// a string".
#[tokio::test]
async fn graphql_id_arguments_may_be_integers() {
    let sandbox = start().await;
    let answer = graphql(&sandbox, "{ node(nodeId: 2147483647) { nodeId } }").await;
    assert_eq!(answer["data"]["node"], Value::Null, "{answer}");
    assert!(answer.get("errors").is_none(), "{answer}");
    let answer = graphql(
        &sandbox,
        "{ query { node(nodeId: -4047) { nodeId } parameterByParameterTypeId(parameterTypeId: \"x\") { title } } }",
    )
    .await;
    assert!(answer.get("errors").is_none(), "{answer}");
    sandbox.shutdown().await;
}

/// Found by schemathesis: errors caused by the request's arguments looked
/// like server failures to a generic client; they are labelled.
#[tokio::test]
async fn graphql_argument_errors_are_labelled_as_the_clients() {
    let sandbox = start().await;
    let answer = graphql(&sandbox, "{ allGenerations(first: -1) { totalCount } }").await;
    assert_eq!(
        answer["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
        "{answer}"
    );
    assert_eq!(
        answer["errors"][0]["message"], "`first` must not be negative",
        "{answer}"
    );
    let answer = graphql(
        &sandbox,
        "mutation { createGeneration(input: {generation: {themeId: \"00000000-0000-4000-8000-000000000000\", webhook: \"http://127.0.0.1:9/x\", values: []}}) { generation { generationId } } }",
    )
    .await;
    let extensions = &answer["errors"][0]["extensions"];
    assert_eq!(extensions["code"], "23503", "{answer}");
    assert_eq!(extensions["classification"], "BAD_REQUEST", "{answer}");
    sandbox.shutdown().await;
}
