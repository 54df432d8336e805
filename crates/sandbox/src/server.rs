//! The HTTP loop under both emulators. Unlike a plain `axum::serve`, a
//! handler can make the server drop the connection without answering, which
//! is how injected resets and cut uploads look to a client.

use std::convert::Infallible;
use std::net::SocketAddr;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tower::ServiceExt as _;

/// Put this in a response's extensions to close the connection instead of
/// sending the response.
#[derive(Debug, Clone, Copy)]
struct ResetConnection;

/// A response that closes the connection without an answer.
pub(crate) fn reset() -> axum::response::Response {
    let mut response = axum::response::Response::new(axum::body::Body::empty());
    response.extensions_mut().insert(ResetConnection);
    response
}

#[derive(Debug)]
struct Dropped;

impl std::fmt::Display for Dropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped on purpose")
    }
}

impl std::error::Error for Dropped {}

/// Serves `router` on `listener` until `shutdown` is cancelled.
pub(crate) async fn serve(listener: TcpListener, router: Router, shutdown: CancellationToken) {
    loop {
        let accepted = tokio::select! {
            () = shutdown.cancelled() => break,
            accepted = listener.accept() => accepted,
        };
        let Ok((stream, peer)) = accepted else {
            continue;
        };
        let _ = stream.set_nodelay(true);
        let router = router.clone();
        let shutdown = shutdown.clone();
        tokio::spawn(async move {
            let service =
                hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
                    request
                        .extensions_mut()
                        .insert(ConnectInfo::<SocketAddr>(peer));
                    let router = router.clone();
                    async move {
                        let response = router
                            .oneshot(request.map(axum::body::Body::new))
                            .await
                            .unwrap_or_else(|never: Infallible| match never {});
                        if response.extensions().get::<ResetConnection>().is_some() {
                            Err(Dropped)
                        } else {
                            Ok(response)
                        }
                    }
                });
            let connection = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service);
            tokio::select! {
                _ = connection => {}
                () = shutdown.cancelled() => {}
            }
        });
    }
}
