//! A webhook receiver that serves itself: [`WebhookReceiver::bind`] listens
//! on an address, serves the receiver's router there with the shared
//! bounds (`motionkit_transport::serve_receiver`: a deadline on request
//! heads, a connection cap; the router's admission, body and in-flight
//! bounds), and hands back the receiver to give to [`Generate::webhook`](crate::Generate::webhook).
//! A program needs no axum of its own to receive generations.

use std::net::SocketAddr;

use tokio::net::ToSocketAddrs;
use tokio::sync::oneshot;

use crate::error::Error;
use crate::webhook::WebhookReceiver;

/// A [`WebhookReceiver`] served on a local address until
/// [`ServedReceiver::shutdown`] or drop.
#[derive(Debug)]
pub struct ServedReceiver {
    receiver: WebhookReceiver,
    local_addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl WebhookReceiver {
    /// Listens on `addr` and serves a new receiver there. Its callback URLs
    /// start with `public_base` when given (the address MotionDynamic
    /// reaches, behind a tunnel or a load balancer), else with
    /// `http://ADDR` (an unspecified address is shown as 127.0.0.1).
    ///
    /// # Errors
    ///
    /// [`Error::Transport`] of kind `Io` when the address cannot be bound.
    pub async fn bind(
        addr: impl ToSocketAddrs,
        public_base: Option<&str>,
    ) -> Result<ServedReceiver, Error> {
        let io = |e: std::io::Error| {
            Error::Transport(motionkit_transport::Error::Io {
                context: "binding the webhook receiver's address".to_owned(),
                source: e,
                sent: motionkit_transport::Sent::NotSent,
            })
        };
        let listener = tokio::net::TcpListener::bind(addr).await.map_err(io)?;
        let local_addr = listener.local_addr().map_err(io)?;
        let base = match public_base {
            Some(base) => base.trim_end_matches('/').to_owned(),
            None => {
                let mut shown = local_addr;
                if shown.ip().is_unspecified() {
                    shown.set_ip(std::net::Ipv4Addr::LOCALHOST.into());
                }
                format!("http://{shown}")
            }
        };
        let receiver = WebhookReceiver::new(base);
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(motionkit_transport::serve_receiver(
            listener,
            receiver.router(),
            async {
                let _ = stopped.await;
            },
        ));
        Ok(ServedReceiver {
            receiver,
            local_addr,
            stop: Some(stop),
            task: Some(task),
        })
    }
}

impl ServedReceiver {
    /// The receiver, for [`Generate::webhook`](crate::Generate::webhook)
    /// and [`Submission::wait`](crate::Submission::wait).
    pub fn receiver(&self) -> &WebhookReceiver {
        &self.receiver
    }

    /// The address it listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
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

impl Drop for ServedReceiver {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

impl std::ops::Deref for ServedReceiver {
    type Target = WebhookReceiver;
    fn deref(&self) -> &WebhookReceiver {
        &self.receiver
    }
}
