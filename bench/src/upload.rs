//! Benchmark 1: uploading the test file to a signed single-`PUT` URL of the
//! sandbox, `Transport::upload_file` (in `motionkit-bench worker`) against
//! `curl -T`, interleaved round by round.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use motionkit_deepmotion::{Client, Upload};
use motionkit_transport::UploadOptions;

use super::child::{Measured, SandboxProcess, run_measured};
use super::{Plan, Row, Section, median, mib, worker};

/// Peak RSS target of the client process.
pub const RSS_TARGET_KIB: u64 = 32 * 1024;
/// Throughput target against curl.
pub const THROUGHPUT_TARGET: f64 = 0.95;

/// What benchmarks 1, 2 and 4 share: the sandbox in its own process, a
/// DeepMotion client for control calls, and the test file.
#[derive(Debug)]
pub struct Setup {
    /// The sandbox server.
    pub sandbox: SandboxProcess,
    /// A client of its DeepMotion half.
    pub client: Client,
    /// The test file.
    pub file: PathBuf,
    /// Size of the test file.
    pub size: u64,
    /// Holds the test file and downloads; removed on drop.
    pub dir: tempfile::TempDir,
}

impl Setup {
    /// Starts the sandbox process and writes the test file.
    pub async fn start(plan: &Plan) -> Result<Setup, String> {
        // A fast clock: the download benchmark's job finishes at once.
        let sandbox = SandboxProcess::start(&["--time-scale", "1000"])?;
        let client = Client::builder(
            &sandbox.deepmotion_url,
            "sandbox",
            "sandbox-secret".to_owned(),
        )
        .build()
        .map_err(|e| e.to_string())?;
        let dir = tempfile::Builder::new()
            .prefix("motionkit-bench-")
            .tempdir()
            .map_err(|e| format!("temporary folder: {e}"))?;
        let file = dir.path().join("bench.png");
        let size = plan.file_bytes;
        let path = file.clone();
        tokio::task::spawn_blocking(move || write_test_file(&path, size))
            .await
            .map_err(|e| e.to_string())?
            .map_err(|e| format!("writing the test file: {e}"))?;
        Ok(Setup {
            sandbox,
            client,
            file,
            size,
            dir,
        })
    }
}

/// A small test picture, uploaded with `client`: what benchmarks 3 and 4
/// submit jobs for. The returned folder holds the file; keep it alive.
pub async fn uploaded_picture(client: &Client) -> Result<(tempfile::TempDir, Upload), String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let picture = dir.path().join("pose.png");
    write_test_file(&picture, 64).map_err(|e| e.to_string())?;
    let upload = client
        .upload(&picture, &UploadOptions::default())
        .await
        .map_err(|e| e.to_string())?;
    Ok((dir, upload))
}

/// Writes `size` bytes: a PNG signature and `IHDR` (64×64), so that the
/// sandbox accepts the file as a picture for `/process`, then pseudo-random
/// bytes (xorshift64*), so nothing is sparse or compressible.
pub fn write_test_file(path: &Path, size: u64) -> std::io::Result<()> {
    let mut out = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(path)?);
    let mut header = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR".to_vec();
    header.extend_from_slice(&64u32.to_be_bytes());
    header.extend_from_slice(&64u32.to_be_bytes());
    header.extend_from_slice(&[8, 6, 0, 0, 0]);
    out.write_all(&header)?;
    let mut written = header.len() as u64;
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut block = vec![0u8; 1 << 20];
    while written < size {
        for chunk in block.chunks_exact_mut(8) {
            state ^= state >> 12;
            state ^= state << 25;
            state ^= state >> 27;
            chunk.copy_from_slice(&state.wrapping_mul(0x2545_F491_4F6C_DD1D).to_le_bytes());
        }
        let take = (size - written).min(block.len() as u64) as usize;
        out.write_all(&block[..take])?;
        written += take as u64;
    }
    out.flush()?;
    out.get_ref().sync_all()
}

/// One side's runs.
#[derive(Debug, Default)]
pub struct Side {
    /// Wall time of each run, in seconds.
    pub secs: Vec<f64>,
    /// Peak RSS of each run, in KiB.
    pub rss_kib: Vec<u64>,
}

impl Side {
    /// Records a run.
    pub fn record(&mut self, measured: &Measured, own_peak_kib: Option<u64>) {
        self.secs.push(measured.wall.as_secs_f64());
        let peak = measured.peak_rss_kib.into_iter().chain(own_peak_kib).max();
        self.rss_kib.push(peak.unwrap_or(0));
    }

    /// Each run's throughput in MiB/s for `bytes` per run.
    pub fn rates(&self, bytes: u64) -> Vec<f64> {
        self.secs
            .iter()
            .map(|s| bytes as f64 / (1024.0 * 1024.0) / s)
            .collect()
    }

    /// Median throughput in MiB/s for `bytes` per run.
    pub fn mib_per_s(&self, bytes: u64) -> f64 {
        median(&mut self.rates(bytes))
    }

    /// Highest peak RSS over the runs, in KiB.
    pub fn peak_kib(&self) -> u64 {
        self.rss_kib.iter().copied().max().unwrap_or(0)
    }

    /// Every run as `1.23 s`, for the notes.
    pub fn runs(&self) -> String {
        let runs: Vec<String> = self.secs.iter().map(|s| format!("{s:.2} s")).collect();
        runs.join(", ")
    }
}

/// Runs `motionkit-bench worker ARGS...` and checks it moved `size` bytes;
/// returns the run and what the worker reported.
pub fn run_worker(args: &[&str], size: u64) -> Result<(Measured, worker::Output), String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let mut command = Command::new(exe);
    command.arg("worker").args(args);
    let measured = run_measured(command)?;
    let output = worker::parse_output(&measured.stdout)
        .ok_or_else(|| format!("unexpected worker output: {:?}", measured.stdout))?;
    if output.bytes != size {
        return Err(format!(
            "the worker moved {} bytes, not {size}",
            output.bytes
        ));
    }
    Ok((measured, output))
}

/// Human size of the test file, such as `1 GiB`.
pub fn size_label(size: u64) -> String {
    if size >= 1 << 30 && size.is_multiple_of(1 << 30) {
        format!("{} GiB", size >> 30)
    } else {
        format!("{} MiB", size >> 20)
    }
}

/// Parses curl's `-w "%{size_upload} %{time_total}"` (or `size_download`)
/// output into (bytes, seconds).
pub fn parse_curl(stdout: &str) -> Option<(u64, f64)> {
    let mut parts = stdout.split_whitespace();
    let bytes = parts.next()?.parse::<f64>().ok()? as u64;
    let secs = parts.next()?.parse().ok()?;
    Some((bytes, secs))
}

/// The throughput and peak-RSS rows of a transfer benchmark.
pub fn transfer_rows(what: &str, size: u64, ours: &Side, curl: &Side, curl_name: &str) -> Vec<Row> {
    let label = size_label(size);
    let ours_rate = ours.mib_per_s(size);
    let curl_rate = curl.mib_per_s(size);
    let ratio = ours_rate / curl_rate;
    vec![
        Row::new(
            format!("{what} {label}: throughput"),
            format!("{ours_rate:.0} MiB/s"),
        )
        .baseline(format!("{curl_rate:.0} MiB/s ({curl_name})"))
        .ratio(format!("{ratio:.2}×"))
        .target(
            format!("≥ {THROUGHPUT_TARGET:.2}× curl"),
            ratio >= THROUGHPUT_TARGET,
        ),
        Row::new(format!("{what} {label}: peak RSS"), mib(ours.peak_kib()))
            .baseline(format!("{} (curl)", mib(curl.peak_kib())))
            .target("≤ 32 MiB", ours.peak_kib() <= RSS_TARGET_KIB),
    ]
}

/// Benchmark 1.
pub async fn run(setup: &Setup, plan: &Plan) -> Result<Section, String> {
    let ours_url = setup
        .client
        .upload_url("bench-motionkit.png", false)
        .await
        .map_err(|e| e.to_string())?;
    let curl_url = setup
        .client
        .upload_url("bench-curl.png", false)
        .await
        .map_err(|e| e.to_string())?;
    let file = setup.file.to_string_lossy().into_owned();
    let size = setup.size;
    let rounds = plan.rounds;
    let (ours, curl, curl_own) = tokio::task::spawn_blocking(move || {
        let mut ours = Side::default();
        let mut curl = Side::default();
        let mut curl_own = Vec::new();
        for round in 0..rounds {
            for ours_now in [round % 2 == 0, round % 2 == 1] {
                if ours_now {
                    let (measured, output) = run_worker(&["upload", &ours_url, &file], size)?;
                    ours.record(&measured, Some(output.peak_kib));
                    continue;
                }
                let mut command = Command::new("curl");
                command
                    .args(["-sS", "-f", "-o", "/dev/null"])
                    .args(["-w", "%{size_upload} %{time_total}"])
                    .args(["-T", &file, &curl_url]);
                let measured = run_measured(command)?;
                let (bytes, secs) = parse_curl(&measured.stdout)
                    .ok_or_else(|| format!("unexpected curl output {:?}", measured.stdout))?;
                if bytes != size {
                    return Err(format!("curl uploaded {bytes} bytes, not {size}"));
                }
                curl.record(&measured, None);
                curl_own.push(secs);
            }
        }
        Ok::<_, String>((ours, curl, curl_own))
    })
    .await
    .map_err(|e| e.to_string())??;
    let mut section = Section::new("1. Upload");
    section.rows = transfer_rows("Upload", size, &ours, &curl, "curl -T");
    section.notes = vec![
        format!(
            "Method: a signed single-`PUT` URL per side from `GET /upload?name=..&resumable=0`; \
             motionkit is `Transport::upload_file` with default options, run by \
             `motionkit-bench worker upload URL FILE` in a process of its own; the baseline is \
             `curl -sS -f -o /dev/null -T FILE URL`. Same file, same sandbox process, {rounds} \
             interleaved round(s) with alternating order; throughput is the median over the \
             rounds of size / wall time from spawn to exit of each process; peak RSS is the \
             highest `VmHWM` of the client process."
        ),
        format!(
            "Wall times: motionkit {}; curl {} (curl's own `time_total`: {}).",
            ours.runs(),
            curl.runs(),
            curl_own
                .iter()
                .map(|s| format!("{s:.2} s"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        format!(
            "The test file: {} = a PNG signature and `IHDR` chunk (so that the sandbox can \
             process it as a picture for benchmark 2) followed by xorshift64* pseudo-random \
             bytes; not sparse, not compressible, written once and read from the page cache. \
             The sandbox writes every upload to its data folder and fsyncs it before it \
             answers, for both sides alike.",
            size_label(size)
        ),
    ];
    Ok(section)
}
