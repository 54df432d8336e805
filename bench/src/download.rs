//! Benchmark 2: downloading the test file from a signed `GET` URL of the
//! sandbox, `Transport::download` (in `motionkit-bench worker`) against
//! `curl -o`, interleaved round by round.

use std::process::Command;
use std::time::{Duration, Instant};

use motionkit_deepmotion::{Process, Upload, WaitOptions};
use motionkit_transport::UploadOptions;

use super::child::{Measured, run_measured};
use super::upload::{Setup, Side, parse_curl, run_worker, size_label, transfer_rows};
use super::{Plan, Section};

/// A signed download URL of the test file: uploaded through the control
/// client, then processed as a picture, whose job's `input` link is one.
async fn download_url(setup: &Setup) -> Result<String, String> {
    let client = &setup.client;
    let name = "bench-download.png";
    let url = client
        .upload_url(name, false)
        .await
        .map_err(|e| e.to_string())?;
    client
        .transport()
        .upload_file(&url, &setup.file, &UploadOptions::default())
        .await
        .map_err(|e| e.to_string())?;
    let upload = Upload {
        url,
        name: name.into(),
        size: setup.size,
        input: motionkit_validation::InputKind::Image,
    };
    let rid = Process::new(&upload)
        .send(client)
        .await
        .map_err(|e| e.to_string())?;
    client
        .wait_one(&rid, &WaitOptions::fast())
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

/// Benchmark 2.
pub async fn run(setup: &Setup, plan: &Plan) -> Result<Section, String> {
    let url = download_url(setup).await?;
    let size = setup.size;
    let rounds = plan.rounds;
    let base = setup.dir.path().to_owned();
    let source = setup.file.clone();
    let (ours, ours_to_last, uncapped, curl, curl_synced, disk) =
        tokio::task::spawn_blocking(move || {
            let mut ours = Side::default();
            let mut ours_to_last = Side::default();
            let mut uncapped = Side::default();
            let mut curl = Side::default();
            let mut curl_synced = Side::default();
            let mut disk = Side::default();
            for round in 0..rounds {
                // Files are deleted only between rounds, then the disk is
                // given time to settle: freeing a 1 GiB file (with its
                // discards) slowed whichever run came next.
                let mut round_dirs = Vec::new();
                let (measured, copy_dir) = durable_copy(&source, &base)?;
                disk.record(&measured, None);
                round_dirs.push(copy_dir);
                // The three sides take turns going first, so that none
                // always follows another's disk writes.
                for turn in 0..3 {
                    let side = (turn + round) % 3;
                    let dir = tempfile::tempdir_in(&base).map_err(|e| e.to_string())?;
                    let target = dir.path().to_string_lossy().into_owned();
                    let out = dir.path().join("curl.bin");
                    round_dirs.push(dir);
                    if side == 0 {
                        let (mut measured, output) =
                            run_worker(&["download", &url, &target], size)?;
                        ours.record(&measured, Some(output.peak_kib));
                        // Without what follows the last byte: flush, fsync, rename.
                        let tail = (output.secs - output.last_byte_secs).max(0.0);
                        measured.wall = measured.wall.saturating_sub(Duration::from_secs_f64(tail));
                        ours_to_last.record(&measured, Some(output.peak_kib));
                        continue;
                    }
                    if side == 1 {
                        // The same client with every download cap off.
                        let (measured, output) =
                            run_worker(&["download-uncapped", &url, &target], size)?;
                        uncapped.record(&measured, Some(output.peak_kib));
                        continue;
                    }
                    let mut command = Command::new("curl");
                    command
                        .args(["-sS", "-f", "-w", "%{size_download} %{time_total}", "-o"])
                        .arg(&out)
                        .arg(&url);
                    let mut measured = run_measured(command)?;
                    let (bytes, _) = parse_curl(&measured.stdout)
                        .ok_or_else(|| format!("unexpected curl output {:?}", measured.stdout))?;
                    if bytes != size {
                        return Err(format!("curl downloaded {bytes} bytes, not {size}"));
                    }
                    curl.record(&measured, None);
                    // What the client does after the last byte: make it durable.
                    let synced = Instant::now();
                    std::fs::File::open(&out)
                        .and_then(|f| f.sync_all())
                        .map_err(|e| format!("fsync of curl's file: {e}"))?;
                    measured.wall += synced.elapsed();
                    curl_synced.record(&measured, None);
                }
                drop(round_dirs);
                settle();
            }
            Ok::<_, String>((ours, ours_to_last, uncapped, curl, curl_synced, disk))
        })
        .await
        .map_err(|e| e.to_string())??;
    let mut section = Section::new("2. Download");
    section.rows = transfer_rows("Download", size, &ours, &curl, "curl -o");
    let label = size_label(size);
    // Extra throughput rows: (what, motionkit side, baseline, its name, has a target).
    let extra = [
        (
            "same durability",
            &ours,
            &curl_synced,
            "curl -o, then fsync",
            true,
        ),
        (
            "against writing the same bytes to disk",
            &ours,
            &disk,
            "dd conv=fsync",
            false,
        ),
        (
            "to the last byte written (before the fsync)",
            &ours_to_last,
            &curl,
            "curl -o",
            false,
        ),
        (
            "with its caps against without them",
            &ours,
            &uncapped,
            "motionkit, caps off",
            true,
        ),
    ];
    for (at, (what, ours, baseline, name, targeted)) in (1..).zip(extra) {
        let Some(mut row) = transfer_rows("Download", size, ours, baseline, name)
            .into_iter()
            .next()
        else {
            continue;
        };
        row.name = format!("Download {label}: throughput, {what}");
        if !targeted {
            row.target = "-".into();
            row.met = super::Met::Info;
        }
        section.rows.insert(at, row);
    }
    section.notes = vec![
        format!(
            "Method: the file is uploaded once more and processed as a picture; the job's \
             `input` link from `GET /download/{{rid}}` is a signed `GET` URL of it. motionkit \
             is `Transport::download` with default options (into a temporary file, fsync, \
             rename, fsync of the folder), run by `motionkit-bench worker download URL DIR`; the \
             baseline is `curl -sS -f -o FILE URL`. The caps row runs the same worker right \
             after, with no size cap, minimum rate, deadline or stall timeout \
             (`download-uncapped`): what bounding every byte and second costs. {rounds} interleaved round(s) (the sides take turns \
             going first), median throughput, wall time from spawn to exit; every download \
             goes to a new folder, removed at the end of its round, followed by a `sync` and a \
             pause of 2 s."
        ),
        "curl does not fsync, motionkit does (a download is only renamed into place once it \
         is on disk). The second throughput row adds to each curl run the time of an fsync of \
         its file right after it exits, the same durability; the fsync is done after every \
         curl run in any case, so no dirty pages spill into the next run."
            .to_owned(),
        "The disk row stores the same bytes durably without any network, the way a plain \
         tool does: `dd if=FILE of=COPY bs=1M conv=fsync` writes the test file (read from \
         the page cache) to a new file in the same folder, then syncs it; once per round."
            .to_owned(),
        format!(
            "Wall times: motionkit {} (until the last byte was written, as its progress \
             callback saw it: {}); motionkit with its caps off {}; curl {}; curl + fsync {}; \
             dd {}.",
            ours.runs(),
            ours_to_last.runs(),
            uncapped.runs(),
            curl.runs(),
            curl_synced.runs(),
            disk.runs()
        ),
    ];
    Ok(section)
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
fn durable_copy(
    source: &std::path::Path,
    dir: &std::path::Path,
) -> Result<(Measured, tempfile::TempDir), String> {
    let target = tempfile::tempdir_in(dir).map_err(|e| e.to_string())?;
    let mut command = Command::new("dd");
    command
        .arg(format!("if={}", source.display()))
        .arg(format!("of={}", target.path().join("copy.bin").display()))
        .args(["bs=1M", "conv=fsync", "status=none"]);
    Ok((run_measured(command)?, target))
}
