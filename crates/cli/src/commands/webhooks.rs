//! `motionkit webhooks list|create|get|update|delete`.

use motionkit_models::deepmotion::WebhookEndpoint;

use super::Ctx;
use crate::args::WebhooksCommand;
use crate::exit::{CliError, ErrorKind};
use crate::output::{DeleteOutput, EndpointOutput, EndpointView, EndpointsOutput};
use crate::term::safe;

fn line(endpoint: &WebhookEndpoint) -> String {
    format!(
        "{}\t{}\t{}",
        safe(&endpoint.id),
        safe(&endpoint.url),
        safe(&endpoint.events.join(","))
    )
}

fn show(ctx: &Ctx, endpoint: &WebhookEndpoint) -> Result<(), CliError> {
    if ctx.json() {
        return ctx.print_json(&EndpointOutput {
            simulated: ctx.simulated(),
            endpoint: endpoint.into(),
        });
    }
    ctx.out(line(endpoint));
    Ok(())
}

/// A 404 about endpoint `id` becomes "webhook endpoint ID not found".
fn not_found(id: &str) -> impl FnOnce(motionkit_deepmotion::Error) -> CliError + '_ {
    move |error| {
        let error = CliError::from(error);
        if error.kind == ErrorKind::NotFound {
            CliError::not_found(
                format!("webhook endpoint {id} not found"),
                "motionkit webhooks list",
            )
        } else {
            error
        }
    }
}

/// Runs a `webhooks` subcommand.
pub async fn run(ctx: &Ctx, command: WebhooksCommand) -> Result<(), CliError> {
    if let WebhooksCommand::Delete { id, yes } = &command {
        ctx.confirm(&format!("delete webhook endpoint {}", safe(id)), *yes)?;
    }
    let dm = ctx.deepmotion().await?;
    let client = &dm.client;
    match command {
        WebhooksCommand::List => {
            let endpoints = client.webhooks().await?;
            if ctx.json() {
                return ctx.print_json(&EndpointsOutput {
                    simulated: ctx.simulated(),
                    endpoints: endpoints.iter().map(EndpointView::from).collect(),
                });
            }
            for endpoint in &endpoints {
                ctx.out(line(endpoint));
            }
            Ok(())
        }
        WebhooksCommand::Create { url, events } => {
            let events: Vec<&str> = events.iter().map(String::as_str).collect();
            let endpoint = client.create_webhook(&url, &events).await?;
            show(ctx, &endpoint)
        }
        WebhooksCommand::Get { id } => {
            let endpoint = client.webhook(&id).await.map_err(not_found(&id))?;
            show(ctx, &endpoint)
        }
        WebhooksCommand::Update { id, url, events } => {
            let events: Vec<&str> = events.iter().map(String::as_str).collect();
            let endpoint = client
                .update_webhook(&id, &url, &events)
                .await
                .map_err(not_found(&id))?;
            show(ctx, &endpoint)
        }
        WebhooksCommand::Delete { id, .. } => {
            let deleted = client.delete_webhook(&id).await.map_err(not_found(&id))?;
            if !deleted.deleted {
                return Err(CliError::permanent(format!(
                    "webhook endpoint {id} was not deleted"
                )));
            }
            if ctx.json() {
                return ctx.print_json(&DeleteOutput {
                    simulated: ctx.simulated(),
                    id: deleted.id,
                    deleted: true,
                });
            }
            ctx.out(format!("deleted {}", safe(&deleted.id)));
            Ok(())
        }
    }
}
