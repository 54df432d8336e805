//! The MotionDynamic client against the sandbox on 127.0.0.1, over real
//! HTTP: the document's two curl examples replayed through the client, every
//! operation through REST and GraphQL, validation properties (invalid values
//! never reach the server), 100 concurrent submitters under the 5 req/s
//! limit, webhook retries, duplicates and forgeries, an expired JWT,
//! ambiguous failures recovered without duplicates, picture checks and the
//! read-back fallback from a cold start. The generation flows run against
//! both sandbox modes: a token that may read generations, and a plain
//! PostgREST whose role may only insert them (`--postgrest-mode plain`).

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use motionkit_models::motiondynamic::{
    DEMO_THEME_ID, GenerationRequest, GenerationStatus, GenerationValue, Theme,
};
use motionkit_motiondynamic::operations::{self, Themes};
use motionkit_motiondynamic::{
    Client, ClientBuilder, Error, Generate, GenerationsQuery, RateLimit, ReadyVia,
    ReturnPreference, Select, Sent, ThemeColumn, ThemesQuery, WaitOptions, WebhookReceiver,
};
use motionkit_sandbox::mint_token;
use motionkit_sandbox::{PostgrestMode, Sandbox, SandboxArgs};
use motionkit_tests::{sandbox, specs};
use motionkit_validation::Rule;
use serde_json::{Value, json};
use tokio::net::TcpListener;

const SECRET: &str = "motionkit-e2e-jwt-secret";
const TEASER: &str = "5a3e6f10-7c1b-4d2e-9f3a-0b1c2d3e4f50";
const PHOTO: &str = "9c1d2e3f-4a5b-4c6d-8e7f-a0b1c2d3e4f5";
/// A port nothing listens on.
const DEAD_HOOK: &str = "http://127.0.0.1:9/hook";

// ---------------------------------------------------------------- helpers

/// A sandbox with the published rate limit (5 req/s) but a short block, so
/// that a surprise 429 would fail a test instead of stalling it a minute.
async fn start(tune: impl FnOnce(&mut SandboxArgs)) -> Sandbox {
    sandbox(|args| {
        args.jwt_secret = SECRET.into();
        args.rate_limit_block = 2.0;
        tune(args);
    })
    .await
}

fn token() -> String {
    mint_token(SECRET, 3600)
}

fn builder(sandbox: &Sandbox) -> ClientBuilder {
    Client::builder(sandbox.motiondynamic_url(), token())
        .recovery_delay(Duration::from_millis(20))
        .wait(
            WaitOptions::motiondynamic()
                .timeout(Duration::from_secs(20))
                .interval_with_webhook(Duration::from_millis(500))
                .every(Duration::from_millis(50)),
        )
}

fn client(sandbox: &Sandbox) -> Client {
    builder(sandbox).build().unwrap()
}

fn example(name: &str) -> Value {
    let path = specs().join("examples/motiondynamic").join(name);
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn demo_theme() -> Theme {
    serde_json::from_value(example("demo_theme.json")).unwrap()
}

fn stat(sandbox: &Sandbox, name: &str) -> u64 {
    sandbox.motiondynamic().store().stats.to_json()[name]
        .as_u64()
        .unwrap()
}

async fn bind() -> (TcpListener, String) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    (listener, url)
}

fn serve(listener: TcpListener, router: Router) {
    tokio::spawn(async move { axum::serve(listener, router).await });
}

/// A [`WebhookReceiver`] served under `/hooks` on 127.0.0.1.
async fn hooks() -> WebhookReceiver {
    let (listener, base) = bind().await;
    let receiver = WebhookReceiver::new(format!("{base}/hooks"));
    serve(listener, Router::new().nest("/hooks", receiver.router()));
    receiver
}

fn png(width: u32, height: u32) -> Vec<u8> {
    let mut b = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR".to_vec();
    b.extend_from_slice(&width.to_be_bytes());
    b.extend_from_slice(&height.to_be_bytes());
    b.extend_from_slice(&[8, 6, 0, 0, 0, 0, 0, 0, 0]);
    b.extend_from_slice(b"\0\0\0\0IEND\xaeB`\x82");
    b
}

fn gif(width: u16, height: u16) -> Vec<u8> {
    let mut b = b"GIF89a".to_vec();
    b.extend_from_slice(&width.to_le_bytes());
    b.extend_from_slice(&height.to_le_bytes());
    b.extend_from_slice(&[0, 0, 0, b';']);
    b
}

/// A JPEG whose size (SOF0) sits after two full 64 KiB metadata segments.
fn jpeg_far(width: u16, height: u16) -> Vec<u8> {
    let mut b = vec![0xFF, 0xD8];
    for _ in 0..2 {
        b.extend_from_slice(&[0xFF, 0xE1, 0xFF, 0xFF]);
        b.extend(std::iter::repeat_n(0u8, 65533));
    }
    b.extend_from_slice(&[0xFF, 0xC0, 0, 17, 8]);
    b.extend_from_slice(&height.to_be_bytes());
    b.extend_from_slice(&width.to_be_bytes());
    b.extend_from_slice(&[3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1, 0xFF, 0xD9]);
    b
}

/// A request to the picture host: file name and `Range` header.
type Fetch = (String, Option<String>);

/// A picture host on 127.0.0.1 that honours `Range` and records every
/// request as (file, Range header).
#[derive(Clone, Default)]
struct Pictures {
    base: String,
    requests: Arc<Mutex<Vec<Fetch>>>,
    flaky_served: Arc<AtomicUsize>,
}

impl Pictures {
    fn url(&self, name: &str) -> String {
        format!("{}/{name}", self.base)
    }

    fn ranges(&self, name: &str) -> Vec<Option<String>> {
        self.requests
            .lock()
            .unwrap()
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, r)| r.clone())
            .collect()
    }
}

async fn pictures() -> Pictures {
    async fn picture(
        State(host): State<Pictures>,
        Path(name): Path<String>,
        headers: HeaderMap,
    ) -> Response {
        let range = headers
            .get("range")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        host.requests
            .lock()
            .unwrap()
            .push((name.clone(), range.clone()));
        let bytes = match name.as_str() {
            "product.png" => png(1200, 680),
            "photo.png" => png(1024, 768),
            "small.png" => png(640, 480),
            "animation" => gif(1000, 1000),
            "far.jpg" => jpeg_far(1920, 1080),
            // Served once: gone by the time the renderer fetches it.
            "flaky.png" if host.flaky_served.fetch_add(1, Ordering::SeqCst) == 0 => png(1024, 768),
            _ => return (StatusCode::NOT_FOUND, "no such picture").into_response(),
        };
        let end = range
            .as_deref()
            .and_then(|r| r.strip_prefix("bytes=0-"))
            .and_then(|end| end.parse::<usize>().ok());
        match end {
            Some(end) => {
                let last = end.min(bytes.len() - 1);
                let mut response =
                    (StatusCode::PARTIAL_CONTENT, bytes[..=last].to_vec()).into_response();
                response.headers_mut().insert(
                    "content-range",
                    format!("bytes 0-{last}/{}", bytes.len()).parse().unwrap(),
                );
                response
            }
            None => (StatusCode::OK, bytes).into_response(),
        }
    }
    let (listener, base) = bind().await;
    let host = Pictures {
        base,
        ..Pictures::default()
    };
    serve(
        listener,
        Router::new()
            .route("/{name}", axum::routing::get(picture))
            .with_state(host.clone()),
    );
    host
}

/// The document's POST body values, with the picture served locally (the
/// sandbox has no network).
fn documented_values(pictures: &Pictures) -> Vec<GenerationValue> {
    let request: GenerationRequest =
        serde_json::from_value(example("generation_request.json")).unwrap();
    request
        .values
        .into_iter()
        .map(|mut v| {
            if v.parameter_id == "867b9e64-0869-4631-be06-426eb46daf0d" {
                v.value = pictures.url("product.png");
            }
            v
        })
        .collect()
}

fn documented_generate(theme: &Theme, pictures: &Pictures) -> Generate {
    documented_values(pictures)
        .into_iter()
        .fold(Generate::new(theme), |g, v| g.set(v.parameter_id, v.value))
}

fn sorted(mut values: Vec<GenerationValue>) -> Vec<(String, String)> {
    values.sort_by(|a, b| a.parameter_id.cmp(&b.parameter_id));
    values
        .into_iter()
        .map(|v| (v.parameter_id, v.value))
        .collect()
}

fn violations(error: &Error) -> Vec<(String, Rule, String)> {
    error
        .violations()
        .unwrap_or_else(|| panic!("expected a validation error, got {error}"))
        .iter()
        .map(|v| (v.field.clone(), v.rule, v.value.clone()))
        .collect()
}

// ------------------------------------------------- the document's examples

#[tokio::test]
async fn documented_theme_listing_returns_the_demo_theme_exactly() {
    let sandbox = start(|_| {}).await;
    let client = client(&sandbox);

    // `?select=theme_id,title,description,parameters` is the default select.
    let themes = client.themes(&ThemesQuery::new()).await.unwrap();
    assert_eq!(themes.len(), 3);
    let demo = themes.iter().find(|t| t.theme_id == DEMO_THEME_ID).unwrap();
    assert_eq!(
        serde_json::to_value(demo).unwrap(),
        example("demo_theme.json")
    );
    assert_eq!(demo.parameters.as_ref().unwrap().len(), 11);

    // One theme by id, in any case; unknown ids and non-UUIDs.
    assert_eq!(&client.demo_theme().await.unwrap(), demo);
    assert_eq!(
        &client.theme(&DEMO_THEME_ID.to_uppercase()).await.unwrap(),
        demo
    );
    let missing = client
        .theme("00000000-0000-4000-8000-000000000000")
        .await
        .unwrap_err();
    assert!(
        matches!(&missing, Error::NotFound { what: "theme", id } if id == "00000000-0000-4000-8000-000000000000"),
        "{missing}"
    );
    let requests = stat(&sandbox, "requests");
    let bad = client.theme("8239de5c; drop table").await.unwrap_err();
    assert_eq!(violations(&bad)[0].1, Rule::Uuid);
    assert_eq!(
        stat(&sandbox, "requests"),
        requests,
        "a malformed id is refused before sending"
    );
    sandbox.shutdown().await;
}

/// The document's generation from POST to a playable MP4, against a
/// sandbox whose token may read generations (`Representation`) or only
/// insert them (`Plain`), with the client asking for the row or not.
async fn documented_flow(mode: PostgrestMode, prefer: ReturnPreference) {
    let plain = mode == PostgrestMode::Plain;
    let sandbox = start(|args| args.postgrest_mode = mode).await;
    let pictures = pictures().await;
    let receiver = hooks().await;
    let client = builder(&sandbox)
        .webhooks(receiver.clone())
        .return_preference(prefer)
        .build()
        .unwrap();

    let themes = client.themes(&ThemesQuery::new()).await.unwrap();
    let theme = themes.iter().find(|t| t.theme_id == DEMO_THEME_ID).unwrap();
    // The document's values, by parameter id as in its curl body.
    let submission = documented_generate(theme, &pictures)
        .send(&client)
        .await
        .unwrap();
    assert!(submission.confirmed());
    assert!(!submission.adopted());
    match (plain, prefer) {
        (false, ReturnPreference::Representation) => {
            assert_eq!(
                submission.generation().unwrap().status,
                Some(GenerationStatus::Pending)
            );
            assert_eq!(submission.attempts(), 1);
        }
        // The document's request: no row, the id from `Location`.
        (false, _) => {
            assert!(submission.generation().is_none());
            assert!(submission.id().is_some());
            assert_eq!(submission.attempts(), 1);
        }
        // No row, no `Location`, reads refused: the id comes later.
        (true, ReturnPreference::Representation) => {
            assert_eq!(submission.id(), None);
            assert_eq!(submission.attempts(), 2, "refused, then minimal");
        }
        (true, _) => {
            assert_eq!(submission.id(), None);
            assert_eq!(submission.attempts(), 1);
        }
    }
    // One generation; a second POST only after a refusal that created
    // nothing (asking for the row in plain mode).
    let posts = if plain && prefer == ReturnPreference::Representation {
        2
    } else {
        1
    };
    assert_eq!(stat(&sandbox, "generations"), 1);
    assert_eq!(stat(&sandbox, "generation_posts"), posts);
    assert_eq!(client.reads_refused(), plain);
    if plain {
        assert!(stat(&sandbox, "permission_denied") >= 1);
    }
    // The picture's first 64 KiB were checked by the client, then fetched
    // by the server.
    assert_eq!(
        pictures.ranges("product.png"),
        vec![Some("bytes=0-65535".to_owned()); 2]
    );

    let video = client.wait_one(&submission).await.unwrap();
    assert_eq!(video.via, ReadyVia::Webhook);
    let id = video
        .generation_id
        .clone()
        .expect("the id, from the webhook at the latest");
    if let Some(known) = submission.id() {
        assert_eq!(id, known);
    }

    // What reached the server is the document's body, with our own
    // per-generation callback URL.
    let generations = sandbox.motiondynamic().store().generations();
    assert_eq!(generations.len(), 1);
    let stored = &generations[0];
    assert_eq!(stored.generation_id, id);
    assert_eq!(
        sorted(stored.values.clone().unwrap()),
        sorted(documented_values(&pictures))
    );
    let webhook = stored.webhook.clone().unwrap();
    assert_eq!(webhook, submission.webhook_url());
    assert!(webhook.starts_with(&format!(
        "{}/{}/",
        receiver.public_base(),
        submission.webhook_key().unwrap()
    )));

    let dir = tempfile::tempdir().unwrap();
    let saved = client.download(&video, dir.path()).await.unwrap();
    assert_eq!(saved.path, dir.path().join(format!("{id}.mp4")));
    let bytes = std::fs::read(&saved.path).unwrap();
    assert_eq!(saved.bytes, bytes.len() as u64);
    assert_eq!(&bytes[4..8], b"ftyp");
    let mp4 = mp4::Mp4Reader::read_header(std::io::Cursor::new(&bytes), bytes.len() as u64)
        .expect("a real MP4 container");
    assert_eq!(mp4.tracks().len(), 1);

    match client.generation(&id).await {
        Ok(read) => {
            assert!(!plain);
            assert_eq!(read.status, Some(GenerationStatus::Done));
            assert_eq!(read.video, Some(Some(video.url.clone())));
        }
        Err(error) => {
            assert!(plain, "{error}");
            assert!(error.is_permission_denied(), "{error}");
            assert!(
                !error.is_auth(),
                "a role's permission, not the token: {error}"
            );
            assert_eq!(error.code(), Some("42501"));
            assert_eq!(error.status(), Some(403));
        }
    }
    assert_eq!(stat(&sandbox, "generations"), 1);
    assert_eq!(stat(&sandbox, "generation_posts"), posts);
    assert_eq!(stat(&sandbox, "rate_limited"), 0);
    sandbox.shutdown().await;
}

#[tokio::test]
async fn documented_generation_flows_from_webhook_to_a_playable_mp4() {
    documented_flow(PostgrestMode::Representation, ReturnPreference::Minimal).await;
}

#[tokio::test]
async fn documented_generation_asking_for_the_row_gets_it_when_reads_are_allowed() {
    documented_flow(
        PostgrestMode::Representation,
        ReturnPreference::Representation,
    )
    .await;
}

#[tokio::test]
async fn plain_postgrest_one_post_one_generation_and_the_mp4_through_the_webhook() {
    documented_flow(PostgrestMode::Plain, ReturnPreference::Minimal).await;
}

#[tokio::test]
async fn plain_postgrest_refusing_the_row_falls_back_to_minimal_without_a_duplicate() {
    documented_flow(PostgrestMode::Plain, ReturnPreference::Representation).await;
}

// --------------------------------------------- every operation, both APIs

/// A theme as JSON with its parameters in id order.
fn by_id(mut theme: Theme) -> Value {
    if let Some(parameters) = theme.parameters.as_mut() {
        parameters.sort_by(|a, b| a.id().cmp(b.id()));
    }
    serde_json::to_value(theme).unwrap()
}

#[tokio::test]
async fn every_operation_through_rest_and_graphql() {
    let sandbox = start(|args| args.rate_limit = 1000).await;
    let pictures = pictures().await;
    let receiver = hooks().await;
    let client = builder(&sandbox)
        .rate_limit(RateLimit::unlimited())
        .webhooks(receiver)
        .build()
        .unwrap();

    // REST reads with the typed query builder.
    let page = client
        .themes(
            &ThemesQuery::new()
                .select(Select::documented())
                .order(ThemeColumn::Title, motionkit_motiondynamic::Order::Asc)
                .limit(1)
                .offset(1),
        )
        .await
        .unwrap();
    assert_eq!(page.len(), 1);
    assert_eq!(page[0].title.as_deref(), Some("Product demo"));
    let two = client
        .themes(&ThemesQuery::new().in_(ThemeColumn::ThemeId, [TEASER, PHOTO]))
        .await
        .unwrap();
    assert_eq!(two.len(), 2);
    let titles: Vec<Value> = client
        .select_themes(
            &ThemesQuery::new()
                .select(Select::columns([ThemeColumn::Title]))
                .order(ThemeColumn::Title, motionkit_motiondynamic::Order::Desc),
        )
        .await
        .unwrap();
    assert_eq!(titles[0], json!({"title": "Social teaser"}));

    // A PostgREST error body becomes a typed error.
    let error = client
        .themes(&ThemesQuery::new().select(
            Select::columns([ThemeColumn::ThemeId]).embed(ThemeColumn::Parameters, ["nope"]),
        ))
        .await
        .unwrap_err();
    match &error {
        Error::Postgrest { status, error, .. } => {
            assert_eq!(*status, 400);
            assert_eq!(error.code.as_deref(), Some("42703"));
            assert!(error.message.contains("nope"), "{}", error.message);
        }
        other => panic!("expected a PostgREST error, got {other:?}"),
    }
    assert!(!error.is_temporary() && !error.is_auth());
    // PostgREST filters on any column: one the spec does not list as a
    // query parameter (`title`) is sent as the typed query builds it.
    let none = client
        .themes(&ThemesQuery::new().eq(ThemeColumn::Title, "no such title"))
        .await
        .unwrap();
    assert!(none.is_empty(), "{none:?}");
    let demo = client.demo_theme().await.unwrap();
    let by_title = client
        .themes(&ThemesQuery::new().eq(ThemeColumn::Title, demo.title.as_deref().unwrap()))
        .await
        .unwrap();
    assert_eq!(by_title.len(), 1, "{by_title:?}");

    // GraphQL reads give the same models as REST.
    let rest_demo = client.demo_theme().await.unwrap();
    let gql = client.graphql().themes(Some(2), None).await.unwrap();
    assert_eq!(gql.total_count, 3);
    assert!(gql.has_next_page);
    assert_eq!(gql.themes.len(), 2);
    let gql_demo = gql
        .themes
        .iter()
        .find(|t| t.theme_id == DEMO_THEME_ID)
        .unwrap();
    // GraphQL orders parameters by primary key; everything else is equal,
    // down to `"pattern": null` on texts only.
    assert_eq!(by_id(gql_demo.clone()), by_id(demo_theme()));
    assert_eq!(
        by_id(
            client
                .graphql()
                .theme(&DEMO_THEME_ID.to_uppercase())
                .await
                .unwrap()
        ),
        by_id(rest_demo.clone())
    );
    assert_eq!(
        by_id(client.graphql().theme(TEASER).await.unwrap()),
        by_id(client.theme(TEASER).await.unwrap())
    );
    let missing = client
        .graphql()
        .theme("00000000-0000-4000-8000-000000000000")
        .await
        .unwrap_err();
    assert!(matches!(missing, Error::NotFound { .. }), "{missing}");
    // Any typed operation runs as is.
    let raw = client
        .graphql()
        .run::<Themes>(operations::themes::Variables {
            first: None,
            offset: Some(2),
        })
        .await
        .unwrap();
    assert_eq!(raw.all_themes.unwrap().nodes.len(), 1);
    let count = client
        .graphql()
        .raw("{ allThemes { totalCount } }", json!({}))
        .await
        .unwrap();
    assert_eq!(count["allThemes"]["totalCount"], 3);
    // A field error: the error is typed and the partial data kept.
    let partial = client
        .graphql()
        .raw(
            "query Partial($n: Int) { ok: allThemes { totalCount } bad: allThemes(first: $n) { totalCount } }",
            json!({"n": -1}),
        )
        .await
        .unwrap_err();
    match &partial {
        Error::Graphql { errors, data, .. } => {
            assert!(errors[0].message.contains("negative"), "{partial}");
            let data = data.as_ref().expect("partial data");
            assert_eq!(data["ok"]["totalCount"], 3);
            assert!(data["bad"].is_null());
        }
        other => panic!("expected a GraphQL error, got {other:?}"),
    }

    // Create through both APIs, read back through both.
    let by_rest = documented_generate(&rest_demo, &pictures)
        .send(&client)
        .await
        .unwrap();
    let by_graphql = documented_generate(&rest_demo, &pictures)
        .send_graphql(&client)
        .await
        .unwrap();
    assert_eq!(
        by_graphql.generation().unwrap().status,
        Some(GenerationStatus::Pending)
    );
    assert_ne!(by_rest.id(), by_graphql.id());
    assert_eq!(
        by_graphql
            .generation()
            .unwrap()
            .webhook
            .as_deref()
            .map(|w| w.contains(by_graphql.webhook_key().unwrap())),
        Some(true)
    );
    for submission in [&by_rest, &by_graphql] {
        let video = client.wait_one(submission).await.unwrap();
        let id = submission.id().unwrap();
        let rest = client.generation(id).await.unwrap();
        let gql = client.graphql().generation(id).await.unwrap();
        assert_eq!(rest, gql);
        assert_eq!(rest.status, Some(GenerationStatus::Done));
        assert_eq!(rest.video, Some(Some(video.url)));
        assert_eq!(
            sorted(rest.values.unwrap()),
            sorted(documented_values(&pictures))
        );
    }
    let mine = client
        .generations(&GenerationsQuery::new().eq(
            motionkit_motiondynamic::GenerationColumn::ThemeId,
            DEMO_THEME_ID,
        ))
        .await
        .unwrap();
    assert_eq!(mine.len(), 2);
    let missing = client
        .graphql()
        .generation("00000000-0000-4000-8000-000000000000")
        .await
        .unwrap_err();
    assert!(matches!(
        missing,
        Error::NotFound {
            what: "generation",
            ..
        }
    ));

    // Server-side refusals, typed on both sides: a theme the server does
    // not have (valid values, so the client lets it through).
    let mut ghost = demo_theme();
    ghost.theme_id = "00000000-0000-4000-8000-00000000abcd".into();
    let rest_error = documented_generate(&ghost, &pictures)
        .send(&client)
        .await
        .unwrap_err();
    assert!(
        matches!(&rest_error, Error::Postgrest { status: 409, .. }),
        "{rest_error}"
    );
    assert_eq!(rest_error.code(), Some("23503"));
    let gql_error = documented_generate(&ghost, &pictures)
        .send_graphql(&client)
        .await
        .unwrap_err();
    match &gql_error {
        Error::Graphql { errors, data, .. } => {
            assert!(errors[0].message.contains("foreign key"), "{gql_error}");
            assert!(
                data.as_ref()
                    .is_none_or(|d| d["createGeneration"].is_null()),
                "{data:?}"
            );
        }
        other => panic!("expected a GraphQL error, got {other:?}"),
    }
    assert_eq!(gql_error.code(), Some("23503"));
    assert!(!gql_error.to_string().contains('\n'));
    assert_eq!(stat(&sandbox, "generations"), 2);
    sandbox.shutdown().await;
}

// ------------------------------------------------------------- properties

/// One generated parameter: (kind, constraint).
#[derive(Debug, Clone)]
enum Param {
    Text {
        min: usize,
        max: usize,
        pattern: Option<&'static str>,
    },
    Color,
    Output(Vec<&'static str>),
}

fn theme_json(id: &str, params: &[Param]) -> Value {
    let parameters: Vec<Value> = params
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let pid = format!("00000000-0000-4000-8000-{:012x}", i + 1);
            let (kind, parameter) = match p {
                Param::Text { min, max, pattern } => (
                    "text",
                    json!({"parameterType_id": pid, "layer": format!("t{i}"), "minLength": min, "maxLength": max, "pattern": pattern}),
                ),
                Param::Color => (
                    "color",
                    json!({"parameterType_id": pid, "layer": format!("c{i}"), "defaultColor": "FF00FF"}),
                ),
                Param::Output(layers) => (
                    "output",
                    json!({"parameterType_id": pid, "title": format!("o{i}"), "layers": layers}),
                ),
            };
            json!({"theme_id": id, "type": kind, "parameter": parameter})
        })
        .collect();
    json!({"theme_id": id, "title": "generated", "parameters": parameters})
}

/// An oracle written independently of the validation crate.
fn valid(param: &Param, value: &str) -> bool {
    match param {
        Param::Text { min, max, pattern } => {
            let len = value.chars().count();
            let fits = (*min..=*max).contains(&len);
            let matches = match pattern {
                None => true,
                Some("^[0-9\\.]+$") => {
                    !value.is_empty() && value.chars().all(|c| c.is_ascii_digit() || c == '.')
                }
                Some("^[a-z]+$") => {
                    !value.is_empty() && value.chars().all(|c| c.is_ascii_lowercase())
                }
                Some(other) => unreachable!("{other}"),
            };
            fits && matches
        }
        Param::Color => value.len() == 6 && value.chars().all(|c| c.is_ascii_hexdigit()),
        Param::Output(layers) => layers.contains(&value),
    }
}

fn param_strategy() -> impl proptest::strategy::Strategy<Value = Param> {
    use proptest::prelude::*;
    prop_oneof![
        (
            0usize..4,
            0usize..9,
            prop_oneof![
                Just(None),
                Just(Some("^[0-9\\.]+$")),
                Just(Some("^[a-z]+$"))
            ]
        )
            .prop_map(|(min, extra, pattern)| Param::Text {
                min,
                max: min + extra,
                pattern
            }),
        Just(Param::Color),
        proptest::sample::subsequence(vec!["MASTER", "SQUARE", "STORY"], 1..=3)
            .prop_map(Param::Output),
    ]
}

/// A value likely to sit near the rules' edges.
fn value_strategy() -> impl proptest::strategy::Strategy<Value = Option<String>> {
    use proptest::prelude::*;
    prop_oneof![
        1 => Just(None),
        3 => "[a-z]{0,12}".prop_map(Some),
        2 => "[0-9.]{0,7}".prop_map(Some),
        2 => "#?[0-9A-Fa-fG]{5,7}".prop_map(Some),
        2 => prop_oneof![Just("MASTER"), Just("SQUARE"), Just("STORY"), Just("master")]
            .prop_map(|s| Some(s.to_owned())),
        1 => "[a-zé ]{0,10}".prop_map(Some),
    ]
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

#[test]
fn generated_themes_and_values_are_judged_like_the_oracle_and_invalid_ones_are_never_sent() {
    use proptest::prelude::*;
    use proptest::test_runner::{Config, TestRunner};
    let rt = runtime();
    let sandbox = rt.block_on(start(|args| args.rate_limit = 1000));
    let client = builder(&sandbox)
        .rate_limit(RateLimit::unlimited())
        .return_preference(ReturnPreference::Representation)
        .build()
        .unwrap();
    let strategy = proptest::collection::vec(param_strategy(), 1..5).prop_flat_map(|params| {
        let n = params.len();
        (
            Just(params),
            proptest::collection::vec(value_strategy(), n),
            any::<bool>(),
        )
    });
    let mut runner = TestRunner::new(Config::with_cases(64));
    let invalid = AtomicUsize::new(0);
    runner
        .run(&strategy, |(params, values, unknown_key)| {
            let theme: Theme =
                serde_json::from_value(theme_json("00000000-0000-4000-8000-0000000000ff", &params))
                    .unwrap();
            let mut generate = Generate::new(&theme).webhook_url(DEAD_HOOK);
            let mut expected = !unknown_key;
            for (i, (param, value)) in params.iter().zip(&values).enumerate() {
                // A missing value is a warning: it never blocks.
                if let Some(value) = value {
                    expected &= valid(param, value);
                    // By id for even parameters, by layer name for odd ones.
                    let key = if i % 2 == 0 {
                        format!("00000000-0000-4000-8000-{:012x}", i + 1)
                    } else {
                        match param {
                            Param::Text { .. } => format!("t{i}"),
                            Param::Color => format!("c{i}"),
                            Param::Output(_) => format!("o{i}"),
                        }
                    };
                    generate = generate.set(key, value.clone());
                }
            }
            if unknown_key {
                generate = generate.set("no_such_layer", "x");
            }
            let verdict = generate.validate().errors_only();
            prop_assert_eq!(
                verdict.is_ok(),
                expected,
                "{:?} {:?} -> {:?}",
                params,
                values,
                verdict
            );
            if let Err(problems) = &verdict {
                invalid.fetch_add(1, Ordering::Relaxed);
                for v in problems.iter() {
                    prop_assert!(!v.field.is_empty());
                    prop_assert!(!v.limit.is_empty());
                }
                let sent = rt.block_on(generate.send(&client));
                let error = sent.unwrap_err();
                prop_assert!(error.violations().is_some(), "{}", error);
                prop_assert_eq!(error.sent(), Sent::NotSent);
            }
            Ok(())
        })
        .unwrap();
    assert!(
        invalid.load(Ordering::Relaxed) > 10,
        "the strategy finds invalid values"
    );
    assert_eq!(stat(&sandbox, "requests"), 0, "nothing invalid was sent");
    assert_eq!(stat(&sandbox, "generations"), 0);
    rt.block_on(sandbox.shutdown());
}

#[test]
fn the_client_and_the_server_agree_on_a_real_theme() {
    use proptest::prelude::*;
    use proptest::test_runner::{Config, TestRunner};
    let rt = runtime();
    let sandbox = rt.block_on(start(|args| args.rate_limit = 1000));
    let receiver = rt.block_on(hooks());
    let client = builder(&sandbox)
        .webhooks(receiver)
        .return_preference(ReturnPreference::Representation)
        .build()
        .unwrap();
    let theme = rt.block_on(client.theme(TEASER)).unwrap();
    let color = prop_oneof![
        3 => "[0-9A-Fa-f]{6}".prop_map(Some),
        2 => "#?[0-9A-Fa-fG]{5,7}".prop_map(Some),
        1 => Just(None),
    ];
    let format = prop_oneof![
        4 => prop_oneof![Just("SQUARE"), Just("STORY")].prop_map(|s| Some(s.to_owned())),
        2 => prop_oneof![Just("MASTER"), Just("square"), Just("")].prop_map(|s| Some(s.to_owned())),
        1 => Just(None),
    ];
    let strategy = (prop_oneof!["[A-Za-z ]{0,34}", "[é€]{28,31}"], color, format);
    let mut runner = TestRunner::new(Config::with_cases(24));
    let accepted = AtomicUsize::new(0);
    runner
        .run(&strategy, |(headline, color, format)| {
            let mut generate = Generate::new(&theme).set("headline", headline.clone());
            let mut expected = (1..=30).contains(&headline.chars().count());
            // Missing values are warnings, and the server renders without
            // them.
            if let Some(c) = &color {
                generate = generate.set("accent_color", c.clone());
                expected &= valid(&Param::Color, c);
            }
            if let Some(f) = &format {
                generate = generate.set("Format", f.clone());
                expected &= valid(&Param::Output(vec!["SQUARE", "STORY"]), f);
            }
            let before = stat(&sandbox, "requests");
            match rt.block_on(generate.send(&client)) {
                Ok(submission) => {
                    prop_assert!(expected, "accepted {:?} {:?} {:?}", headline, color, format);
                    prop_assert_eq!(
                        submission.generation().unwrap().status.clone(),
                        Some(GenerationStatus::Pending)
                    );
                    accepted.fetch_add(1, Ordering::Relaxed);
                }
                Err(error) => {
                    prop_assert!(!expected, "refused valid values: {}", error);
                    prop_assert!(error.violations().is_some(), "{}", error);
                    prop_assert_eq!(stat(&sandbox, "requests"), before);
                }
            }
            Ok(())
        })
        .unwrap();
    let accepted = accepted.load(Ordering::Relaxed) as u64;
    assert!(accepted > 0, "the strategy finds valid values too");
    assert_eq!(stat(&sandbox, "generations"), accepted);
    assert_eq!(
        stat(&sandbox, "discarded"),
        0,
        "the server discarded nothing the client let through"
    );
    rt.block_on(sandbox.shutdown());
}

// -------------------------------------------------------------- rate limit

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_concurrent_submitters_never_see_a_429() {
    let sandbox = start(|args| {
        args.rate_limit = 5;
        args.rate_limit_block = 60.0;
    })
    .await;
    let receiver = hooks().await;
    // The default rate limit: nothing configured.
    let client = Client::builder(sandbox.motiondynamic_url(), token())
        .webhooks(receiver)
        .build()
        .unwrap();
    let theme = client.theme(TEASER).await.unwrap();
    let started = Instant::now();
    let tasks: Vec<_> = (0..100)
        .map(|i| {
            let client = client.clone();
            let theme = theme.clone();
            tokio::spawn(async move {
                Generate::new(&theme)
                    .set("headline", format!("Teaser number {i}"))
                    .set("accent_color", "FFCC00")
                    .set("Format", if i % 2 == 0 { "SQUARE" } else { "STORY" })
                    .send(&client)
                    .await
            })
        })
        .collect();
    let mut ids = std::collections::BTreeSet::new();
    for task in tasks {
        let submission = task.await.unwrap().unwrap();
        assert_eq!(submission.attempts(), 1);
        ids.insert(submission.id().unwrap().to_owned());
    }
    let elapsed = started.elapsed();
    assert_eq!(ids.len(), 100);
    assert_eq!(client.stats().rate_limit_pauses, 0, "the client saw no 429");
    assert_eq!(client.stats().retries, 0);
    assert_eq!(sandbox.motiondynamic().rate_limited(), 0);
    assert_eq!(stat(&sandbox, "requests"), 101);
    assert_eq!(stat(&sandbox, "generations"), 100);
    // 101 requests at 5 per second after a burst of 4: about 19.4 s.
    assert!(
        elapsed >= Duration::from_secs(18),
        "paced, not bursted: {elapsed:?}"
    );
    sandbox.shutdown().await;
}

// ---------------------------------------------------------------- webhooks

/// Webhook retries, repeats and forgeries, with a token that may read
/// generations or only insert them.
async fn webhook_retries_and_repeats(mode: PostgrestMode) {
    let sandbox = start(|args| args.postgrest_mode = mode).await;
    let pictures = pictures().await;
    let (listener, base) = bind().await;
    let (events_tx, mut taken) = tokio::sync::mpsc::channel(64);
    let receiver = WebhookReceiver::new(format!("{base}/hooks")).with_events(events_tx);
    // The application confirms every event it takes.
    let (acted, mut events) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Some(event) = taken.recv().await {
            // Recorded first, then confirmed: the 200 follows the record.
            let _ = acted.send(event.event().clone());
            event.confirm();
        }
    });
    // The first two deliveries reach the receiver but their 200 is lost
    // (answered 500), so the API delivers again.
    let lose = Arc::new(AtomicUsize::new(2));
    let app = Router::new()
        .nest("/hooks", receiver.router())
        .layer(axum::middleware::from_fn(
            move |request: Request, next: Next| {
                let lose = lose.clone();
                async move {
                    let response = next.run(request).await;
                    let lost = lose
                        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                        .is_ok();
                    if lost {
                        StatusCode::INTERNAL_SERVER_ERROR.into_response()
                    } else {
                        response
                    }
                }
            },
        ));
    serve(listener, app);
    let client = builder(&sandbox)
        .webhooks(receiver.clone())
        .build()
        .unwrap();
    let theme = demo_theme();
    let submission = documented_generate(&theme, &pictures)
        .send(&client)
        .await
        .unwrap();
    let video = client.wait_one(&submission).await.unwrap();
    assert_eq!(video.via, ReadyVia::Webhook);

    // The API retried until it saw a 200.
    let store = sandbox.motiondynamic().store();
    for _ in 0..200 {
        if store.deliveries().len() >= 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let statuses: Vec<Option<u16>> = store.deliveries().iter().map(|d| d.status).collect();
    assert_eq!(statuses, vec![Some(500), Some(500), Some(200)]);

    // A replayed delivery is acknowledged and ignored.
    let callback = submission.webhook_url().to_owned();
    let http = reqwest::Client::new();
    let body = json!({ "video": video.url });
    let replay = http.post(&callback).json(&body).send().await.unwrap();
    assert_eq!(replay.status(), 200);
    assert_eq!(client.wait_one(&submission).await.unwrap().url, video.url);

    // Forgeries: a wrong token, a token made with another secret, a key
    // this receiver never issued, a body that is not {"video": url}.
    let (prefix, _token) = callback.rsplit_once('/').unwrap();
    let key = submission.webhook_key().unwrap();
    let other = WebhookReceiver::new(format!("{base}/hooks"));
    let cases = [
        (format!("{prefix}/AAAA"), body.clone(), 401),
        (other.url_for(key), body.clone(), 401),
        (receiver.url_for("never-issued"), body.clone(), 404),
        (callback.clone(), json!({"vid": 1}), 400),
    ];
    for (url, body, status) in cases {
        let response = http.post(&url).json(&body).send().await.unwrap();
        assert_eq!(response.status().as_u16(), status, "{url}");
    }

    // Exactly one event for three deliveries, a replay and four forgeries.
    let first = events.recv().await.unwrap();
    assert_eq!(first.key, key);
    assert_eq!(first.video, video.url);
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(events.try_recv().is_err(), "resolved once");
    assert_eq!(stat(&sandbox, "generations"), 1);
    assert_eq!(stat(&sandbox, "generation_posts"), 1);
    sandbox.shutdown().await;
}

#[tokio::test]
async fn webhook_retries_and_repeats_resolve_once_and_forgeries_are_refused() {
    webhook_retries_and_repeats(PostgrestMode::Representation).await;
}

#[tokio::test]
async fn webhook_retries_and_repeats_resolve_once_with_a_plain_postgrest() {
    webhook_retries_and_repeats(PostgrestMode::Plain).await;
}

// -------------------------------------------------------------------- auth

#[tokio::test]
async fn an_expired_or_forged_jwt_is_a_clear_auth_error() {
    let sandbox = start(|_| {}).await;
    let pictures = pictures().await;
    let expired_token = mint_token(SECRET, 0);
    let expired = Client::builder(sandbox.motiondynamic_url(), expired_token.clone())
        .build()
        .unwrap();

    let error = expired.themes(&ThemesQuery::new()).await.unwrap_err();
    assert!(error.is_auth(), "{error}");
    assert!(!error.is_temporary());
    assert_eq!(error.code(), Some("PGRST303"));
    let text = error.to_string();
    assert!(text.contains("JWT expired"), "{text}");
    assert!(text.contains("get a new JWT"), "{text}");
    assert!(!text.contains('\n'));
    for shown in [text, format!("{error:?}"), format!("{expired:?}")] {
        assert!(!shown.contains(&expired_token), "the token leaked: {shown}");
    }

    let error = expired.graphql().themes(None, None).await.unwrap_err();
    assert!(error.is_auth(), "{error}");

    // Valid values, checked pictures, but the token is refused: nothing is
    // created.
    let error = documented_generate(&demo_theme(), &pictures)
        .webhook_url("http://127.0.0.1:9/hook")
        .send(&expired)
        .await
        .unwrap_err();
    assert!(error.is_auth(), "{error}");

    let forged = Client::builder(
        sandbox.motiondynamic_url(),
        mint_token("someone-else", 3600),
    )
    .build()
    .unwrap();
    let error = forged.demo_theme().await.unwrap_err();
    assert!(error.is_auth());
    assert_eq!(error.code(), Some("PGRST301"));
    assert_eq!(stat(&sandbox, "generations"), 0);
    sandbox.shutdown().await;
}

// -------------------------------------------------- ambiguous failures

#[derive(Debug, Clone, Copy)]
enum Plan {
    /// The POST reaches the server, but the client gets this status.
    ForwardThenFail(u16),
    /// The POST never reaches the server; the client gets this status.
    FailWithoutForwarding(u16),
}

#[derive(Clone)]
struct Proxy {
    upstream: String,
    http: reqwest::Client,
    plans: Arc<Mutex<VecDeque<Plan>>>,
    posts: Arc<AtomicUsize>,
}

async fn forward(
    State(proxy): State<Proxy>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let is_post = method == Method::POST && uri.path() == "/rest/generations";
    let plan = if is_post {
        proxy.posts.fetch_add(1, Ordering::SeqCst);
        proxy.plans.lock().unwrap().pop_front()
    } else {
        None
    };
    if let Some(Plan::FailWithoutForwarding(status)) = plan {
        return (
            StatusCode::from_u16(status).unwrap(),
            "upstream unavailable",
        )
            .into_response();
    }
    let path = uri.path_and_query().map_or("/", |p| p.as_str());
    let mut request = proxy.http.request(
        reqwest::Method::from_bytes(method.as_str().as_bytes()).unwrap(),
        format!("{}{path}", proxy.upstream),
    );
    for name in ["authorization", "content-type", "prefer"] {
        if let Some(value) = headers.get(name) {
            request = request.header(name, value.to_str().unwrap());
        }
    }
    let answer = request.body(body).send().await.unwrap();
    if let Some(Plan::ForwardThenFail(status)) = plan {
        return (
            StatusCode::from_u16(status).unwrap(),
            "<html>bad gateway</html>",
        )
            .into_response();
    }
    let status = StatusCode::from_u16(answer.status().as_u16()).unwrap();
    let content_type = answer
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned());
    let bytes = answer.bytes().await.unwrap();
    let mut response = (status, bytes).into_response();
    if let Some(content_type) = content_type {
        response
            .headers_mut()
            .insert("content-type", content_type.parse().unwrap());
    }
    response
}

/// Ambiguous failures, against a token that may read generations or not.
async fn ambiguous_failures(mode: PostgrestMode) {
    let plain = mode == PostgrestMode::Plain;
    let sandbox = start(|args| args.postgrest_mode = mode).await;
    let pictures = pictures().await;
    let receiver = hooks().await;
    let (listener, proxy_url) = bind().await;
    let proxy = Proxy {
        upstream: sandbox.motiondynamic_url(),
        http: reqwest::Client::new(),
        plans: Arc::new(Mutex::new(VecDeque::new())),
        posts: Arc::new(AtomicUsize::new(0)),
    };
    serve(
        listener,
        Router::new().fallback(forward).with_state(proxy.clone()),
    );
    let client = Client::builder(proxy_url, token())
        .webhooks(receiver.clone())
        .recovery_delay(Duration::from_millis(20))
        .wait(
            WaitOptions::motiondynamic()
                .timeout(Duration::from_secs(20))
                .interval_with_webhook(Duration::from_millis(500))
                .every(Duration::from_millis(50)),
        )
        .build()
        .unwrap();
    let theme = demo_theme();
    let plan = |p: Plan| proxy.plans.lock().unwrap().push_back(p);

    // Created, but the answer was lost. Never sent again: found by its
    // callback URL and adopted where reads are allowed; otherwise left
    // unconfirmed, and its webhook resolves it.
    plan(Plan::ForwardThenFail(502));
    let first = documented_generate(&theme, &pictures)
        .send(&client)
        .await
        .unwrap();
    assert_eq!(first.adopted(), !plain);
    assert_eq!(first.confirmed(), !plain);
    assert_eq!(first.attempts(), 1);
    assert_eq!(proxy.posts.load(Ordering::SeqCst), 1, "not sent again");
    assert_eq!(stat(&sandbox, "generations"), 1);
    let stored = sandbox.motiondynamic().store().generations();
    assert_eq!(stored[0].webhook.as_deref(), Some(first.webhook_url()));
    if plain {
        assert_eq!(first.id(), None);
    } else {
        assert_eq!(first.id(), Some(stored[0].generation_id.as_str()));
    }
    let video = client.wait_one(&first).await.unwrap();
    assert_eq!(video.via, ReadyVia::Webhook);
    assert_eq!(
        video.generation_id.as_deref(),
        Some(stored[0].generation_id.as_str())
    );

    // Not created, but the client cannot know: a read that finds nothing
    // (or is refused) proves nothing, so nothing is sent again; the wait
    // runs out instead of rendering twice.
    plan(Plan::FailWithoutForwarding(503));
    let unknown = documented_generate(&theme, &pictures)
        .send(&client)
        .await
        .unwrap();
    assert!(!unknown.adopted());
    assert!(!unknown.confirmed());
    assert_eq!(unknown.id(), None);
    assert_eq!(unknown.attempts(), 1);
    assert_eq!(proxy.posts.load(Ordering::SeqCst), 2);
    assert_eq!(stat(&sandbox, "generations"), 1);
    let short = WaitOptions::motiondynamic()
        .timeout(Duration::from_millis(300))
        .interval_with_webhook(Duration::from_millis(50))
        .every(Duration::from_millis(50));
    let error = client.wait_one_with(&unknown, &short).await.unwrap_err();
    assert!(matches!(error, Error::WaitTimeout { .. }), "{error}");

    // With a shared URL of the user's own, the client cannot tell: it
    // reports the ambiguity instead of risking a second render.
    plan(Plan::ForwardThenFail(504));
    let error = documented_generate(&theme, &pictures)
        .webhook_url(DEAD_HOOK)
        .send(&client)
        .await
        .unwrap_err();
    assert_eq!(error.status(), Some(504));
    assert_eq!(error.sent(), Sent::Sent);
    assert!(error.is_temporary());
    assert_eq!(proxy.posts.load(Ordering::SeqCst), 3);
    assert_eq!(stat(&sandbox, "generations"), 2);
    assert_eq!(stat(&sandbox, "generation_posts"), 2);
    sandbox.shutdown().await;
}

#[tokio::test]
async fn ambiguous_failures_are_resolved_by_reading_back_never_by_resending() {
    ambiguous_failures(PostgrestMode::Representation).await;
}

#[tokio::test]
async fn ambiguous_failures_without_reads_wait_for_the_webhook_never_resend() {
    ambiguous_failures(PostgrestMode::Plain).await;
}

// ------------------------------------------------------------------ pictures

/// The photo slideshow theme: `photo_01` accepts png and jpg of at least
/// 800x600.
fn photo_generation(theme: &Theme, url: &str) -> Generate {
    Generate::new(theme)
        .set("photo_01", url)
        .set("caption", "Our shop")
        .set("Variante", "MASTER")
}

#[tokio::test]
async fn pictures_are_checked_from_their_first_bytes_before_sending() {
    let sandbox = start(|_| {}).await;
    let pictures = pictures().await;
    let receiver = hooks().await;
    let client = builder(&sandbox)
        .webhooks(receiver)
        .return_preference(ReturnPreference::Representation)
        .build()
        .unwrap();
    let theme = client.theme(PHOTO).await.unwrap();
    let photo = |url: String| photo_generation(&theme, &url);

    let cases = [
        ("small.png", Rule::PictureSize, "640x480".to_owned()),
        // No extension: the content tells.
        ("animation", Rule::PictureFormat, "gif content".to_owned()),
        (
            "missing.png",
            Rule::PictureUnreadable,
            pictures.url("missing.png"),
        ),
    ];
    for (name, rule, value) in cases {
        let error = photo(pictures.url(name)).send(&client).await.unwrap_err();
        let found = violations(&error);
        assert!(
            found.contains(&("photo_01".to_owned(), rule, value.clone())),
            "{name}: {error}"
        );
        assert_eq!(error.sent(), Sent::NotSent);
    }
    assert_eq!(stat(&sandbox, "generations"), 0);
    assert_eq!(
        stat(&sandbox, "requests"),
        1,
        "only the theme was read; nothing was submitted"
    );

    // A JPEG whose size lies after 128 KiB of metadata: more is fetched.
    let found = photo(pictures.url("far.jpg")).preflight(&client).await;
    assert!(found.errors.is_empty(), "{found:?}");
    assert_eq!(
        pictures.ranges("far.jpg"),
        vec![
            Some("bytes=0-65535".to_owned()),
            Some("bytes=0-131071".to_owned()),
            Some("bytes=0-262143".to_owned()),
        ]
    );

    let submission = photo(pictures.url("photo.png"))
        .send(&client)
        .await
        .unwrap();
    assert_eq!(
        client.wait_one(&submission).await.unwrap().via,
        ReadyVia::Webhook
    );

    // The picture passed the client's check, then vanished before the
    // renderer fetched it: the API discards the generation.
    let error = photo(pictures.url("flaky.png"))
        .send(&client)
        .await
        .unwrap_err();
    match &error {
        Error::Discarded { generation_id } => {
            // The API does not say why; the sandbox's own records do.
            let reason = sandbox
                .motiondynamic()
                .store()
                .discard_reason(generation_id)
                .unwrap_or_default();
            assert!(reason.contains("photo_01"), "{reason}");
        }
        other => panic!("expected a discarded generation, got {other:?}"),
    }
    assert_eq!(stat(&sandbox, "generations"), 2);
    assert_eq!(stat(&sandbox, "discarded"), 1);
    sandbox.shutdown().await;
}

#[tokio::test]
async fn pictures_out_of_this_machines_reach_can_be_left_to_the_api() {
    let sandbox = start(|_| {}).await;
    let pictures = pictures().await;
    let receiver = hooks().await;
    let client = builder(&sandbox).webhooks(receiver).build().unwrap();
    let theme = client.theme(PHOTO).await.unwrap();
    let photo = |url: &str| photo_generation(&theme, url);

    // By default the client reads the picture before the service does.
    photo(&pictures.url("photo.png"))
        .send(&client)
        .await
        .unwrap();
    assert_eq!(pictures.ranges("photo.png").len(), 2);
    // Without the fetch, only the service reads it.
    photo(&pictures.url("photo.png"))
        .fetch_pictures(false)
        .send(&client)
        .await
        .unwrap();
    assert_eq!(pictures.ranges("photo.png").len(), 3);

    // A host no one here can resolve: sent as is, rendered, delivered.
    let remote = photo("https://pictures.invalid/shop.png")
        .fetch_pictures(false)
        .send(&client)
        .await
        .unwrap();
    assert_eq!(
        client.wait_one(&remote).await.unwrap().via,
        ReadyVia::Webhook
    );

    // Without the fetch, an extension outside `accept` is only a warning:
    // the bytes decide, and only the service reads them.
    let gif = photo("https://pictures.invalid/shop.gif").fetch_pictures(false);
    let warned = gif.warnings();
    assert!(
        warned
            .iter()
            .any(|w| w.field == "photo_01" && w.rule == Rule::PictureFormat),
        "{warned:?}"
    );
    gif.send(&client).await.unwrap();
    // What needs no network is still checked before sending.
    let error = photo("ftp://pictures.invalid/shop.png")
        .fetch_pictures(false)
        .send(&client)
        .await
        .unwrap_err();
    let found = violations(&error);
    assert!(
        found.iter().any(|(field, _, _)| field == "photo_01"),
        "{error}"
    );
    assert_eq!(stat(&sandbox, "generations"), 4);
    sandbox.shutdown().await;
}

// ---------------------------------------------------------------- waiting

#[tokio::test]
async fn without_a_webhook_the_wait_reads_back_through_a_cold_start() {
    // A cold renderer: the first render takes up to 18 simulated minutes
    // (under 2 s here).
    let sandbox = start(|args| args.cold_start = true).await;
    let pictures = pictures().await;
    let client = client(&sandbox);
    let submission = documented_generate(&demo_theme(), &pictures)
        .webhook_url(DEAD_HOOK)
        .send(&client)
        .await
        .unwrap();
    assert!(submission.webhook_key().is_none());

    let short = WaitOptions::motiondynamic()
        .timeout(Duration::from_millis(100))
        .interval_with_webhook(Duration::from_millis(30))
        .every(Duration::from_millis(30));
    let error = client.wait_one_with(&submission, &short).await.unwrap_err();
    assert!(
        matches!(&error, Error::WaitTimeout { generation_id, .. } if Some(generation_id.as_str()) == submission.id()),
        "{error}"
    );
    assert!(error.is_temporary());

    let video = client.wait_one(&submission).await.unwrap();
    assert_eq!(video.via, ReadyVia::ReadBack);
    assert!(video.url.ends_with(".mp4"));
    let again = client
        .wait_for_id(&submission.id().unwrap().to_uppercase())
        .await
        .unwrap();
    assert_eq!(again.url, video.url);
    assert_eq!(stat(&sandbox, "rate_limited"), 0);
    sandbox.shutdown().await;
}

#[tokio::test]
async fn without_reads_or_a_webhook_the_wait_says_it_cannot_tell_at_once() {
    let sandbox = start(|args| args.postgrest_mode = PostgrestMode::Plain).await;
    let pictures = pictures().await;
    let client = client(&sandbox);
    let submission = documented_generate(&demo_theme(), &pictures)
        .webhook_url(DEAD_HOOK)
        .send(&client)
        .await
        .unwrap();
    assert_eq!(submission.id(), None);
    assert!(submission.confirmed());
    assert_eq!(stat(&sandbox, "generation_posts"), 1);
    let started = Instant::now();
    let error = client.wait_one(&submission).await.unwrap_err();
    assert!(matches!(error, Error::CannotWait { .. }), "{error}");
    assert!(!error.is_auth());
    assert!(started.elapsed() < Duration::from_secs(5), "not a timeout");

    // A wait by id in another process: reads are refused, so it says so.
    let id = sandbox.motiondynamic().store().generations()[0]
        .generation_id
        .clone();
    let error = client.wait_for_id(&id).await.unwrap_err();
    assert!(matches!(error, Error::CannotWait { .. }), "{error}");
    let read = client.generation(&id).await.unwrap_err();
    assert!(read.is_permission_denied() && !read.is_auth(), "{read}");
    let read = client.graphql().generation(&id).await.unwrap_err();
    assert_eq!(read.code(), Some("42501"), "{read}");
    assert!(!read.is_auth(), "{read}");

    // GraphQL creation selects the created row: refused, and rolled back.
    let error = documented_generate(&demo_theme(), &pictures)
        .webhook_url(DEAD_HOOK)
        .send_graphql(&client)
        .await
        .unwrap_err();
    assert_eq!(error.code(), Some("42501"), "{error}");
    assert!(!error.is_auth(), "{error}");
    assert_eq!(stat(&sandbox, "generations"), 1);
    sandbox.shutdown().await;
}

/// The whole generation in a few lines: a receiver that serves itself
/// (`WebhookReceiver::bind`, no axum of the program's own), theme to saved
/// MP4, into a folder that does not exist yet.
#[tokio::test]
async fn a_generation_from_theme_to_saved_mp4_with_a_receiver_that_serves_itself() {
    let sandbox = start(|_| {}).await;
    let pictures = pictures().await;
    let hooks = WebhookReceiver::bind("127.0.0.1:0", None).await.unwrap();
    assert!(hooks.public_base().starts_with("http://127.0.0.1:"));
    let client = builder(&sandbox)
        .webhooks(hooks.receiver().clone())
        .build()
        .unwrap();
    let themes = client.themes(&ThemesQuery::new()).await.unwrap();
    let theme = themes.iter().find(|t| t.theme_id == DEMO_THEME_ID).unwrap();
    let submission = documented_generate(theme, &pictures)
        .send(&client)
        .await
        .unwrap();
    let video = client.wait_one(&submission).await.unwrap();
    assert_eq!(video.via, ReadyVia::Webhook);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("renders").join("today");
    let saved = client.download(&video, &out).await.unwrap();
    assert!(saved.path.starts_with(&out), "{saved:?}");
    let bytes = std::fs::read(&saved.path).unwrap();
    assert_eq!(&bytes[4..8], b"ftyp");
    let addr = hooks.local_addr();
    hooks.shutdown().await;
    assert!(
        tokio::net::TcpStream::connect(addr).await.is_err(),
        "stopped"
    );
}
