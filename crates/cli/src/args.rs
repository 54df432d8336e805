//! The command line, as clap derive types. Every subcommand's long help
//! (`--help`) ends with examples and the exit codes.
//!
//! This module holds the top level (`Cli`, the global options, the list of
//! commands) and the tools' subcommands; each service's commands have
//! their option types in a module of their own, re-exported here.

use std::path::PathBuf;

use clap::{ArgAction, Args, Parser, Subcommand};

use crate::exit::EXIT_CODES_HELP;

/// `Examples:` followed by the given lines, then the exit codes.
macro_rules! examples {
    ($($line:literal)+) => {
        concat!("Examples:\n", $("  ", $line, "\n",)+ "\n", $crate::exit::exit_codes_help!())
    };
}

mod deepmotion;
mod motiondynamic;

pub use deepmotion::{
    AnimateArgs, ModelsCommand, PeopleAnimateArgs, PeopleCommand, PeopleDetectArgs, ProcessArgs,
    WebhooksCommand,
};
pub use motiondynamic::{GenerateArgs, GenerationsCommand, ThemeValues, ThemesArgs, ValidateArgs};

/// The `motionkit` command line.
#[derive(Debug, Parser)]
#[command(
    name = "motionkit",
    version,
    about = "DeepMotion Animate 3D and MotionDynamic from the command line",
    long_about = "DeepMotion Animate 3D and MotionDynamic from the command line.\n\n\
        Credentials come from flags, environment variables or the config file \
        (`motionkit config show` prints each value and where it came from). Without \
        credentials a command exits 3; add --sandbox (or set MOTIONKIT_SANDBOX=1) to run \
        it against an embedded sandbox instead, with simulated results.",
    after_help = EXIT_CODES_HELP,
    after_long_help = examples!(
        "motionkit --sandbox animate walk.mp4 --out out/"
        "motionkit animate *.mp4 --formats bvh,fbx --out out/ --json"
        "motionkit status RID"
        "motionkit --sandbox generate --set l1_titre_01=Hello --out videos/"
        "motionkit config show"
        "motionkit completions bash > ~/.local/share/bash-completion/completions/motionkit"
    )
)]
pub struct Cli {
    /// Options every command accepts.
    #[command(flatten)]
    pub global: GlobalArgs,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Options every command accepts.
#[derive(Debug, Clone, Default, Args)]
pub struct GlobalArgs {
    /// Print results as JSON on stdout (one document; failures as {"error": ...}).
    #[arg(long, global = true, help_heading = "Global options")]
    pub json: bool,
    /// No progress and no notes on stderr (errors, and the line saying results are
    /// simulated, are still printed).
    #[arg(long, short, global = true, help_heading = "Global options")]
    pub quiet: bool,
    /// Log to stderr: -v shows every HTTP attempt, -vv more (MOTIONKIT_LOG or RUST_LOG
    /// take tracing filter directives instead).
    #[arg(short, long, action = ArgAction::Count, global = true, help_heading = "Global options")]
    pub verbose: u8,
    /// Run against the embedded sandbox: nothing leaves this machine and every result
    /// is simulated (marked "simulated": true).
    #[arg(
        long,
        global = true,
        help_heading = "Global options",
        env = "MOTIONKIT_SANDBOX",
        value_parser = clap::builder::FalseyValueParser::new()
    )]
    pub sandbox: bool,
    /// Use the [profiles.NAME] tables of the config file.
    #[arg(
        long,
        global = true,
        help_heading = "Global options",
        env = "MOTIONKIT_PROFILE",
        value_name = "NAME"
    )]
    pub profile: Option<String>,
    /// TOML config file [default: CONFIG_DIR/motionkit/config.toml].
    #[arg(
        long,
        global = true,
        help_heading = "Global options",
        env = "MOTIONKIT_CONFIG",
        value_name = "FILE"
    )]
    pub config_file: Option<PathBuf>,
    /// DeepMotion API base URL [default: https://petest.deepmotion.com:443].
    #[arg(
        long,
        global = true,
        help_heading = "Global options",
        env = "DEEPMOTION_API_URL",
        value_name = "URL"
    )]
    pub deepmotion_url: Option<String>,
    /// DeepMotion client id.
    #[arg(
        long,
        global = true,
        help_heading = "Global options",
        env = "DEEPMOTION_CLIENT_ID",
        value_name = "ID"
    )]
    pub client_id: Option<String>,
    /// DeepMotion client secret (prefer the environment variable or the config file).
    #[arg(
        long,
        global = true,
        help_heading = "Global options",
        env = "DEEPMOTION_CLIENT_SECRET",
        hide_env_values = true,
        value_name = "SECRET"
    )]
    pub client_secret: Option<String>,
    /// MotionDynamic API base URL [default: https://api.motiondynamic.tech].
    #[arg(
        long,
        global = true,
        help_heading = "Global options",
        env = "MOTIONDYNAMIC_API_URL",
        value_name = "URL"
    )]
    pub motiondynamic_url: Option<String>,
    /// MotionDynamic API token (JWT; prefer the environment variable or the config file).
    #[arg(
        long,
        global = true,
        help_heading = "Global options",
        env = "MOTIONDYNAMIC_TOKEN",
        hide_env_values = true,
        value_name = "TOKEN"
    )]
    pub token: Option<String>,
    /// Send API requests and transfers through this HTTP(S) proxy (http://host:port), or
    /// `system` for the one HTTPS_PROXY/HTTP_PROXY/NO_PROXY name [default: none, whatever
    /// the environment says]
    #[arg(
        long,
        global = true,
        help_heading = "Global options",
        env = "MOTIONKIT_PROXY",
        hide_env_values = true,
        value_name = "URL|system"
    )]
    pub proxy: Option<String>,
    /// `--redis-url`: the shared MotionDynamic rate budget.
    #[command(flatten)]
    pub fleet: crate::fleet::FleetArgs,
    /// Timeouts and size limits of both services.
    #[command(flatten)]
    pub limits: crate::limits::LimitArgs,
}

impl GlobalArgs {
    /// Where requests go out: `--proxy URL`, `--proxy system`, or direct.
    pub fn proxy(&self) -> motionkit_transport::Proxy {
        motionkit_transport::Proxy::parse(self.proxy.as_deref().unwrap_or_default())
    }
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Upload videos, process them, wait and download the animations.
    #[command(after_long_help = examples!(
        "motionkit --sandbox animate walk.mp4 --out out/"
        "motionkit animate a.mp4 b.mov --formats bvh,fbx --sim --out out/"
        "motionkit animate walk.mp4 --trim 1.5,4 --render-cam-mode 2 --dry-run"
        "motionkit animate clips/*.mp4 --out out/   # run again to resume"
    ))]
    Animate(AnimateArgs),
    /// Show the status of jobs.
    ///
    /// Every job the server knows is shown, even when others are not: ids it does not know
    /// (wrong id, another account, or removed) are named on stderr and in the JSON output's
    /// `unknown`, and make the command exit 1 after the known jobs are printed.
    #[command(after_long_help = examples!(
        "motionkit status 1234567890-1234567890-1234"
        "motionkit --json status RID1 RID2"
    ))]
    Status {
        /// Request ids (see `motionkit list`).
        #[arg(required = true, value_name = "RID")]
        rids: Vec<String>,
    },
    /// List the account's jobs.
    #[command(after_long_help = examples!(
        "motionkit list"
        "motionkit list --status PROGRESS,RETRY --json"
    ))]
    List {
        /// Only jobs in these states (STARTING, PROGRESS, SUCCESS, RETRY, FAILURE)
        /// [default: every state].
        #[arg(long, value_delimiter = ',', value_name = "S,...")]
        status: Vec<String>,
    },
    /// Download the outputs of finished jobs (never replaces a file without --clobber).
    #[command(after_long_help = examples!(
        "motionkit download RID --out out/"
        "motionkit download RID1 RID2 --out out/ --clobber"
        "motionkit download RID --out out/ --wait"
    ))]
    Download {
        /// Request ids (see `motionkit list`).
        #[arg(required = true, value_name = "RID")]
        rids: Vec<String>,
        /// Folder to save into (one sub-folder per job when several are given).
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        /// Replace files that already exist.
        #[arg(long)]
        clobber: bool,
        /// Wait for jobs that are not finished yet, then download (a failed job is an error).
        #[arg(long)]
        wait: bool,
        /// Extract outputs that arrive as ZIP archives (a multi-person job's
        /// all_characters) into a folder instead of saving them with .zip appended.
        #[arg(long)]
        unzip: bool,
    },
    /// Process a finished job again with other options (charged again).
    #[command(after_long_help = examples!(
        "motionkit rerun RID --formats glb --out out/"
        "motionkit rerun RID --render-bg-color 0,177,64,0 --render-sbs 0 --dry-run"
    ))]
    Rerun {
        /// Request id of a successful job.
        #[arg(value_name = "RID")]
        rid: String,
        /// Processing options.
        #[command(flatten)]
        process: ProcessArgs,
        /// Wait for the new job and download its outputs into this folder.
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
        /// Print the parameters that would be sent, and send nothing.
        #[arg(long)]
        dry_run: bool,
        /// Replace files in --out that have an output's name (default: keep both,
        /// the new one with a -2, -3... suffix).
        #[arg(long)]
        clobber: bool,
        /// Extract outputs that arrive as ZIP archives (a multi-person job's
        /// all_characters) into a folder instead of saving them with .zip appended.
        #[arg(long)]
        unzip: bool,
    },
    /// Show the account's credit balance.
    #[command(after_long_help = examples!("motionkit credits" "motionkit --json credits"))]
    Credits,
    /// Show a video's width, height, fps, duration and codec (a local file is uploaded first).
    #[command(after_long_help = examples!(
        "motionkit video-info walk.mp4"
        "motionkit --json video-info https://storage.example.com/uploads/walk.mp4"
    ))]
    VideoInfo {
        /// A local file, or a URL returned by the upload call.
        #[arg(value_name = "FILE_OR_URL")]
        input: String,
    },
    /// Manage custom character models.
    #[command(after_long_help = examples!(
        "motionkit models list"
        "motionkit models upload hero.fbx --create-thumb --name Hero"
        "motionkit models delete MODEL_ID --yes"
    ))]
    Models {
        /// What to do with models.
        #[command(subcommand)]
        command: ModelsCommand,
    },
    /// Animate several people of one video: detect them, then animate the chosen ones.
    ///
    /// Two steps, as DeepMotion's official SDK runs them: `people detect` uploads the video
    /// and lists the people found (tracking ids 001, 002, ...); `people animate` animates
    /// the chosen ones, each with a model from `motionkit models list`, and saves each
    /// person's files and the all_characters archives (ZIP, saved as .zip, or extracted
    /// with --unzip). A tracking id the detection did not report is refused before
    /// anything is sent. Exit codes as for `animate`.
    #[command(after_long_help = examples!(
        "motionkit --sandbox people detect crowd.mp4 --out previews/"
        "motionkit people animate DETECTION_RID --person 001=MODEL_ID --person 002=MODEL_ID --out out/"
        "motionkit --json people animate DETECTION_RID --person 001=MODEL_ID --formats fbx --unzip --out out/"
    ))]
    People {
        /// Detect, or animate.
        #[command(subcommand)]
        command: PeopleCommand,
    },
    /// Manage DeepMotion webhook endpoints.
    #[command(after_long_help = examples!(
        "motionkit webhooks list"
        "motionkit webhooks create https://hooks.example.com/deepmotion"
        "motionkit webhooks delete ENDPOINT_ID --yes"
    ))]
    Webhooks {
        /// What to do with webhook endpoints.
        #[command(subcommand)]
        command: WebhooksCommand,
    },
    /// List MotionDynamic themes and their parameters with constraints.
    #[command(after_long_help = examples!(
        "motionkit themes"
        "motionkit --json themes"
        "motionkit themes 8239de5c-5cbd-4e39-a102-220e5354a551 --json-schema"
    ))]
    Themes(ThemesArgs),
    /// Create a MotionDynamic video from a theme and download the MP4.
    #[command(after_long_help = examples!(
        "motionkit --sandbox generate --set l1_titre_01=Hello --out videos/"
        "motionkit generate --theme THEME_ID --set l3_prix_01=12.5 --set background_color=00FF00 \\"
        "    --webhook-listen 0.0.0.0:8080 --public-url https://hooks.example.com --timeout 30m"
        "motionkit generate --set l1_titre_01=Hello --dry-run"
    ))]
    Generate(GenerateArgs),
    /// Read, wait for or download a MotionDynamic generation by its id.
    #[command(after_long_help = examples!(
        "motionkit generations get GENERATION_ID"
        "motionkit generations wait GENERATION_ID --timeout 20m --out videos/"
        "motionkit --json generations download GENERATION_ID --out videos/"
    ))]
    Generations {
        /// What to do with the generation.
        #[command(subcommand)]
        command: GenerationsCommand,
    },
    /// Check theme values without creating a generation (fetches the theme; with the
    /// embedded sandbox nothing leaves this machine).
    #[command(after_long_help = examples!(
        "motionkit validate --set l3_prix_01=12,1"
        "motionkit --json validate --theme THEME_ID --set background_color=00FF00 --fetch-pictures"
    ))]
    Validate(ValidateArgs),
    /// Run the DeepMotion and MotionDynamic emulators until Ctrl-C.
    #[command(after_long_help = examples!(
        "motionkit sandbox --deepmotion-port 8081 --motiondynamic-port 8082"
        "motionkit sandbox --time-scale 100 --data-dir /tmp/sandbox"
    ))]
    #[cfg(feature = "sandbox")]
    Sandbox(motionkit_sandbox::SandboxArgs),
    /// Show or create the config file (`motionkit config --help` describes its format).
    #[command(long_about = CONFIG_FILE_HELP, after_long_help = examples!(
        "motionkit config show"
        "motionkit --profile staging config show --json"
        "motionkit config init"
        "motionkit config path"
    ))]
    Config {
        /// What to do with the config.
        #[command(subcommand)]
        command: ConfigCommand,
    },
    /// Print a shell completion script on stdout.
    #[command(after_long_help = examples!(
        "motionkit completions bash > ~/.local/share/bash-completion/completions/motionkit"
        "motionkit completions zsh > \"${fpath[1]}/_motionkit\""
        "motionkit completions fish > ~/.config/fish/completions/motionkit.fish"
        "motionkit completions powershell >> $PROFILE"
    ))]
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Write the man pages, one per command (`motionkit.1`, `motionkit-animate.1`...),
    /// into a folder.
    #[command(after_long_help = examples!(
        "motionkit man ~/.local/share/man/man1"
        "motionkit man /tmp/man && man /tmp/man/motionkit-animate.1"
    ))]
    Man {
        /// The folder (created when missing; existing pages are replaced).
        dir: PathBuf,
    },
    /// Print where the config file is looked for (same as `config path`).
    #[command(hide = true, after_long_help = examples!("motionkit config-path"))]
    ConfigPath,
}

impl Command {
    /// `motionkit sandbox` ends on Ctrl-C (or SIGTERM) by design and
    /// handles the signal itself; every other command is interrupted by it.
    pub fn stops_on_ctrl_c(&self) -> bool {
        #[cfg(feature = "sandbox")]
        if matches!(self, Command::Sandbox(_)) {
            return true;
        }
        false
    }
}

/// The long help of `motionkit config`: the file's format, so that an
/// installed binary documents it without the repository.
pub const CONFIG_FILE_HELP: &str = "\
Show or create the config file.

Each setting comes from the first of: its flag, its environment variable, the
selected profile's table (--profile NAME or MOTIONKIT_PROFILE), the file's
top-level tables, the default (URLs only). `motionkit config show` prints every
value and where it came from.

The file is TOML: `motionkit config path` prints where it is looked for
(Linux: ~/.config/motionkit/config.toml); --config-file or MOTIONKIT_CONFIG
name another. It must be a regular file of at most 1 MiB; keep it private
(`config init` writes it with mode 0600).

  redis_url = \"redis://127.0.0.1:6379\"            # optional: MOTIONKIT_REDIS_URL, --redis-url

  [deepmotion]
  api_url = \"https://petest.deepmotion.com:443\"   # DEEPMOTION_API_URL, --deepmotion-url
  client_id = \"...\"                               # DEEPMOTION_CLIENT_ID, --client-id
  client_secret = \"...\"                           # DEEPMOTION_CLIENT_SECRET, --client-secret

  [motiondynamic]
  api_url = \"https://api.motiondynamic.tech\"      # MOTIONDYNAMIC_API_URL, --motiondynamic-url
  token = \"...\"                                   # MOTIONDYNAMIC_TOKEN, --token (a JWT)

  # motionkit --profile staging ...
  [profiles.staging.deepmotion]
  api_url = \"https://staging.example.com\"
  client_id = \"...\"

A command reads and checks only the service it uses. Unknown keys in a
service's table are errors for that service's commands; an unknown top-level
table is a warning.";

/// `motionkit config ...`.
#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Print every effective setting and where it came from (secrets masked).
    #[command(after_long_help = examples!("motionkit config show" "motionkit --json config show"))]
    Show,
    /// Ask for credentials at a terminal and write the config file (mode 0600).
    #[command(after_long_help = examples!(
        "motionkit config init"
        "motionkit --config-file ./motionkit.toml config init --force"
    ))]
    Init {
        /// Replace an existing file.
        #[arg(long)]
        force: bool,
    },
    /// Print where the config file is looked for.
    #[command(after_long_help = examples!("motionkit config path"))]
    Path,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;
    use std::time::Duration;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn every_command_has_examples_and_exit_codes_in_its_long_help() {
        fn walk(command: &mut clap::Command, path: String) {
            let help = command.render_long_help().to_string();
            assert!(help.contains("Examples:\n  motionkit"), "{path}: {help}");
            assert!(help.contains("3  authentication"), "{path}: {help}");
            for sub in command.get_subcommands_mut() {
                if sub.get_name() != "help" {
                    let name = format!("{path} {}", sub.get_name());
                    walk(sub, name);
                }
            }
        }
        let mut command = Cli::command();
        command.build();
        walk(&mut command, "motionkit".into());
    }

    #[test]
    fn defaults_are_shown() {
        let help = Cli::command()
            .find_subcommand_mut("animate")
            .unwrap()
            .render_long_help()
            .to_string();
        for needle in [
            "[default: auto]",
            "[default: 0]",
            "bvh,fbx,mp4",
            "[default: 2]",
        ] {
            assert!(help.contains(needle), "{needle}: {help}");
        }
    }

    #[test]
    fn timeouts_are_checked_and_name_the_flag() {
        let err =
            Cli::try_parse_from(["motionkit", "generate", "--timeout", "18446744073709551615"])
                .unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("--timeout") && text.contains("30 days"),
            "{text}"
        );
        let cli = Cli::try_parse_from(["motionkit", "generate", "--timeout", "90m"]).unwrap();
        let Command::Generate(args) = cli.command else {
            panic!("not generate");
        };
        assert_eq!(args.timeout, Duration::from_secs(5400));
    }

    #[test]
    fn process_flags_parse() {
        let cli = Cli::try_parse_from([
            "motionkit",
            "animate",
            "a.mp4",
            "b.mp4",
            "--formats",
            "bvh,fbx",
            "--sim",
            "--trim",
            "1,2",
            "--out",
            "o",
        ])
        .unwrap();
        let Command::Animate(args) = cli.command else {
            panic!("not animate");
        };
        assert_eq!(args.videos.len(), 2);
        assert!(args.process.sim);
        assert_eq!(args.process.formats.as_deref(), Some("bvh,fbx"));
        assert_eq!(args.process.trim.as_deref(), Some("1,2"));
    }
}
