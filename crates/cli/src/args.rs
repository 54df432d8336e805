//! The command line, as clap derive types.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::exit::EXIT_CODES_HELP;

/// The `motionkit` command line.
#[derive(Debug, Parser)]
#[command(
    name = "motionkit",
    version,
    about = "DeepMotion Animate 3D and MotionDynamic from the command line",
    long_about = "DeepMotion Animate 3D and MotionDynamic from the command line.\n\n\
        Credentials come from flags, environment variables or the config file \
        (`motionkit config-path` prints where it is looked for). When a service has no \
        credentials, motionkit starts a local sandbox of it in-process and says so on stderr.",
    after_help = EXIT_CODES_HELP
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
#[derive(Debug, Clone, Args)]
pub struct GlobalArgs {
    /// Print results as JSON on stdout.
    #[arg(long, global = true, help_heading = "Global options")]
    pub json: bool,
    /// No progress bars or notes on stderr (errors and the one-line embedded-sandbox notice
    /// are still printed).
    #[arg(long, short, global = true, help_heading = "Global options")]
    pub quiet: bool,
    /// TOML config file [default: CONFIG_DIR/motionkit/config.toml].
    #[arg(
        long,
        global = true,
        help_heading = "Global options",
        env = "MOTIONKIT_CONFIG",
        value_name = "FILE"
    )]
    pub config_file: Option<PathBuf>,
    /// DeepMotion API base URL.
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
    /// MotionDynamic API base URL.
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
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Upload videos, process them, wait and download the animations.
    Animate(AnimateArgs),
    /// Show the status of jobs.
    Status {
        /// Request ids.
        #[arg(required = true, value_name = "RID")]
        rids: Vec<String>,
    },
    /// List the account's jobs.
    List {
        /// Only jobs in these states (STARTING, PROGRESS, SUCCESS, RETRY, FAILURE).
        #[arg(long, value_delimiter = ',', value_name = "S,...")]
        status: Vec<String>,
    },
    /// Download the outputs of finished jobs.
    Download {
        /// Request ids.
        #[arg(required = true, value_name = "RID")]
        rids: Vec<String>,
        /// Folder to save into (one sub-folder per job when several are given).
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
    },
    /// Process a finished job again with other options (charged again).
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
    },
    /// Show the account's credit balance.
    Credits,
    /// Show a video's width, height, fps, duration and codec (a local file is uploaded first).
    VideoInfo {
        /// A local file, or a URL returned by the upload call.
        #[arg(value_name = "FILE_OR_URL")]
        input: String,
    },
    /// Manage custom character models.
    Models {
        /// What to do with models.
        #[command(subcommand)]
        command: ModelsCommand,
    },
    /// Manage DeepMotion webhook endpoints.
    Webhooks {
        /// What to do with webhook endpoints.
        #[command(subcommand)]
        command: WebhooksCommand,
    },
    /// List MotionDynamic themes and their parameters with constraints.
    Themes,
    /// Create a MotionDynamic video from a theme and download the MP4.
    Generate(GenerateArgs),
    /// Check theme values without creating a generation (fetches the theme; with the
    /// embedded sandbox nothing leaves this machine).
    Validate(ValidateArgs),
    /// Run the DeepMotion and MotionDynamic emulators until Ctrl-C.
    Sandbox(motionkit_sandbox::SandboxArgs),
    /// Print where the config file is looked for.
    ConfigPath,
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
}

/// Every `/process` option as a flag.
#[derive(Debug, Clone, Default, Args)]
pub struct ProcessArgs {
    /// Output formats: bvh, fbx, mp4, glb, dmpe, png, jpg (png/jpg for pictures only).
    #[arg(long, value_name = "F,...", help_heading = "Processing")]
    pub formats: Option<String>,
    /// Character model id (see `motionkit models list`).
    #[arg(long, value_name = "ID", help_heading = "Processing")]
    pub model: Option<String>,
    /// Physics simulation.
    #[arg(long, help_heading = "Processing")]
    pub sim: bool,
    /// Face tracking.
    #[arg(long, help_heading = "Processing")]
    pub track_face: bool,
    /// Hand tracking.
    #[arg(long, help_heading = "Processing")]
    pub track_hand: bool,
    /// Foot locking: auto, always, never or grounding.
    #[arg(long, value_name = "MODE", help_heading = "Processing")]
    pub foot_locking: Option<String>,
    /// Video speed multiplier, 1.0 to 8.0.
    #[arg(long, value_name = "F", help_heading = "Processing")]
    pub speed_multiplier: Option<String>,
    /// Pose filtering strength, 0.0 to 1.0.
    #[arg(long, value_name = "F", help_heading = "Processing")]
    pub pose_filtering: Option<String>,
    /// Keep the root at the origin.
    #[arg(long, help_heading = "Processing")]
    pub root_at_origin: bool,
    /// Process only this stretch of the video, in seconds.
    #[arg(long, value_name = "FROM,TO", help_heading = "Processing")]
    pub trim: Option<String>,
    /// Crop box as fractions of the frame.
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
    /// Include the input's audio in the render (0 or 1).
    #[arg(long, value_name = "0|1", help_heading = "Rendering")]
    pub render_include_audio: Option<String>,
    /// Render camera: 0 cinematic, 1 fixed, 2 face.
    #[arg(long, value_name = "0|1|2", help_heading = "Rendering")]
    pub render_cam_mode: Option<String>,
    /// Processing configuration name, for example configDefault.
    #[arg(long, value_name = "NAME", help_heading = "Processing")]
    pub config: Option<String>,
    /// Any other parameter as sent on the wire (repeatable).
    #[arg(long = "param", value_name = "KEY=VALUE", help_heading = "Processing")]
    pub params: Vec<String>,
}

/// `motionkit models ...`.
#[derive(Debug, Subcommand)]
pub enum ModelsCommand {
    /// List stored models.
    List {
        /// Only models whose name contains this text.
        #[arg(long, value_name = "TEXT")]
        search: Option<String>,
    },
    /// Upload and store a model (fbx, glb, gltf or vrm).
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
    /// Delete a stored model.
    Delete {
        /// Model id.
        #[arg(value_name = "ID")]
        id: String,
    },
}

/// `motionkit webhooks ...`.
#[derive(Debug, Subcommand)]
pub enum WebhooksCommand {
    /// List webhook endpoints.
    List,
    /// Register a webhook endpoint.
    Create {
        /// Where events are POSTed.
        #[arg(value_name = "URL")]
        url: String,
        /// Events to deliver [default: every event].
        #[arg(long, value_delimiter = ',', value_name = "E,...")]
        events: Vec<String>,
    },
    /// Show one webhook endpoint.
    Get {
        /// Endpoint id.
        #[arg(value_name = "ID")]
        id: String,
    },
    /// Change a webhook endpoint's URL (and events).
    Update {
        /// Endpoint id.
        #[arg(value_name = "ID")]
        id: String,
        /// The new URL.
        #[arg(value_name = "URL")]
        url: String,
        /// Events to deliver [default: every event].
        #[arg(long, value_delimiter = ',', value_name = "E,...")]
        events: Vec<String>,
    },
    /// Delete a webhook endpoint.
    Delete {
        /// Endpoint id.
        #[arg(value_name = "ID")]
        id: String,
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
    /// Give up waiting after this many seconds.
    #[arg(long, default_value_t = 3600, value_name = "SECS")]
    pub timeout: u64,
    /// Do not download the first bytes of every picture before sending, for
    /// pictures that only the API can reach; their format and size are then
    /// left to the API to check.
    #[arg(long)]
    pub no_fetch_pictures: bool,
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
