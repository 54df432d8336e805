//! The clap types of the MotionDynamic commands: `themes`, `generate`,
//! `validate` and `generations`.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Subcommand};

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
