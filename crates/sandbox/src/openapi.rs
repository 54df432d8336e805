//! The services' OpenAPI 3.1 documents, served by the sandbox: `GET
//! /openapi.json` on the DeepMotion side and `GET /rest/` on the
//! MotionDynamic side (PostgREST serves its own description at the REST
//! root).
//!
//! The documents are copies `cargo xtask codegen` writes into this crate
//! from `specs/openapi/`, so the crate carries them when it is packaged;
//! `cargo xtask codegen --check` fails when a copy is stale. They are served
//! with `servers` pointing at the running sandbox, so a tool that reads the
//! document from the sandbox tests the sandbox, not production.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

/// The DeepMotion document, as generated.
pub(crate) const DEEPMOTION: &str = include_str!("openapi/deepmotion.json");

/// The MotionDynamic document, as generated.
pub(crate) const MOTIONDYNAMIC: &str = include_str!("openapi/motiondynamic.json");

/// `document` with its `servers` replaced by `base_url`.
fn for_server(document: &str, base_url: &str) -> Value {
    let mut value: Value = serde_json::from_str(document).unwrap_or_else(|_| json!({}));
    if let Value::Object(map) = &mut value {
        map.insert(
            "servers".into(),
            json!([{ "url": base_url.trim_end_matches('/'), "description": "This sandbox" }]),
        );
    }
    value
}

/// The answer to a request for `document`.
pub(crate) fn respond(document: &str, base_url: &str) -> Response {
    let body = for_server(document, base_url).to_string();
    let mut response = (StatusCode::OK, body).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/openapi+json; charset=utf-8"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_documents_are_openapi_3_1_with_the_sandbox_as_server() {
        for document in [DEEPMOTION, MOTIONDYNAMIC] {
            let value = for_server(document, "http://127.0.0.1:9/");
            assert_eq!(value["openapi"], "3.1.0");
            assert_eq!(value["servers"][0]["url"], "http://127.0.0.1:9");
            assert!(value["paths"].as_object().is_some_and(|p| !p.is_empty()));
        }
    }
}
