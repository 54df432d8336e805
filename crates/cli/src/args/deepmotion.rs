//! The clap types of the DeepMotion Animate 3D commands: `animate` (and the
//! `/process` flags `rerun` shares), `models` and `webhooks`.

use std::path::PathBuf;

use clap::{Args, Subcommand};

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
    /// Submit again the videos whose earlier submission had an unknown outcome and whose
    /// job `/list` still does not show (a second job, charged again, if the first one
    /// exists after all). Without it, such a video exits 2 and is looked up again on the
    /// next run; it is never sent twice on its own.
    #[arg(long)]
    pub resubmit_unconfirmed: bool,
    /// Check everything and print what would be uploaded and sent; send nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Replace files in --out that have an output's name (default: keep both, the new
    /// one with a -2, -3... suffix; inputs and this batch's outputs are never replaced).
    #[arg(long)]
    pub clobber: bool,
    /// Extract outputs that arrive as ZIP archives into a folder instead of saving them
    /// with .zip appended (entries are sanitised; zip bombs and ../ entries are refused).
    #[arg(long)]
    pub unzip: bool,
}

/// `motionkit people`: multi-person animation in two steps.
#[derive(Debug, Subcommand)]
pub enum PeopleCommand {
    /// Upload a video, detect the people in it and print their tracking ids.
    #[command(after_long_help = examples!(
        "motionkit --sandbox people detect crowd-people-3.mp4"
        "motionkit --json people detect crowd.mp4 --out previews/"
    ))]
    Detect(PeopleDetectArgs),
    /// Animate chosen people of a detection, each with a character model, and download.
    #[command(after_long_help = examples!(
        "motionkit people animate DETECTION_RID --person 001=MODEL_ID --out out/"
        "motionkit --json people animate DETECTION_RID --person 001=MODEL_ID --person 002=MODEL_ID --formats fbx --unzip --out out/"
    ))]
    Animate(Box<PeopleAnimateArgs>),
}

/// `motionkit people detect`.
#[derive(Debug, Args)]
pub struct PeopleDetectArgs {
    /// The video.
    #[arg(value_name = "VIDEO")]
    pub video: PathBuf,
    /// Save every person's preview files into this folder.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Replace files in --out that have a preview's name.
    #[arg(long)]
    pub clobber: bool,
}

/// `motionkit people animate`.
#[derive(Debug, Args)]
pub struct PeopleAnimateArgs {
    /// The detection job's request id (printed by `people detect`).
    #[arg(value_name = "DETECTION_RID")]
    pub detection: String,
    /// A person to animate and the model to animate them with (repeat for each person).
    #[arg(long = "person", value_name = "ID=MODEL_ID", required = true)]
    pub people: Vec<String>,
    /// Processing options (formats and so on).
    #[command(flatten)]
    pub process: ProcessArgs,
    /// Folder to save into (a state file there makes a second run resume).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Replace files in --out that have an output's name.
    #[arg(long)]
    pub clobber: bool,
    /// Extract the all_characters ZIP archives into folders instead of saving them as .zip.
    #[arg(long)]
    pub unzip: bool,
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
