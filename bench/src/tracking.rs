//! Benchmark 3: following many DeepMotion jobs in flight with the batched
//! waiter (`Client::wait`) against a naive loop that asks about every job
//! once per interval, both against the sandbox, requests counted by the
//! sandbox's `status` counter.

use std::collections::HashMap;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use futures::StreamExt as _;
use motionkit_deepmotion::{Client, JobEvent, Process, Upload, WaitOptions};
use motionkit_deepmotion::{MAX_PATH_BYTES, rid_batches as chunks};
use motionkit_models::deepmotion::JobStatus;
use motionkit_sandbox::{Sandbox, SandboxArgs, SandboxConfig};

use super::{Plan, Row, Section, median, percentile};

/// The polling interval of both trackers.
pub const INTERVAL: Duration = Duration::from_secs(1);
/// Simulated seconds a picture job takes in the sandbox.
pub const JOB_SIM_SECS: f64 = 15.0;
/// Sandbox clock: real time runs at this many simulated seconds per second,
/// so a job lasts `JOB_SIM_SECS / TIME_SCALE` real seconds (15 intervals).
pub const TIME_SCALE: f64 = 1.0;
/// Requests the naive loop keeps in flight.
pub const NAIVE_CONCURRENCY: usize = 8;
/// Target: the naive loop sends at least this many times more requests.
pub const TARGET_RATIO: f64 = 100.0;

/// Which tracker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tracker {
    /// `Client::wait`.
    Batched,
    /// One `GET /status/{rid}` per pending job per interval.
    Naive,
}

/// What one tracker did.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// `GET /status` requests the sandbox counted.
    pub requests: u64,
    /// Time to submit the jobs.
    pub submit: Duration,
    /// From the start of tracking to the last job seen finished.
    pub makespan: Duration,
    /// For every job, seconds between its end and the tracker seeing it.
    pub lags: Vec<f64>,
}

fn epoch_ms() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64() * 1000.0)
        .unwrap_or(0.0)
}

/// Benchmark 3.
pub async fn run(plan: &Plan) -> Result<Section, String> {
    let args = SandboxArgs::default()
        .deepmotion_port(0)
        .motiondynamic_port(0)
        .time_scale(TIME_SCALE);
    let config = SandboxConfig::from_args(args).map_err(|e| e.to_string())?;
    let sandbox = Sandbox::start(config).await.map_err(|e| e.to_string())?;
    let result = measure(&sandbox, plan).await;
    sandbox.shutdown().await;
    result
}

async fn measure(sandbox: &Sandbox, plan: &Plan) -> Result<Section, String> {
    sandbox.deepmotion().set_credits(1e9);
    let client = Client::builder(
        sandbox.deepmotion_url(),
        "sandbox",
        "sandbox-secret".to_owned(),
    )
    .build()
    .map_err(|e| e.to_string())?;
    let (_dir, upload) = super::upload::uploaded_picture(&client).await?;
    let batched = phase(sandbox, &client, &upload, plan.jobs, Tracker::Batched).await?;
    let naive = phase(sandbox, &client, &upload, plan.jobs, Tracker::Naive).await?;
    Ok(section(plan, &batched, &naive))
}

/// Submits `jobs` jobs, then follows them until all have finished.
async fn phase(
    sandbox: &Sandbox,
    client: &Client,
    upload: &Upload,
    jobs: usize,
    tracker: Tracker,
) -> Result<Outcome, String> {
    let process = Process::new(upload);
    let submit_started = Instant::now();
    let rids: Vec<String> = futures::stream::iter(0..jobs)
        .map(|_| async { process.send(client).await.map(|s| s.rid) })
        .buffer_unordered(16)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect::<Result<_, _>>()
        .map_err(|e| e.to_string())?;
    let submit = submit_started.elapsed();
    let counter = || sandbox.deepmotion().requests("status");
    let before = counter();
    let started = Instant::now();
    let started_ms = epoch_ms();
    let seen = match tracker {
        Tracker::Batched => batched(client, &rids).await?,
        Tracker::Naive => naive(client, &rids).await?,
    };
    let requests = counter() - before;
    let makespan = seen
        .values()
        .map(|at| at.duration_since(started))
        .max()
        .unwrap_or_default();
    let created: HashMap<String, f64> = client
        .list(&[])
        .await
        .map_err(|e| e.to_string())?
        .into_iter()
        .filter_map(|job| Some((job.rid, job.ctime?)))
        .collect();
    let job_ms = JOB_SIM_SECS / TIME_SCALE * 1000.0;
    let mut lags = Vec::with_capacity(rids.len());
    for rid in &rids {
        let (Some(at), Some(ctime)) = (seen.get(rid), created.get(rid)) else {
            return Err(format!("job {rid} was not seen finishing"));
        };
        let seen_ms = started_ms + at.duration_since(started).as_secs_f64() * 1000.0;
        lags.push((seen_ms - (ctime + job_ms)) / 1000.0);
    }
    Ok(Outcome {
        requests,
        submit,
        makespan,
        lags,
    })
}

/// `Client::wait` with the interval fixed at [`INTERVAL`] (default jitter).
async fn batched(client: &Client, rids: &[String]) -> Result<HashMap<String, Instant>, String> {
    let options = WaitOptions::deepmotion()
        .first_interval(INTERVAL)
        .max_interval(INTERVAL)
        .timeout(Duration::from_secs(600));
    let mut seen = HashMap::new();
    client
        .wait_with(rids, &options, |event| {
            if let JobEvent::Finished { rid, .. } = event {
                seen.insert(rid, Instant::now());
            }
        })
        .await
        .map_err(|e| e.to_string())?;
    Ok(seen)
}

/// Every interval, one `GET /status/{rid}` for every job not yet finished.
async fn naive(client: &Client, rids: &[String]) -> Result<HashMap<String, Instant>, String> {
    let mut pending: Vec<String> = rids.to_vec();
    let mut seen = HashMap::new();
    let deadline = Instant::now() + Duration::from_secs(600);
    while !pending.is_empty() {
        let round = tokio::time::Instant::now();
        let answers: Vec<_> = futures::stream::iter(pending.iter().cloned())
            .map(|rid| async move {
                let answer = client.status(std::slice::from_ref(&rid)).await;
                (rid, answer, Instant::now())
            })
            .buffer_unordered(NAIVE_CONCURRENCY)
            .collect()
            .await;
        for (rid, answer, at) in answers {
            let entries = answer.map_err(|e| e.to_string())?;
            let done = entries
                .iter()
                .any(|e| matches!(e.status, JobStatus::Success | JobStatus::Failure));
            if done {
                seen.insert(rid, at);
            }
        }
        pending.retain(|rid| !seen.contains_key(rid));
        if Instant::now() > deadline {
            return Err(format!("{} jobs still pending after 600 s", pending.len()));
        }
        if !pending.is_empty() {
            tokio::time::sleep_until(round + INTERVAL).await;
        }
    }
    Ok(seen)
}

fn lag_summary(lags: &[f64]) -> (f64, f64) {
    let mut sorted = lags.to_vec();
    let med = median(&mut sorted);
    (med, percentile(&sorted, 100.0))
}

fn section(plan: &Plan, batched: &Outcome, naive: &Outcome) -> Section {
    let jobs = plan.jobs;
    let ratio = naive.requests as f64 / batched.requests.max(1) as f64;
    let (b_med, b_max) = lag_summary(&batched.lags);
    let (n_med, n_max) = lag_summary(&naive.lags);
    let interval = INTERVAL.as_secs_f64();
    let same = (b_med - n_med).abs() <= interval && (b_max - n_max).abs() <= interval;
    let mut out = Section::new("3. Tracking jobs in flight");
    out.rows.push(
        Row::new(
            format!("Track {jobs} jobs: status requests"),
            format!("{} (`Client::wait`)", batched.requests),
        )
        .baseline(format!("{} (one per job per interval)", naive.requests))
        .ratio(format!("{ratio:.0}× fewer"))
        .target(format!("≥ {TARGET_RATIO:.0}× fewer"), ratio >= TARGET_RATIO),
    );
    out.rows.push(
        Row::new(
            format!("Track {jobs} jobs: seen finished after the job ended (median / max)"),
            format!("{b_med:.2} s / {b_max:.2} s"),
        )
        .baseline(format!("{n_med:.2} s / {n_max:.2} s"))
        .target("same, within one interval (1 s)", same),
    );
    let rids: Vec<String> = (0..jobs)
        .map(|i| format!("{:010}-{:010}-{:04}", 1_700_000_000 + i, i, i % 10_000))
        .collect();
    let groups = chunks("/status/", &rids, MAX_PATH_BYTES);
    let per_interval = groups.len();
    let per_request = groups.first().map_or(0, |g| g.len());
    out.notes = vec![
        format!(
            "Method: an in-process sandbox (time scale {TIME_SCALE}); {jobs} picture jobs are \
             submitted (16 at a time) and last {JOB_SIM_SECS:.0} s each, i.e. \
             {:.0} intervals of {interval:.0} s. Each tracker follows its own {jobs} fresh \
             jobs from the moment the last one is submitted until all have finished; batched \
             first, then naive. `Client::wait` runs with `first_interval = max_interval = 1 s` \
             (default ±20% jitter); the naive loop sends `Client::status(&[rid])` for every \
             unfinished job ({NAIVE_CONCURRENCY} in flight), then sleeps to the next \
             interval. Requests are the difference of the sandbox's `status` counter.",
            JOB_SIM_SECS / TIME_SCALE / interval
        ),
        format!(
            "Submitting took {:.1} s (batched phase) and {:.1} s (naive phase); tracking until \
             the last job was seen took {:.1} s (batched) and {:.1} s (naive). A job's end is \
             its `ctime` from `/list` plus {JOB_SIM_SECS:.0} s.",
            batched.submit.as_secs_f64(),
            naive.submit.as_secs_f64(),
            batched.makespan.as_secs_f64(),
            naive.makespan.as_secs_f64()
        ),
        format!(
            "Why the ratio is what it is: `Client::wait` asks about all pending jobs in as few \
             `GET /status/rid1,rid2,...` as `batch::MAX_PATH_BYTES` = {MAX_PATH_BYTES} allows. \
             A rid is 26 characters, so one request carries {per_request} rids and {jobs} pending jobs \
             take {per_interval} requests per interval: at most {:.0}× fewer than one per job. \
             The limit stays under the shortest common server limit (IIS: 4096 bytes); a server \
             that answers 414 gets shorter batches from then on (tested in `tests/deepmotion.rs`).",
            jobs as f64 / per_interval as f64,
        ),
    ];
    out
}
