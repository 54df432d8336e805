//! Helpers shared by the DeepMotion sandbox tests: plain HTTP with reqwest
//! against a real `Sandbox` on an ephemeral port.

#![allow(dead_code, missing_docs)]

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use motionkit_sandbox::{Sandbox, SandboxArgs, SandboxConfig};
use reqwest::StatusCode;
use serde_json::{Value, json};

pub const CLIENT_ID: &str = "sandbox";
pub const CLIENT_SECRET: &str = "sandbox-secret";

/// Arguments with a fast clock: a 2-second video takes 28 simulated
/// seconds, 14 ms here.
pub fn fast_args() -> SandboxArgs {
    SandboxArgs::default().time_scale(2000.0)
}

pub async fn start(args: SandboxArgs) -> Sandbox {
    let config = SandboxConfig::from_args(args).expect("config");
    Sandbox::start(config).await.expect("sandbox starts")
}

pub fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap()
}

pub fn fixture_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures")
        .join(name)
}

pub fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(fixture_path(name)).unwrap_or_else(|e| panic!("fixture {name}: {e}"))
}

/// `bytes` followed by an MP4 `free` box, so that the file is `total`
/// bytes long and still a valid MP4.
pub fn padded_mp4(bytes: &[u8], total: usize) -> Vec<u8> {
    let mut out = bytes.to_vec();
    let pad = total - bytes.len();
    out.extend_from_slice(&(pad as u32).to_be_bytes());
    out.extend_from_slice(b"free");
    out.extend(std::iter::repeat_n(0x5Au8, pad - 8));
    out
}

/// A logged-in client for one sandbox.
#[derive(Debug, Clone)]
pub struct Dm {
    pub base: String,
    pub http: reqwest::Client,
    pub cookie: String,
}

/// Logs in with `GET /session/auth` and returns the `Cookie` header value.
pub async fn login(base: &str) -> Dm {
    let http = http();
    let response = http
        .get(format!("{base}/session/auth"))
        .basic_auth(CLIENT_ID, Some(CLIENT_SECRET))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let set_cookie = response
        .headers()
        .get("set-cookie")
        .expect("Set-Cookie")
        .to_str()
        .unwrap()
        .to_owned();
    let cookie = set_cookie.split(';').next().unwrap().trim().to_owned();
    assert!(cookie.starts_with("dmsess="), "{set_cookie}");
    Dm {
        base: base.to_owned(),
        http,
        cookie,
    }
}

impl Dm {
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.http
            .get(format!("{}{path}", self.base))
            .header("cookie", &self.cookie)
            .send()
            .await
            .unwrap()
    }

    pub async fn get_json(&self, path: &str) -> Value {
        let response = self.get(path).await;
        let status = response.status();
        let text = response.text().await.unwrap();
        assert_eq!(status, StatusCode::OK, "GET {path}: {text}");
        serde_json::from_str(&text).unwrap()
    }

    pub async fn post(&self, path: &str, body: &Value) -> reqwest::Response {
        self.http
            .post(format!("{}{path}", self.base))
            .header("cookie", &self.cookie)
            .json(body)
            .send()
            .await
            .unwrap()
    }

    pub async fn post_json(&self, path: &str, body: &Value) -> Value {
        let response = self.post(path, body).await;
        let status = response.status();
        let text = response.text().await.unwrap();
        assert_eq!(status, StatusCode::OK, "POST {path}: {text}");
        serde_json::from_str(&text).unwrap()
    }

    /// `GET /upload?name=..&resumable=..` → the signed URL.
    pub async fn upload_url(&self, name: &str, resumable: Option<bool>) -> String {
        let mut path = format!("/upload?name={name}");
        if let Some(r) = resumable {
            path.push_str(if r { "&resumable=1" } else { "&resumable=0" });
        }
        let body = self.get_json(&path).await;
        body["url"].as_str().unwrap().to_owned()
    }

    /// Uploads with a single PUT to a `resumable=0` URL; returns the URL.
    pub async fn upload_single(&self, name: &str, bytes: Vec<u8>) -> String {
        let url = self.upload_url(name, Some(false)).await;
        let response = self.http.put(&url).body(bytes).send().await.unwrap();
        assert_eq!(
            response.status(),
            StatusCode::OK,
            "{}",
            response.text().await.unwrap()
        );
        url
    }

    /// Starts a resumable session on `url`; returns the session URI.
    pub async fn start_session(&self, url: &str) -> String {
        let response = self
            .http
            .post(url)
            .header("x-goog-resumable", "start")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::CREATED);
        response.headers()["location"].to_str().unwrap().to_owned()
    }

    /// Uploads through the resumable protocol in one chunk; returns the URL.
    pub async fn upload_resumable(&self, name: &str, bytes: Vec<u8>) -> String {
        let url = self.upload_url(name, None).await;
        let session = self.start_session(&url).await;
        let total = bytes.len();
        let response = self
            .http
            .put(&session)
            .header("content-range", format!("bytes 0-{}/{total}", total - 1))
            .body(bytes)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        url
    }

    pub async fn process(&self, url: &str, params: &[&str]) -> String {
        let body = self
            .post_json(
                "/process",
                &json!({"url": url, "processor": "video2anim", "params": params}),
            )
            .await;
        body["rid"].as_str().unwrap().to_owned()
    }

    pub async fn status(&self, rid: &str) -> Value {
        let body = self.get_json(&format!("/status/{rid}")).await;
        assert_eq!(body["count"], 1);
        body["status"][0].clone()
    }

    /// Polls `/status/{rid}` until SUCCESS or FAILURE.
    pub async fn wait(&self, rid: &str) -> Value {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let entry = self.status(rid).await;
            match entry["status"].as_str().unwrap() {
                "SUCCESS" | "FAILURE" => return entry,
                "PROGRESS" | "RETRY" => {}
                other => panic!("unexpected status {other}"),
            }
            assert!(Instant::now() < deadline, "job {rid} never ended");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    pub async fn credits(&self) -> f64 {
        self.get_json("/account/creditBalance").await["credits"]
            .as_f64()
            .unwrap()
    }

    /// The download link object of one job.
    pub async fn link(&self, rid: &str) -> Value {
        let body = self.get_json(&format!("/download/{rid}")).await;
        assert_eq!(body["count"], 1);
        body["links"][0].clone()
    }

    /// `(type, url)` of every file of a finished job.
    pub async fn files(&self, rid: &str) -> Vec<(String, String)> {
        let link = self.link(rid).await;
        link["urls"][0]["files"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|m| m.as_object().unwrap().iter())
            .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned()))
            .collect()
    }

    pub async fn fetch(&self, url: &str) -> Vec<u8> {
        let response = self.http.get(url).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "GET {url}");
        response.bytes().await.unwrap().to_vec()
    }
}

/// What a BVH file says about itself.
#[derive(Debug, Clone, PartialEq)]
pub struct Bvh {
    pub root: String,
    pub joints: usize,
    pub end_sites: usize,
    pub channels: usize,
    pub frames: usize,
    pub frame_time: f64,
}

/// A small strict BVH reader: checks the hierarchy's braces, offsets and
/// channels, then that `Frames` lines follow, each with one number per
/// channel.
pub fn parse_bvh(text: &str) -> Result<Bvh, String> {
    let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
    if lines.next() != Some("HIERARCHY") {
        return Err("no HIERARCHY".into());
    }
    let mut depth = 0i32;
    let mut root = None;
    let (mut joints, mut end_sites, mut channels) = (0, 0, 0);
    let mut awaiting_brace = false;
    loop {
        let line = lines.next().ok_or("hierarchy never ends")?;
        let mut words = line.split_whitespace();
        match words.next() {
            Some("ROOT") if root.is_none() && depth == 0 => {
                root = Some(words.next().ok_or("ROOT without a name")?.to_owned());
                joints += 1;
                awaiting_brace = true;
            }
            Some("JOINT") if depth > 0 => {
                words.next().ok_or("JOINT without a name")?;
                joints += 1;
                awaiting_brace = true;
            }
            Some("End") if words.next() == Some("Site") && depth > 0 => {
                end_sites += 1;
                awaiting_brace = true;
            }
            Some("{") if awaiting_brace => {
                depth += 1;
                awaiting_brace = false;
            }
            Some("}") if depth > 0 => depth -= 1,
            Some("OFFSET") => {
                let values: Result<Vec<f64>, _> = words.map(str::parse).collect();
                if values.map_err(|e| format!("OFFSET: {e}"))?.len() != 3 {
                    return Err(format!("bad OFFSET line {line:?}"));
                }
            }
            Some("CHANNELS") => {
                let n: usize = words
                    .next()
                    .ok_or("CHANNELS without a count")?
                    .parse()
                    .map_err(|e| format!("CHANNELS: {e}"))?;
                if words.count() != n {
                    return Err(format!("CHANNELS count mismatch in {line:?}"));
                }
                channels += n;
            }
            Some("MOTION") if depth == 0 && root.is_some() => break,
            _ => return Err(format!("unexpected line {line:?} at depth {depth}")),
        }
    }
    let frames: usize = lines
        .next()
        .and_then(|l| l.strip_prefix("Frames:"))
        .ok_or("no Frames:")?
        .trim()
        .parse()
        .map_err(|e| format!("Frames: {e}"))?;
    let frame_time: f64 = lines
        .next()
        .and_then(|l| l.strip_prefix("Frame Time:"))
        .ok_or("no Frame Time:")?
        .trim()
        .parse()
        .map_err(|e| format!("Frame Time: {e}"))?;
    let mut count = 0;
    for line in lines {
        let values: Result<Vec<f64>, _> = line.split_whitespace().map(str::parse).collect();
        let values = values.map_err(|e| format!("motion line {count}: {e}"))?;
        if values.len() != channels {
            return Err(format!(
                "motion line {count} has {} values for {channels} channels",
                values.len()
            ));
        }
        count += 1;
    }
    if count != frames {
        return Err(format!("Frames: {frames} but {count} motion lines"));
    }
    Ok(Bvh {
        root: root.unwrap_or_default(),
        joints,
        end_sites,
        channels,
        frames,
        frame_time,
    })
}

/// Writes a faults file and returns its path (kept alive by `dir`).
pub fn faults_file(dir: &tempfile::TempDir, json: Value) -> PathBuf {
    let path = dir.path().join("faults.json");
    std::fs::write(&path, serde_json::to_vec(&json).unwrap()).unwrap();
    path
}
