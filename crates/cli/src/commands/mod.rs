//! The commands, and what they share: configuration, clients, output.

pub mod animate;
pub mod generate;
pub mod jobs;
pub mod models;
pub mod picture;
pub mod sandbox;
pub mod themes;
pub mod webhooks;

use std::time::Duration;

use motionkit_deepmotion::{Client as DeepMotionClient, WaitOptions};
use serde::Serialize;
use tokio::sync::OnceCell;

use crate::args::{Cli, Command, GlobalArgs};
use crate::config::Config;
use crate::embedded::Lazy;
use crate::exit::CliError;
use crate::progress::Bars;

/// What every command gets: options, configuration, clients and output.
#[derive(Debug)]
pub struct Ctx {
    /// The global options.
    pub global: GlobalArgs,
    /// Progress bars (hidden when not a terminal or `--quiet`).
    pub bars: Bars,
    config: Config,
    embedded: Lazy,
    deepmotion: OnceCell<DeepMotion>,
    motiondynamic: OnceCell<MotionDynamic>,
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

impl Ctx {
    /// Loads the configuration.
    pub fn new(global: GlobalArgs) -> Result<Ctx, CliError> {
        let config = Config::load(&global)?;
        Ok(Ctx {
            bars: Bars::new(global.quiet),
            global,
            config,
            embedded: Lazy::default(),
            deepmotion: OnceCell::new(),
            motiondynamic: OnceCell::new(),
        })
    }

    /// The DeepMotion client: configured, or the embedded sandbox's.
    pub async fn deepmotion(&self) -> Result<&DeepMotion, CliError> {
        self.deepmotion
            .get_or_try_init(|| async {
                let (url, id, secret) = match &self.config.deepmotion {
                    Some(dm) => (
                        dm.url.clone(),
                        dm.client_id.clone(),
                        dm.client_secret.clone(),
                    ),
                    None => {
                        let embedded = self.embedded.get("DeepMotion").await?;
                        (
                            embedded.deepmotion_url(),
                            embedded.client_id().to_owned(),
                            embedded.client_secret().to_owned().into(),
                        )
                    }
                };
                let wait = if is_loopback(&url) {
                    WaitOptions {
                        first_interval: Duration::from_millis(100),
                        max_interval: Duration::from_millis(500),
                        timeout: Duration::from_secs(3600),
                        ..WaitOptions::default()
                    }
                } else {
                    WaitOptions::default()
                };
                let client = DeepMotionClient::builder(url, id, secret).build()?;
                let watcher = client.watcher(wait);
                Ok(DeepMotion { client, watcher })
            })
            .await
    }

    /// The MotionDynamic client: configured, or the embedded sandbox's.
    pub async fn motiondynamic(&self) -> Result<&MotionDynamic, CliError> {
        self.motiondynamic
            .get_or_try_init(|| async {
                let (url, token) = match &self.config.motiondynamic {
                    Some(md) => (md.url.clone(), md.token.clone()),
                    None => {
                        let embedded = self.embedded.get("MotionDynamic").await?;
                        (embedded.motiondynamic_url(), embedded.token().into())
                    }
                };
                let local = is_loopback(&url);
                let store = crate::fleet::rate_limit_store(self.config.redis_url.as_ref())?;
                let client = motionkit_motiondynamic::Client::builder(url, token)
                    .rate_limit_store(store)
                    .build()?;
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
        self.bars.suspend(|| println!("{line}"));
    }

    /// Prints `value` as pretty JSON on stdout.
    pub fn print_json(&self, value: &impl Serialize) -> Result<(), CliError> {
        let text = serde_json::to_string_pretty(value)
            .map_err(|e| CliError::permanent(format!("encoding JSON: {e}")))?;
        self.out(text);
        Ok(())
    }

    /// A note on stderr, unless `--quiet`.
    pub fn note(&self, line: impl AsRef<str>) {
        if !self.global.quiet {
            let line = line.as_ref();
            self.bars.suspend(|| eprintln!("motionkit: {line}"));
        }
    }
}

/// Runs the parsed command line.
pub async fn run(cli: Cli) -> Result<(), CliError> {
    if let Command::Sandbox(args) = cli.command {
        return sandbox::run(args, &cli.global).await;
    }
    if let Command::ConfigPath = cli.command {
        match crate::config::default_path() {
            Some(path) => println!("{}", path.display()),
            None => println!("(no config directory on this platform; use --config-file)"),
        }
        return Ok(());
    }
    let ctx = Ctx::new(cli.global)?;
    match cli.command {
        Command::Animate(args) => animate::run(&ctx, args).await,
        Command::Status { rids } => jobs::status(&ctx, &rids).await,
        Command::List { status } => jobs::list(&ctx, &status).await,
        Command::Download { rids, out } => jobs::download(&ctx, &rids, &out).await,
        Command::Rerun { rid, process, out } => {
            jobs::rerun(&ctx, &rid, &process, out.as_deref()).await
        }
        Command::Credits => jobs::credits(&ctx).await,
        Command::VideoInfo { input } => jobs::video_info(&ctx, &input).await,
        Command::Models { command } => models::run(&ctx, command).await,
        Command::Webhooks { command } => webhooks::run(&ctx, command).await,
        Command::Themes => themes::run(&ctx).await,
        Command::Generate(args) => generate::generate(&ctx, args).await,
        Command::Validate(args) => generate::validate(&ctx, args).await,
        Command::Sandbox(_) | Command::ConfigPath => Ok(()),
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
}
