//! DeepMotion webhook deliveries through `webhook::verify`: never panics;
//! no header is `MissingSignature`, a signature other than the client id
//! is `BadSignature` (whatever the body), and a correctly signed body is
//! accepted exactly when it is a `job.completed` `WebhookEvent`, with its
//! `taskId` as rid and its status read case-insensitively.
//!
//! Input: byte 0 selects the signature (bit 0: the client id; bit 1: none;
//! else the bytes up to the first `\n`), the rest is the body.
#![no_main]

use http::{HeaderMap, HeaderValue};
use libfuzzer_sys::fuzz_target;
use motionkit_deepmotion::{WebhookError, verify_webhook as verify};
use motionkit_models::deepmotion::{SIGNATURE_HEADER, WebhookEvent, WebhookEventType};

const CLIENT_ID: &str = "client-1";

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let (signature, body) = if mode & 1 == 1 {
        (Some(CLIENT_ID.as_bytes()), rest)
    } else if mode & 2 == 2 {
        (None, rest)
    } else {
        match rest.iter().position(|&b| b == b'\n') {
            Some(at) => (Some(&rest[..at]), &rest[at + 1..]),
            None => (Some(rest), &[][..]),
        }
    };
    let mut headers = HeaderMap::new();
    let mut signed = false;
    if let Some(signature) = signature {
        let Ok(value) = HeaderValue::from_bytes(signature) else {
            return;
        };
        signed = value.as_bytes() == CLIENT_ID.as_bytes();
        headers.insert(SIGNATURE_HEADER, value);
    }
    let result = verify(&headers, body, CLIENT_ID);
    if let Err(error) = &result {
        let _ = (error.to_string(), error.status());
    }
    if signature.is_none() {
        assert_eq!(result, Err(WebhookError::MissingSignature));
        return;
    }
    if !signed {
        assert_eq!(result, Err(WebhookError::BadSignature));
        return;
    }
    let event = std::str::from_utf8(body)
        .ok()
        .and_then(|text| motionkit_models::decode::<WebhookEvent>(text).ok());
    match (event, result) {
        (Some(event), Ok(done)) => {
            assert_eq!(event.event_type, WebhookEventType::JobCompleted);
            assert_eq!(done.rid, event.data.task_id);
            let status = event.data.status.map(|s| s.to_ascii_lowercase());
            let expected = match status.as_deref() {
                Some("success") => Some(true),
                Some("failure") => Some(false),
                _ => None,
            };
            assert_eq!(done.succeeded, expected);
        }
        (Some(event), Err(WebhookError::UnsupportedEvent(name))) => {
            assert_ne!(event.event_type, WebhookEventType::JobCompleted);
            assert_eq!(name, event.event_type.as_str());
        }
        (None, Err(WebhookError::Malformed(_))) => {}
        (event, result) => panic!("unexpected outcome {result:?} for event {event:?}"),
    }
});
