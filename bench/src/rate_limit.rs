//! Benchmark 5: MotionDynamic generations from many concurrent tasks
//! against the sandbox enforcing 5 requests per second per IP (then a 60 s
//! block), through `motionkit_motiondynamic::Client` and its default rate
//! limit; and, for contrast, a bare loop without a limiter.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::http::{StatusCode, header};
use motionkit_models::motiondynamic::GenerationRequest;
use motionkit_motiondynamic::{Client, Generate, Theme};
use motionkit_sandbox::mint_token;
use motionkit_sandbox::{Sandbox, SandboxArgs, SandboxConfig};

use super::{Plan, Row, Section};

/// Requests per second the sandbox allows.
pub const RATE: u32 = 5;
/// Seconds the sandbox blocks a client that went over.
pub const BLOCK_SECS: f64 = 60.0;
/// Concurrent tasks submitting generations.
pub const TASKS: usize = 100;
/// Requests of the contrast loop.
pub const CONTRAST_REQUESTS: usize = 20;
/// Target rate.
pub const TARGET_RATE: f64 = 4.9;
/// The sandbox's JWT secret.
const SECRET: &str = "motionkit-bench-jwt-secret";
/// Parameter id of the demo theme's picture (`image_produit`).
const PICTURE_PARAMETER: &str = "867b9e64-0869-4631-be06-426eb46daf0d";

/// A PNG header of `width`×`height`, enough for every picture check.
fn png(width: u32, height: u32) -> Vec<u8> {
    let mut b = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR".to_vec();
    b.extend_from_slice(&width.to_be_bytes());
    b.extend_from_slice(&height.to_be_bytes());
    b.extend_from_slice(&[8, 6, 0, 0, 0, 0, 0, 0, 0]);
    b.extend_from_slice(b"\0\0\0\0IEND\xaeB`\x82");
    b
}

/// A server on 127.0.0.1 for what the generations point at: the product
/// picture and the webhook. Stops when dropped.
#[derive(Debug)]
pub(crate) struct LocalHost {
    base: String,
    task: tokio::task::JoinHandle<()>,
}

impl LocalHost {
    pub(crate) async fn start() -> Result<LocalHost, String> {
        let picture = png(1200, 680);
        let router = axum::Router::new()
            .route(
                "/product.png",
                axum::routing::get(move || {
                    let picture = picture.clone();
                    async move { ([(header::CONTENT_TYPE, "image/png")], picture) }
                }),
            )
            .route("/hook", axum::routing::post(|| async { StatusCode::OK }));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(|e| e.to_string())?;
        let addr = listener.local_addr().map_err(|e| e.to_string())?;
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, router).await;
        });
        Ok(LocalHost {
            base: format!("http://{addr}"),
            task,
        })
    }
}

impl Drop for LocalHost {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// `request` as a [`Generate`] of `theme`: its values and its webhook.
pub(crate) fn documented_generate(theme: &Theme, request: &GenerationRequest) -> Generate {
    request
        .values
        .iter()
        .fold(Generate::new(theme), |g, v| {
            g.set(v.parameter_id.clone(), v.value.clone())
        })
        .webhook_url(request.webhook.clone())
}

/// The documented request body (`generation_request.json`), with the
/// picture and the webhook on 127.0.0.1.
pub(crate) fn documented_request(host: &LocalHost) -> Result<GenerationRequest, String> {
    let path = crate::workspace_root().join("specs/examples/motiondynamic/generation_request.json");
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut request: GenerationRequest =
        motionkit_models::decode(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    request.webhook = format!("{}/hook", host.base);
    for value in &mut request.values {
        if value.parameter_id == PICTURE_PARAMETER {
            value.value = format!("{}/product.png", host.base);
        }
    }
    Ok(request)
}

async fn start_sandbox() -> Result<Sandbox, String> {
    let args = SandboxArgs::default()
        .deepmotion_port(0)
        .motiondynamic_port(0)
        .rate_limit(RATE)
        .rate_limit_block(BLOCK_SECS)
        .jwt_secret(SECRET.into())
        // Renders take hours of real time: none finishes during the run.
        .time_scale(0.001);
    let config = SandboxConfig::from_args(args).map_err(|e| e.to_string())?;
    Sandbox::start(config).await.map_err(|e| e.to_string())
}

/// Benchmark 5.
pub async fn run(plan: &Plan) -> Result<Section, String> {
    let host = LocalHost::start().await?;
    let request = documented_request(&host)?;
    let sandbox = start_sandbox().await?;
    let limited = limited(&sandbox, &request, plan.generations).await;
    sandbox.shutdown().await;
    let limited = limited?;
    let sandbox = start_sandbox().await?;
    let contrast = contrast(&sandbox, &request).await;
    sandbox.shutdown().await;
    let contrast = contrast?;
    Ok(section(plan, &limited, &contrast))
}

/// What the limited run did.
#[derive(Debug)]
struct Limited {
    created: usize,
    errors: Vec<String>,
    elapsed: Duration,
    rate_limited: u64,
    server_requests: u64,
    server_generations: u64,
}

async fn limited(
    sandbox: &Sandbox,
    request: &GenerationRequest,
    generations: usize,
) -> Result<Limited, String> {
    let token = mint_token(SECRET, 3600);
    let client = Client::builder(sandbox.motiondynamic_url(), token)
        .build()
        .map_err(|e| e.to_string())?;
    let theme: Theme = client.demo_theme().await.map_err(|e| e.to_string())?;
    let generate = Arc::new(documented_generate(&theme, request));
    let next = Arc::new(AtomicUsize::new(0));
    let created = Arc::new(AtomicUsize::new(0));
    let errors = Arc::new(Mutex::new(Vec::new()));
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..TASKS {
        let (client, generate) = (client.clone(), generate.clone());
        let (next, created, errors) = (next.clone(), created.clone(), errors.clone());
        tasks.spawn(async move {
            while next.fetch_add(1, Ordering::Relaxed) < generations {
                match generate.send(&client).await {
                    Ok(_) => {
                        created.fetch_add(1, Ordering::Relaxed);
                    }
                    Err(e) => {
                        if let Ok(mut errors) = errors.lock() {
                            errors.push(e.to_string());
                        }
                    }
                }
            }
        });
    }
    while let Some(joined) = tasks.join_next().await {
        joined.map_err(|e| e.to_string())?;
    }
    let elapsed = started.elapsed();
    let stats = &sandbox.motiondynamic().store().stats;
    let errors = errors.lock().map(|e| e.clone()).unwrap_or_default();
    Ok(Limited {
        created: created.load(Ordering::Relaxed),
        errors,
        elapsed,
        rate_limited: sandbox.motiondynamic().rate_limited(),
        server_requests: stats.requests.load(Ordering::Relaxed),
        server_generations: stats.generations.load(Ordering::Relaxed),
    })
}

/// What the loop without a limiter saw.
#[derive(Debug)]
struct Contrast {
    statuses: BTreeMap<u16, usize>,
    first_429_at: Option<usize>,
    retry_after: Vec<String>,
    rate_limited: u64,
    elapsed: Duration,
}

/// `CONTRAST_REQUESTS` POSTs back to back with a bare reqwest client.
async fn contrast(sandbox: &Sandbox, request: &GenerationRequest) -> Result<Contrast, String> {
    let token = mint_token(SECRET, 3600);
    let http = reqwest::Client::new();
    let url = format!("{}/rest/generations", sandbox.motiondynamic_url());
    let mut statuses = BTreeMap::new();
    let mut first_429_at = None;
    let mut retry_after = Vec::new();
    let started = Instant::now();
    for i in 0..CONTRAST_REQUESTS {
        let response = http
            .post(&url)
            .bearer_auth(&token)
            .json(request)
            .send()
            .await
            .map_err(|e| e.to_string())?;
        let status = response.status().as_u16();
        *statuses.entry(status).or_insert(0) += 1;
        if status == 429 {
            first_429_at.get_or_insert(i + 1);
            if let Some(value) = response.headers().get(header::RETRY_AFTER) {
                retry_after.push(value.to_str().unwrap_or("?").to_owned());
            }
        }
    }
    Ok(Contrast {
        statuses,
        first_429_at,
        retry_after,
        rate_limited: sandbox.motiondynamic().rate_limited(),
        elapsed: started.elapsed(),
    })
}

fn section(plan: &Plan, limited: &Limited, contrast: &Contrast) -> Section {
    let n = plan.generations;
    let rate = limited.created as f64 / limited.elapsed.as_secs_f64();
    let no_errors = limited.errors.is_empty() && limited.created == n;
    let mut out = Section::new("5. MotionDynamic under the rate limit");
    out.rows.push(
        Row::new(
            format!("{n} generations, {TASKS} tasks: achieved rate"),
            format!("{rate:.2} req/s"),
        )
        .baseline(format!("{RATE} req/s allowed"))
        .ratio(format!("{:.3}", rate / f64::from(RATE)))
        .target(
            format!("≥ {TARGET_RATE} req/s"),
            rate >= TARGET_RATE && no_errors,
        ),
    );
    out.rows.push(
        Row::new(
            format!("{n} generations, {TASKS} tasks: 429 answers"),
            limited.rate_limited.to_string(),
        )
        .baseline(format!(
            "{} of {CONTRAST_REQUESTS} without a limiter",
            contrast.statuses.get(&429).copied().unwrap_or(0)
        ))
        .target("0", limited.rate_limited == 0),
    );
    let statuses: Vec<String> = contrast
        .statuses
        .iter()
        .map(|(status, count)| format!("{count} × {status}"))
        .collect();
    let first_after = contrast.retry_after.first().map_or("none", String::as_str);
    let last_after = contrast.retry_after.last().map_or("none", String::as_str);
    out.notes = vec![
        format!(
            "Method: an in-process sandbox with `rate_limit = {RATE}`, `rate_limit_block = \
             {BLOCK_SECS:.0}` (renders slowed down so that none runs during the benchmark). \
             `motionkit_motiondynamic::Client` with its default limiter \
             (`default_rate_limit()`: 5/s, burst 4, 60 s pause after a 429) reads the demo \
             theme once, then {TASKS} tokio tasks share {n} `Generate::send` calls with the \
             documented values (`generation_request.json`; picture and webhook on a local \
             server, as the sandbox has no network). Each send checks the picture's first \
             bytes (not rate-limited: another host) and POSTs `/rest/generations`."
        ),
        format!(
            "{} of {n} generations created in {:.1} s; the sandbox counted {} API requests \
             (the theme read included), {} generations and {} × 429.{}",
            limited.created,
            limited.elapsed.as_secs_f64(),
            limited.server_requests,
            limited.server_generations,
            limited.rate_limited,
            if limited.errors.is_empty() {
                String::new()
            } else {
                format!(
                    " Errors ({}): {}",
                    limited.errors.len(),
                    limited.errors.first().map_or("", String::as_str)
                )
            }
        ),
        format!(
            "Contrast, a fresh sandbox: {CONTRAST_REQUESTS} POSTs back to back from a bare \
             reqwest client, no limiter, in {:.2} s: {}; the first 429 came on request {}; \
             Retry-After {first_after} s on the first 429 and {last_after} s on the last \
             (what is left of the {BLOCK_SECS:.0} s block). The sandbox counted {} × 429. The \
             loop stops there rather than wait out the block.",
            contrast.elapsed.as_secs_f64(),
            statuses.join(", "),
            contrast
                .first_429_at
                .map_or_else(|| "-".to_owned(), |i| i.to_string()),
            contrast.rate_limited
        ),
    ];
    out
}
