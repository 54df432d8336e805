//! A webhook receiver served on a local address: what both clients'
//! `WebhookReceiver::serve` hand back, so that a program needs no axum of
//! its own to receive events. Serving uses [`serve_receiver`]'s bounds (a
//! deadline on request heads, a connection cap) on top of the router's own
//! (admission, body size, in-flight requests).

use std::net::SocketAddr;

use tokio::net::{TcpListener, ToSocketAddrs};
use tokio::sync::oneshot;

use crate::error::{Error, Sent};
use crate::receiver::serve_receiver;

/// A webhook receiver `R` whose router is served on a local address
/// until [`ServedReceiver::shutdown`] or drop. It dereferences to the
/// receiver. Both clients' `WebhookReceiver::serve` return one (each
/// crate names it `ServedReceiver`).
#[derive(Debug)]
pub struct ServedReceiver<R> {
    receiver: R,
    local_addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

/// Listens on `addr`, for [`ServedReceiver::start`].
///
/// # Errors
///
/// [`Error::Io`] when the address cannot be bound (in use, not local, no
/// permission).
pub async fn bind_receiver(addr: impl ToSocketAddrs) -> Result<TcpListener, Error> {
    TcpListener::bind(addr).await.map_err(|source| Error::Io {
        context: "binding the webhook receiver's address (in use, or not an address of this \
                  machine?)"
            .to_owned(),
        source,
        sent: Sent::NotSent,
    })
}

/// `http://ADDR` for a local address a receiver listens on, with an
/// unspecified address (`0.0.0.0`, `::`) shown as 127.0.0.1.
pub fn local_receiver_url(addr: SocketAddr) -> String {
    let mut shown = addr;
    if shown.ip().is_unspecified() {
        shown.set_ip(std::net::Ipv4Addr::LOCALHOST.into());
    }
    format!("http://{shown}")
}

impl<R> ServedReceiver<R> {
    /// Serves `router` (the receiver's) on `listener` from a task of its
    /// own.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] when the listener has no local address.
    pub fn start(listener: TcpListener, router: axum::Router, receiver: R) -> Result<Self, Error> {
        let local_addr = listener.local_addr().map_err(|source| Error::Io {
            context: "reading the webhook receiver's address".to_owned(),
            source,
            sent: Sent::NotSent,
        })?;
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(serve_receiver(listener, router, async {
            let _ = stopped.await;
        }));
        Ok(ServedReceiver {
            receiver,
            local_addr,
            stop: Some(stop),
            task: Some(task),
        })
    }

    /// The receiver it serves.
    pub fn receiver(&self) -> &R {
        &self.receiver
    }

    /// The address it listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// `http://ADDR` for the address it listens on; see
    /// [`local_receiver_url`].
    pub fn local_url(&self) -> String {
        local_receiver_url(self.local_addr)
    }

    /// Stops serving and waits until the server has stopped; open
    /// connections are closed.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl<R> std::ops::Deref for ServedReceiver<R> {
    type Target = R;
    fn deref(&self) -> &R {
        &self.receiver
    }
}

impl<R> Drop for ServedReceiver<R> {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}
