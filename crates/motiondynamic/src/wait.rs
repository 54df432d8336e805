//! Waiting for a rendered video, and downloading it.
//!
//! The webhook is the fast path: [`Client::wait`] resolves as soon as the
//! generation's own callback URL receives its verified delivery. Reading
//! the generation back (`status = done` and a `video` URL) is the fallback:
//! periodically while a webhook is expected, often when none can come
//! (no receiver, or a receiver that forgot the key).

use std::fmt;
use std::path::Path;

use motionkit_models::motiondynamic::GenerationStatus;
use motionkit_transport::{DownloadOptions, DownloadReport, instant_after, redact_url};
use tokio::time::Instant;

use crate::client::{Client, WaitOptions};
use crate::error::Error;
use crate::submit::Submission;
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
    /// The generation it was rendered for.
    pub generation_id: String,
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

impl Submission {
    /// Waits for the video; see [`Client::wait`].
    pub async fn wait(&self, client: &Client) -> Result<Video, Error> {
        client.wait(self).await
    }
}

impl Client {
    /// Waits for the video of a submitted generation with the client's
    /// [`WaitOptions`].
    ///
    /// Resolves with the first verified webhook delivery for the
    /// generation's callback URL, or when a read-back shows it done.
    /// [`Error::Discarded`] when a read-back shows it discarded;
    /// [`Error::WaitTimeout`] when the time runs out (after a last
    /// read-back). Temporary failures of read-backs are logged and retried
    /// at the next interval; others (such as an expired JWT) end the wait.
    pub async fn wait(&self, submission: &Submission) -> Result<Video, Error> {
        let options = *self.wait_options();
        self.wait_with(submission, &options).await
    }

    /// [`Client::wait`] with other options.
    pub async fn wait_with(
        &self,
        submission: &Submission,
        options: &WaitOptions,
    ) -> Result<Video, Error> {
        let callback = submission
            .callback()
            .map(|(receiver, key)| (receiver, key.to_owned()));
        self.wait_inner(submission.id(), callback, options).await
    }

    /// Waits for a generation known only by its id, by reading it back.
    pub async fn wait_for_id(&self, generation_id: &str) -> Result<Video, Error> {
        let generation_id = crate::client::check_uuid("generation_id", generation_id)?;
        let options = *self.wait_options();
        self.wait_inner(&generation_id, None, &options).await
    }

    async fn wait_inner(
        &self,
        generation_id: &str,
        callback: Option<(&WebhookReceiver, String)>,
        options: &WaitOptions,
    ) -> Result<Video, Error> {
        let started = Instant::now();
        let deadline = instant_after(started, options.timeout);
        let mut webhook_live = callback.is_some();
        let webhook = async {
            match &callback {
                Some((receiver, key)) => receiver.wait(key).await,
                None => None,
            }
        };
        tokio::pin!(webhook);
        let interval = |live: bool| {
            if live {
                options.poll_with_webhook
            } else {
                options.poll_without_webhook
            }
        };
        let mut next_poll = if webhook_live {
            instant_after(started, options.poll_with_webhook)
        } else {
            started
        };
        loop {
            tokio::select! {
                ready = &mut webhook, if webhook_live => match ready {
                    Some(ready) => {
                        return Ok(Video {
                            generation_id: generation_id.to_owned(),
                            url: ready.video,
                            via: ReadyVia::Webhook,
                        });
                    }
                    None => {
                        tracing::debug!(generation = %generation_id, "no webhook can arrive; reading the generation back instead");
                        webhook_live = false;
                        next_poll = next_poll.min(Instant::now());
                    }
                },
                () = tokio::time::sleep_until(next_poll) => {
                    if let Some(video) = self.read_back(generation_id).await? {
                        return Ok(video);
                    }
                    next_poll = instant_after(Instant::now(), interval(webhook_live));
                }
                () = tokio::time::sleep_until(deadline) => {
                    if let Some(video) = self.read_back(generation_id).await? {
                        return Ok(video);
                    }
                    return Err(Error::WaitTimeout {
                        generation_id: generation_id.to_owned(),
                        after: started.elapsed(),
                    });
                }
            }
        }
    }

    /// One read-back: `Some` when done with a video, an error when
    /// discarded or on a permanent failure.
    async fn read_back(&self, generation_id: &str) -> Result<Option<Video>, Error> {
        let generation = match self.generation(generation_id).await {
            Ok(generation) => generation,
            Err(error) if error.is_temporary() => {
                tracing::warn!(generation = %generation_id, %error, "reading the generation back failed; trying again later");
                return Ok(None);
            }
            Err(error) => return Err(error),
        };
        match (&generation.status, generation.video) {
            (Some(GenerationStatus::Done), Some(Some(url))) => Ok(Some(Video {
                generation_id: generation_id.to_owned(),
                url,
                via: ReadyVia::ReadBack,
            })),
            (Some(GenerationStatus::Discarded), _) => Err(Error::Discarded {
                generation_id: generation_id.to_owned(),
                reason: None,
            }),
            _ => Ok(None),
        }
    }

    /// Streams the video into `dir` as `<generation id>.mp4`, atomically:
    /// the file appears only when complete. Broken transfers resume with
    /// `Range`. No credentials are sent to the video URL.
    pub async fn download(&self, video: &Video, dir: &Path) -> Result<DownloadReport, Error> {
        let options = DownloadOptions {
            file_name: Some(format!("{}.mp4", video.generation_id)),
            ..DownloadOptions::default()
        };
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
    use std::time::Duration;

    use super::*;

    #[test]
    fn the_default_timeout_allows_for_a_cold_start() {
        let options = WaitOptions::default();
        assert!(options.timeout >= Duration::from_secs(18 * 60));
        assert_eq!(options.timeout, Duration::from_secs(19 * 60));
        assert_eq!(options.poll_without_webhook, Duration::from_secs(5));
    }

    #[test]
    fn video_debug_hides_signed_queries() {
        let video = Video {
            generation_id: "g".into(),
            url: "https://cdn.example.com/v.mp4?X-Signature=secret".into(),
            via: ReadyVia::Webhook,
        };
        let debug = format!("{video:?}");
        assert!(!debug.contains("secret"), "{debug}");
    }
}
