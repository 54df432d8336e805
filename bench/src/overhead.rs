//! Benchmark 4: the cost of one `GET /status/{rid}` through the client
//! (`Client::status`) against a bare reqwest call with the same session
//! cookie, interleaved request by request.

use std::time::Instant;

use motionkit_deepmotion::{Client, Process};
use motionkit_models::deepmotion::{SESSION_COOKIE, StatusResponse};
use motionkit_transport::USER_AGENT;
use reqwest::header::{COOKIE, SET_COOKIE};

use super::{Plan, Row, Section, median, percentile};

/// Target: the client's median against the bare call's.
pub const TARGET_RATIO: f64 = 1.10;
/// Requests per side before measuring.
pub const WARMUP: usize = 200;

/// Benchmark 4, against the DeepMotion sandbox at `base`.
pub async fn run(base: &str, plan: &Plan) -> Result<Section, String> {
    let client = Client::builder(base, "sandbox", "sandbox-secret".to_owned())
        .build()
        .map_err(|e| e.to_string())?;
    let (_dir, upload) = super::upload::uploaded_picture(&client).await?;
    let rid = Process::new(&upload)
        .send(&client)
        .await
        .map_err(|e| e.to_string())?
        .rid;
    let rids = [rid.clone()];

    let bare = reqwest::Client::builder()
        .user_agent(USER_AGENT)
        .build()
        .map_err(|e| e.to_string())?;
    let login = bare
        .get(format!("{base}/session/auth"))
        .basic_auth("sandbox", Some("sandbox-secret"))
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let prefix = format!("{SESSION_COOKIE}=");
    let cookie = login
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next())
        .map(str::trim)
        .find(|pair| pair.starts_with(&prefix))
        .ok_or("no session cookie from /session/auth")?
        .to_owned();
    let url = format!("{base}/status/{rid}");

    let ours = || async {
        let entries = client.status(&rids).await.map_err(|e| e.to_string())?;
        Ok::<usize, String>(entries.len())
    };
    let theirs = || async {
        let response = bare
            .get(&url)
            .header(COOKIE, &cookie)
            .send()
            .await
            .map_err(|e| e.to_string())?;
        if !response.status().is_success() {
            return Err(format!("HTTP {}", response.status()));
        }
        let body = response.bytes().await.map_err(|e| e.to_string())?;
        let parsed: StatusResponse = serde_json::from_slice(&body).map_err(|e| e.to_string())?;
        Ok::<usize, String>(parsed.status.len())
    };
    for _ in 0..WARMUP {
        ours().await?;
        theirs().await?;
    }
    let n = plan.requests;
    let mut ours_us = Vec::with_capacity(n);
    let mut theirs_us = Vec::with_capacity(n);
    let started = Instant::now();
    for i in 0..n {
        for ours_now in [i % 2 == 0, i % 2 == 1] {
            let at = Instant::now();
            let found = if ours_now {
                ours().await?
            } else {
                theirs().await?
            };
            let us = at.elapsed().as_secs_f64() * 1e6;
            if found != 1 {
                return Err(format!("status listed {found} jobs, not 1"));
            }
            if ours_now {
                ours_us.push(us);
            } else {
                theirs_us.push(us);
            }
        }
    }
    let total = started.elapsed();
    let ours_median = median(&mut ours_us);
    let theirs_median = median(&mut theirs_us);
    let ours_p99 = percentile(&ours_us, 99.0);
    let theirs_p99 = percentile(&theirs_us, 99.0);
    let ratio = ours_median / theirs_median;
    let mut section = Section::new("4. Per-request overhead");
    section.rows.push(
        Row::new(
            format!("GET /status (1 rid), {n} each: median"),
            format!("{ours_median:.0} µs"),
        )
        .baseline(format!("{theirs_median:.0} µs (bare reqwest)"))
        .ratio(format!("{ratio:.2}×"))
        .target(format!("≤ {TARGET_RATIO:.2}×"), ratio <= TARGET_RATIO),
    );
    section.rows.push(
        Row::new(
            format!("GET /status (1 rid), {n} each: p99"),
            format!("{ours_p99:.0} µs"),
        )
        .baseline(format!("{theirs_p99:.0} µs (bare reqwest)"))
        .ratio(format!("{:.2}×", ours_p99 / theirs_p99)),
    );
    section.notes = vec![
        format!(
            "Method: the sandbox process of benchmarks 1 and 2; one finished picture job. \
             motionkit is `Client::status(&[rid])` (rate-limit gate, session cookie, retry \
             classifier, tracing span, typed decoding); the baseline is one \
             `reqwest::Client` (same `User-Agent`) sending `GET {{base}}/status/{{rid}}` with \
             the same `{SESSION_COOKIE}` cookie, checking the status and decoding the body into \
             the same `StatusResponse`. Both keep their connection alive. {WARMUP} warm-up \
             requests each, then {n} pairs one after the other, the order alternating every \
             pair, in {:.1} s.",
            total.as_secs_f64()
        ),
        "Times include the sandbox's own work, the same for both. On loopback that work is \
         small, so the ratio is larger here than over a real network."
            .to_owned(),
    ];
    Ok(section)
}
