//! `GET /download/{rids}` bodies: `DownloadResponse` decodes without
//! panicking and round-trips through JSON unchanged (and
//! `deepmotion::reencode` agrees); `DownloadLink::files()` yields exactly
//! the `(type, URL)` pairs of every `files` map, in order, and `is_ready()`
//! is true exactly when there is one.
#![no_main]

use libfuzzer_sys::fuzz_target;
use motionkit_fuzz::{reencoded, text};
use motionkit_models::deepmotion::{DownloadResponse, reencode};

fuzz_target!(|data: &[u8]| {
    let Some(json) = text(data) else { return };
    let Some(parsed) = reencoded::<DownloadResponse>(reencode, "DownloadResponse", json) else {
        return;
    };
    for link in &parsed.links {
        let files: Vec<(&str, &str)> = link.files().collect();
        let expected: Vec<(&str, &str)> = link
            .urls
            .iter()
            .flatten()
            .flat_map(|item| &item.files)
            .flat_map(|map| map.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .collect();
        assert_eq!(files, expected);
        assert_eq!(link.is_ready(), !files.is_empty());
    }
});
