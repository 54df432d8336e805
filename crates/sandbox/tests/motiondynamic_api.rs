//! The MotionDynamic emulator behaves as the document describes, over real
//! HTTP on 127.0.0.1: PostgREST reads, generations, JWT errors, rendering,
//! webhooks with retries, the rate limit, and GraphQL from the spec schema.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::http::StatusCode;
use motionkit_sandbox::{DISCARDED_HEADER, Sandbox, SandboxArgs, SandboxConfig, mint_token};
use serde_json::{Value, json};

const DEMO: &str = "8239de5c-5cbd-4e39-a102-220e5354a551";
const SECRET: &str = "test-secret";

fn specs() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("specs")
}

fn example(name: &str) -> Value {
    let text = std::fs::read_to_string(specs().join("examples/motiondynamic").join(name)).unwrap();
    serde_json::from_str(&text).unwrap()
}

async fn start(tune: impl FnOnce(&mut SandboxArgs)) -> Sandbox {
    let mut args = SandboxArgs::default()
        .time_scale(600.0)
        .jwt_secret(SECRET.into())
        .rate_limit(1000);
    tune(&mut args);
    Sandbox::start(SandboxConfig::from_args(args).unwrap())
        .await
        .unwrap()
}

fn token() -> String {
    mint_token(SECRET, 3600)
}

fn client() -> reqwest::Client {
    reqwest::Client::new()
}

/// A webhook receiver on 127.0.0.1 that answers `failures` 500s before
/// acknowledging with 200, and records every body.
struct Receiver {
    url: String,
    bodies: Arc<std::sync::Mutex<Vec<Value>>>,
    hits: Arc<AtomicUsize>,
}

async fn receiver(failures: usize) -> Receiver {
    let bodies = Arc::new(std::sync::Mutex::new(Vec::new()));
    let hits = Arc::new(AtomicUsize::new(0));
    let (b, h) = (bodies.clone(), hits.clone());
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |body: axum::Json<Value>| {
            let (b, h) = (b.clone(), h.clone());
            async move {
                let n = h.fetch_add(1, Ordering::SeqCst);
                b.lock().unwrap().push(body.0);
                if n < failures {
                    StatusCode::INTERNAL_SERVER_ERROR
                } else {
                    StatusCode::OK
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    Receiver { url, bodies, hits }
}

async fn wait_for(mut done: impl FnMut() -> bool) {
    for _ in 0..400 {
        if done() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("condition not reached within 10 s");
}

#[tokio::test]
async fn documented_theme_listing_returns_the_demo_theme_exactly() {
    let sandbox = start(|_| {}).await;
    let url = format!(
        "{}/rest/themes?select=theme_id,title,description,parameters",
        sandbox.motiondynamic_url()
    );
    let response = client()
        .get(url)
        .header("Authorization", format!("Bearer {}", token()))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-range"]
            .to_str()
            .unwrap()
            .starts_with("0-")
    );
    let themes: Vec<Value> = response.json().await.unwrap();
    assert!(themes.len() >= 3, "the demo theme and a few more");
    let demo = themes.iter().find(|t| t["theme_id"] == DEMO).unwrap();
    assert_eq!(demo, &example("demo_theme.json"));
    sandbox.shutdown().await;
}

#[tokio::test]
async fn postgrest_filters_order_paging_and_embedding() {
    let sandbox = start(|_| {}).await;
    let base = sandbox.motiondynamic_url();
    let get = |query: String| {
        client()
            .get(format!("{base}/rest/themes?{query}"))
            .header("Authorization", format!("Bearer {}", token()))
            .header("Prefer", "count=exact")
            .send()
    };

    let upper = DEMO.to_uppercase();
    let response = get(format!(
        "theme_id=eq.{upper}&select=theme_id,parameters(type)"
    ))
    .await
    .unwrap();
    let rows: Vec<Value> = response.json().await.unwrap();
    assert_eq!(rows.len(), 1, "UUIDs match case-insensitively");
    assert_eq!(rows[0]["parameters"].as_array().unwrap().len(), 11);
    assert_eq!(rows[0]["parameters"][0], json!({"type": "color"}));

    let response = get("select=title&order=title.asc&limit=1&offset=1".into())
        .await
        .unwrap();
    assert_eq!(response.headers()["content-range"], "1-1/3");
    let rows: Vec<Value> = response.json().await.unwrap();
    assert_eq!(rows, vec![json!({"title": "Product demo"})]);

    let response = get(format!(
        "theme_id=in.({DEMO},5a3e6f10-7c1b-4d2e-9f3a-0b1c2d3e4f50)&select=theme_id"
    ))
    .await
    .unwrap();
    let rows: Vec<Value> = response.json().await.unwrap();
    assert_eq!(rows.len(), 2);

    let response = get("theme_id=like.x".into()).await.unwrap();
    let rows: Vec<Value> = response.json().await.unwrap();
    assert!(rows.is_empty());

    let response = get("theme_id=whatever.x".into()).await.unwrap();
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["code"], "PGRST100");
    for key in ["message", "details", "hint"] {
        assert!(
            body.get(key).is_some(),
            "PostgREST error bodies carry {key}"
        );
    }

    let response = get("select=nope".into()).await.unwrap();
    assert_eq!(response.status(), 400);
    assert_eq!(response.json::<Value>().await.unwrap()["code"], "42703");

    let response = client()
        .get(format!("{base}/rest/themez"))
        .header("Authorization", format!("Bearer {}", token()))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    assert_eq!(response.json::<Value>().await.unwrap()["code"], "PGRST205");
    sandbox.shutdown().await;
}

#[tokio::test]
async fn missing_expired_and_forged_tokens_get_postgrest_401s() {
    let sandbox = start(|_| {}).await;
    let url = format!("{}/rest/themes", sandbox.motiondynamic_url());
    let cases = [
        (None, "PGRST302"),
        (Some(mint_token(SECRET, 0)), "PGRST303"),
        (Some(mint_token("someone-else", 3600)), "PGRST301"),
    ];
    for (token, code) in cases {
        let mut request = client().get(&url);
        if let Some(token) = &token {
            request = request.header("Authorization", format!("Bearer {token}"));
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 401, "{code}");
        assert!(response.headers().contains_key("www-authenticate"));
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["code"], code);
        if code == "PGRST303" {
            assert_eq!(body["message"], "JWT expired");
        }
    }
    sandbox.shutdown().await;
}

#[tokio::test]
async fn documented_generation_renders_and_calls_the_webhook_with_a_downloadable_mp4() {
    let sandbox = start(|_| {}).await;
    let hook = receiver(0).await;
    let mut body = example("generation_request.json");
    assert_eq!(body["theme_id"], "8239de5c-5cbd-4e39-a102-220e5354A551");
    body["webhook"] = hook.url.clone().into();

    let response = client()
        .post(format!("{}/rest/generations", sandbox.motiondynamic_url()))
        .header("Content-Type", "application/json")
        .header("Authorization", format!("Bearer {}", token()))
        .header("Prefer", "return=representation")
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    assert!(!response.headers().contains_key(DISCARDED_HEADER));
    let rows: Vec<Value> = response.json().await.unwrap();
    let id = rows[0]["generation_id"].as_str().unwrap().to_owned();
    assert_eq!(rows[0]["status"], "pending");
    assert_eq!(rows[0]["theme_id"], DEMO);

    let hits = hook.hits.clone();
    wait_for(|| hits.load(Ordering::SeqCst) >= 1).await;
    let video = hook.bodies.lock().unwrap()[0]["video"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(video.ends_with(".mp4"));
    let bytes = client()
        .get(&video)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let reader =
        mp4::Mp4Reader::read_header(std::io::Cursor::new(bytes.clone()), bytes.len() as u64)
            .expect("a real MP4 container");
    assert_eq!(reader.tracks().len(), 1);

    let response = client()
        .get(format!(
            "{}/rest/generations?generation_id=eq.{}",
            sandbox.motiondynamic_url(),
            id.to_uppercase()
        ))
        .header("Authorization", format!("Bearer {}", token()))
        .send()
        .await
        .unwrap();
    let rows: Vec<Value> = response.json().await.unwrap();
    assert_eq!(rows[0]["status"], "done");
    assert_eq!(rows[0]["video"], video.as_str());
    sandbox.shutdown().await;
}

#[tokio::test]
async fn the_documents_curl_body_is_accepted_byte_for_byte() {
    let sandbox = start(|_| {}).await;
    let seed =
        std::fs::read_to_string(specs().join("examples/motiondynamic/generation_request.json"))
            .unwrap();
    let response = client()
        .post(format!("{}/rest/generations", sandbox.motiondynamic_url()))
        .header("Content-Type", "application/json")
        .header("Authorization", format!("Bearer {}", token()))
        .body(seed)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    assert_eq!(
        response.text().await.unwrap(),
        "",
        "no body without return=representation"
    );
    // webhook.site is unreachable offline: the attempt is recorded, not acknowledged.
    let store = sandbox.motiondynamic().store();
    wait_for(|| !store.deliveries().is_empty()).await;
    assert_eq!(store.deliveries()[0].status, None);
    sandbox.shutdown().await;
}

#[tokio::test]
async fn invalid_values_are_accepted_but_discarded_without_a_webhook() {
    let sandbox = start(|_| {}).await;
    let hook = receiver(0).await;
    let mut body = example("generation_request.json");
    body["webhook"] = hook.url.clone().into();
    body["values"][3]["value"] = "12,1".into();
    body["values"][8]["value"] = "#0000FF".into();
    let response = client()
        .post(format!("{}/rest/generations", sandbox.motiondynamic_url()))
        .header("Authorization", format!("Bearer {}", token()))
        .header("Prefer", "return=representation")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let reason = response.headers()[DISCARDED_HEADER]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(reason.contains("l3_prix_01"), "{reason}");
    assert!(reason.contains("background_color"), "{reason}");
    let rows: Vec<Value> = response.json().await.unwrap();
    assert_eq!(rows[0]["status"], "discarded");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(hook.hits.load(Ordering::SeqCst), 0);
    assert_eq!(
        sandbox.motiondynamic().store().stats.to_json()["discarded"],
        1
    );
    sandbox.shutdown().await;
}

#[tokio::test]
async fn bad_generation_bodies_get_postgrest_errors() {
    let sandbox = start(|_| {}).await;
    let post = |body: Value| {
        client()
            .post(format!("{}/rest/generations", sandbox.motiondynamic_url()))
            .header("Authorization", format!("Bearer {}", token()))
            .json(&body)
            .send()
    };
    let cases = [
        (json!({"webhook": "http://x", "values": []}), 400, "23502"),
        (
            json!({"theme_id": "nope", "webhook": "http://x", "values": []}),
            400,
            "22P02",
        ),
        (
            json!({"theme_id": "00000000-0000-4000-8000-000000000000", "webhook": "http://x", "values": []}),
            409,
            "23503",
        ),
        (
            json!({"theme_id": DEMO, "webhook": "http://x", "values": [], "colour": 1}),
            400,
            "PGRST204",
        ),
    ];
    for (body, status, code) in cases {
        let response = post(body).await.unwrap();
        assert_eq!(response.status(), status, "{code}");
        assert_eq!(response.json::<Value>().await.unwrap()["code"], code);
    }
    sandbox.shutdown().await;
}

#[tokio::test]
async fn webhooks_are_retried_until_a_200() {
    let sandbox = start(|_| {}).await;
    let hook = receiver(2).await;
    let mut body = example("generation_request.json");
    body["webhook"] = hook.url.clone().into();
    let response = client()
        .post(format!("{}/rest/generations", sandbox.motiondynamic_url()))
        .header("Authorization", format!("Bearer {}", token()))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let hits = hook.hits.clone();
    wait_for(|| hits.load(Ordering::SeqCst) >= 3).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(
        hook.hits.load(Ordering::SeqCst),
        3,
        "no delivery after the 200"
    );
    let statuses: Vec<_> = sandbox
        .motiondynamic()
        .store()
        .deliveries()
        .iter()
        .map(|d| d.status)
        .collect();
    assert_eq!(statuses, vec![Some(500), Some(500), Some(200)]);
    sandbox.shutdown().await;
}

#[tokio::test]
async fn past_the_rate_limit_clients_are_blocked_with_retry_after() {
    let sandbox = start(|args| {
        args.rate_limit = 5;
        args.rate_limit_block = 60.0;
    })
    .await;
    let url = format!(
        "{}/rest/themes?select=theme_id",
        sandbox.motiondynamic_url()
    );
    let mut statuses = Vec::new();
    let mut retry_after = None;
    for _ in 0..7 {
        let response = client()
            .get(&url)
            .header("Authorization", format!("Bearer {}", token()))
            .send()
            .await
            .unwrap();
        if response.status() == 429 {
            retry_after = response
                .headers()
                .get("retry-after")
                .map(|v| v.to_str().unwrap().parse::<u64>().unwrap());
        }
        statuses.push(response.status().as_u16());
    }
    assert_eq!(&statuses[..5], &[200; 5]);
    assert_eq!(&statuses[5..], &[429, 429], "blocked, not just throttled");
    let wait = retry_after.unwrap();
    assert!((59..=60).contains(&wait), "{wait}");
    assert_eq!(sandbox.motiondynamic().rate_limited(), 2);
    let stats: Value = client()
        .get(format!("{}/sandbox/stats", sandbox.motiondynamic_url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(stats["rate_limited"], 2);
    sandbox.shutdown().await;
}

fn graphql_document(name: &str) -> String {
    std::fs::read_to_string(specs().join("motiondynamic/queries").join(name)).unwrap()
}

async fn graphql(sandbox: &Sandbox, query: &str, variables: Value) -> Value {
    client()
        .post(format!("{}/graphql", sandbox.motiondynamic_url()))
        .header("Authorization", format!("Bearer {}", token()))
        .json(&json!({"query": query, "variables": variables}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[tokio::test]
async fn graphql_serves_every_operation_of_the_spec_documents() {
    let sandbox = start(|_| {}).await;
    let themes = graphql(
        &sandbox,
        &graphql_document("themes.graphql"),
        json!({"first": 2}),
    )
    .await;
    assert!(themes.get("errors").is_none(), "{themes}");
    let all = &themes["data"]["allThemes"];
    assert_eq!(all["totalCount"], 3);
    assert_eq!(all["nodes"].as_array().unwrap().len(), 2);
    assert_eq!(all["pageInfo"]["hasNextPage"], true);

    let theme = graphql(
        &sandbox,
        &graphql_document("theme_by_id.graphql"),
        json!({"themeId": DEMO.to_uppercase()}),
    )
    .await;
    let parameters = &theme["data"]["themeByThemeId"]["parametersByThemeId"]["nodes"];
    assert_eq!(parameters.as_array().unwrap().len(), 11, "{theme}");
    let price = parameters
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["layer"] == "l3_prix_01")
        .unwrap();
    assert_eq!(price["type"], "TEXT");
    assert_eq!(price["pattern"], "^[0-9\\.]+$");
    assert_eq!(price["maxLength"], 5);

    let hook = receiver(0).await;
    let request = example("generation_request.json");
    let created = graphql(
        &sandbox,
        &graphql_document("create_generation.graphql"),
        json!({"themeId": DEMO, "webhook": hook.url, "values": request["values"], "clientMutationId": "m1"}),
    )
    .await;
    assert!(created.get("errors").is_none(), "{created}");
    let payload = &created["data"]["createGeneration"];
    assert_eq!(payload["clientMutationId"], "m1");
    assert_eq!(payload["generation"]["status"], "PENDING");
    let id = payload["generation"]["generationId"]
        .as_str()
        .unwrap()
        .to_owned();

    let hits = hook.hits.clone();
    wait_for(|| hits.load(Ordering::SeqCst) >= 1).await;
    let read = graphql(
        &sandbox,
        &graphql_document("generation_by_id.graphql"),
        json!({"generationId": id}),
    )
    .await;
    let generation = &read["data"]["generationByGenerationId"];
    assert_eq!(generation["status"], "DONE", "{read}");
    assert!(generation["video"].as_str().unwrap().ends_with(".mp4"));

    let node_id = graphql(
        &sandbox,
        "query($id: UUID!) { themeByThemeId(themeId: $id) { nodeId } }",
        json!({"id": DEMO}),
    )
    .await["data"]["themeByThemeId"]["nodeId"]
        .as_str()
        .unwrap()
        .to_owned();
    let node = graphql(
        &sandbox,
        "query($n: ID!) { node(nodeId: $n) { nodeId ... on Theme { title } } }",
        json!({"n": node_id}),
    )
    .await;
    assert_eq!(node["data"]["node"]["title"], "Product demo", "{node}");

    let missing = graphql(
        &sandbox,
        "query { themeByThemeId(themeId: \"00000000-0000-4000-8000-000000000000\") { title } }",
        json!({}),
    )
    .await;
    assert_eq!(missing["data"]["themeByThemeId"], Value::Null);
    let bad = graphql(
        &sandbox,
        "query { allThemes { nodes { nope } } }",
        json!({}),
    )
    .await;
    assert!(!bad["errors"].as_array().unwrap().is_empty());
    sandbox.shutdown().await;
}

#[tokio::test]
async fn graphql_mutation_errors_keep_postgrest_codes() {
    let sandbox = start(|_| {}).await;
    let created = graphql(
        &sandbox,
        &graphql_document("create_generation.graphql"),
        json!({"themeId": "00000000-0000-4000-8000-000000000000", "webhook": "http://127.0.0.1:9/x", "values": []}),
    )
    .await;
    assert_eq!(created["data"]["createGeneration"], Value::Null);
    assert_eq!(created["errors"][0]["extensions"]["code"], "23503");
    sandbox.shutdown().await;
}

/// Type name → field name → (type, arguments) of an SDL document.
fn shape(sdl: &str) -> std::collections::BTreeMap<String, Vec<String>> {
    use async_graphql::parser::types::{TypeKind, TypeSystemDefinition};
    let document = async_graphql::parser::parse_schema(sdl).unwrap();
    let mut out = std::collections::BTreeMap::new();
    for definition in document.definitions {
        let TypeSystemDefinition::Type(ty) = definition else {
            continue;
        };
        let name = ty.node.name.node.to_string();
        let members: Vec<String> = match ty.node.kind {
            TypeKind::Object(o) => o
                .fields
                .iter()
                .map(|f| {
                    let args: Vec<String> = f
                        .node
                        .arguments
                        .iter()
                        .map(|a| format!("{}: {}", a.node.name.node, a.node.ty.node))
                        .collect();
                    format!(
                        "{}({}): {}",
                        f.node.name.node,
                        args.join(", "),
                        f.node.ty.node
                    )
                })
                .collect(),
            TypeKind::Interface(i) => i
                .fields
                .iter()
                .map(|f| format!("{}: {}", f.node.name.node, f.node.ty.node))
                .collect(),
            TypeKind::InputObject(i) => i
                .fields
                .iter()
                .map(|f| format!("{}: {}", f.node.name.node, f.node.ty.node))
                .collect(),
            TypeKind::Enum(e) => e
                .values
                .iter()
                .map(|v| v.node.value.node.to_string())
                .collect(),
            TypeKind::Scalar => vec![],
            TypeKind::Union(u) => u.members.iter().map(|m| m.node.to_string()).collect(),
        };
        let mut members = members;
        members.sort();
        out.insert(name, members);
    }
    out
}

#[tokio::test]
async fn served_schema_matches_the_spec_file() {
    let sandbox = start(|_| {}).await;
    let spec = std::fs::read_to_string(specs().join("motiondynamic.graphql")).unwrap();
    let served = sandbox.motiondynamic().sdl();
    let spec_shape = shape(&spec);
    let served_shape: std::collections::BTreeMap<_, _> = shape(&served)
        .into_iter()
        .filter(|(name, _)| spec_shape.contains_key(name) || !name.starts_with("__"))
        .collect();
    assert_eq!(served_shape, spec_shape);
    sandbox.shutdown().await;
}
