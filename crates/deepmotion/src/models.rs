//! Changing a stored custom character: a new thumbnail, uploaded alone,
//! for [`StoreModel::update`](crate::StoreModel::update).

use std::path::Path;

use motionkit_models::deepmotion::{ModelUploadUrlResponse, requests};
use motionkit_transport::UploadOptions;
use motionkit_validation::{Rule, Violation};

use crate::client::Client;
use crate::error::Error;

impl Client {
    /// Uploads a thumbnail picture on its own (`getModelUploadUrl` with only
    /// `thumbExt`, then the resumable upload) and returns the `thumbUrl` to
    /// pass to [`StoreModel::thumb_url`](crate::StoreModel::thumb_url),
    /// typically with [`StoreModel::update`](crate::StoreModel::update):
    ///
    /// ```no_run
    /// # async fn demo(client: &motionkit_deepmotion::Client) -> Result<(), motionkit_deepmotion::Error> {
    /// use motionkit_deepmotion::StoreModel;
    /// let options = motionkit_transport::UploadOptions::default();
    /// let thumb = client.upload_model_thumbnail("hero.png".as_ref(), &options).await?;
    /// StoreModel::update("MODEL_ID").thumb_url(thumb).send(client).await?;
    /// # Ok(()) }
    /// ```
    ///
    /// The file's extension is sent as given (the document asks for
    /// "preferably png"); a file without one is refused before anything is
    /// sent.
    pub async fn upload_model_thumbnail(
        &self,
        thumbnail: &Path,
        options: &UploadOptions,
    ) -> Result<String, Error> {
        let ext = thumbnail
            .extension()
            .and_then(|e| e.to_str())
            .filter(|e| !e.is_empty())
            .map(str::to_ascii_lowercase)
            .ok_or_else(|| {
                Error::Validation(
                    Violation::new(
                        "thumbnail",
                        Rule::Required,
                        thumbnail.display().to_string(),
                        "a file name with an extension, such as hero.png",
                    )
                    .into(),
                )
            })?;
        let mut request = requests::GetModelUploadUrl::new()
            .thumb_ext(&ext)
            .resumable(1);
        if let Some(stem) = thumbnail.file_stem().and_then(|s| s.to_str()) {
            request = request.name(stem);
        }
        let urls: ModelUploadUrlResponse =
            self.transport().send_json::<(), _>(&request, None).await?;
        self.transport()
            .upload_resumable(&urls.thumb_url, thumbnail, options)
            .await?;
        Ok(urls.thumb_url)
    }
}
