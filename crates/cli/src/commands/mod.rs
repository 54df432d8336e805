//! The commands, and what they share: configuration, clients, output.

pub mod animate;
pub mod config;
pub mod download;
pub mod generate;
pub mod generations;
pub mod jobs;
pub mod man;
pub mod models;
pub mod people;
pub mod picture;
#[cfg(feature = "sandbox")]
pub mod sandbox;
pub mod themes;
pub mod upload;
pub mod webhooks;

use std::io::IsTerminal as _;
use std::sync::OnceLock;
use std::time::Duration;

use motionkit_deepmotion::{Client as DeepMotionClient, WaitOptions};
use serde::Serialize;
use tokio::sync::OnceCell;
use tracing::Instrument as _;

use crate::args::{Cli, Command, GlobalArgs};
use crate::config::{Config, Source};
use crate::embedded::Lazy;
use crate::exit::{CliError, ErrorKind, Exit};
use crate::progress::Bars;
use crate::term::safe;

/// What every command gets: options, configuration, clients and output.
#[derive(Debug)]
pub struct Ctx {
    /// The global options.
    pub global: GlobalArgs,
    /// Progress on stderr: bars on a terminal, plain lines otherwise.
    pub bars: Bars,
    config: Config,
    embedded: Lazy,
    deepmotion: OnceCell<DeepMotion>,
    motiondynamic: OnceCell<MotionDynamic>,
    /// The first API this run talked to, for network errors.
    api: OnceLock<Api>,
    span: tracing::Span,
}

/// The API a command talks to, as network errors describe it.
#[derive(Debug)]
struct Api {
    /// `DeepMotion API at HOST:PORT`.
    label: String,
    /// `DeepMotion`.
    service: &'static str,
    /// The base URL.
    url: String,
    /// Where the URL came from: `flag --deepmotion-url`, `environment
    /// DEEPMOTION_API_URL`, `config file PATH [profiles.NAME.deepmotion]`...
    source: String,
    /// Its transport, whose counters tell whether it ever answered.
    transport: motionkit_transport::Transport,
}

impl Api {
    /// A connection that failed before the server ever answered in this
    /// run (DNS, refused, TLS) points at the URL, not at an outage: exit 1,
    /// with the URL, where it came from, and what to check. Once the server
    /// has answered, the same failure is a passing one (exit 2).
    fn explain(&self, mut error: CliError) -> CliError {
        let never_answered = self.transport.stats().responses == 0;
        match error.kind {
            ErrorKind::Unreachable if never_answered => {
                error.exit = Exit::Permanent;
                error.context(&self.label).hint(format!(
                    "check the {} URL {} (from {}): is it spelt right, with its scheme and                      port, and can this machine reach it? `motionkit config show` lists every                      setting and where it came from",
                    self.service, self.url, self.source
                ))
            }
            ErrorKind::Network | ErrorKind::Unreachable => error.context(&self.label),
            _ => error,
        }
    }
}

/// A client that could not be built: its base URL is the only setting
/// that can fail, so the hint names it and where it came from.
fn bad_url(error: CliError, service: &str, source: &str) -> CliError {
    if error.kind == ErrorKind::Config {
        error.hint(format!(
            "check the {service} URL (from {source}): it must look like \
             https://host[:port][/prefix]; `motionkit config show` lists every setting"
        ))
    } else {
        error
    }
}

/// A MotionDynamic client and where it points.
#[derive(Debug, Clone)]
pub struct MotionDynamic {
    /// The client.
    pub client: motionkit_motiondynamic::Client,
    /// True when the API is on this machine (a sandbox): it can reach
    /// loopback URLs, so `generate` serves its default picture itself.
    pub local: bool,
}

/// A DeepMotion client and how to poll it.
#[derive(Debug, Clone)]
pub struct DeepMotion {
    /// The client.
    pub client: DeepMotionClient,
    /// One batched status poll shared by every job this run waits for,
    /// brisk on loopback and gentle otherwise.
    pub watcher: motionkit_deepmotion::Watcher,
    /// How this run waits for a job of its own (brisk on loopback).
    pub wait: WaitOptions,
}

/// True for `http://127.x`, `localhost` and `[::1]` URLs.
pub fn is_loopback(url: &str) -> bool {
    url::Url::parse(url)
        .ok()
        .and_then(|u| {
            u.host().map(|host| match host {
                url::Host::Domain(d) => d.eq_ignore_ascii_case("localhost"),
                url::Host::Ipv4(ip) => ip.is_loopback(),
                url::Host::Ipv6(ip) => ip.is_loopback(),
            })
        })
        .unwrap_or(false)
}

/// `host:port` of a base URL.
fn host_port(url: &str) -> String {
    url::Url::parse(url)
        .ok()
        .and_then(|u| {
            let host = u.host_str()?.to_owned();
            Some(match u.port_or_known_default() {
                Some(port) => format!("{host}:{port}"),
                None => host,
            })
        })
        .unwrap_or_else(|| url.to_owned())
}

impl Ctx {
    /// Reads the config file; services are resolved when first used.
    pub fn new(global: GlobalArgs, span: tracing::Span) -> Result<Ctx, CliError> {
        let config = Config::load(&global)?;
        for table in config.unknown_tables() {
            if !global.quiet {
                crate::stdio::err(format_args!(
                    "motionkit: warning: the config file has an unknown table [{}] (ignored)",
                    safe(&table)
                ));
            }
        }
        Ok(Ctx {
            bars: Bars::new(global.quiet),
            global,
            config,
            embedded: Lazy::default(),
            deepmotion: OnceCell::new(),
            motiondynamic: OnceCell::new(),
            api: OnceLock::new(),
            span,
        })
    }

    /// True when results come from the embedded sandbox.
    pub fn simulated(&self) -> bool {
        self.global.sandbox
    }

    fn connected(
        &self,
        service: &'static str,
        url: &str,
        source: String,
        transport: &motionkit_transport::Transport,
    ) {
        let host = host_port(url);
        self.span.record("host", tracing::field::display(&host));
        let _ = self.api.set(Api {
            label: format!("{service} API at {host}"),
            service,
            url: url.to_owned(),
            source,
            transport: transport.clone(),
        });
        tracing::debug!(service, %host, "using");
    }

    /// Where a service's URL setting came from, as hints name it.
    fn url_source(&self, setting: &crate::config::Setting) -> String {
        match (&setting.source, &self.config.path) {
            (Source::File(table), Some(path)) => {
                format!("config file {} [{table}]", path.display())
            }
            (source, _) => source.to_string(),
        }
    }

    fn missing_credentials(service: &str, vars: &str, keys: &str) -> CliError {
        CliError::auth(format!("no {service} credentials: set {vars}")).hint(format!(
            "set {vars} (or {keys} in the config file; see `motionkit config init`), or add \
                 --sandbox (or MOTIONKIT_SANDBOX=1) to try motionkit offline with simulated results"
        ))
    }

    /// The DeepMotion client: the configured service, or the embedded
    /// sandbox with `--sandbox`. Only DeepMotion's configuration is read.
    pub async fn deepmotion(&self) -> Result<&DeepMotion, CliError> {
        self.deepmotion
            .get_or_try_init(|| async {
                let (url, id, secret, source) = if self.global.sandbox {
                    let embedded = self.embedded.get("DeepMotion").await?;
                    (
                        embedded.deepmotion_url(),
                        embedded.client_id().to_owned(),
                        embedded.client_secret().to_owned().into(),
                        "the embedded sandbox".to_owned(),
                    )
                } else {
                    match self.config.deepmotion()? {
                        Some(dm) => {
                            let [url, ..] = self.config.deepmotion_settings();
                            (
                                dm.url,
                                dm.client_id,
                                dm.client_secret,
                                self.url_source(&url),
                            )
                        }
                        None => {
                            return Err(Self::missing_credentials(
                                "DeepMotion",
                                "DEEPMOTION_CLIENT_ID and DEEPMOTION_CLIENT_SECRET",
                                "client_id and client_secret under [deepmotion]",
                            ));
                        }
                    }
                };
                let wait = if is_loopback(&url) {
                    WaitOptions::deepmotion()
                        .first_interval(Duration::from_millis(100))
                        .max_interval(Duration::from_millis(500))
                        .timeout(Duration::from_secs(3600))
                } else {
                    WaitOptions::deepmotion()
                };
                let limits = &self.global.limits;
                let client = DeepMotionClient::builder(url.clone(), id, secret)
                    .proxy(self.global.proxy())
                    .timeouts(limits.timeouts())
                    .limits(limits.limits())
                    .build()
                    .map_err(|e| bad_url(e.into(), "DeepMotion", &source))?;
                self.connected("DeepMotion", &url, source, client.transport());
                let watcher = client.watcher(wait);
                Ok(DeepMotion {
                    client,
                    watcher,
                    wait,
                })
            })
            .await
    }

    /// The MotionDynamic client: the configured service, or the embedded
    /// sandbox with `--sandbox`. Only MotionDynamic's configuration is read.
    pub async fn motiondynamic(&self) -> Result<&MotionDynamic, CliError> {
        self.motiondynamic
            .get_or_try_init(|| async {
                let (url, token, source) = if self.global.sandbox {
                    let embedded = self.embedded.get("MotionDynamic").await?;
                    (
                        embedded.motiondynamic_url(),
                        embedded.token().into(),
                        "the embedded sandbox".to_owned(),
                    )
                } else {
                    match self.config.motiondynamic()? {
                        Some(md) => {
                            let [url, ..] = self.config.motiondynamic_settings();
                            (md.url, md.token, self.url_source(&url))
                        }
                        None => {
                            return Err(Self::missing_credentials(
                                "MotionDynamic",
                                "MOTIONDYNAMIC_TOKEN",
                                "token under [motiondynamic]",
                            ));
                        }
                    }
                };
                let local = is_loopback(&url);
                let store = crate::fleet::rate_limit_store(self.config.redis_url.as_ref())?;
                let limits = &self.global.limits;
                let client = motionkit_motiondynamic::Client::builder(url.clone(), token)
                    .rate_limit_store(store)
                    .proxy(self.global.proxy())
                    .timeouts(limits.timeouts())
                    .limits(limits.limits())
                    .build()
                    .map_err(|e| bad_url(e.into(), "MotionDynamic", &source))?;
                self.connected("MotionDynamic", &url, source, client.transport());
                Ok(MotionDynamic { client, local })
            })
            .await
    }

    /// True with `--json`.
    pub fn json(&self) -> bool {
        self.global.json
    }

    /// Prints a line on stdout, above the bars.
    pub fn out(&self, line: impl AsRef<str>) {
        let line = line.as_ref();
        self.bars.suspend(|| crate::stdio::out(line));
    }

    /// Prints `value` as pretty JSON on stdout.
    pub fn print_json(&self, value: &impl Serialize) -> Result<(), CliError> {
        let text = serde_json::to_string_pretty(value)
            .map_err(|e| CliError::local(format!("encoding JSON: {e}")))?;
        self.out(text);
        Ok(())
    }

    /// A note on stderr, unless `--quiet`.
    pub fn note(&self, line: impl AsRef<str>) {
        if !self.global.quiet {
            let line = safe(line.as_ref()).into_owned();
            self.bars
                .suspend(|| crate::stdio::err(format_args!("motionkit: {line}")));
        }
    }

    /// Asks "PROMPT [y/N]" at a terminal; without one, `--yes` is required.
    pub fn confirm(&self, prompt: &str, yes: bool) -> Result<(), CliError> {
        if yes {
            return Ok(());
        }
        if !(std::io::stdin().is_terminal() && std::io::stderr().is_terminal()) {
            return Err(CliError::conflict(format!(
                "{prompt}: not confirmed (no terminal to ask at)"
            ))
            .hint("add --yes to confirm"));
        }
        let answer = self.bars.suspend(|| {
            crate::stdio::err_raw(format_args!("{prompt}? [y/N] "));
            let mut line = String::new();
            std::io::stdin().read_line(&mut line).map(|_| line)
        });
        match answer {
            Ok(line) if matches!(line.trim().to_ascii_lowercase().as_str(), "y" | "yes") => Ok(()),
            _ => Err(CliError::conflict(format!("{prompt}: not confirmed"))),
        }
    }
}

/// Runs the parsed command line.
pub async fn run(cli: Cli) -> Result<(), CliError> {
    match cli.command {
        #[cfg(feature = "sandbox")]
        Command::Sandbox(args) => return sandbox::run(args, &cli.global).await,
        Command::ConfigPath => return config::path(),
        Command::Man { dir } => return man::run(&dir),
        Command::Config { command } => return config::run(&cli.global, command),
        Command::Completions { shell } => {
            let mut command = <Cli as clap::CommandFactory>::command();
            // Into memory first: clap_complete panics when a write fails.
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut command, "motionkit", &mut script);
            crate::stdio::out_bytes(&script);
            return Ok(());
        }
        _ => {}
    }
    let span = tracing::info_span!("api", host = tracing::field::Empty);
    let ctx = Ctx::new(cli.global, span.clone())?;
    let result = dispatch(&ctx, cli.command).instrument(span).await;
    result.map_err(|e| match ctx.api.get() {
        Some(api) => api.explain(e),
        None => e,
    })
}

async fn dispatch(ctx: &Ctx, command: Command) -> Result<(), CliError> {
    match command {
        Command::Animate(args) => animate::run(ctx, args).await,
        Command::Status { rids } => jobs::status(ctx, &rids).await,
        Command::List { status } => jobs::list(ctx, &status).await,
        Command::Download {
            rids,
            out,
            clobber,
            wait,
            unzip,
        } => download::download(ctx, &rids, &out, clobber, wait, unzip).await,
        Command::Rerun {
            rid,
            process,
            out,
            dry_run,
            clobber,
            unzip,
        } => {
            let save = jobs::RerunSave { clobber, unzip };
            jobs::rerun(ctx, &rid, &process, out.as_deref(), dry_run, save).await
        }
        Command::Credits => jobs::credits(ctx).await,
        Command::VideoInfo { input } => jobs::video_info(ctx, &input).await,
        Command::Models { command } => models::run(ctx, command).await,
        Command::People { command } => people::run(ctx, command).await,
        Command::Webhooks { command } => webhooks::run(ctx, command).await,
        Command::Themes(args) => themes::run(ctx, args).await,
        Command::Generate(args) => generate::generate(ctx, args).await,
        Command::Validate(args) => generate::validate(ctx, args).await,
        Command::Generations { command } => generations::run(ctx, command).await,
        #[cfg(feature = "sandbox")]
        Command::Sandbox(_) => Ok(()),
        Command::ConfigPath
        | Command::Config { .. }
        | Command::Completions { .. }
        | Command::Man { .. } => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_urls() {
        assert!(is_loopback("http://127.0.0.1:8080"));
        assert!(is_loopback("http://localhost:1"));
        assert!(is_loopback("http://[::1]:1"));
        assert!(!is_loopback("https://petest.deepmotion.com:443"));
        assert!(!is_loopback("not a url"));
    }

    #[test]
    fn hosts_keep_their_port() {
        assert_eq!(host_port("http://127.0.0.1:9/x"), "127.0.0.1:9");
        assert_eq!(
            host_port("https://api.motiondynamic.tech"),
            "api.motiondynamic.tech:443"
        );
    }
}
