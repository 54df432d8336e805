//! The five webhook-endpoint APIs.

use super::*;

const WEBHOOK_OBJECT: &str = "webhook_endpoint";

fn endpoint_view(hook: Webhook) -> WebhookEndpoint {
    WebhookEndpoint {
        id: hook.id,
        object: WEBHOOK_OBJECT.into(),
        url: hook.url,
        events: hook.events,
    }
}

fn valid_url(url: &str) -> Result<String, ApiError> {
    let lower = url.to_ascii_lowercase();
    let rest = lower
        .strip_prefix("http://")
        .or_else(|| lower.strip_prefix("https://"));
    match rest {
        Some(host)
            if !host.is_empty() && !host.starts_with('/') && !url.contains(char::is_whitespace) =>
        {
            Ok(url.to_owned())
        }
        _ => Err(bad(format!(
            "`url` must be an absolute http(s) URL, not {url:?}"
        ))),
    }
}

fn valid_events(events: Vec<String>) -> Result<Vec<String>, ApiError> {
    if events.is_empty() {
        return Err(bad(format!(
            "`events` must list at least one event: {}",
            WEBHOOK_EVENTS.join(", ")
        )));
    }
    if let Some(unknown) = events
        .iter()
        .find(|e| !WEBHOOK_EVENTS.contains(&e.as_str()))
    {
        return Err(bad(format!(
            "unknown event {unknown:?}; known events: {}",
            WEBHOOK_EVENTS.join(", ")
        )));
    }
    Ok(events)
}

fn find_webhook(inner: &Inner, id: &str) -> Result<Webhook, ApiError> {
    inner
        .store
        .webhooks()
        .into_iter()
        .find(|hook| hook.id == id)
        .ok_or_else(|| fail(StatusCode::NOT_FOUND, format!("no webhook endpoint {id}")))
}

/// `POST /webhook_endpoints`.
pub(crate) async fn create_webhook(
    State(inner): State<Arc<Inner>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let created = (|| -> Result<Webhook, ApiError> {
        let map = body_object(&headers, &body)?;
        let url = valid_url(&field_str(&map, "url").ok_or_else(|| bad("`url` is required"))?)?;
        let events = valid_events(
            field_list(&map, "events", true).ok_or_else(|| bad("`events` is required"))?,
        )?;
        Ok(Webhook {
            id: format!("we_{}", random_hex(12)),
            url,
            events,
        })
    })();
    match created {
        Ok(hook) => {
            inner.store.insert_webhook(&hook);
            Json(endpoint_view(hook)).into_response()
        }
        Err(e) => e.into_response(),
    }
}

/// `GET /webhook_endpoints/{endpoint_id}`.
pub(crate) async fn get_webhook(
    State(inner): State<Arc<Inner>>,
    Path(id): Path<String>,
) -> Response {
    match find_webhook(&inner, &id) {
        Ok(hook) => Json(endpoint_view(hook)).into_response(),
        Err(e) => e.into_response(),
    }
}

/// `GET /webhook_endpoints`.
pub(crate) async fn list_webhooks(State(inner): State<Arc<Inner>>) -> Response {
    let endpoints: Vec<WebhookEndpoint> = inner
        .store
        .webhooks()
        .into_iter()
        .map(endpoint_view)
        .collect();
    Json(WebhookEndpointList {
        count: endpoints.len() as i64,
        endpoints,
    })
    .into_response()
}

/// `POST /webhook_endpoints/{endpoint_id}`: sets the fields given.
pub(crate) async fn update_webhook(
    State(inner): State<Arc<Inner>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let updated = (|| -> Result<Webhook, ApiError> {
        let mut hook = find_webhook(&inner, &id)?;
        let map = body_object(&headers, &body)?;
        if let Some(url) = field_str(&map, "url") {
            hook.url = valid_url(&url)?;
        }
        if let Some(events) = field_list(&map, "events", true) {
            hook.events = valid_events(events)?;
        }
        Ok(hook)
    })();
    match updated {
        Ok(hook) if inner.store.update_webhook(&hook) => Json(endpoint_view(hook)).into_response(),
        Ok(hook) => error(
            StatusCode::NOT_FOUND,
            format!("no webhook endpoint {}", hook.id),
        ),
        Err(e) => e.into_response(),
    }
}

/// `DELETE /webhook_endpoints/{endpoint_id}`.
pub(crate) async fn delete_webhook(
    State(inner): State<Arc<Inner>>,
    Path(id): Path<String>,
) -> Response {
    if inner.store.delete_webhook(&id) {
        Json(DeletedWebhookEndpoint {
            id,
            object: WEBHOOK_OBJECT.into(),
            deleted: true,
        })
        .into_response()
    } else {
        error(StatusCode::NOT_FOUND, format!("no webhook endpoint {id}"))
    }
}
