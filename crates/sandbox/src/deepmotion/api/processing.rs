//! Jobs: `/process`, `/status`, `/download`, `/list`, `/account/creditBalance` and `/videoInfo`.

use super::people_api::{download_mode, people_to_animate, plan_people};
use super::*;
use crate::deepmotion::people;

/// `POST /process`.
pub(crate) async fn process(
    State(inner): State<Arc<Inner>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let map = match body_object(&headers, &body) {
        Ok(map) => map,
        Err(e) => return e.into_response(),
    };
    match field_str(&map, "processor") {
        Some(p) if p == PROCESSOR_VIDEO2ANIM => {}
        Some(p) => return bad_request(format!("unknown processor {p:?}; use video2anim")),
        None => return bad_request("`processor` is required (video2anim)"),
    }
    let params = field_list(&map, "params", false).unwrap_or_default();
    let detection = field_str(&map, "rid_mp_detection");
    let chosen = match people_to_animate(&inner, &map, detection.as_deref(), &params) {
        Ok(chosen) => chosen,
        Err(refused) => return refused.into_response(),
    };
    let input = match (field_str(&map, "url"), field_str(&map, "rid")) {
        _ if chosen.is_some() => match chosen.as_ref().map(|c| &c.input) {
            Some(object) => object.clone(),
            None => return bad_request("no input"),
        },
        (Some(_), Some(_)) => return bad_request("give `url` or `rid`, not both"),
        (None, None) => {
            return bad_request(
                "`url` (returned by GET /upload) or `rid` (of a successful job) is required",
            );
        }
        (Some(url), None) => match inner.uploaded(&url, "uploads/") {
            Some(object) => object,
            None => return bad_request("`url` does not match a URL returned by GET /upload"),
        },
        (None, Some(rid)) => {
            let Some(job) = inner.store.job(&rid) else {
                return error(StatusCode::NOT_FOUND, format!("no job {rid}"));
            };
            let (phase, _) = jobs::phase(&job, inner.simulated_since(job.ctime));
            if phase != Phase::Success {
                return bad_request(format!(
                    "job {rid} has not succeeded; only a successful job can be rerun"
                ));
            }
            match inner.store.object(&job.input_key) {
                Some(object) => object,
                None => return error(StatusCode::NOT_FOUND, "the job's input is gone"),
            }
        }
    };
    let probe = match (&input.file, input.complete) {
        (Some(file), true) => {
            let path = inner.store.path(file);
            tokio::task::spawn_blocking(move || media::probe(&path))
                .await
                .ok()
        }
        _ => None,
    };
    let rid = jobs::new_rid();
    let lookup = |id: &str| inner.model_kind(id);
    let mut plan = jobs::plan(jobs::Submission {
        rid: rid.clone(),
        input: &input,
        probe,
        params,
        model: &lookup,
        now: now_ms(),
    });
    plan_people(&inner, &mut plan, &input, chosen.map(|c| c.people));
    // Outputs are written before the job exists, so a job never shows
    // SUCCESS without its files.
    let writer = inner.clone();
    let to_write = plan.clone();
    let written = tokio::task::spawn_blocking(move || write_outputs(&writer, &to_write)).await;
    let files = match written {
        Ok(Ok(files)) => files,
        Ok(Err(e)) => {
            return error(
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("cannot write the outputs: {e}"),
            );
        }
        Err(e) => return error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    };
    if let Err(refused) = inner.store.insert_job_charged(&plan.job) {
        for file in files {
            let _ = std::fs::remove_file(inner.store.path(&file));
        }
        if refused.balance.is_nan() {
            return error(StatusCode::INTERNAL_SERVER_ERROR, "cannot store the job");
        }
        return error(
            StatusCode::PAYMENT_REQUIRED,
            format!(
                "not enough credits: the balance is {}, this job costs {}",
                refused.balance, plan.job.credits
            ),
        );
    }
    inner.counters.submissions.fetch_add(1, Ordering::Relaxed);
    webhooks::schedule(inner.clone(), &plan.job);
    Json(ProcessResponse { rid }).into_response()
}

/// Writes a plan's output files and records them as complete objects;
/// returns the files written.
fn write_outputs(inner: &Inner, plan: &jobs::Plan) -> std::io::Result<Vec<String>> {
    let mut files: Vec<String> = Vec::new();
    let mut written: Vec<(String, std::path::PathBuf)> = Vec::new();
    let spec = outputs::Spec {
        rid: &plan.job.rid,
        frames: plan.frames,
        fps: plan.fps,
        render: plan.render,
    };
    for output in &plan.job.outputs {
        let file = inner.store.new_file();
        let path = inner.store.path(&file);
        if people::is_special(output) {
            let lookup = |key: &str| {
                written
                    .iter()
                    .find(|(k, _)| k == key)
                    .map(|(_, p)| p.clone())
            };
            people::write_special(&path, output, &plan.job.outputs, &lookup)?;
        } else {
            outputs::write(&path, &output.format, spec)?;
        }
        written.push((output.key.clone(), path.clone()));
        files.push(file.clone());
        let size = std::fs::metadata(&path)?.len();
        let name = output.key.rsplit('/').next().unwrap_or("output");
        inner
            .store
            .complete_object(&output.key, name, &file, size, None, now_ms());
    }
    Ok(files)
}

// API 4, 5, 6 ----------------------------------------------------------------

fn split_ids(ids: &str) -> Vec<String> {
    ids.split(',')
        .map(str::trim)
        .filter(|id| !id.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The jobs among `ids`, in order; unknown ids are left out.
fn known_jobs(inner: &Inner, ids: &str) -> Result<Vec<Job>, ApiError> {
    let ids = split_ids(ids);
    let jobs: Vec<Job> = ids.iter().filter_map(|rid| inner.store.job(rid)).collect();
    if jobs.is_empty() {
        return Err(fail(
            StatusCode::NOT_FOUND,
            format!("no job with id {}", ids.join(",")),
        ));
    }
    Ok(jobs)
}

fn status_entry(inner: &Inner, job: &Job) -> JobStatusEntry {
    let (phase, _) = jobs::phase(job, inner.simulated_since(job.ctime));
    let empty = StatusDetails {
        step: None,
        total: None,
        input: None,
        out: None,
        exc_message: None,
        exc_type: None,
    };
    let (status, details) = match phase {
        Phase::Progress { step } => {
            let rate = inner.config.faults.file.retry_status_rate;
            if rate > 0.0 && inner.config.faults.draw() < rate {
                (
                    JobStatus::Retry,
                    StatusDetails {
                        exc_message: Some(
                            "sandbox: the worker was lost; the job is being retried".into(),
                        ),
                        exc_type: Some("WorkerLostError".into()),
                        ..empty
                    },
                )
            } else {
                (
                    JobStatus::Progress,
                    StatusDetails {
                        step: Some(f64::from(step)),
                        total: Some(f64::from(jobs::TOTAL_STEPS)),
                        ..empty
                    },
                )
            }
        }
        Phase::Success => (
            JobStatus::Success,
            StatusDetails {
                input: Some(job.file_name.clone()),
                out: job
                    .outputs
                    .iter()
                    .find(|o| matches!(o.format.as_str(), "mp4" | "png" | "jpg"))
                    .or(job.outputs.first())
                    .and_then(|o| o.key.rsplit('/').next())
                    .map(str::to_owned),
                ..empty
            },
        ),
        Phase::Failure => (
            JobStatus::Failure,
            StatusDetails {
                exc_message: job.failure_message.clone(),
                exc_type: Some(FAILURE_TYPE.into()),
                ..empty
            },
        ),
    };
    JobStatusEntry {
        rid: job.rid.clone(),
        status,
        details: Some(details),
    }
}

/// `GET /status/{rids}`. Unknown ids are left out; `404` when none is known.
pub(crate) async fn status(State(inner): State<Arc<Inner>>, Path(rids): Path<String>) -> Response {
    let jobs = match known_jobs(&inner, &rids) {
        Ok(jobs) => jobs,
        Err(e) => return e.into_response(),
    };
    let status: Vec<JobStatusEntry> = jobs.iter().map(|job| status_entry(&inner, job)).collect();
    Json(StatusResponse {
        count: status.len() as i64,
        status,
    })
    .into_response()
}

fn download_link(inner: &Inner, job: &Job) -> DownloadLink {
    let bare = DownloadLink {
        rid: job.rid.clone(),
        name: None,
        size: None,
        duration: None,
        input: None,
        urls: None,
        mode: None,
        models: None,
    };
    let (phase, _) = jobs::phase(job, inner.simulated_since(job.ctime));
    if phase != Phase::Success {
        return bare;
    }
    let stem = jobs::stem(&job.file_name);
    let mut urls: Vec<DownloadItem> = Vec::new();
    for output in &job.outputs {
        let group = output.group.clone().unwrap_or_else(|| stem.clone());
        let file = BTreeMap::from([(output.format.clone(), inner.download_url(&output.key))]);
        match urls
            .iter_mut()
            .find(|item| item.name.as_ref() == Some(&group))
        {
            Some(item) => item.files.push(file),
            None => urls.push(DownloadItem {
                name: Some(group),
                files: vec![file],
            }),
        }
    }
    let (mode, models) = download_mode(job);
    DownloadLink {
        name: Some(job.file_name.clone()),
        size: Some(job.file_size as f64),
        duration: Some(job.duration.unwrap_or(0.0)),
        input: Some(inner.download_url(&job.input_key)),
        urls: Some(urls),
        mode,
        models,
        ..bare
    }
}

/// `GET /download/{rids}`. Unknown ids are left out; `404` when none is
/// known.
pub(crate) async fn download(
    State(inner): State<Arc<Inner>>,
    Path(rids): Path<String>,
) -> Response {
    let jobs = match known_jobs(&inner, &rids) {
        Ok(jobs) => jobs,
        Err(e) => return e.into_response(),
    };
    let links: Vec<DownloadLink> = jobs.iter().map(|job| download_link(&inner, job)).collect();
    Json(DownloadResponse {
        count: links.len() as i64,
        links,
    })
    .into_response()
}

fn list_entries(inner: &Inner, statuses: Option<&[String]>) -> Response {
    let list: Vec<JobListEntry> = inner
        .store
        .jobs()
        .iter()
        .map(|job| {
            let (phase, changed) = jobs::phase(job, inner.simulated_since(job.ctime));
            let status = match phase {
                Phase::Progress { .. } => JobStatus::Progress,
                Phase::Success => JobStatus::Success,
                Phase::Failure => JobStatus::Failure,
            };
            JobListEntry {
                rid: job.rid.clone(),
                file_name: Some(job.file_name.clone()),
                file_size: Some(job.file_size as f64),
                file_duration: Some(job.duration.unwrap_or(0.0)),
                status,
                ctime: Some(job.ctime as f64),
                mtime: Some((job.ctime + inner.real(changed).as_millis() as u64) as f64),
            }
        })
        .filter(|entry| {
            statuses.is_none_or(|wanted| wanted.iter().any(|s| s == entry.status.as_str()))
        })
        .collect();
    Json(ListResponse {
        count: list.len() as i64,
        list,
    })
    .into_response()
}

/// `GET /list`.
pub(crate) async fn list(State(inner): State<Arc<Inner>>) -> Response {
    list_entries(&inner, None)
}

/// `GET /list/{statuses}`: status names are matched exactly (case
/// sensitive).
pub(crate) async fn list_by_status(
    State(inner): State<Arc<Inner>>,
    Path(statuses): Path<String>,
) -> Response {
    let wanted = split_ids(&statuses);
    list_entries(&inner, Some(&wanted))
}

// API 7, 8 -------------------------------------------------------------------

/// `GET /account/creditBalance`.
pub(crate) async fn credit_balance(State(inner): State<Arc<Inner>>) -> Response {
    Json(CreditBalanceResponse {
        credits: inner.store.credits(),
    })
    .into_response()
}

/// `POST /videoInfo`.
pub(crate) async fn video_info(
    State(inner): State<Arc<Inner>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let map = match body_object(&headers, &body) {
        Ok(map) => map,
        Err(e) => return e.into_response(),
    };
    let Some(url) = field_str(&map, "url") else {
        return bad_request("`url` (returned by GET /upload) is required");
    };
    let Some(object) = inner.uploaded(&url, "uploads/") else {
        return bad_request("`url` does not match a URL returned by GET /upload");
    };
    let Some(file) = object.file.clone().filter(|_| object.complete) else {
        return error(
            StatusCode::NOT_FOUND,
            "nothing has been uploaded to this URL yet",
        );
    };
    let path = inner.store.path(&file);
    let probe = match tokio::task::spawn_blocking(move || media::probe(&path)).await {
        Ok(probe) => probe,
        Err(e) => return error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    };
    let size = Some(i64::try_from(object.size).unwrap_or(i64::MAX));
    let info = match probe {
        Probe::Video(meta) => VideoInfoResponse {
            width: i64::from(meta.width),
            height: i64::from(meta.height),
            fps: Some(meta.fps),
            duration: Some(meta.duration),
            codec: Some(meta.codec),
            size,
        },
        Probe::Image {
            format,
            width,
            height,
        } => VideoInfoResponse {
            width: i64::from(width),
            height: i64::from(height),
            fps: None,
            duration: None,
            codec: Some(format.name().into()),
            size,
        },
        Probe::BrokenVideo(container, why) => {
            return bad_request(format!(
                "cannot read the video information ({} container: {why})",
                container.name()
            ));
        }
        Probe::Unsupported(why) => {
            return bad_request(format!("cannot read the video information: {why}"));
        }
    };
    Json(info).into_response()
}
