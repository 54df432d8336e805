//! MotionDynamic webhook deliveries through `WebhookReceiver::receive`:
//! never panics; a token that is not the callback token of the key is
//! `Forged`; a valid token for a key never issued is refused; the issued
//! key with its token and a `{"video": url}` body is delivered once, with
//! that URL, and every later valid delivery is a `Repeat`.
//!
//! Input: byte 0 (bit 0: use the issued key; bit 1: use the right token
//! for the key; bit 2: deliver twice), then key `\n` token `\n` body.
#![no_main]

use libfuzzer_sys::fuzz_target;
use motionkit_models::motiondynamic::WebhookPayload;
use motionkit_motiondynamic::{Delivery, WebhookError, WebhookReceiver};

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let mut parts = rest.splitn(3, |&b| b == b'\n');
    let key = String::from_utf8_lossy(parts.next().unwrap_or_default()).into_owned();
    let token = String::from_utf8_lossy(parts.next().unwrap_or_default()).into_owned();
    let body = parts.next().unwrap_or_default();

    let receiver = WebhookReceiver::with_secret("https://hooks.example/md", b"fuzz".to_vec());
    let (issued, _) = receiver.issue();
    let key = if mode & 1 == 1 { issued.clone() } else { key };
    let url = receiver.url_for(&key);
    let right = url.rsplit('/').next().unwrap().to_owned();
    let token = if mode & 2 == 2 { right.clone() } else { token };
    let payload = serde_json::from_slice::<WebhookPayload>(body).ok();

    let deliveries = if mode & 4 == 4 { 2 } else { 1 };
    for attempt in 0..deliveries {
        let result = receiver.receive(&key, &token, body);
        if let Err(error) = &result {
            let _ = (error.to_string(), error.status());
        }
        if token != right {
            assert_eq!(
                result,
                Err(WebhookError::Forged),
                "token {token:?} for key {key:?}"
            );
            continue;
        }
        match (&payload, result) {
            (None, Err(WebhookError::Malformed(_))) => {}
            (Some(_), Err(WebhookError::UnknownKey)) => assert_ne!(key, issued),
            (Some(payload), Ok(Delivery::First(ready))) => {
                assert_eq!(attempt, 0);
                assert_eq!(key, issued);
                assert_eq!(ready.key, key);
                assert_eq!(ready.video, payload.video);
            }
            (Some(_), Ok(Delivery::Repeat)) => {
                assert_eq!(attempt, 1);
                assert_eq!(key, issued);
            }
            (payload, result) => panic!("unexpected {result:?} for {payload:?}"),
        }
    }
});
