//! The DeepMotion client: its configuration, and the calls on uploads,
//! jobs, the account and webhook endpoints (characters are in
//! `models.rs`, job outputs in `outputs.rs`).

use std::collections::HashSet;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use motionkit_models::Endpoint;
use motionkit_models::deepmotion::{
    DeletedWebhookEndpoint, DownloadLink, DownloadResponse, JobListEntry, JobStatus,
    JobStatusEntry, ListResponse, StatusResponse, UploadUrlResponse, VideoInfoRequest,
    VideoInfoResponse, WebhookEndpoint, WebhookEndpointList, WebhookEndpointRequest, endpoints,
    requests,
};
use motionkit_transport::{
    Auth, Body, Limits, Proxy, RateLimit, RateLimitStore, RetryPolicy, Secret, Settings, Timeouts,
    Transport, UploadOptions, UploadReport,
};
use motionkit_validation::InputKind;
use motionkit_validation::MediaKind;
use motionkit_validation::{Rule, Violation};

use crate::batch::{self, MAX_PATH_BYTES};
use crate::error::Error;
use motionkit_transport::WaitOptions;

/// A DeepMotion Animate 3D client. Cheap to clone; clones share the
/// session, the rate limiter and the retry budget.
#[derive(Debug, Clone)]
pub struct Client {
    transport: Transport,
    client_id: String,
    claimed: Arc<Mutex<HashSet<String>>>,
    max_path_bytes: Arc<AtomicUsize>,
    wait: WaitOptions,
}

/// Builds a [`Client`].
#[derive(Debug, Clone)]
pub struct ClientBuilder {
    base_url: String,
    client_id: String,
    client_secret: Secret,
    retry: Option<RetryPolicy>,
    timeouts: Option<Timeouts>,
    rate_limit: Option<RateLimit>,
    rate_limit_store: Option<RateLimitStore>,
    max_path_bytes: usize,
    limits: Limits,
    allow_local_addresses: bool,
    proxy: Proxy,
    wait: WaitOptions,
    secret_provider: Option<SecretProvider>,
}

/// The hook of [`ClientBuilder::client_secret_provider`].
#[derive(Clone)]
struct SecretProvider(Arc<dyn Fn() -> Option<Secret> + Send + Sync>);

impl std::fmt::Debug for SecretProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretProvider")
    }
}

impl ClientBuilder {
    /// A builder configured as the `motionkit` CLI is, from the same
    /// sources: `DEEPMOTION_API_URL`, `DEEPMOTION_CLIENT_ID` and
    /// `DEEPMOTION_CLIENT_SECRET`, then the config file
    /// (`MOTIONKIT_CONFIG`, or `~/.config/motionkit/config.toml` on Linux)
    /// and its profile (`MOTIONKIT_PROFILE`); see
    /// [`motionkit_transport::settings`]. Nothing is sent.
    ///
    /// # Errors
    ///
    /// [`Error::Transport`] with a configuration error naming the missing
    /// variable, the unreadable file or the unknown profile.
    pub fn from_env() -> Result<ClientBuilder, Error> {
        Self::from_settings(&Settings::from_env().map_err(motionkit_transport::Error::from)?)
    }

    /// A DeepMotion builder from settings already loaded (see
    /// [`ClientBuilder::from_env`]): their DeepMotion URL and client id and secret.
    ///
    /// # Errors
    ///
    /// As [`ClientBuilder::from_env`], when the settings hold no client id and secret.
    pub fn from_settings(settings: &Settings) -> Result<ClientBuilder, Error> {
        let found = settings
            .require_deepmotion()
            .map_err(motionkit_transport::Error::from)?;
        Ok(Client::builder(
            found.url,
            found.client_id,
            found.client_secret,
        ))
    }

    /// Asked for the client secret when a login is refused: when it gives
    /// one that differs from the refused one, the login is tried once more
    /// with it, and it replaces the client's (as
    /// [`Client::set_client_secret`] does). For secrets rotated elsewhere:
    /// read the current one from wherever it is renewed (a file, a secrets
    /// agent's cache). It runs on the calling task, so it should answer at
    /// once; a source that needs I/O can push secrets with
    /// [`Client::set_client_secret`] instead.
    pub fn client_secret_provider(
        mut self,
        provider: impl Fn() -> Option<Secret> + Send + Sync + 'static,
    ) -> Self {
        self.secret_provider = Some(SecretProvider(Arc::new(provider)));
        self
    }

    /// How this client waits for jobs unless told otherwise (default:
    /// [`WaitOptions::deepmotion`]; [`Animate`](crate::Animate) and
    /// [`Client::wait_options`] use it).
    pub fn wait(mut self, wait: WaitOptions) -> Self {
        self.wait = wait;
        self
    }

    /// Retry policy for idempotent calls.
    pub fn retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = Some(retry);
        self
    }

    /// Size limits on answers and downloads (default: [`Limits::default`]).
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Lets signed links and their redirects reach loopback, private and
    /// link-local addresses (default: loopback and private only when the
    /// base URL itself is such an address, link-local never); see
    /// [`TransportBuilder::allow_local_addresses`](motionkit_transport::TransportBuilder::allow_local_addresses).
    pub fn allow_local_addresses(mut self, allow: bool) -> Self {
        self.allow_local_addresses = allow;
        self
    }

    /// Where API calls, uploads and downloads go out (default: straight
    /// to DeepMotion and its storage, whatever the environment says); see
    /// [`TransportBuilder::proxy`](motionkit_transport::TransportBuilder::proxy).
    pub fn proxy(mut self, proxy: Proxy) -> Self {
        self.proxy = proxy;
        self
    }

    /// Connect, attempt and total timeouts.
    pub fn timeouts(mut self, timeouts: Timeouts) -> Self {
        self.timeouts = Some(timeouts);
        self
    }

    /// A client-side rate limit (none by default: the document states none).
    pub fn rate_limit(mut self, rate_limit: RateLimit) -> Self {
        self.rate_limit = Some(rate_limit);
        self
    }

    /// Where the client-side rate limit's state lives (default: this
    /// process): a file shared by every process of the user on this
    /// machine, or Redis shared by a fleet; see [`RateLimitStore`]. Only
    /// matters with [`ClientBuilder::rate_limit`].
    pub fn rate_limit_store(mut self, store: RateLimitStore) -> Self {
        self.rate_limit_store = Some(store);
        self
    }

    /// Longest `/status/...` or `/download/...` path to build, when the
    /// server or a gateway before it is known to take less (or more) than
    /// [`MAX_PATH_BYTES`]. A 414 answer lowers it on its own.
    pub fn max_path_bytes(mut self, bytes: usize) -> Self {
        self.max_path_bytes = bytes;
        self
    }

    /// The client.
    pub fn build(self) -> Result<Client, Error> {
        let mut builder = Transport::builder(self.base_url).auth(Auth::session(
            endpoints::SESSION_AUTH,
            self.client_id.clone(),
            self.client_secret,
        ));
        if let Some(SecretProvider(provider)) = self.secret_provider {
            let client_id = self.client_id.clone();
            builder = builder.credentials_provider(move || {
                let secret = provider()?;
                if secret.expose().trim().is_empty() {
                    tracing::warn!("the client secret provider gave a blank secret; ignored");
                    return None;
                }
                Some(Auth::session(
                    endpoints::SESSION_AUTH,
                    client_id.clone(),
                    secret,
                ))
            });
        }
        if let Some(retry) = self.retry {
            builder = builder.retry(retry);
        }
        if let Some(timeouts) = self.timeouts {
            builder = builder.timeouts(timeouts);
        }
        if let Some(rate_limit) = self.rate_limit {
            builder = builder.rate_limit(rate_limit);
        }
        if let Some(store) = self.rate_limit_store {
            builder = builder.rate_limit_store(store);
        }
        builder = builder
            .limits(self.limits)
            .allow_local_addresses(self.allow_local_addresses)
            .proxy(self.proxy);
        Ok(Client {
            transport: builder.build()?,
            client_id: self.client_id,
            claimed: Arc::default(),
            max_path_bytes: Arc::new(AtomicUsize::new(self.max_path_bytes)),
            wait: self.wait,
        })
    }
}

/// A file uploaded to a signed URL, ready for `/process` or `/videoInfo`.
/// Its `Debug` hides the URL's signature.
#[derive(Clone, PartialEq, Eq)]
pub struct Upload {
    /// The signed URL the file was uploaded to, as `/upload` returned it.
    pub url: String,
    /// The name the upload was requested with: unique to it when
    /// [`Client::upload`] or [`UploadVideo`](crate::UploadVideo) made it
    /// (`walk-k3x9q2m7a1.mp4`; [`original_name`](crate::original_name)
    /// gives `walk.mp4` back). `/list` shows it as the job's `fileName`.
    pub name: String,
    /// Bytes uploaded.
    pub size: u64,
    /// A video or a picture, from the file's first bytes (a format not
    /// recognised counts as a video).
    pub input: InputKind,
}

impl std::fmt::Debug for Upload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Upload")
            .field("url", &motionkit_transport::redact_url(&self.url))
            .field("name", &self.name)
            .field("size", &self.size)
            .field("input", &self.input)
            .finish()
    }
}

/// Refuses, before anything is uploaded or charged, a file that is not a
/// regular, non-empty, readable file or whose first bytes are clearly not
/// media (text, JSON, HTML). A binary format not recognised here only gets
/// a warning: the API may accept it.
pub(crate) async fn check_local_media(path: &Path) -> Result<MediaKind, Error> {
    use tokio::io::AsyncReadExt as _;
    let io = |what: &str| {
        let context = format!("{what} {}", path.display());
        move |source| Error::Io { context, source }
    };
    let metadata = tokio::fs::metadata(path).await.map_err(io("reading"))?;
    if !metadata.is_file() {
        return Err(Violation::new(
            "video",
            Rule::Syntax,
            path.display().to_string(),
            "a regular file (not a directory, device or pipe)",
        )
        .into());
    }
    let mut head = Vec::with_capacity(motionkit_validation::HEAD_BYTES);
    tokio::fs::File::open(path)
        .await
        .map_err(io("opening"))?
        .take(motionkit_validation::HEAD_BYTES as u64)
        .read_to_end(&mut head)
        .await
        .map_err(io("reading"))?;
    let (kind, warning) = motionkit_validation::upload_kind("video", metadata.len(), &head)?;
    if let Some(warning) = warning {
        tracing::warn!(file = %path.display(), "{warning}");
    }
    Ok(kind)
}

/// What every upload checks before anything is sent; gives the file's
/// name and what the file is. The upload goes under
/// [`unique_upload_name`](crate::submission::unique_upload_name) of it.
pub(crate) async fn prepare_upload(path: &Path) -> Result<(String, InputKind), Error> {
    let name = file_name(path)?;
    let kind = check_local_media(path).await?;
    Ok((name, kind.into()))
}

/// The name an upload is requested with: the file's own name, which must
/// have an extension (the documents ask for one). An extension motionkit
/// does not know is only a warning, logged: the bytes decide.
fn file_name(path: &Path) -> Result<String, Error> {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .map(str::to_owned)
        .ok_or_else(|| {
            Violation::new(
                "video",
                Rule::FileExtension,
                path.display().to_string(),
                "a file path with a UTF-8 file name",
            )
        })?;
    if let Some(warning) = motionkit_validation::check_upload_name("video", &name)? {
        tracing::warn!(warning = %warning, "uploading anyway");
    }
    Ok(name)
}

impl Client {
    /// A builder for the service at `base_url`, authenticating with the
    /// client id and secret DeepMotion issued.
    pub fn builder(
        base_url: impl Into<String>,
        client_id: impl Into<String>,
        client_secret: impl Into<Secret>,
    ) -> ClientBuilder {
        ClientBuilder {
            base_url: base_url.into(),
            client_id: client_id.into(),
            client_secret: client_secret.into(),
            retry: None,
            timeouts: None,
            rate_limit: None,
            rate_limit_store: None,
            max_path_bytes: MAX_PATH_BYTES,
            limits: Limits::default(),
            allow_local_addresses: false,
            proxy: Proxy::Direct,
            wait: WaitOptions::deepmotion(),
            secret_provider: None,
        }
    }

    /// A DeepMotion client from the environment and the config file:
    /// [`ClientBuilder::from_env`], built with its defaults.
    ///
    /// # Errors
    ///
    /// As [`ClientBuilder::from_env`] and [`ClientBuilder::build`].
    pub fn from_env() -> Result<Client, Error> {
        ClientBuilder::from_env()?.build()
    }

    /// How this client waits unless told otherwise
    /// ([`ClientBuilder::wait`]).
    pub fn wait_options(&self) -> &WaitOptions {
        &self.wait
    }

    /// The underlying transport (stats, raw calls).
    pub fn transport(&self) -> &Transport {
        &self.transport
    }

    /// The client id, which is also the webhook signature.
    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    /// Replaces the client secret of this client and every clone of it
    /// (after a rotation in DeepMotion's portal): the next call logs in
    /// with it. Nothing else is reset: the rate limiter, the retry budget,
    /// the jobs this client submitted and the counters go on.
    ///
    /// # Errors
    ///
    /// An empty secret; the old one stays.
    pub fn set_client_secret(&self, client_secret: impl Into<Secret>) -> Result<(), Error> {
        let client_secret = client_secret.into();
        if client_secret.expose().trim().is_empty() {
            return Err(motionkit_validation::Violation::new(
                "client_secret",
                motionkit_validation::Rule::Required,
                "",
                "the client secret from DeepMotion's portal",
            )
            .into());
        }
        self.transport.set_auth(Auth::session(
            endpoints::SESSION_AUTH,
            self.client_id.clone(),
            client_secret,
        ));
        Ok(())
    }

    /// `GET /upload`: a signed URL to upload `name` to.
    pub async fn upload_url(&self, name: &str, resumable: bool) -> Result<String, Error> {
        let request = requests::UploadUrl::new(name).resumable(u64::from(resumable));
        let response: UploadUrlResponse = self.transport.send_json::<(), _>(&request, None).await?;
        Ok(response.url)
    }

    /// Uploads a video or image: asks for a resumable URL and streams the
    /// file to it in chunks, resuming after dropped connections.
    /// See [`UploadVideo`](crate::resume::UploadVideo) to resume an upload
    /// in a later run.
    ///
    /// The file goes under a name of its own (its stem, `-`, ten random
    /// characters, its extension), so that `/list` tells its job apart
    /// from every other (see [`PendingSubmission`](crate::PendingSubmission)).
    ///
    /// Dropping the future stops the upload at its next await: nothing is
    /// processed or charged, and the storage keeps the session for a while
    /// (to go on with it, upload through [`UploadVideo`](crate::resume::UploadVideo),
    /// which reports the session to save).
    pub async fn upload(&self, path: &Path, options: &UploadOptions) -> Result<Upload, Error> {
        let (name, input) = prepare_upload(path).await?;
        let name = crate::submission::unique_upload_name(&name);
        let url = self.upload_url(&name, true).await?;
        let report: UploadReport = self.transport.upload_resumable(&url, path, options).await?;
        Ok(Upload {
            url,
            name,
            size: report.bytes,
            input,
        })
    }

    /// `GET /status/...` for any number of jobs, in as few requests as the
    /// URL length allows. Entries come back in server order.
    ///
    /// A rid the server does not know has no entry: the server leaves it
    /// out, or answers a whole batch with 404 when it knows none of that
    /// batch's ids. Either way only those rids are missing, and every
    /// other batch is reported.
    pub async fn status(&self, rids: &[String]) -> Result<Vec<JobStatusEntry>, Error> {
        self.batched(&endpoints::STATUS, rids, |joined: String| async move {
            let response: Result<StatusResponse, _> = self
                .transport
                .send_json::<(), _>(&requests::Status::new(&joined), None)
                .await;
            unknown_batch_is_empty(response.map(|r| r.status), &joined)
        })
        .await
    }

    /// `GET /download/...` for any number of jobs. An unfinished or failed
    /// job comes back with its `rid` only; a job the server does not know
    /// has no entry (as for [`Client::status`], a batch answered 404
    /// leaves out its rids only).
    pub async fn download_links(&self, rids: &[String]) -> Result<Vec<DownloadLink>, Error> {
        self.batched(&endpoints::DOWNLOAD, rids, |joined: String| async move {
            let response: Result<DownloadResponse, _> = self
                .transport
                .send_json::<(), _>(&requests::Download::new(&joined), None)
                .await;
            unknown_batch_is_empty(response.map(|r| r.links), &joined)
        })
        .await
    }

    /// The longest `/status/...` or `/download/...` path this client builds
    /// now: [`ClientBuilder::max_path_bytes`], or less after a 414.
    pub fn max_path_bytes(&self) -> usize {
        self.max_path_bytes.load(Ordering::Relaxed)
    }

    /// Sends `rids` in as few requests as the path limit allows. A 414 for
    /// a request of several rids lowers the limit for this client and its
    /// clones, and that part is sent again in shorter requests.
    async fn batched<T, F>(
        &self,
        endpoint: &Endpoint,
        rids: &[String],
        send: impl Fn(String) -> F,
    ) -> Result<Vec<T>, Error>
    where
        F: Future<Output = Result<Vec<T>, Error>>,
    {
        // The path up to the ids, such as `/status/`.
        let prefix = endpoint.path.split('{').next().unwrap_or(endpoint.path);
        let mut out = Vec::with_capacity(rids.len());
        let mut rest = rids;
        while !rest.is_empty() {
            let n = batch::fitting(prefix, rest, self.max_path_bytes());
            let (group, tail) = rest.split_at(n);
            match send(group.join(",")).await {
                Ok(items) => {
                    out.extend(items);
                    rest = tail;
                }
                Err(Error::Transport(motionkit_transport::Error::Http { status: 414, .. }))
                    if n > 1 =>
                {
                    let refused = batch::path_len(prefix, group);
                    let limit = batch::shorter_limit(prefix, refused);
                    self.max_path_bytes.fetch_min(limit, Ordering::Relaxed);
                    tracing::warn!(
                        refused,
                        limit,
                        "the server refused a {refused}-byte path (414 URI Too Long); sending shorter batches"
                    );
                }
                Err(e) => return Err(e),
            }
        }
        Ok(out)
    }

    /// `GET /list`, or `GET /list/S1,S2` when `statuses` is not empty.
    pub async fn list(&self, statuses: &[JobStatus]) -> Result<Vec<JobListEntry>, Error> {
        let response: ListResponse = if statuses.is_empty() {
            self.transport
                .send_json::<(), _>(&requests::List::new(), None)
                .await?
        } else {
            let joined = statuses
                .iter()
                .map(JobStatus::as_str)
                .collect::<Vec<_>>()
                .join(",");
            self.transport
                .send_json::<(), _>(&requests::ListByStatus::new(&joined), None)
                .await?
        };
        Ok(response.list)
    }

    /// `GET /account/creditBalance`.
    pub async fn credit_balance(&self) -> Result<f64, Error> {
        let response: motionkit_models::deepmotion::CreditBalanceResponse = self
            .transport
            .send_json::<(), _>(&requests::CreditBalance::new(), None)
            .await?;
        Ok(response.credits)
    }

    /// `POST /videoInfo` for a file already uploaded to `url`.
    pub async fn video_info(&self, url: &str) -> Result<VideoInfoResponse, Error> {
        let request = VideoInfoRequest {
            url: url.to_owned(),
        };
        Ok(self
            .transport
            .send_json(&requests::VideoInfo::new(), Some(&request))
            .await?)
    }

    /// `POST /webhook_endpoints`.
    pub async fn create_webhook(
        &self,
        url: &str,
        events: &[&str],
    ) -> Result<WebhookEndpoint, Error> {
        let request = webhook_request(url, events)?;
        Ok(self
            .transport
            .send_json(&requests::CreateWebhookEndpoint::new(), Some(&request))
            .await?)
    }

    /// `POST /webhook_endpoints` for `{base}/{token}`, with a fresh
    /// unguessable [`PathToken`](crate::webhook::PathToken). Give the token
    /// to [`WebhookReceiver::path_token`](crate::webhook::WebhookReceiver::path_token)
    /// and serve the receiver at `base`: deliveries that do not know the
    /// URL are refused, though DeepMotion's signature (the client id) is
    /// not secret.
    pub async fn create_webhook_with_token(
        &self,
        base: &str,
        events: &[&str],
    ) -> Result<(WebhookEndpoint, crate::webhook::PathToken), Error> {
        let token = crate::webhook::PathToken::generate();
        let endpoint = self
            .create_webhook(&token.endpoint_url(base), events)
            .await?;
        Ok((endpoint, token))
    }

    /// `GET /webhook_endpoints/{id}`.
    pub async fn webhook(&self, id: &str) -> Result<WebhookEndpoint, Error> {
        Ok(self
            .transport
            .send_json::<(), _>(&requests::GetWebhookEndpoint::new(id), None)
            .await?)
    }

    /// `GET /webhook_endpoints`.
    pub async fn webhooks(&self) -> Result<Vec<WebhookEndpoint>, Error> {
        let list: WebhookEndpointList = self
            .transport
            .send_json::<(), _>(&requests::ListWebhookEndpoints::new(), None)
            .await?;
        Ok(list.endpoints)
    }

    /// `POST /webhook_endpoints/{id}`.
    pub async fn update_webhook(
        &self,
        id: &str,
        url: &str,
        events: &[&str],
    ) -> Result<WebhookEndpoint, Error> {
        let request = webhook_request(url, events)?;
        Ok(self
            .transport
            .send_json(&requests::UpdateWebhookEndpoint::new(id), Some(&request))
            .await?)
    }

    /// `DELETE /webhook_endpoints/{id}`.
    pub async fn delete_webhook(&self, id: &str) -> Result<DeletedWebhookEndpoint, Error> {
        Ok(self
            .transport
            .send_json::<(), _>(&requests::DeleteWebhookEndpoint::new(id), None)
            .await?)
    }

    /// Records that `rid` belongs to a submission of this client, so that
    /// the double-charge check never adopts it for another one.
    pub(crate) fn claim(&self, rid: &str) {
        if let Ok(mut claimed) = self.claimed.lock() {
            claimed.insert(rid.to_owned());
        }
    }

    pub(crate) fn is_claimed(&self, rid: &str) -> bool {
        self.claimed
            .lock()
            .map(|claimed| claimed.contains(rid))
            .unwrap_or(false)
    }

    pub(crate) async fn raw_process(
        &self,
        request: &motionkit_models::deepmotion::ProcessRequest,
    ) -> Result<String, motionkit_transport::Error> {
        let body = Body::json(request)?;
        let response = self.transport.send(&requests::Process::new(), body).await?;
        let parsed: motionkit_models::deepmotion::ProcessResponse =
            response.json("POST /process")?;
        Ok(parsed.rid)
    }
}

/// A batch's entries; none when the server answered 404, which it does
/// when it knows none of the batch's ids: those rids are then missing from
/// the answer, as unknown rids are, and the other batches still count.
fn unknown_batch_is_empty<T>(
    answer: Result<Vec<T>, motionkit_transport::Error>,
    joined: &str,
) -> Result<Vec<T>, Error> {
    match answer {
        Ok(entries) => Ok(entries),
        Err(motionkit_transport::Error::Http { status: 404, .. }) => {
            tracing::debug!(rids = %joined, "no id of this batch is known to the server (404)");
            Ok(Vec::new())
        }
        Err(e) => Err(e.into()),
    }
}

fn webhook_request(url: &str, events: &[&str]) -> Result<WebhookEndpointRequest, Error> {
    let parsed = url::Url::parse(url)
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https"));
    if parsed.is_none() {
        return Err(Violation::new("url", Rule::Syntax, url, "an absolute http(s) URL").into());
    }
    let events = if events.is_empty() {
        motionkit_models::deepmotion::WEBHOOK_EVENTS.to_vec()
    } else {
        events.to_vec()
    };
    Ok(WebhookEndpointRequest {
        url: url.to_owned(),
        events: events.into_iter().map(str::to_owned).collect(),
    })
}

#[cfg(test)]
mod debug_tests {
    use super::*;
    use crate::models::ModelUpload;

    #[test]
    fn uploads_do_not_show_their_signatures() {
        let signed = "https://storage.example/up/a.mp4?signature=SECRETSIG&expires=9";
        let upload = Upload {
            url: signed.into(),
            name: "a.mp4".into(),
            size: 1,
            input: InputKind::Video,
        };
        let model = ModelUpload {
            model_url: signed.into(),
            thumb_url: Some(signed.into()),
        };
        for shown in [format!("{upload:?}"), format!("{model:?}")] {
            assert!(!shown.contains("SECRETSIG"), "{shown}");
            assert!(shown.contains("storage.example"), "{shown}");
        }
    }
}
