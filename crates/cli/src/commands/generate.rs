//! `motionkit generate` and `motionkit validate`: theme values checked
//! before anything is created; the video arrives through a built-in
//! webhook receiver.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::Path as UrlPath;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use motionkit_models::motiondynamic::{DEMO_THEME_ID, GenerationRequest};
use motionkit_motiondynamic::{
    DownloadOptions, Generate, ReadyVia, Submission, Theme, WebhookReceiver,
};
use motionkit_validation::{ParameterKind, ThemeParameter, resolve};
use motionkit_validation::{Rule, Violation, Violations};

use super::themes::default_color;
use super::{Ctx, MotionDynamic, picture};
use crate::args::{GenerateArgs, ThemeValues, ValidateArgs};
use crate::exit::{CliError, io_error};
use crate::output::{GenerateOutput, GeneratePlan, GenerateSubmitted, ValidateOutput, ValueView};
use crate::term::safe;

/// The document's example generation for the demo theme: the defaults of
/// its values.
const DEMO_EXAMPLE: &str =
    include_str!("../../specs/examples/motiondynamic/generation_request.json");

/// Largest default picture served, per side.
const MAX_PICTURE_SIDE: u32 = 4096;

/// `--set LAYER=VALUE` values, in order.
fn parse_sets(sets: &[String]) -> Result<Vec<(String, String)>, Violations> {
    let mut found = Violations::new();
    let mut out = Vec::new();
    for set in sets {
        match set.split_once('=') {
            Some((key, value)) if !key.trim().is_empty() => {
                out.push((key.trim().to_owned(), value.to_owned()));
            }
            _ => found.push(Violation::new(
                "--set",
                Rule::Syntax,
                set,
                "LAYER=VALUE, for example l3_prix_01=12.1",
            )),
        }
    }
    found.into_result(out)
}

/// Where default pictures come from.
#[derive(Debug, Clone)]
enum Pictures {
    /// The document's example URLs (the real API can fetch them).
    Example,
    /// Served by this process at `{base}/pictures/{w}x{h}.png`.
    Local(String),
}

fn picture_default(rule: &ThemeParameter, pictures: &Pictures) -> Option<String> {
    let Pictures::Local(base) = pictures else {
        return None;
    };
    let ParameterKind::Picture {
        accept,
        min_width,
        min_height,
    } = &rule.kind
    else {
        return None;
    };
    if !accept.is_empty() && !accept.iter().any(|a| a.eq_ignore_ascii_case("png")) {
        return None;
    }
    let w = min_width.unwrap_or(640).clamp(1, MAX_PICTURE_SIDE);
    let h = min_height.unwrap_or(360).clamp(1, MAX_PICTURE_SIDE);
    Some(format!("{base}/pictures/{w}x{h}.png"))
}

/// Values for the parameters the user left out: the theme's default
/// colour, its only output variant, a picture served locally (sandbox
/// only), and for the demo theme the document's example values.
fn defaults(
    theme: &Theme,
    rules: &[ThemeParameter],
    given: &[(String, String)],
    pictures: &Pictures,
) -> Vec<(String, String)> {
    let example: Option<GenerationRequest> = theme
        .theme_id
        .eq_ignore_ascii_case(DEMO_THEME_ID)
        .then(|| serde_json::from_str(DEMO_EXAMPLE).ok())
        .flatten();
    let mut out = Vec::new();
    for rule in rules {
        let set = given
            .iter()
            .any(|(key, _)| resolve(rules, key).is_some_and(|p| p.id == rule.id));
        if set {
            continue;
        }
        let from_example = || {
            example.as_ref().and_then(|e| {
                e.values
                    .iter()
                    .find(|v| rule.has_id(&v.parameter_id))
                    .map(|v| v.value.clone())
            })
        };
        let value = match &rule.kind {
            ParameterKind::Color => default_color(theme, &rule.id)
                .map(str::to_owned)
                .or_else(from_example),
            ParameterKind::Output { layers } if layers.len() == 1 => Some(layers[0].clone()),
            ParameterKind::Picture { .. } => picture_default(rule, pictures).or_else(from_example),
            _ => from_example(),
        };
        if let Some(value) = value {
            out.push((rule.layer.clone(), value));
        }
    }
    out
}

/// A generation built from the command line, and what was said about it.
struct Prepared {
    theme: Theme,
    generate: Generate,
    /// Every note printed: the defaults filled in, then the warnings.
    notes: Vec<String>,
    /// The warnings alone, as `--json` reports them.
    warnings: Vec<String>,
}

/// Fetches the theme and builds the generation from `--set` values and
/// defaults; the notes say which defaults were filled in and what
/// motionkit warns about.
async fn prepare(
    ctx: &Ctx,
    md: &MotionDynamic,
    values: &ThemeValues,
    pictures: &Pictures,
) -> Result<Prepared, CliError> {
    let given = parse_sets(&values.set)?;
    let theme_id = values.theme.as_deref().unwrap_or(DEMO_THEME_ID);
    let theme = md.client.theme(theme_id).await?;
    let (rules, _) = theme.rules();
    let filled = if values.no_defaults {
        Vec::new()
    } else {
        defaults(&theme, &rules, &given, pictures)
    };
    let mut notes = Vec::new();
    if !filled.is_empty() {
        let list: Vec<String> = filled
            .iter()
            .map(|(k, v)| format!("--set {k}={v}"))
            .collect();
        let note = format!(
            "defaults for values not given (--no-defaults to turn off): {}",
            list.join(" ")
        );
        ctx.note(&note);
        notes.push(note);
    }
    let mut generate = Generate::new(&theme);
    for (key, value) in given.into_iter().chain(filled) {
        generate = generate.set(key, value);
    }
    // The values' warnings: the webhook is the command's own receiver.
    let warnings: Vec<String> = generate
        .values()
        .warnings()
        .iter()
        .map(|w| w.to_string())
        .collect();
    for warning in &warnings {
        let note = format!("warning: {warning}");
        ctx.note(&note);
        notes.push(note);
    }
    Ok(Prepared {
        theme,
        generate,
        notes,
        warnings,
    })
}

fn value_views(values: &[motionkit_models::motiondynamic::GenerationValue]) -> Vec<ValueView> {
    values
        .iter()
        .map(|v| ValueView {
            parameter_id: v.parameter_id.clone(),
            value: v.value.clone(),
        })
        .collect()
}

/// `motionkit validate`: nothing is created.
pub async fn validate(ctx: &Ctx, args: ValidateArgs) -> Result<(), CliError> {
    let md = ctx.motiondynamic().await?;
    let Prepared {
        theme,
        generate,
        warnings,
        ..
    } = prepare(ctx, md, &args.values, &Pictures::Example).await?;
    // `generate` delivers to a receiver of its own, so the webhook is
    // settled: stand one in that nothing is ever sent to.
    let stand_in = WebhookReceiver::new("http://127.0.0.1:9/validate");
    let generate = generate.webhook(&stand_in);
    let found = if args.fetch_pictures {
        generate.preflight(&md.client).await
    } else {
        generate.validate()
    };
    let checked = found
        .errors_only()
        .and_then(|()| generate.values().to_values())
        .map_err(motionkit_motiondynamic::Error::from);
    let values = match checked {
        Ok(values) => values,
        Err(error) => {
            let error = CliError::from(error);
            let output = ValidateOutput {
                simulated: ctx.simulated(),
                valid: false,
                theme_id: theme.theme_id.clone(),
                values: Vec::new(),
                problems: error.problems.clone(),
                warnings,
            };
            return Err(error.with_output(&output));
        }
    };
    if ctx.json() {
        return ctx.print_json(&ValidateOutput {
            simulated: ctx.simulated(),
            valid: true,
            theme_id: theme.theme_id.clone(),
            values: value_views(&values),
            problems: Vec::new(),
            warnings,
        });
    }
    ctx.out(format!(
        "valid: {} values for theme {} ({})",
        values.len(),
        safe(&theme.theme_id),
        safe(theme.title.as_deref().unwrap_or("untitled"))
    ));
    Ok(())
}

/// `motionkit generate --dry-run`: the theme is read, nothing is created.
async fn dry_run(ctx: &Ctx, args: &GenerateArgs) -> Result<(), CliError> {
    let md = ctx.motiondynamic().await?;
    let Prepared {
        theme,
        generate,
        notes,
        ..
    } = prepare(ctx, md, &args.values, &Pictures::Example).await?;
    let values = generate.values().to_values()?;
    let plan = GeneratePlan {
        simulated: ctx.simulated(),
        dry_run: true,
        theme_id: theme.theme_id.clone(),
        values: value_views(&values),
        warnings: notes,
    };
    if ctx.json() {
        return ctx.print_json(&plan);
    }
    ctx.out(format!(
        "would POST /rest/generations for theme {} with {} values:",
        safe(&plan.theme_id),
        plan.values.len()
    ));
    for value in &plan.values {
        ctx.out(format!(
            "  {}\t{}",
            safe(&value.parameter_id),
            safe(&value.value)
        ));
    }
    Ok(())
}

async fn serve_picture(UrlPath(name): UrlPath<String>) -> axum::response::Response {
    let size = name
        .strip_suffix(".png")
        .and_then(|s| s.split_once('x'))
        .and_then(|(w, h)| Some((w.parse::<u32>().ok()?, h.parse::<u32>().ok()?)))
        .filter(|(w, h)| (1..=MAX_PICTURE_SIDE).contains(w) && (1..=MAX_PICTURE_SIDE).contains(h));
    match size {
        Some((w, h)) => ([(header::CONTENT_TYPE, "image/png")], picture::png(w, h)).into_response(),
        None => (StatusCode::NOT_FOUND, "no such picture").into_response(),
    }
}

/// Largest picture requests `generate` serves at once; more get 503.
const MAX_PICTURES_IN_FLIGHT: usize = 4;

/// The webhook receiver under `/hooks`, and, only when the API is a local
/// sandbox (`local`), the default pictures under `/pictures`: a real API
/// cannot reach them, and each one costs a PNG render.
fn receiver_router(receiver: &WebhookReceiver, local: bool) -> axum::Router {
    let router = axum::Router::new().nest("/hooks", receiver.router());
    if !local {
        return router;
    }
    let permits = Arc::new(tokio::sync::Semaphore::new(MAX_PICTURES_IN_FLIGHT));
    router.route(
        "/pictures/{name}",
        axum::routing::get(move |name: UrlPath<String>| {
            let permits = permits.clone();
            async move {
                match permits.try_acquire_owned() {
                    Ok(_permit) => serve_picture(name).await,
                    Err(_) => StatusCode::SERVICE_UNAVAILABLE.into_response(),
                }
            }
        }),
    )
}

/// The public base URL for a receiver listening on `addr`.
fn public_base(addr: SocketAddr, public_url: Option<&str>) -> String {
    match public_url {
        Some(url) => url.trim_end_matches('/').to_owned(),
        None => {
            let ip = if addr.ip().is_unspecified() {
                "127.0.0.1".parse().unwrap_or(addr.ip())
            } else {
                addr.ip()
            };
            format!("http://{}", SocketAddr::new(ip, addr.port()))
        }
    }
}

/// `motionkit generate`.
pub async fn generate(ctx: &Ctx, args: GenerateArgs) -> Result<(), CliError> {
    let given = parse_sets(&args.values.set)?;
    drop(given);
    if args.dry_run {
        return dry_run(ctx, &args).await;
    }
    if let Some(url) = &args.public_url {
        motionkit_validation::http_url("--public-url", url)?;
    }
    let listener = tokio::net::TcpListener::bind(&args.webhook_listen)
        .await
        .map_err(|e| {
            CliError::permanent(format!(
                "--webhook-listen {}: cannot listen: {e}",
                args.webhook_listen
            ))
        })?;
    let addr = listener
        .local_addr()
        .map_err(|e| io_error("--webhook-listen", e))?;
    let public = public_base(addr, args.public_url.as_deref());
    let md = ctx.motiondynamic().await?;
    let receiver = WebhookReceiver::new(format!("{public}/hooks"));
    let router = receiver_router(&receiver, md.local);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(async move {
        motionkit_transport::serve_receiver(listener, router, async {
            let _ = stopped.await;
        })
        .await;
    });
    let pictures = if md.local {
        Pictures::Local(public.clone())
    } else {
        Pictures::Example
    };
    let result = run_generation(ctx, md, &args, &receiver, &pictures).await;
    let _ = stop.send(());
    let _ = tokio::time::timeout(Duration::from_secs(2), server).await;
    result
}

async fn run_generation(
    ctx: &Ctx,
    md: &MotionDynamic,
    args: &GenerateArgs,
    receiver: &WebhookReceiver,
    pictures: &Pictures,
) -> Result<(), CliError> {
    let Prepared {
        theme,
        generate,
        warnings,
        ..
    } = prepare(ctx, md, &args.values, pictures).await?;
    let bar = ctx
        .bars
        .item(theme.title.as_deref().unwrap_or("generation"));
    bar.note("checking values");
    let result = async {
        let submission = generate
            .webhook(receiver)
            .fetch_pictures(!args.no_fetch_pictures)
            .send(&md.client)
            .await?;
        announce(ctx, &submission);
        if args.timeout.is_zero() {
            print_submitted(ctx, md, &theme, &submission, &warnings)?;
            return Ok::<_, CliError>(None);
        }
        bar.note(&format!(
            "rendering {}",
            submission.id().unwrap_or("(id not known yet)")
        ));
        let mut options = md.client.wait_options().timeout(args.timeout);
        if md.local {
            options = options
                .interval_with_webhook(Duration::from_secs(2))
                .every(Duration::from_millis(500));
        }
        let video = md
            .client
            .wait_one_with(&submission, &options)
            .await
            .map_err(|error| {
                let timed_out = matches!(error, motionkit_motiondynamic::Error::WaitTimeout { .. });
                let error = CliError::from(error);
                match submission.id() {
                    Some(id) if timed_out && !ctx.simulated() => error.hint(format!(
                        "it may still be rendering: motionkit generations wait {id} --out {}",
                        args.out.display()
                    )),
                    _ => error,
                }
            })?;
        tokio::fs::create_dir_all(&args.out)
            .await
            .map_err(|e| io_error(format!("creating {}", args.out.display()), e))?;
        let bar_for_download = bar.clone();
        let download = DownloadOptions::default()
            .file_name(video.generation_id.as_ref().map(|id| format!("{id}.mp4")))
            .progress(Some(Arc::new(move |p| {
                bar_for_download.bytes("get mp4", p)
            })));
        let report = md
            .client
            .download_with(&video, &args.out, &download)
            .await?;
        bar.transferred("get mp4", report.bytes);
        Ok(Some((video, report)))
    }
    .await;
    bar.finish(match &result {
        Ok(Some(_)) => "saved",
        Ok(None) => "submitted",
        Err(_) => "failed",
    });
    let Some((video, report)) = result? else {
        return Ok(());
    };
    let via = match video.via {
        ReadyVia::Webhook => "webhook",
        _ => "read_back",
    };
    if ctx.json() {
        return ctx.print_json(&GenerateOutput {
            simulated: ctx.simulated(),
            generation_id: video.generation_id.clone(),
            theme_id: theme.theme_id.clone(),
            path: report.path.clone(),
            bytes: report.bytes,
            via: via.to_owned(),
            warnings,
        });
    }
    ctx.out(format!(
        "{}\tmp4\t{}",
        safe(video.generation_id.as_deref().unwrap_or("-")),
        safe(&report.path.display().to_string())
    ));
    Ok(())
}

/// Says on stderr, the moment it is created, which generation this is.
fn announce(ctx: &Ctx, submission: &Submission) {
    let line = match (submission.id(), submission.confirmed()) {
        (Some(id), true) if ctx.simulated() => format!("generation {id} created"),
        (Some(id), true) => format!(
            "generation {id} created (if this command stops before the video is saved: \
             motionkit generations wait {id} --out DIR)"
        ),
        (Some(id), false) => format!("generation {id} found after an unclear answer"),
        (None, true) => "generation created; the server returned no id and does not let this \
                         token read generations: its id comes with its webhook"
            .to_owned(),
        (None, false) => "the answer to the generation request was lost and the server does not \
                          let this token look it up: it may or may not exist (it was not sent \
                          again); waiting for its webhook"
            .to_owned(),
    };
    ctx.note(line);
}

/// `--timeout 0`: the generation is submitted and not waited for.
fn print_submitted(
    ctx: &Ctx,
    md: &MotionDynamic,
    theme: &Theme,
    submission: &Submission,
    warnings: &[String],
) -> Result<(), CliError> {
    let wait_command = submission
        .id()
        .filter(|_| !ctx.simulated())
        .map(|id| format!("motionkit generations wait {id}"));
    if ctx.json() {
        return ctx.print_json(&GenerateSubmitted {
            simulated: ctx.simulated(),
            submitted: true,
            generation_id: submission.id().map(str::to_owned),
            theme_id: theme.theme_id.clone(),
            confirmed: submission.confirmed(),
            wait_command,
            warnings: warnings.to_vec(),
        });
    }
    ctx.out(format!(
        "{}\tsubmitted",
        safe(submission.id().unwrap_or("-"))
    ));
    match (&wait_command, submission.id()) {
        (Some(command), _) => {
            let reads = if md.client.reads_refused() {
                " (it reads the generation back; this token may not, so run it where the \
                 webhook is received instead)"
            } else {
                ""
            };
            ctx.note(format!("wait for it with: {command}{reads}"));
        }
        (None, Some(_)) => ctx.note(
            "the embedded sandbox stops with this command: nothing can wait for this generation",
        ),
        (None, None) => ctx.note(
            "its id is not known and nothing listens for its webhook any more: it cannot be \
             waited for from here (MotionDynamic retries the webhook for an hour)",
        ),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The status line of `GET path` on a router served on 127.0.0.1.
    async fn status_of(router: axum::Router, path: &str) -> String {
        use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, router).await });
        let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
        let request = format!("GET {path} HTTP/1.1\r\nhost: {addr}\r\nconnection: close\r\n\r\n");
        stream.write_all(request.as_bytes()).await.unwrap();
        let mut head = [0u8; 12];
        stream.read_exact(&mut head).await.unwrap();
        String::from_utf8_lossy(&head[9..12]).into_owned()
    }

    #[tokio::test]
    async fn pictures_are_served_only_for_a_local_sandbox() {
        let receiver = WebhookReceiver::new("http://127.0.0.1:1/hooks");
        let sandbox = receiver_router(&receiver, true);
        assert_eq!(status_of(sandbox, "/pictures/64x64.png").await, "200");
        let real_api = receiver_router(&receiver, false);
        assert_eq!(status_of(real_api, "/pictures/64x64.png").await, "404");
    }

    fn demo() -> Theme {
        motionkit_models::decode(include_str!(
            "../../specs/examples/motiondynamic/demo_theme.json"
        ))
        .unwrap()
    }

    #[test]
    fn sets_need_an_equals_sign() {
        assert_eq!(
            parse_sets(&["a=b=c".into()]).unwrap(),
            vec![("a".to_owned(), "b=c".to_owned())]
        );
        let err = parse_sets(&["novalue".into(), "=x".into()]).unwrap_err();
        assert_eq!(err.len(), 2);
        assert_eq!(err.0[0].field, "--set");
    }

    #[test]
    fn the_demo_theme_is_complete_with_defaults() {
        let theme = demo();
        let (rules, _) = theme.rules();
        let given = vec![("l1_titre_01".to_owned(), "Hello".to_owned())];
        let filled = defaults(&theme, &rules, &given, &Pictures::Example);
        assert_eq!(filled.len(), rules.len() - 1);
        assert!(!filled.iter().any(|(k, _)| k == "l1_titre_01"));
        let mut generate = Generate::new(&theme);
        for (k, v) in given.into_iter().chain(filled) {
            generate = generate.set(k, v);
        }
        let found = generate.values().validate();
        assert!(found.errors.is_empty(), "{found:?}");

        let local = defaults(
            &theme,
            &rules,
            &[],
            &Pictures::Local("http://127.0.0.1:9".into()),
        );
        let picture = local.iter().find(|(k, _)| k == "image_produit").unwrap();
        assert_eq!(picture.1, "http://127.0.0.1:9/pictures/1200x680.png");
    }

    #[test]
    fn unspecified_listen_addresses_are_published_as_loopback() {
        let addr: SocketAddr = "0.0.0.0:8123".parse().unwrap();
        assert_eq!(public_base(addr, None), "http://127.0.0.1:8123");
        assert_eq!(
            public_base(addr, Some("https://hooks.example.com/x/")),
            "https://hooks.example.com/x"
        );
    }
}
