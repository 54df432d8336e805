//! The command line, as clap derive types. Every subcommand's long help
//! (`--help`) ends with examples and the exit codes.

use std::path::PathBuf;
use std::time::Duration;

use clap::{ArgAction, Args, Parser, Subcommand};

use crate::exit::{EXIT_CODES_HELP, exit_codes_help};

/// `Examples:` followed by the given lines, then the exit codes.
macro_rules! examples {
    ($($line:literal)+) => {
        concat!("Examples:\n", $("  ", $line, "\n",)+ "\n", exit_codes_help!())
    };
}

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
    /// `--redis-url`: the shared MotionDynamic rate budget.
    #[command(flatten)]
    pub fleet: crate::fleet::FleetArgs,
    /// Timeouts and size limits of both services.
    #[command(flatten)]
    pub limits: crate::limits::LimitArgs,
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
    /// Show or create the config file.
    #[command(after_long_help = examples!(
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
    /// Print where the config file is looked for (same as `config path`).
    #[command(hide = true, after_long_help = examples!("motionkit config-path"))]
    ConfigPath,
}

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

/// `motionkit themes`.
#[derive(Debug, Clone, Args)]
pub struct ThemesArgs {
    /// Show only this theme.
    #[arg(value_name = "THEME_ID")]
    pub id: Option<String>,
    /// Print the JSON Schema (draft 2020-12) of the theme's values: an object keyed by
    /// parameter id, as a form fills it.
    #[arg(long, requires = "id")]
    pub json_schema: bool,
}

/// `motionkit animate`.
#[derive(Debug, Clone, Args)]
pub struct AnimateArgs {
    /// Videos or pictures to animate.
    #[arg(required = true, value_name = "VIDEO")]
    pub videos: Vec<PathBuf>,
    /// Processing options.
    #[command(flatten)]
    pub process: ProcessArgs,
    /// Output folder (one sub-folder per video when several are given); it also holds
    /// `.motionkit-state.json`, so running the same command again resumes.
    #[arg(long, default_value = ".", value_name = "DIR")]
    pub out: PathBuf,
    /// Videos handled at the same time.
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub concurrency: u16,
    /// Register this URL as a webhook endpoint (job.completed) before submitting.
    #[arg(long, value_name = "URL")]
    pub webhook: Option<String>,
    /// Submit again the videos whose job failed in an earlier run.
    #[arg(long)]
    pub retry_failed: bool,
    /// Check everything and print what would be uploaded and sent; send nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Replace files in --out that have an output's name (default: keep both, the new
    /// one with a -2, -3... suffix; inputs and this batch's outputs are never replaced).
    #[arg(long)]
    pub clobber: bool,
}

/// Every `/process` option as a flag. Options left out are not sent, so
/// the service's defaults (shown in brackets) apply.
#[derive(Debug, Clone, Default, Args)]
pub struct ProcessArgs {
    /// Output formats: bvh, fbx, mp4, glb, dmpe, png, jpg (png/jpg for pictures only)
    /// [default: the service's; the document's example is bvh,fbx,mp4].
    #[arg(long, value_name = "F,...", help_heading = "Processing")]
    pub formats: Option<String>,
    /// Character model id (see `motionkit models list`) [default: a stock character].
    #[arg(long, value_name = "ID", help_heading = "Processing")]
    pub model: Option<String>,
    /// Physics simulation [default: off].
    #[arg(long, help_heading = "Processing")]
    pub sim: bool,
    /// Face tracking [default: off].
    #[arg(long, help_heading = "Processing")]
    pub track_face: bool,
    /// Hand tracking [default: off].
    #[arg(long, help_heading = "Processing")]
    pub track_hand: bool,
    /// Foot locking: auto, always, never or grounding [default: auto].
    #[arg(long, value_name = "MODE", help_heading = "Processing")]
    pub foot_locking: Option<String>,
    /// Video speed multiplier, 1.0 to 8.0 [default: 1.0].
    #[arg(long, value_name = "F", help_heading = "Processing")]
    pub speed_multiplier: Option<String>,
    /// Pose filtering strength, 0.0 to 1.0 [default: 0.0].
    #[arg(long, value_name = "F", help_heading = "Processing")]
    pub pose_filtering: Option<String>,
    /// Keep the root at the origin [default: off].
    #[arg(long, help_heading = "Processing")]
    pub root_at_origin: bool,
    /// Process only this stretch of the video, in seconds [default: all of it].
    #[arg(long, value_name = "FROM,TO", help_heading = "Processing")]
    pub trim: Option<String>,
    /// Crop box as fractions of the frame [default: no crop].
    #[arg(long, value_name = "L,T,R,B", help_heading = "Processing")]
    pub crop: Option<String>,
    /// Render side by side with the input (0 or 1).
    #[arg(long, value_name = "0|1", help_heading = "Rendering")]
    pub render_sbs: Option<String>,
    /// Render background colour (with --render-sbs 0).
    #[arg(long, value_name = "R,G,B,A", help_heading = "Rendering")]
    pub render_bg_color: Option<String>,
    /// Render backdrop (with --render-sbs 0).
    #[arg(long, value_name = "NAME", help_heading = "Rendering")]
    pub render_backdrop: Option<String>,
    /// Render a shadow.
    #[arg(long, help_heading = "Rendering")]
    pub render_shadow: bool,
    /// Include the input's audio in the render (0 or 1) [default: 1].
    #[arg(long, value_name = "0|1", help_heading = "Rendering")]
    pub render_include_audio: Option<String>,
    /// Render camera: 0 cinematic, 1 fixed, 2 face [default: 0].
    #[arg(long, value_name = "0|1|2", help_heading = "Rendering")]
    pub render_cam_mode: Option<String>,
    /// Processing configuration name [default: configDefault].
    #[arg(long, value_name = "NAME", help_heading = "Processing")]
    pub config: Option<String>,
    /// Any other parameter as sent on the wire (repeatable); a key motionkit
    /// does not know is sent as given, with a warning.
    #[arg(long = "param", value_name = "KEY=VALUE", help_heading = "Processing")]
    pub params: Vec<String>,
    /// Send what the API documents say fails anyway: --sim with a custom
    /// --model (error 505), a --trim beyond the video's end (503), a --model
    /// the account does not have (504). Rules the documents state are never
    /// sent.
    #[arg(long, help_heading = "Processing")]
    pub force: bool,
}

/// `motionkit models ...`.
#[derive(Debug, Subcommand)]
pub enum ModelsCommand {
    /// List stored models.
    #[command(after_long_help = examples!(
        "motionkit models list --search hero"
        "motionkit --json models list --model-id MODEL_ID"
    ))]
    List {
        /// Only models whose name contains this text.
        #[arg(long, value_name = "TEXT")]
        search: Option<String>,
        /// Only this model.
        #[arg(long, value_name = "ID")]
        model_id: Option<String>,
    },
    /// Rename a stored model or change its thumbnail.
    #[command(after_long_help = examples!(
        "motionkit models update MODEL_ID --name \"Hero v2\""
        "motionkit models update MODEL_ID --thumb hero.png"
        "motionkit models update MODEL_ID --create-thumb"
    ))]
    #[command(group(clap::ArgGroup::new("change").required(true).multiple(true).args(["name", "thumb", "create_thumb"])))]
    Update {
        /// Model id (see `motionkit models list`).
        #[arg(value_name = "MODEL_ID")]
        id: String,
        /// The new name.
        #[arg(long, value_name = "NAME")]
        name: Option<String>,
        /// A new thumbnail picture (png or jpg), uploaded first.
        #[arg(long, value_name = "FILE", conflicts_with = "create_thumb")]
        thumb: Option<PathBuf>,
        /// Have the service render a new thumbnail.
        #[arg(long)]
        create_thumb: bool,
    },
    /// Upload and store a model (fbx, glb, gltf or vrm).
    #[command(after_long_help = examples!("motionkit models upload hero.fbx --thumb hero.png"))]
    Upload {
        /// The model file.
        #[arg(value_name = "FILE")]
        file: PathBuf,
        /// A thumbnail picture (png or jpg).
        #[arg(long, value_name = "FILE", conflicts_with = "create_thumb")]
        thumb: Option<PathBuf>,
        /// Have the service render a thumbnail.
        #[arg(long)]
        create_thumb: bool,
        /// The model's name [default: the file name].
        #[arg(long, value_name = "NAME")]
        name: Option<String>,
    },
    /// Delete a stored model (asks at a terminal; --yes otherwise).
    #[command(after_long_help = examples!("motionkit models delete MODEL_ID --yes"))]
    Delete {
        /// Model id (see `motionkit models list`).
        #[arg(value_name = "ID")]
        id: String,
        /// Do not ask for confirmation.
        #[arg(long, short)]
        yes: bool,
    },
}

/// `motionkit webhooks ...`.
#[derive(Debug, Subcommand)]
pub enum WebhooksCommand {
    /// List webhook endpoints.
    #[command(after_long_help = examples!("motionkit webhooks list --json"))]
    List,
    /// Register a webhook endpoint.
    #[command(after_long_help = examples!(
        "motionkit webhooks create https://hooks.example.com/dm --events job.completed"
    ))]
    Create {
        /// Where events are POSTed.
        #[arg(value_name = "URL")]
        url: String,
        /// Events to deliver [default: every event].
        #[arg(long, value_delimiter = ',', value_name = "E,...")]
        events: Vec<String>,
    },
    /// Show one webhook endpoint.
    #[command(after_long_help = examples!("motionkit webhooks get ENDPOINT_ID"))]
    Get {
        /// Endpoint id (see `motionkit webhooks list`).
        #[arg(value_name = "ID")]
        id: String,
    },
    /// Change a webhook endpoint's URL (and events).
    #[command(after_long_help = examples!(
        "motionkit webhooks update ENDPOINT_ID https://hooks.example.com/new"
    ))]
    Update {
        /// Endpoint id (see `motionkit webhooks list`).
        #[arg(value_name = "ID")]
        id: String,
        /// The new URL.
        #[arg(value_name = "URL")]
        url: String,
        /// Events to deliver [default: every event].
        #[arg(long, value_delimiter = ',', value_name = "E,...")]
        events: Vec<String>,
    },
    /// Delete a webhook endpoint (asks at a terminal; --yes otherwise).
    #[command(after_long_help = examples!("motionkit webhooks delete ENDPOINT_ID --yes"))]
    Delete {
        /// Endpoint id (see `motionkit webhooks list`).
        #[arg(value_name = "ID")]
        id: String,
        /// Do not ask for confirmation.
        #[arg(long, short)]
        yes: bool,
    },
}

/// `motionkit generations ...`. They read the generation back: a webhook
/// reaches only the process that registered it, so when the server does
/// not let the token read generations they say so instead of waiting.
#[derive(Debug, Subcommand)]
pub enum GenerationsCommand {
    /// Read a generation once: its status and, once rendered, its video.
    #[command(after_long_help = examples!(
        "motionkit generations get GENERATION_ID"
        "motionkit --json generations get GENERATION_ID"
    ))]
    Get {
        /// Generation id (printed by `motionkit generate`).
        #[arg(value_name = "ID")]
        id: String,
    },
    /// Wait until a generation is rendered, reading it back (and download it with --out).
    #[command(after_long_help = examples!(
        "motionkit generations wait GENERATION_ID"
        "motionkit generations wait GENERATION_ID --timeout 20m --out videos/"
    ))]
    Wait {
        /// Generation id (printed by `motionkit generate`).
        #[arg(value_name = "ID")]
        id: String,
        /// Give up after this long: seconds, or 90s, 30m, 2h (at most 30d). The default
        /// covers the documented cold start (18 min) and the delivery.
        #[arg(long, default_value = "19m", value_name = "DURATION", value_parser = crate::duration::duration_arg)]
        timeout: Duration,
        /// Also download the MP4 into this folder once rendered.
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
        /// Replace an existing MP4 of the same name.
        #[arg(long, requires = "out")]
        clobber: bool,
    },
    /// Download the MP4 of a rendered generation (never replaces a file without --clobber).
    #[command(after_long_help = examples!(
        "motionkit generations download GENERATION_ID --out videos/"
        "motionkit generations download GENERATION_ID --out videos/ --clobber"
    ))]
    Download {
        /// Generation id (printed by `motionkit generate`).
        #[arg(value_name = "ID")]
        id: String,
        /// Folder to save `ID.mp4` into.
        #[arg(long, default_value = ".", value_name = "DIR")]
        out: PathBuf,
        /// Replace an existing MP4 of the same name.
        #[arg(long)]
        clobber: bool,
    },
}

/// A theme and values for its parameters.
#[derive(Debug, Clone, Args)]
pub struct ThemeValues {
    /// Theme id (see `motionkit themes`) [default: the demo theme].
    #[arg(long, value_name = "ID")]
    pub theme: Option<String>,
    /// A parameter value, LAYER=VALUE (repeatable). LAYER is a layer name such as
    /// l3_prix_01, an output's title such as Variante, or a parameter id.
    #[arg(long = "set", value_name = "LAYER=VALUE")]
    pub set: Vec<String>,
    /// Do not fill missing values with defaults (the theme's default colours, its only
    /// output variant, and for the demo theme the document's example values).
    #[arg(long)]
    pub no_defaults: bool,
}

/// `motionkit validate`.
#[derive(Debug, Clone, Args)]
pub struct ValidateArgs {
    /// Theme and values.
    #[command(flatten)]
    pub values: ThemeValues,
    /// Also download the first bytes of every picture to check its format and size.
    #[arg(long)]
    pub fetch_pictures: bool,
}

/// `motionkit generate`.
#[derive(Debug, Clone, Args)]
pub struct GenerateArgs {
    /// Theme and values.
    #[command(flatten)]
    pub values: ThemeValues,
    /// Folder for the MP4.
    #[arg(long, default_value = ".", value_name = "DIR")]
    pub out: PathBuf,
    /// Address the built-in webhook receiver listens on.
    #[arg(long, default_value = "127.0.0.1:0", value_name = "ADDR")]
    pub webhook_listen: String,
    /// Public base URL of the receiver, as MotionDynamic reaches it
    /// [default: http://LISTEN-ADDRESS, fine for a local sandbox].
    #[arg(long, value_name = "URL")]
    pub public_url: Option<String>,
    /// Give up waiting after this long: seconds, or 90s, 30m, 2h, 1h30m (at most 30d).
    /// 0 submits and does not wait: it prints the generation id and the command
    /// that waits for it. The default covers the documented cold start (18 min).
    #[arg(long, default_value = "1h", value_name = "DURATION", value_parser = crate::duration::duration_or_zero_arg)]
    pub timeout: Duration,
    /// Do not download the first bytes of every picture before sending, for
    /// pictures that only the API can reach; their format and size are then
    /// left to the API to check.
    #[arg(long)]
    pub no_fetch_pictures: bool,
    /// Check the values and print the generation that would be created; create nothing.
    #[arg(long)]
    pub dry_run: bool,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

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
