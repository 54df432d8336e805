//! Sandbox settings and the command-line flags that set them.

use std::path::PathBuf;
use std::time::Duration;

use crate::faults::Faults;

/// Flags shared by `motionkit-sandbox` and `motionkit sandbox` (command-line
/// flags with the `clap` feature).
#[derive(Debug, Clone)]
#[cfg_attr(feature = "clap", derive(clap::Args))]
#[non_exhaustive]
pub struct SandboxArgs {
    /// Address to listen on.
    #[cfg_attr(feature = "clap", arg(long, default_value = "127.0.0.1"))]
    pub host: String,
    /// Port of the DeepMotion emulator; 0 picks a free port.
    #[cfg_attr(feature = "clap", arg(long, default_value_t = 8080))]
    pub deepmotion_port: u16,
    /// Port of the MotionDynamic emulator; 0 picks a free port.
    #[cfg_attr(feature = "clap", arg(long, default_value_t = 8081))]
    pub motiondynamic_port: u16,
    /// DeepMotion client id accepted by /session/auth.
    #[cfg_attr(feature = "clap", arg(long, default_value = "sandbox"))]
    pub client_id: String,
    /// DeepMotion client secret accepted by /session/auth.
    #[cfg_attr(feature = "clap", arg(long, default_value = "sandbox-secret"))]
    pub client_secret: String,
    /// Simulated seconds per real second: 60 makes a one-minute job take one second.
    #[cfg_attr(feature = "clap", arg(long, default_value_t = 1.0))]
    pub time_scale: f64,
    /// Keep state in SQLite and files under this folder, so a restart keeps it.
    #[cfg_attr(feature = "clap", arg(long))]
    pub data_dir: Option<PathBuf>,
    /// Fault-injection file (TOML or JSON).
    #[cfg_attr(feature = "clap", arg(long))]
    pub faults: Option<PathBuf>,
    /// Lifetime of a DeepMotion session cookie, in seconds.
    #[cfg_attr(feature = "clap", arg(long, default_value_t = 3600.0))]
    pub session_ttl: f64,
    /// Secret that signs MotionDynamic JWTs (HS256).
    #[cfg_attr(
        feature = "clap",
        arg(long, default_value = "motionkit-sandbox-jwt-secret")
    )]
    pub jwt_secret: String,
    /// Start MotionDynamic's renderer cold: the first render takes up to 18 min, the next up to 7 (scaled).
    #[cfg_attr(feature = "clap", arg(long))]
    pub cold_start: bool,
    /// MotionDynamic requests per second allowed per client IP.
    #[cfg_attr(feature = "clap", arg(long, default_value_t = 5))]
    pub rate_limit: u32,
    /// Seconds a client that exceeded the rate limit stays blocked.
    #[cfg_attr(feature = "clap", arg(long, default_value_t = 60.0))]
    pub rate_limit_block: f64,
    /// Longest DeepMotion request target (path and query) in bytes; longer
    /// ones get `414 URI Too Long`, as from a server or gateway in front.
    #[cfg_attr(feature = "clap", arg(long, default_value_t = 8192))]
    pub max_uri_bytes: usize,
    /// Pad every rendered MotionDynamic MP4 to at least this many bytes
    /// with a trailing `free` box, so that downloads can be measured at
    /// sizes real renders reach (the video stays valid; 0: no padding).
    #[cfg_attr(feature = "clap", arg(long, default_value_t = 0, value_name = "BYTES"))]
    pub video_min_bytes: u64,
    /// What MotionDynamic's token may do with generations: `representation`
    /// (insert and read) or `plain` (a plain PostgREST with an insert-only
    /// role: `201` with an empty body, `42501` to
    /// `Prefer: return=representation` and to every read of generations).
    #[cfg_attr(feature = "clap", arg(long, value_enum, default_value_t = PostgrestMode::Representation))]
    pub postgrest_mode: PostgrestMode,
}

impl SandboxArgs {
    /// Sets the `host` field.
    pub fn host(mut self, host: String) -> Self {
        self.host = host;
        self
    }

    /// Sets the `deepmotion_port` field.
    pub fn deepmotion_port(mut self, deepmotion_port: u16) -> Self {
        self.deepmotion_port = deepmotion_port;
        self
    }

    /// Sets the `motiondynamic_port` field.
    pub fn motiondynamic_port(mut self, motiondynamic_port: u16) -> Self {
        self.motiondynamic_port = motiondynamic_port;
        self
    }

    /// Sets the `client_id` field.
    pub fn client_id(mut self, client_id: String) -> Self {
        self.client_id = client_id;
        self
    }

    /// Sets the `client_secret` field.
    pub fn client_secret(mut self, client_secret: String) -> Self {
        self.client_secret = client_secret;
        self
    }

    /// Sets the `time_scale` field.
    pub fn time_scale(mut self, time_scale: f64) -> Self {
        self.time_scale = time_scale;
        self
    }

    /// Sets the `data_dir` field.
    pub fn data_dir(mut self, data_dir: Option<PathBuf>) -> Self {
        self.data_dir = data_dir;
        self
    }

    /// Sets the `faults` field.
    pub fn faults(mut self, faults: Option<PathBuf>) -> Self {
        self.faults = faults;
        self
    }

    /// Sets the `jwt_secret` field.
    pub fn jwt_secret(mut self, jwt_secret: String) -> Self {
        self.jwt_secret = jwt_secret;
        self
    }

    /// Sets the `cold_start` field.
    pub fn cold_start(mut self, cold_start: bool) -> Self {
        self.cold_start = cold_start;
        self
    }

    /// Sets the `rate_limit` field.
    pub fn rate_limit(mut self, rate_limit: u32) -> Self {
        self.rate_limit = rate_limit;
        self
    }

    /// Sets the `rate_limit_block` field.
    pub fn rate_limit_block(mut self, rate_limit_block: f64) -> Self {
        self.rate_limit_block = rate_limit_block;
        self
    }

    /// Sets the `max_uri_bytes` field.
    pub fn max_uri_bytes(mut self, max_uri_bytes: usize) -> Self {
        self.max_uri_bytes = max_uri_bytes;
        self
    }

    /// Sets the `video_min_bytes` field.
    pub fn video_min_bytes(mut self, video_min_bytes: u64) -> Self {
        self.video_min_bytes = video_min_bytes;
        self
    }

    /// Sets the `postgrest_mode` field.
    pub fn postgrest_mode(mut self, postgrest_mode: PostgrestMode) -> Self {
        self.postgrest_mode = postgrest_mode;
        self
    }
}

/// How the MotionDynamic emulator's PostgREST treats the token's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
pub enum PostgrestMode {
    /// The role may insert and read generations: `Prefer:
    /// return=representation` returns the created row, reads are answered.
    #[default]
    Representation,
    /// A plain PostgREST whose role may insert generations but not read
    /// them: a POST is answered `201` with an empty body; asking for the
    /// row (`return=representation` or `return=headers-only`) is refused
    /// `403 42501` and the insert rolled back; every read of generations
    /// (REST or GraphQL) is refused `403 42501`. Webhooks are delivered as
    /// usual.
    Plain,
}

impl Default for SandboxArgs {
    fn default() -> Self {
        SandboxArgs {
            host: "127.0.0.1".into(),
            deepmotion_port: 0,
            motiondynamic_port: 0,
            client_id: "sandbox".into(),
            client_secret: "sandbox-secret".into(),
            time_scale: 1.0,
            data_dir: None,
            faults: None,
            session_ttl: 3600.0,
            jwt_secret: "motionkit-sandbox-jwt-secret".into(),
            cold_start: false,
            rate_limit: 5,
            rate_limit_block: 60.0,
            max_uri_bytes: 8192,
            video_min_bytes: 0,
            postgrest_mode: PostgrestMode::Representation,
        }
    }
}

/// Everything a running sandbox needs, resolved from [`SandboxArgs`].
#[derive(Clone)]
pub struct SandboxConfig {
    /// The flags.
    pub args: SandboxArgs,
    /// Parsed fault injection.
    pub faults: Faults,
}

impl std::fmt::Debug for SandboxConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SandboxConfig")
            .field("host", &self.args.host)
            .field("client_id", &self.args.client_id)
            .field("client_secret", &"[redacted]")
            .field("jwt_secret", &"[redacted]")
            .field("time_scale", &self.args.time_scale)
            .field("data_dir", &self.args.data_dir)
            .field("faults", &self.faults)
            .finish()
    }
}

impl SandboxConfig {
    /// Resolves the flags, reading the faults file if one is named.
    pub fn from_args(args: SandboxArgs) -> Result<Self, crate::faults::FaultsError> {
        let faults = match &args.faults {
            Some(path) => Faults::load(path)?,
            None => Faults::default(),
        };
        Ok(SandboxConfig { args, faults })
    }

    /// Session lifetime, shortened by the faults file if it says so.
    pub fn session_ttl(&self) -> Duration {
        let secs = self
            .faults
            .session_ttl_secs
            .unwrap_or(self.args.session_ttl);
        Duration::from_secs_f64(secs.max(0.001))
    }
}
