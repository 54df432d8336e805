//! The custom-character APIs: upload URL, store, list and delete models.

use super::*;

pub(super) fn extension(value: Option<&String>, default: &str) -> String {
    let cleaned: String = value
        .map(|v| v.trim().trim_start_matches('.'))
        .unwrap_or(default)
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(8)
        .collect::<String>()
        .to_ascii_lowercase();
    if cleaned.is_empty() {
        default.to_owned()
    } else {
        cleaned
    }
}

/// `GET /character/getModelUploadUrl`.
pub(crate) async fn get_model_upload_url(State(inner): State<Arc<Inner>>, uri: Uri) -> Response {
    let query = query_map(&uri);
    let resumable = match flag(
        query.get("resumable").map(String::as_str),
        "resumable",
        true,
    ) {
        Ok(resumable) => resumable,
        Err(e) => return e.into_response(),
    };
    let id = uuid::Uuid::new_v4().simple().to_string();
    let name = query
        .get("name")
        .map(|n| safe_name(n.trim()))
        .filter(|n| n != "file")
        .unwrap_or_else(|| format!("model-{}", &id[..8]));
    let model_ext = extension(query.get("modelExt"), "fbx");
    let thumb_ext = extension(query.get("thumbExt"), "png");
    let model_name = format!("{name}.{model_ext}");
    let thumb_name = format!("{name}.{thumb_ext}");
    let model_key = format!("models/{id}/model/{model_name}");
    let thumb_key = format!("models/{id}/thumb/{thumb_name}");
    let now = now_ms();
    inner.store.issue_object(&model_key, &model_name, now);
    inner.store.issue_object(&thumb_key, &thumb_name, now);
    Json(ModelUploadUrlResponse {
        model_url: inner.upload_target(&model_key, resumable),
        thumb_url: inner.upload_target(&thumb_key, resumable),
    })
    .into_response()
}

fn uploaded_model_file(inner: &Inner, url: &str, what: &str) -> Result<Object, ApiError> {
    match inner.uploaded(url, "models/") {
        Some(object) if object.complete => Ok(object),
        Some(_) => Err(bad(format!("nothing has been uploaded to `{what}` yet"))),
        None => Err(bad(format!(
            "`{what}` does not match a URL returned by getModelUploadUrl"
        ))),
    }
}

/// Refuses a stored model file that is not a character model.
fn check_model(inner: &Inner, object: &Object) -> Result<(), ApiError> {
    let Some(file) = &object.file else {
        return Err(bad("nothing has been uploaded to `modelUrl` yet"));
    };
    media::read_model_file(&inner.store.path(file))
        .map(drop)
        .map_err(|why| {
            bad(format!(
                "`modelUrl` is not a character model (glTF 2.0 or FBX): {why}"
            ))
        })
}

fn generate_thumb(inner: &Inner, model_id: &str, name: &str) -> Result<String, ApiError> {
    let key = format!("models/{model_id}/generated/thumb.png");
    inner
        .put_object(
            &key,
            "thumb.png",
            &outputs::png(128, &format!("thumbnail of {name}")),
        )
        .map_err(|e| fail(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
    Ok(key)
}

/// `POST /character/storeModel`.
pub(crate) async fn store_model(
    State(inner): State<Arc<Inner>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let map = match body_object(&headers, &body) {
        Ok(map) => map,
        Err(e) => return e.into_response(),
    };
    let create_thumb = match field_flag(&map, "createThumb") {
        Ok(flag) => flag,
        Err(e) => return e.into_response(),
    };
    let resolved = (|| -> Result<Model, ApiError> {
        let model_url = field_str(&map, "modelUrl");
        let model_name = field_str(&map, "modelName");
        let thumb = match field_str(&map, "thumbUrl") {
            Some(url) => Some(uploaded_model_file(&inner, &url, "thumbUrl")?.key),
            None => None,
        };
        let model_file = match &model_url {
            Some(url) => {
                let file = uploaded_model_file(&inner, url, "modelUrl")?;
                check_model(&inner, &file)?;
                Some(file)
            }
            None => None,
        };
        let now = now_ms();
        let mut model = match (field_str(&map, "modelId"), model_file) {
            (Some(id), file) => {
                if inner.model_kind(&id) == ModelKind::Stock {
                    return Err(bad("stock models cannot be changed"));
                }
                let Some(mut model) = inner.store.models().into_iter().find(|m| m.id == id) else {
                    return Err(fail(StatusCode::NOT_FOUND, format!("no model {id}")));
                };
                if let Some(file) = file {
                    model.model_key = file.key;
                }
                if let Some(name) = model_name {
                    model.name = name;
                }
                model
            }
            (None, Some(file)) => Model {
                id: random_hex(12),
                name: model_name.unwrap_or_else(|| jobs::stem(&file.name)),
                model_key: file.key,
                thumb_key: None,
                rig_id: RIG_ID.into(),
                ctime: now,
                mtime: now,
            },
            (None, None) => {
                return Err(bad(
                    "`modelUrl` (to store a new model) or `modelId` (to update one) is required",
                ));
            }
        };
        if let Some(thumb) = thumb {
            model.thumb_key = Some(thumb);
        }
        if create_thumb {
            model.thumb_key = Some(generate_thumb(&inner, &model.id, &model.name)?);
        }
        model.mtime = now;
        Ok(model)
    })();
    match resolved {
        Ok(model) => {
            inner.store.put_model(&model);
            Json(StoreModelResponse { model_id: model.id }).into_response()
        }
        Err(e) => e.into_response(),
    }
}

/// `GET /character/listModels?modelId=..&searchToken=..`.
pub(crate) async fn list_models(State(inner): State<Arc<Inner>>, uri: Uri) -> Response {
    let query = query_map(&uri);
    let model_id = query
        .get("modelId")
        .map(|s| s.trim())
        .filter(|s| !s.is_empty());
    let token = query
        .get("searchToken")
        .map(|s| s.trim().to_lowercase())
        .filter(|s| !s.is_empty());
    let stock = STOCK_MODELS.iter().map(|(id, name)| CharacterModel {
        id: (*id).to_owned(),
        name: Some((*name).to_owned()),
        thumb: Some(inner.download_url(&format!("stock/{id}/thumb.png"))),
        rig_id: Some(RIG_ID.into()),
        ctime: Some(Value::from(STOCK_TIME_MS)),
        mtime: Some(Value::from(STOCK_TIME_MS)),
    });
    let custom = inner.store.models().into_iter().map(|m| CharacterModel {
        thumb: m.thumb_key.as_deref().map(|key| inner.download_url(key)),
        id: m.id,
        name: Some(m.name),
        rig_id: Some(m.rig_id),
        ctime: Some(Value::from(m.ctime)),
        mtime: Some(Value::from(m.mtime)),
    });
    let models: Vec<CharacterModel> = stock
        .chain(custom)
        .filter(|m| model_id.is_none_or(|id| m.id == id))
        .filter(|m| {
            token.as_ref().is_none_or(|t| {
                m.name
                    .as_deref()
                    .is_some_and(|name| name.to_lowercase().contains(t.as_str()))
            })
        })
        .collect();
    Json(models).into_response()
}

/// `DELETE /character/deleteModel/{model_id}`: stock models are not
/// deleted (`count` 0).
pub(crate) async fn delete_model(
    State(inner): State<Arc<Inner>>,
    Path(model_id): Path<String>,
) -> Response {
    let count = inner.store.delete_model(&model_id);
    Json(DeleteModelResponse {
        count: count as i64,
    })
    .into_response()
}
