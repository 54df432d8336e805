//! Custom characters: uploading a model and its thumbnail, listing,
//! storing ([`StoreModel`]) and deleting them, and changing a stored one's
//! thumbnail, uploaded alone, for [`StoreModel::update`].

use std::path::Path;

use motionkit_models::deepmotion::{
    CharacterModel, DeleteModelResponse, ModelUploadUrlResponse, StoreModelRequest,
    StoreModelResponse, requests,
};
use motionkit_transport::UploadOptions;
use motionkit_validation::{PersonModel, Rule, Severity, Violation, keys};

use crate::client::Client;
use crate::error::Error;

/// The upload URLs of a character model. Its `Debug` hides their
/// signatures.
#[derive(Clone, PartialEq, Eq)]
pub struct ModelUpload {
    /// Where the model file went.
    pub model_url: String,
    /// Where the thumbnail went, if one was uploaded.
    pub thumb_url: Option<String>,
}

impl std::fmt::Debug for ModelUpload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ModelUpload")
            .field(
                "model_url",
                &motionkit_transport::redact_url(&self.model_url),
            )
            .field(
                "thumb_url",
                &self
                    .thumb_url
                    .as_deref()
                    .map(motionkit_transport::redact_url),
            )
            .finish()
    }
}

/// The extension of a model or thumbnail file. Outside `documented` it is
/// an error for a model (the documents list fbx, glb, gltf and vrm) and a
/// logged warning for a thumbnail (they only say "preferably png").
fn extension(path: &Path, field: &str, documented: &[&str], strict: bool) -> Result<String, Error> {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    let any = motionkit_validation::file_extension(field, name, &[])?;
    match motionkit_validation::file_extension(field, name, documented) {
        Ok(ext) => Ok(ext),
        Err(violation) if strict => Err(violation.into()),
        Err(violation) => {
            tracing::warn!(warning = %violation.into_warning(), "uploading anyway");
            Ok(any)
        }
    }
}

impl Client {
    /// The documented failures (error 504) for the model ids of a
    /// multi-person job's `models` that the account's `listModels` does
    /// not have; nothing (with a logged warning) when the list cannot be
    /// read.
    pub(crate) async fn missing_people_models(&self, people: &[PersonModel]) -> Vec<Violation> {
        if people.is_empty() {
            return Vec::new();
        }
        let models = match self.list_models(None, None).await {
            Ok(models) => models,
            Err(error) => {
                tracing::warn!(error = %error, "cannot read the account's models; the people's model ids are not checked");
                return Vec::new();
            }
        };
        people
            .iter()
            .filter(|person| !models.iter().any(|m| m.id == person.model_id))
            .map(|person| {
                Violation::new(
                    keys::MODELS,
                    Rule::UnknownModel,
                    format!("{}={}", person.tracking_id, person.model_id),
                    "a model id of the account's listModels (DeepMotion fails the job with \
                     error 504: error loading the character assets)",
                )
                .with_severity(Severity::DocumentedFailure)
            })
            .collect()
    }
}

impl Client {
    /// `GET /character/getModelUploadUrl`.
    pub async fn model_upload_url(
        &self,
        name: Option<&str>,
        model_ext: &str,
        thumb_ext: Option<&str>,
        resumable: bool,
    ) -> Result<ModelUploadUrlResponse, Error> {
        let mut request = requests::GetModelUploadUrl::new()
            .model_ext(model_ext)
            .resumable(u64::from(resumable));
        if let Some(name) = name {
            request = request.name(name);
        }
        if let Some(thumb_ext) = thumb_ext {
            request = request.thumb_ext(thumb_ext);
        }
        Ok(self.transport().send_json::<(), _>(&request, None).await?)
    }

    /// Uploads a model file (fbx, glb, gltf or vrm) and optionally its
    /// thumbnail, returning the URLs to pass to [`StoreModel`].
    pub async fn upload_model(
        &self,
        model: &Path,
        thumbnail: Option<&Path>,
        options: &UploadOptions,
    ) -> Result<ModelUpload, Error> {
        let model_ext = extension(model, "model", &["fbx", "glb", "gltf", "vrm"], true)?;
        let thumb_ext = thumbnail
            .map(|t| extension(t, "thumbnail", &["png", "jpg", "jpeg"], false))
            .transpose()?;
        let stem = model.file_stem().and_then(|s| s.to_str());
        let urls = self
            .model_upload_url(stem, &model_ext, thumb_ext.as_deref(), true)
            .await?;
        self.transport()
            .upload_resumable(&urls.model_url, model, options)
            .await?;
        let thumb_url = match thumbnail {
            Some(thumb) => {
                self.transport()
                    .upload_resumable(&urls.thumb_url, thumb, options)
                    .await?;
                Some(urls.thumb_url)
            }
            None => None,
        };
        Ok(ModelUpload {
            model_url: urls.model_url,
            thumb_url,
        })
    }

    /// `GET /character/listModels`, optionally one model or by search text.
    pub async fn list_models(
        &self,
        model_id: Option<&str>,
        search: Option<&str>,
    ) -> Result<Vec<CharacterModel>, Error> {
        let mut request = requests::ListModels::new();
        if let Some(id) = model_id {
            request = request.model_id(id);
        }
        if let Some(search) = search {
            request = request.search_token(search);
        }
        Ok(self.transport().send_json::<(), _>(&request, None).await?)
    }

    /// `DELETE /character/deleteModel/{id}`: how many models were deleted.
    pub async fn delete_model(&self, model_id: &str) -> Result<i64, Error> {
        let response: DeleteModelResponse = self
            .transport()
            .send_json::<(), _>(&requests::DeleteModel::new(model_id), None)
            .await?;
        Ok(response.count)
    }
}

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

/// `POST /character/storeModel`: stores an uploaded model, or updates a
/// stored one's name or thumbnail.
///
/// ```no_run
/// # async fn demo(client: &motionkit_deepmotion::Client, upload: motionkit_deepmotion::ModelUpload) -> Result<(), motionkit_deepmotion::Error> {
/// use motionkit_deepmotion::StoreModel;
/// let id = StoreModel::new(&upload.model_url).name("hero").create_thumb(true).send(client).await?;
/// StoreModel::update(&id).name("hero v2").send(client).await?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct StoreModel {
    request: StoreModelRequest,
}

impl StoreModel {
    /// Stores the model uploaded to `model_url`.
    pub fn new(model_url: impl Into<String>) -> Self {
        StoreModel {
            request: StoreModelRequest {
                model_url: Some(model_url.into()),
                model_name: None,
                thumb_url: None,
                model_id: None,
                create_thumb: None,
            },
        }
    }

    /// Updates the stored model `model_id`.
    pub fn update(model_id: impl Into<String>) -> Self {
        StoreModel {
            request: StoreModelRequest {
                model_url: None,
                model_name: None,
                thumb_url: None,
                model_id: Some(model_id.into()),
                create_thumb: None,
            },
        }
    }

    /// The model's name.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.request.model_name = Some(name.into());
        self
    }

    /// A thumbnail uploaded with the model.
    pub fn thumb_url(mut self, url: impl Into<String>) -> Self {
        self.request.thumb_url = Some(url.into());
        self
    }

    /// Whether the service should render a thumbnail.
    pub fn create_thumb(mut self, create: bool) -> Self {
        self.request.create_thumb = Some(i64::from(create));
        self
    }

    /// Sends it; returns the model id.
    pub async fn send(&self, client: &Client) -> Result<String, Error> {
        if self.request.model_url.is_none() && self.request.model_id.is_none() {
            return Err(
                Violation::new("modelUrl", Rule::Required, "", "modelUrl or modelId").into(),
            );
        }
        let response: StoreModelResponse = client
            .transport()
            .send_json(&requests::StoreModel::new(), Some(&self.request))
            .await?;
        Ok(response.model_id)
    }
}
