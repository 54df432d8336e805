//! Benchmark 2's CLI row: `motionkit generations download ID --out DIR`,
//! the command users run, against `curl -o` of the same URL. The video is
//! a MotionDynamic render of the sandbox (a process of its own, as for the
//! library rows) padded to the test size (`--video-min-bytes`), served
//! from memory.

use std::path::Path;
use std::process::Command;

use motionkit_motiondynamic::Client;

use super::child::{Measured, SandboxProcess, run_measured, sibling};
use super::rate_limit::{LocalHost, documented_generate, documented_request};

/// A rendered video of `size` bytes and what the CLI needs to fetch it.
pub struct CliVideo {
    _sandbox: SandboxProcess,
    _pictures: LocalHost,
    /// The generation's id.
    pub id: String,
    /// The video's URL, for curl.
    pub url: String,
    api: String,
    token: String,
    /// A home folder with no configuration in it.
    home: tempfile::TempDir,
}

impl CliVideo {
    /// Starts a sandbox whose renders are `size` bytes and renders one.
    pub async fn start(size: u64) -> Result<CliVideo, String> {
        let sandbox = SandboxProcess::start(&[
            "--time-scale",
            "1000",
            "--video-min-bytes",
            &size.to_string(),
        ])?;
        let pictures = LocalHost::start().await?;
        let request = documented_request(&pictures)?;
        let (api, token) = (
            sandbox.motiondynamic_url.clone(),
            sandbox.motiondynamic_token.clone(),
        );
        let client = Client::builder(&api, token.clone())
            .build()
            .map_err(|e| e.to_string())?;
        let theme = client.demo_theme().await.map_err(|e| e.to_string())?;
        let submission = documented_generate(&theme, &request)
            .send(&client)
            .await
            .map_err(|e| e.to_string())?;
        let id = submission
            .id()
            .ok_or("the sandbox did not name the generation")?
            .to_owned();
        let video = client.wait_for_id(&id).await.map_err(|e| e.to_string())?;
        let home = tempfile::tempdir().map_err(|e| e.to_string())?;
        Ok(CliVideo {
            _sandbox: sandbox,
            _pictures: pictures,
            id,
            url: video.url,
            api,
            token,
            home,
        })
    }

    /// `motionkit generations download ID --out DIR`, checked to have
    /// saved `size` bytes.
    pub fn download(&self, dir: &Path, size: u64) -> Result<Measured, String> {
        let mut command = Command::new(sibling("motionkit")?);
        command
            .args(["generations", "download", &self.id, "--out"])
            .arg(dir)
            .env("HOME", self.home.path())
            .env("XDG_CONFIG_HOME", self.home.path().join("config"))
            .env("XDG_CACHE_HOME", self.home.path().join("cache"))
            .env("MOTIONDYNAMIC_API_URL", &self.api)
            .env("MOTIONDYNAMIC_TOKEN", &self.token)
            .env("NO_COLOR", "1");
        let measured = run_measured(command)?;
        let saved = dir.join(format!("{}.mp4", self.id));
        let bytes = std::fs::metadata(&saved)
            .map_err(|e| format!("{}: {e}", saved.display()))?
            .len();
        if bytes < size {
            return Err(format!("the CLI saved {bytes} bytes, not {size}"));
        }
        Ok(measured)
    }
}
