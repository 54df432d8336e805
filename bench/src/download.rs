//! Benchmark 2: downloading a test file of each size from a signed `GET`
//! URL of the sandbox, `Transport::download` (in `motionkit-bench worker`)
//! and the CLI's `generations download` against `curl -o`, interleaved
//! round by round; median and spread over the rounds, and the worst round.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use motionkit_deepmotion::{Process, Upload, WaitOptions};
use motionkit_transport::UploadOptions;

use super::child::{Measured, run_measured};
use super::download_cli::CliVideo;
use super::upload::{
    RSS_TARGET_KIB, Setup, Side, THROUGHPUT_TARGET, parse_curl, run_worker, size_label,
    write_test_file,
};
use super::{Met, Plan, Row, Section, median, mib};

/// Median throughput at the same durability, against `curl -o` + fsync.
const DURABLE_TARGET: f64 = 1.0;
/// The slowest round, against `curl -o` in the same round.
const WORST_ROUND_TARGET: f64 = 0.8;

/// A signed download URL of `file` (`size` bytes): uploaded through the
/// control client, then processed as a picture, whose job's `input` link
/// is one.
async fn download_url(setup: &Setup, file: &Path, size: u64) -> Result<String, String> {
    let client = &setup.client;
    let name = format!("bench-download-{}.png", size >> 20);
    let url = client
        .upload_url(&name, false)
        .await
        .map_err(|e| e.to_string())?;
    client
        .transport()
        .upload_file(&url, file, &UploadOptions::default())
        .await
        .map_err(|e| e.to_string())?;
    let upload = Upload {
        url,
        name,
        size,
        input: motionkit_validation::InputKind::Image,
    };
    let rid = Process::new(&upload)
        .send(client)
        .await
        .map_err(|e| e.to_string())?
        .rid;
    client
        .wait_one_with(&rid, &WaitOptions::fast())
        .await
        .map_err(|e| e.to_string())?;
    let links = client
        .download_links(&[rid])
        .await
        .map_err(|e| e.to_string())?;
    links
        .into_iter()
        .next()
        .and_then(|link| link.input)
        .ok_or_else(|| "the job has no input download link".into())
}

/// The test file of `size` bytes: the setup's own, or a new one beside it.
async fn test_file(setup: &Setup, size: u64) -> Result<PathBuf, String> {
    if size == setup.size {
        return Ok(setup.file.clone());
    }
    let path = setup.dir.path().join(format!("bench-{}.png", size >> 20));
    let written = path.clone();
    tokio::task::spawn_blocking(move || write_test_file(&written, size))
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| format!("writing the test file: {e}"))?;
    Ok(path)
}

/// Every side's runs at one size.
#[derive(Default)]
struct Runs {
    ours: Side,
    ours_to_last: Side,
    uncapped: Side,
    curl: Side,
    curl_synced: Side,
    cli: Side,
    curl_cli: Side,
    disk: Side,
}

/// Benchmark 2.
pub async fn run(setup: &Setup, plan: &Plan) -> Result<Section, String> {
    let mut section = Section::new("2. Download");
    for &size in plan.download_sizes {
        let file = test_file(setup, size).await?;
        let url = download_url(setup, &file, size).await?;
        let video = CliVideo::start(size).await?;
        let (rounds, base) = (plan.download_rounds, setup.dir.path().to_owned());
        let (runs, video) = tokio::task::spawn_blocking(move || {
            let runs = measure(&url, &video, &file, &base, size, rounds);
            (runs, video)
        })
        .await
        .map_err(|e| e.to_string())?;
        drop(video);
        let runs = runs?;
        rows(&mut section, size, &runs);
        section.notes.push(format!(
            "{}: motionkit {} (to the last byte written: {}); caps off {}; curl {}; curl + fsync \
             {}; dd {}; `motionkit generations download` {}; curl of its URL {}.",
            size_label(size),
            runs.ours.runs(),
            runs.ours_to_last.runs(),
            runs.uncapped.runs(),
            runs.curl.runs(),
            runs.curl_synced.runs(),
            runs.disk.runs(),
            runs.cli.runs(),
            runs.curl_cli.runs(),
        ));
    }
    section.notes.splice(0..0, notes(plan));
    Ok(section)
}

/// `rounds` interleaved rounds of every side at one size.
fn measure(
    url: &str,
    video: &CliVideo,
    source: &Path,
    base: &Path,
    size: u64,
    rounds: usize,
) -> Result<Runs, String> {
    let mut runs = Runs::default();
    for round in 0..rounds {
        // Files are deleted only between rounds, then the disk is given
        // time to settle: freeing a 1 GiB file (with its discards) slowed
        // whichever run came next.
        let mut round_dirs = Vec::new();
        let (measured, copy_dir) = durable_copy(source, base)?;
        runs.disk.record(&measured, None);
        round_dirs.push(copy_dir);
        // motionkit and curl run back to back, the CLI and curl of its URL
        // too, each pair in turns first: the machine's speed drifts over
        // seconds, so a round's ratio compares neighbours.
        let first = round % 2;
        for side in [first, 1 - first, 2, 3 + first, 4 - first] {
            let dir = tempfile::tempdir_in(base).map_err(|e| e.to_string())?;
            let target = dir.path().to_string_lossy().into_owned();
            match side {
                0 => {
                    let (mut measured, output) = run_worker(&["download", url, &target], size)?;
                    runs.ours.record(&measured, Some(output.peak_kib));
                    // Without what follows the last byte: flush, fsync, rename.
                    let tail = (output.secs - output.last_byte_secs).max(0.0);
                    measured.wall = measured.wall.saturating_sub(Duration::from_secs_f64(tail));
                    runs.ours_to_last.record(&measured, Some(output.peak_kib));
                }
                1 => {
                    let (measured, synced) = curl(url, &dir.path().join("curl.bin"), size)?;
                    runs.curl.record(&measured, None);
                    runs.curl_synced.record(&synced, None);
                }
                2 => {
                    // The same client with every download cap off.
                    let (measured, output) =
                        run_worker(&["download-uncapped", url, &target], size)?;
                    runs.uncapped.record(&measured, Some(output.peak_kib));
                }
                3 => {
                    let measured = video.download(dir.path(), size)?;
                    runs.cli.record(&measured, None);
                }
                _ => {
                    let (measured, _) = curl(&video.url, &dir.path().join("curl.mp4"), size)?;
                    runs.curl_cli.record(&measured, None);
                }
            }
            round_dirs.push(dir);
        }
        drop(round_dirs);
        settle();
    }
    Ok(runs)
}

/// `curl -o OUT URL`, checked to have moved `size` bytes; the run, and the
/// run with an fsync of its file added (done in any case, so no dirty
/// pages spill into the next run).
fn curl(url: &str, out: &Path, size: u64) -> Result<(Measured, Measured), String> {
    let mut command = Command::new("curl");
    command
        .args(["-sS", "-f", "-w", "%{size_download} %{time_total}", "-o"])
        .arg(out)
        .arg(url);
    let measured = run_measured(command)?;
    let (bytes, _) = parse_curl(&measured.stdout)
        .ok_or_else(|| format!("unexpected curl output {:?}", measured.stdout))?;
    if bytes != size {
        return Err(format!("curl downloaded {bytes} bytes, not {size}"));
    }
    let synced_at = Instant::now();
    std::fs::File::open(out)
        .and_then(|f| f.sync_all())
        .map_err(|e| format!("fsync of curl's file: {e}"))?;
    let mut synced = measured.clone();
    synced.wall += synced_at.elapsed();
    Ok((measured, synced))
}

/// The median rate, with the slowest and fastest rounds.
fn rate(side: &Side, size: u64) -> String {
    let mut rates = side.rates(size);
    let mid = median(&mut rates);
    let (low, high) = (rates.first().copied(), rates.last().copied());
    match (low, high) {
        (Some(low), Some(high)) if rates.len() > 1 => {
            format!("{mid:.0} MiB/s ({low:.0} to {high:.0})")
        }
        _ => format!("{mid:.0} MiB/s"),
    }
}

/// One throughput row: median against median.
fn row(
    name: String,
    size: u64,
    ours: &Side,
    base: &Side,
    base_name: &str,
    target: Option<f64>,
) -> Row {
    let ratio = ours.mib_per_s(size) / base.mib_per_s(size);
    let row = Row::new(name, rate(ours, size))
        .baseline(format!("{} ({base_name})", rate(base, size)))
        .ratio(format!("{ratio:.2}×"));
    match target {
        Some(target) => row.target(format!("≥ {target:.2}×"), ratio >= target),
        None => {
            let mut row = row;
            row.met = Met::Info;
            row
        }
    }
}

/// The rows of one size.
fn rows(section: &mut Section, size: u64, runs: &Runs) {
    let label = size_label(size);
    let name = |what: &str| format!("Download {label}: {what}");
    let worst = runs
        .curl
        .secs
        .iter()
        .zip(&runs.ours.secs)
        .map(|(curl, ours)| curl / ours)
        .fold(f64::INFINITY, f64::min);
    section.rows.extend([
        row(
            name("throughput"),
            size,
            &runs.ours,
            &runs.curl,
            "curl -o",
            Some(THROUGHPUT_TARGET),
        ),
        row(
            name("throughput, same durability"),
            size,
            &runs.ours,
            &runs.curl_synced,
            "curl -o, then fsync",
            Some(DURABLE_TARGET),
        ),
        row(
            name("throughput, to the last byte written (before the fsync)"),
            size,
            &runs.ours_to_last,
            &runs.curl,
            "curl -o",
            Some(THROUGHPUT_TARGET),
        ),
        Row::new(
            name("slowest round against curl -o in the same round"),
            format!("{worst:.2}×"),
        )
        .target(
            format!("≥ {WORST_ROUND_TARGET:.2}×"),
            worst >= WORST_ROUND_TARGET,
        ),
        row(
            name("throughput, with its caps against without them"),
            size,
            &runs.ours,
            &runs.uncapped,
            "motionkit, caps off",
            Some(THROUGHPUT_TARGET),
        ),
        row(
            name("`motionkit generations download` (the CLI)"),
            size,
            &runs.cli,
            &runs.curl_cli,
            "curl -o of its URL",
            Some(THROUGHPUT_TARGET),
        ),
        row(
            name("throughput, against writing the same bytes to disk"),
            size,
            &runs.ours,
            &runs.disk,
            "dd conv=fsync",
            None,
        ),
        Row::new(name("peak RSS"), mib(runs.ours.peak_kib()))
            .baseline(format!("{} (curl)", mib(runs.curl.peak_kib())))
            .target("≤ 32 MiB", runs.ours.peak_kib() <= RSS_TARGET_KIB),
    ]);
}

/// How the benchmark runs.
fn notes(plan: &Plan) -> Vec<String> {
    let rounds = plan.download_rounds;
    vec![
        format!(
            "Method: each test file is uploaded and processed as a picture; the job's \
             `input` link from `GET /download/{{rid}}` is a signed `GET` URL of it. motionkit \
             is `Transport::download` with default options (into a temporary file, fsync, \
             rename, fsync of the folder), run by `motionkit-bench worker download URL DIR`; the \
             baseline is `curl -sS -f -o FILE URL`. The caps row runs the same worker with no \
             size cap, minimum rate, deadline or stall timeout (`download-uncapped`). The CLI \
             row runs `motionkit generations download ID --out DIR` (release build) for a \
             MotionDynamic render of a second sandbox, padded to the same size \
             (`--video-min-bytes`) and served from memory, against `curl -o` of the same URL. \
             {rounds} interleaved round(s) per size: motionkit and curl back to back, the CLI \
             and curl of its URL back to back, each pair taking turns going first; \
             throughput is the median, with the slowest and fastest rounds in brackets; wall \
             time from spawn to exit; every download goes to a new folder, removed at the end \
             of its round, followed by a `sync` and a pause of 2 s."
        ),
        "curl does not fsync, motionkit does (a download is only renamed into place once it \
         is on disk). The same-durability row adds to each curl run the time of an fsync of \
         its file right after it exits; the fsync is done after every curl run in any case, \
         so no dirty pages spill into the next run. The slowest-round row divides, round by \
         round, curl's time by motionkit's (the two ran back to back) and keeps the smallest."
            .to_owned(),
        "The disk row stores the same bytes durably without any network, the way a plain \
         tool does: `dd if=FILE of=COPY bs=1M conv=fsync` writes the test file (read from \
         the page cache) to a new file in the same folder, then syncs it; once per round."
            .to_owned(),
    ]
}

/// Flushes the file system and waits a moment, so that the next round does
/// not pay for the last one's deletions.
fn settle() {
    let _ = Command::new("sync").status();
    std::thread::sleep(Duration::from_secs(2));
}

/// Writes `source` to a new file in `dir` with `dd ... conv=fsync`: what
/// storing the bytes durably costs without any network. The copy lives as
/// long as the returned folder.
fn durable_copy(source: &Path, dir: &Path) -> Result<(Measured, tempfile::TempDir), String> {
    let target = tempfile::tempdir_in(dir).map_err(|e| e.to_string())?;
    let mut command = Command::new("dd");
    command
        .arg(format!("if={}", source.display()))
        .arg(format!("of={}", target.path().join("copy.bin").display()))
        .args(["bs=1M", "conv=fsync", "status=none"]);
    Ok((run_measured(command)?, target))
}
