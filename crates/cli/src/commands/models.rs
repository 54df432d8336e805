//! `motionkit models list|upload|delete`.

use motionkit_deepmotion::StoreModel;
use motionkit_transport::UploadOptions;
use serde_json::json;

use super::Ctx;
use crate::args::ModelsCommand;
use crate::exit::CliError;

/// Runs a `models` subcommand.
pub async fn run(ctx: &Ctx, command: ModelsCommand) -> Result<(), CliError> {
    let dm = ctx.deepmotion().await?;
    let client = &dm.client;
    match command {
        ModelsCommand::List { search } => {
            let models = client.list_models(None, search.as_deref()).await?;
            if ctx.json() {
                return ctx.print_json(&json!({ "models": models }));
            }
            for model in &models {
                ctx.out(format!(
                    "{}\t{}",
                    model.id,
                    model.name.as_deref().unwrap_or("")
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
            let options = UploadOptions {
                progress: Some(std::sync::Arc::new(move |p| {
                    bar_for_upload.bytes("upload", p)
                })),
                ..UploadOptions::default()
            };
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
                return ctx.print_json(&json!({ "id": id, "name": name }));
            }
            ctx.out(id);
        }
        ModelsCommand::Delete { id } => {
            let count = client.delete_model(&id).await?;
            if ctx.json() {
                return ctx.print_json(&json!({ "id": id, "deleted": count }));
            }
            if count == 0 {
                return Err(CliError::permanent(format!("no model {id} to delete")));
            }
            ctx.out(format!("deleted {id}"));
        }
    }
    Ok(())
}
