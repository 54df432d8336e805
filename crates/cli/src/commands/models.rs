//! `motionkit models list|upload|update|delete`.

use super::Ctx;
use crate::args::ModelsCommand;
use crate::exit::CliError;
use crate::output::{DeleteOutput, ModelUpdateOutput, ModelUploadOutput, ModelView, ModelsOutput};
use crate::term::safe;
use motionkit_deepmotion::StoreModel;
use motionkit_transport::UploadOptions;

/// Runs a `models` subcommand.
pub async fn run(ctx: &Ctx, command: ModelsCommand) -> Result<(), CliError> {
    if let ModelsCommand::Delete { id, yes } = &command {
        ctx.confirm(&format!("delete model {}", safe(id)), *yes)?;
    }
    let dm = ctx.deepmotion().await?;
    let client = &dm.client;
    match command {
        ModelsCommand::List { search, model_id } => {
            let models = client
                .list_models(model_id.as_deref(), search.as_deref())
                .await?;
            if ctx.json() {
                return ctx.print_json(&ModelsOutput {
                    simulated: ctx.simulated(),
                    models: models
                        .iter()
                        .map(|m| ModelView {
                            id: m.id.clone(),
                            name: m.name.clone(),
                            thumb_url: m.thumb.clone(),
                            rig_id: m.rig_id.clone(),
                        })
                        .collect(),
                });
            }
            for model in &models {
                ctx.out(format!(
                    "{}\t{}",
                    safe(&model.id),
                    safe(model.name.as_deref().unwrap_or(""))
                ));
            }
        }
        ModelsCommand::Upload {
            file,
            thumb,
            create_thumb,
            name,
        } => {
            let label = file.file_name().map_or_else(
                || file.display().to_string(),
                |n| n.to_string_lossy().into_owned(),
            );
            let bar = ctx.bars.item(&label);
            let bar_for_upload = bar.clone();
            let options = UploadOptions::default().progress(Some(std::sync::Arc::new(move |p| {
                bar_for_upload.bytes("upload", p)
            })));
            let uploaded = client.upload_model(&file, thumb.as_deref(), &options).await;
            bar.finish(if uploaded.is_ok() {
                "uploaded"
            } else {
                "failed"
            });
            let uploaded = uploaded?;
            let name = name.unwrap_or_else(|| {
                file.file_stem()
                    .and_then(|s| s.to_str())
                    .unwrap_or("model")
                    .to_owned()
            });
            let mut store = StoreModel::new(&uploaded.model_url).name(&name);
            if let Some(thumb_url) = &uploaded.thumb_url {
                store = store.thumb_url(thumb_url);
            }
            if create_thumb {
                store = store.create_thumb(true);
            }
            let id = store.send(client).await?;
            if ctx.json() {
                return ctx.print_json(&ModelUploadOutput {
                    simulated: ctx.simulated(),
                    id,
                    name,
                });
            }
            ctx.out(safe(&id));
        }
        ModelsCommand::Update {
            id,
            name,
            thumb,
            create_thumb,
        } => {
            let mut store = StoreModel::update(&id);
            if let Some(thumb) = &thumb {
                let bar = ctx.bars.item(&id);
                let bar_for_upload = bar.clone();
                let options =
                    UploadOptions::default().progress(Some(std::sync::Arc::new(move |p| {
                        bar_for_upload.bytes("upload thumbnail", p)
                    })));
                let uploaded = client.upload_model_thumbnail(thumb, &options).await;
                bar.finish(if uploaded.is_ok() {
                    "uploaded"
                } else {
                    "failed"
                });
                store = store.thumb_url(uploaded?);
            }
            if let Some(name) = &name {
                store = store.name(name);
            }
            if create_thumb {
                store = store.create_thumb(true);
            }
            let updated = store.send(client).await?;
            if ctx.json() {
                return ctx.print_json(&ModelUpdateOutput {
                    simulated: ctx.simulated(),
                    id: updated,
                    name,
                    thumb: thumb.is_some() || create_thumb,
                });
            }
            ctx.out(format!("updated {}", safe(&updated)));
        }
        ModelsCommand::Delete { id, .. } => {
            let not_found =
                || CliError::not_found(format!("model {id} not found"), "motionkit models list");
            let count = match client.delete_model(&id).await {
                Ok(count) => count,
                Err(e) => {
                    let e = CliError::from(e);
                    return Err(if e.kind == crate::exit::ErrorKind::NotFound {
                        not_found()
                    } else {
                        e
                    });
                }
            };
            if count == 0 {
                return Err(not_found());
            }
            if ctx.json() {
                return ctx.print_json(&DeleteOutput {
                    simulated: ctx.simulated(),
                    id,
                    deleted: true,
                });
            }
            ctx.out(format!("deleted {}", safe(&id)));
        }
    }
    Ok(())
}
