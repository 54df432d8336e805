//! Waiting for a rendered video, and downloading it.
//!
//! The webhook is what the document promises, so it is what
//! [`Client::wait_one`] relies on: it resolves as soon as the generation's
//! own callback URL receives its verified delivery. Reading the generation back
//! (`status = done` and a `video` URL) is used only where the server allows
//! it: periodically while a webhook is expected, often when none can come.
//! A refused read (401/403 with `42501`, 403, 404) is not a failure: the
//! read is marked unavailable and the wait goes on for the webhook until
//! its timeout, which by default covers the documented cold start (18
//! minutes for the first render, plus one for the delivery). When neither
//! can tell (reads refused and no webhook can reach this process), the
//! wait ends at once with [`Error::CannotWait`].

use std::fmt;
use std::path::Path;
use std::time::Duration;

use motionkit_models::motiondynamic::{Generation, GenerationStatus};
use motionkit_transport::{
    DownloadOptions, DownloadReport, PollInterval, WaitOptions, instant_after, redact_url,
};
use tokio::time::Instant;

use crate::client::Client;
use crate::error::Error;
use crate::submit::{Submission, read_refused};
use crate::webhook::WebhookReceiver;

/// How a video was found ready.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ReadyVia {
    /// The generation's webhook was delivered.
    Webhook,
    /// Reading the generation back showed `status = done`.
    ReadBack,
}

/// A rendered video, ready to download.
#[derive(Clone, PartialEq, Eq)]
pub struct Video {
    /// The generation it was rendered for: from the created row or a
    /// read, or else the UUID the video's file name carries
    /// (`https://download.motiondynamic.tech/<uuid>.mp4`). `None` when
    /// none of them said.
    pub generation_id: Option<String>,
    /// Where to download it.
    pub url: String,
    /// How it was found ready.
    pub via: ReadyVia,
}

impl fmt::Debug for Video {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Video")
            .field("generation_id", &self.generation_id)
            .field("url", &redact_url(&self.url))
            .field("via", &self.via)
            .finish()
    }
}

/// The UUID a video URL's file name carries (`.../<uuid>.mp4`), lower case.
pub(crate) fn id_from_video_url(url: &str) -> Option<String> {
    let path = url.split(['?', '#']).next()?;
    let name = path.rsplit('/').next()?;
    let stem = name.rsplit_once('.').map_or(name, |(stem, _)| stem);
    uuid::Uuid::parse_str(stem)
        .ok()
        .map(|u| u.hyphenated().to_string())
}

impl Submission {
    /// Waits for the video with the client's options; see
    /// [`Client::wait_one`].
    pub async fn wait(&self, client: &Client) -> Result<Video, Error> {
        client.wait_one(self).await
    }
}

/// What a wait knows of its generation.
struct Target<'a> {
    id: Option<String>,
    /// A callback URL unique to the generation, to look it up by.
    webhook: Option<&'a str>,
    callback: Option<(&'a WebhookReceiver, String)>,
}

impl Target<'_> {
    fn name(&self) -> String {
        match (&self.id, &self.callback) {
            (Some(id), _) => id.clone(),
            (None, Some((_, key))) => format!("with callback key {key}"),
            (None, None) => "(id unknown)".to_owned(),
        }
    }
}

/// One read-back's result.
enum ReadBack {
    Ready(Video),
    Pending,
    /// A refused read: reading stops, the wait may go on.
    Refused(Error),
    /// A temporary failure: try again at the next interval.
    Failed(Error),
}

impl Client {
    /// Waits for the videos of many submitted generations with the
    /// client's [`WaitOptions`] ([`Client::wait_options`]): one result per
    /// submission, in their order, within one timeout for them all. A
    /// generation that fails (discarded, say) fails alone.
    ///
    /// Each is waited for as [`Client::wait_one`] does. The deliveries of
    /// the others are kept while one is waited for, so a video that is
    /// ready early is answered at once when its turn comes.
    pub async fn wait<'a>(
        &self,
        submissions: impl IntoIterator<Item = &'a Submission>,
    ) -> Vec<Result<Video, Error>> {
        let options = *self.wait_options();
        self.wait_with(submissions, &options).await
    }

    /// [`Client::wait`] with other options.
    pub async fn wait_with<'a>(
        &self,
        submissions: impl IntoIterator<Item = &'a Submission>,
        options: &WaitOptions,
    ) -> Vec<Result<Video, Error>> {
        let submissions: Vec<&Submission> = submissions.into_iter().collect();
        let deadline = instant_after(Instant::now(), options.timeout);
        let mut results = Vec::with_capacity(submissions.len());
        for submission in submissions {
            let left = deadline.saturating_duration_since(Instant::now());
            let options = options.timeout(left);
            results.push(self.wait_one_with(submission, &options).await);
        }
        results
    }

    /// Waits for the video of one submitted generation with the client's
    /// [`WaitOptions`].
    ///
    /// Resolves with the first verified webhook delivery for the
    /// generation's callback URL, or when a read-back (only where the
    /// server allows reads) shows it done. [`Error::Discarded`] when a
    /// read-back shows it discarded; [`Error::WaitTimeout`] when the time
    /// runs out (after a last read-back if allowed); [`Error::CannotWait`]
    /// when reads are refused and no webhook can come. Temporary failures
    /// of read-backs are logged and retried at the next interval (while no
    /// webhook can come, up to `max_consecutive_failures` in a row);
    /// refused reads stop the reading, not the wait; others (such as an
    /// expired JWT) end the wait.
    ///
    /// Dropping the future only stops waiting: the generation and its
    /// callback key are untouched (a delivery that arrives meanwhile is
    /// kept), so waiting again with the same [`Submission`] goes on.
    pub async fn wait_one(&self, submission: &Submission) -> Result<Video, Error> {
        let options = *self.wait_options();
        self.wait_one_with(submission, &options).await
    }

    /// [`Client::wait_one`] with other options.
    pub async fn wait_one_with(
        &self,
        submission: &Submission,
        options: &WaitOptions,
    ) -> Result<Video, Error> {
        let callback = submission
            .callback()
            .map(|(receiver, key)| (receiver, key.to_owned()));
        let target = Target {
            id: submission.id().map(str::to_owned),
            webhook: callback.as_ref().map(|_| submission.webhook_url()),
            callback,
        };
        self.wait_inner(target, options).await
    }

    /// Waits for a generation known only by its id, by reading it back
    /// (no webhook can reach this call): [`Error::CannotWait`] at once when
    /// the server refuses reads of generations.
    pub async fn wait_for_id(&self, generation_id: &str) -> Result<Video, Error> {
        let options = *self.wait_options();
        self.wait_for_id_with(generation_id, &options).await
    }

    /// [`Client::wait_for_id`] with other options.
    pub async fn wait_for_id_with(
        &self,
        generation_id: &str,
        options: &WaitOptions,
    ) -> Result<Video, Error> {
        let generation_id = crate::client::check_uuid("generation_id", generation_id)?;
        let target = Target {
            id: Some(generation_id),
            webhook: None,
            callback: None,
        };
        self.wait_inner(target, options).await
    }

    async fn wait_inner(
        &self,
        mut target: Target<'_>,
        options: &WaitOptions,
    ) -> Result<Video, Error> {
        let started = Instant::now();
        let deadline = instant_after(started, options.timeout);
        let mut webhook_live = target.callback.is_some();
        let mut can_read =
            (target.id.is_some() || target.webhook.is_some()) && !self.reads_refused();
        if !webhook_live && !can_read {
            return Err(self.cannot_wait(&target));
        }
        let callback = target
            .callback
            .as_ref()
            .map(|(receiver, key)| ((*receiver).clone(), key.clone()));
        let webhook = async {
            match &callback {
                Some((receiver, key)) => receiver.wait(key).await,
                None => None,
            }
        };
        tokio::pin!(webhook);
        let mut polling = PollInterval::new(options);
        let mut failures = 0u32;
        let mut next_poll = if webhook_live {
            instant_after(started, options.interval_with_webhook)
        } else {
            started
        };
        loop {
            tokio::select! {
                ready = &mut webhook, if webhook_live => match ready {
                    Some(ready) => {
                        let generation_id = target.id.clone().or_else(|| id_from_video_url(&ready.video));
                        return Ok(Video {
                            generation_id,
                            url: ready.video,
                            via: ReadyVia::Webhook,
                        });
                    }
                    None => {
                        tracing::debug!(generation = %target.name(), "no webhook can arrive; reading the generation back instead");
                        webhook_live = false;
                        if !can_read {
                            return Err(self.cannot_wait(&target));
                        }
                        next_poll = next_poll.min(Instant::now());
                    }
                },
                () = tokio::time::sleep_until(next_poll), if can_read => {
                    match self.read_back(&mut target, webhook_live).await? {
                        ReadBack::Ready(video) => return Ok(video),
                        ReadBack::Pending => {
                            failures = 0;
                            polling.unchanged();
                        }
                        ReadBack::Failed(error) => {
                            failures += 1;
                            if !webhook_live && failures > options.max_consecutive_failures {
                                return Err(error);
                            }
                            tracing::warn!(generation = %target.name(), %error, failures, "reading the generation back failed; trying again later");
                            polling.unchanged();
                        }
                        ReadBack::Refused(error) => {
                            self.note_reads_refused(&error);
                            can_read = false;
                            if !webhook_live {
                                return Err(self.cannot_wait(&target));
                            }
                            tracing::info!(generation = %target.name(), "reading the generation back is not allowed; waiting for its webhook");
                        }
                    }
                    let interval = if webhook_live {
                        options.interval_with_webhook.max(Duration::from_millis(1))
                    } else {
                        polling.next_wait()
                    };
                    next_poll = instant_after(Instant::now(), interval);
                }
                () = tokio::time::sleep_until(deadline) => {
                    if can_read
                        && let ReadBack::Ready(video) = self.read_back(&mut target, webhook_live).await?
                    {
                        return Ok(video);
                    }
                    return Err(Error::WaitTimeout {
                        generation_id: target.name(),
                        after: started.elapsed(),
                    });
                }
            }
        }
    }

    fn cannot_wait(&self, target: &Target<'_>) -> Error {
        let reason = if target.id.is_none() && target.webhook.is_none() {
            "its id is unknown and no webhook can reach this process"
        } else {
            "the server refuses reads of generations to this token and no webhook can reach \
             this process; wait where its webhook is received"
        };
        Error::CannotWait {
            generation: target.name(),
            reason: reason.to_owned(),
        }
    }

    /// One read-back, by id or else by callback URL. An error when
    /// discarded or on a permanent failure other than a refused read.
    async fn read_back(
        &self,
        target: &mut Target<'_>,
        webhook_live: bool,
    ) -> Result<ReadBack, Error> {
        let read = match (&target.id, target.webhook) {
            (Some(id), _) => self.generation(id).await.map(Some),
            (None, Some(webhook)) => self
                .generations_by_webhook(webhook)
                .await
                .map(|rows| rows.into_iter().next()),
            (None, None) => return Ok(ReadBack::Pending),
        };
        let generation: Generation = match read {
            Ok(Some(generation)) => generation,
            Ok(None) => return Ok(ReadBack::Pending),
            // Row permissions may hide the row: the webhook will tell.
            Err(Error::NotFound { .. }) if webhook_live => return Ok(ReadBack::Pending),
            Err(error) if read_refused(&error) => return Ok(ReadBack::Refused(error)),
            Err(error) if error.is_temporary() => return Ok(ReadBack::Failed(error)),
            Err(error) => return Err(error),
        };
        if target.id.is_none() {
            target.id = Some(generation.generation_id.clone());
        }
        let generation_id = generation.generation_id.clone();
        match (&generation.status, generation.video) {
            (Some(GenerationStatus::Done), Some(Some(url))) => Ok(ReadBack::Ready(Video {
                generation_id: Some(generation_id),
                url,
                via: ReadyVia::ReadBack,
            })),
            (Some(GenerationStatus::Discarded), _) => Err(Error::Discarded { generation_id }),
            _ => Ok(ReadBack::Pending),
        }
    }

    /// Streams the video into `dir` as `<generation id>.mp4` (the URL's
    /// file name when the id is unknown), atomically:
    /// the file appears only when complete. Broken transfers resume with
    /// `Range`. No credentials are sent to the video URL.
    ///
    /// Dropping the future stops the transfer and removes its part file
    /// (the transfer's task is aborted, and the file goes as it stops,
    /// moments after the drop): nothing partial is left under `dir`, and
    /// downloading again costs nothing.
    pub async fn download(&self, video: &Video, dir: &Path) -> Result<DownloadReport, Error> {
        let options = DownloadOptions::default()
            .file_name(video.generation_id.as_ref().map(|id| format!("{id}.mp4")));
        self.download_with(video, dir, &options).await
    }

    /// [`Client::download`] with a file name (sanitised) or progress
    /// callback of your own.
    pub async fn download_with(
        &self,
        video: &Video,
        dir: &Path,
        options: &DownloadOptions,
    ) -> Result<DownloadReport, Error> {
        Ok(self.transport().download(&video.url, dir, options).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_client_waits_by_the_documents_bounds_unless_told_otherwise() {
        let client = Client::builder("https://api.motiondynamic.tech", "token")
            .build()
            .unwrap();
        assert_eq!(*client.wait_options(), WaitOptions::motiondynamic());
        assert!(client.wait_options().timeout >= Duration::from_secs(18 * 60));
    }

    #[test]
    fn the_id_of_a_video_comes_from_its_file_name() {
        assert_eq!(
            id_from_video_url(
                "https://download.motiondynamic.tech/9C1D2E3F-4A5B-4C6D-8E7F-A0B1C2D3E4F5.mp4?sig=x"
            )
            .as_deref(),
            Some("9c1d2e3f-4a5b-4c6d-8e7f-a0b1c2d3e4f5")
        );
        assert_eq!(
            id_from_video_url("https://download.motiondynamic.tech/video.mp4"),
            None
        );
        assert_eq!(id_from_video_url(""), None);
    }

    #[test]
    fn video_debug_hides_signed_queries() {
        let video = Video {
            generation_id: Some("g".into()),
            url: "https://cdn.example.com/v.mp4?X-Signature=secret".into(),
            via: ReadyVia::Webhook,
        };
        let debug = format!("{video:?}");
        assert!(!debug.contains("secret"), "{debug}");
    }
}
