//! The outputs of a finished job, and the names to save them under.

use motionkit_models::deepmotion::DownloadLink;

use crate::client::Client;
use crate::error::Error;
use crate::submission::output_file_name;

/// The outputs of a finished job. Its `Debug` hides the URLs' signatures.
#[derive(Clone, PartialEq, Eq)]
pub struct JobOutputs {
    /// The name the job's input was uploaded under, as `/download` gives
    /// it (`walk-k3x9q2m7a1.mp4` for an upload motionkit made).
    pub input_name: Option<String>,
    /// `(file type, signed URL)` of every output, in server order.
    pub files: Vec<(String, String)>,
}

impl std::fmt::Debug for JobOutputs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let files: Vec<(&str, String)> = self
            .files
            .iter()
            .map(|(kind, url)| (kind.as_str(), motionkit_transport::redact_url(url)))
            .collect();
        f.debug_struct("JobOutputs")
            .field("input_name", &self.input_name)
            .field("files", &files)
            .finish()
    }
}

impl JobOutputs {
    /// The name to save the output at `url` under when the server named it
    /// after the input's unique upload name: the input's own stem instead
    /// (see [`output_file_name`](crate::output_file_name)). `None` leaves
    /// the choice to the download.
    pub fn file_name(&self, url: &str) -> Option<String> {
        output_file_name(url, self.input_name.as_deref()?)
    }
}

impl Client {
    /// The outputs of the finished job `rid` and its input's name.
    /// [`Error::UnknownJob`] when the server does not know it,
    /// [`Error::NothingToDownload`] when it offers no files (not finished,
    /// or failed).
    pub async fn job_outputs(&self, rid: &str) -> Result<JobOutputs, Error> {
        let link = self.download_link(rid).await?;
        let files: Vec<(String, String)> = link
            .files()
            .map(|(kind, url)| (kind.to_owned(), url.to_owned()))
            .collect();
        if files.is_empty() {
            return Err(Error::NothingToDownload {
                rid: rid.to_owned(),
            });
        }
        Ok(JobOutputs {
            input_name: link.name,
            files,
        })
    }

    /// The `/download` answer for the one job `rid`; [`Error::UnknownJob`]
    /// when the server does not know it.
    pub(crate) async fn download_link(&self, rid: &str) -> Result<DownloadLink, Error> {
        self.download_links(&[rid.to_owned()])
            .await?
            .into_iter()
            .find(|l| l.rid == rid)
            .ok_or_else(|| Error::UnknownJob {
                rid: rid.to_owned(),
            })
    }

    /// The `(file type, signed URL)` of every output of the finished job
    /// `rid`; see [`Client::job_outputs`].
    pub async fn output_links(&self, rid: &str) -> Result<Vec<(String, String)>, Error> {
        Ok(self.job_outputs(rid).await?.files)
    }
}
