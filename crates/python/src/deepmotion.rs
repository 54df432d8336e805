//! `motionkit._native.DeepMotion`: the Rust DeepMotion client behind
//! `motionkit.deepmotion.Client` and `AsyncClient`. Each operation is one
//! call of the Rust client; arguments and answers are JSON.

use std::path::PathBuf;
use std::sync::Arc;

use motionkit_deepmotion::{
    Animate, AnimateEvent, AnimatePeople, Client, DetectPeople, JobEvent, Process, SaveOutputs,
    StoreModel, Upload, WaitOptions, download_outputs,
};
use motionkit_models::deepmotion::JobStatus;
use motionkit_transport::UploadOptions;
use motionkit_validation::{InputKind, PersonModel};
use pyo3::prelude::*;
use serde_json::{Value, json};

use crate::args::{Args, to_json, upload_progress};
use crate::failure::Failure;
use crate::runtime::{Emit, PerProcess, Rotated, native_client};

/// A DeepMotion client, remade in a child process after `fork()`.
#[pyclass(module = "motionkit._native", frozen)]
pub struct DeepMotion {
    held: PerProcess<Client>,
    /// The client secret given to `set_client_secret`, which a client
    /// remade after `fork()` starts from.
    rotated: Rotated,
}

impl std::fmt::Debug for DeepMotion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeepMotion").finish_non_exhaustive()
    }
}

native_client!(DeepMotion {
    /// Settings as the CLI reads them: the arguments given, else the
    /// environment, else the config file (and its profile).
    #[new]
    #[pyo3(signature = (url=None, client_id=None, client_secret=None, config=None, profile=None, sandbox_waits=false, timeout=None, proxy=None))]
    #[allow(clippy::too_many_arguments, reason = "Python keyword arguments")]
    fn new(
        url: Option<String>,
        client_id: Option<String>,
        client_secret: Option<String>,
        config: Option<PathBuf>,
        profile: Option<String>,
        sandbox_waits: bool,
        timeout: Option<f64>,
        proxy: Option<String>,
    ) -> PyResult<Self> {
        let given = [("url", &url), ("client_id", &client_id), ("client_secret", &client_secret)];
        let proxy = motionkit_transport::Proxy::parse(proxy.as_deref().unwrap_or_default());
        crate::args::given_settings(&given)?;
        let timeouts = crate::args::timeouts(timeout)?;
        let rotated = Rotated::default();
        let latest = rotated.clone();
        let make = move || -> Result<Client, Failure> {
            let client_secret = latest.get().or_else(|| client_secret.clone());
            let settings = crate::args::load_settings(&config, &profile, |input| {
                if url.is_some() {
                    input.deepmotion_url.clone_from(&url);
                }
                if client_id.is_some() {
                    input.client_id.clone_from(&client_id);
                }
                if client_secret.is_some() {
                    input.client_secret.clone_from(&client_secret);
                }
            })?;
            let mut builder = motionkit_deepmotion::ClientBuilder::from_settings(&settings)?;
            if sandbox_waits {
                builder = builder.wait(motionkit_sandbox::deepmotion_wait_options());
            }
            if let Some(timeouts) = timeouts {
                builder = builder.timeouts(timeouts);
            }
            Ok(builder.proxy(proxy.clone()).build()?)
        };
        Ok(DeepMotion {
            held: PerProcess::new(make)?,
            rotated,
        })
    }

    /// Replaces the client secret in place: the next login uses it (the
    /// rate limiter and its pause are kept), here and in a process forked
    /// later.
    fn set_client_secret(&self, client_secret: String) -> PyResult<()> {
        self.rotated.set(client_secret.clone());
        self.held
            .get()?
            .set_client_secret(client_secret)
            .map_err(Failure::from)?;
        Ok(())
    }
});

async fn run(
    client: Result<Client, Failure>,
    op: String,
    args: String,
    emit: Option<Emit>,
) -> Result<Value, Failure> {
    let client = client?;
    let args = Args::parse(&args)?;
    dispatch(&client, &op, &args, emit).await
}

fn input_kind(text: Option<String>) -> Result<InputKind, Failure> {
    match text.as_deref() {
        None | Some("video") => Ok(InputKind::Video),
        Some("image") => Ok(InputKind::Image),
        Some(other) => Err(Failure::argument(
            "input",
            format!("video or image (got {other:?})"),
        )),
    }
}

fn input_text(kind: InputKind) -> &'static str {
    match kind {
        InputKind::Image => "image",
        _ => "video",
    }
}

fn upload_json(upload: &Upload) -> Value {
    json!({"url": upload.url, "name": upload.name, "size": upload.size, "input": input_text(upload.input)})
}

fn paths(files: &[PathBuf]) -> Value {
    Value::from(
        files
            .iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>(),
    )
}

/// A job event as Python reads it.
fn job_event(event: &JobEvent) -> Value {
    match event {
        JobEvent::Progress { rid, step, total } => {
            json!({"type": "progress", "rid": rid, "step": step, "total": total})
        }
        JobEvent::Retrying { rid, reason } => {
            json!({"type": "retrying", "rid": rid, "reason": reason})
        }
        JobEvent::Finished { rid, succeeded } => {
            json!({"type": "finished", "rid": rid, "succeeded": succeeded})
        }
        other => json!({"type": "other", "text": format!("{other:?}")}),
    }
}

fn animate_event(event: &AnimateEvent) -> Value {
    match event {
        AnimateEvent::Upload(p) => crate::args::progress_event("upload", "video", *p),
        AnimateEvent::UploadSession(_) => json!({"type": "upload_session"}),
        AnimateEvent::Submitting { upload_name, .. } => {
            json!({"type": "submitting", "upload_name": upload_name})
        }
        AnimateEvent::Submitted { rid } => json!({"type": "submitted", "rid": rid}),
        AnimateEvent::Job(job) => job_event(job),
        AnimateEvent::Download { kind, progress } => {
            crate::args::progress_event("download", kind, *progress)
        }
        AnimateEvent::Saved { path, renamed_from } => json!({
            "type": "saved",
            "path": path.display().to_string(),
            "renamed_from": renamed_from.as_ref().map(|p| p.display().to_string()),
        }),
        _ => json!({"type": "other"}),
    }
}

fn animate_events(emit: &Option<Emit>) -> Option<impl Fn(AnimateEvent) + Send + Sync + 'static> {
    let emit = emit.clone()?;
    Some(move |event: AnimateEvent| emit(animate_event(&event)))
}

fn wait_options(client: &Client, args: &Args) -> Result<WaitOptions, Failure> {
    let mut wait = *client.wait_options();
    if let Some(seconds) = args.opt::<f64>("timeout")? {
        if !(seconds.is_finite() && seconds > 0.0) {
            return Err(Failure::argument("timeout", "a number of seconds above 0"));
        }
        wait = wait.timeout(std::time::Duration::from_secs_f64(seconds));
    }
    Ok(wait)
}

fn save(args: &Args) -> Result<SaveOutputs, Failure> {
    let mut save = SaveOutputs::from(args.on_existing()?);
    save.unzip = args.flag("unzip")?;
    Ok(save)
}

async fn dispatch(
    client: &Client,
    op: &str,
    args: &Args,
    emit: Option<Emit>,
) -> Result<Value, Failure> {
    Ok(match op {
        "credits" => json!(client.credit_balance().await?),
        "list" => {
            let statuses: Vec<String> = args.opt("statuses")?.unwrap_or_default();
            let statuses: Vec<_> = statuses.iter().map(|s| JobStatus::from_wire(s)).collect();
            to_json(&client.list(&statuses).await?)?
        }
        "status" => to_json(&client.status(&args.req::<Vec<String>>("rids")?).await?)?,
        "download_links" => to_json(
            &client
                .download_links(&args.req::<Vec<String>>("rids")?)
                .await?,
        )?,
        "video_info" => to_json(&client.video_info(&args.req::<String>("url")?).await?)?,
        "upload" => {
            let mut options = UploadOptions::default();
            options.progress = upload_progress(&emit, "video");
            upload_json(&client.upload(&args.path("path")?, &options).await?)
        }
        "process" => {
            let mut params = args.params()?;
            let process = match (
                args.opt::<String>("rerun")?,
                args.opt::<String>("detection")?,
            ) {
                (Some(rid), _) => Process::rerun(rid),
                (None, Some(detection)) => {
                    // The animation carries the detection's input name, by
                    // which an ambiguous submission is looked up.
                    let found = client.detection(&detection).await?;
                    let people: Vec<(String, String)> = args.req("people")?;
                    params.models = people
                        .into_iter()
                        .map(|(tracking_id, model_id)| PersonModel::new(tracking_id, model_id))
                        .collect();
                    Process::people(detection, found.input_name)
                }
                (None, None) => {
                    let upload: serde_json::Map<String, Value> = args.req("upload")?;
                    let field = |k: &str| upload.get(k).cloned().unwrap_or(Value::Null);
                    let upload = Upload {
                        url: serde_json::from_value(field("url"))
                            .map_err(|_| Failure::argument("upload.url", "text"))?,
                        name: serde_json::from_value(field("name"))
                            .map_err(|_| Failure::argument("upload.name", "text"))?,
                        size: serde_json::from_value(field("size")).unwrap_or(0),
                        input: input_kind(serde_json::from_value(field("input")).unwrap_or(None))?,
                    };
                    Process::new(&upload)
                }
            };
            let process = process.params(params).force(args.flag("force")?);
            json!({"rid": process.send(client).await?.rid})
        }
        "wait" => {
            let rids: Vec<String> = args.req("rids")?;
            let options = wait_options(client, args)?;
            let outcomes = client
                .wait_with(&rids, &options, |event| {
                    if let Some(emit) = &emit {
                        emit(job_event(&event));
                    }
                })
                .await?;
            Value::from(
                outcomes
                    .iter()
                    .map(|o| match &o.result {
                        Ok(details) => {
                            Ok(json!({"rid": o.rid, "ok": true, "details": to_json(details)?}))
                        }
                        Err(failure) => Ok(json!({
                            "rid": o.rid, "ok": false, "unknown": failure.is_unknown(),
                            "code": failure.code().map(|c| c.code()),
                            "message": failure.reason.to_string(),
                        })),
                    })
                    .collect::<Result<Vec<_>, Failure>>()?,
            )
        }
        "download" => {
            let events =
                animate_events(&emit).map(|f| Arc::new(f) as motionkit_deepmotion::EventFn);
            let rid: String = args.req("rid")?;
            paths(
                &download_outputs(client, &rid, &args.path("out_dir")?, save(args)?, events)
                    .await?,
            )
        }
        "download_url" => {
            let mut options = motionkit_transport::DownloadOptions::default()
                .on_existing(args.on_existing()?)
                .file_name(args.opt::<String>("file_name")?);
            if let Some(emit) = emit.clone() {
                options.progress = Some(Arc::new(move |p| {
                    emit(crate::args::progress_event("download", "file", p))
                }));
            }
            let url: String = args.req("url")?;
            let report = client
                .transport()
                .download(&url, &args.path("out_dir")?, &options)
                .await
                .map_err(motionkit_deepmotion::Error::from)?;
            json!(report.path.display().to_string())
        }
        "animate" => {
            let mut animate = Animate::new(args.path("video")?, args.path("out_dir")?)
                .params(args.params()?)
                .force(args.flag("force")?)
                .on_existing(args.on_existing()?)
                .unzip(args.flag("unzip")?)
                .wait_options(wait_options(client, args)?);
            if let Some(events) = animate_events(&emit) {
                animate = animate.on_event(events);
            }
            let done = animate.send(client).await?;
            json!({"rid": done.rid, "files": paths(&done.files)})
        }
        "detect_people" => {
            let mut detect = DetectPeople::new(args.path("video")?)
                .on_existing(args.on_existing()?)
                .wait_options(wait_options(client, args)?);
            if let Some(dir) = args.opt::<String>("previews")? {
                detect = detect.previews(dir);
            }
            if let Some(events) = animate_events(&emit) {
                detect = detect.on_event(events);
            }
            let found = detect.send(client).await?;
            json!({
                "rid": found.rid,
                "input_name": found.input_name,
                "people": found.people.iter().map(|p| json!({
                    "tracking_id": p.tracking_id,
                    "group": p.group,
                    "previews": p.previews.iter().map(|(kind, url)| json!({"type": kind, "url": url})).collect::<Vec<_>>(),
                    "saved": paths(&p.saved),
                })).collect::<Vec<_>>(),
            })
        }
        "animate_people" => {
            let mut people =
                AnimatePeople::new(args.req::<String>("detection")?, args.path("out_dir")?)
                    .params(args.params()?)
                    .force(args.flag("force")?)
                    .on_existing(args.on_existing()?)
                    .unzip(args.flag("unzip")?)
                    .wait_options(wait_options(client, args)?);
            for (tracking_id, model_id) in args.req::<Vec<(String, String)>>("people")? {
                people = people.person(tracking_id, model_id);
            }
            if let Some(events) = animate_events(&emit) {
                people = people.on_event(events);
            }
            let done = people.send(client).await?;
            json!({
                "rid": done.rid,
                "people": done.people.iter().map(|(id, files)| json!({"tracking_id": id, "files": paths(files)})).collect::<Vec<_>>(),
                "all_characters": paths(&done.all_characters),
            })
        }
        "models" => {
            let id = args.opt::<String>("model_id")?;
            let search = args.opt::<String>("search")?;
            to_json(&client.list_models(id.as_deref(), search.as_deref()).await?)?
        }
        "upload_model" => {
            let thumb = args.opt::<String>("thumbnail")?.map(PathBuf::from);
            let mut options = UploadOptions::default();
            options.progress = upload_progress(&emit, "model");
            let up = client
                .upload_model(&args.path("path")?, thumb.as_deref(), &options)
                .await?;
            json!({"model_url": up.model_url, "thumb_url": up.thumb_url})
        }
        "store_model" => {
            let mut store = match args.opt::<String>("model_id")? {
                Some(id) => {
                    StoreModel::update(id).name(args.opt::<String>("name")?.unwrap_or_default())
                }
                None => StoreModel::new(args.req::<String>("model_url")?),
            };
            if let Some(name) = args.opt::<String>("name")? {
                store = store.name(name);
            }
            if let Some(thumb) = args.opt::<String>("thumb_url")? {
                store = store.thumb_url(thumb);
            }
            store = store.create_thumb(args.flag("create_thumb")?);
            json!({"model_id": store.send(client).await?})
        }
        "delete_model" => json!(
            client
                .delete_model(&args.req::<String>("model_id")?)
                .await?
        ),
        "create_webhook" => {
            let events: Vec<String> = args.opt("events")?.unwrap_or_default();
            let events: Vec<&str> = events.iter().map(String::as_str).collect();
            to_json(
                &client
                    .create_webhook(&args.req::<String>("url")?, &events)
                    .await?,
            )?
        }
        "webhooks" => to_json(&client.webhooks().await?)?,
        "delete_webhook" => to_json(&client.delete_webhook(&args.req::<String>("id")?).await?)?,
        other => {
            return Err(Failure::argument(
                "op",
                format!("no DeepMotion operation {other:?}"),
            ));
        }
    })
}

/// DeepMotion's documented job error codes and their descriptions.
#[pyfunction]
pub fn error_codes() -> Vec<(u32, &'static str)> {
    motionkit_models::deepmotion::ErrorCode::ALL
        .iter()
        .map(|code| (code.code(), code.message()))
        .collect()
}

/// Verifies a DeepMotion webhook delivery (its headers as `(name, value)`
/// pairs, its raw body) against the client id, for web frameworks that
/// receive it themselves: `(rid, succeeded)`, or a `webhook` failure with
/// the status to answer (401, 400 or 422).
#[pyfunction]
pub fn verify_webhook(
    headers: Vec<(String, String)>,
    body: &[u8],
    client_id: &str,
) -> PyResult<(String, Option<bool>)> {
    let mut map = http::HeaderMap::new();
    for (name, value) in headers {
        if let (Ok(name), Ok(value)) = (
            http::HeaderName::from_bytes(name.as_bytes()),
            http::HeaderValue::from_str(&value),
        ) {
            map.append(name, value);
        }
    }
    motionkit_deepmotion::verify_webhook(&map, body, client_id)
        .map(|event| (event.rid, event.succeeded))
        .map_err(|e| Failure::webhook(&e).into())
}
