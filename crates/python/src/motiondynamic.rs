//! `motionkit._native.MotionDynamic`: the Rust MotionDynamic client behind
//! `motionkit.motiondynamic.Client` and `AsyncClient`, with a webhook
//! receiver of its own so that `generate` works as one call.

use std::path::PathBuf;
use std::sync::Arc;

use motionkit_motiondynamic::{
    Client, Generate, GenerationColumn, GenerationsQuery, ReadyVia, ServedReceiver, ThemesQuery,
    Video, theme_values_schema,
};
use motionkit_transport::{DownloadOptions, RateLimitStore, Settings};
use pyo3::prelude::*;
use serde_json::{Value, json};

use crate::args::{Args, progress_event, to_json};
use crate::failure::Failure;
use crate::runtime::{Emit, PerProcess, Rotated, native_client, runtime};

/// A client and the receiver its webhooks arrive at (kept alive with it).
#[derive(Clone)]
struct Held {
    client: Client,
    _receiver: Option<Arc<ServedReceiver>>,
}

/// A MotionDynamic client, remade (with its receiver) in a child process
/// after `fork()`.
#[pyclass(module = "motionkit._native", frozen)]
pub struct MotionDynamic {
    held: PerProcess<Held>,
    /// The token given to `set_token`, which a client remade after
    /// `fork()` starts from.
    rotated: Rotated,
}

impl std::fmt::Debug for MotionDynamic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MotionDynamic").finish_non_exhaustive()
    }
}

native_client!(MotionDynamic {
    /// Settings as the CLI reads them (arguments, else the environment,
    /// else the config file), and a webhook receiver bound at
    /// `webhook_bind` (`None`: no receiver) whose public address is
    /// `webhook_public_url` (default: the bound address).
    #[new]
    #[pyo3(signature = (url=None, token=None, config=None, profile=None, webhook_bind=None, webhook_public_url=None, sandbox_waits=false, redis_url=None, timeout=None, proxy=None))]
    #[allow(clippy::too_many_arguments, reason = "Python keyword arguments")]
    fn new(
        url: Option<String>,
        token: Option<String>,
        config: Option<PathBuf>,
        profile: Option<String>,
        webhook_bind: Option<String>,
        webhook_public_url: Option<String>,
        sandbox_waits: bool,
        redis_url: Option<String>,
        timeout: Option<f64>,
        proxy: Option<String>,
    ) -> PyResult<Self> {
        let given = [("url", &url), ("token", &token)];
        let proxy = motionkit_transport::Proxy::parse(proxy.as_deref().unwrap_or_default());
        crate::args::given_settings(&given)?;
        let timeouts = crate::args::timeouts(timeout)?;
        let rotated = Rotated::default();
        let latest = rotated.clone();
        let make = move || -> Result<Held, Failure> {
            let token = latest.get().or_else(|| token.clone());
            let settings = crate::args::load_settings(&config, &profile, |input| {
                if url.is_some() {
                    input.motiondynamic_url.clone_from(&url);
                }
                if token.is_some() {
                    input.token.clone_from(&token);
                }
            })?;
            let mut builder = motionkit_motiondynamic::ClientBuilder::from_settings(&settings)?
                .rate_limit_store(rate_limit_store(redis_url.as_deref(), &settings)?)
                .proxy(proxy.clone());
            if sandbox_waits {
                builder = builder.wait(motionkit_sandbox::motiondynamic_wait_options());
            }
            if let Some(timeouts) = timeouts {
                builder = builder.timeouts(timeouts);
            }
            let receiver = match &webhook_bind {
                Some(addr) => {
                    let runtime = runtime().map_err(|e| Failure::internal(e.to_string()))?;
                    let served =
                        runtime.block_on(motionkit_motiondynamic::WebhookReceiver::bind(
                            addr.as_str(),
                            webhook_public_url.as_deref(),
                        ))?;
                    builder = builder.webhooks(served.receiver().clone());
                    Some(Arc::new(served))
                }
                None => None,
            };
            Ok(Held {
                client: builder.build()?,
                _receiver: receiver,
            })
        };
        Ok(MotionDynamic {
            held: PerProcess::new(make)?,
            rotated,
        })
    }

    /// Replaces the token in place: the next request uses it (the rate
    /// limiter, its 429 pause and the webhook receiver are kept), here and
    /// in a process forked later.
    fn set_token(&self, token: String) -> PyResult<()> {
        self.rotated.set(token.clone());
        self.held
            .get()?
            .client
            .set_token(token)
            .map_err(Failure::from)?;
        Ok(())
    }
});

/// Where the rate budget lives, as the CLI decides it: Redis shared by a
/// fleet (the argument, `MOTIONKIT_REDIS_URL`, or the config file's
/// top-level `redis_url`), else a file shared by every motionkit of this
/// user on this machine, so that several clients (and processes) with one
/// token never exceed MotionDynamic's limit together.
fn rate_limit_store(
    redis_url: Option<&str>,
    settings: &Settings,
) -> Result<RateLimitStore, Failure> {
    if let Some(url) = redis_url.filter(|url| !url.trim().is_empty()) {
        return Ok(RateLimitStore::redis(url));
    }
    Ok(match settings.redis_url()? {
        Some(url) => RateLimitStore::redis(url.expose()),
        None => RateLimitStore::machine_wide(),
    })
}

async fn run(
    held: Result<Held, Failure>,
    op: String,
    args: String,
    emit: Option<Emit>,
) -> Result<Value, Failure> {
    let held = held?;
    let args = Args::parse(&args)?;
    dispatch(&held.client, &op, &args, emit).await
}

fn video_json(video: &Video) -> Value {
    let via = match video.via {
        ReadyVia::Webhook => "webhook",
        _ => "read_back",
    };
    json!({"generation_id": video.generation_id, "url": video.url, "via": via})
}

/// The values to set, as `(parameter id, text)` pairs.
fn values(args: &Args) -> Result<Vec<(String, String)>, Failure> {
    let map: serde_json::Map<String, Value> = args.opt("values")?.unwrap_or_default();
    map.into_iter()
        .map(|(key, value)| match value {
            Value::String(text) => Ok((key, text)),
            Value::Number(n) => Ok((key, n.to_string())),
            _ => Err(Failure::argument(&key, "a text value")),
        })
        .collect()
}

async fn download(
    client: &Client,
    video: &Video,
    dir: &std::path::Path,
    emit: &Option<Emit>,
) -> Result<Value, Failure> {
    let mut options = DownloadOptions::default()
        .file_name(video.generation_id.as_ref().map(|id| format!("{id}.mp4")));
    if let Some(emit) = emit.clone() {
        options.progress = Some(Arc::new(move |p| {
            emit(progress_event("download", "video", p))
        }));
    }
    let report = client.download_with(video, dir, &options).await?;
    Ok(json!({
        "path": report.path.display().to_string(),
        "bytes": report.bytes,
        "renamed_from": report.renamed_from.as_ref().map(|p| p.display().to_string()),
    }))
}

async fn dispatch(
    client: &Client,
    op: &str,
    args: &Args,
    emit: Option<Emit>,
) -> Result<Value, Failure> {
    Ok(match op {
        "themes" => to_json(&client.themes(&ThemesQuery::new()).await?)?,
        "theme" => to_json(&client.theme(&args.req::<String>("theme_id")?).await?)?,
        "theme_schema" => {
            theme_values_schema(&client.theme(&args.req::<String>("theme_id")?).await?)
        }
        "generation" => to_json(
            &client
                .generation(&args.req::<String>("generation_id")?)
                .await?,
        )?,
        "generations" => {
            let mut query = GenerationsQuery::new();
            if let Some(theme) = args.opt::<String>("theme_id")? {
                query = query.eq(GenerationColumn::ThemeId, theme);
            }
            if let Some(limit) = args.opt::<u64>("limit")? {
                query = query.limit(limit);
            }
            to_json(&client.generations(&query).await?)?
        }
        "generate" | "submit" => {
            let theme = client.theme(&args.req::<String>("theme_id")?).await?;
            let mut generate = Generate::new(&theme);
            for (key, value) in values(args)? {
                generate = generate.set(key, value);
            }
            if let Some(url) = args.opt::<String>("webhook_url")? {
                generate = generate.webhook_url(url);
            } else if let Some(receiver) = client.webhooks() {
                generate = generate.webhook(receiver);
            }
            let submission = generate.send(client).await?;
            let id = submission.id().map(str::to_owned);
            if let Some(emit) = &emit {
                emit(json!({"type": "submitted", "generation_id": id}));
            }
            if op == "submit" {
                return Ok(json!({"generation_id": id}));
            }
            let video = client.wait_one(&submission).await?;
            if let Some(emit) = &emit {
                emit(
                    json!({"type": "ready", "generation_id": video.generation_id, "via": video_json(&video)["via"]}),
                );
            }
            let saved = download(client, &video, &args.path("out_dir")?, &emit).await?;
            json!({"video": video_json(&video), "saved": saved})
        }
        "wait" => video_json(
            &client
                .wait_for_id(&args.req::<String>("generation_id")?)
                .await?,
        ),
        "download" => {
            let video = Video {
                generation_id: args.opt("generation_id")?,
                url: args.req("url")?,
                via: ReadyVia::ReadBack,
            };
            download(client, &video, &args.path("out_dir")?, &emit).await?
        }
        other => {
            return Err(Failure::argument(
                "op",
                format!("no MotionDynamic operation {other:?}"),
            ));
        }
    })
}
