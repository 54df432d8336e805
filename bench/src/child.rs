//! Child processes: the sandbox server, curl and the transfer worker, timed
//! from spawn to exit, with their peak RSS (`VmHWM` in `/proc/PID/status`,
//! sampled every few milliseconds while they run).

use std::io::{BufRead as _, BufReader};
use std::path::PathBuf;
use std::process::{Child, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

/// How often a running child's `VmHWM` is sampled.
const SAMPLE_EVERY: Duration = Duration::from_millis(5);

/// The peak resident set size (`VmHWM`) of process `pid`, in KiB.
pub fn vm_hwm_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// A finished child process.
#[derive(Debug, Clone)]
pub struct Measured {
    /// From spawn to exit.
    pub wall: Duration,
    /// Highest `VmHWM` sampled, in KiB.
    pub peak_rss_kib: Option<u64>,
    /// Everything it printed on stdout.
    pub stdout: String,
}

/// Runs `command` to completion, timing it and sampling its peak RSS. A
/// non-zero exit is an error carrying its stderr.
pub fn run_measured(mut command: Command) -> Result<Measured, String> {
    let program = command.get_program().to_string_lossy().into_owned();
    command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let started = Instant::now();
    let mut child = command
        .spawn()
        .map_err(|e| format!("cannot run {program}: {e}"))?;
    let pid = child.id();
    let stdout = drain(child.stdout.take());
    let stderr = drain(child.stderr.take());
    let mut peak: Option<u64> = None;
    let status = loop {
        if let Some(kib) = vm_hwm_kib(pid) {
            peak = Some(peak.map_or(kib, |p| p.max(kib)));
        }
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) => std::thread::sleep(SAMPLE_EVERY),
            Err(e) => return Err(format!("waiting for {program}: {e}")),
        }
    };
    let wall = started.elapsed();
    let stdout = stdout.join().unwrap_or_default();
    let stderr = stderr.join().unwrap_or_default();
    if !status.success() {
        return Err(format!("{program} failed ({status}): {}", stderr.trim()));
    }
    Ok(Measured {
        wall,
        peak_rss_kib: peak,
        stdout,
    })
}

fn drain<R: std::io::Read + Send + 'static>(pipe: Option<R>) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut text = String::new();
        if let Some(mut pipe) = pipe {
            let _ = pipe.read_to_string(&mut text);
        }
        text
    })
}

/// The `motionkit-sandbox` binary running in its own process, with its
/// state in a temporary folder removed when it stops.
#[derive(Debug)]
pub struct SandboxProcess {
    child: Child,
    _stdout: BufReader<ChildStdout>,
    _data: tempfile::TempDir,
    /// Base URL of its DeepMotion emulator.
    pub deepmotion_url: String,
    /// Base URL of its MotionDynamic emulator.
    pub motiondynamic_url: String,
    /// A MotionDynamic token it accepts.
    pub motiondynamic_token: String,
}

impl SandboxProcess {
    /// Starts the release `motionkit-sandbox` next to this executable, on
    /// free ports, with `args` added.
    pub fn start(args: &[&str]) -> Result<SandboxProcess, String> {
        let binary = sibling("motionkit-sandbox")?;
        let data = tempfile::Builder::new()
            .prefix("motionkit-bench-sandbox-")
            .tempdir()
            .map_err(|e| format!("temporary folder: {e}"))?;
        let mut child = Command::new(&binary)
            .args(["--deepmotion-port", "0", "--motiondynamic-port", "0"])
            .arg("--data-dir")
            .arg(data.path())
            .args(args)
            .env("MOTIONKIT_SANDBOX_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot run {}: {e}", binary.display()))?;
        let Some(stdout) = child.stdout.take() else {
            let _ = child.kill();
            return Err("the sandbox has no stdout".into());
        };
        let mut stdout = BufReader::new(stdout);
        let (mut deepmotion_url, mut motiondynamic_url, mut token) = (None, None, None);
        let mut line = String::new();
        while token.is_none() {
            line.clear();
            match stdout.read_line(&mut line) {
                Ok(0) | Err(_) => {
                    let _ = child.kill();
                    let _ = child.wait();
                    return Err("the sandbox exited before printing its URLs".into());
                }
                Ok(_) => {
                    let line = line.trim();
                    if let Some(url) = line.strip_prefix("deepmotion ") {
                        deepmotion_url = Some(url.to_owned());
                    } else if let Some(url) = line.strip_prefix("motiondynamic ") {
                        motiondynamic_url = Some(url.to_owned());
                    } else if let Some(value) = line.strip_prefix("motiondynamic-token ") {
                        token = Some(value.to_owned());
                    }
                }
            }
        }
        Ok(SandboxProcess {
            child,
            _stdout: stdout,
            _data: data,
            deepmotion_url: deepmotion_url.unwrap_or_default(),
            motiondynamic_url: motiondynamic_url.unwrap_or_default(),
            motiondynamic_token: token.unwrap_or_default(),
        })
    }

    /// The server's peak RSS so far, in KiB.
    pub fn peak_rss_kib(&self) -> Option<u64> {
        vm_hwm_kib(self.child.id())
    }
}

impl Drop for SandboxProcess {
    /// Stops the sandbox with SIGINT (its graceful shutdown), then SIGKILL
    /// if it is still running after 5 s.
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-INT", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A binary built next to the running executable (`TARGET/release/NAME`,
/// wherever cargo's target directory is).
pub fn sibling(name: &str) -> Result<PathBuf, String> {
    let exe = std::env::current_exe().map_err(|e| format!("current executable: {e}"))?;
    let path = exe.with_file_name(name);
    if path.is_file() {
        Ok(path)
    } else {
        Err(format!(
            "{} is missing; run `cargo build --release -p {name}`",
            path.display()
        ))
    }
}
