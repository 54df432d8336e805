//! `motionkit-bench worker upload URL FILE` and `motionkit-bench worker download URL
//! DIR`: one transfer with `motionkit_transport::Transport`, in a process of
//! its own so that its peak RSS is the client's alone.
//!
//! Prints `bytes=N secs=S last_byte_secs=L vmhwm_kib=K` on success, where
//! `secs` is the transfer call alone, `last_byte_secs` (downloads) when the
//! progress callback last reported bytes, i.e. the last byte handed to the
//! file before the final flush, fsync and rename (uploads, which run with
//! default options, report `secs`), and `vmhwm_kib` the process's own peak
//! RSS at the end.

use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use motionkit_transport::{DownloadOptions, ProgressFn, Transport, UploadOptions};

/// The file name a download is saved under.
pub const DOWNLOAD_NAME: &str = "motionkit.bin";

/// `motionkit-bench worker ...`.
pub fn main(args: &[&str]) -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("motionkit-bench worker: {e}");
            return ExitCode::FAILURE;
        }
    };
    if let ["fleet", rest @ ..] = args {
        return match runtime.block_on(super::fleet::worker(rest)) {
            Ok(line) => {
                println!("{line}");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("motionkit-bench worker: {e}");
                ExitCode::FAILURE
            }
        };
    }
    let result = match args {
        ["upload", url, file] => runtime.block_on(upload(url, Path::new(file))),
        ["download", url, dir] => runtime.block_on(download(url, Path::new(dir), true)),
        ["download-uncapped", url, dir] => runtime.block_on(download(url, Path::new(dir), false)),
        _ => Err(
            "usage: motionkit-bench worker upload URL FILE | download[-uncapped] URL DIR".into(),
        ),
    };
    match result {
        Ok(Done {
            bytes,
            secs,
            last_byte_secs,
        }) => {
            let peak = super::child::vm_hwm_kib(std::process::id()).unwrap_or(0);
            println!(
                "bytes={bytes} secs={secs:.6} last_byte_secs={last_byte_secs:.6} vmhwm_kib={peak}"
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("motionkit-bench worker: {e}");
            ExitCode::FAILURE
        }
    }
}

/// What a transfer did.
struct Done {
    bytes: u64,
    secs: f64,
    last_byte_secs: f64,
}

/// A progress callback that records when it was last called, in
/// nanoseconds since `started`.
fn last_progress(started: Instant) -> (ProgressFn, Arc<AtomicU64>) {
    let last = Arc::new(AtomicU64::new(0));
    let seen = last.clone();
    let progress: ProgressFn = Arc::new(move |_| {
        let nanos = u64::try_from(started.elapsed().as_nanos()).unwrap_or(u64::MAX);
        seen.store(nanos, Ordering::Relaxed);
    });
    (progress, last)
}

/// A transport for the origin of `url`, with the default caps.
fn transport(url: &str) -> Result<Transport, String> {
    capped_transport(url, true)
}

/// A transport for the origin of `url`; without `capped`, every limit on a
/// download is off (no size cap, no minimum rate, no deadline, a stall
/// timeout of a day), to measure what the caps cost.
fn capped_transport(url: &str, capped: bool) -> Result<Transport, String> {
    let parsed = reqwest::Url::parse(url).map_err(|e| format!("{e}"))?;
    let mut builder = Transport::builder(parsed.origin().ascii_serialization());
    if !capped {
        let timeouts = motionkit_transport::Timeouts {
            transfer_stall: std::time::Duration::from_secs(86_400),
            transfer_min_rate: None,
            transfer_deadline: None,
            ..motionkit_transport::Timeouts::default()
        };
        let limits = motionkit_transport::Limits {
            download_bytes: u64::MAX,
            ..motionkit_transport::Limits::default()
        };
        builder = builder.timeouts(timeouts).limits(limits);
    }
    builder.build().map_err(|e| e.to_string())
}

async fn upload(url: &str, file: &Path) -> Result<Done, String> {
    let transport = transport(url)?;
    let started = Instant::now();
    let report = transport
        .upload_file(url, file, &UploadOptions::default())
        .await
        .map_err(|e| e.to_string())?;
    let secs = started.elapsed().as_secs_f64();
    Ok(Done {
        bytes: report.bytes,
        secs,
        last_byte_secs: secs,
    })
}

async fn download(url: &str, dir: &Path, capped: bool) -> Result<Done, String> {
    let transport = capped_transport(url, capped)?;
    let started = Instant::now();
    let (progress, last) = last_progress(started);
    let options = DownloadOptions {
        file_name: Some(DOWNLOAD_NAME.into()),
        progress: Some(progress),
        // The benchmark saves the same name run after run.
        on_existing: motionkit_transport::OnExisting::Replace,
        ..DownloadOptions::default()
    };
    let report = transport
        .download(url, dir, &options)
        .await
        .map_err(|e| e.to_string())?;
    Ok(Done {
        bytes: report.bytes,
        secs: started.elapsed().as_secs_f64(),
        last_byte_secs: last.load(Ordering::Relaxed) as f64 / 1e9,
    })
}

/// The worker's output line.
#[derive(Debug, Clone, Copy)]
pub struct Output {
    /// Bytes transferred.
    pub bytes: u64,
    /// The transfer call, in seconds.
    pub secs: f64,
    /// When progress was last reported, in seconds from the call's start.
    pub last_byte_secs: f64,
    /// The worker's own peak RSS, in KiB.
    pub peak_kib: u64,
}

/// Parses the worker's output line.
pub fn parse_output(stdout: &str) -> Option<Output> {
    let mut bytes = None;
    let mut secs = None;
    let mut last_byte_secs = None;
    let mut peak_kib = None;
    for part in stdout.split_whitespace() {
        match part.split_once('=') {
            Some(("bytes", v)) => bytes = v.parse().ok(),
            Some(("secs", v)) => secs = v.parse().ok(),
            Some(("last_byte_secs", v)) => last_byte_secs = v.parse().ok(),
            Some(("vmhwm_kib", v)) => peak_kib = v.parse().ok(),
            _ => {}
        }
    }
    Some(Output {
        bytes: bytes?,
        secs: secs?,
        last_byte_secs: last_byte_secs?,
        peak_kib: peak_kib?,
    })
}
