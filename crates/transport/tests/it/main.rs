//! Integration tests of the transport against real local HTTP servers.

mod auth;
mod common;
mod download;
mod hostile_upload;
mod rate_limit;
mod retry;
mod sanitize;
#[cfg(feature = "unzip")]
mod unzip;
mod upload;
mod send_bounds {
    use std::path::Path;

    use motionkit_transport::{DownloadOptions, Transport, UploadOptions};

    fn assert_send<T: Send>(_: &T) {}

    #[test]
    fn transfer_futures_can_be_spawned() {
        let transport = Transport::builder("http://127.0.0.1:9").build().unwrap();
        let upload = UploadOptions::default();
        let download = DownloadOptions::default();
        let path = Path::new("x");
        assert_send(&transport.upload_file("http://127.0.0.1:9/o", path, &upload));
        assert_send(&transport.upload_resumable("http://127.0.0.1:9/o", path, &upload));
        assert_send(&transport.download("http://127.0.0.1:9/o", path, &download));
    }
}
