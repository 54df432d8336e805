//! `motionkit webhooks list|create|get|update|delete`.

use motionkit_models::deepmotion::WebhookEndpoint;
use serde_json::json;

use super::Ctx;
use crate::args::WebhooksCommand;
use crate::exit::CliError;

fn show(ctx: &Ctx, endpoint: &WebhookEndpoint) -> Result<(), CliError> {
    if ctx.json() {
        return ctx.print_json(endpoint);
    }
    ctx.out(format!(
        "{}\t{}\t{}",
        endpoint.id,
        endpoint.url,
        endpoint.events.join(",")
    ));
    Ok(())
}

/// Runs a `webhooks` subcommand.
pub async fn run(ctx: &Ctx, command: WebhooksCommand) -> Result<(), CliError> {
    let dm = ctx.deepmotion().await?;
    let client = &dm.client;
    match command {
        WebhooksCommand::List => {
            let endpoints = client.webhooks().await?;
            if ctx.json() {
                return ctx.print_json(&json!({ "endpoints": endpoints }));
            }
            for endpoint in &endpoints {
                show(ctx, endpoint)?;
            }
            Ok(())
        }
        WebhooksCommand::Create { url, events } => {
            let events: Vec<&str> = events.iter().map(String::as_str).collect();
            let endpoint = client.create_webhook(&url, &events).await?;
            show(ctx, &endpoint)
        }
        WebhooksCommand::Get { id } => {
            let endpoint = client.webhook(&id).await?;
            show(ctx, &endpoint)
        }
        WebhooksCommand::Update { id, url, events } => {
            let events: Vec<&str> = events.iter().map(String::as_str).collect();
            let endpoint = client.update_webhook(&id, &url, &events).await?;
            show(ctx, &endpoint)
        }
        WebhooksCommand::Delete { id } => {
            let deleted = client.delete_webhook(&id).await?;
            if ctx.json() {
                return ctx.print_json(&deleted);
            }
            if !deleted.deleted {
                return Err(CliError::permanent(format!(
                    "webhook endpoint {id} was not deleted"
                )));
            }
            ctx.out(format!("deleted {}", deleted.id));
            Ok(())
        }
    }
}
